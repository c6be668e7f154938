"""Outreach: how many contacts, with whom, how, and what was delivered."""
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("Outreach", "How many people outreach reached, how, and what support they got", ctx):
    ids = ["outreach.contacts", "outreach.people", "outreach.new_people", "outreach.anonymous_contacts",
           "outreach.support_hours"]
    widgets.tiles(ctx, ids)
    widgets.trend(ctx, "contacts_by_mode", "Outreach contacts by mode", "contacts", "outreach")
    left, right = widgets.columns(2)
    with left:
        widgets.category_bars(ctx, "contacts_by_worker_group", "Contacts by worker group", "contacts")
    with right:
        widgets.category_bars(ctx, "services_by_type", "Services delivered", "services")
    widgets.trend(ctx, "contacts_by_kind", "New, returning and anonymous contacts", "contacts", "outreach")
    widgets.definitions(ids)
