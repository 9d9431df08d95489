"""The dashboard's start-up as AppTest runs it: the first start builds the database, damaged or foreign files are
handled safely. (The pages themselves: test_pages.py.)"""
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sti import settings, store

APP = str(settings.ROOT / "dashboard.py")


@pytest.fixture
def app(db_path):
    # A fresh cache per test: results are keyed on the file, but tests reuse paths across temp dirs.
    st.cache_data.clear()
    st.cache_resource.clear()
    store._checked.clear()
    return AppTest.from_file(APP, default_timeout=60)


def _overview_drawn(app) -> bool:
    return any("sti-heat" in m.value for m in app.markdown)


def test_first_start_builds_the_database_and_draws_the_overview(app, db_path: Path, catalog):
    assert not db_path.exists()
    app.run()
    assert not app.exception and not app.error
    assert db_path.exists()
    assert _overview_drawn(app)
    notes = " ".join(m.value for m in app.markdown)
    assert "Turkish Republic of Northern Cyprus" in notes  # covered by no series: said, not hidden


def test_an_unreadable_database_is_set_aside_and_rebuilt(app, db_path):
    db_path.write_bytes(b"this is not a duckdb file")
    app.run()
    assert not app.exception and _overview_drawn(app)
    [aside] = db_path.parent.glob("sti.duckdb.unreadable-*")
    assert aside.read_bytes() == b"this is not a duckdb file"  # kept, not deleted
    assert any("kept as" in w.value for w in app.warning)


def test_somebody_elses_duckdb_file_is_left_untouched(app, db_path):
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE my_work AS SELECT 42 AS answer")
    con.close()
    app.run()
    assert not app.exception
    assert "not an OTS STI Monitor database" in app.error[0].value
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT answer FROM my_work").fetchone() == (42,)
    con.close()


def test_a_database_locked_by_a_writer_is_reported_not_replaced(app, db_path):
    from etl.cli import main
    assert main(["build"]) == 0
    before = db_path.stat().st_ino
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(60)", str(db_path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        st.cache_data.clear()
        st.cache_resource.clear()
        store._checked.clear()
        app.run()
        assert "in use by another program" in app.error[0].value
        assert db_path.stat().st_ino == before
    finally:
        holder.kill()
        holder.wait()


def test_an_older_database_is_still_served_when_it_cannot_be_rebuilt(app, db_path, catalog, monkeypatch):
    from etl.cli import main
    from sti.db import read_contents, write_database
    assert main(["build"]) == 0
    current = read_contents(db_path)
    runs = current.runs.assign(message=current.runs["message"].str.replace(r"sha256:[0-9a-f]+", "sha256:0", regex=True))
    write_database(db_path, catalog, type(current)(observations=current.observations, metadata=current.metadata,
                                                   runs=runs))

    def read_only_disk(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("etl.build.build_locked", read_only_disk)
    app.run()
    assert not app.exception and _overview_drawn(app)
    assert any("older snapshot" in w.value for w in app.warning)


def test_a_plain_build_of_an_older_snapshot_is_rebuilt_but_imported_data_is_kept(app, db_path, catalog):
    from etl.cli import main
    from sti import queries
    from sti.db import read_contents, write_database

    assert main(["build"]) == 0
    current = read_contents(db_path)
    old_runs = current.runs.assign(message=current.runs["message"].str.replace(
        r"sha256:[0-9a-f]+", "sha256:0000000000000000", regex=True))
    stale = current.observations[current.observations["indicator"] != "SP.POP.TOTL"]  # as if from an old snapshot
    write_database(db_path, catalog, type(current)(observations=stale, metadata=current.metadata, runs=old_runs))
    app.run()
    assert not app.exception
    rebuilt = read_contents(db_path)
    assert "SP.POP.TOTL" in set(rebuilt.observations["indicator"])
    assert not rebuilt.runs["message"].str.contains("sha256:0000000000000000").any()

    # With imported or refreshed data in it, the same database is never replaced.
    runs = pd.concat([old_runs, pd.DataFrame([{**old_runs.iloc[-1].to_dict(), "id": 99,
                                               "message": "IP.PAT.RESD: 456 rows, vintage 2026-01-28"}])]
                     )[queries.RUN_COLUMNS]
    write_database(db_path, catalog, type(current)(observations=stale, metadata=current.metadata, runs=runs))
    app.run()
    assert "SP.POP.TOTL" not in set(read_contents(db_path).observations["indicator"])


def test_an_empty_database_is_rebuilt(app, db_path, catalog):
    from sti.db import empty_contents, read_contents, write_database
    write_database(db_path, catalog, empty_contents())
    app.run()
    assert not app.exception and len(read_contents(db_path).observations) > 10000


def test_a_read_only_data_folder_falls_back_to_a_temp_database(monkeypatch):
    monkeypatch.delenv("STI_DB", raising=False)
    monkeypatch.setattr(settings.os, "access", lambda path, mode: False)
    path = settings.db_path()
    assert path.name == "sti.duckdb" and settings.ROOT not in path.parents


def test_a_page_waiting_on_an_etl_run_does_not_overwrite_its_result(app, db_path, catalog, monkeypatch):
    """The database is missing when the page looks, but an ETL run holds the writer lock and then swaps in its own
    data: once the lock is free the page finds a good database and builds nothing over it."""
    import threading
    import time

    from etl.build import build_locked
    from sti.db import file_identity, writer_lock

    monkeypatch.setattr(store, "BUILD_WAIT", 30.0)
    locked, by_writer = threading.Event(), {}

    def etl_run():  # a separate lock file handle, so it excludes the page as another process would
        with writer_lock(db_path):
            locked.set()
            time.sleep(2.0)  # the page checks meanwhile, finds nothing, and waits for the lock
            build_locked(db_path, catalog)  # stands in for an import's swap
            by_writer["file"] = file_identity(db_path)

    writer = threading.Thread(target=etl_run)
    writer.start()
    assert locked.wait(5)
    try:
        app.run(timeout=60)
    finally:
        writer.join()
    assert not app.exception and _overview_drawn(app)
    assert file_identity(db_path) == by_writer["file"]  # the writer's database, not a rebuild swapped over it
