"""OTS STI Monitor — entry point: page frame, navigation, first-run database build, footer with sources."""
from __future__ import annotations

import logging

import streamlit as st

from sti import store
from sti.catalog import catalog

st.set_page_config(page_title="OTS STI Monitor", page_icon=":bar_chart:", layout="wide")

try:
    store.ensure_database()
except store.DatabaseUnavailable as exc:
    st.error(f"The data cannot be shown: {exc}.")
    st.stop()
except Exception as exc:  # noqa: BLE001 - the one place that turns any start-up failure into a message
    st.error(f"The database could not be opened or built from the bundled snapshot ({exc}). "
             "Run `python -m etl build` in a terminal to see the details.")
    st.stop()

# URL paths are part of the interface: links and bookmarks rely on them. The folder is app_pages/, not pages/: with a
# pages/ folder Streamlit serves a fresh server's first deep link in its older automatic-pages mode, without this file.
PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/grid_view:", url_path="", default=True),
    st.Page("app_pages/areas.py", title="Initiative areas", icon=":material/category:", url_path="areas"),
    st.Page("app_pages/country.py", title="Country profile", icon=":material/flag:", url_path="country"),
    st.Page("app_pages/cooperation.py", title="Cooperation", icon=":material/hub:", url_path="cooperation"),
    st.Page("app_pages/explorer.py", title="Explorer", icon=":material/query_stats:", url_path="explorer"),
    st.Page("app_pages/data.py", title="Data & sources", icon=":material/database:", url_path="data"),
]
page = st.navigation(PAGES)
try:
    page.run()
except Exception as exc:
    # (st.stop and st.rerun raise BaseException subclasses, so they pass through)
    logging.getLogger("dashboard").exception("page %s failed", page.url_path)
    st.error(f"This view could not be drawn ({type(exc).__name__}: {exc}). Try another selection, or reset the "
             "page from the navigation.")

with st.container():
    st.divider()
    cited = " · ".join(f"[{s.publisher}]({s.url}) ({s.licence})" for s in catalog().sources
                       if s.id in {i.source for i in catalog().indicators})
    st.caption(f"Data: {cited}. Figures are shown as published; derived indicators state their formula. "
               "OTS STI Monitor is open source.")
