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
from pathlib import Path

import pytest

from sti import settings
from tests import browser
from tests.conftest import FIRST_VISIT

pytestmark = pytest.mark.newcomer
INNER = "STI_NEWCOMER_INNER"  # set in the inner test run, which must not start another


def wanted() -> str | None:
    """Why not to run here, or None. Not wanted outside CI unless asked; in CI it must run."""
    if os.environ.get(INNER):
        return "this is the newcomer test's own run of the README's test command"
    if not (browser.in_ci() or os.environ.get("STI_NEWCOMER", "").lower() not in ("", "0", "false")):
        return "installs everything into a fresh virtual environment (minutes): runs in CI, or with STI_NEWCOMER=1"
    if not (settings.ROOT / ".git").exists():
        browser.cannot_run("not a git checkout, so there is no clean clone to make")
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


def test_ci_runs_the_readmes_test_command():
    lines = [line for line in (settings.ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert lines[-1] == readme_commands((settings.ROOT / "README.md").read_text())[1]


def newcomers_machine(where: Path) -> tuple[Path, dict[str, str]]:
    """A clean clone of this checkout's commit and a fresh virtual environment with nothing installed, in the
    environment a newcomer's shell would have: no STI_* settings, no CI, no Chromium, a home of its own (this
    machine's pip configuration, proxies and download cache are kept: where packages come from is not the test)."""
    clone = where / "ots-sti-monitor"
    subprocess.run(["git", "clone", "--quiet", str(settings.ROOT), str(clone)], check=True)
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    home = where / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k in ("LANG", "LC_ALL", "TMPDIR") or k.startswith("PIP_") or k.lower().endswith("_proxy")}
    user_pip = Path.home() / ".config" / "pip" / "pip.conf"
    if user_pip.exists() and "PIP_CONFIG_FILE" not in env:
        env["PIP_CONFIG_FILE"] = str(user_pip)
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
               VIRTUAL_ENV=str(venv), STI_CHROMIUM=str(where / "no-chromium-here"))
    return clone, env


@pytest.fixture
def newcomer(tmp_path):
    reason = wanted()
    if reason:
        pytest.skip(reason)
    return newcomers_machine(tmp_path)


def test_the_run_command_installs_builds_on_first_visit_and_serves_every_page(newcomer, tmp_path, request):
    browser.require()  # the newcomer has no Chromium; this test's own browser looks at what they would see
    clone, env = newcomer
    run, _ = readme_commands((clone / "README.md").read_text())
    database = clone / "data" / "sti.duckdb"
    assert not database.exists()
    with browser.streamlit_server(tmp_path / "run.log", cwd=clone, command=["bash", "-c", run], timeout=1200,
                                  base_env=env) as server:
        assert not database.exists(), "the database is built on the first visit, not at start"
        seen = browser.visit_every_page(server.url)
        log = server.log()
    assert database.stat().st_size > 1_000_000 and len(seen) >= 5
    assert "building it from the bundled snapshot" in log and "Traceback" not in log, log
    request.config.stash[FIRST_VISIT] = seen[""]


def test_the_test_command_installs_and_passes(newcomer):
    clone, env = newcomer
    _, test = readme_commands((clone / "README.md").read_text())
    with subprocess.Popen(["bash", "-c", test], cwd=clone, env=dict(env, **{INNER: "1"}), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True) as process:
        try:
            output, _ = process.communicate(timeout=3600)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)  # the inner pytest and any server it started, not only bash
            raise
    tail = "\n".join(output.splitlines()[-40:])
    assert process.returncode == 0, tail
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, tail
    # a machine without Chromium: the browser tests say why they skipped
    assert "SKIPPED" in output and "Chromium is not installed at" in output, tail
