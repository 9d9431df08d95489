"""`python -m bench [--quick] [--only NAME …] [--out FILE] [--keep]`, or `python -m bench --table` to print the
table of the last results. Prints every figure with its target and writes them to bench/results.json."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import browser_visits, cold_start, pages, refresh, scale
from bench.results import RESULTS, Results, machine, summary, table
from bench.workspace import Workspace

BENCHMARKS = ("refresh", "pages", "cold-start", "scale", "memory")
# How much each benchmark repeats. --quick must finish in under 5 minutes on a shared 2-core machine; the full run
# takes the synthetic WDI at its real size.
PLANS = {
    "quick": {"refresh_repeats": 3, "other_latencies": (), "page_runs": 20, "visits": browser_visits.VISITS, "builds": 3, "first_pages": 1,
              "scale_indicators": 150, "scale_repeats": 5, "imports": 1},
    "full": {"refresh_repeats": 7, "other_latencies": (0.5,), "page_runs": 50, "visits": browser_visits.VISITS, "builds": 7, "first_pages": 3,
             "scale_indicators": 1500, "scale_repeats": 15, "imports": 3},
}
METHOD = ("Times are medians of repeated runs on a shared machine; a ratio is the median of the ratios of runs made "
          "side by side (alternately) in the same run. Databases are built in a temporary folder, never in data/.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a tenth of the WDI (under 5 min)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)})")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, logs)")
    parser.add_argument("--table", action="store_true", help="print the table of the results in --out and stop")
    args = parser.parse_args(argv)
    if args.table:
        print(table(Results.read(args.out)))
        return 0

    mode = "quick" if args.quick else "full"
    plan, chosen = PLANS[mode], set(args.only or BENCHMARKS)
    results = Results(mode=mode, machine=machine(), notes=[METHOD])
    t0 = time.perf_counter()
    with Workspace(keep=args.keep) as workspace:
        if args.keep:
            print(f"bench: keeping {workspace.root}", file=sys.stderr)
        timed_pages = None
        if "refresh" in chosen:
            _step("refresh vs wbgapi", lambda: refresh.run(workspace, results, plan["refresh_repeats"],
                                                                   plan["other_latencies"]))
        if "pages" in chosen:
            timed_pages = _step("pages (AppTest)", lambda: pages.run(workspace, results, plan["page_runs"]))
        if chosen & {"pages", "memory"}:
            _step("pages in Chromium, memory", lambda: browser_visits.run(workspace, results, plan["visits"]))
        if "cold-start" in chosen:
            _step("cold start", lambda: cold_start.run(workspace, results, plan["builds"], plan["first_pages"]))
        if "scale" in chosen:
            if timed_pages is None:  # the page queries to replay come from the pages' own first runs
                timed_pages = pages.time_pages(workspace.snapshot_db(), 1)
            calls = {"start-up check": timed_pages["startup_calls"]}
            calls.update({name: view["calls"] for name, view in timed_pages["views"].items()})
            _step("scale (synthetic WDI)", lambda: scale.run(workspace, results, calls, plan["scale_indicators"],
                                                             plan["scale_repeats"], plan["imports"]))
    results.seconds = time.perf_counter() - t0
    results.write(args.out)
    print(summary(results))
    print(f"\nWritten to {args.out}.")
    return 0


def _step(what: str, action):
    print(f"bench: {what} …", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    out = action()
    print(f"bench: {what} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
