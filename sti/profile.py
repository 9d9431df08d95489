"""A state's profile: every indicator's latest value, trend, rank and distance to the benchmark, and the sentences
that name its strengths and gaps. Pure functions of data frames."""
from __future__ import annotations

import pandas as pd

from sti import scoring
from sti.catalog import Catalog
from sti.charts import format_value

TABLE_COLUMNS = ["indicator", "name", "year", "value", "unit", "trend", "years_with_data", "rank", "compared_year", "compared_value",
                 "benchmark_value", "difference", "index", "area", "source", "vintage"]


def _rank(latest: pd.DataFrame, country: str, higher_is_better: bool | None) -> str:
    """'2 of 7': the state's place among OTS states with a value, best first; '' where no direction applies."""
    if higher_is_better is None or country not in set(latest["country"]):
        return ""
    ordered = latest.sort_values("value", ascending=not higher_is_better).reset_index(drop=True)
    place = int(ordered.index[ordered["country"] == country][0]) + 1
    return f"{place} of {len(ordered)}"


def _comparison(own: pd.Series, bench: pd.Series, same: bool) -> tuple[int, float, float] | None:
    """(year, value, benchmark value) in the latest year both have; the state against itself where it is the
    benchmark."""
    if same:
        return (int(own.index.max()), float(own.iloc[-1]), float(own.iloc[-1])) if len(own) else None
    common = own.index.intersection(bench.index)
    if common.empty:
        return None
    year = int(common.max())
    return year, float(own[year]), float(bench[year])


def indicator_table(data: pd.DataFrame, indices: pd.DataFrame, catalog: Catalog, country: str,
                    ots_codes: list[str], benchmark_country: dict[str, str | None], first: int, last: int,
                    window: int) -> pd.DataFrame:
    """One row per area indicator. `data` holds (indicator, country, year, value, source, vintage) for the state,
    the other OTS states and the benchmarks over [first, last]; `indices` is scoring.indicator_indices' output.

    `year`/`value`: the state's latest in [first, last], with its trend over the years that have a value. `rank`: among
    the OTS states' latest values in the recency window. `compared_*`: the year, value and benchmark value the index
    (for scored indicators: exactly the index's inputs) or the difference is computed from. Size-dependent counts are
    not compared with an aggregate's total."""
    window_first, _ = scoring.window_years(last, window)
    years = list(range(first, last + 1))
    rows = []
    for ind in catalog.indicators:
        if ind.kind != "indicator" or ind.is_categorical:  # memberships: listed apart, as labels
            continue
        series = data[data["indicator"] == ind.code]
        own = series[series["country"] == country].sort_values("year")
        recent = series[series["country"].isin(ots_codes) & (series["year"] >= window_first)]
        latest_ots = scoring.latest_rows(recent)
        bench_code = benchmark_country.get(ind.code)
        row = {"area": ", ".join(catalog.area(a).name for a in ind.areas), "indicator": ind.code,
               "name": ind.name, "unit": ind.unit, "year": None, "value": None, "rank": "", "compared_year": None,
               "compared_value": None, "benchmark_value": None, "difference": None, "index": None,
               # Streamlit's sparkline cannot draw a gap, so it gets the years with data and `years_with_data`
               # says how many of the range's years those are
               "trend": own["value"].tolist(), "years_with_data": f"{len(own)} of {len(years)}",
               "source": ind.source, "vintage": ""}
        if len(own):
            row.update({"year": int(own["year"].iloc[-1]), "value": float(own["value"].iloc[-1]),
                        "vintage": own["vintage"].iloc[-1],
                        "rank": _rank(latest_ots, country, ind.higher_is_better)})
        scored = indices[(indices["indicator"] == ind.code) & (indices["country"] == country)]
        if ind.scored:
            compared = (None if scored.empty or pd.isna(scored["benchmark_value"].iloc[0]) else
                        (int(scored["year"].iloc[0]), float(scored["value"].iloc[0]),
                         float(scored["benchmark_value"].iloc[0])))
            if len(scored) and pd.notna(scored["index"].iloc[0]):
                row["index"] = float(scored["index"].iloc[0])
        elif bench_code and not (ind.per_capita or ind.per_gdp):
            bench = series[series["country"] == bench_code].set_index("year")["value"]
            compared = _comparison(own.set_index("year")["value"], bench, bench_code == country)
        else:
            compared = None
        if compared:
            year, value, reference = compared
            row.update({"compared_year": year, "compared_value": value, "benchmark_value": reference,
                        "difference": value - reference})
        rows.append(row)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS).astype(
        {"year": "Int64", "value": "float64", "compared_year": "Int64", "compared_value": "float64",
         "benchmark_value": "float64", "difference": "float64", "index": "float64"})


def strengths_and_gaps(areas: pd.DataFrame, average: pd.DataFrame, indices: pd.DataFrame, catalog: Catalog,
                       country: str, benchmark_label: str) -> tuple[str, str]:
    """Two sentences, derived from the numbers: the state's strongest and weakest area (by index, against the OTS
    average), each backed by its best or worst indicator with value and year."""
    name = catalog.country(country).name
    own = areas[(areas["country"] == country) & (areas["status"] == scoring.OK)].sort_values("index")
    if own.empty:
        none = (f"{name} has no area with enough recent data for an index against {benchmark_label}, so no "
                "strength or gap is stated.")
        return none, ""
    avg = dict(zip(average["area"], average["index"]))
    own_ind = indices[(indices["country"] == country) & indices["index"].notna()]

    def sentence(row: pd.Series, kind: str) -> str:
        area = catalog.area(row["area"])
        codes = [i.code for i in catalog.scored_for_area(area.id)]
        cands = own_ind[own_ind["indicator"].isin(codes)].sort_values("index", ascending=kind == "gap")
        top = cands.iloc[0]
        ind = catalog.indicator(top["indicator"])
        compare = f"; OTS average {avg[area.id]:.0f}" if pd.notna(avg.get(area.id)) else ""
        lead = "Strongest area" if kind == "strength" else "Weakest area"
        verb = "led by" if kind == "strength" else "held back by"
        return (f"**{lead}: {area.name}** (index {row['index']:.0f}, {benchmark_label} = 100{compare}), {verb} "
                f"{ind.name.lower() if ind.name[1:2].islower() else ind.name}: {format_value(top['value'])} "
                f"{ind.unit} in {int(top['year'])} against {format_value(top['benchmark_value'])} for {benchmark_label}.")

    strength = sentence(own.iloc[-1], "strength")
    if len(own) == 1:
        return strength, "Only one area has enough recent data for an index, so no gap is stated."
    return strength, sentence(own.iloc[0], "gap")
