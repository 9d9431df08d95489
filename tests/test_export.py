"""Exports: tidy CSV equal to the query behind a chart, formula-like cells neutralised, a workbook with sources."""
import io
import re

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _full(db_path, kind):
    from sti import ui
    from sti.db import file_identity

    ui._full_export.cache_clear()
    return ui._full_export(str(db_path), file_identity(db_path), kind)


def test_full_downloads_leave_out_sources_whose_terms_do_not_allow_it(built, db_path, catalog, tmp_path):
    from etl.cli import main

    national = tmp_path / "n.csv"
    national.write_text(
        "indicator,country,year,value,unit,source_name,source_url,licence,retrieved\n"
        "IFC.MSME.NUM,KAZ,2023,1,enterprises,Open office,https://a.example/,CC BY 4.0,2026-01-01\n"
        "IFC.MSME.NUM,UZB,2023,2,enterprises,Closed office,https://b.example/,All rights reserved,2026-01-01\n")
    assert main(["import", str(national)]) == 0
    closed = {s.id for s in catalog.sources if not s.redistribute}
    assert closed == {"ifc_msme", "iso_survey", "un_egov", "cow_igo"}
    rows = pd.read_csv(io.BytesIO(_full(db_path, "csv")))
    # the UIS flows' intra-OTS shares: CC BY-SA, whose share-alike clause allows passing them on under it
    assert set(rows["source"]) == {"worldbank", "owid", "ncses", "uis_mobility"}
    assert not rows["indicator"].isin(["STI.ISO9001.P6", "EGOV.EGDI", "IFC.MSME.NUM", "IGO.BIPM"]).any()
    assert "caveats" in rows.columns and rows["citation"].notna().all()
    book = pd.read_excel(io.BytesIO(_full(db_path, "xlsx")), sheet_name=None)
    assert set(book["observations"]["source"]) == {"worldbank", "owid", "ncses", "uis_mobility"}
    flows = pd.read_csv(io.BytesIO(_full(db_path, "flows")), keep_default_na=False)
    assert len(flows) == len(book["student flows"]) > 5000 and set(flows["licence"]) == {"CC BY-SA 3.0 IGO"}
    assert flows["licence_terms"].str.startswith("Share-alike").all() and flows["citation"].str.contains("360info").all()
    sources = book["sources"].set_index("source")
    assert sources.loc["uis_mobility", "in_bulk_download"] and "share" in sources.loc["uis_mobility", "licence_terms"]
    left = " ".join(book["left out"].iloc[:, 0])
    for publisher in ("IFC", "ISO", "UN", "Correlates of War"):
        assert publisher in left
    assert "1 national figure(s) whose licence is not an open one" in left
    assert list(book["national figures"]["source_name"]) == ["Open office"]
    assert set(book["national figures"]["data_type"]) == {"national figure (user import)"}
    assert set(book["caveats"]["caveat"]) == {c.id for c in catalog.caveats}


@pytest.mark.parametrize("licence, is_open", [("CC BY 4.0", True), ("Public domain", True), ("CC0", True),
                                              ("Open Government Licence v3.0", True), ("© Ministry", False),
                                              ("All rights reserved", False), ("", False),
                                              ("CC BY-NC 4.0", False), ("CC BY-ND", False), ("CC BY NC 4.0", False),
                                              ("No Creative Commons licence stated", False),
                                              ("Not in the public domain", False), ("CC-BY-SA-4.0", True),
                                              ("Creative Commons Attribution-NonCommercial 4.0", False),
                                              ("Creative Commons Attribution 4.0 International", True),
                                              ("Public domain (U.S. Government work)", True)])
def test_user_licences_are_read_conservatively(licence, is_open):
    assert export.is_open_licence(licence) is is_open


# Hostile text anywhere (a user's national figures, a publisher's note) never becomes a live formula.
_cells = st.one_of(st.text(max_size=12), st.none(),
                   st.sampled_from(["=1+1", "+A1", "-2", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0",
                                    "=HYPERLINK(\"http://x\")", "\x01=1+1", " =1", "\x1f\x7f@A1", "x\r=1"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cells, _cells, st.floats(min_value=-1e300, max_value=1e300)), min_size=1, max_size=8),
       _cells.filter(lambda h: h not in ("note", "value")))
def test_no_cell_of_a_download_is_read_as_a_formula(rows, header):
    import csv
    import io

    import openpyxl

    frame = pd.DataFrame(rows, columns=["note", header or "source", "value"]).astype({"value": "float64"})
    formula = re.compile(r"^[\x00-\x20\x7f]*[=+\-@]")  # what a spreadsheet may take for a formula
    for row in list(csv.reader(io.StringIO(export.csv_bytes(frame).decode("utf-8"), newline="")))[1:]:
        assert not any(formula.match(cell) for cell in row[:2]), row
    book = openpyxl.load_workbook(io.BytesIO(export.workbook_bytes({"data": frame})))
    cells = [c for row in book["data"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    numbers = [c.value for c in cells if c.column == 3 and c.row > 1]  # numbers stay numbers (Excel keeps 15 digits)
    assert numbers == pytest.approx(frame["value"].tolist(), rel=1e-15, abs=0)
