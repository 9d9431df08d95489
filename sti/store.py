"""The dashboard's read side: make sure the database exists, then run cached, read-only queries against it.

Query results are cached per (query, arguments, file identity), so a refresh that swaps in a new file is picked up
on the next query while sessions reading the old file keep working.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from sti import queries, settings
from sti.catalog import catalog
from sti.db import connect_readonly, file_identity

log = logging.getLogger(__name__)
_checked: dict[str, tuple] = {}  # db path -> identities of the db and the snapshot manifest when last found usable
_lock = threading.Lock()


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        return file_identity(path)
    except FileNotFoundError:
        return None


def _needs_build(path: Path) -> str | None:
    """Why the database must be (re)built from the snapshot, or None if it is fine as it is."""
    if not path.exists():
        return "missing"
    try:
        con = connect_readonly(path)
    except duckdb.Error as exc:
        return f"unreadable ({exc})"
    try:
        runs = queries.runs(con)
        if queries.database_summary(con)["rows"] == 0:
            return "empty"
    except duckdb.Error as exc:
        return f"not a monitor database ({exc})"
    finally:
        con.close()
    from etl.build import built_from_other_snapshot

    return "built from an older snapshot" if built_from_other_snapshot(runs) else None


def ensure_database() -> Path:
    """The database path, building it from the bundled snapshot first if it is missing, unreadable, or a plain
    build of an older snapshot. Checked once per change of either file, not on every rerun."""
    path = settings.db_path()
    key = (_identity(path), _identity(settings.SNAPSHOT_DIR / "manifest.json"))
    if _checked.get(str(path)) == key:
        return path
    with _lock:
        reason = _needs_build(path)
        if reason:
            from etl.build import build_database  # the ETL is only needed on a first start

            log.warning("database %s is %s: building it from the bundled snapshot", path, reason)
            with st.spinner("Building the database from the bundled snapshot (a few seconds)…"):
                build_database(path, catalog())
        _checked[str(path)] = (_identity(path), _identity(settings.SNAPSHOT_DIR / "manifest.json"))
    return path


@st.cache_data(max_entries=256, show_spinner=False)
def _cached(query_name: str, path: str, identity: tuple[int, int, int], args: tuple[Any, ...]) -> Any:
    con = connect_readonly(Path(path))
    try:
        return getattr(queries, query_name)(con, *args)
    finally:
        con.close()


def read(query_name: str, *args: Any) -> pd.DataFrame:
    """Run `sti.queries.<query_name>(con, *args)` read-only, cached until the database file changes."""
    path = ensure_database()
    frozen = tuple(tuple(a) if isinstance(a, list) else a for a in args)
    return _cached(query_name, str(path), file_identity(path), frozen)
