"""National figures brought by users: the CSV template, its row-by-row validation, storage apart from the publishers'
series, and the example file the README documents (generated here from real source rows)."""
import csv
import io
import os
from datetime import date

import duckdb
import pandas as pd
import pytest

from etl import snapshot
from etl.cli import main
from etl.series import SourceError
from etl.sources import national
from sti import queries, settings
from sti.db import read_contents

HEADER = "indicator,country,year,value,unit,source_name,source_url,licence,retrieved,indicator_name,area,note\n"
EXAMPLE = settings.ROOT / "examples" / "national_figures.csv"


def template(*rows: str) -> str:
    return HEADER + "".join(r + "\n" for r in rows)


GOOD = template(
    "IFC.MSME.NUM,KAZ,2023,2087000,enterprises,Bureau of National Statistics,https://stat.gov.kz/,CC BY 4.0,"
    "2026-11-01,,,",
    "NAT.TECHPARK.FIRMS,Kyrgyzstan,2022,177,firms,High Technology Park,https://htp.kg/,Public statement,"
    "2026-10-30,Resident firms of the technology park,ecosystem,as reported",
)


def write(tmp_path, text, name="figures.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_template_is_recognised_by_its_header(catalog):
    assert national.recognise(GOOD) and national.recognise("\ufeff" + GOOD)
    assert not national.recognise("Entity,Code,Year,x\n")
    assert not national.recognise("indicator,country,year,value\n")  # provenance columns are required


def test_rows_are_read_with_catalogue_and_declared_indicators(catalog):
    f = national.read(GOOD, "figures.csv", catalog, today=date(2026, 11, 22))
    got = f.observations.set_index("indicator")
    assert got.loc["IFC.MSME.NUM", "country"] == "KAZ" and got.loc["IFC.MSME.NUM", "value"] == 2087000
    assert got.loc["NAT.TECHPARK.FIRMS", "country"] == "KGZ"  # names resolve through the catalogue
    assert list(got["line"]) == [2, 3]
    assert f.indicators.to_dict("records") == [{"code": "NAT.TECHPARK.FIRMS", "name": "Resident firms of the "
                                                "technology park", "unit": "firms", "area": "ecosystem",
                                                "file": "figures.csv"}]


@pytest.mark.parametrize("row, expected", [
    ("IFC.MSME.NUM,ATLANTIS,2020,1,enterprises,S,https://x.org,CC0,2026-01-01,,,", "country 'ATLANTIS'"),
    ("IFC.MSME.NUM,WLD,2020,1,enterprises,S,https://x.org,CC0,2026-01-01,,,", "country 'WLD'"),
    ("IFC.MSME.NUM,KAZ,2020,many,enterprises,S,https://x.org,CC0,2026-01-01,,,", "value 'many' is not a plain number"),
    ("IFC.MSME.NUM,KAZ,2020,\"0,13\",enterprises,S,https://x.org,CC0,2026-01-01,,,", "value '0,13' is not a plain"),
    ("IFC.MSME.NUM,KAZ,2020,\"1.234,5\",enterprises,S,https://x.org,CC0,2026-01-01,,,", "value '1.234,5'"),
    ("SP.POP.TOTL,KAZ,2020,1,persons,S,https://x.org,CC0,2026-01-01,,,", "context series"),
    ("ifc.msme.num,KAZ,2020,1,firms,S,https://x.org,CC0,2026-01-01,,sme,", "only in letter case"),
    ("IFC.MSME.NUM,KAZ,2020,1,enterprises,S,https://x.org,CC0,2026-W01-1,,,", "not a date"),
    ("IFC.MSME.NUM,KAZ,1066,1,enterprises,S,https://x.org,CC0,2026-01-01,,,", "year '1066'"),
    ("IFC.MSME.NUM,KAZ,2031,1,enterprises,S,https://x.org,CC0,2026-01-01,,,", "year '2031'"),
    ("IFC.MSME.NUM,KAZ,2020,1,firms,S,https://x.org,CC0,2026-01-01,,,", "differs from the catalogue's"),
    ("NEW.CODE,KAZ,2020,1,firms,S,https://x.org,CC0,2026-01-01,,,", "declare it with a unit and an area"),
    ("NEW.CODE,KAZ,2020,1,firms,S,https://x.org,CC0,2026-01-01,,nowhere,", "not 'nowhere'"),
    ("STI.PAT.RESD.P6,KAZ,2020,1,patent applications per million people,S,https://x.org,CC0,2026-01-01,,,",
     "computed by the monitor"),
    ("IFC.MSME.NUM,KAZ,2020,1,enterprises,,https://x.org,CC0,2026-01-01,,,", "source_name is empty"),
    ("IFC.MSME.NUM,KAZ,2020,1,enterprises,S,javascript:alert(1),CC0,2026-01-01,,,", "not an http(s) address"),
    ("IFC.MSME.NUM,KAZ,2020,1,enterprises,S,https://x.org,CC0,2026-13-01,,,", "not a date"),
    ("IFC.MSME.NUM,KAZ,2020,1,enterprises,S,https://x.org,CC0,2027-01-01,,,", "in the future"),
    ("IFC.MSME.NUM,KAZ,2020,1,enterprises,S,https://x.org,CC0", "fields, the header has"),
])
def test_each_bad_row_is_refused_with_its_line_number(catalog, row, expected):
    text = template("IFC.MSME.NUM,KAZ,2019,1,enterprises,S,https://x.org,CC0,2026-01-01,,,", row)
    with pytest.raises(SourceError) as err:
        national.read(text, "bad.csv", catalog, today=date(2026, 11, 22))
    message = str(err.value)
    assert "bad.csv" in message and "line 3:" in message and expected in message
    assert "line 2" not in message  # the good row is not blamed
    assert "nothing was imported" in message


def test_every_bad_row_is_listed_and_duplicates_and_inconsistent_declarations_are_caught(catalog):
    text = template("IFC.MSME.NUM,KAZ,2019,1,enterprises,S,https://x.org,CC0,2026-01-01,,,",
                    "IFC.MSME.NUM,KAZ,2019,2,enterprises,S,https://x.org,CC0,2026-01-01,,,",
                    "N.X,KAZ,2019,1,firms,S,https://x.org,CC0,2026-01-01,A,sme,",
                    "N.X,UZB,2019,1,firms,S,https://x.org,CC0,2026-01-01,A,ecosystem,",
                    "IFC.MSME.NUM,XXX,19,x,enterprises,S,https://x.org,CC0,2026-01-01,,,")
    message = str(pytest.raises(SourceError, national.read, text, "bad.csv", catalog).value)
    assert "3 row(s) rejected" in message
    assert "line 3: same indicator, country, year and source as line 2" in message
    assert "line 5: N.X is declared on line 4" in message
    line6 = next(x for x in message.splitlines() if x.strip().startswith("line 6"))
    assert "country 'XXX'" in line6 and "year '19'" in line6 and "value 'x'" in line6


def test_unknown_columns_and_empty_files_are_refused(catalog):
    with pytest.raises(SourceError, match="unknown column"):
        national.read(HEADER.replace("note", "comment"), "f.csv", catalog)
    with pytest.raises(SourceError, match="holds no rows"):
        national.read(HEADER, "f.csv", catalog)


def test_import_stores_national_figures_apart_and_a_bad_file_changes_nothing(tmp_path, db_path, capsys):
    assert main(["build"]) == 0
    published = read_contents(db_path).observations
    assert main(["import", str(write(tmp_path, GOOD))]) == 0
    contents = read_contents(db_path)
    assert len(contents.national) == 2 and list(contents.national_indicators["code"]) == ["NAT.TECHPARK.FIRMS"]
    pd.testing.assert_frame_equal(contents.observations, published)  # publishers' series untouched
    runs = contents.runs
    assert (runs["source"] == "national").sum() == 1 and "2 national figures" in runs["message"].iloc[-1]

    before = db_path.read_bytes()
    bad = write(tmp_path, template("IFC.MSME.NUM,KAZ,2020,n/a,enterprises,S,https://x.org,CC0,2026-01-01,,,"),
                "ministry.csv")
    assert main(["import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "ministry.csv" in err and "line 2" in err and "Traceback" not in err
    assert db_path.read_bytes() == before


def test_reimport_replaces_the_same_figure_and_a_rebuild_keeps_them(tmp_path, db_path):
    assert main(["build"]) == 0
    assert main(["import", str(write(tmp_path, GOOD))]) == 0
    corrected = GOOD.replace(",2087000,", ",2090000,")
    assert main(["import", str(write(tmp_path, corrected, "corrected.csv"))]) == 0
    got = read_contents(db_path).national
    assert len(got) == 2 and got.set_index("indicator").loc["IFC.MSME.NUM", "value"] == 2090000
    assert main(["build"]) == 0  # from the snapshot: the user's figures survive
    assert len(read_contents(db_path).national) == 2
    assert main(["import", "--fresh", str(write(tmp_path, corrected, "again.csv"))]) == 0
    assert len(read_contents(db_path).national) == 2


def test_a_code_cannot_change_its_unit_between_files(tmp_path, db_path, capsys):
    assert main(["build"]) == 0
    assert main(["import", str(write(tmp_path, GOOD))]) == 0
    other = template("NAT.TECHPARK.FIRMS,KGZ,2023,5,% of firms,S,https://x.org,CC0,2026-01-01,Share,ecosystem,")
    assert main(["import", str(write(tmp_path, other, "other.csv"))]) == 1
    assert "was declared by" in capsys.readouterr().err


def test_national_figures_query_names_areas(tmp_path, db_path):
    assert main(["build"]) == 0
    assert main(["import", str(write(tmp_path, GOOD))]) == 0
    from sti.db import connect_readonly

    con = connect_readonly(db_path)
    try:
        eco = queries.national_figures(con, ["KGZ", "KAZ"], "ecosystem")
        sme = queries.national_figures(con, ["KAZ"], "sme")
        everything = queries.national_figures(con, ["KAZ", "KGZ"], None)
    finally:
        con.close()
    assert list(eco["indicator"]) == ["NAT.TECHPARK.FIRMS"] and eco["indicator_name"].iloc[0].startswith("Resident")
    assert list(sme["indicator"]) == ["IFC.MSME.NUM"] and sme["indicator_name"].iloc[0].startswith("Micro")
    assert len(everything) == 2


def test_an_older_database_without_national_tables_still_reads(db_path):
    assert main(["build"]) == 0
    con = duckdb.connect(str(db_path))
    con.execute("DROP TABLE national_observation")
    con.execute("DROP TABLE national_indicator")
    con.close()
    assert read_contents(db_path).national.empty


# --- the README's example, generated from real rows ---------------------------------------------------------------

def example_text(shared) -> str:
    """Two catalogue rows copied from the bundled snapshot (IFC's headline MSME counts, whose national source IFC
    names) and one declared indicator read from NCSES table SPBS-33 (articles with domestic institutions only): real
    figures with their real sources, so the example shows the format without inventing a number."""
    observations, metadata, _ = snapshot.read_snapshot(settings.SNAPSHOT_DIR)
    meta = metadata[metadata["field"] == "IFC MSME-CI source"].set_index("key")["value"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*national.REQUIRED, *national.OPTIONAL])
    for country in ("KGZ", "UZB"):
        row = observations[(observations["indicator"] == "IFC.MSME.NUM") & (observations["country"] == country)]
        row = row.sort_values("year").iloc[-1]
        writer.writerow(["IFC.MSME.NUM", country, int(row["year"]), snapshot.format_value(row["value"]),
                         "enterprises", f"{meta[country]} (via IFC MSME Country Indicators 2014)",
                         "https://www.smefinanceforum.org/data-sites/msme-country-indicators",
                         "© 2014 IFC, all rights reserved", "2026-11-22", "", "",
                         "example copied from the bundled snapshot"])
    spbs = pd.read_csv(shared / "data/raw/ncses/SPBS-33_10001_articles_by_coauthorship_2003-22_OTS.csv")
    domestic = spbs[spbs["region_country_or_economy_full_path"] == "World -> Turkey -> Total articles -> With "
                                                                    "domestic institutions only"]
    writer.writerow(["NCSES.ART.DOM", "TUR", 2022, int(domestic["field_2022"].iloc[0]), "articles",
                     "NCSES, Science and Engineering Indicators 2024, table SPBS-33", "https://ncses.nsf.gov/indicators",
                     "Public domain (U.S. Government work)", "2026-11-22",
                     "S&E articles with domestic institutions only", "rd", "example of a declared indicator"])
    return buf.getvalue()


def test_the_example_file_is_generated_from_its_sources(shared):
    text = example_text(shared)
    if os.environ.get("STI_UPDATE_EXAMPLES"):
        EXAMPLE.parent.mkdir(exist_ok=True)
        EXAMPLE.write_text(text, encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8") == text, \
        "examples/national_figures.csv is stale: run `STI_UPDATE_EXAMPLES=1 pytest tests/test_national.py`"


def test_the_example_file_imports(db_path, catalog):
    assert main(["build"]) == 0
    assert main(["import", str(EXAMPLE)]) == 0
    got = read_contents(db_path)
    assert len(got.national) == 3 and list(got.national_indicators["code"]) == ["NCSES.ART.DOM"]


def test_the_readme_documents_the_template_with_lines_of_the_example():
    readme = (settings.ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```csv\n", 1)[1].split("```", 1)[0].strip().splitlines()
    example = EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert block[0] == example[0] == ",".join([*national.REQUIRED, *national.OPTIONAL])
    assert all(line in example for line in block)
    assert "python -m etl import ministry_figures.csv" in readme


def test_a_record_spanning_lines_is_reported_at_its_first_line(catalog):
    text = template('IFC.MSME.NUM,KAZ,2019,x,enterprises,"Ministry\nof Economy",https://x.org,CC0,2026-01-01,,,')
    message = str(pytest.raises(SourceError, national.read, text, "f.csv", catalog).value)
    assert "line 2:" in message and "line 3" not in message


@pytest.mark.parametrize("raw, expected", [
    (GOOD.replace("Bureau of National Statistics", "Министерство").encode("cp1251"), "not UTF-8"),
    (GOOD.encode("utf-16"), "UTF-16"),
    (GOOD.replace(",", ";").encode("utf-8"), "separated by semicolons"),
])
def test_files_in_other_encodings_or_separators_are_refused_clearly(tmp_path, db_path, capsys, raw, expected):
    assert main(["build"]) == 0
    before = db_path.read_bytes()
    path = tmp_path / "ministry.csv"
    path.write_bytes(raw)
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "ministry.csv" in err and expected in err and "Traceback" not in err
    assert db_path.read_bytes() == before


def test_utf8_names_are_kept(tmp_path, db_path):
    assert main(["build"]) == 0
    text = GOOD.replace("Bureau of National Statistics", "Министерство экономики")
    assert main(["import", str(write(tmp_path, "\ufeff" + text))]) == 0
    assert "Министерство экономики" in set(read_contents(db_path).national["source_name"])


def test_a_catalogue_change_sets_aside_what_no_longer_fits_instead_of_failing_the_build(tmp_path, db_path, catalog):
    from dataclasses import replace

    obs = national.read(GOOD, "figures.csv", catalog, today=date(2026, 11, 22))
    changed = replace(catalog, indicators=tuple(replace(i, unit="firms") if i.code == "IFC.MSME.NUM" else i
                                                for i in catalog.indicators))
    kept, declared, notes = national.reconcile(obs.observations, obs.indicators, changed)
    assert list(kept["indicator"]) == ["NAT.TECHPARK.FIRMS"] and list(declared["code"]) == ["NAT.TECHPARK.FIRMS"]
    assert notes == [("set aside 1 national figure(s) of IFC.MSME.NUM from figures.csv (lines 2): the catalogue "
                      "changed its unit, area or country; fix and import the file again")]
    from sti.catalog import Indicator
    adopted = replace(catalog, indicators=(*catalog.indicators, Indicator(
        code="NAT.TECHPARK.FIRMS", name="x", unit="firms", source="ncses", source_code="x", areas=("ecosystem",),
        higher_is_better=True, definition="d")))
    kept, declared, notes = national.reconcile(obs.observations, obs.indicators, adopted)
    assert len(kept) == 2 and declared.empty and "now in the catalogue with the same unit" in notes[0]


def test_a_figure_of_an_indicator_in_two_areas_is_listed_once(tmp_path, db_path):
    assert main(["build"]) == 0
    two = template("IC.BUS.NREG,KAZ,2023,5,businesses,S,https://x.org,CC0,2026-01-01,,,")
    assert main(["import", str(write(tmp_path, two))]) == 0
    from sti.db import connect_readonly

    con = connect_readonly(db_path)
    try:
        everything = queries.national_figures(con, ["KAZ"], None)
        eco = queries.national_figures(con, ["KAZ"], "ecosystem")
        inv = queries.national_figures(con, ["KAZ"], "investment")
    finally:
        con.close()
    assert len(everything) == len(eco) == len(inv) == 1
    assert everything["area"].iloc[0] == "ecosystem, investment"


@pytest.mark.parametrize("year", ["²⁰²⁰", "9" * 5000])
def test_a_year_python_cannot_read_is_a_rejected_row(catalog, year):
    """Regression (fuzzing): '²⁰²⁰'.isdigit() is True and int() refuses it; 5,000 digits exceed int()'s limit. Both
    raised a bare ValueError instead of naming the row."""
    text = template(f"IFC.MSME.NUM,KAZ,{year},1,enterprises,S,https://x.org,CC0,2026-01-01,,,")
    with pytest.raises(SourceError, match=r"f.csv: 1 row\(s\) rejected.*\n  line 2: year '"):
        national.read(text, "f.csv", catalog, today=date(2026, 11, 22))


def test_a_header_without_a_required_column_is_refused(catalog):
    """Regression (fuzzing): read() checked unknown and repeated columns but not missing ones: KeyError per row."""
    text = GOOD.replace(",licence,", ",").replace(",CC BY 4.0,", ",").replace(",Public statement,", ",")
    with pytest.raises(SourceError, match=r"f.csv, line 1: missing column\(s\) licence"):
        national.read(text, "f.csv", catalog, today=date(2026, 11, 22))
