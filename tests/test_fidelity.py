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
from etl.http import get_json, make_session
from etl.series import SourceError
from etl.sources.worldbank import fetch_pages, page_rows, parse_api_pages
from sti import settings


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
