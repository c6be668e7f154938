"""Monthly review: what changed since the last load, what looks wrong, what it takes to hit the targets."""
import datetime as dt
import io

import pandas as pd
import streamlit as st

from metrics import release, review
from metrics.indicators import REGISTRY
from ui import downloads, frame, widgets

ICON = {"error": ":material/error:", "warning": ":material/warning:"}


@st.cache_data(show_spinner=False, max_entries=16)
def review_of(version: str, path: str, today: dt.date, suppressed: bool) -> dict:
    del version  # the cache key only: a load makes a new version
    return review.view(review.built(path, today), suppressed)  # one build for both audiences


def link(page: str) -> str:
    return f"[{review.PAGE_TITLES[page]} page](/{page})"


ctx = frame.context()
if widgets.page_header("Monthly review", "What changed since the last load, what looks wrong, and what it "
                       "takes to hit the targets", ctx):
    v = review_of(ctx.version, str(frame.db.db_path()), ctx.today, ctx.suppressed)
    fired_n = sum(r["fired"] for r in v["rules"])
    st.markdown(f"#### {fired_n} finding{'s' if fired_n != 1 else ''} to look at" +
                (", each with what to do (section 2)." if fired_n else ": every rule passed."))
    st.markdown(f"As of **{v['as_of']}**, the latest complete month with data (the period in the sidebar does "
                "not change the review)." + ("" if not ctx.suppressed else " External view: rules and the months "
                                             "they flag, never a count of people; figures as released."))

    st.header("1. What changed since the last load")
    ld = v["loaded"]
    st.markdown(f"**Latest load: {pd.Timestamp(ld['date']):%d %b %Y}.** " +
                ("Files loaded that day and the months their rows fall in:" if not ctx.suppressed
                 else "Logs and months that came in:"))
    files = pd.DataFrame([f | {"months": ", ".join(f["months"])} for f in ld["files"]])
    if not files.empty:
        files = files.drop(columns=[c for c in ("log_type",) if ctx.suppressed])
        st.dataframe(files.rename(columns={"title": "log", "log_type": "log type", "rows_loaded": "rows loaded",
                                           "rows_rejected": "rows rejected"}), hide_index=True, width="stretch")
    if v["missing"]:
        st.warning("**Months with no rows** in the last twelve months: " + "; ".join(
            f"{m['title']}: {', '.join(m['months'])}" for m in v["missing"]) + ". Check that the file was loaded.")
    else:
        st.success("Every log has rows in every month of the last twelve.")
    cols = v["compare"]["columns"]
    table = pd.DataFrame([{"indicator": r["label"]} | {c: review.fmt_value(REGISTRY[r["indicator"]], r[c]) for c in cols}
                          for r in v["compare"]["rows"]]).set_index("indicator")
    st.markdown(f"**Each indicator for {v['as_of']}**, the three months before, and the same month in earlier "
                "years (*not recorded*: no rows in that log for the month):")
    st.dataframe(table, width="stretch", height=min(38 * (len(table) + 1), 1100))

    fired = [r for r in v["rules"] if r["fired"]]
    errors = sum(r["severity"] == "error" for r in fired)
    st.header(f"2. What looks wrong: {len(fired)} finding{'s' if len(fired) != 1 else ''}"
              + (f" ({errors} error{'s' if errors != 1 else ''})" if errors else ""))
    if not fired:
        st.success("The usual-range check of supplies and education found nothing." if ctx.suppressed
                   else f"None of the {len(v['rules'])} rules found anything.")
    for r in fired:
        rule = review.RULE[r["rule"]]
        mine = [f for f in v["findings"] if f["rule"] == r["rule"]]
        pages = sorted({f["page"] for f in mine})
        where = ", ".join(link(p) for p in pages)
        text = f"**{rule.sentence}** ({r['severity']}; see the {where})"
        (st.error if r["severity"] == "error" else st.warning)(
            text + f"\n\n**What to do:** {review.WHAT_TO_DO[r['rule']]}", icon=ICON[r["severity"]])
        if ctx.suppressed:
            st.markdown("\n".join(f"- {(f['what'] + ': ') if f['what'] else ''}{', '.join(f['months'])}" for f in mine))
        else:
            st.dataframe(pd.DataFrame(mine).drop(columns=["rule", "severity", "page"]), hide_index=True,
                         width="stretch")
    quiet = [r for r in v["rules"] if not r["fired"]]
    if quiet and fired:
        st.caption("Checked and found nothing: " + "; ".join(r["sentence"].rstrip(".") for r in quiet) + ".")
    if ctx.suppressed:
        st.info("External view: supplies and education are checked against their usual range here. "
                + review.STAFF_ONLY_CHECKS)

    st.header(f"3. What it takes to hit the targets ({v['fiscal_year']})")
    if not v["targets"]:
        st.info("No targets loaded for this fiscal year. Load a `targets` log (fiscal_year, indicator, target).")
    for t in v["targets"]:  # words, not emoji: a projector or a printer may have no glyph for them
        st.markdown(f"- **{(t['status'] or 'no pace').capitalize()}**: {t['sentence']}")
    st.caption("Needed a month = (target − so far) / months left to the end of the fiscal year. For counts of "
               "people, who are counted once a year, the pace is how fast the year's count grew over the last "
               "three months." + ("" if not ctx.suppressed else " A pace built on a suppressed figure is not shown."))
    if ctx.suppressed:
        st.caption(release.footnote())

    buf = io.StringIO()
    pd.DataFrame(review.rows(v)).to_csv(buf, index=False)
    downloads.offer("Download the review (CSV)", buf.getvalue().encode("utf-8"),
                    file_name=f"shop_review_{v['month'][:7]}{'_EXACT' if ctx.staff else ''}.csv",
                    mime="text/csv", key="dl_review", viewer=ctx.viewer, page="review",
                    detail=f"csv, {'exact' if ctx.staff else 'suppressed'}, review of {v['month'][:7]}")
