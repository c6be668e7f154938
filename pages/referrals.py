"""Referrals: where people were referred, and whether they got there."""
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("Referrals", "Where people were referred and whether the referral was completed", ctx):
    ids = ["referrals.made", "referrals.people", "referrals.attended", "referrals.completion_rate"]
    widgets.tiles(ctx, ids)
    left, right = widgets.columns(2)
    with left:
        widgets.category_bars(ctx, "referrals_by_type", "Referrals by type", "referrals")
    with right:
        widgets.category_bars(ctx, "referrals_by_status", "Referral status", "referrals")
    widgets.trend(ctx, "referrals_by_status", "Referrals by status", "referrals", "referrals")
    widgets.days_to_outcome(ctx)
    widgets.definitions(ids)
