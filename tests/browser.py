"""Driving the dashboard as a user does: a `streamlit run` server on a free loopback port, and Debian's Chromium
through Playwright (its own browser download does not work here). Used by the browser tests and the benchmarks.

`STI_CHROMIUM` names another Chromium binary; `STI_SCREENSHOTS` another folder for the screenshots.
"""
from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sti import settings

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(os.environ.get("STI_SCREENSHOTS", settings.ROOT / "shots" / "browser"))
# Streamlit's own frontend asks a sub-page's path for these two before it knows the app's root: two 404s on every
# page but the first, whatever the app does. Nothing else may reach the console.
KNOWN_404_SUFFIXES = ("/_stcore/health", "/_stcore/host-config")
FOOTER = "OTS STI Monitor is open source."


def chromium() -> Path:
    return Path(os.environ.get("STI_CHROMIUM", "/usr/bin/chromium"))


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    if not os.access(chromium(), os.X_OK):
        return (f"Chromium is not installed at {chromium()} (Debian: apt-get install -y chromium; or set "
                "STI_CHROMIUM to another Chromium binary)")
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def cannot_run(reason: str) -> None:
    """Skip, saying why; in CI (`CI` set) a check that cannot run is a failure, never a quiet skip."""
    import pytest

    if in_ci():
        pytest.fail(f"{reason}: CI must run this check")
    pytest.skip(reason)


def require() -> None:
    """The browser tests need Playwright and Chromium (.ci/run installs Chromium)."""
    reason = unavailable()
    if reason:
        cannot_run(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def streamlit_env(port: int, base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ if base is None else base, STREAMLIT_SERVER_PORT=str(port),
               STREAMLIT_SERVER_ADDRESS="127.0.0.1",
               STREAMLIT_SERVER_HEADLESS="true", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
               STREAMLIT_SERVER_FILE_WATCHER_TYPE="none", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def wait_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer within {timeout:.0f} s:\n{log_path.read_text(errors='replace')}")


@contextmanager
def streamlit_server(log_path: Path, *, cwd: Path = settings.ROOT, command: list[str] | None = None,
                     timeout: float = 60.0, base_env: dict[str, str] | None = None, **env: str) -> Iterator[Server]:
    """`streamlit run dashboard.py` (or `command`) on a free loopback port until the block ends; its environment is
    `base_env` (default: this process's) with the port and `env` set."""
    command = command or [sys.executable, "-m", "streamlit", "run", "dashboard.py"]
    for attempt in range(3):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, cwd=cwd, env=streamlit_env(port, base_env, **env), stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        _started.add(process)
        try:
            wait_healthy(url, process, log_path, timeout)
        except RuntimeError:
            stop(process)
            if attempt < 2 and "is already in use" in log_path.read_text(errors="replace"):
                continue  # the port was free when chosen, not when streamlit bound it
            raise
        if process.poll() is None and _says_port(log_path, port):
            break
        stop(process)  # another program answered on that port
    else:
        raise RuntimeError(f"no free loopback port for streamlit after 3 tries:\n{log_path.read_text()}")
    try:
        yield Server(url, process, log_path)
    finally:
        stop(process)


_started: set[subprocess.Popen] = set()


def _says_port(log_path: Path, port: int, wait: float = 10.0) -> bool:
    """Streamlit prints its URL as it starts serving: proof that the health answer came from this server."""
    deadline = time.monotonic() + wait
    while f":{port}" not in log_path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop(process: subprocess.Popen) -> None:
    _started.discard(process)
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@atexit.register
def _stop_all() -> None:
    """Servers run in sessions of their own; none may outlive the test run that started them."""
    for process in list(_started):
        stop(process)


# --- in the browser -------------------------------------------------------------------------------------------------


@dataclass
class Console:
    """Browser console errors and uncaught page errors, less Streamlit's two known sub-page 404s."""
    errors: list[str] = field(default_factory=list)

    def listen(self, page) -> Console:
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        return self

    def _message(self, message) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if "status of 404" in message.text and where.endswith(KNOWN_404_SUFFIXES):
            return
        self.errors.append(f"{message.text} ({where})" if where else message.text)


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(chromium()), args=CHROMIUM_FLAGS)


def settle(page, timeout: float = 60.0) -> float:
    """Seconds until the app is connected, its script has run and stayed idle for a moment, and every plotly chart
    has drawn its SVG."""
    t0 = time.monotonic()
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout * 1000)
    # dashboard.py draws its footer after the page, or an error box and stops: until one is there, the first run
    # has not finished
    page.wait_for_function("""footer => document.querySelector('[data-testid="stException"], '
                           + '[data-testid="stAlertContentError"]') || document.body.innerText.includes(footer)""",
                           arg=FOOTER, timeout=timeout * 1000)
    quiet = 0
    while quiet < 3:
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"{page.url} did not settle within {timeout:.0f} s")
        idle = page.evaluate("""() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const state = app && app.getAttribute('data-test-script-state');
            const busy = document.querySelector('[data-testid="stSkeleton"]');
            const stale = document.querySelector('[data-stale="true"]');
            const undrawn = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].some(c => {
                const g = c.querySelector('.js-plotly-plot');
                return !g || !g.querySelector('.main-svg') || !g._fullData;
            });
            return state === 'notRunning' && !busy && !stale && !undrawn;
        }""")
        quiet = quiet + 1 if idle else 0
        time.sleep(0.15)
    return time.monotonic() - t0


def traces(page) -> list[list[dict]]:
    """The data of every plotly chart on the page as plotly.js drew it (`_fullData`: arrays decoded from plotly's
    binary form): one list of traces per chart."""
    return page.evaluate("""() => {
        const list = v => (v == null || typeof v === 'string') ? (v ?? null) : Array.from(v);
        return [...document.querySelectorAll('.js-plotly-plot')].map(g => (g._fullData || []).map(t => ({
            type: t.type, name: t.name ?? null, orientation: t.orientation ?? null,
            x: list(t.x), y: list(t.y), locations: list(t.locations), z: list(t.z), text: list(t.text)})));
    }""")


def exceptions(page) -> list[str]:
    """Exception boxes, and the error boxes dashboard.py shows for a page or database that failed."""
    return page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()


def screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main container, so the viewport is stretched to its content
    for the picture (and put back after), and the page settles again at that height."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    tall = page.evaluate("() => Math.max(...[...document.querySelectorAll("
                         "'[data-testid=stMain], [data-testid=stSidebarContent]')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(tall), 12_000))})
    try:
        settle(page)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)
    return path


def tour(chromium_browser, base_url: str, viewport: dict = DESKTOP) -> dict[str, float]:
    """Open the app, then every page its navigation offers; each must settle with no exception box and no console
    error. Returns seconds to settle per path ('' first: the first visit after a start)."""
    page = chromium_browser.new_page(viewport=viewport)
    console = Console().listen(page)
    took: dict[str, float] = {}
    paths = [""]  # the first page's navigation names the others
    try:
        while len(took) < len(paths):
            path = paths[len(took)]
            page.goto(f"{base_url}/{path}", wait_until="domcontentloaded")
            took[path] = settle(page)
            assert exceptions(page) == [], (path, exceptions(page))
            assert console.errors == [], (path, console.errors)
            assert page.locator("h1").count() >= 1, path
            if len(paths) == 1:
                links = page.locator('[data-testid="stSidebarNavLink"]')
                found = [links.nth(i).get_attribute("href").replace(base_url, "").strip("/")
                         for i in range(links.count())]
                assert len(found) >= 5, f"navigation offers {found}"
                paths += [p for p in found if p not in paths]
    finally:
        page.close()
    return took


def visit_every_page(base_url: str) -> dict[str, float]:
    """`tour` in a Chromium of its own, for tests that start a server of their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium_browser = launch(playwright)
        try:
            return tour(chromium_browser, base_url)
        finally:
            chromium_browser.close()
