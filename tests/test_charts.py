"""Figure builders on small frames: gaps stay gaps, missing data is never zero, years are named, colours fixed."""
import math

import pandas as pd

from sti import charts, scoring

LOOK = charts.Look(names={"AAA": "Aland", "BBB": "Bland", "WLD": "World"},
                   colours={"AAA": "#0072B2", "BBB": "#E69F00", "WLD": "#555555"})


def _frame(rows):
    return pd.DataFrame(rows, columns=["country", "year", "value"])


def test_a_line_keeps_its_gaps_open():
    data = _frame([("AAA", 2000, 1.0), ("AAA", 2003, 2.0), ("WLD", 2001, 5.0)])
    fig = charts.line_chart(data, "Title", "% of GDP", LOOK, 2000, 2004, benchmark="WLD")
    aland = next(t for t in fig.data if t.name == "Aland")
    assert list(aland.x) == [2000, 2001, 2002, 2003, 2004]
    assert aland.y[0] == 1.0 and aland.y[3] == 2.0
    assert all(v is None or math.isnan(v) for v in (aland.y[1], aland.y[2], aland.y[4]))  # gaps, never 0
    assert aland.connectgaps is False and aland.line.color == "#0072B2"
    world = fig.data[-1]
    assert world.name == "World (benchmark)" and world.line.dash == "dash"
    assert fig.layout.title.text == "Title" and fig.layout.yaxis.title.text == "% of GDP"


def test_log_scale_is_applied_when_asked():
    fig = charts.line_chart(_frame([("AAA", 2000, 1.0)]), "T", "u", LOOK, 2000, 2001, log=True)
    assert fig.layout.yaxis.type == "log"


def test_ranked_bar_names_each_year_and_puts_the_best_on_top():
    latest = _frame([("AAA", 2022, 1.0), ("BBB", 2020, 3.0), ("WLD", 2021, 2.0)])
    fig = charts.ranked_bar(latest, "T", "u", LOOK, higher_is_better=True, benchmark="WLD")
    bar = fig.data[0]
    assert list(bar.y) == ["Aland (2022)", "World (2021)", "Bland (2020)"]  # plotly draws the last on top
    assert list(bar.marker.color) == ["#0072B2", "#555555", "#E69F00"]
    assert list(bar.marker.pattern.shape) == ["", "/", ""]
    lower = charts.ranked_bar(latest, "T", "u", LOOK, higher_is_better=False)
    assert list(lower.data[0].y)[-1] == "Aland (2022)"


def test_a_state_without_data_is_absent_from_bars_and_maps():
    latest = _frame([("AAA", 2022, 1.0)])
    assert list(charts.ranked_bar(latest, "T", "u", LOOK, True).data[0].x) == [1.0]
    fig = charts.choropleth(latest, "T", "u", LOOK)
    assert list(fig.data[0].locations) == ["AAA"] and fig.data[0].locationmode == "ISO-3"
    assert "(2022)" in fig.data[0].text[0]


def test_scatter_points_pair_the_same_year_and_size_by_population():
    y = _frame([("AAA", 2019, 1.0), ("AAA", 2021, 2.0), ("BBB", 2020, 3.0)])
    x = _frame([("AAA", 2019, 10.0), ("AAA", 2020, 11.0), ("BBB", 2018, 9.0)])
    pop = _frame([("AAA", 2019, 1e6)])
    points = charts.scatter_points(y, x, pop)
    assert points.to_dict("records") == [{"country": "AAA", "year": 2019, "x": 10.0, "y": 1.0, "size": 1e6}]
    fig = charts.scatter(points, "T", "x", "y", LOOK)
    assert fig.data[0].marker.color == "#0072B2"


def test_area_profile_labels_areas_without_an_index():
    own = pd.DataFrame({"area": ["a1", "a2", "a3"], "index": [120.0, None, None],
                        "status": [scoring.OK, scoring.INSUFFICIENT, scoring.NOT_SCORED]})
    avg = pd.DataFrame({"area": ["a1", "a2", "a3"], "index": [90.0, 80.0, None]})
    fig = charts.area_profile(own, avg, {"a1": "One", "a2": "Two", "a3": "Three"}, LOOK, "AAA", "World")
    notes = [a.text for a in fig.layout.annotations]
    assert scoring.INSUFFICIENT in notes and "no scored indicator" in notes
    assert math.isnan(fig.data[0].x[1])  # no bar, not a zero-length one standing for 0


def test_heatmap_links_every_heading_and_cell_and_labels_missing_cells():
    areas = pd.DataFrame({"country": ["AAA", "AAA", "BBB", "BBB"], "area": ["a1", "a2", "a1", "a2"],
                          "index": [150.0, None, 0.0, None], "with_data": [2, 0, 1, 0], "scored": [2, 0, 2, 0],
                          "status": [scoring.OK, scoring.NOT_SCORED, scoring.OK, scoring.NOT_SCORED]})
    areas.loc[len(areas)] = ["BBB", "a1", None, 0, 2, scoring.INSUFFICIENT]
    areas = areas.drop(index=2)
    html = charts.heatmap_html(areas, {"a1": "One & two", "a2": "Three"}, LOOK, ["AAA", "BBB"],
                               area_link=lambda a: f"areas?area={a}", country_link=lambda c: f"country?country={c}")
    assert 'href="areas?area=a1"' in html and 'href="areas?area=a2"' in html
    assert html.count('href="country?country=AAA"') == 3 and html.count('href="country?country=BBB"') == 3
    assert ">150</a>" in html and "insufficient data" in html and "not scored" in html
    assert ">0</a>" not in html  # BBB's missing a1 is not shown as a zero
    assert "One &amp; two" in html and 'target="_self"' in html


def test_index_colours_are_white_at_the_benchmark_and_diverge():
    assert charts.index_colour(100)[0] == "#f7f7f7"
    assert charts.index_colour(100 / 3)[0] == "#b35806" and charts.index_colour(300)[0] == "#542788"
    assert charts.index_colour(300)[1] == "#ffffff" and charts.index_colour(100)[1] == "#000000"


def test_the_common_layout_is_set_and_an_axis_option_adds_to_it():
    fig = charts.line_chart(_frame([("AAA", 2000, 1.0)]), "T", "u", LOOK, 2000, 2001)
    assert fig.layout.xaxis.gridcolor == charts.GRID and fig.layout.xaxis.range == (1999.5, 2001.5)
    assert fig.layout.yaxis.gridcolor == charts.GRID and fig.layout.yaxis.rangemode == "tozero"
    assert fig.layout.legend.orientation == "h" and fig.layout.font.family == charts.FONT


def test_a_look_is_keyed_by_every_name_and_colour():
    same = charts.Look(names=dict(reversed(list(LOOK.names.items()))), colours=dict(LOOK.colours))
    assert same.key == LOOK.key
    assert charts.Look(names={**LOOK.names, "AAA": "Åland"}, colours=LOOK.colours).key != LOOK.key
    assert charts.Look(names=LOOK.names, colours={**LOOK.colours, "AAA": "#000000"}).key != LOOK.key
