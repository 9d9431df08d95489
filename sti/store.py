"""The dashboard's read side: make sure the database exists, then run cached, read-only queries against it.

Query results are cached per (query, arguments, file identity), so a refresh that swaps in a new file is picked up
on the next query while sessions reading the old file keep working.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from sti import queries, settings
from sti.catalog import catalog
from sti.db import connect_readonly, file_identity

log = logging.getLogger(__name__)


def _usable(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        con = connect_readonly(path)
    except duckdb.Error as exc:
        log.warning("database %s is unreadable (%s); rebuilding it from the snapshot", path, exc)
        return False
    try:
        con.execute("SELECT count(*) FROM observation").fetchone()
        return True
    except duckdb.Error as exc:
        log.warning("database %s lacks the expected tables (%s); rebuilding it from the snapshot", path, exc)
        return False
    finally:
        con.close()


def ensure_database() -> Path:
    """The database path, building the file from the bundled snapshot first if it is missing or unreadable."""
    path = settings.db_path()
    if not _usable(path):
        from etl.build import build_database  # the ETL is only needed on a first start

        with st.spinner("First start: building the database from the bundled snapshot (a few seconds)…"):
            build_database(path, catalog())
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
