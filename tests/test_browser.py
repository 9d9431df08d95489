"""The dashboard as a user meets it: `streamlit run dashboard.py` on a loopback port, driven in headless Chromium.

Every page opens, settles, shows no exception box and logs nothing to the console; charts are drawn with the traces
the database implies; a chart's CSV download equals the database; deep links reproduce their view; the sidebar
writes the address; phone width and the dark theme hold. Screenshots go to `tests.browser.SCREENSHOTS`.
Skips, saying why, where Chromium or Playwright is absent (fails instead in CI).
"""
from __future__ import annotations

import io
import math
import re
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from sti.catalog import catalog
from sti.db import connect_readonly
from tests import browser

CAT = catalog()
NAMES = {c.code: c.name for c in CAT.countries}
# (url path, page title): the navigation must offer exactly these, so a new page cannot go untested
PAGES = [("", "OTS STI Monitor"), ("areas", "Initiative areas"), ("country", "Country profile"),
         ("cooperation", "Cooperation"), ("explorer", "Explorer"), ("data", "Data & sources")]
SERIES = "GB.XPD.RSDV.GD.ZS"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return tmp_path_factory.mktemp("browser") / "sti.duckdb"


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    log = tmp_path_factory.mktemp("browser-log") / "streamlit.log"
    with browser.streamlit_server(log, STI_DB=str(db)) as running:
        yield running


@pytest.fixture(scope="module")
def chromium():
    browser.require()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = browser.launch(playwright)
        yield launched
        launched.close()


class Tab:
    """One browser tab on the app, with its console."""

    def __init__(self, chromium, server, viewport=browser.DESKTOP, color_scheme="light"):
        self.context = chromium.new_context(viewport=viewport, color_scheme=color_scheme, accept_downloads=True)
        self.context.set_default_timeout(60_000)  # as settle(): a shared machine under load is slow, not broken
        self.page = self.context.new_page()
        self.console = browser.Console().listen(self.page)
        self.base = server.url

    def open(self, path: str) -> float:
        self.page.goto(f"{self.base}/{path}", wait_until="domcontentloaded")
        return self.settled()

    def settled(self) -> float:
        took = browser.settle(self.page)
        assert browser.exceptions(self.page) == []
        assert self.console.errors == []
        return took

    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.page.url).query, keep_blank_values=True).items()}

    def sidebar_value(self, label: str) -> str:
        return self.page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label).input_value()

    def years(self) -> tuple[int, int]:
        thumbs = self.page.locator('[data-testid="stSidebar"] input[aria-label^="Years — "]')
        return int(thumbs.nth(0).input_value()), int(thumbs.nth(1).input_value())

    def notices(self) -> list[str]:
        return self.page.locator('[data-testid="stAlertContentWarning"]').all_inner_texts()


@pytest.fixture
def tab(chromium, server):
    opened = Tab(chromium, server)
    yield opened
    opened.context.close()
    assert opened.console.errors == []  # nothing logged after the last check either (downloads, screenshots)


def observations(db, indicator: str, countries: list[str], first: int, last: int) -> pd.DataFrame:
    con = connect_readonly(db)
    try:
        return con.execute("SELECT country, year, value, vintage FROM observation WHERE indicator = ? "
                           "AND list_contains(?, country) AND year BETWEEN ? AND ? ORDER BY country, year",
                           [indicator, countries, first, last]).df()
    finally:
        con.close()


def plotted(values: list) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def bar_label(label: str) -> tuple[str, int]:
    """A ranked bar names its state and the year of its value: 'Kazakhstan (2024)'."""
    match = re.fullmatch(r"(.+) \((\d{4})\)", str(label))
    assert match, f"bar label without its year: {label!r}"
    return match[1], int(match[2])


def same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b))


# --- first visit, every page ---------------------------------------------------------------------------------------


def test_first_visit_builds_the_database_from_the_snapshot(chromium, tmp_path):
    db = tmp_path / "sti.duckdb"
    with browser.streamlit_server(tmp_path / "streamlit.log", STI_DB=str(db)) as fresh:
        assert not db.exists(), "built on the first visit, not at start"
        tab = Tab(chromium, fresh)
        try:
            tab.open("")
        finally:
            tab.context.close()
        log = fresh.log()
    assert "building it from the bundled snapshot" in log  # the reason, next to the spinner the visitor saw
    con = connect_readonly(db)
    try:
        rows = con.execute("SELECT count(*) FROM observation").fetchone()[0]
        built = con.execute("SELECT count(*) FROM etl_run WHERE message LIKE '%snapshot%'").fetchone()[0]
    finally:
        con.close()
    assert rows > 10_000 and built >= 1


def test_navigation_offers_every_page(tab):
    tab.open("")
    links = tab.page.locator('[data-testid="stSidebarNavLink"]')
    paths = [urlsplit(links.nth(i).get_attribute("href")).path.strip("/") for i in range(links.count())]
    assert paths == [p for p, _ in PAGES]


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p or "overview" for p, _ in PAGES])
def test_every_page_settles_without_errors(tab, path, title):
    tab.open(path)
    assert tab.page.locator("h1").first.inner_text().strip() == title
    assert tab.notices() == []
    assert tab.page.locator('[data-testid="stDownloadButton"]').count() >= 1
    browser.screenshot(tab.page, f"desktop-{path or 'overview'}")


# --- charts drawn with the traces the data implies ----------------------------------------------------------------


def test_overview_heat_map_has_a_row_per_state_and_a_column_per_area(tab):
    tab.open("?countries=AZE,KAZ,HUN")
    heat = tab.page.locator(".sti-heat table")
    headers = heat.locator("thead th").all_inner_texts()
    assert len(headers) == 1 + len(CAT.areas)
    rows = heat.locator("tbody tr")
    assert [rows.nth(i).locator("th").inner_text().strip() for i in range(rows.count())] == [
        NAMES["AZE"], NAMES["KAZ"], NAMES["HUN"]]
    rows.nth(1).locator("td a").first.click()  # a cell opens that state's profile, keeping the filters
    tab.page.wait_for_url(lambda url: "/country" in url)
    tab.settled()
    assert tab.query()["country"] == "KAZ" and tab.query()["countries"] == "AZE,KAZ,HUN"
    assert tab.page.locator("h2").first.inner_text().strip() == NAMES["KAZ"]


def test_explorer_line_chart_draws_the_database_values(tab, db):
    tab.open(f"explorer?indicator={SERIES}&countries=AZE,KAZ&from=2000&to=2024&chart=line")
    (chart,) = browser.traces(tab.page)
    assert [t["name"] for t in chart] == [NAMES["AZE"], NAMES["KAZ"], f"{NAMES['WLD']} (benchmark)"]
    for trace, code in zip(chart, ["AZE", "KAZ", "WLD"]):
        assert trace["type"] == "scatter"
        stored = observations(db, SERIES, [code], 2000, 2024).set_index("year")["value"]
        years = [int(x) for x in trace["x"]]
        assert years == list(range(2000, 2025))  # every year on the axis: missing years stay gaps, not zeros
        assert same(plotted(trace["y"]), [float(stored.get(y, math.nan)) for y in years])


def test_areas_page_charts_show_only_the_selected_states(tab):
    tab.open("areas?area=rd&countries=KAZ,TUR")
    charts = browser.traces(tab.page)
    assert len(charts) >= 2 and all(charts), "the R&D area draws its indicators, each with traces"
    allowed = {NAMES["KAZ"], NAMES["TUR"], f"{NAMES['WLD']} (benchmark)"}
    drawn = set()
    for chart in charts:
        for trace in chart:
            if trace["type"] == "bar":  # ranked bar: one bar per state, named on the axis with its year
                states = {bar_label(v)[0] for v in trace["y"]}
                assert states <= allowed | {NAMES["WLD"]}
                drawn |= states
            else:
                assert trace["name"] in allowed
                drawn.add(trace["name"])
    assert {NAMES["KAZ"], NAMES["TUR"]} <= drawn


def test_country_profile_draws_the_state_against_the_ots_average(tab):
    tab.open("country?country=KGZ")
    (chart,) = browser.traces(tab.page)
    assert [t["name"] for t in chart] == [NAMES["KGZ"], "OTS average"]
    areas = {a.name for a in CAT.areas}
    assert {str(y) for y in chart[0]["y"]} <= areas and len(chart[0]["y"]) >= 5


# --- downloads ------------------------------------------------------------------------------------------------------


def download_csv(tab, index: int = 0) -> tuple[str, pd.DataFrame]:
    with tab.page.expect_download() as started:
        tab.page.locator('[data-testid="stDownloadButton"] button').nth(index).click()
    got = started.value
    return got.suggested_filename, pd.read_csv(io.BytesIO(open(got.path(), "rb").read()), keep_default_na=False,
                                               na_values=[""])


def test_a_charts_csv_download_equals_the_database(tab, db):
    tab.open(f"explorer?indicator={SERIES}&countries=AZE,KAZ,UZB&from=2005&to=2022&chart=line&benchmark=EUU")
    name, got = download_csv(tab)
    assert name == f"{SERIES}_2005-2022.csv"
    stored = observations(db, SERIES, ["AZE", "KAZ", "UZB", "EUU"], 2005, 2022)
    assert len(got) == len(stored) > 20
    assert set(got["indicator"]) == {SERIES} and set(got["licence"]) == {"CC BY 4.0"}
    merged = got.merge(stored, on=["country", "year"], suffixes=("", "_db"), validate="one_to_one")
    assert len(merged) == len(stored)
    assert (merged["value"] == merged["value_db"]).all()
    assert (merged["vintage"].astype(str) == merged["vintage_db"].astype(str)).all()


def test_a_ranked_bar_download_holds_the_latest_values_it_draws(tab, db):
    tab.open(f"explorer?indicator={SERIES}&countries=AZE,KAZ,TUR&from=2010&to=2020&chart=bar")
    (chart,) = browser.traces(tab.page)
    _, got = download_csv(tab)
    stored = observations(db, SERIES, ["AZE", "KAZ", "TUR", "WLD"], 2010, 2020)
    latest = stored.sort_values("year").groupby("country").tail(1).set_index("country")
    assert sorted(got["country"]) == sorted(latest.index)
    for row in got.itertuples():
        assert (row.year, row.value) == (latest.loc[row.country, "year"], latest.loc[row.country, "value"])
    bars = dict(zip([bar_label(y) for y in chart[0]["y"]], plotted(chart[0]["x"])))
    assert bars == {(NAMES[c], int(latest.loc[c, "year"])): float(latest.loc[c, "value"]) for c in latest.index}


# --- deep links -----------------------------------------------------------------------------------------------------


def test_a_country_deep_link_reproduces_its_view(tab):
    link = {"country": "UZB", "countries": "AZE,UZB", "benchmark": "EUU", "from": "2005", "to": "2020", "window": "5"}
    tab.open("country?" + "&".join(f"{k}={v}" for k, v in link.items()))
    page = tab.page
    assert page.locator("h2").first.inner_text().strip() == NAMES["UZB"]
    assert tab.sidebar_value("Benchmark (= 100 in the indices)") == f"{NAMES['EUU']} (EUU)"
    assert page.get_by_role("combobox", name="State", exact=True).input_value().startswith(NAMES["UZB"])
    assert tab.years() == (2005, 2020)
    assert page.locator('input[aria-label^="Recency window"]').input_value() == "5"
    assert page.get_by_text("Indices: latest value in 2016–2020 against European Union").count() == 1
    assert tab.notices() == []
    assert {k: tab.query()[k] for k in link} == link  # the address keeps the view, so it can be shared again


def test_an_explorer_deep_link_reproduces_its_view(tab):
    tab.open("explorer?indicator=SP.POP.TOTL&countries=KGZ,TUR&chart=bar&from=2010&to=2018&log=1")
    page = tab.page
    assert page.get_by_role("combobox", name="Indicator", exact=True).input_value().startswith("Population")
    assert page.locator('[data-testid="stRadioOption"][data-selected="true"]').first.inner_text() == "Ranked bar"
    assert page.get_by_role("switch", name="Log scale").is_checked()
    assert tab.years() == (2010, 2018)
    (chart,) = browser.traces(tab.page)
    assert {bar_label(y)[0] for y in chart[0]["y"]} == {NAMES["KGZ"], NAMES["TUR"], NAMES["WLD"]}
    assert all(2010 <= bar_label(y)[1] <= 2018 for y in chart[0]["y"])  # the latest value within the years asked
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').layout.xaxis.type") == "log"
    assert tab.query()["chart"] == "bar" and tab.query()["log"] == "1"


def test_an_area_and_a_search_deep_link_reproduce_their_views(tab):
    tab.open("areas?area=standards")
    assert tab.page.locator("h2").first.inner_text().strip().endswith(CAT.area("standards").name)
    assert tab.page.get_by_role("combobox", name="Initiative area").input_value().endswith(CAT.area("standards").name)
    tab.open("data?q=patent")
    assert tab.page.get_by_role("textbox", name="Search the catalogue").input_value() == "patent"
    assert tab.query()["q"] == "patent"
    name, found = download_csv(tab)  # the catalogue as filtered
    assert name == "catalogue.csv" and 0 < len(found) < len(CAT.indicators)
    assert found.apply(lambda row: "patent" in " ".join(map(str, row)).lower(), axis=1).all()
    assert tab.page.get_by_text(f"{len(found)} of {len(CAT.indicators)} series.").count() == 1


def test_a_bad_link_falls_back_with_a_notice(tab):
    tab.page.goto(f"{tab.base}/explorer?chart=pie&countries=AZE,XXX&from=abc", wait_until="domcontentloaded")
    tab.settled()
    said = " ".join(tab.notices())
    assert "pie" in said and "XXX" in said and "abc" in said
    query = tab.query()
    assert query["chart"] == "line" and query["countries"] == "AZE" and query["from"].isdigit()


def test_the_explorer_map_and_scatter_draw_offline(tab, db):
    tab.open(f"explorer?indicator={SERIES}&countries=AZE,KAZ,UZB&chart=map&from=2010&to=2022")
    (chart,) = browser.traces(tab.page)
    assert chart[0]["type"] == "choropleth"
    stored = observations(db, SERIES, ["AZE", "KAZ", "UZB"], 2010, 2022)
    latest = stored.sort_values("year").groupby("country").tail(1).set_index("country")["value"]
    assert dict(zip(chart[0]["locations"], plotted(chart[0]["z"]))) == {c: float(v) for c, v in latest.items()}
    # the outlines come from the app's own static folder (no CDN): the states are drawn as shapes
    assert tab.page.locator(".choroplethlocation").count() >= 3

    tab.open(f"explorer?indicator={SERIES}&countries=AZE,KAZ,TUR&chart=scatter&x=NY.GDP.PCAP.PP.KD")
    (chart,) = browser.traces(tab.page)
    assert {t["name"] for t in chart} <= {NAMES["AZE"], NAMES["KAZ"], NAMES["TUR"]} and len(chart) >= 2
    assert all(t["type"] == "scatter" and len(t["x"]) == len(t["y"]) == 1 for t in chart)


# --- cooperation: the student flows ---------------------------------------------------------------------------------


def flow_rows(db, year: int) -> pd.DataFrame:
    con = connect_readonly(db)
    try:
        return con.execute("SELECT origin, destination, students, listed_by FROM flow WHERE year = ?", [year]).df()
    finally:
        con.close()


def sankey_of(page) -> dict:
    """The Sankey as plotly.js drew it: node labels and each link's source, target and value."""
    return page.evaluate("""() => {
        const g = [...document.querySelectorAll('.js-plotly-plot')]
            .find(g => g._fullData && g._fullData.length && g._fullData[0].type === 'sankey');
        const t = g._fullData[0];
        return {labels: Array.from(t.node.label), source: Array.from(t.link.source),
                target: Array.from(t.link.target), value: Array.from(t.link.value)};
    }""")


def shown_matrix(page) -> list[list[str]]:
    """The origin × destination table as the visitor reads it: the heading row, then one row per origin."""
    return page.evaluate("""() => [...document.querySelectorAll('.sti-flows table tr')]
        .map(tr => [...tr.children].map(cell => cell.innerText.trim()))""")


def download_named(tab, label: str) -> tuple[str, pd.DataFrame]:
    with tab.page.expect_download() as started:
        tab.page.locator('[data-testid="stDownloadButton"] button', has_text=label).click()
    got = started.value
    return got.suggested_filename, pd.read_csv(got.path(), dtype=str, keep_default_na=False)


def test_cooperation_draws_the_flows_the_database_holds(tab, db):
    tab.open("cooperation?focus=KAZ&year=2019")
    page = tab.page
    assert page.get_by_role("combobox", name="Focus state").input_value().startswith(NAMES["KAZ"])
    assert page.locator('input[aria-label="Year"]').input_value() == "2019"
    assert tab.query()["focus"] == "KAZ" and tab.query()["year"] == "2019" and tab.notices() == []
    stored = flow_rows(db, 2019)
    own = stored[(stored["origin"] == "KAZ") & (stored["listed_by"] == "origin")]
    assert page.get_by_text(f"{own['students'].sum():,.0f}", exact=True).count() == 1  # KAZ's students abroad

    # each pair's count as the database holds it: the host's list where it names the pair, else the origin's
    by_list = {(r.origin, r.destination, r.listed_by): r.students for r in stored.itertuples()}
    code_of = {name: code for code, name in CAT.partner_names().items()}
    sankey = sankey_of(page)
    labels = sankey["labels"]
    ots = set(CAT.flow_states())
    drawn = {}
    for s, t, v in zip(sankey["source"], sankey["target"], sankey["value"]):
        if labels[t].startswith("Elsewhere"):
            continue
        o, d = code_of[labels[s]], code_of[labels[t]]
        drawn[(o, d)] = v
        assert v == by_list.get((o, d, "destination"), by_list.get((o, d, "origin"))), (o, d)
    between = {(o, d) for o, d, _ in by_list if o in ots and d in ots}
    assert {pair for pair in drawn if pair[1] in ots} == between  # every reported pair among OTS states, no other
    assert drawn[("KAZ", "RUS")] == 71368 and drawn[("AZE", "TUR")] == 19383

    # the matrix: a pair in neither list says so; its CSV holds exactly what is shown
    table = shown_matrix(page)
    header, rows = table[0], {row[0]: row[1:] for row in table[1:]}
    assert stored[(stored["origin"] == "KAZ") & (stored["destination"] == "AZE")].empty
    assert rows[NAMES["KAZ"]][header.index(NAMES["AZE"]) - 1] == "not reported"
    assert rows[NAMES["KAZ"]][header.index(NAMES["TUR"]) - 1] == f"{by_list[('KAZ', 'TUR', 'origin')]:,.0f}"
    name, got = download_named(tab, "Download the matrix as shown (CSV)")
    assert name == "student_flows_matrix_2019.csv"
    assert list(got.columns[:len(header)]) == header
    assert got.iloc[:, :len(header)].values.tolist() == [[r[0], *r[1:]] for r in table[1:]]
    assert set(got["licence"]) == {"CC BY-SA 3.0 IGO"} and got["licence_terms"].str.startswith("Share-alike").all()
    browser.screenshot(page, "desktop-cooperation-KAZ")


# --- the sidebar writes the address --------------------------------------------------------------------------------


def test_changing_a_sidebar_filter_updates_the_address_and_the_chart(tab):
    tab.open(f"explorer?indicator={SERIES}&countries=AZE,KAZ")
    page = tab.page
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("combobox", name="Benchmark (= 100 in the indices)").click()
    page.get_by_role("option", name=f"{NAMES['EUU']} (EUU)").click()
    page.wait_for_url(lambda url: "benchmark=EUU" in url)
    tab.settled()
    assert [t["name"] for t in browser.traces(page)[0]][-1] == f"{NAMES['EUU']} (benchmark)"

    sidebar.get_by_role("button", name=f"Remove {NAMES['KAZ']} (KAZ)").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("countries") == ["AZE"])
    tab.settled()
    assert [t["name"] for t in browser.traces(page)[0]] == [NAMES["AZE"], f"{NAMES['EUU']} (benchmark)"]

    sidebar.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Country profile").click()
    page.wait_for_url(lambda url: "/country" in url)
    tab.settled()
    assert tab.query()["countries"] == "AZE" and tab.query()["benchmark"] == "EUU"  # filters survive the switch


# --- phone width, dark theme ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p or "overview" for p, _ in PAGES])
def test_every_page_at_phone_width(chromium, server, path, title):
    tab = Tab(chromium, server, viewport=browser.PHONE)
    try:
        tab.open(path)
        assert tab.page.locator("h1").first.inner_text().strip() == title
        # nothing wider than the screen: wide tables and charts scroll inside their own box
        assert tab.page.evaluate("() => document.documentElement.scrollWidth") <= browser.PHONE["width"]
        browser.screenshot(tab.page, f"phone-{path or 'overview'}")
        assert tab.console.errors == []
    finally:
        tab.context.close()


def luminance(css_colour: str) -> float:
    r, g, b = (int(c) for c in css_colour[css_colour.index("(") + 1:css_colour.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_the_dark_theme_follows_the_system_setting(chromium, server):
    tab = Tab(chromium, server, color_scheme="dark")
    try:
        tab.open("")
        page = tab.page
        background = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stApp]'))"
                                   ".backgroundColor")
        text = page.evaluate("() => getComputedStyle(document.querySelector('h1')).color")
        assert luminance(background) < 0.2 and luminance(text) > 0.7
        heading = page.evaluate("() => getComputedStyle(document.querySelector('.sti-heat thead th')).color")
        assert luminance(heading) > 0.5  # the heat map's own CSS follows the theme too
        browser.screenshot(page, "dark-overview")
        assert tab.console.errors == []
    finally:
        tab.context.close()


# --- the server itself ----------------------------------------------------------------------------------------------


def test_the_server_logged_no_error(chromium, server):
    log = server.log()
    for bad in ("Traceback", "ERROR", "is not a valid config option", "Uncaught"):
        assert bad not in log, log
