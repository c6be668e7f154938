"""Audit log: who signed in, what they opened and exported, and who was refused (staff only)."""
import streamlit as st

from metrics import audit
from ui import access, downloads, frame

ctx = frame.context()
st.title("Audit log")
st.caption("Sign-ins and sign-outs, page views, downloads, exports, freezes, notes and refusals, newest first, "
           "with the address each request came from.")
if ctx.viewer and ctx.viewer.is_staff and not ctx.staff:   # a staff account in front of a room
    st.info("The audit log names staff and board members: choose the Staff audience in the sidebar to see it.")
    st.stop()
if not (ctx.viewer and ctx.viewer.is_staff):
    if not st.session_state.get("_audit_refusal_logged"):
        try:
            access.record(ctx.viewer, "refused", "audit", "the audit log without the staff role")
            st.session_state["_audit_refusal_logged"] = True
        except audit.AuditError:
            pass
    st.error("The audit log is for program staff only.")
    st.stop()
try:
    log = audit.read()
except audit.AuditError as exc:
    st.error(f"The audit log cannot be read: {exc}.")
    st.stop()
if log.empty:
    st.info("Nothing recorded yet.")
else:
    events = st.multiselect("Events", sorted(log["event"].unique()), default=sorted(log["event"].unique()))
    shown = log[log["event"].isin(events)]
    st.dataframe(shown, hide_index=True, width="stretch")
    downloads.offer("Download the audit log (CSV)", audit.for_spreadsheet(shown).to_csv(index=False).encode(),
                    "shop_audit_log.csv", "text/csv", viewer=ctx.viewer, page="audit", detail="csv, the audit log")
