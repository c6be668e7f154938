"""SHOP program-evaluation dashboard: routes and frames. `make run` starts it."""
from pathlib import Path

import streamlit as st

from metrics import audit, review
from ui import access, frame

HERE = Path(__file__).parent
# a local icon: a :material/...: page icon is fetched from fonts.gstatic.com (nothing leaves the machine)
st.set_page_config(page_title="SHOP program dashboard", page_icon=str(HERE / "ui" / "icon.png"),
                   layout="wide", initial_sidebar_state="expanded")
st.html(HERE / "ui" / "style.css")  # tile labels wrap (style only: takes no space)

viewer = access.gate()
# The staff-only pages are listed only in the staff view: a staff account with the Staff audience
# chosen (the sidebar's radio keeps its choice in the session before this run). Elsewhere they are
# hidden, not missing, so that /audit or /data_quality says why (a refusal is logged).
staff_view = "visible" if viewer.is_staff and st.session_state.get("audience") == frame.STAFF else "hidden"
PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/outreach.py", title="Outreach", icon=":material/directions_walk:", url_path="outreach"),
    st.Page("pages/supplies.py", title="Supplies", icon=":material/inventory_2:", url_path="supplies"),
    st.Page("pages/referrals.py", title="Referrals", icon=":material/call_split:", url_path="referrals"),
    st.Page("pages/safe_suite.py", title="Safe Suite", icon=":material/bed:", url_path="safe_suite"),
    st.Page("pages/friday_network.py", title="Friday Network", icon=":material/restaurant:", url_path="friday_network"),
    st.Page("pages/bad_dates.py", title="Bad dates", icon=":material/report:", url_path="bad_dates"),
    st.Page("pages/education.py", title="Education", icon=":material/school:", url_path="education"),
    st.Page("pages/review.py", title="Monthly review", icon=":material/checklist:", url_path="review"),
    st.Page("pages/data_quality.py", title="Data quality", icon=":material/fact_check:", url_path="data_quality",
            visibility=staff_view),
    st.Page("pages/reports.py", title="Reports", icon=":material/description:", url_path="reports"),
    st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:", url_path="definitions"),
    st.Page("pages/audit.py", title="Audit log", icon=":material/shield_person:", url_path="audit",
            visibility=staff_view),
]
# expanded: every page in view; thirteen would fold behind "View more".
pg = st.navigation(PAGES, expanded=True)
ctx = frame.sidebar(viewer)
try:
    frame.log_view(ctx, pg.url_path or "overview")
except audit.AuditError as exc:  # fails closed: nothing confidential is shown unrecorded
    if ctx.staff or pg.url_path == "audit":
        st.error(f"The staff view is refused because {exc}. Switch to the external view, or try again.")
        st.stop()
    st.warning(f"This view could not be recorded in the audit log ({exc}).")
st.session_state["_ctx"] = ctx
try:
    pg.run()
except frame.db.DatabaseFault as fault:  # damage found by a page's own query: a line, not a traceback
    st.error(fault.for_page(ctx.staff))
else:  # the page is served: build the monthly review now, in the background, for its first click
    review.warm(frame.db.db_path(), ctx.today)
finally:
    st.session_state.pop("_ctx", None)
