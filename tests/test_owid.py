"""Our World in Data grapher CSVs, built in the test with their quirks."""
import json

import pytest

from etl.importer import Batch, read_path
from etl.series import SourceError
from etl.sources.owid import parse_grapher_csv

SPACE = "yearly-number-of-objects-launched-into-outer-space"
SPACE_CSV = ("Entity,Code,Year,Annual number of objects launched into outer space,Id\n"
             "Azerbaijan,AZE,2013,1,31\nAzerbaijan,AZE,2015,2,31\nWorld,OWID_WRL,2013,210,900\n"
             "World,OWID_WRL,2014,240,900\nWorld,OWID_WRL,2015,221,900\nEuropean Space Agency,,2014,3,900\n")
MANUF = "manufacturing-value-added-to-gdp"


def test_extra_id_column_is_ignored_and_only_published_rows_are_returned(catalog):
    s = parse_grapher_csv(SPACE_CSV, "f.csv", catalog, slug=SPACE)
    got = {(r.country, r.year): r.value for r in s.data.itertuples()}
    assert got == {("AZE", 2013): 1, ("AZE", 2015): 2, ("WLD", 2013): 210, ("WLD", 2014): 240, ("WLD", 2015): 221}
    assert s.skipped_countries == {"European Space Agency"}
    assert s.vintage == "undated (data to 2015)"


def test_missing_years_mean_zero_for_states_from_their_independence(catalog):
    from etl.load import published_only, with_computed
    from tests.test_load import obs

    s = parse_grapher_csv(SPACE_CSV.replace("Azerbaijan,AZE,2013", "Azerbaijan,AZE,1990")
                          .replace("World,OWID_WRL,2013", "World,OWID_WRL,1989"), "f.csv", catalog, slug=SPACE)
    published = obs([(SPACE, r.country, r.year, r.value) for r in s.data.itertuples()], "owid", s.vintage)
    full = with_computed(published, catalog)
    got = {(r.country, r.year): r.value for r in full.itertuples()}
    assert got[("AZE", 1990)] == 1 and got[("AZE", 2015)] == 2
    assert got[("AZE", 1991)] == 0 and got[("AZE", 2014)] == 0  # OWID lists only years with objects
    assert ("AZE", 1989) not in got  # no zeros before independence (`since` in the catalogue)
    assert got[("KGZ", 1991)] == 0 and ("KGZ", 1990) not in got  # no rows at all: nothing registered
    assert got[("TUR", 1989)] == 0  # states without `since` from the series' first year
    assert ("EUU", 2014) not in got and ("XNC", 2014) not in got  # aggregates and uncovered states stay empty
    assert published_only(full, catalog).reset_index(drop=True).equals(published)  # fills are never exported


def test_regions_with_empty_code_are_matched_by_name(catalog):
    text = ('Entity,Code,Year,"Manufacturing, value added (% of GDP)"\n'
            "Turkey,TUR,2023,19.55\nEurope and Central Asia (WB),,2023,13.1\n"
            "European Union (27),,2023,15.0\nUpper-middle-income countries,,2023,24.3\nNarnia,,2023,1\n"
            "Kyrgyzstan,KGZ,2023,\n")
    s = parse_grapher_csv(text, "f.csv", catalog, slug=MANUF)
    got = {(r.country, r.year): r.value for r in s.data.itertuples()}
    assert got == {("TUR", 2023): 19.55, ("ECS", 2023): 13.1, ("EUU", 2023): 15.0, ("UMC", 2023): 24.3}


def test_metadata_json_gives_slug_vintage_and_value_column(tmp_path, catalog):
    csv_path = tmp_path / "download (1).csv"
    csv_path.write_text('Entity,Code,Year,"Manufacturing, value added",Id\nHungary,HUN,2022,17.1,348\n')
    (tmp_path / "download (1).metadata.json").write_text(json.dumps({
        "chart": {"originalChartUrl": f"https://ourworldindata.org/grapher/{MANUF}?v=1&csvType=full"},
        "columns": {"Manufacturing, value added (% of GDP)": {"titleShort": "Manufacturing, value added",
                                                             "lastUpdated": "2025-01-24"}},
        "dateDownloaded": "2025-04-26"}))
    batch = Batch()
    read_path(csv_path, catalog, batch)
    [s] = batch.series
    assert s.indicator == MANUF and s.vintage == "2025-01-24"
    assert s.data["value"].tolist() == [17.1]


def test_vintage_option_for_a_csv_without_metadata(tmp_path, catalog):
    path = tmp_path / f"{MANUF}.csv"
    path.write_text('Entity,Code,Year,"Manufacturing, value added (% of GDP)"\nHungary,HUN,2022,17.1\n')
    batch = Batch()
    read_path(path, catalog, batch, vintage="2025-02-01")
    assert batch.series[0].vintage == "2025-02-01"


def test_unknown_chart_daily_data_and_bad_numbers(catalog):
    with pytest.raises(SourceError, match="OWID chart 'life-expectancy' is not in the catalogue"):
        parse_grapher_csv("Entity,Code,Year,Life expectancy\n", "f.csv", catalog, slug="life-expectancy")
    with pytest.raises(SourceError, match="daily data"):
        parse_grapher_csv("Entity,Code,Day,x\n", "f.csv", catalog, slug=MANUF)
    with pytest.raises(SourceError, match=r"f.csv, line 3: value 'abc' is not a number"):
        parse_grapher_csv("Entity,Code,Year,x\nTurkey,TUR,2020,1\nTurkey,TUR,2021,abc\n", "f.csv", catalog,
                          slug=MANUF)


def test_two_entities_for_one_country_are_refused(catalog):
    with pytest.raises(SourceError, match="more than one value for TUR 2020 .two entities"):
        parse_grapher_csv("Entity,Code,Year,x\nTurkey,TUR,2020,1\nTürkiye,,2020,2\n", "f.csv", catalog, slug=MANUF)


def test_recorded_owid_download_is_understood(shared, catalog):
    """The recorded real download (life expectancy, with metadata) parses; its slug is simply not ours."""
    folder = shared / "fixtures/recorded/owid/life-expectancy_full_long-names"
    with pytest.raises(SourceError, match="'life-expectancy' is not in the catalogue"):
        read_path(folder / "life-expectancy.csv", catalog, Batch())


def test_zip_with_owid_csv_and_its_metadata(tmp_path, catalog):
    import zipfile
    path = tmp_path / f"{MANUF}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{MANUF}.csv", 'Entity,Code,Year,"Manufacturing, value added (% of GDP)"\nHungary,HUN,2022,17.1\n')
        zf.writestr(f"{MANUF}.metadata.json", json.dumps({"columns": {"Manufacturing, value added (% of GDP)": {
            "lastUpdated": "2025-01-24"}}}))
        zf.writestr("readme.md", "# data package")
    batch = Batch()
    read_path(path, catalog, batch)
    assert [(s.indicator, s.vintage) for s in batch.series] == [(MANUF, "2025-01-24")]


@pytest.mark.parametrize("metadata", [{"chart": "x"}, {"chart": {"originalChartUrl": 5}}, {"columns": [1]},
                                      {"columns": "Manufacturing"}])
def test_metadata_of_another_shape_falls_back_to_the_file_name(tmp_path, catalog, metadata):
    """Regression (fuzzing): a .metadata.json whose `chart` or `columns` is not an object, or whose chart URL is not
    text, raised AttributeError or TypeError."""
    path = tmp_path / f"{MANUF}.csv"
    path.write_text('Entity,Code,Year,"Manufacturing, value added (% of GDP)"\nHungary,HUN,2022,17.1\n')
    (tmp_path / f"{MANUF}.metadata.json").write_text(json.dumps(metadata))
    batch = Batch()
    read_path(path, catalog, batch)
    [s] = batch.series
    assert s.indicator == MANUF and s.vintage == "undated (data to 2022)" and s.data["value"].tolist() == [17.1]


@pytest.mark.parametrize("raw, problem", [(b"[" * 100_000, "nested too deeply"),
                                          (b"1" * 5000, "Exceeds the limit")])
def test_metadata_python_cannot_read_is_named(tmp_path, catalog, raw, problem):
    """Regression (fuzzing): RecursionError, and the ValueError of an integer over 4,300 digits, escaped."""
    path = tmp_path / f"{MANUF}.csv"
    path.write_text("Entity,Code,Year,x\nHungary,HUN,2022,17.1\n")
    (tmp_path / f"{MANUF}.metadata.json").write_bytes(raw)
    with pytest.raises(SourceError, match=rf"{MANUF}.metadata.json: is not valid JSON: {problem}"):
        read_path(path, catalog, Batch())
