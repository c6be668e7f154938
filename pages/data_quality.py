"""Data quality: is every month loaded, what was rejected, and which fields are left blank?"""
import datetime as dt

import pandas as pd
import streamlit as st

from metrics import charts, quality
from shop.periods import Period
from ui import frame, widgets

NAMES = {"log_type": "log type", "rows_loaded": "rows loaded", "rows_rejected": "rows rejected",
         "total_rows": "'Total' rows skipped", "loaded_at": "loaded", "latest_date": "latest date logged",
         "last_loaded": "last loaded", "in_force": "in force", "share blank": "share left blank"}


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """Column names and values as a person reads them: no raw names, no 00:00:00 on a date."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            ts = out[c].dropna()
            whole_days = ts.empty or bool((ts == ts.dt.normalize()).all())
            out[c] = out[c].dt.strftime("%d %b %Y" if whole_days and c != "loaded_at" else "%d %b %Y %H:%M")
        elif pd.api.types.is_string_dtype(out[c]) or out[c].dtype == object:
            out[c] = out[c].map(lambda v: NAMES.get(v, charts.label(v) if c == "log_type" and isinstance(v, str)
                                                   else v.replace("_", " ") if c == "status" and isinstance(v, str)
                                                   else v))
    if "total_rows" in out.columns and not (df["total_rows"].fillna(0) > 0).any():
        out = out.drop(columns="total_rows")  # no file had a 'Total' row: an all-zero column says nothing
    return out.rename(columns=lambda c: NAMES.get(c, c.replace("_", " ")))


ctx = frame.context()
if widgets.page_header("Data quality", "Is every month loaded, what was rejected, and what is left blank", ctx) \
        and widgets.staff_only(ctx, "File names, rejects and blanks are for program staff"):
    path = str(frame.db.db_path())
    # months that have ended: a few days into this month, an empty log is not yet a missing month
    ended = Period(ctx.period.start, min(ctx.period.end, ctx.today.replace(day=1) - dt.timedelta(days=1)))
    gaps = quality.missing_months(ended, path) if ended.start <= ended.end else pd.DataFrame()
    open_month = "" if ended.end == ctx.period.end else f" ({ctx.today:%B %Y} is not over: not checked)"
    if gaps.empty:
        st.success(f"Every service log has data in every month of {ctx.period} that has ended{open_month}.")
    else:
        st.warning(f"**{len(gaps)} month(s) with no data for a log type** in {ctx.period}{open_month}: a missing "
                   "month is the classic grant-report error. Check that the file was loaded.")
        gaps["log type"] = gaps["log type"].map(charts.label)
        st.dataframe(gaps.pivot_table(index="log type", values="month", aggfunc=lambda m: ", ".join(m)),
                     width="stretch")
    ov = quality.overlaps(path)
    if not ov.empty:
        st.warning(f"**{len(ov)} pair(s) of files in force share dates**: rows in both are counted twice "
                   "(a Safe Suite stay in both counts once, as the file loaded last has it). A corrected file "
                   "should keep the name of the file it corrects, then load it again.")
        st.dataframe(ov, hide_index=True, width="stretch")
    st.subheader("Freshness per log type")
    st.dataframe(readable(quality.freshness(path)), hide_index=True, width="stretch")
    # one above the other, full width: side by side, the reason column was cut off
    for title, df, none, note in (
            ("Rejected rows by file and reason", quality.rejects(path), "No rejected rows in the files in force.",
             "Row numbers are in `python -m etl status`. The rejected value is never stored."),
            ("Warnings", quality.warnings(path), "No warnings.", "")):
        st.subheader(title)
        if df.empty:
            st.success(none)
            continue
        st.dataframe(readable(df), hide_index=True, width="stretch")
        if note:
            st.caption(note)
    st.subheader(f"Optional fields left blank, {ctx.period}")
    st.dataframe(readable(quality.blanks(ctx.period, path)), hide_index=True, width="stretch")
    st.subheader("Files loaded")
    st.caption("Rows read = loaded + rejected + skipped (header, title, blank, total and footnote rows).")
    st.dataframe(readable(quality.batches(path)), hide_index=True, width="stretch")
