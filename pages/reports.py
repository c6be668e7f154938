"""Reports: the grant workbook, the board deck and CSV for the period, and reports frozen as submitted."""
import tempfile
from pathlib import Path

import streamlit as st

from metrics import audit, db, frozen, release, report
from metrics.export import WRITERS
from shop.store import LoadError, write_failure
from ui import access, downloads, frame, widgets

WAIT_S = 5  # a form waits this long for a running load, then says so (a load can take minutes)

ctx = frame.context()
if widgets.page_header("Reports", "The grant workbook, the board deck and CSV, with the dashboard's numbers", ctx):
    whole = ctx.staff or release.external_span(ctx.period, ctx.today) is not None
    st.markdown(f"Files for **{ctx.period}** ({ctx.period.start} to {ctx.period.end}), "
                + ("**exact and marked CONFIDENTIAL** (staff view)." if ctx.staff else
                   "suppressed for sharing (external view)."))
    # A file is made for one audience, period and viewer: switching any of them (staff to External
    # for the board, say) drops it, so the exact file is never offered under a suppressed heading.
    made_for = (ctx.staff, ctx.period.start, ctx.period.end, getattr(ctx.viewer, "email", None),
                getattr(ctx.viewer, "role", None))
    for fmt in ("xlsx", "pptx", "csv"):
        if st.session_state.get(f"file_{fmt}", (None,))[0] != made_for:
            st.session_state.pop(f"file_{fmt}", None)
    if not ctx.staff and not whole:
        st.warning(f"No report for this period: {release.external_rule()}.")
    else:
        cols = st.columns(4)
        labels = {"pdf": "Board pack (PDF)", "xlsx": "Grant workbook (Excel)", "pptx": "Board deck (PowerPoint)",
                  "csv": "Tables (CSV, zipped)"}
        mimes = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                 "csv": "application/zip", "pdf": "application/pdf"}
        for col, fmt in zip(cols, ["pdf", "xlsx", "pptx", "csv"]):
            with col:
                if st.button(f"Make the {labels[fmt].split(' (')[0].lower()}", key=f"make_{fmt}"):
                    rep = report.build(ctx.period, ctx.suppressed, db.db_path(), ctx.today)
                    with tempfile.TemporaryDirectory() as tmp:
                        p = WRITERS[fmt](rep, Path(tmp))
                        made = (p.name, p.read_bytes())
                    try:  # fails closed: an export the log cannot record is not handed out
                        access.record(ctx.viewer, "export", "reports", f"{p.name}: {fmt}, "
                                      f"{'exact' if ctx.staff else 'suppressed'}, {ctx.period.start} to {ctx.period.end}")
                        st.session_state[f"file_{fmt}"] = (made_for, *made)
                    except audit.AuditError as exc:
                        st.session_state.pop(f"file_{fmt}", None)
                        st.error(f"The export is refused because {exc}.")
                if f"file_{fmt}" in st.session_state:
                    (exact, *_), name, data = st.session_state[f"file_{fmt}"]
                    downloads.offer(f"Download {labels[fmt]}", data, file_name=name, mime=mimes[fmt],
                                    key=f"dl_{fmt}", viewer=ctx.viewer, page="reports",
                                    detail=f"{fmt}, {'exact' if exact else 'suppressed'}")  # the file's own
        if ctx.staff:
            with st.form("freeze"):
                label = st.text_input("Freeze these figures as submitted, under a label",
                                      placeholder="Grant report FY2025-26 (funder name)", max_chars=80)
                if st.form_submit_button("Freeze as submitted") and label.strip():
                    from etl.load import freeze
                    try:
                        access.record(ctx.viewer, "freeze", "reports", f"{label.strip()[:80]}: "
                                      f"{'exact' if ctx.staff else 'suppressed'}, {ctx.period.start} to {ctx.period.end}")
                    except audit.AuditError as exc:
                        st.error(f"Freezing is refused because {exc}.")
                    else:
                        rep = report.build(ctx.period, ctx.suppressed, db.db_path(), ctx.today)
                        try:
                            rid = freeze(db.db_path(), label.strip(), ctx.period.start, ctx.period.end,
                                         ctx.suppressed, *report.frozen_payload(rep), say=lambda *_: None,
                                         wait_s=WAIT_S)
                            st.success(f"Frozen as report {rid}.")
                        except (LoadError, OSError) as exc:
                            st.error("Not frozen: " + write_failure(exc))

    st.subheader("Reports frozen as submitted")
    listing = frozen.listing(str(db.db_path()))
    if not listing.empty and not ctx.staff:  # exact (confidential) reports stay in the staff view
        listing = listing[listing["audience"] == "external (suppressed)"].copy()
        listing["label"] = listing["label"].map(lambda t: release.text(t, db.db_path()))
    if listing.empty:
        st.info("No frozen reports yet. Use *Freeze as submitted* (staff view) or "
                "`python -m etl export --freeze LABEL`.")
    elif not ctx.staff:
        st.dataframe(listing, hide_index=True, width="stretch")
        st.caption("What a frozen report held, and what differs today, is shown in the staff view: a report frozen "
                   "under earlier rules could otherwise be set beside today's figures.")
    else:
        st.dataframe(listing, hide_index=True, width="stretch")
        rid = st.selectbox("Open a frozen report", listing["report_id"].tolist(),
                           format_func=lambda i: f"{i}: {listing.set_index('report_id').at[i, 'label']}")
        head, table = frozen.compare(rid, str(db.db_path()), ctx.today)
        n = (table["changed"] == "CHANGED").sum()
        (st.warning if n else st.success)(
            f"**{head['label']}**, {head['period'].start} to {head['period'].end}, frozen {head['created_at']}: "
            + (f"{n} figure(s) differ today (late or corrected data)." if n else "every figure is as submitted."))
        if head["files replaced or removed since"] or head["files added since"]:
            st.caption(f"Since then: {len(head['files replaced or removed since'])} file(s) replaced or removed "
                       f"({', '.join(head['files replaced or removed since'][:5])}), "
                       f"{head['files added since']} added.")
        st.dataframe(table, hide_index=True, width="stretch")

    if ctx.staff:
        st.subheader("Add a program note")
        st.caption("Context marked on trend charts and listed in reports: about the program, never about a person.")
        with st.form("annotation"):
            c1, c2, c3 = st.columns(3)
            start = c1.date_input("From", value=ctx.today, key="ann_start")
            end = c2.date_input("To (blank for one day)", value=None, key="ann_end")
            scope = c3.selectbox("Shown on", ["all", "outreach", "supplies", "referrals", "safe_suite",
                                              "friday_network", "bad_dates", "education"])
            note = st.text_input("Note", max_chars=120, placeholder="Safe Suite closed for repairs")
            if st.form_submit_button("Add the note") and note.strip():
                from etl.load import add_annotation
                try:  # the note's text is program context, never about a person: logged with its scope
                    access.record(ctx.viewer, "note", "reports", f"{scope}, {start} to {end or start}")
                except audit.AuditError as exc:
                    st.error(f"Adding the note is refused because {exc}.")
                else:
                    try:
                        ok, msg = add_annotation(db.db_path(), start, end, scope, note.strip(), wait_s=WAIT_S)
                    except (LoadError, OSError) as exc:
                        ok, msg = False, "Not added: " + write_failure(exc)
                    (st.success if ok else st.error)(msg)
