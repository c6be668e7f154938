"""Supplies: what harm-reduction supplies went out, through which channels, and how anonymously."""
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("Harm-reduction supplies", "What went out, through which channels, and how much anonymously", ctx):
    ids = ["supplies.units", "supplies.condoms", "supplies.naloxone_kits", "supplies.online_units"]
    widgets.tiles(ctx, ids)
    widgets.trend(ctx, "units_by_item", "Supply units by item", "units", "supplies")
    left, right = widgets.columns(2)
    with left:
        widgets.category_bars(ctx, "units_by_channel", "Units by channel", "units")
    with right:
        widgets.category_bars(ctx, "units_by_reach", "How supplies reached people", "units")
    widgets.definitions(ids)
