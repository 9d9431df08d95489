"""Data & sources: the catalogue, a coverage matrix, the refresh history, the scoring method, full downloads."""
from __future__ import annotations

import streamlit as st

from sti import export, scoring, store, tables, ui, urlstate
from sti.catalog import catalog
from sti.params import Param

cat = catalog()
QUERY = Param("q", "text", "", hi=100)

st.title("Data & sources")
st.subheader("Catalogue")
view = urlstate.page_view([QUERY], lambda v: [urlstate.Widget(QUERY, "Search the catalogue", kind="text",
                                                  help="Words in a code, name, definition, source or area")])
first, last = view.years
status = store.read("status")
vintages = dict(zip(status["indicator"], status["vintage"].fillna("")))

sheet = export.indicators_sheet(cat, vintages)
publisher = {s.id: s.publisher for s in cat.sources}
sheet.insert(4, "publisher", sheet["source"].map(publisher))
found = tables.search(sheet, view["q"])
st.caption(f"{len(found)} of {len(sheet)} series. Context series (population, GDP, trade) serve as denominators and "
           "scatter axes and enter no index.")
st.dataframe(found.drop(columns=["source"]), hide_index=True, width="stretch",
             column_config={"indicator": st.column_config.TextColumn("Code", pinned=True),
                            "definition": st.column_config.TextColumn("Definition", width="large")})
ui.download(found, "catalogue.csv", "catalogue", label="Download the catalogue (CSV)")
st.markdown("**Sources**  \n" + "  \n".join(
    f"[{s.publisher} — {s.name}]({s.url}), licence [{s.licence}]({s.licence_url}). *{s.citation}*"
    for s in cat.sources))

st.subheader("Caveats")
st.caption("Notes the catalogue attaches to a source, to indicators, or to indicators × states × years "
           "(`data/catalog/caveats.toml`). Each is shown under every chart and table with affected values and on each "
           "affected row of the downloads.")
st.dataframe(export.caveats_sheet(cat), hide_index=True, width="stretch",
             column_config={"note": st.column_config.TextColumn("Note", width="large"),
                            "reason": st.column_config.TextColumn("Reason", width="large")})

st.subheader("Downloads")
st.caption("Every observation with its unit, source, licence and vintage. Cite each source as listed below; "
           "CC BY 4.0 requires attribution.")
ui.full_downloads()

ui.national_section(store.read("national_figures", [c.code for c in cat.countries], None), ui.look(cat),
                    "any state", key="all")

st.subheader("Coverage")
countries = list(dict.fromkeys(view.countries + [c.code for c in cat.benchmarks()]))
latest = store.read("latest_years", [i.code for i in cat.indicators], countries, last)
matrix = tables.coverage_matrix(latest, cat, countries)
st.caption(f"Latest year with a value up to {last}, per state and series. Darker is more recent: within 2 years of "
           f"{last}, 3–5, 6–10, older; empty: no value.")
st.dataframe(matrix.style.map(tables.recency_colour, reference_year=last).format(tables.year_text), width="stretch",
             column_config={code: st.column_config.NumberColumn(code, help=cat.indicator(code).name, format="%d")
                            for code in matrix.columns})
ui.download(matrix.reset_index(), "coverage.csv", "coverage", label="Download the coverage matrix (CSV)")

st.subheader("Refresh history")
runs = store.read("runs").sort_values("id", ascending=False)
st.caption("Every ETL run recorded in the database (`etl_run`): builds from the snapshot, imports of publishers' "
           "files, live refreshes per series. Times are UTC.")
st.dataframe(runs, hide_index=True, width="stretch", height=min(400, 40 + 35 * len(runs)),
             column_config={"message": st.column_config.TextColumn("Message", width="large")})

st.subheader("How the indices are computed")
st.markdown(f"""
1. **Indicators.** Only indicators marked *scored* in the catalogue enter an index
   ({sum(i.scored for i in cat.indicators)} of {sum(i.kind == 'indicator' for i in cat.indicators)}). Counts that grow
   with a country's size (articles, patents, servers, exports in US$) are shown as published but scored only through
   their per-capita or per-GDP form.
2. **Value.** For each state and scored indicator: the latest year in the recency window (now {view['window']} years,
   {scoring.window_years(last, view['window'])[0]}–{last}; set in the sidebar) in which both the state and the benchmark
   have a value.
3. **Index.** The state's value divided by the benchmark's value for that same year, × 100 (benchmark = 100). Where
   lower is better, the ratio is inverted. The index is held between 0 and {scoring.CAP:.0f}, so that one outlier
   cannot dominate an area. A benchmark value of zero or less gives no index.
4. **Benchmark.** World by default; the EU, OECD members, upper-middle income or Europe & Central Asia as chosen; or
   the *best OTS performer*: for each indicator, the member or observer with the best latest value in the window,
   whose series then serves as the benchmark (its own index is 100).
5. **Area index.** The mean of the area's indicator indices when at least half of its scored indicators have one;
   otherwise *insufficient data*, never zero. Areas with no scored indicator show *no indicator*.
6. **Traceability.** Each country profile lists every indicator's value, year, benchmark value and index; the overview
   downloads the values behind each index.
""")
