"""Overview: is the program reaching people, and is it on track for this year's targets?"""
import pandas as pd
import streamlit as st

from metrics import charts, indicators, periods, series, targets
from metrics.indicators import REGISTRY
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("SHOP at a glance", "Who the program reached and what it delivered", ctx):
    widgets.tiles(ctx, ["program.people", "outreach.new_people", "outreach.contacts", "supplies.units"])
    widgets.tiles(ctx, ["referrals.made", "suite.guest_nights", "friday.attendance", "education.sessions"])

    now, prev = frame.released(ctx), frame.released(ctx, periods.previous(ctx.period))
    prev_p, year_p = periods.previous(ctx.period), periods.year_earlier(ctx.period)
    same = (prev_p.start, prev_p.end) == (year_p.start, year_p.end)  # a fiscal year: said once
    year_ago = prev if same else frame.released(ctx, year_p)
    with st.expander(f"Compared with {year_p}" if same else f"Compared with {year_p} and {prev_p}"):
        rows = [{"indicator": REGISTRY[i].label, str(ctx.period): indicators.fmt(REGISTRY[i], now[i]),
                 f"a year earlier ({year_p})": indicators.fmt(REGISTRY[i], year_ago[i]),
                 **({} if same else {f"previous ({prev_p})": indicators.fmt(REGISTRY[i], prev[i])})}
                for i in REGISTRY]
        st.dataframe(pd.DataFrame(rows).set_index("indicator"), width="stretch")

    st.subheader("Trends by service")
    cols = st.columns(3)
    trends = [("contacts_by_mode", "Outreach contacts", "contacts", "outreach"),
              ("units_by_item", "Supply units", "units", "supplies"),
              ("referrals_by_type", "Referrals", "referrals", "referrals"),
              ("nights_by_period", "Safe Suite guest nights", "nights", "safe_suite"),
              ("attendance_by_group", "Friday attendance", "attendances", "friday_network"),
              ("sessions_by_topic", "Education sessions", "sessions", "education")]
    longs = frame.breakdowns(ctx, [t[0] for t in trends])
    for i, (measure, title, unit, scope) in enumerate(trends):
        with cols[i % 3]:
            long = longs[measure]
            tbl, _ = series.crosstab(long, series.MEASURES[measure].disclosive, ctx.suppressed)
            if tbl.empty:
                st.info(f"{title}: no data in this period.")
                continue
            total = tbl["Total"].drop(index="Total")
            numeric = pd.to_numeric(total.where(total.map(lambda v: not isinstance(v, str))), errors="coerce")
            fig = charts.line(numeric, f"{title} by {ctx.grain}", unit, frame.annotations(ctx, scope),
                              grain=ctx.grain, through=min(ctx.period.end, ctx.today))
            fig.update_layout(height=300, margin=dict(l=50, r=10, t=50, b=30), title_font_size=17)
            charts.show(fig, columns=3)

    st.subheader(f"Targets for {periods.fiscal_year(periods.fy_start_year(ctx.period.start)).label}")
    progress = targets.progress(ctx.period.start, ctx.today, ctx.suppressed, ctx.version,
                                figures=lambda p: frame.figures(ctx, p))
    if progress.empty:
        st.info("No targets loaded for this fiscal year. Load a `targets` log "
                "(fiscal_year, indicator, target) to see progress here.")
    else:
        st.dataframe(targets.display(progress), width="stretch", hide_index=True)
        st.caption("Expected to date = target × share of the fiscal year elapsed, rounded up (a rate's target "
                   "holds all year). On track means actual ≥ expected to date. Figures are for the fiscal year to date, as released to this audience.")
    widgets.definitions(["program.people", "outreach.new_people", "outreach.contacts", "supplies.units",
                         "referrals.made", "suite.guest_nights", "friday.attendance", "education.sessions"])
