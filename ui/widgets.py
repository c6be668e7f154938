"""Tiles, trend charts and tables, each with its definition one click away."""
from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from metrics import charts, indicators, periods, series, suppress
from metrics.indicators import REGISTRY

from .frame import Context, annotations, breakdown, figures, has_data, released


def page_header(title: str, question: str, ctx: Context) -> bool:
    """Title, one line of context, the banner; False (with help) when there is no data."""
    from .frame import banner
    st.title(title)
    dates = f"{ctx.period.start:%d %b %Y} – {ctx.period.end:%d %b %Y}"
    st.caption(f"{question} · **{ctx.period.label}** ({dates})" if ctx.period.label else f"{question} · **{dates}**")
    banner(ctx)
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
    """KPI tiles: the released figure, the change on the previous period, the definition as help."""
    now = released(ctx)
    prev_p = periods.previous(ctx.period)
    before = released(ctx, prev_p) if compare else {}
    cols = st.columns(columns or len(ids))
    for i, id_ in enumerate(ids):
        ind = REGISTRY[id_]
        d = _delta(ind, now.get(id_), before.get(id_)) if compare else None
        help_ = f"{ind.definition} (`{ind.id}`)"
        if compare:
            help_ += f" Change: on {prev_p}."
        cols[i % len(cols)].metric(ind.label, indicators.fmt(ind, now.get(id_)), delta=d,
                                   delta_color="off" if ind.id.startswith("bad_dates") else "normal",
                                   help=help_, border=True)


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
        fig = charts.line(chart.sum(axis=1), full_title, y_title, annotations(ctx, scope))
    else:
        fig = charts.stacked_bars(chart, full_title, y_title, annotations(ctx, scope))
    hidden = len(tbl) - 1 - len(chart)
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False})
    caption = m.definition
    if hidden > 0:
        caption += f" {hidden} {ctx.grain}(s) not drawn: they include a suppressed count."
    st.caption(caption)
    if show_table:
        with st.expander(f"Table: {title.lower()} by {ctx.grain}"):
            table(tbl, measure, ctx)


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
    st.plotly_chart(charts.bars(numeric, f"{title}, {ctx.period}", x_title), width="stretch",
                    config={"displaylogo": False})
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
