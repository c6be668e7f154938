"""Tiles, trend charts and tables, each with its definition one click away."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import streamlit as st

from metrics import charts, db, detail, indicators, quality, release, series, suppress
from metrics.indicators import REGISTRY
from shop import periods
from shop.schema import SCHEMA_VERSION

from . import frame
from .frame import Context, annotations, breakdown, has_data, released


def page_header(title: str, question: str, ctx: Context) -> bool:
    """Title, one line of context, the banner; False (with help) when there is no data."""
    from .frame import banner
    if has_data() and frame.schema_version() >= SCHEMA_VERSION:
        with st.spinner("Preparing the figures…"):
            released(ctx)  # the year's released tables first, so the page draws whole, not tile by tile
    st.title(title)
    dates = f"{ctx.period.start:%d %b %Y} – {ctx.period.end:%d %b %Y}"
    st.caption(f"{question} · **{ctx.period.label}** ({dates})" if ctx.period.label else f"{question} · **{dates}**")
    banner(ctx)
    if has_data() and frame.schema_version() < SCHEMA_VERSION:
        st.warning("**This database was made by an earlier version of the dashboard.** Upgrade it once with "
                   "`python -m etl migrate` (a copy of the old one is kept in `data/backups/`), then refresh.")
        return False
    if not has_data():
        st.info("**No data loaded yet.** Put the month's log files (CSV or Excel) in `data/inbox/` and run "
                "`python -m etl load data/inbox`, or build the demo with `python -m etl demo`. "
                "Then refresh this page.", icon=":material/upload_file:")
        return False
    return True


def _delta(ind, now, before) -> str | None:
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)) or isinstance(now, bool):
        return None
    if ind.unit == "rate":
        return f"{(now - before) * 100:+.1f} pts"
    if before == 0:
        return None
    return f"{(now - before) / before * 100:+.0f} %"


def tiles(ctx: Context, ids: list[str], compare: bool = True, columns: int | None = None) -> None:
    """KPI tiles: the released figure, the change on the same period a year earlier (named on the
    tile: a seasonal dip is not a decline), the definition as help; "no data" before the first load."""
    now = released(ctx)
    _, base = frame.comparisons(ctx) if compare else (None, None)  # the same period a year earlier
    before = released(ctx, base) if base is not None else {}
    firsts = _first_dates(ctx.version, str(db.db_path()))
    flags = _flags(ctx)
    cols = st.columns(columns or len(ids))
    notes = []
    for i, id_ in enumerate(ids):
        ind = REGISTRY[id_]
        empty = quality.before_data(ind.service, ctx.period, firsts)
        d = None if (base is None or empty or quality.before_data(ind.service, base, firsts)) else \
            _delta(ind, now.get(id_), before.get(id_))
        if id_ == "outreach.new_people" and not empty and _first_year(ctx.period, firsts):
            notes.append("New people: the first year loaded, so everyone counts as new.")
        elif id_ == "outreach.new_people" and base is not None and not empty and _first_year(base, firsts):
            # against a first year, where everyone was new, any later year looks like a fall; said
            # even when that year's figure is hidden outside the staff view (no change to show anyway)
            d = None
            notes.append(f"New people: not compared with {charts.period_name(base)}, the first year loaded "
                         "(everyone was new then).")
        band = suppress.rounded_bounds(now.get(id_))
        if band is not None and not empty:
            notes.append(f"{ind.label}: rounded to the nearest {suppress.threshold()} ({band[0]:,} to {band[1]:,}), "
                         "so that its difference with another count of people cannot be worked out.")
        if flags.get(id_):
            notes.append(f"{ind.label}: the monthly review flags {', '.join(flags[id_])} as outside the usual "
                         "range; see Monthly review.")
        help_ = f"{ind.definition} (`{ind.id}`)"
        if base is not None:
            help_ += f" Change: on the same period a year earlier, {base} ({base.start:%d %b %Y} – {base.end:%d %b %Y})."
        if now.get(id_) == release.NOT_RELEASED:
            help_ += " Outside the staff view bad date reports are given for whole fiscal quarters and years only."
        flat = d is not None and d.lstrip("+-").startswith(("0 %", "0.0 pts"))  # no change: neither green nor red
        if flags.get(id_):
            help_ += f" The monthly review flags {', '.join(flags[id_])}: outside the usual range."
        cols[i % len(cols)].metric(ind.label,
                                   "no data" if empty else indicators.fmt(ind, now.get(id_)),
                                   delta=d.lstrip("+-") if flat else d,
                                   delta_color="off" if ind.id.startswith("bad_dates") or flat else
                                   "inverse" if ind.id == "suite.turnaways_full" else "normal",
                                   delta_arrow="off" if flat else "auto",
                                   delta_description=f"on {charts.period_name(base)}" if d else None,
                                   help=help_, border=True)
    for n in notes:
        st.caption(n)


def target_bars(ctx: Context, progress: pd.DataFrame, fy) -> None:
    """The year's targets as progress bars, two abreast: actual of target, and the status in words."""
    if progress.empty:
        st.caption(f"No targets loaded for {fy.label}: load a `targets` log (fiscal_year, indicator, target).")
        return
    cols = st.columns(2, gap="large")
    for i, r in enumerate(progress.to_dict("records")):
        ind = REGISTRY[r["id"]]
        share = r["progress"] if r["progress"] is not None and pd.notna(r["progress"]) else None
        text = (f"**{r['indicator']}**: {indicators.fmt(ind, r['actual'])} of {indicators.fmt(ind, r['target'])}"
                + (f" ({share * 100:.0f} %)" if share is not None else "") + f" · {r['status']}"
                + (f" · {r['flag']}" if r.get("flag") else ""))
        cols[i % 2].progress(min(1.0, share or 0.0), text=text)


def _first_year(p, firsts: dict) -> bool:
    """True when `p` starts within a year of the first outreach contact loaded: everyone is new then."""
    first = firsts.get("outreach")
    return p is not None and first is not None and p.start < periods.add_months(first, 12)


def _flags(ctx: Context) -> dict:
    """{indicator id: [months]} the monthly review flags inside the context's period."""
    return _review_flags(ctx.version, str(db.db_path()), ctx.period.start, ctx.period.end, ctx.today, ctx.suppressed)


@st.cache_data(show_spinner=False, max_entries=32)
def _review_flags(version: str, path: str, start, end, today, suppressed: bool) -> dict:
    del version
    from metrics import targets
    return targets.review_flags(periods.Period(start, end), today, suppressed, path) if has_data() else {}


@st.cache_data(show_spinner=False, max_entries=8)
def _first_dates(version: str, path: str) -> dict:
    del version
    return quality.first_dates(path) if has_data() else {}


def _fmt_cell(v) -> str:
    if isinstance(v, str):
        return v
    return f"{int(v):,}"


def _bucket_label(b, grain: str) -> str:
    if isinstance(b, str):
        return b
    d = pd.Timestamp(b).date()
    if grain == "month":
        return f"{d:%b %Y}"
    if grain == "quarter":
        return periods.quarter_label(d)
    if grain == "year":
        return periods.fy_label(periods.fy_start_year(d))
    return f"week of {d:%d %b %Y}"


def table(df: pd.DataFrame, name: str, ctx: Context, grain: str | None = None) -> None:
    """A released (or exact) table on screen, with a CSV download of exactly what is shown."""
    if df.empty:
        return
    shown = df.copy()
    shown.index = [_bucket_label(b, grain or ctx.grain) for b in shown.index]
    shown.columns = [charts.label(c) for c in shown.columns]
    shown = shown.map(_fmt_cell)
    st.dataframe(shown, width="stretch")
    csv = io.StringIO()
    out = shown.copy()
    out.index.name = "period"
    out.to_csv(csv)
    note = "" if ctx.staff else "\n" + release.footnote()
    from .downloads import offer  # every download goes through the one guard in ui/downloads.py
    offer("Download this table (CSV)", (csv.getvalue() + note).encode("utf-8"),
          file_name=f"{name}_{ctx.period.start}_{ctx.period.end}{'_EXACT' if ctx.staff else ''}.csv",
          mime="text/csv", key=f"dl_{name}_{grain}", viewer=ctx.viewer, page=name,
          detail=f"csv, {'exact' if ctx.staff else 'suppressed'}, {ctx.period.start} to {ctx.period.end}")
    if not ctx.staff:
        st.caption(release.footnote())


def drawing(ctx: Context, measure: str, grain: str | None = None, totals_only: bool = False):
    """(the honest drawing of a measure: charts.choose over the released tables, or None;
    the released table at the grain asked for, or None when this audience has none or it is empty)."""
    asked = grain or ctx.grain
    try:
        tbl = breakdown(ctx, measure, asked).table
    except release.NotExternal:
        tbl = None
    return (charts.choose(lambda g: breakdown(ctx, measure, g), asked, ctx.suppressed, totals_only),
            None if tbl is None or tbl.empty else tbl)


def nothing_to_draw(title: str, ctx: Context, unit: str, got) -> str:
    """The sentence that stands in for a chart with nothing to draw: the period's released total."""
    if got is None:
        return f"{title}: no data in {ctx.period}."
    total = got.loc["Total", "Total"]
    if isinstance(total, str):
        return (f"{title}, {ctx.period}: the total is hidden ({total}) to protect privacy, so there is no "
                "chart; the table shows what can be shown.")
    return (f"{title}, {ctx.period}: {int(total):,} {unit} in all. Every {ctx.grain}, quarter and the year "
            "include a hidden count, so there is no chart; the table shows what can be shown.")


def trend(ctx: Context, measure: str, title: str, y_title: str, scope: str, show_table: bool = True,
          kind: str = "stacked") -> None:
    """A measure over time by category, drawn from the released table only, by the honest rule
    (metrics.charts.drawable): every bucket at its released total, a withheld breakdown as a grey
    "withheld" part, quarters then the year when most buckets are hidden, a sentence when nothing can be drawn."""
    m = series.MEASURES[measure]
    d, got = drawing(ctx, measure, totals_only=kind == "total")
    if got is None and d is None and ctx.suppressed:
        try:
            breakdown(ctx, measure, ctx.grain)
        except release.NotExternal:
            st.info(f"{title}: given for whole fiscal quarters and years only outside the staff view.")
            return
    if d is None:
        st.info(nothing_to_draw(title, ctx, m.unit, got))
    else:
        through = min(ctx.period.end, ctx.today)
        meta = {"measure": measure, "from": ctx.period.start.isoformat(), "to": ctx.period.end.isoformat()}
        if kind == "total":
            fig = charts.line(d.totals, f"{title}, by {d.grain}, {ctx.period}", y_title, annotations(ctx, scope),
                              grain=d.grain, through=through, meta=meta)
        else:
            fig = charts.stacked_bars(d, f"{title}, by {d.grain}, {ctx.period}", y_title, annotations(ctx, scope),
                                      through=through, meta=meta)
        charts.show(fig)
        merged = (f"Merged into 'all others' for privacy: {', '.join(charts.label(c) for c in d.merged)}."
                  if d.merged else "")
        st.caption(" ".join(x for x in [m.definition, merged, charts.withheld_note(d, kind == "total")] if x))
    if show_table and got is not None:  # the table of the drawn grain (the year's is one row: then the asked one)
        grain = d.grain if d is not None and d.grain != "year" else ctx.grain
        tbl = got if grain == ctx.grain else breakdown(ctx, measure, grain).table
        with st.expander(f"Table: {title.lower()} by {grain}"):
            table(tbl, measure, ctx, grain)


ORDER = {"referrals_by_status": ["made", "pending", "attended", "not_attended", "declined"],
         "requests_by_outcome": ["admitted", "full", "not_eligible", "withdrawn"],
         "stays_by_length": ["1 night", "2-3 nights", "4-7 nights", "8-14 nights", "15+ nights"],
         "referrals_by_outcome_time": ["0-7 days", "8-14 days", "15-30 days", "over 30 days"]}


def category_bars(ctx: Context, measure: str, title: str, x_title: str, leave_out=()) -> None:
    """Totals by category for the period (hidden categories left out of the chart and named)."""
    m = series.MEASURES[measure]
    try:
        br = breakdown(ctx, measure, "year")
    except release.NotExternal:
        st.info(f"{title}: given for whole fiscal quarters and years only outside the staff view.")
        return
    if br.table.empty:
        st.info(f"{title}: nothing to show for {ctx.period}.")
        return
    out = {str(c): v for c, v in br.table.loc["Total"].items()}
    numeric = pd.Series({c: v for c, v in out.items() if c != "Total" and c not in leave_out
                         and not isinstance(v, str)}, dtype="int64")
    if numeric.empty:
        st.info(f"{title}: every category is suppressed for {ctx.period}.")
        return
    if set(numeric.index) <= {"all"}:  # folded for privacy: a title must not promise a breakdown
        st.info(f"{title}: the categories are too small to show apart, so they are merged for privacy "
                f"({int(numeric.sum()):,} in all for {ctx.period}).")
    else:
        charts.show(charts.bars(numeric, f"{title}, {ctx.period}", x_title, order=ORDER.get(measure)), columns=2)
    hidden = [c for c, v in out.items() if isinstance(v, str) and c != "Total"]
    st.caption(m.definition + (f" Not drawn (suppressed): {', '.join(charts.label(c) for c in hidden)}." if hidden else "")
               + (f" Merged into 'all others' for privacy: {', '.join(charts.label(c) for c in br.merged)}."
                  if br.merged else ""))
    with st.expander(f"Table: {title.lower()}"):
        t = pd.DataFrame({"value": list(out.values())}, index=list(out.keys()), dtype=object)
        t.columns = [m.unit]
        table(t, measure + "_total", ctx, grain="category")


def definitions(ids: list[str]) -> None:
    with st.expander("Definitions"):
        for i in ids:
            ind = REGISTRY[i]
            st.markdown(f"**{ind.label}** (`{ind.id}`): {ind.definition}")
        st.markdown(f"**Suppression:** {release.footnote()}")


def staff_only(ctx: Context, what: str) -> bool:
    """True in the staff view (a staff account with the Staff audience chosen); otherwise a note,
    and False. The audience, not the account, decides: a staff account switched to External for a
    board meeting or a projector shows only what may be handed out."""
    if ctx.staff:
        return True
    if ctx.viewer is not None and ctx.viewer.is_staff:
        st.info(f"{what}: choose the Staff audience in the sidebar to see this page (not in front of a room).")
    else:
        st.info(f"{what}: sign in with a staff account to see this page.")
    return False


def columns(n: int):
    return st.columns(n, gap="large")


def trend_fixed(ctx: Context, measure: str, title: str, y_title: str, scope: str, grain: str) -> None:
    """A trend at a fixed grain whatever the sidebar says (bad dates: quarters only)."""
    from dataclasses import replace
    trend(replace(ctx, grain=grain), measure, title, y_title, scope)


def quarter_context(ctx: Context) -> Context | None:
    """The context with its period widened to whole fiscal quarters (bad date reports); outside
    the staff view only quarters that have ended, so None when the period holds none."""
    from dataclasses import replace
    start = periods.fiscal_quarter(ctx.period.start).start
    end = periods.fiscal_quarter(ctx.period.end)
    if ctx.suppressed:
        while end.end >= ctx.today.replace(day=1) and end.start > start:
            end = periods.fiscal_quarter(end.start - dt.timedelta(days=1))
        p = periods.labelled(start, end.end)
        if periods.fy_start_year(p.start) != periods.fy_start_year(p.end) or \
                release.external_span(p, ctx.today, quarters_only=True) is None:
            return None
        return replace(ctx, period=p, grain="quarter")
    if end.end > ctx.today and end.start > start:
        end = periods.fiscal_quarter(end.start - dt.timedelta(days=1))
    return replace(ctx, period=periods.labelled(start, end.end), grain="quarter")


def days_to_outcome(ctx: Context) -> None:
    """Referrals by days from the referral to its outcome, from the released table."""
    category_bars(ctx, "referrals_by_outcome_time", "Time from referral to outcome", "referrals",
                  leave_out=("no outcome date",))


def occupancy_calendar(ctx: Context) -> None:
    """Staff: a day-by-day calendar of nights. External: occupancy by month (never a day)."""
    if ctx.staff:
        df = detail.nights_by_day(ctx.period, ctx.today, db.db_path())
        occupied = {pd.Timestamp(d).date(): int(n) for d, n in zip(df["night"], df["guests"])}
        months = []
        d = ctx.period.start.replace(day=1)
        while d <= ctx.period.end and len(months) < 24:
            months.append(d)
            d = periods.add_months(d, 1)
        z, text = [], []
        for m in months:
            row, trow = [], []
            for day in range(1, 32):
                try:
                    date = m.replace(day=day)
                except ValueError:
                    row.append(None)
                    trow.append("")
                    continue
                inside = ctx.period.start <= date <= min(ctx.period.end, ctx.today)
                row.append(min(occupied.get(date, 0), 1) if inside else None)
                trow.append(f"{date:%a %d %b %Y}: " + ("occupied" if occupied.get(date) else "empty") if inside else "")
            z.append(row)
            text.append(trow)
        fig = charts.go.Figure(charts.go.Heatmap(
            z=z, x=list(range(1, 32)), y=[f"{m:%b %Y}" for m in months], text=text, hoverinfo="text",
            colorscale=[[0, "#f0f0f0"], [1, charts.PALETTE[0]]], showscale=False, xgap=2, ygap=2, zmin=0, zmax=1))
        fig.update_layout(title=f"Nights occupied (blue) by day, {ctx.period}", height=120 + 30 * len(months),
                          yaxis=dict(autorange="reversed", showgrid=False), xaxis=dict(title="day of month", dtick=1, showgrid=False))
        charts.show(fig)
        st.caption("Staff view only: a day-by-day calendar can show when one person stayed, so the external view "
                   "shows occupancy by month instead.")
        return
    br = breakdown(ctx, "nights_by_period", "month")
    if br.table.empty:
        st.info("Safe Suite: no nights in this period.")
        return
    rows = []
    for b, n in br.table.drop(index="Total")["Total"].items():
        m = periods.month(pd.Timestamp(b).date())
        rows.append((m.start, None if isinstance(n, str) else n / (m.days * db.suite_units())))
    s = pd.Series({d: r for d, r in rows}, dtype="float64")
    fig = charts.go.Figure(charts.go.Bar(x=list(s.index), y=(s * 100).values, marker_color=charts.PALETTE[0],
                                         text=[f"{v * 100:.0f} %" if pd.notna(v) else "" for v in s.values],
                                         textposition="auto"))
    fig.update_layout(title=f"Safe Suite occupancy by month, {ctx.period}", yaxis_title="% of nights occupied",
                      yaxis_range=[0, 100], height=380, showlegend=False)
    charts.mark(fig, frame.annotations(ctx, "safe_suite"))
    charts.show(fig)
    st.caption("Guest nights / nights in the month. A month whose guest nights are suppressed is not drawn.")


def friday_sessions(ctx: Context) -> None:
    """Staff: attendance per session, special events marked. External: by month and group."""
    if ctx.suppressed:  # a session is a day: outside the staff view, months and quarters only
        trend(ctx, "attendance_by_group", "Friday attendance by group", "attendances", "friday_network",
              show_table=False)
        events = release.events(ctx.period, True, db.db_path())
        if events:
            st.caption("Special events: " + "; ".join(f"{m}: {e}" for m, e in events))
        return
    df = detail.friday_sessions(ctx.period, db.db_path())
    if df.empty:
        st.info("Friday Network: no sessions in this period.")
        return
    fig = charts.go.Figure()
    fig.add_bar(x=df["session_date"], y=df["attendance"], marker_color=charts.PALETTE[0], name="attendance")
    ev = df[df["event"].notna()]
    fig.add_scatter(x=ev["session_date"], y=ev["attendance"] + 2, mode="markers", name="special event",
                    marker=dict(symbol="star", size=16, color=charts.PALETTE[1]), text=ev["event"],
                    hovertemplate="%{x|%d %b %Y}: %{text}<extra></extra>")
    fig.update_layout(title=f"Attendance per Friday session, {ctx.period} (★ special event)",
                      yaxis_title="attendees", height=420)
    charts.mark(fig, frame.annotations(ctx, "friday_network"))
    charts.show(fig)
    if not ev.empty:
        with st.expander("Special events"):
            st.dataframe(ev[["session_date", "event", "attendance"]].rename(columns={"session_date": "session"}),
                         hide_index=True, width="stretch")


def friday_returning(ctx: Context) -> None:
    """People by how many sessions they came to: staff view only (people, not linked over time)."""
    if ctx.suppressed:
        st.caption("How often people came back is shown in the staff view only: counts of people by visits "
                   "cannot be linked with the other released tables, so they are not released.")
        return
    counts = detail.friday_returning(ctx.period, db.db_path())
    if not sum(counts.values()):
        st.info("Friday attendees with a code: none in this period.")
        return
    numeric = pd.Series(counts, dtype="int64")
    charts.show(charts.bars(numeric, f"Attendees by sessions attended, {ctx.period}", "people",
                            order=list(numeric.index)), columns=2)
    st.caption("People (client codes) by how many sessions they came to in the period: unique and returning attendees.")
