"""Initiative areas: what OTS does in one area, then each of its indicators over time and ranked; memberships as a
timeline; the SME area's enterprise table; and any national figures users brought for the area."""
from __future__ import annotations

from functools import partial

import streamlit as st

from sti import charts, export, scoring, store, tables, ui, urlstate
from sti.catalog import AREA_IDS, catalog
from sti.params import Param

cat = catalog()
AREA = Param("area", "choice", AREA_IDS[0], options=AREA_IDS,
             labels={a.id: f"{a.order}. {a.name}" for a in cat.areas})
ENTERPRISE_CODES = ["IFC.MSME.NUM", "IFC.SME.NUM", "IFC.MICRO.NUM", "IFC.MSME.DNS", "IFC.SME.DNS", "IFC.DEF.SME",
                    "IFC.DEF.MICRO"]

st.title("Initiative areas")
view = urlstate.page_view([AREA], lambda v: [urlstate.Widget(AREA, "Initiative area")])
area = cat.area(view["area"])
look = ui.look(cat)
first, last = view.years
bench = view["benchmark"]

st.header(f"{area.order}. {area.name}", anchor=area.id)
st.write(area.description)
ui.milestones(cat, area.id)


def enterprise_section() -> None:
    """Counts and density per state with the year of each figure, its national source and size definition."""
    st.subheader("Enterprises by size", anchor="enterprises")
    latest = store.read("latest_values", ENTERPRISE_CODES, view.countries, 1900, last)
    table = tables.enterprise_table(latest, store.read("metadata_values", "ifc_msme", "IFC MSME-CI source"),
                                    view.countries)
    if table.empty:
        ui.no_data(f"IFC publishes no enterprise counts up to {last} for the selected states")
        return
    shown = table.assign(country=table["country"].map(look.name))
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "country": st.column_config.TextColumn("State", pinned=True),
        "year": st.column_config.NumberColumn("Year", format="%d"),
        "msmes": st.column_config.NumberColumn("MSMEs", format="localized"),
        "per_1000_people": st.column_config.NumberColumn("Per 1,000 people", format="%.2f"),
        "density_of": st.column_config.TextColumn("Density of", help="IFC gives Kazakhstan's density on its SME row, "
                                                     "whose count includes micro enterprises"),
        "smes": st.column_config.NumberColumn("SMEs", format="localized"),
        "micro": st.column_config.NumberColumn("Micro", format="localized"),
        "sme_limit_employees": st.column_config.NumberColumn("SME: up to … employees", format="%d"),
        "micro_limit_employees": st.column_config.NumberColumn("Micro: up to … employees", format="%d"),
        "national_source": st.column_config.TextColumn("National source (as IFC names it)", width="large")})
    st.caption(ui.source_caption(cat, [cat.indicator("IFC.MSME.NUM")], latest) + " Latest figure up to "
               f"{last} per state, whatever the start year chosen.")
    ui.caveat_notes(cat, latest)
    ui.download(partial(export.tidy, latest, cat), f"enterprises_to_{last}.csv", "enterprises",
                label="Download the figures behind the table (CSV)")
    have = set(table["country"])
    missing = [look.name(c) for c in view.countries if c not in have]
    if missing:
        st.caption(f"No IFC figure: {', '.join(missing)} (not in the IFC database).")


def membership_section(coded: list) -> None:
    """Coded statuses (memberships) as a timeline per state: records, never scores."""
    data = store.read("series", [i.code for i in coded], view.countries, first, last)
    for ind in coded:
        st.subheader(ind.name, anchor=ind.code)
        st.caption(f"{ind.definition} A record, not a score.")
        rows = data[data["indicator"] == ind.code]
        if rows.empty:
            ui.no_data(f"no membership is coded for the selected states in {first}–{last}")
            continue
        fig = ui.figure(charts.membership_timeline, rows, f"{ind.name}, {first}–{last}", ind.categories, look,
                        first, last, view.countries)
        table = export.tidy(rows, cat).assign(status=[ind.category(v) for v in rows["value"]])
        ui.chart(fig, table, ui.source_caption(cat, [ind], rows), f"{ind.code}_{first}-{last}.csv",
                 f"timeline-{ind.code}")


def indicator_views(indicators: list) -> None:
    best = ui.best_performers(ui.scores(view), view) if bench == scoring.BEST else {}
    shown = list(dict.fromkeys(view.countries + ([bench] if bench != scoring.BEST else list(best.values()))))
    data = store.read("series", [i.code for i in indicators], shown, first, last)
    for ind in indicators:
        st.subheader(ind.name, anchor=ind.code)
        scored = "enters the area index" if ind.scored else "shown, not scored"
        st.caption(f"{ind.definition} Unit: {ind.unit}; {scored}." + (f" {ind.note}" if ind.note else ""))
        benchmark = best.get(ind.code) if bench == scoring.BEST else bench
        drawn = list(dict.fromkeys(view.countries + ([benchmark] if benchmark else [])))
        rows = data[(data["indicator"] == ind.code) & data["country"].isin(drawn)]
        if rows.empty:
            ui.no_data(f"none of the selected states has a value of {ind.name.lower()} in {first}–{last}")
            continue
        caption = ui.source_caption(cat, [ind], rows)
        if bench == scoring.BEST:
            caption += (f" Benchmark: the best OTS performer, {look.name(benchmark)}." if benchmark else
                        " Unscored: no best performer is chosen for it.")
        line, ranked = st.columns([3, 2])
        with line:
            ui.chart(ui.figure(charts.line_chart, rows, ind.name, ind.unit, look, first, last, benchmark=benchmark),
                     partial(export.tidy, rows, cat), caption, f"{ind.code}_{first}-{last}.csv", f"line-{ind.code}",
                     with_caveats=False)
        latest = scoring.latest_rows(rows)
        with ranked:
            ui.chart(ui.figure(charts.ranked_bar, latest, f"Latest value, {first}–{last}", ind.unit, look,
                               ind.higher_is_better, benchmark=benchmark),
                     partial(export.tidy, latest, cat), caption, f"{ind.code}_latest_{last}.csv", f"bar-{ind.code}",
                     with_caveats=False)
        ui.caveat_notes(cat, rows)  # once for both charts: the bar shows a subset of the line's values
        have = set(rows["country"])
        missing = [look.name(c) for c in drawn if c not in have]
        if missing:
            st.caption(f"No value in {first}–{last}: {', '.join(missing)}.")


indicators = list(cat.indicators_for_area(area.id))
if not indicators:
    st.info(f"**No international indicator.** {area.no_indicator_note}", icon=":material/info:")
    st.markdown("What is tracked here instead is the OTS work itself: the milestones above, with their sources. "
                "Where a national or international series appears, it will be added to the catalogue and shown here.")
else:
    if area.indicator_note:
        st.info(area.indicator_note, icon=":material/straighten:")
    if any(i.flow_share for i in indicators):
        st.page_link("app_pages/cooperation.py", label="Who studies where among the Turkic states: student flows, the "
                     "intra-OTS shares and every pair behind them on the Cooperation page", icon=":material/hub:",
                     query_params=view.query())
    if view.countries:
        if area.id == "sme":
            enterprise_section()
        membership_section([i for i in indicators if i.is_categorical])
        # what the index uses first (certificates per million people before the raw counts), catalogue order within
        indicator_views(sorted((i for i in indicators if not i.is_categorical), key=lambda i: not i.scored))
    else:
        st.info("Select at least one state in the sidebar.", icon=":material/info:")
if view.countries:
    ui.national_section(store.read("national_figures", view.countries, area.id), look,
                        f"{area.name.lower()}")
