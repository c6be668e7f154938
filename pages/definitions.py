"""Definitions: every indicator, the suppression rule and the data's freshness."""
import pandas as pd
import streamlit as st

from metrics import suppress
from metrics.periods import fiscal_start_month
from metrics.indicators import REGISTRY, SERVICES
from ui import frame

ctx = frame.context()
st.title("Definitions")
st.caption("What every figure on this dashboard, in the exports and from `python -m etl summary` means.")
frame.banner(ctx)
st.markdown(f"**Data:** {frame.freshness()}. **Fiscal years** start in month "
            f"{fiscal_start_month()} (April unless configured). "
            "**People** are distinct client codes after normalisation; rows without a code count as contacts, "
            "never as people.")
st.markdown(f"**Suppression (external view and exports):** {suppress.footnote()} Periods outside the staff "
            "view are whole months, fiscal quarters or fiscal years. Charts are drawn from suppressed tables only.")
rows = [{"service": SERVICES[i.service], "indicator": i.label, "id": i.id, "definition": i.definition,
         "unit": i.unit, "counts people (suppressed)": "yes" if i.disclosive else "no"} for i in REGISTRY.values()]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
