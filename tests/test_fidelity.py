"""The bundled snapshot equals the publishers' files, and recorded API responses parse row for row.

These read ../shared and skip where it is absent. The raw files are parsed here independently of the ETL (pandas,
as the provenance notes suggest), so a parser bug cannot hide itself.
"""
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from etl import snapshot
from etl.build import build_database
from etl.http import get_json, make_session
from etl.series import SourceError
from etl.sources.worldbank import fetch_pages, page_rows, parse_api_pages
from sti import settings
from sti.db import connect_readonly


@pytest.fixture(scope="module")
def bundled():
    observations, _, _ = snapshot.read_snapshot(settings.SNAPSHOT_DIR)
    return observations


def _wdi_files(shared: Path) -> dict[str, tuple[str, Path]]:
    """Newest vintage per indicator among the raw WDI files (the rule the snapshot follows)."""
    best: dict[str, tuple[str, Path]] = {}
    for path in sorted((shared / "data/raw/wdi").glob("*.csv")):
        if path.name.startswith("Metadata_"):
            continue
        head = path.read_bytes()[:400].decode("latin-1")
        vintage = re.search(r'"Last Updated Date","([\d-]+)"', head).group(1)
        frame = pd.read_csv(path, skiprows=4, encoding="latin-1", dtype=str)
        code = frame["Indicator Code"].iloc[0]
        if code not in best or vintage > best[code][0]:
            best[code] = (vintage, path)
    return best


def test_every_wdi_value_equals_the_publishers_file(shared, bundled, catalog):
    codes = catalog.country_codes
    for code, (vintage, path) in _wdi_files(shared).items():
        frame = pd.read_csv(path, skiprows=4, encoding="latin-1", dtype=str)
        years = [c for c in frame.columns if c.isdigit()]
        long = frame.melt(id_vars=["Country Code"], value_vars=years, var_name="year").dropna()
        long = long[long["Country Code"].isin(codes)]
        expected = {(r["Country Code"], int(r["year"])): float(r["value"]) for _, r in long.iterrows()}
        ours = bundled[bundled["indicator"] == code]
        got = {(r.country, r.year): r.value for r in ours.itertuples()}
        assert got == expected, f"{code} differs from {path.name}"
        assert set(ours["vintage"]) == {vintage}, code
        assert set(ours["source"]) == {"worldbank"}


def test_every_owid_value_equals_the_publishers_file(shared, bundled, catalog):
    for path in sorted((shared / "data/raw/owid").glob("*.csv")):
        frame = pd.read_csv(path)
        value_col = frame.columns[3]
        frame = frame.dropna(subset=[value_col])
        ours = bundled[bundled["indicator"] == path.stem]
        got = {(r.country, r.year): r.value for r in ours.itertuples()}
        expected = {}
        for _, r in frame.iterrows():
            code = catalog.resolve_country(r["Code"] if isinstance(r["Code"], str) else None, r["Entity"])
            if code:
                expected[(code, int(r["Year"]))] = float(r[value_col])
        assert expected and got == expected, path.name  # exactly the published rows: conventions are not stored


def test_the_recorded_gdp_response_is_in_the_snapshot(shared, bundled, catalog):
    body = json.loads((shared / "fixtures/recorded/worldbank/data/"
                       "NY.GDP.MKTP.CD_all_countries_all_years_footnote_y.json").read_text())
    ours = bundled[bundled["indicator"] == "NY.GDP.MKTP.CD"]
    got = {(r.country, r.year): r.value for r in ours.itertuples()}
    expected = {}
    for row in body[1]:
        code = catalog.resolve_country(row["countryiso3code"] or row["country"]["id"])
        if code and row["value"] is not None:
            expected[(code, int(row["date"]))] = float(row["value"])
    assert got == expected and ("UMC", 2024) in got
    assert set(ours["vintage"]) == {body[0]["lastupdated"]}


RECORDED = sorted((Path(settings.ROOT).parent / "shared/fixtures/recorded/worldbank/data").glob("*.json"))


@pytest.mark.parametrize("path", RECORDED, ids=[p.name for p in RECORDED])
def test_recorded_responses_parse_every_row(shared, path, httpserver):
    """Each recorded response, served over HTTP as the API sent it, goes through our client row for row."""
    httpserver.expect_request("/v2/recorded").respond_with_data(path.read_bytes(),
                                                                 content_type="application/json;charset=utf-8")
    body = get_json(make_session(backoff_factor=0), httpserver.url_for("/v2/recorded"), timeout=10)
    assert body == json.loads(path.read_text(encoding="utf-8"))
    rows = page_rows(body, path.name)
    assert len(rows) == len(body[1])
    for (indicator, code, year, value), raw in zip(rows, body[1]):
        assert indicator == raw["indicator"]["id"] and year == int(raw["date"])
        assert code == (raw["countryiso3code"] or raw["country"]["id"])
        assert value == (None if raw["value"] is None else float(raw["value"]))


def test_recorded_full_response_replayed_through_the_client(shared, httpserver, catalog):
    path = shared / "fixtures/recorded/worldbank/data/NY.GDP.MKTP.CD_all_countries_all_years_footnote_y.json"
    httpserver.expect_request("/v2/country/all/indicator/NY.GDP.MKTP.CD").respond_with_data(
        path.read_bytes(), content_type="application/json;charset=utf-8")
    url, pages = fetch_pages(make_session(backoff_factor=0), httpserver.url_for("/v2"), "NY.GDP.MKTP.CD", ["all"],
                             timeout=10)
    [series] = parse_api_pages(pages, url, catalog, strict=False)
    body = json.loads(path.read_text())
    ours = [r for r in body[1] if catalog.resolve_country(r["countryiso3code"] or r["country"]["id"])
            and r["value"] is not None]
    assert series.rows == len(ours) and series.vintage == "2025-07-01"


ERRORS = sorted((Path(settings.ROOT).parent / "shared/fixtures/recorded/worldbank/errors").glob("*.json"))


@pytest.mark.parametrize("path", ERRORS, ids=[p.name for p in ERRORS])
def test_recorded_error_envelopes_are_reported(shared, httpserver, path):
    httpserver.expect_request("/v2/country/AZE/indicator/X").respond_with_data(
        path.read_bytes(), content_type="application/json;charset=utf-8")
    with pytest.raises(SourceError, match=r"World Bank API returned an error: .*\(id 1[25]0\)"):
        fetch_pages(make_session(backoff_factor=0), httpserver.url_for("/v2"), "X", ["AZE"], timeout=5)


def test_recorded_html_error_page_is_reported(shared, httpserver):
    path = shared / "fixtures/recorded/worldbank/errors/invalid_source_HTTP400_aspnet_request_error.html"
    httpserver.expect_request("/v2/country/AZE/indicator/X").respond_with_data(
        path.read_bytes(), status=400, content_type="text/html")
    with pytest.raises(SourceError, match="HTTP 400"):
        fetch_pages(make_session(backoff_factor=0), httpserver.url_for("/v2"), "X", ["AZE"], timeout=5)


# --- UIS student flows: 360info's top-10 tables -------------------------------------------------------------------

UIS_TABLES = {"origin": ("popular-destinations-by-origin_OTS.csv", "origin_country_name", "dest_country_lumped"),
              "destination": ("popular-origins-by-destination_OTS.csv", "dest_country_name", "origin_country_lumped")}
UIS_FLAGS = dict(zip("abcd", ["INCLUDES", "INCLUDED", "NAT_EST", "UIS_EST"]))


def _uis_rows(shared: Path, catalog) -> dict[tuple[str, str, int, str], tuple[float, str]]:
    """Every row of both raw tables, read with pandas: (origin, destination, year, list) -> (students, flags)."""
    out = {}
    for listed_by, (name, owner, partner) in UIS_TABLES.items():
        frame = pd.read_csv(shared / "data/raw/uis_mobility" / name, dtype=str, keep_default_na=False)
        for r in frame.to_dict("records"):
            a, b = catalog.resolve_country(None, r[owner]), catalog.resolve_partner(r[partner])
            assert a and b, (name, r)
            pair = (a, b) if listed_by == "origin" else (b, a)
            flags = " ".join(UIS_FLAGS[t] for t in r["cond_all"].split() if t != "-")
            out[(*pair, int(r["year"]), listed_by)] = (float(r["value_lumped"]), flags)
    return out


def test_every_flow_equals_its_row_in_the_publishers_files(shared, catalog):
    expected = _uis_rows(shared, catalog)
    bundled = snapshot.read_flows(settings.SNAPSHOT_DIR)
    got = {(r.origin, r.destination, r.year, r.listed_by): (r.students, r.flags) for r in bundled.itertuples()}
    assert len(bundled) == len(got) == len(expected) == 3043 + 2103  # every source row once, nothing added
    assert got == expected
    assert set(bundled["source"]) == {"uis_mobility"}
    assert dict(bundled.groupby("listed_by")["vintage"].first()) == {"origin": "undated (data to 2021)",
                                                                     "destination": "undated (data to 2020)"}


def test_the_intra_ots_shares_equal_sums_of_source_rows(shared, catalog, tmp_path):
    """Azerbaijan in 2019, by hand from the raw tables: the figures the Cooperation page and the area pages show."""
    rows = _uis_rows(shared, catalog)
    listed = {k[:3]: v[0] for k, v in rows.items() if k[2] == 2019 and k[3] == "origin" and k[0] == "AZE"}
    hosts = {k[:3]: v[0] for k, v in rows.items() if k[2] == 2019 and k[3] == "destination" and k[0] == "AZE"}
    ots = set(catalog.flow_states()) - {"AZE"}
    known = {d: hosts.get(("AZE", d, 2019), listed.get(("AZE", d, 2019))) for d in ots}
    counted = sum(v for v in known.values() if v is not None)
    total = sum(listed.values())
    assert listed[("AZE", "TUR", 2019)] == hosts[("AZE", "TUR", 2019)] == 19383  # PROVENANCE's example
    path = tmp_path / "sti.duckdb"
    build_database(path, catalog)
    con = connect_readonly(path)
    try:
        share = con.execute("SELECT value FROM observation WHERE indicator = 'STI.MOB.OTS.OUT.ZS' AND country = "
                            "'AZE' AND year = 2019").fetchone()[0]
    finally:
        con.close()
    assert share == pytest.approx(counted / total * 100) and round(share) == 46
