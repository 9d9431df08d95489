"""Country profile: one state across all areas, against the OTS average and the benchmark, and every indicator."""
from __future__ import annotations

from functools import partial

import streamlit as st

from sti import charts, export, profile, scoring, store, ui, urlstate
from sti.catalog import catalog
from sti.params import Param

cat = catalog()
states = [c for c in cat.ots_states() if c.has_data]
COUNTRY = Param("country", "choice", states[0].code, options=tuple(c.code for c in states),
                labels={c.code: f"{c.name} ({c.role})" for c in states})

st.title("Country profile")
view = urlstate.page_view([COUNTRY], lambda v: [urlstate.Widget(COUNTRY, "State")])
code = view["country"]
country = cat.country(code)
look = ui.look(cat)
bench, bench_label = view["benchmark"], ui.benchmark_label(cat, view["benchmark"])
first, last = view.years
window_first, _ = scoring.window_years(last, view["window"])
scores = ui.scores(view)
ots = [c.code for c in states]

st.header(f"{country.name}", anchor=False)
st.caption(f"OTS {country.role}. Indices: latest value in {window_first}–{last} against {bench_label} in the same year "
           f"(= 100); the OTS average is over the {len(ots)} member and observer states with data.")

st.page_link("app_pages/cooperation.py", label=f"{country.name}'s student flows with the other Turkic states",
             icon=":material/hub:", query_params=view.query(focus=code))

strength, gap = profile.strengths_and_gaps(scores.areas, scores.average, scores.indicators, cat, code, bench_label)
st.markdown(f"- {strength}" + (f"\n- {gap}" if gap else ""))

own = scores.areas[scores.areas["country"] == code]
area_names = {a.id: a.name for a in cat.areas}
fig = ui.figure(charts.area_profile, own, scores.average, area_names, look, code, bench_label)
exported = own.merge(scores.average.rename(columns={"index": "ots_average"})[["area", "ots_average"]], on="area")
ui.chart(fig, exported.assign(benchmark=bench, window=f"{window_first}-{last}"),
         f"Area index = mean of the area's scored indicator indices (table below: the compared year, value and "
         f"benchmark value behind each). Benchmark: {bench_label}. "
         + ui.sources_line(cat, set(scores.observations["indicator"]), scores.observations),
         f"{code}_area_indices.csv", "profile")

# --- every indicator ----------------------------------------------------------------------------------------------
st.subheader("Every indicator")
indicator_codes = [i.code for i in cat.indicators if i.kind == "indicator" and not i.is_categorical]
best = ui.best_performers(scores, view) if bench == scoring.BEST else {}
bench_of = {i: (best.get(i) if bench == scoring.BEST else bench) for i in indicator_codes}
wanted = sorted(set(ots) | {c for c in bench_of.values() if c})
data = store.read("series", indicator_codes, wanted, first, last)
table = ui.indicator_table(data, scores.indicators, code, tuple(ots), tuple(bench_of.items()), first, last,
                           view["window"])
st.dataframe(
    table.drop(columns=["indicator", "source"]), hide_index=True, width="stretch", height=38 + 35 * len(table),
    column_config={
        "area": st.column_config.TextColumn("Area"),
        "name": st.column_config.TextColumn("Indicator", pinned=True, width="medium"),
        "unit": st.column_config.TextColumn("Unit"),
        "year": st.column_config.NumberColumn("Year", format="%d"),
        "value": st.column_config.NumberColumn("Latest value", format="%.4g"),
        "trend": st.column_config.LineChartColumn(f"Trend {first}–{last}",
                                                  help="Years with a value only; the Explorer's line shows the gaps"),
        "years_with_data": st.column_config.TextColumn("Years with data"),
        "rank": st.column_config.TextColumn("Rank in OTS", help=f"Among OTS states' latest values in "
                                                                 f"{window_first}–{last}; 1 = best"),
        "compared_year": st.column_config.NumberColumn("Compared in", format="%d",
                                                       help="Latest year in which the state and the benchmark both "
                                                            "have a value: the inputs of the index"),
        "compared_value": st.column_config.NumberColumn("Value then", format="%.4g"),
        "benchmark_value": st.column_config.NumberColumn(f"{bench_label} then", format="%.4g"),
        "difference": st.column_config.NumberColumn("Difference", format="%+.3g",
                                                    help="Value minus the benchmark's, same year and unit"),
        "index": st.column_config.NumberColumn("Index", format="%.0f", help="Scored indicators only"),
        "vintage": st.column_config.TextColumn("Vintage"),
    })
ui.caveat_notes(cat, table[table["value"].notna()].assign(country=code))  # on the values shown
shown_sources = set(table["source"])
st.caption(f"Empty cells: no value in {first}–{last}; no year with both the state's and the benchmark's value; no "
           "direction to rank by; not scored; or a count that grows with size (not compared with an aggregate's "
           "total). "
           "Licences: " + "; ".join(f"{s.publisher} — {s.licence}" for s in cat.sources
                                    if s.id in shown_sources) + ".")
ui.download(partial(export.with_provenance, table.drop(columns=["trend"]).assign(country=code, benchmark=bench), cat),
            f"{code}_indicators.csv",
            "profile-table", label="Download the table (CSV)")

memberships = [i for i in cat.indicators if i.is_categorical]
status = store.read("latest_values", [i.code for i in memberships], [code], 1800, last)
if len(status):
    st.subheader("Memberships")
    st.markdown("\n".join(f"- **{cat.indicator(r.indicator).name}**: {cat.indicator(r.indicator).category(r.value)}"
                          f" in {r.year}" for r in status.itertuples()))
    st.caption(ui.source_caption(cat, memberships[:1], status) + " Timelines: the Metrology area page.")
    ui.caveat_notes(cat, status)
ui.national_section(store.read("national_figures", [code], None), look, country.name, key=code)
