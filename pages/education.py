"""Community education: sessions and attendees by audience and topic."""
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("Community education", "Who SHOP's education sessions reached, and on what topics", ctx):
    ids = ["education.sessions", "education.attendees"]
    widgets.tiles(ctx, ids, columns=4)
    widgets.trend(ctx, "sessions_by_topic", "Education sessions by topic", "sessions", "education")
    widgets.category_bars(ctx, "attendees_by_audience", "Attendees by audience", "attendees")
    widgets.st.caption("Safer-sex sessions include the Travelling Safer Sex Lady; human trafficking is its own topic.")
    widgets.definitions(ids)
