"""Safe Suite: how full the suite was, for how long people stayed, and who was turned away."""
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("Safe Suite", "How full the one-unit suite was, how long people stayed, and who was turned away", ctx):
    ids = ["suite.occupancy_rate", "suite.guest_nights", "suite.stays", "suite.people", "suite.turnaways_full"]
    widgets.tiles(ctx, ids)
    widgets.occupancy_calendar(ctx)
    widgets.trend(ctx, "nights_by_period", "Guest nights", "nights", "safe_suite", kind="total")
    left, right = widgets.columns(2)
    with left:
        widgets.category_bars(ctx, "stays_by_length", "Stays by length", "stays")
        widgets.category_bars(ctx, "stays_by_referral_source", "Who referred guests", "stays")
    with right:
        widgets.category_bars(ctx, "requests_by_outcome", "Requests by outcome", "requests")
        widgets.category_bars(ctx, "stays_by_exit_destination", "Where guests went next", "stays")
    widgets.definitions(ids)
