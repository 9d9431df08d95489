"""2 (in the browser) and 5. Memory: a `streamlit run` server on loopback, every page visited ten times in headless
Chromium; per page the time from navigation to a settled page, then the server's resident memory."""
from __future__ import annotations

import time

from bench import measure, navigation
from bench.results import Figure, Results, at_most
from bench.workspace import Workspace
from tests import browser

VISITS = 10
SETTLE_LIMIT = 2.0       # seconds from navigation to a settled page, on loopback
RSS_LIMIT_MB = 300       # Streamlit Community Cloud gives an app as little as 690 MB
# browser.settle() returns only after the page has stayed idle for three polls 0.15 s apart: part of every figure
SETTLE_CONFIRMATION = 0.45


def rss(pid: int) -> int:
    """Resident bytes of the server process and any children it started."""
    import psutil

    process = psutil.Process(pid)
    return process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))


def _psutil_missing() -> str | None:
    try:
        import psutil  # noqa: F401
    except ImportError:
        return "psutil is not installed (pip install -r requirements-dev.txt)"
    return None


def visit(page, url: str) -> float:
    """Seconds from navigation to a settled page; fails on an exception shown on the page."""
    t0 = time.monotonic()
    page.goto(url)
    browser.settle(page)
    seconds = time.monotonic() - t0
    shown = browser.exceptions(page)
    if shown:
        raise RuntimeError(f"{url} shows an exception: {shown[0][:300]}")
    return seconds


def run(workspace: Workspace, results: Results, visits: int = VISITS) -> None:
    why = browser.unavailable() or _psutil_missing()
    if why:
        results.add(Figure("pages", "navigation to settled page (Chromium)", None, "s", at_most(SETTLE_LIMIT), why),
                    Figure("memory", f"server RSS after {visits} visits of every page", None, "MB",
                           at_most(RSS_LIMIT_MB), why))
        return
    from playwright.sync_api import sync_playwright

    log = workspace.path("visits-streamlit.log")
    paths = {page.name: page.address for page in navigation.pages()}
    times: dict[str, list[float]] = {name: [] for name in paths}
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        try:
            page = chromium.new_page(viewport=browser.DESKTOP)
            with browser.streamlit_server(log, STI_DB=str(workspace.snapshot_db())) as server:
                started = rss(server.process.pid)
                for round_ in range(visits):
                    for name, path in paths.items():
                        times[name].append(visit(page, server.url + path))
                    if round_ == 0:
                        after_first = rss(server.process.pid)
                page.goto("about:blank")  # the last session closes, as when a user leaves
                time.sleep(1.0)
                final = rss(server.process.pid)
        finally:
            chromium.close()

    for name, seconds in times.items():
        results.add(Figure("pages", f"`{paths[name]}` navigation to settled page (Chromium, loopback)",
                           measure.median(seconds), "s", at_most(SETTLE_LIMIT),
                           note=f"median of {visits} visits; includes settle()'s {SETTLE_CONFIRMATION} s wait that "
                                "the page stays idle"))
    results.add(
        Figure("memory", "server RSS after start-up, before any page", _mb(started), "MB"),
        Figure("memory", "server RSS after one visit of every page", _mb(after_first), "MB"),
        Figure("memory", f"server RSS after {visits} visits of every page", _mb(final), "MB", at_most(RSS_LIMIT_MB),
               note=f"{visits * len(paths)} sessions opened and closed; growth after the first round "
                    f"{_mb(final - after_first):+.0f} MB"))


def _mb(n_bytes: int) -> float:
    return n_bytes / 1e6
