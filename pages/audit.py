"""Audit log: who signed in, what they opened and exported, and who was refused (staff only)."""
import streamlit as st

from metrics import audit
from ui import frame

ctx = frame.context()
st.title("Audit log")
st.caption("Sign-ins, page views, exports and refusals, newest first.")
if not (ctx.viewer and ctx.viewer.is_staff):
    st.error("The audit log is for program staff only.")
    st.stop()
log = audit.read()
if log.empty:
    st.info("Nothing recorded yet.")
else:
    events = st.multiselect("Events", sorted(log["event"].unique()), default=sorted(log["event"].unique()))
    shown = log[log["event"].isin(events)]
    st.dataframe(shown, hide_index=True, width="stretch")
    st.download_button("Download the audit log (CSV)", shown.to_csv(index=False).encode(), "shop_audit_log.csv",
                       "text/csv")
