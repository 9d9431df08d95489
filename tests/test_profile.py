"""Country profile: rank, same-year benchmark distance, and sentences derived from the numbers."""
import pandas as pd

from sti import profile, scoring


def _data(rows):
    return pd.DataFrame(rows, columns=["indicator", "country", "year", "value", "source", "vintage"])


def test_indicator_table_ranks_among_ots_and_compares_the_same_year(catalog):
    gerd, low = "GB.XPD.RSDV.GD.ZS", "IP.JRN.ARTC.SC"
    data = _data([(gerd, "KAZ", 2020, 0.1, "worldbank", "v1"), (gerd, "KAZ", 2023, 0.2, "worldbank", "v1"),
                  (gerd, "TUR", 2023, 1.4, "worldbank", "v1"), (gerd, "AZE", 2021, 0.3, "worldbank", "v1"),
                  (gerd, "WLD", 2023, 2.5, "worldbank", "v1"), (gerd, "WLD", 2024, 2.6, "worldbank", "v1")])
    indices = scoring.indicator_indices(data, catalog, ["KAZ"], "WLD", 2024)
    table = profile.indicator_table(data, indices, catalog, "KAZ", ["KAZ", "TUR", "AZE"],
                                    {gerd: "WLD", low: "WLD"}, 2000, 2024, 10).set_index("indicator")
    row = table.loc[gerd]
    assert (row["year"], row["value"], row["rank"]) == (2023, 0.2, "3 of 3")
    assert (row["compared_year"], row["compared_value"], row["benchmark_value"]) == (2023, 0.2, 2.5)
    assert round(row["difference"], 6) == -2.3 and round(row["index"], 6) == 8.0
    assert row["trend"] == [0.1, 0.2] and row["years_with_data"] == "2 of 25"  # the gaps are said
    empty = table.loc[low]  # no data: nothing invented
    assert pd.isna(empty["value"]) and pd.isna(empty["year"]) and empty["rank"] == ""
    assert empty["trend"] == [] and empty["years_with_data"] == "0 of 25" and pd.isna(empty["benchmark_value"])


def test_the_index_inputs_are_shown_when_the_latest_year_has_no_benchmark(catalog):
    gerd = "GB.XPD.RSDV.GD.ZS"
    data = _data([(gerd, "AZE", 2023, 0.18, "worldbank", "v"), (gerd, "AZE", 2024, 0.21, "worldbank", "v"),
                  (gerd, "WLD", 2023, 2.6, "worldbank", "v")])
    indices = scoring.indicator_indices(data, catalog, ["AZE"], "WLD", 2024)
    row = profile.indicator_table(data, indices, catalog, "AZE", ["AZE"], {gerd: "WLD"}, 2000, 2024,
                                  10).set_index("indicator").loc[gerd]
    assert (row["year"], row["value"]) == (2024, 0.21)
    assert (row["compared_year"], row["compared_value"], row["benchmark_value"]) == (2023, 0.18, 2.6)
    assert round(row["index"], 4) == round(0.18 / 2.6 * 100, 4)


def test_counts_are_not_compared_with_an_aggregates_total(catalog):
    data = _data([("IP.JRN.ARTC.SC", "AZE", 2022, 1175, "worldbank", "v"),
                  ("IP.JRN.ARTC.SC", "WLD", 2022, 3.3e6, "worldbank", "v")])
    empty = scoring.indicator_indices(data, catalog, ["AZE"], "WLD", 2024)
    row = profile.indicator_table(data, empty, catalog, "AZE", ["AZE"], {"IP.JRN.ARTC.SC": "WLD"}, 2000, 2024,
                                  10).set_index("indicator").loc["IP.JRN.ARTC.SC"]
    assert row["value"] == 1175 and pd.isna(row["difference"]) and pd.isna(row["benchmark_value"])


def test_strengths_and_gaps_come_from_the_indices(catalog):
    rows = [("GB.XPD.RSDV.GD.ZS", 2023, 0.5, 2.5, 20.0), ("SP.POP.SCIE.RD.P6", 2023, 900, 900, 100.0),
            ("IT.NET.USER.ZS", 2023, 90, 60, 150.0), ("IT.NET.BBND.P2", 2023, 20, 20, 100.0),
            ("IT.NET.SECR.P6", 2023, 1, 1, 100.0)]
    indices = pd.DataFrame([{"country": "KAZ", "indicator": i, "year": y, "value": v, "benchmark_country": "WLD",
                             "benchmark_value": b, "index": x, "status": scoring.OK} for i, y, v, b, x in rows])
    areas = scoring.area_indices(indices, catalog, ["KAZ"])
    average = scoring.group_average(areas, ["KAZ"])
    strength, gap = profile.strengths_and_gaps(areas, average, indices, catalog, "KAZ", "World")
    assert "Strongest area: AI and digital transformation" in strength and "individuals using the internet" in strength
    assert "Weakest area: R&D collaboration" in gap and "research and development expenditure" in gap
    assert "0.50 % of GDP in 2023 against 2.50 for World" in gap


def test_no_index_means_no_claim(catalog):
    areas = scoring.area_indices(pd.DataFrame(columns=scoring.INDICATOR_COLUMNS), catalog, ["TKM"])
    strength, gap = profile.strengths_and_gaps(areas, scoring.group_average(areas, ["TKM"]),
                                               pd.DataFrame(columns=scoring.INDICATOR_COLUMNS), catalog, "TKM",
                                               "World")
    assert "no strength or gap is stated" in strength and gap == ""
