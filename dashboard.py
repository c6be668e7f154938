"""SHOP program-evaluation dashboard: routes and frames. `make run` starts it."""
import streamlit as st

from ui import access, frame

st.set_page_config(page_title="SHOP program dashboard", page_icon=":material/volunteer_activism:",
                   layout="wide", initial_sidebar_state="expanded")

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
    st.Page("pages/data_quality.py", title="Data quality", icon=":material/fact_check:", url_path="data_quality"),
    st.Page("pages/reports.py", title="Reports", icon=":material/description:", url_path="reports"),
    st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:", url_path="definitions"),
]

viewer = access.gate()
pages = PAGES + ([st.Page("pages/audit.py", title="Audit log", icon=":material/shield_person:", url_path="audit")]
                 if viewer.is_staff else [])
pg = st.navigation(pages, expanded=True)  # every page in view: thirteen would fold behind "View more"
ctx = frame.sidebar(viewer)
frame.log_view(ctx, pg.url_path or "overview")
st.session_state["_ctx"] = ctx
try:
    pg.run()
finally:
    st.session_state.pop("_ctx", None)
