"""Streamlit pieces shared by the pages: the sidebar (period, audience), tiles, charts, tables."""
