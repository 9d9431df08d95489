"""Live refresh against local servers that speak the publishers' formats, fed from the bundled snapshot."""
import json


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


def test_a_refresh_that_fails_midway_keeps_the_last_good_data(fake_worldbank, db_path, monkeypatch):
    from etl.http import make_session
    monkeypatch.setattr("etl.cli.make_session", lambda: make_session(backoff_factor=0))
    assert main(["build"]) == 0
    before = read_contents(db_path).observations
    fake = fake_worldbank({"GB.XPD.RSDV.GD.ZS": [("AZE", 2024, 0.5)]}, {"GB.XPD.RSDV.GD.ZS": "2026-08-01"})
    fake.overrides["SP.POP.TOTL"] = (503, "Service Unavailable")  # fails after its retries
    assert main(["refresh", "--source", "worldbank", "--indicator", "GB.XPD.RSDV.GD.ZS", "SP.POP.TOTL",
                 "IP.PAT.RESD"]) == 1
    after = read_contents(db_path)
    assert sum("/indicator/SP.POP.TOTL" in r for r in fake.requests) == 4  # first try and three retries
    new = after.observations[after.observations["indicator"] == "GB.XPD.RSDV.GD.ZS"]
    assert new[["country", "year", "value", "vintage"]].values.tolist() == [["AZE", 2024, 0.5, "2026-08-01"]]
    for code in ("SP.POP.TOTL", "IP.PAT.RESD"):  # HTTP 503 and an error envelope: both kept as they were
        kept = after.observations[after.observations["indicator"] == code].reset_index(drop=True)
        assert kept.equals(before[before["indicator"] == code].reset_index(drop=True))
    status = dict(zip(after.runs["message"].str.split(":").str[0], after.runs["status"]))
    assert status["GB.XPD.RSDV.GD.ZS"] == "ok" and status["SP.POP.TOTL"] == "failed"
    assert status["IP.PAT.RESD"] == "failed"
    messages = " ".join(after.runs["message"])
    assert "HTTP 503" in messages and "Invalid value" in messages and "kept the stored series" in messages
