"""Overview: states × initiative areas heat map of indices, headline figures, and how much the data covers."""
from __future__ import annotations

from functools import partial

import streamlit as st

from sti import charts, export, scoring, store, ui, urlstate
from sti.catalog import catalog

cat = catalog()
st.title("OTS STI Monitor")
st.markdown("Science, technology and innovation in the member and observer states of the Organization of Turkic "
            "States, against the eleven initiative areas of the OTS cooperation framework on Industry, Science, "
            "Technology and Innovation (ISTI).")
view = urlstate.page_view()
look = ui.look(cat)
bench_label = ui.benchmark_label(cat, view["benchmark"])
first, last = scoring.window_years(view["to"], view["window"])
scores = ui.scores(view)

# --- headline figures: the members' range against the benchmark ---------------------------------------------------
members = [c.code for c in cat.ots_states() if c.role == "member"]
headlines = [i for i in cat.indicators if i.headline]
st.subheader(f"Headline figures, latest value {first}–{last}")
best_of = ui.best_performers(scores, view) if view["benchmark"] == scoring.BEST else {}
reference = [view["benchmark"]] if view["benchmark"] != scoring.BEST else sorted(set(best_of.values()))
latest = store.read("latest_values", [i.code for i in headlines], sorted(set(members) | set(reference)), first, last)
grid = [column for _ in range(0, len(headlines), 2) for column in st.columns(2, gap="large")]
for column, ind in zip(grid, headlines):
    rows = latest[(latest["indicator"] == ind.code) & latest["country"].isin(members)]
    with column:
        if rows.empty:
            st.metric(ind.name, "no data", help=ind.definition)
            continue
        low, high = rows.loc[rows["value"].idxmin()], rows.loc[rows["value"].idxmax()]
        st.metric(f"{ind.name} ({ind.unit})",
                  f"{charts.format_value(low['value'])}–{charts.format_value(high['value'])}", help=ind.definition)
        ref_code = best_of.get(ind.code) if best_of else view["benchmark"]
        ref = latest[(latest["indicator"] == ind.code) & (latest["country"] == ref_code)]
        ref_name = (f"Best OTS performer ({look.name(ref_code)})" if best_of and ref_code else
                    "Best OTS performer" if view["benchmark"] == scoring.BEST else bench_label)
        ref_text = (f"{ref_name}: {charts.format_value(ref['value'].iloc[0])} ({ref['year'].iloc[0]})" if len(ref)
                    else f"{ref_name}: no value in the window")
        st.caption(f"OTS members: lowest {look.name(low['country'])} ({low['year']}), highest "
                   f"{look.name(high['country'])} ({high['year']}); {len(rows)} of {len(members)} members report. "
                   f"{ref_text}.")
reference_of = latest["indicator"].map(best_of) if best_of else view["benchmark"]
shown_rows = latest["country"].isin(members) | (latest["country"] == reference_of)
st.caption(ui.sources_line(cat, {i.code for i in headlines}, latest))
ui.download(partial(export.tidy, latest[shown_rows], cat), "headline_figures.csv", "headlines",
            label="Download the headline values (CSV)")

# --- heat map --------------------------------------------------------------------------------------------------------
st.subheader("Initiative areas at a glance")
st.caption(f"Area index: each scored indicator's latest value in {first}–{last}, indexed against {bench_label} in the "
           f"same year (= 100), capped at {scoring.CAP:.0f}; an area's index is the mean over its indicators when at "
           "least half have data. Click a state or a cell for its profile, an area for its indicators.")
if not view.countries:
    st.info("Select at least one state in the sidebar.", icon=":material/info:")
else:
    area_names = {a.id: a.name for a in cat.areas}
    st.markdown(charts.HEATMAP_CSS + charts.heatmap_html(
        scores.areas, area_names, look, view.countries,
        area_link=lambda a: view.link("areas", area=a), country_link=lambda c: view.link("country", country=c),
        short_names={a.id: a.short_name for a in cat.areas}),
        unsafe_allow_html=True)
    st.caption("Colour: orange below the benchmark, white at it, purple above (log scale: half and double are equally "
               "far from 100). *Insufficient data*: fewer than half the area's scored indicators have a value in the "
               f"window. *No benchmark data*: the state has values but {ui.benchmark_label(cat, view['benchmark'])} has "
               "none (the ISO Survey and the UN E-Government Survey publish no world or regional totals): choose the "
               "best OTS performer as the benchmark to score the area. *Not scored*: no international series measures "
               "the area well enough to score it; its page shows the milestones and any unscored series. "
               + ui.sources_line(cat, set(scores.observations["indicator"]), scores.observations))
    inputs = scores.indicators[scores.indicators["country"].isin(view.countries) & scores.indicators["index"].notna()]
    ui.caveat_notes(cat, inputs)  # on the values the indices were computed from
    shown = scores.areas[scores.areas["country"].isin(view.countries)].assign(
        benchmark=view["benchmark"], window=f"{first}-{last}")
    ui.download(shown, "area_indices.csv", "heatmap", label="Download the area indices (CSV)")
    behind = scores.indicators[scores.indicators["country"].isin(view.countries)].assign(
        window=f"{first}-{last}")
    ui.download(partial(export.with_provenance, behind, cat), "area_indices_inputs.csv", "heatmap-inputs",
                label="Download the values behind the indices (CSV)")

    # --- coverage note -------------------------------------------------------------------------------------------
    pairs = scores.indicators[scores.indicators["country"].isin(view.countries)]
    indexed = int(pairs["index"].notna().sum())
    measured = [a for a in cat.areas if cat.scored_for_area(a.id)]
    st.subheader("Data coverage")
    st.markdown(
        f"- {len(measured)} of {len(cat.areas)} areas have scored international indicators; "
        f"{len(cat.areas) - len(measured)} ({', '.join(a.name for a in cat.areas if a not in measured)}) are "
        "followed through OTS milestones and unscored series on their pages.\n"
        f"- {indexed} of {len(pairs)} state × scored-indicator pairs have a value in {first}–{last} that can be "
        f"compared with {bench_label} in the same year.\n"
        + "".join(f"- {c.name} ({c.role}) is not shown: {c.note}\n" for c in cat.ots_states() if not c.has_data)
        + "- See **Data & sources** for the full coverage matrix.")
