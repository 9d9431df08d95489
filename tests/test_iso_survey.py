"""ISO Survey certificate counts (re-published CSV of ISO's files), built in the test; then the real files."""
import pytest

from etl.series import SourceError
from etl.sources.iso_survey import parse, recognise

HEADER = "country,year,ISO 14001 certificate,ISO/IEC 27001 certificate,ISO 9001 certificate,World\n"
COUNTRY = (HEADER
           + "Azerbaijan,2020,72.0,3.0,259.0,Europe\n"
           + "Turkey,2020,2954.0,881.0,8150.0,Europe\n"
           + "Kyrgyzstan,1998,,,165.0,Central and South Asia\n"
           + '"Iran, Islamic Republic of",2017,400.0,10.0,1800.0,Middle East\n'
           + "Iran (Islamic Republic of),2020,488.0,14.0,1523.0,Middle East\n"
           + "Germany,2020,8000.0,1000.0,50000.0,Europe\n")
INDUSTRY = ("country,year,industry,ISO 9001,ISO 14001,ISO/IEC 27001,obs\n"
            'Azerbaijan,2009,"Agriculture, Fishing and Forestry",0,0,0,\n')


def values(parsed, indicator):
    [s] = [s for s in parsed.series if s.indicator == indicator]
    return {(r.country, r.year): r.value for r in s.data.itertuples()}


def test_country_file(catalog):
    parsed = parse([("iso.csv", COUNTRY)], catalog)
    assert values(parsed, "ISO.9001") == {("AZE", 2020): 259, ("TUR", 2020): 8150, ("KGZ", 1998): 165,
                                          ("IRN", 2017): 1800, ("IRN", 2020): 1523}  # both spellings of Iran
    assert ("KGZ", 1998) not in values(parsed, "ISO.14001")  # empty: not yet surveyed
    assert values(parsed, "ISO.27001")[("TUR", 2020)] == 881
    for s in parsed.series:
        assert s.source == "iso_survey" and s.origin == "iso.csv" and s.skipped_countries == {"Germany"}
        assert s.vintage == "2020 edition (data to 2020)"
    assert sorted(s.indicator for s in parsed.series) == ["ISO.14001", "ISO.27001", "ISO.9001"]
    assert parsed.notes == []


def test_the_region_column_is_not_data_and_columns_may_move(catalog):
    text = ("country,World,year,ISO 9001 certificate,ISO 14001 certificate,ISO/IEC 27001 certificate\n"
            "Hungary,Europe,2020,7030.0,2797.0,560.0\n")
    assert recognise("x.csv", text)
    parsed = parse([("x.csv", text)], catalog)
    assert values(parsed, "ISO.9001") == {("HUN", 2020): 7030} and values(parsed, "ISO.27001") == {("HUN", 2020): 560}


def test_industry_file_gives_a_note_and_no_series(catalog):
    parsed = parse([("sectors.csv", INDUSTRY)], catalog)
    assert parsed.series == [] and parsed.notes == ["sectors.csv: sector breakdown recognised, not used by the monitor"]
    parsed = parse([("iso.csv", COUNTRY), ("sectors.csv", INDUSTRY)], catalog)
    assert len(parsed.series) == 3 and len(parsed.notes) == 1


def test_counts_must_be_whole_and_non_negative(catalog):
    with pytest.raises(SourceError, match=r"iso.csv, line 3: ISO 9001 certificate '8150.5' is not a whole"):
        parse([("iso.csv", COUNTRY.replace("8150.0", "8150.5"))], catalog)
    with pytest.raises(SourceError, match=r"line 2: ISO 14001 certificate '-72.0' is not a whole, non-negative"):
        parse([("iso.csv", COUNTRY.replace("72.0", "-72.0"))], catalog)
    with pytest.raises(SourceError, match=r"iso.csv, line 4: value 'n.a.' is not a number"):
        parse([("iso.csv", COUNTRY.replace("165.0", "n.a."))], catalog)
    with pytest.raises(SourceError, match=r"line 2: '20x0' is not a year"):
        parse([("iso.csv", COUNTRY.replace("Azerbaijan,2020", "Azerbaijan,20x0"))], catalog)
    with pytest.raises(SourceError, match=r"line 2: expected 6 fields, found 5"):
        parse([("iso.csv", COUNTRY.replace(",Europe\nTurkey", "\nTurkey"))], catalog)


def test_one_country_twice_in_a_year_is_refused(catalog):
    text = COUNTRY + "Iran,2020,1.0,1.0,1.0,Middle East\n"
    with pytest.raises(SourceError, match=r"line 8: IRN 2020 is also on line 6"):
        parse([("iso.csv", text)], catalog)
    with pytest.raises(SourceError, match="a second ISO Survey country file"):
        parse([("a.csv", COUNTRY), ("b.csv", COUNTRY)], catalog)


def test_wrong_header(catalog):
    with pytest.raises(SourceError, match=r"x.csv, line 1: the header is neither"):
        parse([("x.csv", "country,year,ISO 9001 certificate\nTurkey,2020,1.0\n")], catalog)


def test_recognise_by_header():
    assert recognise("anything.csv", COUNTRY)
    assert recognise("anything.csv", "\ufeff" + INDUSTRY.replace("\n", "\r\n"))
    assert not recognise("x.csv", "country,year,ISO 9001 certificate\n")
    assert not recognise("x.csv", "Entity,Code,Year,ISO 9001\n")
    assert not recognise("x.csv", "")


def test_real_files_match_the_published_values(shared, catalog):
    folder = shared / "data/raw/iso_survey"
    files = [(str(p), p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.csv"))]
    assert all(recognise(o, t) for o, t in files)
    parsed = parse(files, catalog)
    assert len(parsed.notes) == 1 and "industry_certification" in parsed.notes[0]
    iso9001, iso27001 = values(parsed, "ISO.9001"), values(parsed, "ISO.27001")
    assert {c: v for (c, y), v in iso9001.items() if y == 2020 and c in ("TUR", "HUN", "KAZ", "AZE", "UZB", "TKM",
                                                                       "KGZ")} == \
        {"TUR": 8150, "HUN": 7030, "KAZ": 447, "AZE": 259, "UZB": 218, "TKM": 51, "KGZ": 8}
    assert iso27001[("TUR", 2020)] == 881 and iso27001[("HUN", 2020)] == 560
    assert iso9001[("RUS", 2010)] == 62265 and iso9001[("RUS", 2019)] == 4134
    assert len([k for k in iso9001 if k[0] == "IRN"]) == 28  # 1993–2020 under both spellings
    assert all(s.skipped_countries == frozenset() and s.vintage == "2020 edition (data to 2020)"
               for s in parsed.series)


def test_a_cell_over_the_csv_modules_limit_is_refused_by_line(catalog):
    """Regression (fuzzing): csv.Error ('field larger than field limit') escaped csv_records, with no line."""
    text = COUNTRY.replace("Turkey,2020", "Turkey" + "x" * 140_000 + ",2020")
    with pytest.raises(SourceError, match=r"iso.csv, line 3: is not readable as CSV: field larger than field limit"):
        parse([("iso.csv", text)], catalog)
