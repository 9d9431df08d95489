"""Caveats as data: which values a caveat covers, and that charts, tables and exports carry them."""
import pandas as pd
import pytest

from sti import caveats, export
from sti.catalog import Caveat, load_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def frame(*rows):
    return pd.DataFrame(rows, columns=["indicator", "country", "year"])


def ids(found):
    return {c.id for c in found}


def test_source_caveats_cover_every_series_of_the_source_and_what_is_derived_from_it(cat):
    assert ids(caveats.for_frame(cat, frame(("ISO.9001", "KAZ", 2015)))) == {"iso-participation"}
    assert "iso-participation" in ids(caveats.for_frame(cat, frame(("STI.ISO9001.P6", "KAZ", 2015))))
    assert not caveats.for_frame(cat, frame(("GB.XPD.RSDV.GD.ZS", "KAZ", 2015)))
    assert not caveats.for_frame(cat, frame(("SP.POP.TOTL", "KAZ", 2015)))  # the denominator carries none


@pytest.mark.parametrize("row, covered", [
    (("ISO.9001", "RUS", 2010), False), (("ISO.9001", "RUS", 2011), True), (("ISO.9001", "RUS", 2019), True),
    (("ISO.9001", "HUN", 2015), False), (("STI.ISO27001.P6", "RUS", 2012), True),
])
def test_country_and_year_restrictions(cat, row, covered):
    assert ("iso-rus-break" in ids(caveats.for_frame(cat, frame(row)))) is covered


def test_the_turkish_2019_note_covers_2019_only(cat):
    found = [ids(caveats.for_frame(cat, frame(("ISO.14001", "TUR", y)))) for y in (2018, 2019, 2020)]
    assert ["iso-tur-2019" in f for f in found] == [False, True, False]


def test_a_frame_without_country_or_year_means_the_whole_series(cat):
    whole = ids(caveats.for_frame(cat, pd.DataFrame({"indicator": ["IFC.SME.NUM"]})))
    assert {"ifc-definitions", "ifc-years", "ifc-kaz-sme-includes-micro", "ifc-hun-secondary"} == whole


def test_per_row_notes_match_each_value_and_state_their_reason(cat):
    notes = caveats.per_row(cat, frame(("ISO.9001", "RUS", 2019), ("ISO.9001", "KAZ", 2019),
                                       ("GB.XPD.RSDV.GD.ZS", "KAZ", 2019)))
    assert "Russia's fall after 2010" in notes[0] and "coverage break" in notes[0]
    assert "Russia" not in notes[1] and "voluntary reporting" in notes[1]
    assert notes[2] == ""


def test_every_caveat_states_a_reason_and_covers_some_catalogue_series(cat):
    assert cat.caveats
    for c in cat.caveats:
        assert c.note and c.reason and c.text().endswith(f"({c.reason})")
        assert any(caveats.covers_indicator(c, cat, i.code) for i in cat.indicators), c.id


def test_chart_downloads_carry_licence_citation_and_caveats(cat):
    rows = pd.DataFrame({"indicator": ["IFC.MSME.NUM", "IFC.MSME.NUM"], "country": ["KAZ", "HUN"],
                         "year": [2012, 2011], "value": [315594.0, 549448.0], "source": "ifc_msme",
                         "vintage": "2014 edition (data to 2013)"})
    out = export.tidy(rows, cat)
    assert list(out.columns) == export.TIDY_COLUMNS + export.PROVENANCE_COLUMNS
    assert out["citation"].str.startswith("IFC (2014), MSME Country Indicators").all()
    assert out["licence"].str.contains("all rights reserved").all()
    assert "Hungary's headline" in out.at[1, "caveats"] and "Hungary" not in out.at[0, "caveats"]


def test_caveat_declarations_are_validated(tmp_path):
    import shutil

    from sti import settings
    from sti.catalog import CatalogError

    for bad, message in [('source = "nowhere"', "unknown source"), ('indicators = ["NOPE"]', "unknown indicator"),
                         ('source = "iso_survey"\nindicators = ["ISO.9001"]', "either a source or indicators")]:
        directory = tmp_path / bad[:6].strip()
        shutil.copytree(settings.CATALOG_DIR, directory, dirs_exist_ok=True)
        (directory / "caveats.toml").write_text(f'[[caveat]]\nid = "x"\nnote = "n"\nreason = "r"\n{bad}\n')
        with pytest.raises(CatalogError, match=message):
            load_catalog(directory)


def test_caveat_text_joins_note_and_reason():
    assert Caveat("c", "Levels differ", "definitions differ", source="x").text() == \
        "Levels differ (definitions differ)"
