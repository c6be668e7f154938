"""Definitions: every indicator, the suppression rule and the data's freshness, as text to read."""
import calendar

import streamlit as st

from metrics import suppress
from metrics.indicators import REGISTRY, SERVICES
from metrics.periods import fiscal_start_month
from ui import frame

UNITS = {"rate": "a share, shown as a percentage", "average": "an average", "hours": "hours, one decimal"}

ctx = frame.context()
st.title("Definitions")
st.caption("What every figure on this dashboard, in the exports and from the command line (python -m etl summary) means.")
frame.banner(ctx)
st.header("How the figures are made")
st.markdown(f"**Data:** {frame.freshness()}. **Fiscal years** start in "
            f"{calendar.month_name[fiscal_start_month()]} (April unless configured). "
            "**People** are distinct client codes after normalisation; rows without a code count as contacts, "
            "never as people.")
st.markdown(f"**Suppression (external view and exports):** {suppress.footnote()} Periods outside the staff "
            "view are whole months, fiscal quarters or fiscal years. Charts are drawn from suppressed tables only.")
for service, name in SERVICES.items():
    inds = [i for i in REGISTRY.values() if i.service == service]
    if not inds:
        continue
    st.header(name)
    lines = []
    for i in inds:
        unit = UNITS.get(i.unit, i.unit)
        privacy = " Small counts are suppressed outside the staff view." if i.disclosive else ""
        lines.append(f"- **{i.label}** ({unit}): {i.definition}{privacy}  \n  Identifier: `{i.id}`")
    st.markdown("\n".join(lines))
