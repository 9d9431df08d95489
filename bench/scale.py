"""4. Scale: the synthetic whole-WDI dataset (`synthetic_wdi`) through `python -m etl import`, then every page's
queries on the database it makes against the same queries on the bundled snapshot's.

The page queries are the calls each page's first run made (recorded by `page_timer` on the snapshot database),
replayed through `sti.queries` on read-only connections to both databases, alternately. The synthetic series are
extra rows the pages do not ask for, so both databases answer with the same rows: what differs is only how much
the queries have to look through.
"""
from __future__ import annotations

import shutil
import time
from typing import Any

from bench import measure, synthetic_wdi
from bench.results import Figure, Results, at_most
from bench.workspace import Workspace
from sti import queries
from sti.db import connect_readonly, readonly_cursor

NAME = "scale"
IMPORT_LIMIT = 120.0   # seconds, at the WDI's full size
QUERY_LIMIT = 2.0      # page queries on the WDI-size database ÷ on the snapshot's


def replay(con, calls: list[list[Any]]) -> float:
    """Seconds to run a page's recorded query calls, each on a cursor of its own as the dashboard does."""
    return sum(replay_each(con, calls))


def replay_each(con, calls: list[list[Any]]) -> list[float]:
    times = []
    for name, args in calls:
        cursor = readonly_cursor(con)
        try:
            t0 = time.perf_counter()
            getattr(queries, name)(cursor, *args)
            times.append(time.perf_counter() - t0)
        finally:
            cursor.close()
    return times


def slowest(small, big, calls: list[list[Any]], repeats: int = 3) -> str:
    """The queries that grew most, with their times on both databases: where a miss comes from."""
    each_small = [replay_each(small, calls) for _ in range(repeats)]
    each_big = [replay_each(big, calls) for _ in range(repeats)]
    rows = [(name, measure.median([r[n] for r in each_small]), measure.median([r[n] for r in each_big]))
            for n, (name, _) in enumerate(calls)]
    rows.sort(key=lambda row: row[1] - row[2])
    return ", ".join(f"`{name}` {b * 1000:.0f} ms (snapshot {a * 1000:.1f} ms)" for name, a, b in rows[:3])


def run(workspace: Workspace, results: Results, page_calls: dict[str, list[list[Any]]], indicators: int,
        repeats: int, imports: int = 1) -> None:
    made = synthetic_wdi.generate(workspace.path("wdi"), indicators)
    share = indicators / synthetic_wdi.WDI_INDICATORS
    scope = "the WDI's full size" if share >= 1 else f"{share:.0%} of the WDI's size (quick run)"
    db = workspace.path("wdi") / "sti.duckdb"
    built = workspace.path("wdi") / "built.duckdb"
    etl = measure.python("-m", "bench.with_catalog", str(made.catalog_dir))
    measure.run([*etl, "build"], env=measure.env(STI_DB=str(built))).check("etl build with the synthetic catalogue")
    runs = []
    for _ in range(imports):  # each into the database as built from the snapshot, as a user's first import is
        shutil.copyfile(built, db)
        runs.append(measure.run([*etl, "import", str(made.data_dir)], env=measure.env(STI_DB=str(db)))
                    .check("etl import of the synthetic WDI"))
    seconds = measure.median([r.seconds for r in runs])
    peak = max(r.peak_rss for r in runs)
    results.add(
        Figure(NAME, f"synthetic observations generated ({made.indicators:,} series × {made.economies} economies × "
                     f"{made.years} years, {scope})", made.observations, "",
               note=f"{made.bytes / 1e6:,.0f} MB of World Bank bulk CSV, one file per series"),
        Figure(NAME, "`python -m etl import` of them (fresh process)", seconds, "s",
               at_most(IMPORT_LIMIT * share) if share < 1 else at_most(IMPORT_LIMIT),
               note=(f"median of {imports}" if imports > 1 else "one run")
               + ("" if share >= 1 else f"; target pro rata ({IMPORT_LIMIT:.0f} s × {share:.0%}): the full run "
                                        "measures the real size")),
        Figure(NAME, "peak memory of that import", measure.megabytes(peak), "MB",
               note="the process's maximum resident set (the kernel's own account)"),
        Figure(NAME, "database size after the import", measure.megabytes(db.stat().st_size), "MB",
               note=f"the snapshot's database: {measure.megabytes(workspace.snapshot_db().stat().st_size):.1f} MB"),
    )

    small, big = connect_readonly(workspace.snapshot_db()), connect_readonly(db)
    try:
        for calls in page_calls.values():  # once each, unmeasured: the first read of a file comes from disk
            replay(small, calls)
            replay(big, calls)
        for view, calls in page_calls.items():
            timed = measure.side_by_side({"small": lambda c=calls: replay(small, c),
                                          "big": lambda c=calls: replay(big, c)}, repeats)
            what = "a server's database check on its first page" if view == "start-up check" else f"`{view}` queries"
            ratio = measure.median_ratio(timed["big"], timed["small"])
            note = (f"{len(calls)} queries, {repeats} alternated repeats: median "
                    f"{measure.median(timed['small']) * 1000:.0f} ms on the snapshot, "
                    f"{measure.median(timed['big']) * 1000:.0f} ms on the synthetic WDI")
            if ratio > QUERY_LIMIT:
                note += f"; grew most: {slowest(small, big, calls)}"
            results.add(Figure(NAME, f"{what}: synthetic-WDI ÷ snapshot database", ratio, "×", at_most(QUERY_LIMIT),
                               note=note))
    finally:
        small.close()
        big.close()
