"""The eleven initiative areas, what OTS does in each, and how recent our data is for each member and observer."""
from __future__ import annotations

import streamlit as st

from sti import store
from sti.catalog import catalog
from sti.coverage import latest_year_table

cat = catalog()
states = [c for c in cat.ots_states() if c.has_data]
codes = [c.code for c in states]

st.title("OTS STI Monitor")
st.markdown(
    "Science, technology and innovation in the member and observer states of the Organization of Turkic States, "
    "tracked against the eleven initiative areas of the OTS cooperation framework on Industry, Science, "
    "Technology and Innovation (ISTI). Below: what OTS does in each area, and the latest year for which each "
    "state has data on each indicator.")

summary = store.read("database_summary")
st.caption(f"Database: {summary['rows']:,} observations of {summary['indicators']} indicators for "
           f"{summary['countries']} countries and aggregates, {summary['first_year']}–{summary['last_year']}.")
members = ", ".join(f"{c.name} ({c.code})" for c in states if c.role == "member")
observers = ", ".join(f"{c.name} ({c.code})" for c in states if c.role == "observer")
st.markdown(f"**Members:** {members}.  \n**Observers:** {observers}.")
for c in cat.ots_states():
    if not c.has_data:
        st.info(f"**{c.name}** — {c.note}", icon=":material/info:")

latest = store.read("latest_years", codes)
vintages = store.read("status")
column_config = {"Indicator": st.column_config.TextColumn(pinned=True),
                 **{c.code: st.column_config.TextColumn(c.code, help=c.name) for c in states}}

for area in cat.areas:
    st.subheader(f"{area.order}. {area.name}", anchor=area.id)
    st.write(area.description)
    if area.milestones:
        lines = []
        for m in area.milestones:
            when = f"{m.date} · " if m.date else ""
            lines.append(f"- **{m.status.capitalize()}** · {when}{m.title} "
                         f"<span style='opacity:0.7'>({cat.source(m.source).publisher})</span>")
        st.markdown("\n".join(lines), unsafe_allow_html=True)
    if area.no_indicator_note:
        st.info(area.no_indicator_note, icon=":material/info:")
        continue
    if area.indicator_note:
        st.info(area.indicator_note, icon=":material/straighten:")
    table = latest_year_table(cat, latest, vintages, area.id, codes)
    st.caption("Latest year with data per state; — means no data in any year.")
    st.dataframe(table, hide_index=True, width="stretch", column_config=column_config)
    for ind in cat.indicators_for_area(area.id):
        if ind.missing_means_zero and ind.note:
            st.caption(f"{ind.name}: {ind.note}")
