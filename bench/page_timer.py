"""Server-side time of every page's warm rerun, in a process of its own: `python -m bench.page_timer DB RUNS`.

Each view runs in Streamlit's AppTest against database DB; the time measured is the script run itself (Streamlit's
ScriptRunner._run_script: the page's code and the serialisation of what it draws), not AppTest's parsing of the
output. Rounds alternate every view with a bare one-line page, the baseline, so each ratio compares runs made next
to each other, and with a page that only draws the heaviest view's figures, already built (what the charts alone
cost). Prints JSON: per view the warm times, the query calls its first (cold) run made, and a profile; the calls of
the server's one-off database check apart.
"""
from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import navigation
from sti import settings

APP = str(settings.ROOT / "dashboard.py")
BASELINE = "import streamlit as st\nst.write('Hello')"
# Queries the dashboard runs through sti.store (the ETL's writes and checks are not page queries).
NOT_PAGE_QUERIES = {"create_schema", "insert_catalog", "insert_frame", "check_problems", "insert_series_stats"}


def views() -> dict[str, tuple[navigation.Page, dict[str, str]]]:
    """Every page with its default address, and the initiative area with the most indicators (the heaviest view)."""
    from sti.catalog import catalog

    cat = catalog()
    largest = max(cat.areas, key=lambda a: len(cat.indicators_for_area(a.id)))
    out = {page.name: (page, {}) for page in navigation.pages()}
    out[f"areas?area={largest.id}"] = (out["areas"][0], {"area": largest.id})
    return out


class _Recorder:
    """Wraps the query functions in sti.queries so that the calls a page makes can be replayed elsewhere."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] | None = None

    def install(self) -> None:
        from sti import queries

        for name, fn in list(vars(queries).items()):
            if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", "") == queries.__name__ \
                    and name not in NOT_PAGE_QUERIES and not isinstance(fn, type):
                setattr(queries, name, self._wrap(name, fn))

    def _wrap(self, name: str, fn: Callable) -> Callable:
        def recorded(con, *args):
            if self.calls is not None:
                self.calls.append([name, [list(a) if isinstance(a, tuple) else a for a in args]])
            return fn(con, *args)
        return recorded


def _draw(figures, config):
    """A page that only draws already-built figures: what Streamlit and plotly cost for the charts alone."""
    import streamlit as st

    for n, fig in enumerate(figures):
        st.plotly_chart(fig, config=config, key=f"chart-{n}")


class _Figures:
    """Keeps the figures a page hands to st.plotly_chart while `kept` is a list."""

    def __init__(self) -> None:
        self.kept: list | None = None

    def install(self) -> None:
        import streamlit as st

        original = st.plotly_chart

        def plotly_chart(fig, *args, **kwargs):
            if self.kept is not None:
                self.kept.append(fig)
            return original(fig, *args, **kwargs)

        st.plotly_chart = plotly_chart  # pages call st.plotly_chart through the module, at call time


def _patch_streamlit(script_times: list[float]) -> None:
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import local_script_runner

    # A server compiles each page once and reuses the bytecode; AppTest makes a new cache on every run, which would
    # add the compile to every "warm" rerun. One cache for the process, as a server has.
    shared = ScriptCache()
    local_script_runner.ScriptCache = lambda: shared
    original = script_runner.ScriptRunner._run_script

    def timed(self, rerun_data):
        t0 = time.perf_counter()
        try:
            return original(self, rerun_data)
        finally:
            script_times.append(time.perf_counter() - t0)

    script_runner.ScriptRunner._run_script = timed


def _app(page: navigation.Page, query: dict[str, str]):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    if not page.default:
        at.switch_page(page.file)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def _run(at, times: list[float]) -> float:
    """Run once; the script's own time (what _patch_streamlit recorded)."""
    at.run()
    if at.exception:
        raise RuntimeError(f"the page raised: {[e.value for e in at.exception]}")
    return times[-1]


def _profile(at, times: list[float], runs: int = 3) -> list[list[Any]]:
    """Where a warm rerun spends its time, as the share of the script's time in our own functions (cumulative)."""
    profiler = cProfile.Profile()
    script_runner = sys.modules["streamlit.runtime.scriptrunner.script_runner"].ScriptRunner
    timed = script_runner._run_script

    def profiled(self, rerun_data):
        profiler.enable()
        try:
            return timed(self, rerun_data)
        finally:
            profiler.disable()

    script_runner._run_script = profiled
    try:
        for _ in range(runs):
            _run(at, times)
    finally:
        script_runner._run_script = timed
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats  # type: ignore[attr-defined]
    total = max((ct for (_, _, fn), (_, _, _, ct, _) in stats.items() if fn == "_run_script"), default=0.0)
    root = str(settings.ROOT) + os.sep
    ours = [(f"{file[len(root):]}:{fn}", ct) for (file, _, fn), (_, _, _, ct, _) in stats.items()
            if file.startswith(root) and "/bench/" not in file and fn != "<module>"]
    ours.sort(key=lambda item: -item[1])
    return [[where, round(ct / total, 3)] for where, ct in ours[:12]] if total else []


def main(argv: list[str]) -> int:
    db, runs = Path(argv[0]), int(argv[1])
    os.environ["STI_DB"] = str(db)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from sti import store

    script_times: list[float] = []
    _patch_streamlit(script_times)
    recorder = _Recorder()
    recorder.install()
    figures = _Figures()
    figures.install()
    heaviest = list(views())[-1]

    out: dict[str, Any] = {"views": {}, "baseline_ms": []}
    recorder.calls = []
    store.ensure_database()  # a server checks its database once, on its first page: recorded apart from the pages
    out["startup_calls"] = recorder.calls
    apps = {}
    for name, (page, query) in views().items():
        st.cache_data.clear()  # each view's first run as on a fresh server: every query it needs is run
        st.cache_resource.clear()
        recorder.calls = []
        figures.kept = [] if name == heaviest else None
        at = _app(page, query)
        cold = _run(at, script_times)
        out["views"][name] = {"cold_ms": cold * 1000, "calls": recorder.calls, "warm_ms": [], "ratio": []}
        recorder.calls = None
        if figures.kept is not None:
            from sti.ui import PLOTLY_CONFIG

            charts_only = AppTest.from_function(_draw, args=(figures.kept, PLOTLY_CONFIG), default_timeout=60)
            out["charts_only"] = {"view": name, "charts": len(figures.kept), "ms": []}
            figures.kept = None
        _run(at, script_times)  # the first warm run settles what the first run left to do
        apps[name] = at
    baseline = AppTest.from_string(BASELINE, default_timeout=60)
    _run(baseline, script_times)
    _run(charts_only, script_times)
    for _ in range(runs):
        for name, at in apps.items():
            page_time = _run(at, script_times)
            base_time = _run(baseline, script_times)
            out["views"][name]["warm_ms"].append(page_time * 1000)
            out["views"][name]["ratio"].append(page_time / base_time)
            out["baseline_ms"].append(base_time * 1000)
        out["charts_only"]["ms"].append(_run(charts_only, script_times) * 1000)
    for name, at in apps.items():
        out["views"][name]["profile"] = _profile(at, script_times)
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
