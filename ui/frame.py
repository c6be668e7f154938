"""The frame every page shares: period and audience in the sidebar, the banner, and cached
calls into metrics/ (released figures come from metrics.release only). Pages call `context()`
and then the helpers below; nothing in ui/ runs SQL."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from metrics import db, indicators, quality, release, suppress
from shop import ledger, periods, settings
from shop.periods import Period

EXTERNAL, STAFF = "External (suppressed)", "Staff (exact, confidential)"
PRESETS = ["This fiscal year to date", "Last fiscal year", "A fiscal year", "A fiscal quarter",
           "Last 12 months", "A month", "Custom dates"]


@dataclass
class Context:
    period: Period
    staff: bool
    grain: str
    today: dt.date
    version: str
    viewer: object = None     # ui.access.Viewer: who is looking, and with which role

    @property
    def suppressed(self) -> bool:
        return not self.staff


def today() -> dt.date:
    return settings.today()


EXTERNAL_PRESETS = [PRESETS[0], PRESETS[1], PRESETS[2], PRESETS[3], PRESETS[5]]


def _ended(p: Period, t: dt.date) -> bool:
    return p.end < t.replace(day=1)


def _fy_options(t: dt.date, staff: bool = True) -> list[Period]:
    y = periods.fy_start_year(t)
    return [p for p in (periods.fiscal_year(y - i) for i in range(0, 10)) if staff or _ended(p, t)]


def _quarter_options(t: dt.date, staff: bool = True) -> list[Period]:
    out, d = [], t
    for _ in range(16):
        q = periods.fiscal_quarter(d)
        out.append(q)
        d = q.start - dt.timedelta(days=1)
    return [q for q in out if staff or _ended(q, t)]


def _month_options(t: dt.date, staff: bool = True) -> list[Period]:
    out, d = [], t
    for _ in range(36):
        m = periods.month(d)
        out.append(m)
        d = m.start - dt.timedelta(days=1)
    return [m for m in out if staff or _ended(m, t)]


def _fytd(t: dt.date, staff: bool) -> Period:
    """This fiscal year to date: to today for staff; whole months that have ended otherwise
    (last fiscal year in a year's first month, when no month has ended yet)."""
    if staff:
        return periods.this_fy_to_date(t)
    return release.ytd(t) or periods.fiscal_year(periods.fy_start_year(t) - 1)


def _from_url(t: dt.date):
    """The period in ?from=&to=, or None; a bad value is reported, never raised."""
    qp = st.query_params
    frm, to = qp.get("from"), qp.get("to")
    if frm is None and to is None:
        return None
    try:
        if frm is None or to is None:
            raise ValueError("both from and to are needed")
        return periods.from_to(str(frm)[:20], str(to)[:20], t)
    except ValueError as exc:
        st.warning(f"The period in the link could not be used ({exc}); showing the default period instead.")
        return None


def _init_from_url(p: Period, t: dt.date) -> None:
    ss = st.session_state
    last_fy = periods.fiscal_year(periods.fy_start_year(t) - 1)
    if (p.start, p.end) in {(q.start, q.end) for q in (_fytd(t, True), _fytd(t, False))} and p != last_fy:
        ss["period_kind"] = PRESETS[0]  # as the staff or the external view wrote it into the link
    elif (p.start, p.end) == (last_fy.start, last_fy.end):
        ss["period_kind"] = PRESETS[1]
    elif p.label.startswith("FY") and " Q" not in p.label:  # a year, a quarter or a month, even one
        ss["period_kind"], ss["period_fy"], ss["_link_extra"] = PRESETS[2], p.label, p  # older than the lists
    elif " Q" in p.label:
        ss["period_kind"], ss["period_quarter"], ss["_link_extra"] = PRESETS[3], p.label, p
    elif p.label:
        ss["period_kind"], ss["period_month"], ss["_link_extra"] = PRESETS[5], p.label, p
    else:
        ss["period_kind"] = PRESETS[6]
        ss["period_custom"] = (p.start, p.end)


def _pick(label: str, options: list[Period], key: str) -> Period | None:
    opts = {p.label: p for p in options}
    extra = st.session_state.get("_link_extra")  # a bookmarked period older than the list
    if extra is not None and st.session_state.get(key) == extra.label and extra.label not in opts:
        opts[extra.label] = extra
    if not opts:
        return None
    if st.session_state.get(key) not in opts:
        st.session_state[key] = next(iter(opts))
    return opts[st.selectbox(label, list(opts), key=key)]


def _period_control(t: dt.date, staff: bool) -> Period:
    """The period picker. Outside the staff view only the periods of the linked External tables
    (metrics.release): a link or a session asking for another period gets a note and the default."""
    ss = st.session_state
    kinds = PRESETS if staff else EXTERNAL_PRESETS
    asked = ss.get("period_kind")
    from_link = ss.pop("_from_link", None)
    if (from_link is not None and not staff and asked != PRESETS[0]
            and release.external_span(from_link, t) is None):
        asked = "a period from a link"
    if asked not in kinds:
        if asked is not None and not staff:
            st.warning("That period is for the staff view only. Outside it, whole months only: a month, a "
                       "fiscal quarter or a fiscal year that has ended, or this fiscal year's whole months to date, so "
                       "that no small count can be worked out by subtracting one period from another. "
                       "Showing the default period instead.")
        ss["period_kind"] = PRESETS[0]
    kind = st.selectbox("Period", kinds, key="period_kind")
    period = None
    if kind == PRESETS[0]:
        period = _fytd(t, staff)
    elif kind == PRESETS[1]:
        period = periods.fiscal_year(periods.fy_start_year(t) - 1)
    elif kind == PRESETS[2]:
        period = _pick("Fiscal year", _fy_options(t, staff), "period_fy")
    elif kind == PRESETS[3]:
        period = _pick("Fiscal quarter", _quarter_options(t, staff), "period_quarter")
    elif kind == PRESETS[4]:
        period = Period(t - dt.timedelta(days=364), t, "Last 12 months")
    elif kind == PRESETS[5]:
        period = _pick("Month", _month_options(t, staff), "period_month")
    else:
        default = ss.get("period_custom") or (periods.this_fy_to_date(t).start, t)
        picked = st.date_input("From – to", value=default, min_value=periods.EARLIEST,
                               max_value=dt.date(2100, 12, 31), key="period_custom_input")
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            period = periods.labelled(picked[0], picked[1])
            ss["period_custom"] = (picked[0], picked[1])
        else:
            period = periods.labelled(*default)
    if period is None or (not staff and release.external_span(period, t) is None):
        period = _fytd(t, staff)  # a choice no longer valid (say, the month has not ended): the default
    if not staff and kind == PRESETS[0]:
        st.caption(f"External view: whole months that have ended, so {period.start:%d %b %Y} – {period.end:%d %b %Y}.")
    return period


def sidebar(viewer=None) -> Context:
    """Render the shared sidebar and return the page context."""
    from . import access
    viewer = viewer or access.gate()
    t = today()
    ss = st.session_state
    if "period_kind" not in ss:
        p = _from_url(t)
        if p is not None:
            _init_from_url(p, t)
            ss["_from_link"] = p
    with st.sidebar:
        st.markdown("### SHOP program dashboard")
        if viewer.is_staff:
            audience = st.radio("Audience", [EXTERNAL, STAFF], key="audience",
                                help="External: small counts suppressed; months, quarters and fiscal years that "
                                     "have ended; safe to show or hand out. Staff: exact figures, any period, for "
                                     "program staff only.")
        else:  # a board member never gets the staff view, whatever the URL or session says
            audience = EXTERNAL
            st.caption("Board view: small counts suppressed.")
        staff = audience == STAFF and viewer.is_staff
    try:
        stat = status()   # read once: a second read could meet a load (Busy) outside this try
    except db.DatabaseFault as fault:  # damaged or forbidden: every page says so, without a path
        st.error(fault.for_page(staff), icon=":material/error:")
        st.stop()
    with st.sidebar:
        period = _period_control(t, staff)
        grains = ["month", "quarter", "week"] if staff else ["month", "quarter"]
        grain = st.radio("Trend by", grains, horizontal=True, key="grain" if staff else "grain_ext",
                         format_func=str.capitalize)
        st.caption(f"Data as of {freshness(stat)}")
        if access.auth_configured():
            st.caption(f"Signed in as {viewer.email} ({viewer.role})")
            if st.button("Sign out"):
                access.sign_out(viewer)
    st.query_params.from_dict({"from": period.start.isoformat(), "to": period.end.isoformat()})
    return Context(period, staff, grain, t, db.version(), viewer)


def context() -> Context:
    """The context set by dashboard.py for this run, or the sidebar when a page runs alone."""
    ctx = st.session_state.get("_ctx")
    if ctx is None:
        from streamlit.runtime.pages_manager import PagesManager
        if PagesManager.uses_pages_directory:
            # A first visit straight to /outreach makes Streamlit run this file as an old-style
            # pages/ page, without dashboard.py; run again through st.navigation instead.
            PagesManager.uses_pages_directory = False
            st.rerun()
        ctx = sidebar()
    return ctx


def log_view(ctx: Context, page: str) -> None:
    """One audit row per page, period and audience a viewer opens (not per click); raises AuditError."""
    from . import access
    key = (page, ctx.period.start, ctx.period.end, ctx.staff)
    if st.session_state.get("_last_view") != key:
        access.record(ctx.viewer, "page_view", page,
                      f"{ctx.period.start} to {ctx.period.end}, {'exact' if ctx.staff else 'suppressed'}")
        st.session_state["_last_view"] = key


DEMO_BANNER = ("**Demo data**: made-up logs from `python -m etl demo`, not SHOP's figures. "
               "Start a real database with `make clean-demo && python -m etl load data/inbox`.")


def banner(ctx: Context) -> None:
    if status().get("demo"):  # on every page, above the audience, so that a screenshot carries it
        st.warning(DEMO_BANNER, icon=":material/science:")
    if ctx.staff:
        st.error("**Staff view: exact figures.** Confidential: for program staff only. "
                 "Do not show on a projector or hand out.", icon=":material/lock:")
    else:
        st.info(f"**External view.** Counts of people and their contacts under {suppress.threshold()} are "
                f"shown as {suppress.primary_mark()}, related cells as x, and any that would narrow one of "
                f"them down as {suppress.WITHHELD}, so that no one can be identified. A count of people marked "
                f"{suppress.ROUNDED} is rounded to the nearest {suppress.threshold()}.",
                icon=":material/visibility:")


# ------------------------------------------------------------------ cached reads

@st.cache_data(show_spinner=False, max_entries=512)
def _figures(version: str, path: str, start: dt.date, end: dt.date, t: dt.date, suppressed: bool) -> dict:
    del version  # part of the cache key only: a load makes a new version
    return release.figures(Period(start, end), suppressed, path, t)


@st.cache_data(show_spinner=False, max_entries=512)
def _breakdown(version: str, path: str, name: str, start: dt.date, end: dt.date, grain: str, t: dt.date,
               suppressed: bool):
    del version
    return release.breakdown(name, Period(start, end), grain, suppressed, path, t)


@st.cache_data(show_spinner=False, max_entries=8)
def _status(version: str, path: str) -> dict:
    """Schema version, whether anything is loaded, and the last load, in one connection."""
    del version
    return quality.status(path)


def status() -> dict:
    return _status(db.version(), str(db.db_path()))


def schema_version() -> int:
    return status()["schema"]


def has_data() -> bool:
    return status()["has_data"]


def released(ctx: Context, period: Period | None = None) -> dict:
    """Every indicator for the period (the context's by default) as this audience may see it;
    outside the staff view a period that is not External gives figures marked n/a."""
    p = period or ctx.period
    try:
        return _figures(ctx.version, str(db.db_path()), p.start, p.end, ctx.today, ctx.suppressed)
    except release.NotExternal:
        return {i: release.NOT_RELEASED for i in indicators.REGISTRY}
    except ledger.LedgerError as exc:
        _unrecorded(exc)


def breakdown(ctx: Context, name: str, grain: str | None = None, period: Period | None = None):
    """A measure by bucket and category (a release.Breakdown), as this audience may see it."""
    p = period or ctx.period
    try:
        return _breakdown(ctx.version, str(db.db_path()), name, p.start, p.end, grain or ctx.grain, ctx.today,
                          ctx.suppressed)
    except ledger.LedgerError as exc:
        _unrecorded(exc)


def _unrecorded(exc) -> None:
    """Fails closed: a figure the release ledger cannot record is not shown outside the staff view."""
    st.error(f"No figures outside the staff view: {exc}. Ask whoever runs the dashboard to check "
             "that the folder of the database can be written.", icon=":material/block:")
    st.stop()


def comparisons(ctx: Context) -> tuple[Period | None, Period | None]:
    """(previous, a year earlier) periods this audience may see beside the context's."""
    return release.comparisons(ctx.period, ctx.today, ctx.suppressed)


@st.cache_data(show_spinner=False, max_entries=64)
def _annotations(version: str, path: str, start: dt.date, end: dt.date, suppressed: bool) -> list[dict]:
    del version
    return release.annotations(Period(start, end), suppressed, path)


def freshness(stat: dict | None = None) -> str:
    at = (stat or status())["last_load"]
    return f"last load {pd.Timestamp(at):%d %b %Y %H:%M}" if at is not None else "no data loaded yet"


def annotations(ctx: Context, scope: str) -> list[dict]:
    """Program notes that fall in the period, for marking trend charts (one cached query a page);
    screened outside the staff view."""
    out = []
    for a in _annotations(ctx.version, str(db.db_path()), ctx.period.start, ctx.period.end, ctx.suppressed):
        if a["scope"] not in ("all", scope):
            continue
        s, e = max(pd.Timestamp(a["start_date"]), pd.Timestamp(ctx.period.start)), \
            min(pd.Timestamp(a["end_date"]), pd.Timestamp(ctx.period.end))
        out.append({"start_date": s, "end_date": e, "note": a["note"]})
    return out
