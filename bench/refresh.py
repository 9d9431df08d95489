"""1. Refresh against the World Bank's own client.

`python -m etl refresh --source worldbank` (every World Bank series in the catalogue, all our economies) and wbgapi
fetching the same series and economies, both from the loopback stand-in (`latency_server`) with the same fixed
latency on every request. Each is a fresh process, timed from start to exit, alternately, `repeats` times.
"""
from __future__ import annotations

import json

from bench import latency_server, measure
from bench.results import Figure, Results, at_least, at_most
from bench.workspace import Workspace
from etl.refresh import WORKERS
from sti import queries
from sti.catalog import catalog
from sti.db import connect_readonly

LATENCY = 0.100  # seconds added to every request: a stand-in for the distance to the real API (issue 7: e.g. 100 ms)
NAME = "refresh"


def run(workspace: Workspace, results: Results, repeats: int, other_latencies: tuple[float, ...] = (),
        other_repeats: int = 3) -> None:
    cat = catalog()
    data = latency_server.from_snapshot(cat)
    series = [i.source_code for i in cat.indicators_from("worldbank")]
    economies = [c.code for c in cat.fetchable_countries()]
    db = workspace.copy_of_snapshot_db("refresh")  # refresh into the database a user has: built from the snapshot

    with latency_server.serving(data, LATENCY) as server:
        ours_env = measure.env(STI_DB=str(db), STI_WORLDBANK_API=server.url)
        ours_cmd = measure.python("-m", "etl", "refresh", "--source", "worldbank")
        wbgapi_cmd = measure.python("-m", "bench.wbgapi_fetch", server.url, ",".join(series), ",".join(economies))

        def ours() -> float:
            return measure.run(ours_cmd, env=ours_env).check("etl refresh").seconds

        def wbgapi(*route: str) -> measure.Run:
            return measure.run([*wbgapi_cmd, *route], env=measure.env()).check("wbgapi")

        # A first run of each, unmeasured: fills the server's rendered answers and the OS file cache, and counts
        # the requests each makes and the values each gets.
        server.take_requests()
        ours()
        ours_requests = len(server.take_requests())
        got = json.loads(wbgapi().stdout)["values"]
        wbgapi_paths = [path for _, path in server.take_requests()]
        wbgapi_data = sum("/series/" in path for path in wbgapi_paths)
        stored = _stored_worldbank_values(db, cat)
        if got != stored:
            raise RuntimeError(f"wbgapi got {got} values, our refresh stored {stored}: not the same data")

        times = measure.side_by_side({"ours": ours, "fetch": lambda: wbgapi().seconds,
                                      "dataframe": lambda: wbgapi("--dataframe").seconds}, repeats)
        # The same two clients at other latencies: how the ratio moves once waiting, not start-up, dominates.
        swept = {}
        for latency in other_latencies:
            server.latency = latency
            swept[latency] = measure.side_by_side({"ours": ours, "fetch": lambda: wbgapi().seconds}, other_repeats)

    floor = LATENCY * len(series)  # API v2 answers one indicator per request (a list of economies in each)
    shape = f"{len(series)} series × {len(economies)} economies, {LATENCY * 1000:.0f} ms per request"
    results.add(
        Figure(NAME, f"ours: `python -m etl refresh --source worldbank` ({shape})", measure.median(times["ours"]),
               "s", note=f"median of {repeats}; a fresh process each time, fetch + checks + new database written"),
        Figure(NAME, "wbgapi `wb.data.fetch`, same series and economies", measure.median(times["fetch"]), "s",
               note="wbgapi's fastest route: a generator of rows, gathered into a tidy frame"),
        Figure(NAME, "wbgapi `wb.data.DataFrame`, same series and economies", measure.median(times["dataframe"]),
               "s", note="the route wbgapi's README shows first"),
        Figure(NAME, "wbgapi `fetch` time ÷ ours", measure.median_ratio(times["fetch"], times["ours"]), "×",
               at_least(5), note="median of the per-repeat ratios"),
        Figure(NAME, "wbgapi `DataFrame` time ÷ ours", measure.median_ratio(times["dataframe"], times["ours"]), "×",
               at_least(5), note="median of the per-repeat ratios"),
        Figure(NAME, "requests made by ours", ours_requests, "", note=f"one per series, {WORKERS} at a time"),
        Figure(NAME, "requests made by wbgapi", len(wbgapi_paths), "",
               note=f"one after another: {len(wbgapi_paths) - wbgapi_data} metadata look-ups, then {wbgapi_data} "
                    "pages of data (1,000 rows each, its default)"),
        Figure(NAME, "floor: latency × minimum requests (one per series)", floor, "s"),
        Figure(NAME, "ours ÷ floor", measure.median(times["ours"]) / floor, "×", at_most(1.5),
               note=f"ours can go below the floor: it makes its requests {WORKERS} at a time"),
    )
    for latency, timed in swept.items():
        results.add(Figure(NAME, f"wbgapi `fetch` time ÷ ours at {latency * 1000:.0f} ms per request",
                           measure.median_ratio(timed["fetch"], timed["ours"]), "×",
                           note=f"median of {other_repeats}: ours {measure.median(timed['ours']):.1f} s, wbgapi "
                                f"{measure.median(timed['fetch']):.1f} s; no target (the issue's is at "
                                f"{LATENCY * 1000:.0f} ms)"))


def _stored_worldbank_values(db, cat) -> int:
    con = connect_readonly(db)
    try:
        status = queries.status(con)
    finally:
        con.close()
    published = {i.code for i in cat.indicators_from("worldbank")}
    return int(status[status["indicator"].isin(published)]["rows"].sum())
