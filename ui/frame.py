"""The frame every page shares: period and audience in the sidebar, the banner, and the
cached, suppressed figures. Pages call `context()` and then the helpers below; they
never query the database themselves."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pathlib import Path

import pandas as pd
import streamlit as st

from shop import settings
from metrics import db, indicators, periods, series, suppress
from metrics.periods import Period

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


def _fy_options(t: dt.date) -> list[Period]:
    y = periods.fy_start_year(t)
    return [periods.fiscal_year(y - i) for i in range(0, 10)]


def _quarter_options(t: dt.date) -> list[Period]:
    out, d = [], t
    for _ in range(16):
        q = periods.fiscal_quarter(d)
        out.append(q)
        d = q.start - dt.timedelta(days=1)
    return out


def _month_options(t: dt.date) -> list[Period]:
    out, d = [], t
    for _ in range(36):
        m = periods.month(d)
        out.append(m)
        d = m.start - dt.timedelta(days=1)
    return out


def _last_12(t: dt.date, staff: bool) -> Period:
    if staff:
        return Period(t - dt.timedelta(days=364), t, "Last 12 months")
    end = t.replace(day=1) - dt.timedelta(days=1)
    return Period(periods.add_months(end.replace(day=1), -11), end, "Last 12 whole months")


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
    fytd = periods.this_fy_to_date(t)
    last_fy = periods.fiscal_year(periods.fy_start_year(t) - 1)
    if (p.start, p.end) in {(fytd.start, fytd.end), (fytd.start, periods.snap_external(fytd, t).end)}:
        ss["period_kind"] = PRESETS[0]  # as the staff or the external view wrote it into the link
    elif (p.start, p.end) == (last_fy.start, last_fy.end):
        ss["period_kind"] = PRESETS[1]
    elif p.label.startswith("FY") and " Q" not in p.label and p in _fy_options(t):
        ss["period_kind"], ss["period_fy"] = PRESETS[2], p.label
    elif " Q" in p.label and p in _quarter_options(t):
        ss["period_kind"], ss["period_quarter"] = PRESETS[3], p.label
    elif p.label and p in _month_options(t):
        ss["period_kind"], ss["period_month"] = PRESETS[5], p.label
    else:
        ss["period_kind"] = PRESETS[6]
        ss["period_custom"] = (p.start, p.end)


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
    with st.sidebar:
        st.markdown("### SHOP program dashboard")
        if viewer.is_staff:
            audience = st.radio("Audience", [EXTERNAL, STAFF], key="audience",
                                help="External: small counts suppressed, whole months only; safe to show or "
                                     "hand out. Staff: exact figures for program staff only.")
        else:  # a board member never gets the staff view, whatever the URL or session says
            audience = EXTERNAL
            st.caption("Board view: small counts suppressed.")
        staff = audience == STAFF and viewer.is_staff
    try:
        status()
    except db.DatabaseFault as fault:  # damaged or forbidden: every page says so, without a path
        st.error(fault.for_page(staff), icon=":material/error:")
        st.stop()
    with st.sidebar:
        kinds = PRESETS if staff else PRESETS[:-1]
        if ss.get("period_kind") not in kinds:
            ss["period_kind"] = PRESETS[0] if ss.get("period_kind") != PRESETS[6] else PRESETS[6]
        if ss["period_kind"] not in kinds:  # a custom period in the external view: whole months
            kinds = kinds + [PRESETS[6]]
        kind = st.selectbox("Period", kinds, key="period_kind")
        if kind == PRESETS[0]:
            period = periods.this_fy_to_date(t)
        elif kind == PRESETS[1]:
            period = periods.fiscal_year(periods.fy_start_year(t) - 1)
        elif kind == PRESETS[2]:
            opts = {p.label: p for p in _fy_options(t)}
            period = opts[st.selectbox("Fiscal year", list(opts), key="period_fy")]
        elif kind == PRESETS[3]:
            opts = {p.label: p for p in _quarter_options(t)}
            period = opts[st.selectbox("Fiscal quarter", list(opts), key="period_quarter")]
        elif kind == PRESETS[4]:
            period = _last_12(t, staff)
        elif kind == PRESETS[5]:
            opts = {p.label: p for p in _month_options(t)}
            period = opts[st.selectbox("Month", list(opts), key="period_month")]
        else:
            default = ss.get("period_custom") or (periods.this_fy_to_date(t).start, t)
            if not staff:
                period = periods.labelled(*default)
            else:
                picked = st.date_input("From – to", value=default, min_value=periods.EARLIEST,
                                       max_value=dt.date(2100, 12, 31), key="period_custom_input")
                if isinstance(picked, (tuple, list)) and len(picked) == 2:
                    period = periods.labelled(picked[0], picked[1])
                    ss["period_custom"] = (picked[0], picked[1])
                else:
                    period = periods.labelled(*default)
        if not staff:
            snapped = periods.snap_external(period, t)
            if snapped != period:
                st.caption(f"External view: whole months only, so the period is {snapped.start:%d %b %Y} – "
                           f"{snapped.end:%d %b %Y}.")
            period = snapped
        grains = ["month", "quarter", "week"] if staff else ["month", "quarter"]
        grain = st.radio("Trend by", grains, horizontal=True, key="grain" if staff else "grain_ext",
                         format_func=str.capitalize)
        st.caption(f"Data as of {freshness()}")
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


def banner(ctx: Context) -> None:
    if ctx.staff:
        st.error("**Staff view: exact figures.** Confidential: for program staff only. "
                 "Do not show on a projector or hand out.", icon=":material/lock:")
    else:
        st.info(f"**External view.** Counts of people and their contacts under {suppress.threshold()} are "
                "shown as <10 and related cells as x, so that no one can be identified.",
                icon=":material/visibility:")


# ------------------------------------------------------------------ cached reads

@st.cache_data(show_spinner=False, max_entries=512)
def _figures(version: str, path: str, start: dt.date, end: dt.date, t: dt.date) -> dict:
    del version  # part of the cache key only: a load makes a new version
    if not db.has_data(path):
        return indicators.empty_figures()
    return indicators.compute(Period(start, end), path, t)


@st.cache_data(show_spinner=False, max_entries=512)
def _breakdown(version: str, path: str, name: str, start: dt.date, end: dt.date, grain: str, t: dt.date):
    del version
    return series.breakdown(name, Period(start, end), grain, path, t)


@st.cache_data(show_spinner=False, max_entries=64)
def _sql(version: str, path: str, sql: str, params: tuple) -> pd.DataFrame:
    del version
    return db.query(sql, dict(params), path)


@st.cache_data(show_spinner=False, max_entries=8)
def _status(version: str, path: str) -> dict:
    """Schema version, whether anything is loaded, and the last load, in one connection."""
    del version
    from etl.schema import current_version
    if not Path(path).exists():
        return {"schema": 0, "has_data": False, "last_load": None}
    with db.connect(path) as con:
        v = current_version(con)
        if not v:
            return {"schema": 0, "has_data": False, "last_load": None}
        n, last = con.execute("select count(*), max(loaded_at) filter (where status = 'in_force') "
                              "from meta.batches").fetchall()[0]
    return {"schema": v, "has_data": n > 0, "last_load": last}


def status() -> dict:
    return _status(db.version(), str(db.db_path()))


def schema_version() -> int:
    return status()["schema"]


def has_data() -> bool:
    return status()["has_data"]


def figures(ctx: Context, period: Period | None = None) -> dict:
    """Exact figures for the period (the context's by default)."""
    p = period or ctx.period
    return _figures(ctx.version, str(db.db_path()), p.start, p.end, ctx.today)


def released(ctx: Context, period: Period | None = None) -> dict:
    """Figures as this audience may see them."""
    return indicators.present(figures(ctx, period), ctx.suppressed)


def breakdown(ctx: Context, name: str, grain: str | None = None) -> pd.DataFrame:
    return _breakdown(ctx.version, str(db.db_path()), name, ctx.period.start, ctx.period.end,
                      grain or ctx.grain, ctx.today)


@st.cache_data(show_spinner=False, max_entries=256)
def _breakdowns(version: str, path: str, names: tuple, start: dt.date, end: dt.date, grain: str, t: dt.date):
    del version
    with db.connect(path) as con:
        return {n: series.breakdown(n, Period(start, end), grain, path, t, con=con) for n in names}


def breakdowns(ctx: Context, names: list[str]) -> dict:
    """Several measures for the period in one connection (the Overview's small trends)."""
    return _breakdowns(ctx.version, str(db.db_path()), tuple(names), ctx.period.start, ctx.period.end,
                       ctx.grain, ctx.today)


def query(ctx: Context, sql: str, **params) -> pd.DataFrame:
    return _sql(ctx.version, str(db.db_path()), sql, tuple(sorted(params.items())))


def freshness() -> str:
    at = status()["last_load"]
    return f"last load {pd.Timestamp(at):%d %b %Y %H:%M}" if at is not None else "no data loaded yet"


def annotations(ctx: Context, scope: str) -> list[dict]:
    """Program notes that fall in the period, for marking trend charts (one cached query a page)."""
    df = query(ctx, """select start_date, coalesce(end_date, start_date) as end_date, scope, note
                       from core.annotations
                       where start_date <= $to and coalesce(end_date, start_date) >= $from
                       order by start_date""", **{"from": ctx.period.start, "to": ctx.period.end})
    df = df[df["scope"].isin(["all", scope])]
    out = []
    for r in df.itertuples():
        s, e = max(r.start_date, pd.Timestamp(ctx.period.start)), min(r.end_date, pd.Timestamp(ctx.period.end))
        out.append({"start_date": s, "end_date": e, "note": r.note})
    return out
