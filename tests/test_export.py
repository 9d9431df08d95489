"""Exports: tidy CSV equal to the query behind a chart, formula-like cells neutralised, a workbook with sources."""
import io

import openpyxl
import pandas as pd
import pytest

from sti import export, queries
from sti.db import connect_readonly


@pytest.fixture
def built(db_path):
    from etl.cli import main
    assert main(["build"]) == 0
    con = connect_readonly(db_path)
    yield con
    con.close()


def test_formula_like_text_is_neutralised_and_numbers_are_not():
    frame = pd.DataFrame({"text": ["=1+1", "+A1", "-2", "@SUM(A1)", "\tx", "plain", None], "value": [-1.5] * 7})
    out = export.neutralise(frame)
    assert list(out["text"][:6]) == ["'=1+1", "'+A1", "'-2", "'@SUM(A1)", "'\tx", "plain"]
    assert out["value"].tolist() == [-1.5] * 7
    csv = export.csv_bytes(frame).decode()
    assert "\n'=1+1," in csv and "-1.5" in csv


def test_a_charts_csv_equals_its_query_result(built, catalog):
    rows = queries.series(built, ["GB.XPD.RSDV.GD.ZS"], ["KAZ", "TUR", "WLD"], 2010, 2024)
    back = pd.read_csv(io.BytesIO(export.csv_bytes(export.tidy(rows, catalog))))
    assert list(back.columns) == export.TIDY_COLUMNS + ["licence", "citation", "caveats"]
    assert len(back) == len(rows) > 30
    pd.testing.assert_frame_equal(back[["indicator", "country", "year", "value", "source", "vintage"]],
                                  rows.astype({"year": "int64"}), check_dtype=False)
    assert set(back["unit"]) == {"% of GDP"} and set(back["licence"]) == {"CC BY 4.0"}
    assert back["citation"].str.startswith("World Bank, World Development Indicators").all()
    assert back["caveats"].isna().all()  # no caveat on this series


def test_a_rescaled_series_exports_its_own_unit(built, catalog):
    rows = queries.scaled_series(built, "IP.PAT.RESD", "SP.POP.TOTL", 1e6, ["KAZ"], 2015, 2020)
    raw = queries.series(built, ["IP.PAT.RESD", "SP.POP.TOTL"], ["KAZ"], 2015, 2020)
    wide = raw.pivot(index="year", columns="indicator", values="value")
    expected = (wide["IP.PAT.RESD"] / wide["SP.POP.TOTL"] * 1e6).dropna()
    assert rows.set_index("year")["value"].round(9).to_dict() == expected.round(9).to_dict()
    tidy = export.tidy(rows, catalog, "applications per million people")
    assert set(tidy["unit"]) == {"applications per million people"}
    assert tidy["vintage"].str.contains("SP.POP.TOTL").all()


def test_the_workbook_holds_every_observation_and_a_sources_sheet(built, catalog):
    observations = queries.export_observations(built, [s.id for s in catalog.sources])
    data = export.workbook_bytes({"observations": observations, "sources": export.sources_sheet(catalog),
                                  "indicators": export.indicators_sheet(catalog, {})})
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["observations", "sources", "indicators"]
    sheet = book["observations"]
    assert sheet.max_row == len(observations) + 1
    sources = pd.read_excel(io.BytesIO(data), sheet_name="sources")
    assert set(sources["source"]) == {s.id for s in catalog.sources}
    assert (sources["licence"] != "").all()
    first = pd.read_excel(io.BytesIO(data), sheet_name="observations", nrows=5)
    assert list(first.columns[:7]) == ["indicator", "indicator_name", "unit", "country", "country_name", "year",
                                       "value"]
