"""Explorer: any indicator, states and years as a line, ranked bar, map or scatter; per-capita, per-GDP and log."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from sti import charts, export, scoring, store, ui, urlstate
from sti.catalog import catalog
from sti.params import Param

cat = catalog()
names = {i.code: f"{i.name} ({i.unit})" for i in cat.indicators}
codes = tuple(i.code for i in cat.indicators if not i.is_categorical)  # memberships: the areas page's timeline
POPULATION = "SP.POP.TOTL"
MAPPABLE = {c.code for c in cat.countries if c.role in ("member", "observer", "neighbour")}
INDICATOR = Param("indicator", "choice", "GB.XPD.RSDV.GD.ZS", options=codes, labels=names)
CHART = Param("chart", "choice", "line", options=("line", "bar", "map", "scatter"),
              labels={"line": "Line", "bar": "Ranked bar", "map": "Map", "scatter": "Scatter"})
X = Param("x", "choice", "NY.GDP.PCAP.PP.KD", options=codes, labels=names)
PER = Param("per", "choice", "none", options=("none", "capita", "gdp"),
            labels={"none": "As published", "capita": "Per capita", "gdp": "Per GDP"})
LOG = Param("log", "flag", False)

st.title("Explorer")


def controls(v: dict) -> list[urlstate.Widget]:
    ind = cat.indicator(v["indicator"])
    return [urlstate.Widget(INDICATOR, "Indicator"), urlstate.Widget(X, "Scatter: x axis", disabled=v["chart"] != "scatter"),
            urlstate.Widget(CHART, "Chart", kind="radio", row=1),
            urlstate.Widget(PER, "Form", kind="radio", disabled=not (ind.per_capita or ind.per_gdp), row=1,
                      help="Offered for counts and values that grow with a country's size"),
            urlstate.Widget(LOG, "Log scale", kind="toggle", row=1)]


def forms(v: dict) -> dict:
    """A per-capita or per-GDP form the chosen series does not have falls back to the published form."""
    ind = cat.indicator(v["indicator"])
    if v["per"] != "none" and ind.scaling(v["per"]) is None:
        return {"per": ("none", f"{ind.name} has no {PER.labels[v['per']].lower()} form; shown as published.")}
    return {}


view = urlstate.page_view([INDICATOR, CHART, X, PER, LOG], controls, constrain=forms)
ind, chart = cat.indicator(view["indicator"]), view["chart"]
look = ui.look(cat)
first, last = view.years
bench = view["benchmark"]


def draw() -> None:
    shown = list(dict.fromkeys(view.countries + ([bench] if bench != scoring.BEST and chart in ("line", "bar")
                                                 else [])))
    scaling = ind.scaling(view["per"])
    unit = scaling.unit if scaling else ind.unit
    if scaling:
        data = store.read("scaled_series", ind.code, scaling.denominator, scaling.multiplier, shown, first, last)
    else:
        data = store.read("series", [ind.code], shown, first, last)
    log = bool(view["log"])
    if log and len(data) and (data["value"] <= 0).any():
        st.info("Log scale needs positive values, and some shown are zero or negative: drawn on a linear scale.",
                icon=":material/info:")
        log = False
    caption = ui.source_caption(cat, [ind], data) + (
        f" Divided by {cat.indicator(scaling.denominator).name.lower()} (same country and year) × "
        f"{scaling.multiplier:g}." if scaling else "")
    nothing = f"no selected state has a value of {ind.name.lower()} in {first}–{last}"
    if data.empty:
        ui.no_data(nothing)
    elif chart == "line":
        ui.chart(ui.figure(charts.line_chart, data, ind.name, unit, look, first, last, benchmark=bench, log=log),
                 export.tidy(data, cat, unit), caption, f"{ind.code}_{first}-{last}.csv", "explorer")
    elif chart == "bar":
        latest = scoring.latest_rows(data)
        ui.chart(ui.figure(charts.ranked_bar, latest, f"{ind.name}: latest value, {first}–{last}", unit, look,
                           ind.higher_is_better, benchmark=bench, log=log),
                 export.tidy(latest, cat, unit), caption, f"{ind.code}_latest_{last}.csv", "explorer")
    elif chart == "map":
        latest = scoring.latest_rows(data[data["country"].isin(MAPPABLE)])
        if latest.empty:
            ui.no_data(nothing.replace("selected state", "selected country (aggregates are not mapped)"))
            return
        st.caption("Regional aggregates and benchmarks are not drawn on the map.")
        ui.chart(ui.figure(charts.choropleth, latest, f"{ind.name}: latest value, {first}–{last}", unit, look),
                 export.tidy(latest, cat, unit), caption, f"{ind.code}_map_{last}.csv", "explorer")
    else:
        scatter(data, unit, log)


def scatter(data: pd.DataFrame, unit: str, log: bool) -> None:
    x_ind = cat.indicator(view["x"])
    both = store.read("series", [x_ind.code, POPULATION], view.countries, first, last)
    points = charts.scatter_points(data, both[both["indicator"] == x_ind.code], both[both["indicator"] == POPULATION])
    if points.empty:
        ui.no_data(f"no selected state has {ind.name.lower()} and {x_ind.name.lower()} in the same year")
        return
    fig = ui.figure(charts.scatter, points, f"{ind.name} against {x_ind.name}", f"{x_ind.name} ({x_ind.unit})",
                    f"{ind.name} ({unit})", look, log_x=log and bool((points["x"] > 0).all()), log_y=log)
    keys = points[["country", "year"]]
    used = pd.concat([export.tidy(data.merge(keys), cat, unit), export.tidy(both.merge(keys), cat)],
                     ignore_index=True)
    ui.chart(fig, used, ui.source_caption(cat, [ind, x_ind, cat.indicator(POPULATION)], pd.concat([data, both])),
             f"{ind.code}_vs_{x_ind.code}.csv", "explorer")
    st.caption("Each state at its latest year with both values; bubble area is population in that year.")


st.caption(ind.definition)
if view.countries:
    draw()
else:
    st.info("Select at least one state in the sidebar.", icon=":material/info:")
