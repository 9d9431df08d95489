"""Initiative areas: what OTS does in one area, then each of its indicators over time and ranked."""
from __future__ import annotations

import streamlit as st

from sti import charts, export, scoring, store, ui, urlstate
from sti.catalog import AREA_IDS, catalog
from sti.params import Param

cat = catalog()
AREA = Param("area", "choice", AREA_IDS[0], options=AREA_IDS,
             labels={a.id: f"{a.order}. {a.name}" for a in cat.areas})

st.title("Initiative areas")
view = urlstate.page_view([AREA], lambda v: [urlstate.Widget(AREA, "Initiative area")])
area = cat.area(view["area"])
look = ui.look(cat)
first, last = view.years
bench = view["benchmark"]

st.header(f"{area.order}. {area.name}", anchor=area.id)
st.write(area.description)
ui.milestones(cat, area.id)


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
            ui.chart(charts.line_chart(rows, ind.name, ind.unit, look, first, last, benchmark=benchmark),
                     export.tidy(rows, cat), caption, f"{ind.code}_{first}-{last}.csv", f"line-{ind.code}")
        latest = scoring.latest_rows(rows)
        with ranked:
            ui.chart(charts.ranked_bar(latest, f"Latest value, {first}–{last}", ind.unit, look,
                                       ind.higher_is_better, benchmark=benchmark),
                     export.tidy(latest, cat), caption, f"{ind.code}_latest_{last}.csv", f"bar-{ind.code}")
        missing = [look.name(c) for c in drawn if c not in set(rows["country"])]
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
    if view.countries:
        indicator_views(indicators)
    else:
        st.info("Select at least one state in the sidebar.", icon=":material/info:")
