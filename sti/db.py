"""The database file: read-only connections for the dashboard, and the one checked, atomic way to write it."""
from __future__ import annotations

import errno
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from sti import queries
from sti.catalog import Catalog


class DataCheckError(RuntimeError):
    """A new database failed its checks; the previous file was left untouched."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the new database failed its checks, the previous one is kept:\n  - " +
                         "\n  - ".join(problems))


class DatabaseBusy(TimeoutError):
    """Another ETL run held the database's writer lock for longer than we were willing to wait."""


WRITER_WAIT = 600.0  # seconds a second writer waits for the first; writes of the bundled data take about a second


@contextmanager
def writer_lock(path: Path, *, wait: float = WRITER_WAIT,
                on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """One writer at a time per database file, from reading what is stored to swapping in the new file, so two
    runs at once never lose each other's series: the second waits, then merges into what the first wrote.

    An OS file lock, which the kernel releases when its process ends (even by kill -9), so it never goes stale.
    Whatever `.writing` files lie beside the database once we hold it were left by writers that died mid-write."""
    path = path.resolve()  # one lock per file, whichever link or relative path names it
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_lock_file(path.with_name(f".{path.name}.lock"))
    try:
        deadline = time.monotonic() + wait
        told = False
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"another ETL run has been writing {path} for over {wait:g} s; try again when "
                                   "it has finished")
            if on_wait and not told:
                on_wait()
                told = True
            time.sleep(0.05)
        try:
            stale = re.compile(rf"\.{re.escape(path.name)}\.\d+-[0-9a-f]{{8}}\.writing(\.wal)?")
            for leftover in path.parent.iterdir():
                if stale.fullmatch(leftover.name):
                    leftover.unlink(missing_ok=True)
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _open_lock_file(lock: Path) -> int:
    # Created readable and writable for all (the umask decides), and opened read-only where another user created
    # it: flock needs no write access, so a cron job and a dashboard running as different users share it.
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        return os.open(lock, os.O_RDONLY)


def _try_lock(fd: int) -> bool:
    try:
        if os.name == "nt":  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError on POSIX, PermissionError on Windows: held by another process
        return False
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Contents:
    """Everything the ETL writes besides the catalogue: the data tables as frames."""
    observations: pd.DataFrame
    metadata: pd.DataFrame
    runs: pd.DataFrame
    national: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=queries.NATIONAL_COLUMNS))
    national_indicators: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=queries.NATIONAL_INDICATOR_COLUMNS))
    flows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=queries.FLOW_COLUMNS))


def empty_contents() -> Contents:
    return Contents(observations=pd.DataFrame(columns=queries.OBSERVATION_COLUMNS),
                    metadata=pd.DataFrame(columns=queries.METADATA_COLUMNS),
                    runs=pd.DataFrame(columns=queries.RUN_COLUMNS))


def connect_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    """The dashboard's only way in: the file can never be changed through this connection.

    The file is attached to a fresh in-memory database rather than opened with `duckdb.connect(path)`: DuckDB hands
    every connect to a path that is still open in this process the same instance, so after a refresh swapped in a
    new file, a new connection would still read the replaced one."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS sti (READ_ONLY)", [str(path)])
        con.execute("USE sti")
    except BaseException:
        con.close()
        raise
    return con


def readonly_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of a `connect_readonly` connection for one thread, reading the attached file."""
    cursor = con.cursor()
    cursor.execute("USE sti")
    return cursor


def file_identity(path: Path) -> tuple[int, int, int]:
    """Changes whenever the file is swapped, so caches keyed on it pick up new data on the next query."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def read_contents(path: Path) -> Contents:
    """The data tables of an existing database, or empty ones if there is none yet."""
    if not path.exists():
        return empty_contents()
    con = connect_readonly(path)
    try:
        return Contents(observations=queries.observations(con), metadata=queries.publisher_metadata(con),
                        runs=queries.runs(con), national=queries.national(con),
                        national_indicators=queries.national_indicators(con), flows=queries.flows(con))
    finally:
        con.close()


def write_database(path: Path, catalog: Catalog, contents: Contents) -> None:
    """Write a complete new database beside `path`, check it, and only then swap it into place.

    A failure at any point (bad data, a crash, kill -9) leaves the previous file as it was: readers holding it
    open keep their view, and the next reader opens either the old or the new file, never a half-written one.
    Callers that read the stored data to merge into it hold `writer_lock` around both.
    """
    path = path.resolve()  # swap the file a link points to, not the link
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "the database path is a folder, not a file (see STI_DB)", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.writing")  # unique per writer
    _remove(tmp)
    try:
        con = duckdb.connect(str(tmp))
        try:
            problems = _missing_values(contents.observations)
            if problems:
                raise DataCheckError(problems)
            queries.create_schema(con)
            queries.insert_catalog(con, catalog)
            try:
                queries.insert_frame(con, "observation", contents.observations)
                queries.insert_frame(con, "publisher_metadata", contents.metadata)
                queries.insert_frame(con, "etl_run", contents.runs)
                if len(contents.national_indicators):
                    queries.insert_frame(con, "national_indicator", contents.national_indicators)
                if len(contents.national):
                    queries.insert_frame(con, "national_observation", contents.national)
                if len(contents.flows):
                    queries.insert_frame(con, "flow", contents.flows[queries.FLOW_COLUMNS])
            except duckdb.Error as exc:  # a type or constraint the frames should never break: report, don't crash
                raise DataCheckError([f"rows could not be stored: {exc}"]) from None
            problems = queries.check_problems(con)
            if problems:
                raise DataCheckError(problems)
            queries.insert_series_stats(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        _remove(tmp)


def _missing_values(observations: pd.DataFrame, limit: int = 5) -> list[str]:
    """NaN or empty cells: a value that is not a finite number, or a row without key, source or vintage."""
    problems = []
    for column in queries.OBSERVATION_COLUMNS:
        missing = observations[observations[column].isna()]
        if len(missing):
            label = "value is not finite" if column == "value" else f"{column} is missing"
            where = ", ".join(f"{r.indicator} {r.country} {r.year}" for r in missing.head(limit).itertuples())
            problems.append(f"{label}: {where}")
    return problems


def _remove(tmp: Path) -> None:
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        p.unlink(missing_ok=True)


def _fsync(p: Path) -> None:
    try:
        fd = os.open(p, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the rename is still atomic
    finally:
        os.close(fd)
