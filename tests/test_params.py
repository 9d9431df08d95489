"""URL parameters: every value is checked, anything else falls back to the default with a notice."""
import pytest

from sti.params import MAX_SHOWN, Param, parse, read, serialise, shown

COUNTRIES = Param("countries", "codes", ("AZE", "KAZ"), options=("AZE", "KAZ", "KGZ", "TUR"))
BENCH = Param("benchmark", "choice", "WLD", options=("WLD", "EUU", "best"), labels={"WLD": "World"})
FROM = Param("from", "int", 2000, lo=1960, hi=2025)
TO = Param("to", "int", 2025, lo=1960, hi=2025)
LOG = Param("log", "flag", False)
QUERY = Param("q", "text", "", hi=20)
ALL = [COUNTRIES, BENCH, FROM, TO, LOG, QUERY]


def test_valid_values_round_trip():
    raw = {"countries": "KGZ,TUR", "benchmark": "EUU", "from": "2005", "to": "2020", "log": "1", "q": "patents"}
    values, notices = read(ALL, raw)
    assert notices == []
    assert values == {"countries": ("KGZ", "TUR"), "benchmark": "EUU", "from": 2005, "to": 2020, "log": True,
                      "q": "patents"}
    assert {p.name: serialise(p, values[p.name]) for p in ALL} == raw


def test_absent_parameters_take_their_defaults_silently():
    values, notices = read(ALL, {})
    assert notices == [] and values["countries"] == ("AZE", "KAZ") and values["to"] == 2025


@pytest.mark.parametrize("param, raw, why", [
    (BENCH, "XYZ", "is not one of"),
    (FROM, "abc", "is not a whole number"),
    (FROM, "1800", "is outside 1960–2025"),
    (FROM, "2000.5", "is not a whole number"),
    (LOG, "maybe", "is not 1 or 0"),
    (COUNTRIES, "XXX,YYY", "names no state we cover"),
])
def test_a_bad_value_falls_back_to_the_default_and_says_so(param, raw, why):
    value, notice = parse(param, raw)
    assert value == param.default
    assert why in notice and param.name in notice and "instead" in notice


def test_codes_keep_the_known_ones_and_name_the_rest():
    value, notice = parse(COUNTRIES, "kaz, XXX,TUR,KAZ")
    assert value == ("KAZ", "TUR")  # case-insensitive, de-duplicated, order kept
    assert "XXX" in notice


def test_an_empty_selection_is_allowed():
    assert parse(COUNTRIES, "") == ((), None)


def test_a_backwards_year_range_falls_back_to_the_default_range():
    values, notices = read(ALL, {"from": "2020", "to": "2010"})
    assert (values["from"], values["to"]) == (2000, 2025)
    assert "after" in notices[0]


def test_unknown_parameters_are_named():
    _, notices = read(ALL, {"foo": "1", "bar": "2"})
    assert notices == ["Ignored unknown parameters `foo`, `bar` in the link."]


def test_long_text_is_cut_and_said():
    value, notice = parse(QUERY, "x" * 50)
    assert value == "x" * 20 and "cut" in notice


def test_hostile_values_are_quoted_harmlessly():
    raw = "<script>alert(1)</script>`\n" + "a" * 500
    _, notice = parse(BENCH, raw)
    quoted = notice.split("`")[1]
    assert "\n" not in notice and len(quoted) <= len("benchmark=") + MAX_SHOWN + 1
    assert shown("a`b") == "a'b"


def test_ignored_codes_are_quoted_as_code_not_rendered():
    """Regression (fuzzing): ignored codes went into the notice as Markdown, so `countries=KAZ,[click](https://e.x)`
    drew a working link inside the app's own warning (and `![x](url)` would load an image from anywhere)."""
    value, notice = parse(COUNTRIES, "KAZ,[click](https://evil.example),![x](https://e.example/p.png)")
    assert value == ("KAZ",)
    assert notice == "`countries`: ignored `[click](https://evil.example), ![x](http…` (not a state we cover)."
