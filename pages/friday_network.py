"""Friday Afternoon Network: who comes to the weekly meal, and how often they come back."""
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("Friday Afternoon Network", "Who comes to the weekly meal, and how often they come back", ctx):
    ids = ["friday.sessions", "friday.attendance", "friday.avg_attendance", "friday.people",
           "friday.alumni_attendance"]
    widgets.tiles(ctx, ids)
    widgets.friday_sessions(ctx)
    left, right = widgets.columns(2)
    with left:
        widgets.category_bars(ctx, "attendance_by_group", "Attendance by group", "attendances")
    with right:
        widgets.friday_returning(ctx)
    widgets.definitions(ids)
