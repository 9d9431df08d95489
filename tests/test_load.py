"""The database writer's checks, its atomic swap, and the merge rules (vintages, derived indicators)."""
import math
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from etl import load
from etl.series import Series, frame
from sti import queries
from sti.db import Contents, DataCheckError, connect_readonly, empty_contents, read_contents, write_database

T = datetime(2026, 11, 22, 12, 0, 0)


def obs(rows, source="worldbank", vintage="2026-01-28"):
    return load.normalise(pd.DataFrame(
        [dict(zip(["indicator", "country", "year", "value"], r), source=source, vintage=vintage,
              retrieved_at=T) for r in rows], columns=queries.OBSERVATION_COLUMNS))


def contents(rows):
    base = empty_contents()
    return Contents(observations=obs(rows), metadata=base.metadata, runs=base.runs)


def series(indicator, vintage, records, origin="f.csv"):
    return Series(indicator=indicator, source="worldbank", vintage=vintage, data=frame(records), origin=origin,
                  retrieved_at=T)


def test_writes_the_documented_tables(tmp_path, catalog):
    path = tmp_path / "sti.duckdb"
    write_database(path, catalog, contents([("IP.PAT.RESD", "AZE", 2020, 144.0)]))
    con = connect_readonly(path)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"country", "area", "source", "indicator", "indicator_area", "observation", "etl_run"} <= tables
    cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = "
                                      "'observation' ORDER BY ordinal_position").fetchall()]
    assert cols == ["indicator", "country", "year", "value", "source", "vintage", "retrieved_at"]
    cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = "
                                      "'etl_run' ORDER BY ordinal_position").fetchall()]
    assert cols == ["id", "started", "finished", "source", "status", "rows", "message"]
    assert con.execute("SELECT count(*) FROM area").fetchone()[0] == 11
    assert con.execute("SELECT formula FROM indicator WHERE code = 'STI.PAT.RESD.P6'").fetchone()[0]
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM observation")  # the dashboard's connection cannot write
    con.close()


@pytest.mark.parametrize("rows,problem", [
    ([("IP.PAT.RESD", "AZE", 2020, 1.0), ("IP.PAT.RESD", "AZE", 2020, 2.0)], "duplicate (indicator, country, year)"),
    ([("IP.PAT.RESD", "AZE", 2020, math.inf)], "value is not finite"),
    ([("IP.PAT.RESD", "AZE", 2020, math.nan)], "value is not finite"),
    ([("IP.PAT.RESD", "USA", 2020, 1.0)], "country not in the catalogue: USA"),
    ([("NOT.AN.INDICATOR", "AZE", 2020, 1.0)], "indicator not in the catalogue: NOT.AN.INDICATOR"),
])
def test_a_failed_check_keeps_the_previous_file(tmp_path, catalog, rows, problem):
    path = tmp_path / "sti.duckdb"
    write_database(path, catalog, contents([("IP.PAT.RESD", "AZE", 2019, 7.0)]))
    before = path.read_bytes()
    with pytest.raises(DataCheckError) as err:
        write_database(path, catalog, contents(rows))
    assert problem in str(err.value)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sti.duckdb"]  # no half-written file left behind


def test_mixed_vintages_in_one_series_fail_the_check(tmp_path, catalog):
    c = contents([("IP.PAT.RESD", "AZE", 2019, 7.0), ("IP.PAT.RESD", "KAZ", 2019, 8.0)])
    c.observations.loc[1, "vintage"] = "2025-01-01"
    with pytest.raises(DataCheckError, match="more than one vintage"):
        write_database(tmp_path / "x.duckdb", catalog, c)


def test_readers_of_the_old_file_keep_working_across_the_swap(tmp_path, catalog):
    path = tmp_path / "sti.duckdb"
    write_database(path, catalog, contents([("IP.PAT.RESD", "AZE", 2019, 7.0)]))
    reader = connect_readonly(path)
    write_database(path, catalog, contents([("IP.PAT.RESD", "AZE", 2019, 9.0)]))
    assert reader.execute("SELECT value FROM observation").fetchone()[0] == 7.0
    reader.close()
    fresh = connect_readonly(path)
    assert fresh.execute("SELECT value FROM observation").fetchone()[0] == 9.0
    fresh.close()


def test_newest_vintage_wins_whole_within_a_batch(catalog):
    old = series("TX.VAL.TECH.MF.ZS", "2025-04-15", [("AZE", 2020, 1.0), ("GEO", 2020, 5.0)], "old.csv")
    new = series("TX.VAL.TECH.MF.ZS", "2026-04-08", [("AZE", 2020, 1.5)], "new.csv")
    chosen, outcomes = load.pick_newest([new, old])
    assert chosen == [new] and outcomes[0].status == "skipped" and "superseded" in outcomes[0].message
    merged, _ = load.merge(obs([]), chosen, catalog)
    assert merged[["country", "value"]].values.tolist() == [["AZE", 1.5]]  # GEO from the old file is not mixed in


def test_an_older_vintage_never_replaces_a_newer_one(catalog):
    stored = obs([("IP.PAT.RESD", "AZE", 2020, 144.0)])
    merged, [outcome] = load.merge(stored, [series("IP.PAT.RESD", "2019-01-01", [("AZE", 2020, 1.0)])], catalog)
    assert outcome.status == "skipped" and "older than the stored 2026-01-28" in outcome.message
    assert merged[merged["indicator"] == "IP.PAT.RESD"]["value"].tolist() == [144.0]


def test_a_series_is_replaced_whole(catalog):
    stored = obs([("IP.PAT.RESD", "AZE", 2020, 144.0), ("IP.PAT.RESD", "KAZ", 2020, 900.0),
                  ("SP.POP.TOTL", "AZE", 2020, 1e7)])
    merged, [outcome] = load.merge(stored, [series("IP.PAT.RESD", "2026-02-01", [("AZE", 2021, 150.0)])], catalog)
    pat = merged[merged["indicator"] == "IP.PAT.RESD"]
    assert pat[["country", "year", "value"]].values.tolist() == [["AZE", 2021, 150.0]]
    assert outcome.status == "ok" and "(was 2026-01-28)" in outcome.message
    assert (merged["indicator"] == "SP.POP.TOTL").sum() == 1  # other series untouched


def test_derived_per_million_values(catalog):
    stored = obs([("IP.PAT.RESD", "AZE", 2020, 144.0), ("IP.PAT.RESD", "AZE", 2021, 150.0),
                  ("SP.POP.TOTL", "AZE", 2020, 10093121.0), ("SP.POP.TOTL", "KAZ", 2020, 0.0),
                  ("IP.PAT.RESD", "KAZ", 2020, 5.0)])
    out = load.with_derived(stored, catalog)
    d = out[out["indicator"] == "STI.PAT.RESD.P6"]
    assert d[["country", "year"]].values.tolist() == [["AZE", 2020]]  # only where both exist, never / 0
    assert d["value"].iloc[0] == 144.0 / 10093121.0 * 1e6
    assert d["vintage"].iloc[0] == "IP.PAT.RESD 2026-01-28; SP.POP.TOTL 2026-01-28"
    assert (out["indicator"] == "STI.JRN.ARTC.P6").sum() == 0


def test_apply_records_every_series_in_etl_run(tmp_path, catalog):
    path = tmp_path / "sti.duckdb"
    load.apply(path, catalog, [series("IP.PAT.RESD", "2026-01-28", [("AZE", 2020, 144.0)])],
               [load.Outcome("SP.POP.TOTL", "worldbank", "failed", 0, None, "HTTP 503", "http://x")], T)
    runs = read_contents(path).runs
    assert runs[["source", "status"]].values.tolist() == [["worldbank", "ok"], ["worldbank", "failed"]]
    assert runs["message"].str.contains("IP.PAT.RESD").iloc[0] and runs["message"].str.contains("HTTP 503").iloc[1]
    load.apply(path, catalog, [], [], T)
    assert read_contents(path).runs["id"].tolist() == [1, 2]  # history kept across writes


def test_an_undated_file_never_replaces_a_dated_series(catalog):
    stored = obs([("IP.PAT.RESD", "AZE", 2020, 144.0)])
    undated = series("IP.PAT.RESD", "undated (data to 2021)", [("AZE", 2021, 1.0)])
    merged, [outcome] = load.merge(stored, [undated], catalog)
    assert outcome.status == "skipped" and "--vintage" in outcome.message
    assert merged[merged["indicator"] == "IP.PAT.RESD"]["value"].tolist() == [144.0]
    dated = series("IP.PAT.RESD", "2026-02-01", [("AZE", 2021, 2.0)])
    merged, [outcome] = load.merge(load.normalise(merged), [dated], catalog)
    assert outcome.status == "ok"


def test_a_first_refresh_that_fails_entirely_writes_no_database(tmp_path, catalog):
    path = tmp_path / "sti.duckdb"
    failed = [load.Outcome("SP.POP.TOTL", "worldbank", "failed", 0, None, "HTTP 503", "http://x")]
    [outcome] = load.apply(path, catalog, [], failed, T)
    assert outcome.status == "failed" and outcome.message == "HTTP 503; nothing was stored for it yet"
    assert not path.exists()


def test_undated_files_rank_by_the_last_year_they_hold(catalog):
    code = "manufacturing-value-added-to-gdp"
    stored = obs([(code, "TUR", 2023, 19.55)], "owid", "undated (data to 2023)")
    older = Series(code, "owid", "undated (data to 2020)", frame([("TUR", 2020, 19.0)]), "old.csv", T)
    merged, [outcome] = load.merge(stored, [older], catalog)
    assert outcome.status == "skipped" and "data to 2020" in outcome.message
    newer = Series(code, "owid", "undated (data to 2024)", frame([("TUR", 2024, 20.0)]), "new.csv", T)
    chosen, [superseded] = load.pick_newest([newer, older])
    assert chosen == [newer] and superseded.origin == "old.csv"


def test_published_zeros_outside_the_fill_domain_are_kept(catalog):
    code = "yearly-number-of-objects-launched-into-outer-space"
    published = obs([(code, "WLD", 2019, 100.0), (code, "EUU", 2020, 0.0), (code, "KAZ", 1985, 0.0),
                     (code, "TUR", 2020, 1.0)], "owid", "undated (data to 2020)")
    full = load.with_computed(published, catalog)
    assert ((full["country"] == "EUU") & (full["value"] == 0)).sum() == 1  # an aggregate's published zero
    assert ((full["country"] == "KAZ") & (full["year"] == 1985)).sum() == 1  # before `since`: published, kept
    assert load.published_only(full, catalog).reset_index(drop=True).equals(published)


def test_metadata_only_import_records_its_run(tmp_path, db_path):
    from etl.cli import main
    meta = tmp_path / "Metadata_Country_API_X_DS2_en_csv_v2_1.csv"
    meta.write_text('"Country Code","Region","IncomeGroup","SpecialNotes","TableName",\n'
                    '"KGZ","Europe & Central Asia","Lower middle income","","Kyrgyz Republic",\n')
    assert main(["import", str(meta)]) == 0
    contents = read_contents(db_path)
    assert contents.metadata[["key", "field", "value"]].values.tolist()[0] == ["KGZ", "income_group",
                                                                               "Lower middle income"]
    assert "publisher metadata: 2 fields" in contents.runs["message"].iloc[-1]
