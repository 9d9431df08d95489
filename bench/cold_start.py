"""3. Cold start: `python -m etl build` from the snapshot, and `streamlit run` on a fresh clone (no database, no
bytecode) to the first settled page in Chromium, which includes the dashboard building its database."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench import measure
from bench.results import Figure, Results, at_most
from bench.workspace import Workspace
from tests import browser

NAME = "cold start"
BUILD_LIMIT = 3.0
FIRST_PAGE_LIMIT = 8.0


def fresh_clone(target: Path) -> Path:
    """The working tree's files as a clone would have them (tracked and new files, nothing git ignores: no database,
    no __pycache__), so uncommitted work is measured too."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=measure.ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = measure.ROOT / name
        if source.is_file():  # a file deleted in the working tree is still listed until it is committed
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run(workspace: Workspace, results: Results, builds: int, first_pages: int) -> None:
    build_times = []
    for n in range(builds):
        db = workspace.path(f"cold-build-{n}") / "sti.duckdb"  # nothing there yet, as on a first start
        build_times.append(measure.run(measure.python("-m", "etl", "build"),
                                       env=measure.env(STI_DB=str(db))).check("etl build").seconds)
    results.add(Figure(NAME, "`python -m etl build` from the snapshot (fresh process)", measure.median(build_times),
                       "s", at_most(BUILD_LIMIT), note=f"median of {builds}"))

    why = browser.unavailable()
    if why:
        results.add(Figure(NAME, "`streamlit run` on a fresh clone to the first settled page", None, "s",
                           at_most(FIRST_PAGE_LIMIT), why))
        return
    from playwright.sync_api import sync_playwright

    first_page = []
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)  # started beforehand: the browser's own start is not the app's
        try:
            for n in range(first_pages):
                clone = fresh_clone(workspace.path(f"clone-{n}"))
                page = chromium.new_page(viewport=browser.DESKTOP)
                t0 = time.monotonic()
                with browser.streamlit_server(workspace.path(f"clone-{n}.log"), cwd=clone, timeout=120,
                                              STI_DB=str(clone / "data" / "sti.duckdb")) as server:
                    page.goto(server.url + "/")
                    browser.settle(page, timeout=120)
                    first_page.append(time.monotonic() - t0)
                    if not (clone / "data" / "sti.duckdb").exists():
                        raise RuntimeError("the first page was shown without building the database")
                page.close()
        finally:
            chromium.close()
    results.add(Figure(NAME, "`streamlit run` on a fresh clone to the first settled page (Chromium)",
                       measure.median(first_page), "s", at_most(FIRST_PAGE_LIMIT),
                       note=f"median of {first_pages}; server start, the database built from the snapshot, the "
                            "overview drawn"))
