"""Live refresh against local servers that speak the publishers' formats, fed from the bundled snapshot."""
import json
import re


from etl import snapshot
from etl.cli import main
from sti import settings
from sti.db import read_contents


def test_worldbank_refresh_fills_a_fresh_database_with_the_snapshot_values(fake_worldbank, db_path, catalog):
    published, _, _ = snapshot.read_snapshot(settings.SNAPSHOT_DIR)
    wb = published[published["source"] == "worldbank"]
    data = {code: list(zip(g["country"], g["year"], g["value"])) for code, g in wb.groupby("indicator")}
    vintages = {code: g["vintage"].iloc[0] for code, g in wb.groupby("indicator")}
    fake = fake_worldbank(data, vintages)

    assert main(["refresh", "--source", "worldbank"]) == 0

    assert len(fake.requests) == len(catalog.indicators_from("worldbank"))  # one request per indicator
    got = read_contents(db_path).observations
    got = got[got["source"] == "worldbank"]
    key = ["indicator", "country", "year"]
    a = got[~got["indicator"].str.startswith("STI.")][key + ["value", "vintage"]].sort_values(key)
    b = wb[key + ["value", "vintage"]].sort_values(key)
    assert a.reset_index(drop=True).astype(str).equals(b.reset_index(drop=True).astype(str))
    assert (a["value"].to_numpy() == b["value"].to_numpy()).all()
    assert {"STI.PAT.RESD.P6", "STI.JRN.ARTC.P6"} <= set(got["indicator"])  # derived recomputed


def test_owid_refresh_reads_csv_and_metadata(httpserver, db_path, monkeypatch):
    slug = "manufacturing-value-added-to-gdp"
    httpserver.expect_request(f"/grapher/{slug}.csv").respond_with_data(
        'Entity,Code,Year,"Manufacturing, value added (% of GDP)"\nTurkey,TUR,2023,19.55\nWorld,OWID_WRL,2023,15.24\n',
        content_type="text/csv")
    httpserver.expect_request(f"/grapher/{slug}.metadata.json").respond_with_data(json.dumps({
        "chart": {"originalChartUrl": f"https://ourworldindata.org/grapher/{slug}"},
        "columns": {"Manufacturing, value added (% of GDP)": {"lastUpdated": "2025-01-24"}},
        "dateDownloaded": "2026-11-22"}), content_type="application/json")
    monkeypatch.setenv("STI_OWID_BASE", httpserver.url_for("/grapher"))
    assert main(["refresh", "--source", "owid", "--indicator", slug]) == 0
    obs = read_contents(db_path).observations
    assert obs[["country", "value", "vintage"]].values.tolist() == [["TUR", 19.55, "2025-01-24"],
                                                                    ["WLD", 15.24, "2025-01-24"]]
    assert "csvType=full" in httpserver.log[0][0].full_path


def test_a_refresh_that_fails_midway_keeps_the_last_good_data(fake_worldbank, db_path):
    assert main(["build"]) == 0
    before = read_contents(db_path).observations
    fake = fake_worldbank({}, {})  # every indicator answers with an error envelope
    fake.overrides["SP.POP.TOTL"] = (503, "Service Unavailable")
    assert main(["refresh", "--source", "worldbank", "--indicator", "GB.XPD.RSDV.GD.ZS"]) == 1
    after = read_contents(db_path)
    assert after.observations.equals(before)
    assert after.runs["status"].iloc[-1] == "failed"
    assert re.search(r"GB\.XPD\.RSDV\.GD\.ZS: .*Invalid value.*kept the stored series", after.runs["message"].iloc[-1])
