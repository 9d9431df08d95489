"""The newcomer's path: a clean clone, a fresh virtual environment, and the README's two commands as written.

The run command alone installs, builds the database from the snapshot on the first visit and serves every page; the
test command alone installs the test tools and passes. Minutes of installing, so it runs in CI (`CI` set) or with
`STI_NEWCOMER=1`, and is marked `newcomer` (`-m "not newcomer"` leaves it out).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from sti import settings
from tests import browser

pytestmark = pytest.mark.newcomer
INNER = "STI_NEWCOMER_INNER"  # set in the inner test run, which must not start another


def wanted() -> str | None:
    if os.environ.get(INNER):
        return "this is the newcomer test's own run of the README's test command"
    on = {k: os.environ.get(k, "").lower() not in ("", "0", "false") for k in ("CI", "STI_NEWCOMER")}
    if not any(on.values()):
        return "installs everything into a fresh virtual environment (minutes): runs in CI, or with STI_NEWCOMER=1"
    if not (settings.ROOT / ".git").exists():
        return "not a git checkout, so there is no clean clone to make"
    return None


def readme_commands(readme: str) -> tuple[str, str]:
    """The README's set-up commands: the one-line bash blocks of its "Set up" section, run command first."""
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", section, re.DOTALL)
    assert len(blocks) == 2 and all("\n" not in b for b in blocks), blocks
    return blocks[0], blocks[1]


def test_the_readme_names_exactly_a_run_and_a_test_command():
    run, test = readme_commands((settings.ROOT / "README.md").read_text())
    assert "streamlit run dashboard.py" in run and "pytest" in test


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory):
    """A clean clone of this checkout's commit and a fresh virtual environment with nothing installed; the
    environment a newcomer's shell would have (no STI_* settings of ours)."""
    reason = wanted()
    if reason:
        pytest.skip(reason)
    where = tmp_path_factory.mktemp("newcomer")
    clone = where / "ots-sti-monitor"
    subprocess.run(["git", "clone", "--quiet", str(settings.ROOT), str(clone)], check=True)
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "CI", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST",
            "PIP_FIND_LINKS", "PIP_CONFIG_FILE", "STI_CHROMIUM", "STI_SCREENSHOTS")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}/usr/local/bin:/usr/bin:/bin", VIRTUAL_ENV=str(venv))
    run, test = readme_commands((clone / "README.md").read_text())
    return clone, env, run, test


def test_the_run_command_installs_builds_on_first_visit_and_serves_every_page(newcomer, tmp_path):
    browser.require()
    clone, env, run, _ = newcomer
    database = clone / "data" / "sti.duckdb"
    assert not database.exists()
    from playwright.sync_api import sync_playwright
    with browser.streamlit_server(tmp_path / "run.log", cwd=clone, command=["bash", "-c", run], timeout=1200,
                                  base_env=env) as server, sync_playwright() as playwright:
        assert not database.exists(), "the database is built on the first visit, not at start"
        chromium = browser.launch(playwright)
        try:
            seen = browser.tour(chromium, server.url)
        finally:
            chromium.close()
        log = server.log()
    assert database.stat().st_size > 1_000_000 and len(seen) >= 5
    print(f"first visit after a cold start: {seen['']:.1f} s to a settled overview (database built meanwhile)")
    assert "Traceback" not in log, log


def test_the_test_command_installs_and_passes(newcomer, tmp_path):
    clone, env, _, test = newcomer
    done = subprocess.run(["bash", "-c", test], check=False, cwd=clone, env=dict(env, **{INNER: "1"}),
                          capture_output=True, text=True, timeout=3600)
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
    assert done.returncode == 0, tail
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, tail
