"""OTS STI Monitor — entry point: page frame, navigation, first-run database build, footer with sources."""
from __future__ import annotations

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

page = st.navigation([st.Page("pages/coverage.py", title="Areas & coverage", icon=":material/grid_view:",
                              default=True)])
page.run()

with st.container():
    st.divider()
    cited = " · ".join(f"[{s.publisher}]({s.url}) ({s.licence})" for s in catalog().sources
                       if s.id in {i.source for i in catalog().indicators})
    st.caption(f"Data: {cited}. Figures are shown as published; derived indicators state their formula. "
               "OTS STI Monitor is open source.")
