"""Every page as AppTest runs it on the bundled snapshot: renders, reproduces deep links, falls back with a notice."""
import io
import json
import re
import shutil

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sti import export, settings, store

APP = str(settings.ROOT / "dashboard.py")
PAGES = {"overview": "app_pages/overview.py", "areas": "app_pages/areas.py", "country": "app_pages/country.py",
         "cooperation": "app_pages/cooperation.py", "explorer": "app_pages/explorer.py", "data": "app_pages/data.py"}


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "sti.duckdb"
    from etl.build import build_database
    from sti.catalog import catalog
    build_database(path, catalog())
    return path


def use_database(database, monkeypatch) -> None:
    """Point the app at `database` with every cache empty, as a fresh server would start."""
    monkeypatch.setenv("STI_DB", str(database))
    st.cache_data.clear()
    st.cache_resource.clear()
    store._checked.clear()


def run_page(page: str, query: dict) -> AppTest:
    """Run the whole app (dashboard.py) on `page` with `query` in its address."""
    at = AppTest.from_file(APP, default_timeout=60)
    if page != "overview":
        at.switch_page(PAGES[page])
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at


@pytest.fixture
def open_page(database, monkeypatch):
    use_database(database, monkeypatch)

    def run(page: str = "overview", **query: str) -> AppTest:
        at = run_page(page, query)
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        return at
    return run


def _specs(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _warnings(at):
    return " ".join(w.value for w in at.warning)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_its_defaults_in_the_url(open_page, page):
    at = open_page(page)
    assert at.query_params["benchmark"] == "WLD"
    assert at.query_params["countries"] == "AZE,KAZ,KGZ,TUR,UZB,HUN,TKM"
    assert not at.warning


def test_overview_heat_map_links_to_area_and_country_pages_with_the_filters(open_page):
    at = open_page(benchmark="EUU", window="5")
    heat = next(m.value for m in at.markdown if "sti-heat" in m.value)
    assert 'href="areas?countries=AZE,KAZ,KGZ,TUR,UZB,HUN,TKM&amp;benchmark=EUU&amp;from=2000&amp;to=2025&amp;' \
           'window=5&amp;area=rd"' in heat
    assert "country=KAZ" in heat and heat.count('target="_self"') > 11 * 7
    assert "insufficient data" in heat or "no indicator" in heat
    assert "European Union" in " ".join(c.value for c in at.caption)


def test_areas_deep_link_reproduces_the_view(open_page):
    at = open_page("areas", area="digital", countries="KAZ,UZB", benchmark="OED", **{"from": "2010", "to": "2020"})
    assert at.selectbox(key="p_area").value == "digital"
    specs = _specs(at)
    assert len(specs) == 2 * 13, "a line and a ranked bar for each of the area's 13 indicators (all have data)"
    egdi = next(s for s in specs if s["layout"]["title"]["text"] == "E-Government Development Index (EGDI)")
    assert {t["name"] for t in egdi["data"]} == {"Kazakhstan", "Uzbekistan"}  # the UN publishes no aggregates
    internet = specs[0]  # the OECD aggregate has no Internet-use series: not drawn, and said so
    assert {t["name"] for t in internet["data"]} == {"Kazakhstan", "Uzbekistan"}
    assert any("No value in 2010–2020: OECD members" in c.value for c in at.caption)
    line = specs[2]
    assert line["layout"]["title"]["text"] == "Fixed broadband subscriptions"
    assert {t["name"] for t in line["data"]} == {"Kazakhstan", "Uzbekistan", "OECD members (benchmark)"}
    assert line["layout"]["xaxis"]["range"] == [2009.5, 2020.5]
    assert line["layout"]["yaxis"]["title"]["text"] == "per 100 people"
    assert any("licence" in c.value and "vintage" in c.value for c in at.caption)


def test_an_area_without_an_international_indicator_says_so(open_page, catalog):
    at = open_page("areas", area="safety")
    assert not _specs(at)
    assert any("No international indicator" in i.value for i in at.info)
    assert any(m.title in mk.value for m in catalog.area("safety").milestones for mk in at.markdown)


def test_country_profile_states_strengths_and_gaps_and_lists_every_indicator(open_page, catalog):
    at = open_page("country", country="TUR")
    text = " ".join(m.value for m in at.markdown)
    assert "Strongest area" in text and "Weakest area" in text
    table = at.dataframe[0].value
    assert len(table) == sum(i.kind == "indicator" and not i.is_categorical for i in catalog.indicators)
    assert not table["name"].str.contains("membership").any()  # memberships are listed apart, as labels
    memberships = " ".join(m.value for m in at.markdown)
    assert "**Metre Convention (BIPM) membership**: full member in 2014" in memberships
    gerd = table[table["name"] == "Research and development expenditure"].iloc[0]
    assert gerd["rank"].endswith("of 7") and gerd["year"] >= 2022
    assert gerd["difference"] == pytest.approx(gerd["value"] - gerd["benchmark_value"])


def test_explorer_deep_link_reproduces_chart_states_and_years(open_page):
    at = open_page("explorer", indicator="IT.NET.USER.ZS", chart="bar", countries="AZE,KAZ",
                   **{"from": "2005", "to": "2015"})
    assert at.selectbox(key="p_indicator").value == "IT.NET.USER.ZS"
    assert at.radio(key="p_chart").value == "bar"
    [spec] = _specs(at)
    labels = spec["data"][0]["y"]
    assert sorted(labels) == ["Azerbaijan (2015)", "Kazakhstan (2015)", "World (2015)"]


@pytest.mark.parametrize("chart", ["line", "map", "scatter"])
def test_explorer_draws_every_chart_kind(open_page, chart):
    at = open_page("explorer", chart=chart, indicator="GB.XPD.RSDV.GD.ZS")
    [spec] = _specs(at)
    kinds = {t.get("type", "scatter") for t in spec["data"]}
    assert kinds == ({"choropleth"} if chart == "map" else {"scatter"})


def test_explorer_per_capita_and_log(open_page):
    at = open_page("explorer", indicator="IP.PAT.RESD", per="capita", log="1", countries="TUR")
    [spec] = _specs(at)
    assert spec["layout"]["yaxis"]["title"]["text"] == "applications per million people"
    assert spec["layout"]["yaxis"]["type"] == "log"
    at = open_page("explorer", indicator="GB.XPD.RSDV.GD.ZS", per="capita")
    assert "has no per capita form" in _warnings(at) and at.query_params["per"] == "none"
    at = open_page("explorer", indicator="IC.BUS.NREG", per="gdp")  # declares a per-capita form only
    assert "has no per gdp form" in _warnings(at) and at.query_params["per"] == "none"


def test_data_page_searches_the_catalogue(open_page):
    at = open_page("data", q="patent")
    catalogue = at.dataframe[0].value
    assert set(catalogue["indicator"]) == {"IP.PAT.RESD", "STI.PAT.RESD.P6", "NCSES.PCT", "STI.PCT.P6"}
    assert len(at.dataframe) == 4  # catalogue, caveats, coverage matrix, refresh history


@pytest.mark.parametrize("query, expected", [
    ({"benchmark": "XYZ"}, "`benchmark=XYZ` is not one of"),
    ({"countries": "XXX"}, "names no state we cover"),
    ({"from": "abc"}, "`from=abc` is not a whole number"),
    ({"from": "2020", "to": "2010"}, "is after"),
    ({"window": "0"}, "is outside 1–30"),
    ({"nonsense": "1"}, "Ignored unknown parameter `nonsense`"),
])
def test_a_bad_parameter_falls_back_with_a_notice(open_page, query, expected):
    at = open_page(**query)
    assert expected in _warnings(at)
    shared = {"benchmark": "WLD", "countries": "AZE,KAZ,KGZ,TUR,UZB,HUN,TKM", "from": "2000", "to": "2025",
              "window": "10"}
    assert {k: at.query_params[k] for k in shared} == shared
    assert "nonsense" not in at.query_params


@pytest.mark.parametrize("page, query", [("areas", {"area": "nope"}), ("country", {"country": "XNC"}),
                                         ("explorer", {"indicator": "<script>", "chart": "pie"}),
                                         ("cooperation", {"year": "2021", "focus": "RUS"})])
def test_bad_page_parameters_fall_back_with_a_notice(open_page, page, query):
    at = open_page(page, **query)
    for key in query:
        assert f"`{key}=" in _warnings(at)


def test_a_sidebar_change_updates_the_url_and_survives_a_page_switch(open_page):
    at = open_page()
    at.multiselect(key="p_countries").set_value(["KAZ", "TUR"]).run()
    assert at.query_params["countries"] == "KAZ,TUR"
    at.selectbox(key="p_benchmark").set_value("best").run()
    at.switch_page(PAGES["areas"]).run()
    assert not at.exception
    assert at.query_params["countries"] == "KAZ,TUR" and at.query_params["benchmark"] == "best"


def test_empty_selection_and_best_performer_do_not_break_any_page(open_page):
    for page in PAGES:
        open_page(page, countries="")
        open_page(page, benchmark="best")


def test_every_page_runs_inside_the_dashboard_frame(open_page):
    for page in PAGES:
        at = open_page(page)
        assert any(c.value.startswith("Data: [World Bank]") for c in at.caption), page  # dashboard.py's footer


def test_repeated_parameters_are_honoured_said_and_rewritten(open_page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["countries"] = ["AZE", "KAZ"]
    at.query_params["from"] = ["2010", "2015"]
    at.run()
    assert not at.exception
    assert at.query_params["countries"] == "AZE,KAZ" and at.query_params["from"] == "2015"
    assert "`countries` appeared 2 times" in _warnings(at) and "`from` appeared 2 times" in _warnings(at)


def test_a_link_with_only_an_early_end_year_keeps_it(open_page):
    at = open_page(to="1999")
    assert (at.query_params["from"], at.query_params["to"]) == ("1974", "1999") and not at.warning


def test_coverage_matrix_follows_the_end_year(open_page):
    at = open_page("data", to="2020")
    matrix = at.dataframe[2].value
    assert matrix.loc["Kazakhstan", "GB.XPD.RSDV.GD.ZS"] == 2020
    assert (matrix.max().dropna() <= 2020).all()


def test_the_data_page_reads_a_database_written_before_series_stats(database, open_page, tmp_path, monkeypatch):
    new = open_page("data")
    old = tmp_path / "sti.duckdb"
    shutil.copyfile(database, old)
    con = duckdb.connect(str(old))
    con.execute("DROP TABLE series_stats")
    con.close()
    use_database(old, monkeypatch)
    at = open_page("data")
    for shown, expected in zip(at.dataframe, new.dataframe, strict=True):  # catalogue with vintages, coverage
        pd.testing.assert_frame_equal(shown.value, expected.value)
    con = duckdb.connect(str(old), read_only=True)
    assert "series_stats" not in {t for (t,) in con.execute("SHOW TABLES").fetchall()}  # read as it was, not rebuilt
    con.close()


DOWNLOAD_VIEWS = [("overview", {}), ("areas", {}), ("areas", {"area": "sme"}), ("areas", {"area": "digital"}),
                  ("country", {}), ("cooperation", {}), ("explorer", {}), ("explorer", {"chart": "bar"}),
                  ("explorer", {"chart": "map"}), ("explorer", {"chart": "scatter"}), ("data", {})]


@pytest.mark.parametrize(("page", "query"), DOWNLOAD_VIEWS)
def test_every_download_a_page_offers_makes_its_csv(open_page, monkeypatch, page, query):
    """Chart files are made when their button is clicked, so AppTest never makes them: make each one here."""
    offered = {}
    button = st.download_button

    def recording(label, data, *args, **kwargs):
        offered[kwargs["key"]] = data
        return button(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    open_page(page, **query)
    files = {key: data for key, data in offered.items() if not key.startswith("dl-all-")}  # whole DB: test_export
    assert files
    for key, data in files.items():
        frame = pd.read_csv(io.BytesIO(data() if callable(data) else data))
        assert len(frame.columns) > 1, key
        if key.startswith(("dl-line-", "dl-bar-", "dl-explorer", "dl-trend-", "dl-timeline-", "dl-headlines")):
            assert list(frame.columns[:10]) == export.TIDY_COLUMNS + export.PROVENANCE_COLUMNS, key
            assert len(frame) and frame["licence"].notna().all(), key


def test_a_map_of_aggregates_only_says_there_is_nothing_to_map(open_page):
    at = open_page("explorer", chart="map", countries="WLD,EUU")
    assert not _specs(at) and any("aggregates are not mapped" in i.value for i in at.info)


def test_best_performer_is_drawn_on_area_pages_even_when_not_selected(open_page):
    at = open_page("areas", area="rd", countries="AZE,KGZ", benchmark="best")
    names = {t["name"] for t in _specs(at)[0]["data"]}
    assert any(n.endswith("(benchmark)") for n in names) and "Azerbaijan (benchmark)" not in names
    assert any("best OTS performer" in c.value for c in at.caption)


def test_sme_area_shows_enterprise_counts_with_years_sources_definitions_and_caveats(open_page):
    at = open_page("areas", area="sme")
    table = at.dataframe[0].value.set_index("country")
    assert set(table.index) == {"Azerbaijan", "Kazakhstan", "Kyrgyzstan", "Türkiye", "Uzbekistan", "Hungary"}
    assert table.at["Türkiye", "msmes"] == 2587319 and table.at["Türkiye", "year"] == 2011
    assert table.at["Azerbaijan", "per_1000_people"] == 28.17 and table.at["Kyrgyzstan", "sme_limit_employees"] == 125
    assert table.at["Kazakhstan", "density_of"] == "SMEs (incl. micro)"  # IFC's SME row, which counts micro too
    assert "KazStat" in table.at["Kazakhstan", "national_source"]
    captions = " ".join(c.value for c in at.caption)
    assert "No IFC figure: Turkmenistan" in captions
    assert "own size definition" in captions and "why:" in captions and "Kazakhstan's SME count" in captions


def test_metrology_is_a_membership_timeline_not_a_score(open_page):
    at = open_page("areas", area="metrology", countries="KAZ,TUR,AZE", **{"from": "2000", "to": "2014"})
    specs = _specs(at)
    assert len(specs) == 3 and all(t["type"] == "bar" and t["orientation"] == "h" for s in specs for t in s["data"])
    bipm = specs[0]
    full = next(t for t in bipm["data"] if t["name"] == "full member")
    spans = {(y, b, x) for y, b, x in zip(full["y"], full["base"], full["x"])}
    assert ("Kazakhstan", 2007.5, 7) in spans  # full member 2008-2014
    assert ("Türkiye", 1999.5, 15) in spans
    assert any("research dataset" in c.value for c in at.caption)


def test_standards_area_shows_certificates_per_million_people_with_the_iso_caveat(open_page):
    at = open_page("areas", area="standards", benchmark="best")
    titles = [s["layout"]["title"]["text"] for s in _specs(at)]
    assert titles[:6:2] == ["ISO 9001 certificates per million people", "ISO 14001 certificates per million people",
                            "ISO/IEC 27001 certificates per million people"]  # per million first, then the counts
    assert any("voluntary reporting" in c.value for c in at.caption)


def test_overview_says_when_the_benchmark_publishes_nothing_for_an_area(open_page):
    heat = next(m.value for m in open_page().markdown if "sti-heat" in m.value)
    assert "no benchmark data" in heat  # ISO Survey: no world total
    heat = next(m.value for m in open_page(benchmark="best").markdown if "sti-heat" in m.value)
    assert "no benchmark data" not in heat


def test_data_page_says_which_sources_the_full_downloads_leave_out_and_why(open_page):
    at = open_page("data")
    note = next(i.value for i in at.info if "Left out of the full downloads" in i.value)
    assert "IFC" in note and "ISO" in note and "smefinanceforum" in note


def test_national_figures_appear_labelled_on_area_and_country_pages(database, open_page, tmp_path, monkeypatch):
    import shutil

    from etl.cli import main
    copy = tmp_path / "with_national.duckdb"
    shutil.copy(database, copy)
    monkeypatch.setenv("STI_DB", str(copy))
    assert main(["import", str(settings.ROOT / "examples" / "national_figures.csv")]) == 0
    at = open_page("areas", area="sme")
    assert any("National figures" in w.value for w in at.warning)
    national = at.dataframe[-1].value
    assert set(national["country"]) == {"Kyrgyzstan", "Uzbekistan"}
    at = open_page("country", country="TUR")
    assert any("National figures" in w.value for w in at.warning)
    assert "S&E articles with domestic institutions only" in set(at.dataframe[-1].value["indicator_name"])


# --- cooperation: the student flows ---------------------------------------------------------------------------------


def _flows(database, year):
    from sti.db import connect_readonly

    con = connect_readonly(database)
    try:
        return con.execute("SELECT origin, destination, students, listed_by FROM flow WHERE year = ?", [year]).df()
    finally:
        con.close()


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_cooperation_opens_on_the_recommended_year_and_answers_for_the_focus_state(open_page, database):
    at = open_page("cooperation")
    assert at.query_params["year"] == "2019" and at.query_params["focus"] == "AZE"
    flows = _flows(database, 2019)
    mine = flows[(flows["origin"] == "AZE") & (flows["listed_by"] == "origin")]
    metrics = _metrics(at)
    assert metrics["Students abroad"] == f"{mine['students'].sum():,.0f}"  # every row of AZE's own list
    to_ots = {d: v for d, v in zip(mine["destination"], mine["students"]) if d in ("TUR", "KGZ", "UZB", "HUN")}
    assert to_ots["TUR"] == 19383
    assert metrics["…in other OTS states (at least)"].endswith("(46%)")
    [sankey] = [s for s in _specs(at) if s["data"][0]["type"] == "sankey"]
    trace = sankey["data"][0]
    labels = trace["node"]["label"]
    drawn = {(labels[s], labels[t]): v for s, t, v in zip(trace["link"]["source"], trace["link"]["target"],
                                                           trace["link"]["value"])}
    assert drawn[("Azerbaijan", "Türkiye")] == 19383 and drawn[("Kazakhstan", "Russian Federation")] == 71368
    assert any("CC BY-SA 3.0 IGO" in c.value and "Share-alike" in c.value for c in at.caption)


def test_cooperation_draws_flows_to_every_ots_state_whichever_states_are_selected(open_page, catalog):
    at = open_page("cooperation", focus="KAZ", countries="KAZ")
    [sankey] = [s["data"][0] for s in _specs(at) if s["data"][0]["type"] == "sankey"]
    colour = dict(zip(sankey["node"]["label"], sankey["node"]["color"]))
    for host in ("TUR", "KGZ"):  # OTS hosts of Kazakhstan's students, though not selected in the sidebar
        assert colour[catalog.country(host).name] == catalog.country(host).colour


def test_cooperation_deep_link_reproduces_its_view(open_page):
    at = open_page("cooperation", focus="KAZ", year="2015", countries="KAZ,KGZ,TUR")
    assert at.selectbox(key="p_focus").value == "KAZ" and at.slider(key="p_year").value == 2015
    assert not at.warning
    [sankey] = [s for s in _specs(at) if s["data"][0]["type"] == "sankey"]
    origins = set(sankey["data"][0]["node"]["label"][:3])
    assert origins == {"Kazakhstan", "Kyrgyzstan", "Türkiye"}  # the selected states only
    titles = [s["layout"]["title"]["text"] for s in _specs(at)]
    assert "Where Kazakhstan's students studied, 2015" in titles
    assert "Where Kazakhstan's foreign students came from, 2015" in titles
    matrix = next(m.value for m in at.markdown if "sti-flows" in m.value)
    assert "<th scope=\"col\">Russian Federation</th>" in matrix  # the context host, though not selected
    assert matrix.count("<tr>") == 1 + 4  # heading, KAZ, KGZ, TUR and Russia


def test_cooperation_says_not_reported_and_never_draws_a_zero(open_page, database):
    at = open_page("cooperation", focus="KAZ")
    matrix = next(m.value for m in at.markdown if "sti-flows" in m.value)
    flows = _flows(database, 2019)
    assert flows[(flows["origin"] == "KAZ") & (flows["destination"] == "AZE")].empty  # in neither list
    [row] = re.findall(r'<th scope="row" class="focus"><a [^>]*>Kazakhstan</a></th>(.*?)</tr>', matrix)
    assert row.startswith('<td class="nr focus">not reported</td>')  # KAZ → AZE, the first column
    assert ">0</td>" not in matrix
    captions = " ".join(c.value for c in at.caption)
    assert "Not reported: Azerbaijan" in captions and "top-10 lists only" in " ".join(c.value for c in at.caption)


def test_a_year_a_main_host_did_not_report_is_flagged_not_compared(open_page):
    at = open_page("cooperation", focus="KAZ", year="2010")
    metrics = _metrics(at)
    assert metrics["…in other OTS states (at least)"].endswith("(share not comparable)")
    assert metrics["…of whom in another OTS state"] == "not comparable"
    assert any("Russian Federation reported no inbound students for 2010" in c.value for c in at.caption)


def test_a_state_that_reported_no_inbound_students_says_so(open_page):
    at = open_page("cooperation", focus="TKM", year="2018")
    assert _metrics(at)["Foreign students hosted"] == "not reported"
    assert any("Turkmenistan reported no inbound students for 2018" in i.value for i in at.info)


def test_the_rd_and_research_areas_show_the_intra_ots_shares_and_link_to_cooperation(open_page):
    for area in ("rd", "research"):
        at = open_page("areas", area=area, countries="AZE,KAZ")
        titles = [s["layout"]["title"]["text"] for s in _specs(at)]
        assert "Students abroad who study in other OTS states" in titles
        [link] = [p for p in at.get("page_link") if "Cooperation page" in p.proto.label]
        assert link.proto.page == "cooperation" and "countries=AZE%2CKAZ" in link.proto.query_string  # filters kept
    at = open_page("country", country="UZB")
    [link] = [p for p in at.get("page_link") if "student flows" in p.proto.label]
    assert "focus=UZB" in link.proto.query_string
