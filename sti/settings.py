"""Where things live and which environment variables change that. Read on every call so tests can monkeypatch."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CATALOG_DIR = DATA_DIR / "catalog"
SNAPSHOT_DIR = DATA_DIR / "snapshot"
DEFAULT_DB = DATA_DIR / "sti.duckdb"

DEFAULT_WORLDBANK_API = "https://api.worldbank.org/v2"
DEFAULT_OWID_BASE = "https://ourworldindata.org/grapher"
DEFAULT_HTTP_TIMEOUT = 30.0


def db_path() -> Path:
    """`STI_DB`, else data/sti.duckdb; a read-only checkout falls back to the temp dir (no persistent disk needed)."""
    env = os.environ.get("STI_DB")
    if env:
        return Path(env).expanduser()
    if os.access(DATA_DIR, os.W_OK):
        return DEFAULT_DB
    return Path(tempfile.gettempdir()) / "ots-sti-monitor" / "sti.duckdb"


def worldbank_api() -> str:
    return os.environ.get("STI_WORLDBANK_API", DEFAULT_WORLDBANK_API).rstrip("/")


def owid_base() -> str:
    return os.environ.get("STI_OWID_BASE", DEFAULT_OWID_BASE).rstrip("/")


def http_timeout() -> float:
    raw = os.environ.get("STI_HTTP_TIMEOUT")
    if not raw:
        return DEFAULT_HTTP_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"STI_HTTP_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if not (0 < value < float("inf")):
        raise ValueError(f"STI_HTTP_TIMEOUT must be a positive number of seconds, got {raw!r}")
    return value
