"""Property-based tests (hypothesis) of the URL state: `sti.params` (the pure rules) and, through Streamlit's
AppTest, `sti.urlstate` binding them to each page.

Why: links are shared, bookmarked, edited by hand and crafted by others. The monitor promises that every URL
parameter is validated against the catalogue and that random or hostile query strings never produce an exception,
only a fallback with a notice. So, with the real shared parameters and each page's own (mirrored below from
app_pages/, which are scripts and cannot be imported):

* arbitrary query dicts (known and random keys; values that are valid, nearly valid, arbitrary text with control
  characters and unicode, huge, or SQL/HTML/JS/Markdown payloads): `params.read` never raises; every value is valid
  against the catalogue and its range; every value not honoured as written gets a notice naming its parameter;
  notices are one line and quote what the link carried only inside code spans (no link, image or HTML a link
  brings reaches the page); the query the app writes back reads again without a notice; valid links round-trip;
* each page in AppTest with hypothesis-chosen query strings (repeated parameters included): no exception and no
  error box; exactly the notices the pure rules predict are shown; the URL left behind is clean.

Examples are derandomized, and the pages run on a database built from the bundled snapshot: no network, and the
same cases on every run.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sti import params, queries
from sti.catalog import AREA_IDS, catalog
from sti.params import Param, read, serialise, shown
from sti.urlstate import shared_params
from tests.test_pages import PAGES, run_page, use_database

CAT = catalog()
SPAN = (1960, 2025)  # the pure tests' year span; the pages use the database's
STATES = [c for c in CAT.ots_states() if c.has_data]
SERIES = tuple(i.code for i in CAT.indicators if not i.is_categorical)
SERIES_NAMES = {i.code: f"{i.name} ({i.unit})" for i in CAT.indicators}
# each page's own parameters, as app_pages/ declares them (labels too: a notice names the default it falls back to)
PAGE_PARAMS = {
    "overview": [],
    "areas": [Param("area", "choice", AREA_IDS[0], options=AREA_IDS,
                    labels={a.id: f"{a.order}. {a.name}" for a in CAT.areas})],
    "country": [Param("country", "choice", STATES[0].code, options=tuple(c.code for c in STATES),
                      labels={c.code: f"{c.name} ({c.role})" for c in STATES})],
    "explorer": [Param("indicator", "choice", "GB.XPD.RSDV.GD.ZS", options=SERIES, labels=SERIES_NAMES),
                 Param("chart", "choice", "line", options=("line", "bar", "map", "scatter"),
                       labels={"line": "Line", "bar": "Ranked bar", "map": "Map", "scatter": "Scatter"}),
                 Param("x", "choice", "NY.GDP.PCAP.PP.KD", options=SERIES, labels=SERIES_NAMES),
                 Param("per", "choice", "none", options=("none", "capita", "gdp"),
                       labels={"none": "As published", "capita": "Per capita", "gdp": "Per GDP"}),
                 Param("log", "flag", False)],
    "cooperation": [Param("year", "int", CAT.flows.default_year, lo=CAT.flows.first_year, hi=CAT.flows.last_year),
                    Param("focus", "choice", STATES[0].code, options=tuple(c.code for c in STATES),
                          labels={c.code: f"{c.name} ({c.role})" for c in STATES})],
    "data": [Param("q", "text", "", hi=100)],
}
ALL_PAGE_PARAMS = [p for ps in PAGE_PARAMS.values() for p in ps]
NOTICE_ICON = ":material/link_off:"
MARK = "ZQ9"  # planted in hostile values: wherever it shows up in a notice, it must be inside a code span
PURE = settings(derandomize=True, database=None, deadline=None, max_examples=300)
PAGES_RUN = settings(derandomize=True, database=None, deadline=None, max_examples=15,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.data_too_large])

# --- strategies ----------------------------------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'; DROP TABLE observation; --",
           "1 OR 1=1", "[click](https://evil.example)", "![x](https://evil.example/p.png)", "`", "```", "$x^2$",
           ":red[alarm]", ":material/warning:", "**bold**", "<b>x</b>", "\x00", "\n", "\r\n", "\t", "\u202e",
           "\u2028", "\ufeff", "%00", "%0A", "../../etc/passwd", "${7*7}", "{{7*7}}", "9" * 5000, "２０２０", "²⁰²⁰",
           "1e3", "2010.0", "-0", "+2010", " 2010 ", "0x7DA", "NaN", "None", "null", "[]", "{}", ",,,",
           "KAZ,,KAZ", "kaz", " KAZ ", "WLD,EUU", "best", "BEST", "x" * 10_000]
hostile = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30),
                     st.tuples(st.text(max_size=10), st.sampled_from(HOSTILE), st.text(max_size=10))
                     .map(lambda t: t[0] + MARK + t[1] + t[2]))
spaced = st.sampled_from(["", " ", "\t"])


def near(option: str):
    """An option as a hand-edited link may write it: other letter case, spaces around it."""
    return st.tuples(spaced, st.sampled_from([option, option.lower(), option.upper()]), spaced).map("".join)


def value_for(p: Param):
    """Values a link may carry for `p`: valid, nearly valid, or anything at all."""
    if p.kind == "choice":
        likely = st.sampled_from(p.options).flatmap(near)
    elif p.kind == "codes":
        likely = st.lists(st.sampled_from(p.options).flatmap(near) | hostile, max_size=5).map(",".join)
    elif p.kind == "int":
        likely = st.integers(p.lo - 30, p.hi + 30).map(str) | st.integers().map(str)
    elif p.kind == "flag":
        likely = st.sampled_from(["1", "0", "true", "False", "YES", "no", "on", "off", " 1 ", "2", ""])
    else:
        likely = st.text(max_size=p.hi + 20)
    return st.one_of(likely, likely, hostile)


@st.composite
def query(draw, ps: list[Param], repeats: bool = False) -> dict:
    """Some of `ps` with some value each, plus random keys; with `repeats`, a parameter may be given twice."""
    raw = {}
    for p in ps:
        if draw(st.booleans()):
            raw[p.name] = draw(value_for(p))
            if repeats and draw(st.integers(0, 5)) == 0:
                raw[p.name] = [raw[p.name], draw(value_for(p))]
    for _ in range(draw(st.integers(0, 2))):
        raw[draw(st.text(max_size=8) | hostile)] = draw(hostile)
    return raw


@st.composite
def valid_values(draw, ps: list[Param]) -> dict:
    """A value each parameter accepts (from <= to)."""
    values = {}
    for p in ps:
        if p.kind == "choice":
            values[p.name] = draw(st.sampled_from(p.options))
        elif p.kind == "codes":
            values[p.name] = tuple(draw(st.lists(st.sampled_from(p.options), unique=True)))
        elif p.kind == "int":
            values[p.name] = draw(st.integers(p.lo, p.hi))
        elif p.kind == "flag":
            values[p.name] = draw(st.booleans())
        else:
            values[p.name] = draw(st.text(max_size=p.hi))
    if "from" in values and values["from"] > values["to"]:
        values["from"], values["to"] = values["to"], values["from"]
    return values


# --- what every outcome must satisfy -------------------------------------------------------------------------------

def assert_valid(ps: list[Param], values: dict) -> None:
    """Every value is one the catalogue or the parameter's range allows."""
    assert set(values) == {p.name for p in ps}
    for p in ps:
        v = values[p.name]
        if p.kind == "choice":
            assert v in p.options
        elif p.kind == "codes":
            assert isinstance(v, tuple) and set(v) <= set(p.options) and len(set(v)) == len(v)
        elif p.kind == "int":
            assert type(v) is int and p.lo <= v <= p.hi
        elif p.kind == "flag":
            assert type(v) is bool
        else:
            assert isinstance(v, str) and len(v) <= p.hi
    if "from" in values and "to" in values:
        assert values["from"] <= values["to"]


def denotes(p: Param, raw: str, value) -> bool:
    """Does `value` say what the link wrote, up to letter case, spaces and repeated codes?"""
    text = raw.strip()
    if p.kind == "choice":
        return text.casefold() == value.casefold()
    if p.kind == "codes":
        tokens = [t.strip().casefold() for t in raw.split(",") if t.strip()]
        return tuple(c.casefold() for c in value) == tuple(dict.fromkeys(tokens))
    if p.kind == "int":
        try:
            return int(text) == value
        except ValueError:
            return False
    if p.kind == "flag":
        return text.casefold() in (("1", "true", "yes", "on") if value else ("0", "false", "no", "off"))
    return raw == value


def names(notice: str, p: Param) -> bool:
    """Is this notice about parameter `p`? (`from=… is after to=…` is about both.)"""
    return notice.startswith((f"`{p.name}=", f"`{p.name}`")) or (
        p.name in ("from", "to") and notice.startswith("`from=") and "is after `to=" in notice)


def assert_safe(notice: str) -> None:
    """One line of text in which whatever the link carried is quoted inside code spans only."""
    assert isinstance(notice, str) and len(notice.splitlines()) == 1 and notice == notice.strip()
    parts = notice.split("`")
    assert len(parts) % 2 == 1, "unbalanced backticks"
    outside = "".join(parts[0::2])
    assert MARK not in outside, notice
    assert all(len(code) <= max(len("benchmark=") + params.MAX_SHOWN + 1, 60) for code in parts[1::2])


def assert_read_is_sound(ps: list[Param], raw: dict) -> None:
    values, notices = read(ps, raw)
    assert_valid(ps, values)
    for notice in notices:
        assert_safe(notice)
    for p in ps:
        if p.name in raw and not any(names(n, p) for n in notices):
            assert denotes(p, str(raw[p.name]), values[p.name]), (p.name, raw[p.name], values[p.name])
    unknown = [k for k in raw if k not in {p.name for p in ps}]
    if unknown:
        [note] = [n for n in notices if n.startswith("Ignored unknown parameter")]
        assert all(f"`{shown(k)}`" in note for k in unknown[:5])
    written = {p.name: serialise(p, values[p.name]) for p in ps}
    assert read(ps, written) == (values, [])  # the URL the app writes back is always clean


# --- sti.params: the pure rules -------------------------------------------------------------------------------------

SHARED = shared_params(CAT, SPAN)


@PURE
@given(raw=query(SHARED))
def test_shared_parameters_any_query(raw):
    assert_read_is_sound(SHARED, raw)


@PURE
@given(raw=query(SHARED + ALL_PAGE_PARAMS))
def test_every_parameter_any_query(raw):
    assert_read_is_sound(SHARED + ALL_PAGE_PARAMS, raw)


@PURE
@given(raw=st.dictionaries(st.text(max_size=12) | st.sampled_from([p.name for p in SHARED]), st.text()))
def test_arbitrary_dicts_of_text(raw):
    assert_read_is_sound(SHARED + ALL_PAGE_PARAMS, raw)


@PURE
@given(values=valid_values(SHARED + ALL_PAGE_PARAMS))
def test_valid_values_round_trip_unchanged(values):
    ps = SHARED + ALL_PAGE_PARAMS
    assert read(ps, {p.name: serialise(p, values[p.name]) for p in ps}) == (values, [])


@PURE
@given(p=st.sampled_from(SHARED + ALL_PAGE_PARAMS), raw=hostile)
def test_one_hostile_value_falls_back_with_a_safe_notice(p, raw):
    value, notice = params.parse(p, raw)
    assert_valid([p], {p.name: value})
    if notice is None:
        assert denotes(p, raw, value)
    else:
        assert_safe(notice)
        assert names(notice, p)
        assert value == p.default or p.kind in ("codes", "text")  # codes keep the known ones, text is cut


@PURE
@given(raw=st.text())
def test_shown_is_one_short_line_without_backticks(raw):
    out = shown(raw)
    assert "`" not in out and len(out) <= params.MAX_SHOWN + 1 and len(out.splitlines()) <= 1
    assert out == " ".join(out.split())


# --- the pages, through AppTest ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def database(tmp_path_factory):
    from etl.build import build_database

    path = tmp_path_factory.mktemp("db") / "sti.duckdb"
    build_database(path, CAT)
    con = duckdb.connect(str(path), read_only=True)
    try:
        span = queries.year_span(con)
    finally:
        con.close()
    return path, span


@pytest.fixture
def pages(database, monkeypatch):
    path, span = database
    use_database(path, monkeypatch)
    return span


def expected_notices(page: str, query: dict, span: tuple[int, int]) -> list[str]:
    """What sti.urlstate should say for `query`, from the pure rules: the query as it crosses HTTP (encoded, then
    parsed; Streamlit keeps `embed` and `embed_options` for itself), repeated values joined as _bind joins them."""
    arrived = parse_qs(urlencode(query, doseq=True), keep_blank_values=True)
    arrived = {k: v for k, v in arrived.items() if k.lower() not in ("embed", "embed_options")}
    ps = shared_params(CAT, span) + PAGE_PARAMS[page]
    codes = {p.name for p in ps if p.kind == "codes"}
    raw = {k: ",".join(v) if k in codes else v[-1] for k, v in arrived.items()}
    repeated = [f"`{shown(k)}` appeared {len(v)} times in the link; using `{shown(raw[k])}`."
                for k, v in arrived.items() if len(v) > 1]
    return repeated + read(ps, raw)[1]


def check_page(page: str, query: dict, span: tuple[int, int]) -> None:
    at = run_page(page, query)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]  # dashboard.py turns a page's exception into an error box
    shown_notices = [w.value for w in at.warning if w.icon == NOTICE_ICON]
    expected = expected_notices(page, query, span)
    event("notices expected" if expected else "a clean link")
    if page == "explorer" and shown_notices[len(expected):]:  # the one notice a combination of values may add
        [extra] = shown_notices[len(expected):]
        assert extra.endswith("form; shown as published.")
        shown_notices = shown_notices[:len(expected)]
    assert shown_notices == expected
    ps = shared_params(CAT, span) + PAGE_PARAMS[page]
    left = {k: v for k, v in at.query_params.items() if k.lower() not in ("embed", "embed_options")}
    assert set(left) == {p.name for p in ps}  # unknown keys removed, every parameter written
    assert read(ps, left)[1] == []  # and every value written back is valid


@PAGES_RUN
@given(data=st.data())
@pytest.mark.parametrize("page", list(PAGES))
def test_any_query_on_any_page_falls_back_with_notices(pages, page, data):
    span = pages
    ps = shared_params(CAT, span) + PAGE_PARAMS[page]
    check_page(page, data.draw(query(ps, repeats=True)), span)


@settings(PAGES_RUN, max_examples=15)
@given(page=st.sampled_from(list(PAGES)), data=st.data())
def test_a_valid_link_is_reproduced_exactly_and_silently(pages, page, data):
    span = pages
    ps = shared_params(CAT, span) + PAGE_PARAMS[page]
    values = data.draw(valid_values(ps))
    if page == "explorer" and CAT.indicator(values["indicator"]).scaling(values["per"]) is None:
        values["per"] = "none"  # a form the series does not have is a (tested) notice, not a valid link
    link = {p.name: serialise(p, values[p.name]) for p in ps}
    at = run_page(page, link)
    assert not at.exception and not at.error
    assert not [w.value for w in at.warning if w.icon == NOTICE_ICON]
    assert dict(at.query_params) == link
