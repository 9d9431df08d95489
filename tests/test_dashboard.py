"""The dashboard as AppTest runs it: first start builds the database, the page lists every area honestly."""
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sti import settings

APP = str(settings.ROOT / "dashboard.py")


@pytest.fixture
def app(db_path):
    # A fresh cache per test: results are keyed on the file, but tests reuse paths across temp dirs.
    import streamlit as st
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=60)


def test_first_start_builds_the_database_and_lists_all_areas(app, db_path: Path, catalog):
    assert not db_path.exists()
    app.run()
    assert not app.exception
    assert db_path.exists()
    headings = [h.value for h in app.subheader]
    assert headings == [f"{a.order}. {a.name}" for a in catalog.areas]
    notes = " ".join(i.value for i in app.info)
    assert "Turkish Republic of Northern Cyprus" in notes
    for area in catalog.areas:
        if area.no_indicator_note:
            assert area.no_indicator_note in notes


def test_coverage_tables_show_latest_year_per_state(app):
    app.run()
    tables = [t.value for t in app.dataframe]
    rd = tables[0]
    assert list(rd.columns[:8]) == ["Indicator", "AZE", "KAZ", "KGZ", "TUR", "UZB", "HUN", "TKM"]
    row = rd[rd["Indicator"] == "Research and development expenditure"].iloc[0]
    # Latest years in the World Bank file of 2026-07-13 (see ../shared/data/PROVENANCE.md)
    assert [row[c] for c in ["AZE", "KAZ", "KGZ", "TUR", "UZB", "HUN", "TKM"]] == \
        ["2024", "2024", "2024", "2023", "2024", "2023", "2023"]
    researchers = rd[rd["Indicator"] == "Researchers in R&D"].iloc[0]
    assert researchers["KGZ"] == "—" and researchers["TKM"] == "—"  # no data is said, not filled
    assert row["Vintage"] == "2026-07-13"


def test_an_unreadable_database_is_rebuilt(app, db_path):
    db_path.write_bytes(b"this is not a duckdb file")
    app.run()
    assert not app.exception
    assert len(app.subheader) == 11


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
