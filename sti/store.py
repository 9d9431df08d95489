"""The dashboard's read side: make sure the database exists, then run cached, read-only queries against it.

Query results are cached per (query, arguments, file identity), so a refresh that swaps in a new file is picked up
on the next query while sessions reading the old file keep working.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from sti import queries, settings
from sti.catalog import catalog
from sti.db import DatabaseBusy, DataCheckError, connect_readonly, file_identity, readonly_cursor, writer_lock

log = logging.getLogger(__name__)
_checked: dict[str, tuple] = {}  # db path -> identities of the db and the snapshot manifest when last found usable
_lock = threading.Lock()
BUILD_WAIT = 20.0  # seconds a page waits for an ETL run writing the database before saying so


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        return file_identity(path)
    except FileNotFoundError:
        return None


class DatabaseUnavailable(RuntimeError):
    """The database cannot be used and the dashboard must not touch it; the message says why and what to do."""


def _health(path: Path) -> tuple[str, str]:
    """(action, reason): 'ok'; 'build' (missing, empty, or a plain build of another snapshot); 'set_aside' (not
    readable as a database: kept under another name, then rebuilt); 'refuse' (in use, or somebody else's file)."""
    if not path.exists():
        return "build", "missing"
    try:
        con = connect_readonly(path)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            return "refuse", f"{path} is in use by another program (a refresh writing it?); reload in a moment"
        return "set_aside", f"unreadable ({str(exc).splitlines()[0]})"
    try:
        if not {"observation", "etl_run"} <= queries.table_names(con):
            return "refuse", (f"{path} is a DuckDB file but not an OTS STI Monitor database, so it is left "
                              "untouched; point STI_DB elsewhere or remove it")
        runs = queries.runs(con)
        rows = queries.observation_count(con)
    finally:
        con.close()
    from etl.build import BUILT_FROM, built_from_other_snapshot

    only_builds = all(BUILT_FROM in str(m) for m in runs["message"])
    if rows == 0 and only_builds:
        return "build", "empty"
    if built_from_other_snapshot(runs):
        return "build", "built from an older snapshot"
    return "ok", ""


def ensure_database() -> Path:
    """The database path, (re)built from the bundled snapshot where that is safe; see `_health`.
    Checked once per change of the database or the snapshot manifest, not on every rerun."""
    path = settings.db_path()
    manifest = settings.SNAPSHOT_DIR / "manifest.json"
    if _checked.get(str(path)) == (_identity(path), _identity(manifest)):
        return path
    with _lock:
        action, reason = _health(path)
        if action == "refuse":
            raise DatabaseUnavailable(reason)
        if action != "ok":
            _repair(path, reason)
        _checked[str(path)] = (_identity(path), _identity(manifest))
    return path


def _repair(path: Path, first_reason: str) -> None:
    """Build the database from the snapshot, or set an unreadable one aside first, holding the ETL's writer lock;
    the health is judged again under the lock, since an ETL run may have just swapped in a good file."""
    from etl.build import build_locked  # the ETL is only needed on a first start

    try:
        with writer_lock(path, wait=BUILD_WAIT):
            action, reason = _health(path)
            if action == "refuse":
                raise DatabaseUnavailable(reason)
            if action == "ok":
                return
            if action == "set_aside":
                aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
                path.replace(aside)
                st.warning(f"The database file was {reason}. It was kept as {aside.name} and a new one is built "
                           "from the bundled snapshot.")
            log.warning("database %s is %s: building it from the bundled snapshot", path, reason)
            try:
                with st.spinner("Building the database from the bundled snapshot (a few seconds)…"):
                    build_locked(path, catalog())
            except (OSError, duckdb.Error, DataCheckError) as exc:
                if reason == "built from an older snapshot":
                    st.warning(f"Showing data from an older snapshot: the database could not be rebuilt ({exc}).")
                else:
                    raise DatabaseUnavailable(f"the database could not be built at {path} ({exc}); set STI_DB to a "
                                              "writable location") from None
    except DatabaseBusy:
        if first_reason not in ("empty", "built from an older snapshot"):  # nothing usable to show meanwhile
            raise DatabaseUnavailable(f"an ETL run is writing {path} right now; reload in a moment") from None
        st.info("An ETL run is writing the database right now; showing the data as it was.")
    except OSError as exc:  # the lock file itself could not be made: a read-only folder, say
        raise DatabaseUnavailable(f"the database could not be built at {path} ({exc}); set STI_DB to a writable "
                                  "location") from None


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


@st.cache_resource(max_entries=2, show_spinner=False, on_release=_close)
def _connection(path: str, identity: tuple[int, int, int]) -> duckdb.DuckDBPyConnection:
    # One read-only connection per database file: `identity` makes a swapped-in file a new entry, and the old
    # connection (still reading the replaced file) is closed when it falls out of the cache.
    return connect_readonly(Path(path))


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(query_name: str, path: str, identity: tuple[int, int, int], args: tuple[Any, ...]) -> Any:
    cursor = readonly_cursor(_connection(path, identity))  # a cursor per query: threads never share one
    try:
        return getattr(queries, query_name)(cursor, *args)
    finally:
        cursor.close()


def read(query_name: str, *args: Any) -> Any:
    """Run `sti.queries.<query_name>(con, *args)` read-only, cached until the database file changes."""
    path = ensure_database()
    frozen = tuple(tuple(a) if isinstance(a, list) else a for a in args)
    return _cached(query_name, str(path), file_identity(path), frozen)
