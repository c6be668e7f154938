"""Definitions: every indicator, the suppression rule and the data's freshness."""
import pandas as pd
import streamlit as st

from metrics import release
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
st.markdown(f"**Suppression (external view and exports):** {release.footnote()}")
st.markdown(
    "**Which periods the external view shows, and why.** A month, a fiscal quarter or a fiscal year that has "
    "ended, and this fiscal year to date as its whole months that have ended (never the current, unfinished "
    "month). Every figure of a fiscal year is released from one linked table of those periods and their "
    "breakdowns, with suppression decided over all of it at once and checked by linear programming, so that no "
    "hidden count can be worked out by subtracting one period, page, download or export from another. Any other "
    "range (custom dates, the last 12 months, July to August) could be subtracted from those, so it is for the "
    "staff view only; so are day-by-day charts and Friday sessions by date. Comparisons are with the month, "
    "quarter or year before, and the year to date with the same months a year earlier. Targets' actuals cover "
    "whole months that have ended. Bad date reports are given by whole fiscal quarter or year and broad type "
    "only. Charts say when a category was merged into *all others* or a month was left out.")
rows = [{"service": SERVICES[i.service], "indicator": i.label, "id": i.id, "definition": i.definition,
         "unit": i.unit, "counts people (suppressed)": "yes" if i.disclosive else "no"} for i in REGISTRY.values()]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
