"""Area indices on small frames built here: same-year pairing, direction, cap, gaps, insufficient data."""

import pandas as pd

from sti import scoring
from sti.catalog import Area, Catalog, Country, Indicator, Source

SRC = Source("s", "Pub", "Data", "https://example.org", "CC BY 4.0", "https://example.org/l", "Pub, Data")


def _ind(code, area, higher=True, scored=True):
    return Indicator(code=code, name=code, unit="u", source="s", source_code=code, areas=(area,),
                     higher_is_better=higher, definition="d", scored=scored)


def _catalog(*indicators):
    areas = tuple(Area(id=a, order=n + 1, name=a.upper(), description="d", milestones=(), no_indicator_note=None)
                  for n, a in enumerate(["a1", "a2", "a3"]))
    countries = (Country("AAA", "Aland", "member", "#000001"), Country("BBB", "Bland", "member", "#000002"),
                 Country("CCC", "Cland", "observer", "#000003"), Country("WLD", "World", "benchmark", "#000004"))
    return Catalog(areas=areas, countries=countries, sources=(SRC,), indicators=tuple(indicators))


def _obs(rows):
    return pd.DataFrame(rows, columns=["indicator", "country", "year", "value"])


def _row(frame, country, indicator):
    return frame[(frame["country"] == country) & (frame["indicator"] == indicator)].iloc[0]


def test_the_index_pairs_the_latest_year_both_have_and_not_the_states_latest():
    cat = _catalog(_ind("I1", "a1"))
    obs = _obs([("I1", "AAA", 2020, 1.0), ("I1", "AAA", 2022, 3.0), ("I1", "WLD", 2020, 2.0),
                ("I1", "WLD", 2021, 2.5)])
    out = scoring.indicator_indices(obs, cat, ["AAA"], "WLD", 2024)
    row = _row(out, "AAA", "I1")
    assert (row["year"], row["value"], row["benchmark_value"], row["index"]) == (2020, 1.0, 2.0, 50.0)


def test_lower_is_better_is_inverted_and_capped():
    cat = _catalog(_ind("LOW", "a1", higher=False))
    obs = _obs([("LOW", "AAA", 2020, 4.0), ("LOW", "BBB", 2020, 0.5), ("LOW", "CCC", 2020, 0.0),
                ("LOW", "WLD", 2020, 2.0)])
    out = scoring.indicator_indices(obs, cat, ["AAA", "BBB", "CCC"], "WLD", 2024)
    assert _row(out, "AAA", "LOW")["index"] == 50.0          # twice the benchmark's bad thing: half as good
    assert _row(out, "BBB", "LOW")["index"] == scoring.CAP   # 400 capped at 300
    assert _row(out, "CCC", "LOW")["index"] == scoring.CAP   # none of a bad thing


def test_higher_is_better_is_capped_and_floored_at_zero():
    cat = _catalog(_ind("I1", "a1"))
    obs = _obs([("I1", "AAA", 2020, 10.0), ("I1", "BBB", 2020, -1.0), ("I1", "WLD", 2020, 1.0)])
    out = scoring.indicator_indices(obs, cat, ["AAA", "BBB"], "WLD", 2024)
    assert _row(out, "AAA", "I1")["index"] == scoring.CAP
    assert _row(out, "BBB", "I1")["index"] == 0.0


def test_missing_values_and_benchmarks_give_no_index_never_zero():
    cat = _catalog(_ind("I1", "a1"), _ind("I2", "a1"))
    obs = _obs([("I1", "AAA", 2010, 5.0), ("I1", "WLD", 2010, 5.0),     # outside the 10-year window to 2024
                ("I2", "AAA", 2023, 5.0), ("I2", "WLD", 2020, 5.0),     # no benchmark value in 2023
                ("I1", "BBB", 2020, 1.0), ("I1", "WLD", 2020, 0.0)])    # benchmark zero
    out = scoring.indicator_indices(obs, cat, ["AAA", "BBB", "CCC"], "WLD", 2024)
    assert _row(out, "AAA", "I1")["status"] == scoring.NO_DATA
    assert _row(out, "AAA", "I2")["status"] == scoring.NO_BENCHMARK_YEAR
    assert _row(out, "BBB", "I1")["status"] == scoring.NOT_INDEXABLE
    assert _row(out, "CCC", "I2")["status"] == scoring.NO_DATA
    assert out["index"].isna().all()


def test_the_window_is_adjustable():
    cat = _catalog(_ind("I1", "a1"))
    obs = _obs([("I1", "AAA", 2010, 5.0), ("I1", "WLD", 2010, 5.0)])
    assert pd.isna(scoring.indicator_indices(obs, cat, ["AAA"], "WLD", 2024, window=10)["index"].iloc[0])
    assert scoring.indicator_indices(obs, cat, ["AAA"], "WLD", 2024, window=15)["index"].iloc[0] == 100.0
    assert scoring.window_years(2024, 10) == (2015, 2024)


def test_unscored_indicators_are_left_out():
    cat = _catalog(_ind("I1", "a1"), _ind("COUNT", "a1", scored=False))
    obs = _obs([("COUNT", "AAA", 2020, 5.0), ("COUNT", "WLD", 2020, 5.0)])
    out = scoring.indicator_indices(obs, cat, ["AAA"], "WLD", 2024)
    assert list(out["indicator"]) == ["I1"]


def test_best_ots_performer_is_the_benchmark_per_indicator():
    cat = _catalog(_ind("HI", "a1"), _ind("LO", "a1", higher=False))
    obs = _obs([("HI", "AAA", 2020, 2.0), ("HI", "BBB", 2020, 4.0), ("HI", "BBB", 2015, 9.0),
                ("LO", "AAA", 2020, 2.0), ("LO", "BBB", 2020, 4.0), ("HI", "WLD", 2020, 100.0)])
    assert scoring.best_performers(obs, cat, ["AAA", "BBB"], 2015, 2024) == {"HI": "BBB", "LO": "AAA"}
    out = scoring.indicator_indices(obs, cat, ["AAA", "BBB"], scoring.BEST, 2024)
    assert _row(out, "AAA", "HI")["index"] == 50.0 and _row(out, "BBB", "HI")["index"] == 100.0
    assert _row(out, "BBB", "LO")["index"] == 50.0 and _row(out, "AAA", "LO")["benchmark_country"] == "AAA"
    assert "WLD" not in scoring.best_performers(obs, cat, ["AAA", "BBB"], 2015, 2024).values()


def test_an_area_index_needs_at_least_half_its_indicators():
    cat = _catalog(_ind("I1", "a1"), _ind("I2", "a1"), _ind("I3", "a1"), _ind("J1", "a2"), _ind("J2", "a2"),
                   _ind("J3", "a2"))
    indices = pd.DataFrame({"country": ["AAA"] * 6, "indicator": ["I1", "I2", "I3", "J1", "J2", "J3"],
                            "index": [50.0, 150.0, None, 80.0, None, None]})
    out = scoring.area_indices(indices, cat, ["AAA"]).set_index("area")
    assert out.at["a1", "index"] == 100.0 and out.at["a1", "status"] == scoring.OK     # 2 of 3
    assert pd.isna(out.at["a2", "index"]) and out.at["a2", "status"] == scoring.INSUFFICIENT  # 1 of 3
    assert out.at["a3", "status"] == scoring.NOT_SCORED and pd.isna(out.at["a3", "index"])
    assert (out.at["a1", "with_data"], out.at["a1", "scored"]) == (2, 3)


def test_exactly_half_is_enough():
    cat = _catalog(_ind("I1", "a1"), _ind("I2", "a1"))
    indices = pd.DataFrame({"country": ["AAA", "AAA"], "indicator": ["I1", "I2"], "index": [120.0, None]})
    assert scoring.area_indices(indices, cat, ["AAA"])["index"].iloc[0] == 120.0


def test_a_state_with_no_data_is_insufficient_everywhere():
    cat = _catalog(_ind("I1", "a1"), _ind("J1", "a2"))
    obs = _obs([("I1", "WLD", 2020, 1.0), ("J1", "WLD", 2020, 1.0)])
    out = scoring.area_indices(scoring.indicator_indices(obs, cat, ["CCC"], "WLD", 2024), cat, ["CCC"])
    assert list(out["status"]) == [scoring.INSUFFICIENT, scoring.INSUFFICIENT, scoring.NOT_SCORED]


def test_group_average_counts_only_states_with_an_index():
    areas = pd.DataFrame({"country": ["AAA", "BBB", "CCC"], "area": ["a1"] * 3, "index": [50.0, 150.0, None]})
    out = scoring.group_average(areas, ["AAA", "BBB", "CCC"])
    assert out.iloc[0]["index"] == 100.0 and out.iloc[0]["with_index"] == 2


def test_real_catalogue_scores_only_per_capita_forms_of_counts(catalog):
    for ind in catalog.indicators:
        if ind.scored:
            assert ind.higher_is_better is not None
        if ind.per_capita or ind.per_gdp:  # declared size-dependent: shown as published, never scored
            assert not ind.scored, ind.code


def test_an_area_whose_benchmark_publishes_nothing_says_so_rather_than_insufficient_data(catalog):
    from sti.catalog import Catalog

    standards = [i for i in catalog.indicators if i.code in ("STI.ISO9001.P6", "STI.ISO14001.P6", "STI.ISO27001.P6")]
    cat = Catalog(areas=catalog.areas, countries=catalog.countries, sources=catalog.sources,
                  indicators=tuple(standards))
    obs = pd.DataFrame({"indicator": ["STI.ISO9001.P6", "STI.ISO14001.P6", "STI.ISO9001.P6"],
                        "country": ["KAZ", "KAZ", "TUR"], "year": [2020, 2020, 2020], "value": [20.0, 5.0, 95.0]})
    ind = scoring.indicator_indices(obs, cat, ["KAZ"], "WLD", 2020, 10)
    assert set(ind["status"]) == {scoring.NO_BENCHMARK, scoring.NO_DATA}
    areas = scoring.area_indices(ind, cat, ["KAZ"]).set_index("area")
    assert areas.at["standards", "status"] == scoring.NO_BENCHMARK_DATA and pd.isna(areas.at["standards", "index"])
    best = scoring.area_indices(scoring.indicator_indices(obs, cat, ["KAZ"], scoring.BEST, 2020, 10), cat, ["KAZ"])
    assert best.set_index("area").at["standards", "status"] == scoring.OK  # TUR's series is the benchmark
