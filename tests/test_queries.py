"""Queries rewritten for speed at WDI scale answer exactly as the statements they replaced, on databases built here."""
import dataclasses
import shutil
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from etl.build import build_database
from sti import queries, store
from sti.catalog import Catalog
from sti.db import connect_readonly, read_contents, write_database

# `status` as it was: distinct counts over every observation, and every indicator joined with every run.
OLD_STATUS = """
    WITH per_series AS (
        SELECT i.code AS indicator, max(r.finished) AS last_ok
        FROM indicator i JOIN etl_run r ON r.source = i.source AND r.status = 'ok'
            AND (starts_with(r.message, 'all:') OR starts_with(r.message, 'flows/')
                 OR split_part(r.message, ':', 1) IN (i.code, i.numerator, i.denominator))
        GROUP BY i.code
    )
    SELECT i.source, i.code AS indicator, count(o.value) AS rows, count(DISTINCT o.country) AS countries,
           min(o.year) AS first_year, max(o.year) AS last_year, any_value(o.vintage) AS vintage,
           any_value(p.last_ok) AS last_run
    FROM indicator i
    LEFT JOIN observation o ON o.indicator = i.code
    LEFT JOIN per_series p ON p.indicator = i.code
    GROUP BY i.source, i.code
    ORDER BY i.source, i.code"""

OLD_LATEST_YEARS = """
    SELECT indicator, country, max(year) AS latest_year
    FROM observation WHERE list_contains(?, country) AND year <= ?
    GROUP BY indicator, country"""

DROPPED = "SP.POP.TOTL"  # a series with no rows left, whose dependants' runs still count


def _run(n: int, source: str, status: str, message: str, day: int) -> dict:
    return {"id": n, "started": datetime(2027, 1, day), "finished": datetime(2027, 1, day, 1), "source": source,
            "status": status, "rows": 1, "message": message}


@pytest.fixture(scope="module")
def database(tmp_path_factory, catalog):
    """A build of the snapshot, then runs of every kind `status` tells apart, and one series emptied."""
    path = tmp_path_factory.mktemp("queries") / "sti.duckdb"
    build_database(path, catalog)
    built = read_contents(path)
    n = int(built.runs["id"].max())
    runs = pd.concat([built.runs, pd.DataFrame([
        _run(n + 1, "worldbank", "ok", "IP.PAT.RESD: 10 rows, vintage 2027-01-01", 2),
        _run(n + 2, "worldbank", "failed", "GB.XPD.RSDV.GD.ZS: HTTP 500", 3),        # failed: not a load
        _run(n + 3, "owid", "ok", "GB.XPD.RSDV.GD.ZS: 3 rows", 4),                  # another source's run
        _run(n + 4, "worldbank", "ok", f"{DROPPED}: 0 rows", 5),                    # a derived series' input
        _run(n + 5, "worldbank", "ok", "no colon in this message", 6),
        _run(n + 6, "worldbank", "skipped", "all: nothing to do", 7),
    ])], ignore_index=True)[queries.RUN_COLUMNS]
    observations = built.observations[built.observations["indicator"] != DROPPED]
    write_database(path, catalog, dataclasses.replace(built, observations=observations, runs=runs))
    return path


@pytest.fixture
def con(database):
    con = connect_readonly(database)
    yield con
    con.close()


def test_status_reads_the_series_statistics_and_answers_as_before(con, catalog):
    new = queries.status(con)
    pd.testing.assert_frame_equal(new, con.execute(OLD_STATUS).df())
    assert len(new) == len(catalog.indicators)
    dropped = new.set_index("indicator").loc[DROPPED]
    assert dropped["rows"] == 0 and pd.isna(dropped["first_year"]) and pd.isna(dropped["vintage"])
    last_run = new.set_index("indicator")["last_run"]
    assert last_run["IP.PAT.RESD"] == datetime(2027, 1, 2, 1)
    assert last_run["STI.PAT.RESD.P6"] == datetime(2027, 1, 5, 1)  # its denominator's run


def test_the_writer_stores_one_statistics_row_per_series(con):
    stats = con.execute("SELECT indicator, rows FROM series_stats ORDER BY indicator").fetchall()
    counts = con.execute("SELECT indicator, count(*) FROM observation GROUP BY indicator ORDER BY indicator")
    assert stats == counts.fetchall()


def test_a_database_written_before_the_statistics_table_is_still_served(database, tmp_path, catalog):
    old = tmp_path / "old.duckdb"
    shutil.copyfile(database, old)
    writable = duckdb.connect(str(old))
    writable.execute("DROP TABLE series_stats")
    writable.close()
    con = connect_readonly(old)
    try:
        assert "series_stats" not in queries.table_names(con)
        pd.testing.assert_frame_equal(queries.status(con), con.execute(OLD_STATUS).df())
    finally:
        con.close()
    assert store._health(old) == ("ok", "")


def test_latest_years_of_the_catalogues_indicators_are_those_of_every_row(con, catalog):
    countries, key = ["AZE", "KAZ", "TUR", "WLD", "EUU"], ["indicator", "country"]
    new = queries.latest_years(con, [i.code for i in catalog.indicators], countries, 2020)
    old = con.execute(OLD_LATEST_YEARS, [countries, 2020]).df()
    assert len(new) > 100
    pd.testing.assert_frame_equal(new.sort_values(key, ignore_index=True), old.sort_values(key, ignore_index=True))
    assert set(queries.latest_years(con, ["IP.PAT.RESD"], countries, 2020)["indicator"]) == {"IP.PAT.RESD"}


def test_observation_count_is_the_summarys_row_count(con):
    assert queries.observation_count(con) == queries.database_summary(con)["rows"] > 10000


def test_the_catalogue_tables_hold_what_row_by_row_inserts_held(catalog):
    frames = duckdb.connect()
    queries.create_schema(frames)
    queries.insert_catalog(frames, catalog)
    for table, values in queries._catalog_rows(catalog).items():
        assert frames.table(table).fetchall() == values, table  # every value, type and NULL, in catalogue order
    assert frames.execute("SELECT count(*) FROM country WHERE since IS NULL").fetchone()[0] > 0
    assert frames.execute("SELECT count(*) FROM indicator WHERE higher_is_better IS NULL").fetchone()[0] > 0


def test_by_source_code_finds_each_published_series_and_nothing_else(catalog):
    for ind in catalog.indicators:
        found = catalog.by_source_code(ind.source, ind.source_code)
        assert found is (None if ind.computed else ind), ind.code
    assert catalog.by_source_code("worldbank", "NO.SUCH.CODE") is None
    assert catalog.by_source_code("owid", "IP.PAT.RESD") is None


def test_by_source_code_keeps_the_first_of_duplicates_and_follows_a_changed_catalogue(catalog):
    first = catalog.by_source_code("worldbank", "IP.PAT.RESD")
    twin = dataclasses.replace(first, code="TWIN")
    doubled = Catalog(areas=catalog.areas, countries=catalog.countries, sources=catalog.sources,
                      indicators=(*catalog.indicators, twin))
    assert doubled.by_source_code("worldbank", "IP.PAT.RESD") is first
    renamed = dataclasses.replace(catalog, indicators=tuple(
        dataclasses.replace(i, source_code="RENAMED") if i is first else i for i in catalog.indicators))
    assert renamed.by_source_code("worldbank", "RENAMED").code == "IP.PAT.RESD"
    assert renamed.by_source_code("worldbank", "IP.PAT.RESD") is None
