"""Definitions: every indicator, the suppression rule and the data's freshness, as text to read."""
import calendar

import streamlit as st

from metrics import release
from metrics.indicators import REGISTRY, SERVICES
from shop.periods import fiscal_start_month
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
st.markdown(
    "**Releases over time, and revisions.** Whatever the external view has shown on any day stays public: a "
    "board member keeps every monthly deck. So every figure that leaves the staff view is written, as shown "
    "(a number, `<10`, `x` or a withheld mark), into a release ledger kept beside the database, and every later "
    "release is checked against all of it: a year to date shown in November and another in December must not "
    "give December's small count by subtraction, so one of them is hidden. A figure once shown as a number "
    "keeps being shown while it stays true. Late or corrected data that change a figure already shown make a "
    "**revision**: the new value is shown from then on, the earlier one stays on record in the ledger, and both "
    "count as public in the checks.")
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
