"""Ready for Streamlit Community Cloud: pinned requirements, a theme and no secrets, nothing heavy at import, bounded
caches, and a read-only checkout that still serves every page (the database goes to the temp dir)."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from streamlit import config as streamlit_config

from sti import settings
from tests import browser

ROOT = settings.ROOT
APP_CODE = [ROOT / "dashboard.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "sti").glob("*.py"))]
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z,]+\])?==[0-9][0-9A-Za-z.+!-]*$")


def requirement_lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_requirement_is_pinned(name):
    lines = [line for line in requirement_lines(ROOT / name) if not line.startswith("-r ")]
    assert lines and [line for line in lines if not PIN.match(line)] == []


def test_the_runtime_requirements_cover_what_the_app_imports():
    pinned = {line.split("==")[0].lower() for line in requirement_lines(ROOT / "requirements.txt")}
    imported = set()
    for path in APP_CODE + sorted((ROOT / "etl").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m not in ("sti", "etl")}
    assert third_party <= pinned, third_party - pinned


# --- .streamlit/config.toml -----------------------------------------------------------------------------------------

CONFIG = ROOT / ".streamlit" / "config.toml"


def flatten(table: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def test_config_sets_only_options_streamlit_knows():
    options = flatten(tomllib.loads(CONFIG.read_text()))
    unknown = set(options) - set(streamlit_config._config_options_template)
    assert unknown == set()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_config_has_a_light_and_a_dark_theme_with_the_colour_blind_safe_palette(scheme):
    theme = tomllib.loads(CONFIG.read_text())["theme"][scheme]
    palette = theme["chartCategoricalColors"]
    assert len(palette) == 8 and all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in palette)
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert okabe_ito <= {c.upper() for c in palette}
    assert theme["primaryColor"].upper() in okabe_ito


def test_nothing_needs_secrets_to_start():
    assert not (ROOT / ".streamlit" / "secrets.toml").exists()
    for path in APP_CODE:
        assert "secrets" not in path.read_text(), f"{path.name} reads st.secrets: the app must start without them"


# --- light at import, bounded in memory ------------------------------------------------------------------------------


def test_importing_the_app_code_builds_reads_and_fetches_nothing(tmp_path):
    """A cold start pays only for imports: the database is built on the first visit, where its progress shows."""
    modules = [f"sti.{p.stem}" for p in sorted((ROOT / "sti").glob("*.py")) if p.stem != "__init__"]
    probe = ("import sys, socket\n"
             "def refuse(*a, **k): raise SystemExit('network used at import')\n"
             "socket.socket.connect = refuse\n"
             f"import {', '.join(modules)}, etl.build\n"
             "from sti.catalog import catalog\n"
             "assert catalog.cache_info().currsize == 0, 'the catalogue was read at import'\n")
    home = tmp_path / "db"
    done = subprocess.run([sys.executable, "-c", probe], check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, STI_DB=str(home / "sti.duckdb")))
    assert done.returncode == 0, done.stderr
    assert not home.exists()


CACHES = {"cache_data", "cache_resource", "lru_cache", "cache"}


def cache_decorators(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name in CACHES:
                    yield node, deco, name


def unbounded(path: Path) -> list[str]:
    """Caches in `path` that name no size (a function without arguments holds one entry and needs none)."""
    found = []
    for func, deco, name in cache_decorators(path):
        kwargs = {k.arg: k.value for k in deco.keywords} if isinstance(deco, ast.Call) else {}
        size = kwargs.get("max_entries" if name.startswith("cache_") else "maxsize")
        bounded = isinstance(size, ast.Constant) and isinstance(size.value, int)
        if not bounded and (func.args.args or func.args.kwonlyargs):
            found.append(func.name)
    return found


def test_every_cache_is_bounded():
    """A server running for weeks must not grow without bound: every cache names its size."""
    assert sum(len(list(cache_decorators(p))) for p in APP_CODE) >= 5
    assert {p.name: unbounded(p) for p in APP_CODE if unbounded(p)} == {}


def test_the_bounded_cache_check_catches_an_unbounded_cache(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import functools\nimport streamlit as st\n\n@st.cache_data\ndef a(x): return x\n\n"
                   "@functools.lru_cache(maxsize=None)\ndef b(x): return x\n\n@functools.cache\ndef c(x): return x\n\n"
                   "@st.cache_resource(max_entries=2)\ndef d(x): return x\n\n@functools.lru_cache(maxsize=8)\n"
                   "def e(x): return x\n\n@functools.cache\ndef f(): return 1\n")
    assert unbounded(bad) == ["a", "b", "c"]


# --- a read-only checkout --------------------------------------------------------------------------------------------


def read_only_command(checkout: Path) -> list[str] | None:
    """How to run Streamlit where `checkout` cannot be written: a read-only bind mount for root (root writes through
    file modes), plain file modes otherwise. None where neither is possible here."""
    run = [sys.executable, "-m", "streamlit", "run", "dashboard.py"]
    if os.geteuid() != 0:
        return run
    if not shutil.which("unshare"):
        return None
    mount = ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"')
    probe = subprocess.run(["unshare", "-m", "sh", "-c", mount, str(checkout), "true"], check=False,
                           capture_output=True)
    return ["unshare", "-m", "sh", "-c", mount, str(checkout), *run] if probe.returncode == 0 else None


def test_a_read_only_checkout_builds_in_the_temp_dir_and_serves_every_page(tmp_path):
    browser.require()
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "*.duckdb*", ".*.lock", ".*.writing*", "shots", "__pycache__", ".pytest_cache",
        ".hypothesis"))
    command = read_only_command(checkout)
    if command is None:
        browser.cannot_run("cannot make a read-only checkout here: running as root without mount namespaces "
                           "(unshare -m)")
    for path in [checkout, *checkout.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    before = sorted(p.relative_to(checkout) for p in checkout.rglob("*"))
    temp = tmp_path / "temp"
    temp.mkdir()
    try:
        with browser.streamlit_server(tmp_path / "streamlit.log", cwd=checkout, command=command,
                                      base_env={k: v for k, v in os.environ.items() if k != "STI_DB"},
                                      TMPDIR=str(temp), HOME=str(temp)) as server:
            seen = browser.visit_every_page(server.url)
            log = server.log()
    finally:
        for path in [checkout, *checkout.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert len(seen) >= 5
    assert (temp / "ots-sti-monitor" / "sti.duckdb").stat().st_size > 1_000_000
    assert sorted(p.relative_to(checkout) for p in checkout.rglob("*")) == before  # nothing written in the checkout
    assert "Traceback" not in log, log
