"""Tiles, trend charts and tables, each with its definition one click away."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import streamlit as st

from etl.schema import SCHEMA_VERSION
from metrics import charts, db, indicators, periods, quality, series, suppress
from metrics.indicators import REGISTRY

from . import frame
from .frame import Context, annotations, breakdown, has_data, released


def page_header(title: str, question: str, ctx: Context) -> bool:
    """Title, one line of context, the banner; False (with help) when there is no data."""
    from .frame import banner
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
    base = periods.year_earlier(ctx.period)
    before = released(ctx, base) if compare else {}
    firsts = _first_dates(ctx.version, str(db.db_path()))
    cols = st.columns(columns or len(ids))
    for i, id_ in enumerate(ids):
        ind = REGISTRY[id_]
        empty = quality.before_data(ind.service, ctx.period, firsts)
        d = None if (not compare or empty or quality.before_data(ind.service, base, firsts)) else \
            _delta(ind, now.get(id_), before.get(id_))
        help_ = f"{ind.definition} (`{ind.id}`)"
        if compare:
            help_ += f" Change: on the same period a year earlier, {base} ({base.start:%d %b %Y} – {base.end:%d %b %Y})."
        cols[i % len(cols)].metric(ind.label, "no data" if empty else indicators.fmt(ind, now.get(id_)), delta=d,
                                   delta_color="off" if ind.id.startswith("bad_dates") else
                                   "inverse" if ind.id == "suite.turnaways_full" else "normal",
                                   delta_description=f"on {charts.period_name(base)}" if d else None,
                                   help=help_, border=True)


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
    """A suppressed (or exact) table on screen, with a CSV download of exactly what is shown."""
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
    note = "" if ctx.staff else "\n" + suppress.footnote()
    st.download_button("Download this table (CSV)", (csv.getvalue() + note).encode("utf-8"),
                       file_name=f"{name}_{ctx.period.start}_{ctx.period.end}{'_EXACT' if ctx.staff else ''}.csv",
                       mime="text/csv", key=f"dl_{name}_{grain}")
    if not ctx.staff:
        st.caption(suppress.footnote())


def trend(ctx: Context, measure: str, title: str, y_title: str, scope: str, show_table: bool = True,
          kind: str = "stacked") -> None:
    """A measure over time by category, drawn from the suppressed table only."""
    m = series.MEASURES[measure]
    long = breakdown(ctx, measure)
    tbl, chart = series.crosstab(long, m.disclosive, ctx.suppressed)
    full_title = f"{title}, by {ctx.grain}, {ctx.period}"
    if chart.empty:
        st.info(f"{title}: nothing to show for {ctx.period}" +
                (" (every point is suppressed)" if not long.empty else "") + ".")
        return
    if kind == "total":
        fig = charts.line(chart.sum(axis=1), full_title, y_title, annotations(ctx, scope), grain=ctx.grain,
                          through=min(ctx.period.end, ctx.today))
    else:
        fig = charts.stacked_bars(chart, full_title, y_title, annotations(ctx, scope), grain=ctx.grain,
                                  through=min(ctx.period.end, ctx.today))
    hidden = len(tbl) - 1 - len(chart)
    if ctx.grain in ("quarter", "year"):  # name the buckets as the fiscal calendar does
        fig.update_xaxes(tickvals=list(chart.index), ticktext=[_bucket_label(b, ctx.grain) for b in chart.index])
    charts.show(fig)
    caption = m.definition
    if hidden > 0:
        caption += f" {hidden} {ctx.grain}(s) not drawn: they include a suppressed count."
    st.caption(caption)
    if show_table:
        with st.expander(f"Table: {title.lower()} by {ctx.grain}"):
            table(tbl, measure, ctx)


ORDER = {"referrals_by_status": ["made", "pending", "attended", "not_attended", "declined"],
         "requests_by_outcome": ["admitted", "full", "not_eligible", "withdrawn"],
         "stays_by_length": ["1 night", "2-3 nights", "4-7 nights", "8-14 nights", "15+ nights"]}


def category_bars(ctx: Context, measure: str, title: str, x_title: str) -> None:
    """Totals by category for the period (suppressed categories left out of the chart)."""
    m = series.MEASURES[measure]
    long = breakdown(ctx, measure, "year")
    if long.empty:
        st.info(f"{title}: nothing to show for {ctx.period}.")
        return
    totals = long.groupby("category")["value"].sum()
    cells = {c: int(v) for c, v in totals.items()}
    cells["Total"] = int(totals.sum())
    if ctx.suppressed and m.disclosive:
        out = suppress.complementary(cells, [list(cells)])
    else:
        out = cells
    numeric = pd.Series({c: v for c, v in out.items() if c != "Total" and not isinstance(v, str)}, dtype="int64")
    if numeric.empty:
        st.info(f"{title}: every category is suppressed for {ctx.period}.")
        return
    charts.show(charts.bars(numeric, f"{title}, {ctx.period}", x_title, order=ORDER.get(measure)), columns=2)
    hidden = [c for c, v in out.items() if isinstance(v, str) and c != "Total"]
    st.caption(m.definition + (f" Not drawn (suppressed): {', '.join(charts.label(c) for c in hidden)}." if hidden else ""))
    with st.expander(f"Table: {title.lower()}"):
        t = pd.DataFrame({"value": list(out.values())}, index=list(out.keys()))
        t.columns = [m.unit]
        table(t, measure + "_total", ctx, grain="category")


def definitions(ids: list[str]) -> None:
    with st.expander("Definitions"):
        for i in ids:
            ind = REGISTRY[i]
            st.markdown(f"**{ind.label}** (`{ind.id}`): {ind.definition}")
        st.markdown(f"**Suppression:** {suppress.footnote()}")


def staff_only(ctx: Context, what: str) -> bool:
    """True for a staff viewer; for anyone else a note, and False."""
    if ctx.viewer is not None and ctx.viewer.is_staff:
        return True
    st.info(f"{what}: sign in with a staff account to see this page.")
    return False


def columns(n: int):
    return st.columns(n, gap="large")


def trend_fixed(ctx: Context, measure: str, title: str, y_title: str, scope: str, grain: str) -> None:
    """A trend at a fixed grain whatever the sidebar says (bad dates: quarters only)."""
    from dataclasses import replace
    trend(replace(ctx, grain=grain), measure, title, y_title, scope)


def quarter_context(ctx: Context) -> Context:
    """The context with its period widened to whole fiscal quarters (bad date reports)."""
    from dataclasses import replace
    start = periods.fiscal_quarter(ctx.period.start).start
    end = periods.fiscal_quarter(ctx.period.end)
    if end.end > ctx.today and end.start > start:
        end = periods.fiscal_quarter(end.start - dt.timedelta(days=1))
    return replace(ctx, period=periods.labelled(start, end.end), grain="quarter")


def _released_counts(ctx: Context, counts: dict, disclosive: bool = True) -> dict:
    cells = dict(counts)
    cells["Total"] = sum(counts.values())
    return suppress.complementary(cells, [list(cells)]) if (ctx.suppressed and disclosive) else cells


def days_to_outcome(ctx: Context) -> None:
    df = frame.query(ctx, """
        with resolved as (
          select status_date - referral_date as days from core.referrals
          where referral_date between $from and $to and status_date is not null
            and status in ('attended', 'not_attended', 'declined')
        ),
        final as (
          select case when days <= 7 then '0-7 days' when days <= 14 then '8-14 days'
                      when days <= 30 then '15-30 days' else 'over 30 days' end as bucket, count(*) as n
          from resolved group by all
        )
        select * from final""", **{"from": ctx.period.start, "to": ctx.period.end})
    if df.empty:
        st.info("Time from referral to outcome: no resolved referrals with an outcome date in this period.")
        return
    order = ["0-7 days", "8-14 days", "15-30 days", "over 30 days"]
    counts = {b: int(df.loc[df.bucket == b, "n"].sum()) for b in order}
    out = _released_counts(ctx, counts)
    numeric = pd.Series({b: out[b] for b in order if not isinstance(out[b], str)}, dtype="int64")
    if not numeric.empty:
        fig = charts.go.Figure(charts.go.Bar(x=list(numeric.index), y=numeric.values, marker_color=charts.PALETTE[0],
                                             text=[f"{v:,}" for v in numeric.values], textposition="auto"))
        fig.update_layout(title=f"Time from referral to outcome, {ctx.period}", yaxis_title="referrals",
                          height=380, showlegend=False)
        charts.show(fig)
    st.caption("Days from the referral date to the status date, for referrals attended, not attended or declined."
               + (" Suppressed buckets are not drawn." if len(numeric) < len(order) else ""))


def occupancy_calendar(ctx: Context) -> None:
    """Staff: a day-by-day calendar of nights. External: occupancy by month (never a day)."""
    if ctx.staff:
        df = frame.query(ctx, """
            with nights as (
              select unnest(generate_series(greatest(check_in, $from::date),
                     case when check_out is null then least($to::date, $today::date)
                          else least(check_out - 1, $to::date) end, interval 1 day))::date as night
              from marts.suite_stays
            ),
            final as (select night, count(*) as guests from nights group by night)
            select * from final order by night""",
            **{"from": ctx.period.start, "to": ctx.period.end, "today": ctx.today})
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
    long = frame.breakdown(ctx, "nights_by_period", "month")
    if long.empty:
        st.info("Safe Suite: no nights in this period.")
        return
    rows = []
    for b, n in zip(long["bucket"], long["value"]):
        m = periods.month(pd.Timestamp(b).date())
        days = (min(m.end, ctx.period.end, ctx.today) - max(m.start, ctx.period.start)).days + 1
        rate = suppress.rate(n / (days * db.suite_units()), n, None)
        rows.append((m.start, None if isinstance(rate, str) else rate))
    s = pd.Series({d: r for d, r in rows}, dtype="float64")
    fig = charts.go.Figure(charts.go.Bar(x=list(s.index), y=(s * 100).values, marker_color=charts.PALETTE[0],
                                         text=[f"{v * 100:.0f} %" if pd.notna(v) else "" for v in s.values],
                                         textposition="auto"))
    fig.update_layout(title=f"Safe Suite occupancy by month, {ctx.period}", yaxis_title="% of nights occupied",
                      yaxis_range=[0, 100], height=380, showlegend=False)
    charts.mark(fig, frame.annotations(ctx, "safe_suite"))
    charts.show(fig)
    st.caption("Guest nights / nights in the month. A month with fewer than "
               f"{suppress.threshold()} guest nights is not drawn.")


def friday_sessions(ctx: Context) -> None:
    """Attendance per session, special events marked."""
    df = frame.query(ctx, """
        with final as (
          select session_date, count(*) as attendance, max(event) as event
          from core.friday_network where session_date between $from and $to group by session_date
        )
        select * from final order by session_date""", **{"from": ctx.period.start, "to": ctx.period.end})
    if df.empty:
        st.info("Friday Network: no sessions in this period.")
        return
    if ctx.suppressed:
        df = df[df["attendance"] >= suppress.threshold()]
        if ctx.grain != "week":  # whole months outside the staff view: a session is a day
            by_month = frame.breakdown(ctx, "attendance_by_group")
            tbl, chart = series.crosstab(by_month, True, True)
            if chart.empty:
                st.info("Friday attendance: every month is suppressed in this period.")
                return
            fig = charts.stacked_bars(chart, f"Friday attendance by {ctx.grain} and group, {ctx.period}",
                                      "attendances", frame.annotations(ctx, "friday_network"))
            charts.show(fig)
            events = frame.query(ctx, """select distinct date_trunc('month', session_date)::date as month, event
                                        from core.friday_network where session_date between $from and $to
                                        and event is not null order by 1""",
                                 **{"from": ctx.period.start, "to": ctx.period.end})
            if not events.empty:
                st.caption("Special events: " + "; ".join(
                    f"{pd.Timestamp(m):%b %Y}: {e}" for m, e in zip(events["month"], events["event"])))
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
    df = frame.query(ctx, """
        with visits as (
          select person_key, count(distinct session_date) as n from core.friday_network
          where session_date between $from and $to and person_key is not null group by person_key
        ),
        final as (
          select case when n = 1 then 'came once' when n <= 4 then '2-4 sessions' else '5 or more sessions' end
                 as bucket, count(*) as people from visits group by all
        )
        select * from final""", **{"from": ctx.period.start, "to": ctx.period.end})
    order = ["came once", "2-4 sessions", "5 or more sessions"]
    counts = {b: int(df.loc[df.bucket == b, "people"].sum()) for b in order}
    if not sum(counts.values()):
        st.info("Friday attendees with a code: none in this period.")
        return
    out = _released_counts(ctx, counts)
    numeric = pd.Series({b: out[b] for b in order if not isinstance(out[b], str)}, dtype="int64")
    if not numeric.empty:
        charts.show(charts.bars(numeric, f"Attendees by sessions attended, {ctx.period}", "people", order=order),
                    columns=2)
    st.caption("People (client codes) by how many sessions they came to in the period: unique and returning attendees.")
