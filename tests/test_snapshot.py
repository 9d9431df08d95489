"""Snapshot files: exact round trip (import -> snapshot -> build), tamper detection, and the bundled snapshot."""
import json

import pytest

from etl import snapshot
from etl.build import build_database
from etl.cli import main
from sti import settings
from sti.db import connect_readonly, read_contents
from tests.conftest import wdi_bulk_csv

TRICKY = [0.1, 1 / 3, 2.0423418730211, 1287676979450.75, 7.0e-06, 1e22, 123456789012345678.0, -0.0015, 5e-324,
          1.7976931348623157e308, 221.0, 0.0]


@pytest.mark.parametrize("value", TRICKY)
def test_values_are_written_so_they_read_back_exactly(value):
    assert float(snapshot.format_value(value)) == value


def _raw_files(folder):
    folder.mkdir()
    (folder / "API_IP.PAT.RESD_DS2_en_csv_v2_226.csv").write_bytes(wdi_bulk_csv(
        "IP.PAT.RESD", "Patent applications, residents", "2026-01-28",
        {"AZE": {1960: "221", 1961: "165"}, "TUR": {1960: "1.1e3"}, "WLD": {1962: "2880000"}}))
    (folder / "API_SP.POP.TOTL_DS2_en_csv_v2_38144.csv").write_bytes(wdi_bulk_csv(
        "SP.POP.TOTL", "Population, total", "2025-07-01",
        {"AZE": {1960: "3895398", 1961: "4030325"}, "TUR": {1960: "27472345"}}, bom=b"\xff"))
    (folder / "manufacturing-value-added-to-gdp.csv").write_text(
        'Entity,Code,Year,"Manufacturing, value added (% of GDP)"\nAzerbaijan,AZE,1990,17.633015\n'
        "World,OWID_WRL,1997,18.1\n", encoding="utf-8")
    return folder


def test_import_snapshot_build_round_trip(tmp_path, db_path):
    raw = _raw_files(tmp_path / "raw")
    assert main(["import", "--fresh", str(raw)]) == 0
    imported = read_contents(db_path).observations
    assert main(["snapshot", "--out", str(tmp_path / "snap")]) == 0
    rebuilt_path = tmp_path / "rebuilt.duckdb"
    build_database(rebuilt_path, __import__("sti.catalog", fromlist=["x"]).catalog(), tmp_path / "snap")
    rebuilt = read_contents(rebuilt_path).observations
    assert rebuilt.equals(imported)
    assert set(imported["indicator"]) == {"IP.PAT.RESD", "SP.POP.TOTL", "manufacturing-value-added-to-gdp",
                                          "STI.PAT.RESD.P6"}
    text = (tmp_path / "snap" / snapshot.OBSERVATIONS).read_text()
    assert "STI.PAT.RESD.P6" not in text  # derived values are recomputed, not stored
    assert text.splitlines()[1:3] == [
        "manufacturing-value-added-to-gdp,AZE,1990,17.633015,owid,undated (data to 1997),"
        + text.splitlines()[1].rsplit(",", 1)[1],
        "manufacturing-value-added-to-gdp,WLD,1997,18.1,owid,undated (data to 1997),"
        + text.splitlines()[2].rsplit(",", 1)[1]]
    manifest = json.loads((tmp_path / "snap" / snapshot.MANIFEST).read_text())
    assert manifest["sources"]["worldbank"]["indicators"]["SP.POP.TOTL"] == {
        "vintage": "2025-07-01", "rows": 3, "years": [1960, 1961], "countries": 2}


def test_a_hand_edited_snapshot_is_refused(tmp_path, db_path):
    assert main(["import", "--fresh", str(_raw_files(tmp_path / "raw"))]) == 0
    assert main(["snapshot", "--out", str(tmp_path / "snap")]) == 0
    path = tmp_path / "snap" / snapshot.OBSERVATIONS
    path.write_text(path.read_text().replace("17.633015", "17.7"))
    with pytest.raises(snapshot.SnapshotError, match="does not match the checksum"):
        snapshot.read_snapshot(tmp_path / "snap")
    assert main(["build", "--snapshot", str(tmp_path / "snap")]) == 1


def test_the_bundled_snapshot_builds_the_documented_database(db_path, catalog):
    assert main(["build"]) == 0
    con = connect_readonly(db_path)
    try:
        assert con.execute("SELECT count(*) FROM area").fetchone()[0] == 11
        states = {r[0] for r in con.execute(
            "SELECT DISTINCT o.country FROM observation o JOIN country c ON c.code = o.country "
            "WHERE c.role IN ('member', 'observer')").fetchall()}
        assert states == {"AZE", "KAZ", "KGZ", "TUR", "UZB", "HUN", "TKM"}
        held = {r[0] for r in con.execute("SELECT DISTINCT indicator FROM observation").fetchall()}
        assert held == {i.code for i in catalog.indicators}  # every catalogue series, derived ones included
        assert con.execute("SELECT count(*) FROM observation WHERE source IS NULL OR vintage IS NULL "
                           "OR vintage = ''").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM etl_run WHERE status = 'ok'").fetchone()[0] >= 2
    finally:
        con.close()


def test_the_bundled_manifest_matches_its_files():
    observations, metadata, manifest = snapshot.read_snapshot(settings.SNAPSHOT_DIR)
    assert manifest["files"][snapshot.OBSERVATIONS]["rows"] == len(observations)
    for source, info in manifest["sources"].items():
        assert info["rows"] == (observations["source"] == source).sum()


def test_metadata_with_crlf_inside_values_survives_the_round_trip(tmp_path, db_path):
    raw = _raw_files(tmp_path / "raw")
    (raw / "Metadata_Country_API_IP.PAT.RESD_DS2_en_csv_v2_226.csv").write_bytes(
        b'\xef\xbb\xbf"Country Code","Region","IncomeGroup","SpecialNotes","TableName",\r\n'
        b'"AZE","Europe & Central Asia","Upper middle income","First line.\r\n\r\nSecond line.","Azerbaijan",\r\n')
    assert main(["import", "--fresh", str(raw)]) == 0
    before = read_contents(db_path).metadata
    assert main(["snapshot", "--out", str(tmp_path / "snap")]) == 0
    assert main(["build", "--snapshot", str(tmp_path / "snap")]) == 0
    after = read_contents(db_path).metadata
    note = after[after["field"] == "special_notes"]["value"].iloc[0]
    assert note == "First line.\r\n\r\nSecond line." and after.equals(before)
