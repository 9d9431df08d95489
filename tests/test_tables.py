"""Data & sources tables: coverage matrix, recency colours, catalogue search."""
import pandas as pd

from sti import tables


def test_coverage_matrix_shows_latest_years_and_leaves_no_data_empty(catalog):
    latest = pd.DataFrame({"indicator": ["GB.XPD.RSDV.GD.ZS", "SE.TER.ENRR"], "country": ["KAZ", "TUR"],
                           "latest_year": [2024, 2022]})
    matrix = tables.coverage_matrix(latest, catalog, ["KAZ", "TUR"])
    assert list(matrix.index) == ["Kazakhstan", "Türkiye"]
    assert list(matrix.columns) == [i.code for i in catalog.indicators]
    assert matrix.at["Kazakhstan", "GB.XPD.RSDV.GD.ZS"] == 2024
    assert pd.isna(matrix.at["Türkiye", "GB.XPD.RSDV.GD.ZS"])
    assert tables.year_text(matrix.at["Türkiye", "GB.XPD.RSDV.GD.ZS"]) == ""


def test_recency_colours_darken_with_recency():
    colours = [tables.recency_colour(year, 2024) for year in (2024, 2020, 2015, 1990, None)]
    assert colours[0] != colours[1] != colours[2] != colours[3] and colours[4] == ""


def test_search_needs_every_word_anywhere_and_ignores_missing_cells():
    frame = pd.DataFrame({"code": ["A", "B", "C"], "name": ["Patent applications", "Researchers", None],
                          "note": [None, "per million", "patent counts per million"]})
    assert list(tables.search(frame, "PATENT")["code"]) == ["A", "C"]
    assert list(tables.search(frame, "patent million")["code"]) == ["C"]
    assert len(tables.search(frame, "  ")) == 3
