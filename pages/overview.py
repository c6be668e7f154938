"""Overview: is the program reaching people, and is it on track for this year's targets?"""
import pandas as pd
import streamlit as st

from metrics import charts, indicators, targets
from metrics.indicators import REGISTRY
from shop import periods
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("SHOP at a glance", "Who the program reached and what it delivered", ctx):
    now = frame.released(ctx)
    prev_p, year_p = frame.comparisons(ctx)
    fy = periods.fiscal_year(periods.fy_start_year(ctx.period.start))
    progress = targets.progress(ctx.period.start, ctx.today, ctx.suppressed, figures=lambda p: frame.released(ctx, p))
    # the first screen answers "how are we doing?": one sentence, then the targets as bars
    sentence = targets.headline(progress, now, frame.released(ctx, year_p) if year_p else {},
                                charts.period_name(year_p) if year_p else None)
    if sentence:
        st.markdown(f"#### {sentence}")
    widgets.target_bars(ctx, progress, fy)

    widgets.tiles(ctx, ["program.people", "outreach.new_people", "outreach.contacts", "supplies.units"])
    widgets.tiles(ctx, ["referrals.made", "suite.guest_nights", "friday.attendance", "education.sessions"])

    shown, compared = [(str(ctx.period), now)], []
    if year_p is not None:  # a year earlier first: a seasonal dip is not a decline
        shown.append((f"a year earlier ({year_p})", frame.released(ctx, year_p)))
        compared.append(str(year_p))
    if prev_p is not None and prev_p != year_p:  # a fiscal year's previous period is the year earlier: said once
        shown.append((f"previous ({prev_p})", frame.released(ctx, prev_p)))
        compared.append(str(prev_p))
    with st.expander("Compared with " + " and ".join(compared)):
        rows = [{"indicator": REGISTRY[i].label, **{name: indicators.fmt(REGISTRY[i], figs.get(i)) for name, figs in shown}}
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
    for i, (measure, title, unit, scope) in enumerate(trends):
        with cols[i % 3]:
            d, got = widgets.drawing(ctx, measure, totals_only=True)
            if d is None:
                st.info(widgets.nothing_to_draw(title, ctx, unit, got))
                continue
            fig = charts.line(d.totals, f"{title} by {d.grain}", unit, frame.annotations(ctx, scope),
                              grain=d.grain, through=min(ctx.period.end, ctx.today),
                              meta={"measure": measure, "from": str(ctx.period.start), "to": str(ctx.period.end)})
            fig.update_layout(height=300, margin=dict(l=50, r=10, t=50, b=30), title_font_size=17)
            charts.show(fig, columns=3)
            if d.gaps or d.coarser:
                st.caption(charts.withheld_note(d, totals_only=True))

    with st.expander(f"Targets for {fy.label}: the table"):
        if progress.empty:
            st.info("No targets loaded for this fiscal year. Load a `targets` log "
                    "(fiscal_year, indicator, target) to see progress here.")
        else:
            st.dataframe(targets.display(progress), width="stretch", hide_index=True)
            span, _ = targets.actuals_period(ctx.period.start, ctx.today, ctx.suppressed)
            st.caption("Expected to date = target × share of the fiscal year elapsed, rounded up (a rate's target "
                       f"holds all year). On track means actual ≥ expected to date; once the year is over, a "
                       f"target is met or missed. Actuals cover {span}"
                       + (", whole months that have ended." if ctx.suppressed else "."))
    widgets.definitions(["program.people", "outreach.new_people", "outreach.contacts", "supplies.units",
                         "referrals.made", "suite.guest_nights", "friday.attendance", "education.sessions"])
