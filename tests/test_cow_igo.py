"""Correlates of War IGO-year data for the metrology organisations, built in the test as the .rda conversion
wrote it: float years and codes, empty cells for COW's -1/-9, organisation attributes after the states."""
import pandas as pd
import pytest

from etl.series import SourceError
from etl.sources.cow_igo import SOURCE, parse, recognise

HEADER = "ioname,orgname,year,azerbaijan,austriahungary,kazakhstan,turkey,usa,sdate,version,sourcesandnotes\n"
BIPM = "BIPM,International Bureau of Weights & Measures"
OIML = "IOLM,Intl Org Legal Metrology"
TEXT = (HEADER
        + f"{BIPM},1990.0,,1.0,,1.0,1.0,1875.0,2.0999999046325684,\"http://www.bipm.org/, YIO\"\n"
        + f"{BIPM},2008.0,0.0,,1.0,1.0,1.0,1875.0,2.0999999046325684,\n"
        + f"{OIML},2007.0,0.0,,1.0,3.0,1.0,1955.0,2.299999952316284,\n")


def values(parsed, indicator):
    [series] = [s for s in parsed.series if s.indicator == indicator]
    return {(r.country, r.year): r.value for r in series.data.itertuples()}


def test_codes_by_state_and_year(catalog):
    parsed = parse([("cow.csv", TEXT)], catalog)
    # empty cells (state not in the system yet) make no row; float years and codes are read as whole numbers
    assert values(parsed, "IGO.BIPM") == {("TUR", 1990): 1, ("AZE", 2008): 0, ("KAZ", 2008): 1, ("TUR", 2008): 1}
    assert values(parsed, "IGO.OIML") == {("AZE", 2007): 0, ("KAZ", 2007): 1, ("TUR", 2007): 3}
    assert {s.indicator for s in parsed.series} == {"IGO.BIPM", "IGO.OIML"}  # no EURAMET rows, no series
    for s in parsed.series:
        assert s.source == SOURCE and s.origin == "cow.csv" and s.vintage == "v3.0 (data to 2008)"
        assert s.skipped_countries == {"usa"} | ({"austriahungary"} if s.indicator == "IGO.BIPM" else set())
    assert parsed.notes == [] and parsed.metadata == []


def test_cow_missing_codes_written_as_numbers_make_no_row(catalog):
    text = HEADER + f"{BIPM},1990,-1,-9.0,,1,1,1875,2.1,\n"
    assert values(parse([("cow.csv", text)], catalog), "IGO.BIPM") == {("TUR", 1990): 1}


@pytest.mark.parametrize("cell", ["5", "5.0", "1.5", "x", "nan"])
def test_unknown_codes_name_file_line_and_state(catalog, cell):
    text = TEXT + f"{OIML},2008.0,0.0,,{cell},3.0,1.0,1955.0,2.3,\n"
    with pytest.raises(SourceError, match=rf"cow.csv, line 5: kazakhstan: membership code '{cell}' is not") as err:
        parse([("cow.csv", text)], catalog)
    assert err.value.line == 5


def test_bad_year_short_row_and_header(catalog):
    with pytest.raises(SourceError, match="line 2: '2007.5' is not a year"):
        parse([("cow.csv", HEADER + f"{OIML},2007.5,0.0,,1.0,3.0,1.0,1955.0,2.3,\n")], catalog)
    with pytest.raises(SourceError, match="line 2: expected 11 fields, found 6"):
        parse([("cow.csv", HEADER + f"{OIML},2007.0,0.0,,1.0\n")], catalog)
    with pytest.raises(SourceError, match="not a COW IGO-year file"):
        parse([("cow.csv", "ioname,year,turkey\nBIPM,2007,1\n")], catalog)


def test_duplicate_organisation_year_is_an_error(catalog):
    with pytest.raises(SourceError, match="IGO.OIML has more than one value for AZE 2007"):
        parse([("cow.csv", TEXT + f"{OIML},2007,0,,1,3,1,1955,2.3,\n")], catalog)


def test_unknown_organisations_give_a_note(catalog):
    text = TEXT + "UN,United Nations,2008.0,1.0,,1.0,1.0,1.0,1945.0,2.1,\n"
    parsed = parse([("cow.csv", text)], catalog)
    assert parsed.notes == ["COW IGO organisations not in the catalogue, not loaded: UN"]
    assert {s.indicator for s in parsed.series} == {"IGO.BIPM", "IGO.OIML"}


def test_cow_names_of_our_states_resolve(catalog):
    # COW's short names for every state in the catalogue (XNC and the aggregates have no COW column)
    cow = ["azerbaijan", "kazakhstan", "kyrgyzstan", "turkey", "uzbekistan", "hungary", "turkmenistan", "russia",
           "china", "iran", "georgia", "mongolia"]
    got = {name: catalog.resolve_country(None, name) for name in cow}
    assert got == dict(zip(cow, ["AZE", "KAZ", "KGZ", "TUR", "UZB", "HUN", "TKM", "RUS", "CHN", "IRN", "GEO", "MNG"]))
    states = {c.code for c in catalog.countries if c.has_data and c.role not in ("benchmark", "aggregate")}
    assert states == set(got.values())


def test_recognise_by_header():
    assert recognise("x.csv", TEXT)
    assert recognise("x.csv", "\ufeff" + TEXT)
    assert recognise("x.csv", '"ioname","orgname","year","turkey"\n')
    assert not recognise("x.csv", "Entity,Code,Year,Value\n")
    assert not recognise("x.csv", "ioname,orgname\n")
    assert not recognise("x.csv", "")


def test_fidelity_with_the_saved_file(shared, catalog):
    path = shared / "data/raw/metrology/cow_igo_v3_igo_year_BIPM_OIML_EURAMET.csv"
    raw = path.read_text(encoding="utf-8")
    assert recognise(path.name, raw)
    parsed = parse([(str(path), raw)], catalog)
    assert parsed.notes == [] and {s.vintage for s in parsed.series} == {"v3.0 (data to 2014)"}
    # expected codes read independently with pandas
    df = pd.read_csv(path)
    cols = {"azerbaijan": "AZE", "kazakhstan": "KAZ", "kyrgyzstan": "KGZ", "turkey": "TUR", "uzbekistan": "UZB",
            "hungary": "HUN", "turkmenistan": "TKM", "russia": "RUS", "china": "CHN", "iran": "IRN",
            "georgia": "GEO", "mongolia": "MNG"}
    for ioname, indicator in (("BIPM", "IGO.BIPM"), ("IOLM", "IGO.OIML"), ("EURAMET", "IGO.EURAMET")):
        rows = df[df["ioname"] == ioname].melt(id_vars="year", value_vars=list(cols)).dropna()
        expected = {(cols[r.variable], int(r.year)): r.value for r in rows.itertuples()}
        assert values(parsed, indicator) == expected
    bipm, oiml, euramet = (values(parsed, i) for i in ("IGO.BIPM", "IGO.OIML", "IGO.EURAMET"))
    # PROVENANCE.md, codes for 2014
    assert bipm[("KAZ", 2008)] == 1 and bipm[("KAZ", 2007)] == 0 and bipm[("KAZ", 2014)] == 1
    assert all(bipm[(c, 2014)] == 0 for c in ("AZE", "KGZ", "UZB", "TKM"))
    assert all(bipm[(c, 2014)] == 1 for c in ("TUR", "HUN", "RUS", "CHN", "IRN"))
    assert bipm[("GEO", 2014)] == 2 and bipm[("MNG", 2014)] == 2
    assert oiml[("TUR", 2004)] == 3 and oiml[("TUR", 2003)] != 3 and oiml[("TUR", 2014)] == 3
    assert oiml[("KAZ", 1997)] == 1 and oiml[("IRN", 2014)] == 0
    assert {c for (c, y), v in euramet.items() if y == 2014 and v == 1} == {"TUR", "HUN"}
