"""2. Pages: the server-side time of every page's warm rerun against a bare one-line page (`page_timer`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import measure
from bench.results import Figure, Results, at_most
from bench.workspace import Workspace

NAME = "pages"
WARM_LIMIT_MS = 150
BASELINE_LIMIT = 3


def time_pages(db: Path, runs: int) -> dict[str, Any]:
    """page_timer's answer for database `db`: per view the warm times, ratios, query calls and profile."""
    done = measure.run(measure.python("-m", "bench.page_timer", str(db), str(runs)), env=measure.env())
    return json.loads(done.check("page timer").stdout)


def run(workspace: Workspace, results: Results, runs: int) -> dict[str, Any]:
    timed = time_pages(workspace.snapshot_db(), runs)
    baseline = measure.median(timed["baseline_ms"])
    charts_only = timed["charts_only"]
    results.add(Figure(NAME, "bare one-line page (`st.write`), the baseline", baseline, "ms",
                       note=f"median of {runs} warm reruns, alternated with the pages'"),
                Figure(NAME, f"only drawing the {charts_only['charts']} charts of `{charts_only['view']}`, already "
                             "built", measure.median(charts_only["ms"]), "ms",
                       note="what Streamlit and plotly cost for those charts alone (no query, no figure building): "
                            f"{measure.median(charts_only['ms']) / baseline:.0f}× the baseline"))
    for name, view in timed["views"].items():
        warm = measure.median(view["warm_ms"])
        profile = ", ".join(f"{where} {share:.0%}" for where, share in view["profile"][:5])
        results.add(
            Figure(NAME, f"`{name}` warm rerun (server side)", warm, "ms", at_most(WARM_LIMIT_MS),
                   note=f"median of {runs}; where the time goes (cumulative share, our code): {profile}"
                   if warm > WARM_LIMIT_MS else f"median of {runs}"),
            Figure(NAME, f"`{name}` ÷ baseline", measure.median(view["ratio"]), "×", at_most(BASELINE_LIMIT),
                   note="median of the per-round ratios"))
    return timed
