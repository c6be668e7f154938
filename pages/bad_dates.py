"""Bad date reports: counts by quarter and broad type only, never anything finer."""
from ui import frame, widgets

chosen = frame.context()
ctx = widgets.quarter_context(chosen)
st = widgets.st
if ctx is None:
    widgets.page_header("Bad date reports", "How many reports came in, of what broad kind, and what was done", chosen)
    st.info("Bad date reports are given outside the staff view for whole fiscal quarters and years that have "
            "ended only. Choose a fiscal quarter or a fiscal year in the sidebar.")
elif widgets.page_header("Bad date reports", "How many reports came in, of what broad kind, and what was done", ctx):
    ids = ["bad_dates.reports", "bad_dates.reported_to_police"]
    widgets.tiles(ctx, ids, columns=4)
    st.caption("Bad date reports are shown only by fiscal quarter and broad type, whatever the view.")
    widgets.trend_fixed(ctx, "reports_by_type", "Bad date reports by broad type", "reports", "bad_dates", "quarter")
    left, right = widgets.columns(2)
    with left:
        widgets.category_bars(ctx, "reports_by_police", "Reported to police", "reports")
    with right:
        widgets.category_bars(ctx, "reports_by_alert", "Alerts circulated", "reports")
    widgets.definitions(ids)
