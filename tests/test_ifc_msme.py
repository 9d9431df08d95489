"""IFC MSME Country Indicators: the web app's data array, built in the test with its quirks."""
import json

import pandas as pd
import pytest

from etl.series import SourceError
from etl.sources.ifc_msme import SOURCE, parse, recognise

NAMES = {"AZE": "Azerbaijan", "HUN": "Hungary", "USA": "United States"}


def rec(iso3, rank, year, source, indicator, size, value):
    """One 14-field IFC record, as the web app stores it (floats for years and ranks)."""
    return [float(rank), iso3, NAMES.get(iso3, iso3), float(year), 6220.0, 9297507.0, source, "Upper middle income",
            "Europe & Central Asia", 1.0 if rank else 0.0, "N", indicator, size, value]


def economy(iso3, records):
    """{"Key": …, "Value": {indicator: {key: record}}} from (key, record) pairs."""
    value = {}
    for key, record in records:
        value.setdefault(record[11], {})[key] = record
    return {"Key": iso3, "Value": value}


AZE = economy("AZE", [
    ("3MSMEs", rec("AZE", 3, 2010, "CESD", "Number of Enterprises", "MSMEs", 266354.0)),
    ("0MSMEs", rec("AZE", 1, 2012, "State Statistical Committee", "Number of Enterprises", "MSMEs", 261950.0)),
    ("1MSMEs", rec("AZE", 1, 2012, "State Statistical Committee", "Number of Enterprises", "MSMEs", 261950.0)),
    ("0MSMEs", rec("AZE", 1, 2012, "State Statistical Committee", "Density", "MSMEs", 28.17)),
    ("3MSMEs", rec("AZE", 3, 2010, "CESD", "Density", "MSMEs", 29.42)),
    ("0Micro", rec("AZE", 1, 2012, "State Statistical Committee", "Density", "Micro", 26.71)),  # not catalogued
    ("0SMEs", rec("AZE", 1, 2012, "State Statistical Committee", "Trade", "SMEs", 46.8)),  # not catalogued
    ("0Micro", rec("AZE", 1, 2012, "State Statistical Committee", "Firm Size by Number", "Micro", None)),
])
HUN = economy("HUN", [
    ("0MSMEs", rec("HUN", 3, 2011, "SBS Eurostat", "Number of Enterprises", "MSMEs", 549448.0)),
    ("1MSMEs", rec("HUN", 1, 2011, "HCSO", "Number of Enterprises", "MSMEs", 689510.0)),
    ("0MSMEs", rec("HUN", 3, 2011, "SBS Eurostat", "Vallue added", "MSMEs", 55.02)),
])
USA = economy("USA", [("0MSMEs", rec("USA", 1, 2013, "Census", "Number of Enterprises", "MSMEs", 5.0e6))])


def text(*economies) -> str:
    return json.dumps(list(economies))


def values(parsed, indicator):
    [series] = [s for s in parsed.series if s.indicator == indicator]
    return {(r.country, r.year): r.value for r in series.data.itertuples()}


def test_headline_records_only_with_years_and_values(catalog):
    parsed = parse([("ifc.json", text(AZE, HUN))], catalog)
    # the ranked records (3MSMEs for 2010, HUN's HCSO 689,510) repeat or compete with the headline: not loaded
    assert values(parsed, "IFC.MSME.NUM") == {("AZE", 2012): 261950.0, ("HUN", 2011): 549448.0}
    assert values(parsed, "IFC.MSME.DNS") == {("AZE", 2012): 28.17}
    assert values(parsed, "IFC.MSME.VA.ZS") == {("HUN", 2011): 55.02}  # "Vallue added", sic
    assert {s.indicator for s in parsed.series} == {"IFC.MSME.NUM", "IFC.MSME.DNS", "IFC.MSME.VA.ZS"}
    for s in parsed.series:
        assert s.source == SOURCE and s.origin == "ifc.json" and s.vintage == "2014 edition (data to 2012)"
        assert s.data["year"].dtype == "int64"


def test_null_values_are_skipped(catalog):
    parsed = parse([("ifc.json", text(AZE))], catalog)
    # AZE's only "Firm Size by Number|Micro" record is null: no series at all for IFC.DEF.MICRO
    assert "IFC.DEF.MICRO" not in {s.indicator for s in parsed.series}


def test_metadata_rows_name_each_economys_headline_source(catalog):
    parsed = parse([("ifc.json", text(AZE, HUN))], catalog)
    vintage = "2014 edition (data to 2012)"
    assert parsed.metadata == [
        ("country", "AZE", "IFC MSME-CI source", "State Statistical Committee (national statistical office), 2012",
         SOURCE, vintage),
        ("country", "HUN", "IFC MSME-CI source", "SBS Eurostat (secondary compilation), 2011", SOURCE, vintage)]


def test_mixed_headline_sources_are_joined(catalog):
    kgz = economy("KGZ", [
        ("0MSMEs", rec("KGZ", 1, 2012, "NSCKR", "Number of Enterprises", "MSMEs", 298500.0)),
        ("0SMEs", rec("KGZ", 2, 2011, "Ministry of Economy", "Vallue added", "SMEs", 14.6)),
        ("0MSMEs", rec("KGZ", 1, 2012, "NSCKR", "Density", "MSMEs", 53.47))])
    [row] = parse([("ifc.json", text(kgz))], catalog).metadata
    assert row[3] == "NSCKR (national statistical office), 2012; Ministry of Economy (ministry), 2011"


def test_uncatalogued_indicators_give_one_note_and_unknown_economies_are_skipped(catalog):
    parsed = parse([("ifc.json", text(AZE, USA))], catalog)
    assert parsed.notes == ["IFC indicators not in the catalogue, not loaded: Density|Micro, Trade|SMEs"]
    assert values(parsed, "IFC.MSME.NUM") == {("AZE", 2012): 261950.0}
    assert all(s.skipped_countries == {"USA"} for s in parsed.series)
    assert [m[1] for m in parsed.metadata] == ["AZE"]
    assert parsed.series[0].vintage == "2014 edition (data to 2013)"  # the file's latest year, USA's included


@pytest.mark.parametrize("body,problem", [
    ('[{"Key": "AZE", "Value": {', "is not valid JSON"),
    ('{"Key": "AZE", "Value": {}}', "is not a JSON array"),
    ('[{"Key": "AZE"}]', "element #1"),
    ('[{"Key": "AZE", "Value": {"Density": [1, 2]}}]', "expected an object of records"),
    ('[{"Key": "AZE", "Value": {"Density": {"0MSMEs": [1.0, "AZE"]}}}]', "expected a list of 14 fields"),
    ("[" * 100_000, "nested too deeply"),  # regression (fuzzing): RecursionError escaped
    ("[" + "1" * 5000 + "]", "Exceeds the limit"),  # regression (fuzzing): int() over 4,300 digits, a ValueError
])
def test_malformed_files_name_the_origin(catalog, body, problem):
    with pytest.raises(SourceError, match=problem) as err:
        parse([("data/ifc.json", body)], catalog)
    assert err.value.origin == "data/ifc.json"


def test_non_numeric_value_bad_year_and_wrong_country(catalog):
    bad_value = economy("AZE", [("0MSMEs", rec("AZE", 1, 2012, "SSC", "Density", "MSMEs", "28,17"))])
    with pytest.raises(SourceError, match=r"AZE 'Density' '0MSMEs': value '28,17' is not a number"):
        parse([("ifc.json", text(bad_value))], catalog)
    bad_year = economy("AZE", [("0MSMEs", rec("AZE", 1, 2012.5, "SSC", "Density", "MSMEs", 28.17))])
    with pytest.raises(SourceError, match="2012.5 is not a year"):
        parse([("ifc.json", text(bad_year))], catalog)
    wrong = economy("AZE", [("0MSMEs", rec("KAZ", 1, 2012, "SSC", "Density", "MSMEs", 28.17))])
    with pytest.raises(SourceError, match="the record is for 'KAZ', not 'AZE'"):
        parse([("ifc.json", text(wrong))], catalog)
    mislabelled = economy("AZE", [("0SMEs", rec("AZE", 1, 2012, "SSC", "Density", "MSMEs", 28.17))])
    with pytest.raises(SourceError, match="does not match the record's indicator and size class"):
        parse([("ifc.json", text(mislabelled))], catalog)


def test_duplicates_are_errors(catalog):
    with pytest.raises(SourceError, match="IFC.MSME.NUM has more than one value for AZE 2012"):
        parse([("ifc.json", text(AZE, AZE))], catalog)
    with pytest.raises(SourceError, match="IFC.MSME.NUM has more than one value for AZE 2012") as err:
        parse([("a.json", text(AZE)), ("b.json", text(AZE))], catalog)
    assert err.value.origin == "a.json + b.json"
    # json.loads would keep the second of two equal keys without a word
    record = json.dumps(rec("AZE", 1, 2012, "SSC", "Density", "MSMEs", 28.17))
    twice = f'[{{"Key": "AZE", "Value": {{"Density": {{"0MSMEs": {record}, "0MSMEs": {record}}}}}}}]'
    with pytest.raises(SourceError, match="key '0MSMEs' appears twice"):
        parse([("ifc.json", twice)], catalog)


def test_recognise_by_content():
    assert recognise("x.json", text(AZE))
    assert recognise("x.json", "\ufeff" + text(AZE))
    assert recognise("x.json", '[\n  { "Key": "AZE", "Value": {} }\n]')
    assert not recognise("x.json", json.dumps([{"page": 1, "pages": 1, "per_page": 50, "total": 1},
                                               [{"indicator": {"id": "SP.POP.TOTL"}, "value": 1}]]))
    assert not recognise("x.json", '{"Key": "AZE", "Value": {}}')
    assert not recognise("x.json", "")
    assert not recognise("x.csv", "Entity,Code,Year,Value\n")


def test_fidelity_with_the_saved_file(shared, catalog):
    path = shared / "data/raw/ifc_msme/CountryIndicatorData_OTS.json"
    raw = path.read_text(encoding="utf-8")
    assert recognise(path.name, raw)
    parsed = parse([(str(path), raw)], catalog)
    # expected headline figures, independently: every `0…` record of the file, flattened with pandas
    flat = pd.DataFrame([r for e in json.loads(raw) for recs in e["Value"].values()
                         for key, r in recs.items() if key.startswith("0")])
    headline = flat.set_index([1, 11, 12, 3])[13]
    assert headline[("AZE", "Number of Enterprises", "MSMEs", 2012.0)] == 261950
    assert headline[("AZE", "Density", "MSMEs", 2012.0)] == 28.17
    num = values(parsed, "IFC.MSME.NUM")
    assert num == {(c, int(y)): v for (c, i, s, y), v in headline.items() if (i, s) == ("Number of Enterprises",
                                                                                        "MSMEs")}
    # PROVENANCE.md's headline table
    assert num == {("AZE", 2012): 261950, ("HUN", 2011): 549448, ("KAZ", 2012): 315594, ("KGZ", 2012): 298500,
                   ("TUR", 2011): 2587319, ("UZB", 2013): 253080}
    assert values(parsed, "IFC.MSME.DNS")[("AZE", 2012)] == 28.17
    assert all("TKM" not in set(s.data["country"]) for s in parsed.series)  # not covered by IFC
    hun = {m[1]: m[3] for m in parsed.metadata}["HUN"]
    assert hun == "SBS Eurostat (secondary compilation), 2011"
    assert {s.vintage for s in parsed.series} == {"2014 edition (data to 2013)"}
