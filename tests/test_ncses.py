"""NCSES SEI 2024 tables SINV-11 (PCT, implicit years) and SPBS-33 (articles), built in the test; then the real
files in ../shared."""
import pytest

from etl.series import SourceError
from etl.sources.ncses import parse, recognise

PCT_HEADER = "table_id,row_id,time_period,value\r\n"


def entity(path, years=None, *, total=None, rows=24, table="10558"):
    """One SINV-11 entity: the 2000–22 total, then 2000…2022 (years not written), `rows` rows in all."""
    cells = [str(v) for v in (years or list(range(1, 24)))]
    numbers = [float(c.rstrip("ir ")) for c in cells if c.rstrip("ir ")[:1].isdigit()]
    cells = [str(total if total is not None else round(sum(numbers)))] + cells
    return "".join(f"{table},r{n:03d},{path},{cells[n]}\r\n" for n in range(rows))


def pct(*entities):
    return PCT_HEADER + "".join(entities)


def values(parsed, indicator):
    [s] = [s for s in parsed.series if s.indicator == indicator]
    return {(r.country, r.year): r.value for r in s.data.itertuples()}


def test_implicit_years_follow_the_total_row(catalog):
    text = pct(entity("World"), entity("World -> Europe -> Other Europe (2020)<sup>b</sup> -> Turkey",
                                       [10 * k for k in range(23)]))
    parsed = parse([("sinv11.csv", text)], catalog)
    [s] = parsed.series
    assert s.indicator == "NCSES.PCT" and s.source == "ncses" and s.origin == "sinv11.csv"
    assert s.vintage == "SEI 2024 (data to 2022)"
    got = values(parsed, "NCSES.PCT")
    assert got[("WLD", 2000)] == 1 and got[("WLD", 2022)] == 23 and got[("TUR", 2001)] == 10
    assert got[("TUR", 2022)] == 220 and len(got) == 46
    assert parsed.notes == []


def test_layout_checks(catalog):
    with pytest.raises(SourceError, match=r"line 2: 'World' has 23 rows; SINV-11 gives each entity 24"):
        parse([("f.csv", pct(entity("World", rows=23), entity("World -> Asia -> China")))], catalog)
    with pytest.raises(SourceError, match=r"line 26: 'World -> Asia' has 25 rows"):
        parse([("f.csv", pct(entity("World"), entity("World -> Asia") + "10558,r999,World -> Asia,5\r\n"))],
              catalog)
    with pytest.raises(SourceError, match=r"f.csv, line 2: 'World': the first row \(300\) should be the total"):
        parse([("f.csv", pct(entity("World", total=300)))], catalog)
    with pytest.raises(SourceError, match="not consecutive"):
        parse([("f.csv", pct(entity("World"), entity("World -> Asia"), entity("World")))], catalog)
    with pytest.raises(SourceError, match=r"line 2: table_id '10559' where 10558 was expected"):
        parse([("f.csv", pct(entity("World", table="10559")))], catalog)


def test_total_within_rounding_tolerance(catalog):
    big = [20000 + k for k in range(23)]
    parse([("f.csv", pct(entity("World", big, total=sum(big) + 7)))], catalog)  # NCSES rounding: accepted
    with pytest.raises(SourceError, match="should be the total"):
        parse([("f.csv", pct(entity("World", big, total=sum(big) + 500)))], catalog)  # > 0.1 % of the total


def test_special_values(catalog):
    years = list(range(1, 24))
    years[0], years[1], years[2], years[3] = "D", "5i", "7 r", ""
    parsed = parse([("f.csv", pct(entity("World -> Asia -> Kazakhstan", years, total=300)))], catalog)
    got = values(parsed, "NCSES.PCT")
    assert ("KAZ", 2000) not in got and ("KAZ", 2003) not in got  # suppressed, empty
    assert got[("KAZ", 2001)] == 5 and got[("KAZ", 2002)] == 7  # flags dropped, numbers kept
    with pytest.raises(SourceError, match=r"f.csv, line 4: value 'x12' is not a number"):
        parse([("f.csv", pct(entity("World", [1, "x12"] + list(range(21)))))], catalog)
    with pytest.raises(SourceError, match=r"line 3: count '-1' is negative"):
        parse([("f.csv", pct(entity("World", [-1] + list(range(22)))))], catalog)


def test_eu27_patent_offices_and_regions_are_skipped(catalog):
    text = pct(entity("World -> Europe"),
               entity("World -> Europe -> EU-27 and United Kingdom<sup>a</sup> -> EU-27<sup>b</sup>"),
               entity("World -> Europe -> EU-27 and United Kingdom<sup>a</sup> -> EU-27<sup>b</sup> -> Hungary"),
               entity("World -> Asia -> Eurasian Patent Organization"), entity("World -> Middle East -> Iran"),
               entity("World -> Europe -> Other Europe (2020)<sup>b</sup> -> Russia"))
    [s] = parse([("f.csv", text)], catalog).series
    assert set(s.data["country"]) == {"HUN", "IRN", "RUS"}
    assert s.skipped_countries == {"Europe", "EU-27", "Eurasian Patent Organization"}


ARTICLES = (
    "table_id,row_id,region_country_or_economy_full_path,region_country_or_economy_level_1,"
    "region_country_or_economy_level_2,region_country_or_economy_level_3,region_country_or_economy_level_4,"
    "region_country_or_economy_hierarchy_depth,field_2020,field_2021,field_2022\r\n"
    "10001,r001,World,World,,,,1,,,\r\n"
    "10001,r002,World -> Total articles,World,Total articles,,,2,2955562,3240279,3344037\r\n"
    "10001,r003,World -> Total articles -> With multiple institutions,World,Total articles,"
    "With multiple institutions,,3,1,2,3\r\n"
    "10001,r005,World -> Total articles -> With international institutions,World,Total articles,"
    "With international institutions,,3,685437,738276,755894\r\n"
    "10001,r131,World -> Turkey,World,Turkey,,,2,,,\r\n"
    "10001,r132,World -> Turkey -> Total articles,World,Turkey,Total articles,,3,49510,57992,64731\r\n"
    "10001,r135,World -> Turkey -> Total articles -> With international institutions,World,Turkey,Total articles,"
    "With international institutions,4,,16238,18909\r\n"
    "10001,r140,World -> Germany -> Total articles -> With international institutions,World,Germany,"
    "Total articles,With international institutions,4,1,2,3\r\n")


def test_articles_by_coauthorship(catalog):
    parsed = parse([("spbs33.csv", ARTICLES)], catalog)
    intl, total = values(parsed, "NCSES.ART.INTL"), values(parsed, "NCSES.ART.TOT")
    assert intl == {("WLD", 2020): 685437, ("WLD", 2021): 738276, ("WLD", 2022): 755894, ("TUR", 2021): 16238,
                    ("TUR", 2022): 18909}  # the empty TUR 2020 cell gives no row
    assert total[("TUR", 2022)] == 64731 and total[("WLD", 2020)] == 2955562 and len(total) == 6
    for s in parsed.series:
        assert s.vintage == "SEI 2024 (data to 2022)" and s.origin == "spbs33.csv"
    assert [s.skipped_countries for s in parsed.series if s.indicator == "NCSES.ART.INTL"] == [{"Germany"}]
    assert parsed.notes == ["spbs33.csv: SPBS-33 measures not in the catalogue, not read: With multiple institutions"]


def test_articles_errors(catalog):
    with pytest.raises(SourceError, match=r"spbs33.csv, line 7: value 'many' is not a number"):
        parse([("spbs33.csv", ARTICLES.replace("57992", "many"))], catalog)
    with pytest.raises(SourceError, match=r"line 3: path 'Earth -> Total articles' does not start at 'World'"):
        parse([("spbs33.csv", ARTICLES.replace("r002,World", "r002,Earth"))], catalog)
    with pytest.raises(SourceError, match="table_id '10558' where 10001 was expected"):
        parse([("spbs33.csv", ARTICLES.replace("10001,r132", "10558,r132"))], catalog)


def test_both_tables_in_one_import_and_a_second_copy(catalog):
    parsed = parse([("a.csv", pct(entity("World"))), ("b.csv", ARTICLES)], catalog)
    assert sorted(s.indicator for s in parsed.series) == ["NCSES.ART.INTL", "NCSES.ART.TOT", "NCSES.PCT"]
    with pytest.raises(SourceError, match=r"c.csv, line 1: a second copy of the same NCSES table \(the first is a.csv"):
        parse([("a.csv", pct(entity("World"))), ("c.csv", pct(entity("World")))], catalog)


def test_recognise_by_header():
    assert recognise("x.csv", pct(entity("World")))
    assert recognise("x.csv", "\ufeff" + ARTICLES)
    assert not recognise("x.csv", "table_id,row_id,year,value\n")
    assert not recognise("x.csv", "Entity,Code,Year,PCT\n")
    assert not recognise("x.csv", "")


def test_real_files_match_the_published_values(shared, catalog):
    folder = shared / "data/raw/ncses"
    paths = sorted(folder.glob("*.csv"))
    files = [(str(p), p.read_text(encoding="utf-8")) for p in paths]
    assert all(recognise(o, t) for o, t in files)
    parsed = parse(files, catalog)
    pct_2022 = {c: v for (c, y), v in values(parsed, "NCSES.PCT").items() if y == 2022}
    assert pct_2022 == {"TUR": 1523, "HUN": 125, "KAZ": 18, "AZE": 4, "UZB": 0, "KGZ": 0, "TKM": 0, "RUS": 980,
                        "IRN": 65, "CHN": 68558, "WLD": 264901, "GEO": 14, "MNG": 0}
    [pct_series] = [s for s in parsed.series if s.indicator == "NCSES.PCT"]
    assert pct_series.skipped_countries == {"Europe", "EU-27", "Asia", "Eurasian Patent Organization",
                                            "Middle East"}
    assert values(parsed, "NCSES.ART.INTL")[("TUR", 2022)] == 18909
    assert values(parsed, "NCSES.ART.TOT")[("TUR", 2022)] == 64731
    assert {c for c, _ in values(parsed, "NCSES.ART.TOT")} == {"TUR", "RUS", "CHN", "IRN", "WLD"}
