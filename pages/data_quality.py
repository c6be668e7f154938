"""Data quality: is every month loaded, what was rejected, and which fields are left blank?"""
import streamlit as st

from metrics import quality
from ui import frame, widgets

ctx = frame.context()
if widgets.page_header("Data quality", "Is every month loaded, what was rejected, and what is left blank", ctx) \
        and widgets.staff_only(ctx, "File names, rejects and blanks are for program staff"):
    path = str(frame.db.db_path())
    gaps = quality.missing_months(ctx.period, path)
    if gaps.empty:
        st.success(f"Every service log has data in every month of {ctx.period}.")
    else:
        st.warning(f"**{len(gaps)} month(s) with no data for a log type** in {ctx.period}: a missing month is "
                   "the classic grant-report error. Check that the file was loaded.")
        st.dataframe(gaps.pivot_table(index="log type", values="month", aggfunc=lambda m: ", ".join(m)),
                     width="stretch")
    ov = quality.overlaps(path)
    if not ov.empty:
        st.warning(f"**{len(ov)} pair(s) of files in force share dates**: rows in both are counted twice. "
                   "A corrected file should keep the name of the file it corrects, then load it again.")
        st.dataframe(ov, hide_index=True, width="stretch")
    st.subheader("Freshness per log type")
    st.dataframe(quality.freshness(path), hide_index=True, width="stretch")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Rejected rows by file and reason")
        rj = quality.rejects(path)
        if rj.empty:
            st.success("No rejected rows in the files in force.")
        else:
            st.dataframe(rj, hide_index=True, width="stretch")
            st.caption("Row numbers are in `python -m etl status`. The rejected value is never stored.")
    with right:
        st.subheader("Warnings")
        wn = quality.warnings(path)
        if wn.empty:
            st.success("No warnings.")
        else:
            st.dataframe(wn, hide_index=True, width="stretch")
    st.subheader(f"Optional fields left blank, {ctx.period}")
    st.dataframe(quality.blanks(ctx.period, path), hide_index=True, width="stretch")
    st.subheader("Files loaded")
    st.caption("Rows read = loaded + rejected + skipped (header, title, blank, total and footnote rows).")
    st.dataframe(quality.batches(path), hide_index=True, width="stretch")
