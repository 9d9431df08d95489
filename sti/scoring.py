"""Initiative-area indices: pure functions of observation frames, so every index can be traced to its inputs.

For each scored indicator and state: the latest year within the recency window in which both the state and the
benchmark have a value; the state's value indexed against the benchmark's value for that same year (benchmark = 100),
inverted where lower is better, and held within [0, CAP] so that one outlier cannot dominate an area. An area's index
is the mean of its indicator indices when at least half of its scored indicators have one; otherwise the area has
"insufficient data". Counts that grow with a country's size are not scored (the catalogue scores their per-capita form).
"""
from __future__ import annotations

import pandas as pd

from sti.catalog import Catalog

BEST = "best"              # benchmark: the OTS state with the best latest value of each indicator
DEFAULT_WINDOW = 10        # years: older values say little about a state today
WINDOW_RANGE = (1, 30)
CAP = 300.0                # three times the benchmark is already far ahead; more would swamp the other indicators

OK = "ok"
NO_DATA = "no data in the window"
NO_BENCHMARK_YEAR = "no benchmark value in the same year"
NOT_INDEXABLE = "benchmark value is zero or negative"
NO_BENCHMARK = "the benchmark has no value in the window"
INSUFFICIENT = "insufficient data"
NO_BENCHMARK_DATA = "no benchmark data"  # an area whose indices fail mostly because the benchmark has no series
NOT_SCORED = "no scored indicator"

INDICATOR_COLUMNS = ["country", "indicator", "year", "value", "benchmark_country", "benchmark_value", "index",
                     "status"]
AREA_COLUMNS = ["country", "area", "index", "with_data", "scored", "status"]


def latest_rows(frame: pd.DataFrame, by: tuple[str, ...] = ("country",)) -> pd.DataFrame:
    """Each group's row of the latest year (the frame holds only published values, so no gap is picked)."""
    return frame.sort_values("year").groupby(list(by), as_index=False).last()


def window_years(reference_year: int, window: int) -> tuple[int, int]:
    """The first and last year of the recency window that ends at `reference_year`."""
    return reference_year - window + 1, reference_year


def best_performers(observations: pd.DataFrame, catalog: Catalog, ots_codes: list[str] | tuple[str, ...],
                    first: int, last: int) -> dict[str, str]:
    """Per scored indicator, the OTS state whose latest value in [first, last] is best (ties: first code)."""
    obs = observations[observations["country"].isin(ots_codes) & observations["year"].between(first, last)]
    latest = latest_rows(obs, ("indicator", "country"))
    best = {}
    for ind in catalog.indicators:
        if not ind.scored:
            continue
        rows = latest[latest["indicator"] == ind.code].sort_values("country")
        if rows.empty:
            continue
        pick = rows["value"].idxmax() if ind.higher_is_better else rows["value"].idxmin()
        best[ind.code] = str(rows.at[pick, "country"])
    return best


def _index(value: float, reference: float, higher_is_better: bool, cap: float) -> tuple[float | None, str]:
    if reference <= 0:
        return None, NOT_INDEXABLE
    if higher_is_better:
        ratio = value / reference
    elif value <= 0:  # nothing of a bad thing beats any positive benchmark
        return cap, OK
    else:
        ratio = reference / value
    return min(max(100.0 * ratio, 0.0), cap), OK


def indicator_indices(observations: pd.DataFrame, catalog: Catalog, countries: list[str] | tuple[str, ...],
                      benchmark: str, reference_year: int, window: int = DEFAULT_WINDOW,
                      cap: float = CAP) -> pd.DataFrame:
    """One row per (country, scored indicator) with the values, years and benchmark behind its index.

    `observations` has columns indicator, country, year, value and must hold the benchmark's rows (or, for
    benchmark BEST, every OTS state's rows)."""
    first, last = window_years(reference_year, window)
    obs = observations[observations["year"].between(first, last)]
    best = (best_performers(obs, catalog, [c.code for c in catalog.ots_states()], first, last)
            if benchmark == BEST else {})
    rows = []
    for ind in catalog.indicators:
        if not ind.scored:
            continue
        series = obs[obs["indicator"] == ind.code]
        bench_code = best.get(ind.code) if benchmark == BEST else benchmark
        bench = (series[series["country"] == bench_code].set_index("year")["value"] if bench_code
                 else pd.Series(dtype=float))
        for country in countries:
            own = series[series["country"] == country].set_index("year")["value"]
            row = {"country": country, "indicator": ind.code, "year": None, "value": None,
                   "benchmark_country": bench_code, "benchmark_value": None, "index": None}
            if own.empty:
                rows.append({**row, "status": NO_DATA})
                continue
            if bench.empty:
                year = int(own.index.max())
                rows.append({**row, "year": year, "value": float(own[year]), "status": NO_BENCHMARK})
                continue
            common = own.index.intersection(bench.index)
            if common.empty:
                year = int(own.index.max())
                rows.append({**row, "year": year, "value": float(own[year]), "status": NO_BENCHMARK_YEAR})
                continue
            year = int(common.max())
            value, reference = float(own[year]), float(bench[year])
            index, status = _index(value, reference, bool(ind.higher_is_better), cap)
            rows.append({**row, "year": year, "value": value, "benchmark_value": reference, "index": index,
                         "status": status})
    frame = pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
    return frame.astype({"year": "Int64", "value": "float64", "benchmark_value": "float64", "index": "float64"})


def area_indices(indices: pd.DataFrame, catalog: Catalog, countries: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """One row per (country, area): the mean indicator index where at least half the scored indicators have one."""
    rows = []
    for country in countries:
        mine = indices[indices["country"] == country]
        own = mine[mine["index"].notna()]
        for area in catalog.areas:
            scored = [i.code for i in catalog.scored_for_area(area.id)]
            values = own[own["indicator"].isin(scored)]["index"]
            statuses = mine["status"] if "status" in mine else pd.Series("", index=mine.index)
            unbenchmarked = int((mine["indicator"].isin(scored) & (statuses == NO_BENCHMARK)).sum())
            if not scored:
                index, status = None, NOT_SCORED
            elif 2 * len(values) >= len(scored):
                index, status = float(values.mean()), OK
            elif 2 * unbenchmarked >= len(scored):  # the state has data; the benchmark publishes none
                index, status = None, NO_BENCHMARK_DATA
            else:
                index, status = None, INSUFFICIENT
            rows.append({"country": country, "area": area.id, "index": index, "with_data": len(values),
                         "scored": len(scored), "status": status})
    return pd.DataFrame(rows, columns=AREA_COLUMNS).astype({"index": "float64"})


def group_average(areas: pd.DataFrame, countries: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Per area: the mean index of the given countries that have one, and how many of them that is."""
    own = areas[areas["country"].isin(countries)]
    out = own.groupby("area", sort=False).agg(index=("index", "mean"), with_index=("index", "count"))
    return out.reset_index()
