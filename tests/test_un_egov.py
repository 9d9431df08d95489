"""UN E-Government Survey files in their three layouts, built in the test; then the real files in ../shared."""
import pandas as pd
import pytest

from etl.series import SourceError
from etl.sources.un_egov import parse, recognise

DC = ("Survey Year,Country Name,E-Government Rank,E-Government Index,E-Participation Index,Online Service Index,"
      "Human Capital Index,Telecommunication Infrastructure Index")
DC_2024 = (f"{DC}\n"
           '2024,"Kazakhstan ",24,0.90093,0.84930,0.93903,0.84029,0.92353\n'
           "2024,Türkiye,27,0.89131,0.86300,0.92253,0.91923,0.83221\n"
           "2024,Georgia (Country),69,0.77923,0.56160,0.56522,0.86539,0.90713\n"
           '2024,"Denmark ",1,0.98470,1.00000,0.99360,0.96510,0.99540\n')
DC_2018 = (f"{DC},CODE\n"
           "2018,Russia,32,0.7969,0.9213,0.9167,0.8522,0.6219,RUS\n"
           "2018,Kazakhstan ,39,0.7597,0.8371,0.8681,0.8388,0.5723,KAZ\n")
UNU = "country-code,country-name,e-gov-rank,e-gov-index,e-pat-index,osi,hci,tii"
UNU_2016 = (f"{UNU}\n"
            "KAZ,Kazakhstan,33,0.7249899999999999,0.59322,0.76812,0.8401000000000001,0.56677\n"
            "KGZ,Kyrgyzstan,97.0,0.49686,0.59322,0.42754,0.75079,0.31225\n")


def values(parsed, indicator):
    [s] = [s for s in parsed.series if s.indicator == indicator]
    return {(r.country, r.year): r.value for r in s.data.itertuples()}


def test_data_center_export_joins_padded_names(catalog):
    parsed = parse([("EGOV_DATA_2024.csv", DC_2024)], catalog)
    assert values(parsed, "EGOV.EGDI") == {("KAZ", 2024): 0.90093, ("TUR", 2024): 0.89131, ("GEO", 2024): 0.77923}
    assert values(parsed, "EGOV.RANK") == {("KAZ", 2024): 24, ("TUR", 2024): 27, ("GEO", 2024): 69}
    assert {s.indicator for s in parsed.series} == {"EGOV.EGDI", "EGOV.OSI", "EGOV.TII", "EGOV.HCI", "EGOV.EPI",
                                                    "EGOV.RANK"}
    s = parsed.series[0]
    assert s.source == "un_egov" and s.skipped_countries == {"Denmark"}
    assert s.vintage == "editions 2024 (data to 2024)"
    assert parsed.notes == []


def test_all_layouts_form_one_series_with_one_vintage(catalog):
    files = [("a/EGOV_DATA_2024.csv", DC_2024), ("a/EGOV_DATA_2018.csv", DC_2018), ("a/egdi-2016.csv", UNU_2016)]
    parsed = parse(files, catalog)
    rank = values(parsed, "EGOV.RANK")
    assert rank[("KAZ", 2016)] == 33 and rank[("KGZ", 2016)] == 97 and rank[("RUS", 2018)] == 32
    hci = values(parsed, "EGOV.HCI")
    assert hci[("KAZ", 2016)] == 0.8401  # the float artefact is gone, the published digits stay
    assert values(parsed, "EGOV.EGDI")[("KAZ", 2016)] == 0.72499
    for s in parsed.series:
        assert s.vintage == "editions 2016, 2018, 2024 (data to 2024)"
        assert s.origin == "a/EGOV_DATA_2024.csv + a/EGOV_DATA_2018.csv + a/egdi-2016.csv"


def test_unu_file_needs_its_edition_in_the_name(catalog):
    with pytest.raises(SourceError, match="exactly one 4-digit year"):
        parse([("egdi.csv", UNU_2016)], catalog)
    with pytest.raises(SourceError, match="exactly one 4-digit year"):
        parse([("egdi-2014-2016.csv", UNU_2016)], catalog)
    parsed = parse([("zips/x.zip!egdi/egdi-2014.csv", UNU_2016)], catalog)
    assert set(values(parsed, "EGOV.OSI")) == {("KAZ", 2014), ("KGZ", 2014)}


def test_same_edition_in_two_files_is_refused(catalog):
    with pytest.raises(SourceError, match=r"copy.csv, line 2: the 2024 edition is also in EGOV_DATA_2024.csv"):
        parse([("EGOV_DATA_2024.csv", DC_2024), ("copy.csv", DC_2024)], catalog)
    with pytest.raises(SourceError, match="the 2016 edition is also in"):
        parse([("egdi-2016.csv", UNU_2016), ("EGOV_DATA_2016.csv", DC_2024.replace("2024,", "2016,"))], catalog)


def test_a_country_twice_in_one_edition_is_refused(catalog):
    text = DC_2024 + "2024,Turkey,28,0.8,0.8,0.8,0.8,0.8\n"
    with pytest.raises(SourceError, match="more than one value for TUR 2024"):
        parse([("EGOV_DATA_2024.csv", text)], catalog)


def test_bad_values_name_file_and_line(catalog):
    with pytest.raises(SourceError, match=r"egdi-2016.csv, line 3: value 'n/a' is not a number"):
        parse([("egdi-2016.csv", UNU_2016.replace("0.49686", "n/a"))], catalog)
    with pytest.raises(SourceError, match=r"line 2: rank '33.5' is not a whole number"):
        parse([("egdi-2016.csv", UNU_2016.replace(",33,", ",33.5,"))], catalog)
    with pytest.raises(SourceError, match=r"line 2: EPI '84.93' is outside 0–1"):
        parse([("x.csv", DC_2024.replace("0.84930", "84.93"))], catalog)
    with pytest.raises(SourceError, match=r"line 2: 'twenty' is not a year"):
        parse([("x.csv", DC_2024.replace('2024,"Kaz', 'twenty,"Kaz'))], catalog)
    with pytest.raises(SourceError, match=r"line 3: expected 8 fields, found 7"):
        parse([("x.csv", DC_2024.replace(",0.83221", ""))], catalog)
    with pytest.raises(SourceError, match="none of the UN E-Government layouts"):
        parse([("x.csv", "Country,Year,EGDI\n")], catalog)


def test_egdi_far_from_the_mean_of_its_components_is_a_note(catalog):
    parsed = parse([("egdi-2016.csv", UNU_2016.replace("0.49686", "0.55"))], catalog)
    [note] = parsed.notes
    assert "EGDI differs from (OSI + HCI + TII) / 3" in note and "KGZ 2016" in note and "KAZ" not in note
    assert values(parsed, "EGOV.EGDI")[("KGZ", 2016)] == 0.55  # kept as published


def test_empty_cells_give_no_row(catalog):
    parsed = parse([("egdi-2016.csv", UNU_2016.replace("0.59322,0.42754", ",0.42754"))], catalog)
    assert values(parsed, "EGOV.EPI") == {("KAZ", 2016): 0.59322}


def test_recognise_by_header():
    assert recognise("EGOV_DATA_2024.csv", DC_2024)
    assert recognise("anything.csv", "\ufeff" + DC_2018)
    assert recognise("egdi-2016.csv", UNU_2016.replace("\n", "\r\n"))
    assert not recognise("EGOV_DATA_2024.csv", "Entity,Code,Year,EGDI\n")
    assert not recognise("x.csv", "")
    assert not recognise("x.csv", DC + ",Region\n")


def test_real_files_match_the_published_values(shared, catalog):
    folder = shared / "data/raw/un_egov"
    paths = sorted(folder.glob("*.csv"))
    assert all(recognise(p.name, p.read_text(encoding="utf-8")) for p in paths)
    parsed = parse([(str(p), p.read_text(encoding="utf-8")) for p in paths], catalog)
    assert parsed.notes == []  # EGDI = mean of its parts within 0.005 everywhere (provenance: ≤ 0.003 in 2010)
    egdi, rank = values(parsed, "EGOV.EGDI"), values(parsed, "EGOV.RANK")
    assert egdi[("KAZ", 2024)] == 0.90093 and rank[("KAZ", 2024)] == 24 and rank[("KAZ", 2010)] == 46
    assert parsed.series[0].vintage == "editions 2010, 2012, 2014, 2016, 2018, 2022, 2024 (data to 2024)"
    # independently of the parser: every value in the files, by ISO3 (Data Center names mapped by hand)
    names = {"Türkiye": "TUR", "Georgia (Country)": "GEO", "Russian Federation": "RUS",
             "Iran (Islamic Republic of)": "IRN"}
    for p in paths:
        df = pd.read_csv(p)
        if "country-code" in df:
            df = df.assign(iso=df["country-code"], year=int(p.stem[-4:]), egdi=df["e-gov-index"],
                           rank=df["e-gov-rank"], tii=df["tii"])
        else:
            iso = df["CODE"] if "CODE" in df else df["Country Name"].str.strip().map(
                lambda n: names.get(n) or catalog.resolve_country(None, n))
            df = df.assign(iso=iso, year=df["Survey Year"], egdi=df["E-Government Index"],
                           rank=df["E-Government Rank"], tii=df["Telecommunication Infrastructure Index"])
        for r in df.itertuples():
            assert egdi[(r.iso, r.year)] == pytest.approx(r.egdi, abs=1e-12)
            assert rank[(r.iso, r.year)] == r.rank
            assert values(parsed, "EGOV.TII")[(r.iso, r.year)] == pytest.approx(r.tii, abs=1e-12)
    assert {c for c, _ in egdi} == {"AZE", "KAZ", "KGZ", "TUR", "UZB", "HUN", "TKM", "RUS", "CHN", "IRN", "GEO",
                                    "MNG"}
    assert len(egdi) == 7 * 12
