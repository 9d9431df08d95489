"""The World Bank API v2 client against a local HTTP server speaking the documented format."""
import json
import os
from pathlib import Path

import pytest
from werkzeug.wrappers import Response

from etl.cli import main
from etl.http import make_session
from etl.importer import Batch, read_path
from etl.series import SourceError
from etl.sources.worldbank import check_page, fetch_pages, parse_api_pages
from sti.db import read_contents
from tests.conftest import wb_pages, wb_row

OURS = ["AZE", "KAZ", "KGZ", "TUR", "UZB", "HUN", "TKM", "WLD"]


def _data(n_years=6):
    return {"GB.XPD.RSDV.GD.ZS": [(c, 2000 + k, round(0.1 * (i + 1) + k / 100, 4))
                                  for i, c in enumerate(OURS) for k in range(n_years)] + [("USA", 2000, 3.4)]}


def test_paging_collects_every_page(fake_worldbank, catalog):
    fake = fake_worldbank(_data(), {"GB.XPD.RSDV.GD.ZS": "2026-07-13"})
    url, pages = fetch_pages(make_session(backoff_factor=0), os.environ["STI_WORLDBANK_API"], "GB.XPD.RSDV.GD.ZS",
                             OURS, timeout=5, per_page=10)
    assert len(pages) == 5 and [p[0]["page"] for p in pages] == [1, 2, 3, 4, 5]
    [series] = parse_api_pages(pages, url, catalog, strict=True)
    assert series.rows == 48 and series.vintage == "2026-07-13"
    assert [r.split("&page=")[1][:1] for r in fake.requests] == ["1", "2", "3", "4", "5"]


def test_one_semicolon_request_per_indicator(fake_worldbank, catalog, db_path):
    fake = fake_worldbank({**_data(), "SP.POP.TOTL": [("AZE", 2020, 10093121.0)]},
                          {"GB.XPD.RSDV.GD.ZS": "2026-07-13", "SP.POP.TOTL": "2025-07-01"})
    assert main(["refresh", "--source", "worldbank", "--indicator", "GB.XPD.RSDV.GD.ZS", "SP.POP.TOTL"]) == 0
    assert len(fake.requests) == 2
    codes = [c.code for c in catalog.fetchable_countries()]
    for request in fake.requests:
        assert request.startswith(f"/v2/country/{'%3B'.join(codes)}/indicator/") or \
            request.startswith(f"/v2/country/{';'.join(codes)}/indicator/")
        assert "per_page=20000" in request
    obs = read_contents(db_path).observations
    assert set(obs["indicator"]) == {"GB.XPD.RSDV.GD.ZS", "SP.POP.TOTL"}
    assert "USA" not in set(obs["country"])


def test_error_envelope_with_http_200_fails_that_series_only(fake_worldbank, db_path, capsys):
    fake = fake_worldbank({**_data(), "SP.POP.TOTL": [("AZE", 2020, 10093121.0)]},
                          {"GB.XPD.RSDV.GD.ZS": "2026-07-13", "SP.POP.TOTL": "2025-07-01"})
    assert main(["refresh", "--source", "worldbank", "--indicator", "GB.XPD.RSDV.GD.ZS", "SP.POP.TOTL"]) == 0
    before = read_contents(db_path).observations
    fake.overrides["GB.XPD.RSDV.GD.ZS"] = [{"message": [{"id": "120", "key": "Invalid value",
                                                         "value": "The provided parameter value is not valid"}]}]
    assert main(["refresh", "--source", "worldbank", "--indicator", "GB.XPD.RSDV.GD.ZS", "SP.POP.TOTL"]) == 1
    err = capsys.readouterr().err
    assert "GB.XPD.RSDV.GD.ZS" in err and "Invalid value" in err and "/indicator/GB.XPD.RSDV.GD.ZS" in err
    after = read_contents(db_path)
    kept = after.observations[after.observations["indicator"] == "GB.XPD.RSDV.GD.ZS"]
    assert kept.reset_index(drop=True).equals(
        before[before["indicator"] == "GB.XPD.RSDV.GD.ZS"].reset_index(drop=True))
    assert "failed" in set(after.runs["status"]) and "ok" in set(after.runs["status"])


def test_html_page_and_truncated_body_are_refused(httpserver, catalog):
    httpserver.expect_request("/v2/country/AZE/indicator/A").respond_with_data(
        "<html><body>Down for maintenance</body></html>", content_type="text/html")
    httpserver.expect_request("/v2/country/AZE/indicator/B").respond_with_data('[{"page":1,"pages":1,"tot',
                                                                              content_type="application/json")
    session = make_session(backoff_factor=0)
    with pytest.raises(SourceError, match="HTML page"):
        fetch_pages(session, httpserver.url_for("/v2"), "A", ["AZE"], timeout=5)
    with pytest.raises(SourceError, match="not valid JSON"):
        fetch_pages(session, httpserver.url_for("/v2"), "B", ["AZE"], timeout=5)


def test_total_that_does_not_match_the_rows(catalog):
    [page] = wb_pages([wb_row("GB.XPD.RSDV.GD.ZS", "AZE", 2020, 0.2)], 50, "2026-07-13")
    page[0]["total"] = 2
    with pytest.raises(SourceError, match="announces 2 rows but 1 arrived"):
        parse_api_pages([page], "u", catalog, strict=True)


def test_duplicate_rows_and_non_numeric_values(catalog):
    row = wb_row("GB.XPD.RSDV.GD.ZS", "AZE", 2020, 0.2)
    with pytest.raises(SourceError, match="more than one value for AZE 2020"):
        parse_api_pages(wb_pages([row, row], 50, "2026-07-13"), "u", catalog, strict=True)
    with pytest.raises(SourceError, match="'0.2' for AZE 2020 is not a number"):
        parse_api_pages(wb_pages([wb_row("GB.XPD.RSDV.GD.ZS", "AZE", 2020, "0.2")], 50, "2026-07-13"), "u",
                        catalog, strict=True)


def test_unknown_economy_is_an_error_when_strict(catalog):
    pages = wb_pages([wb_row("GB.XPD.RSDV.GD.ZS", "USA", 2020, 3.4)], 50, "2026-07-13")
    with pytest.raises(SourceError, match="economy 'USA' was not asked for"):
        parse_api_pages(pages, "u", catalog, strict=True)
    assert parse_api_pages(pages, "u", catalog, strict=False) == []


def test_income_aggregate_with_empty_iso3_maps_through_its_id(catalog):
    row = wb_row("GB.XPD.RSDV.GD.ZS", "XT", 2020, 1.7, iso3="", name="Upper middle income")
    [series] = parse_api_pages(wb_pages([row], 50, "2026-07-13"), "u", catalog, strict=True)
    assert series.data["country"].tolist() == ["UMC"]


def test_retries_transient_5xx_then_succeeds(httpserver, catalog):
    calls = []
    body = wb_pages([wb_row("GB.XPD.RSDV.GD.ZS", "AZE", 2020, 0.2)], 50, "2026-07-13")[0]

    def handler(request):
        calls.append(1)
        if len(calls) <= 2:
            return Response("busy", status=503)
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/v2/country/AZE/indicator/GB.XPD.RSDV.GD.ZS").respond_with_handler(handler)
    url, pages = fetch_pages(make_session(backoff_factor=0), httpserver.url_for("/v2"), "GB.XPD.RSDV.GD.ZS", ["AZE"],
                             timeout=5)
    assert len(calls) == 3
    assert parse_api_pages(pages, url, catalog, strict=True)[0].rows == 1


def test_gives_up_after_three_retries_with_a_clear_message(httpserver):
    httpserver.expect_request("/v2/country/AZE/indicator/X").respond_with_data("down", status=502)
    with pytest.raises(SourceError, match="HTTP 502"):
        fetch_pages(make_session(backoff_factor=0), httpserver.url_for("/v2"), "X", ["AZE"], timeout=5)
    assert len(httpserver.log) == 4  # the first try and three retries


def test_honours_retry_after(httpserver, catalog):
    import time
    calls = []
    body = wb_pages([wb_row("GB.XPD.RSDV.GD.ZS", "AZE", 2020, 0.2)], 50, "2026-07-13")[0]

    def handler(request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/v2/country/AZE/indicator/GB.XPD.RSDV.GD.ZS").respond_with_handler(handler)
    fetch_pages(make_session(backoff_factor=0), httpserver.url_for("/v2"), "GB.XPD.RSDV.GD.ZS", ["AZE"], timeout=5)
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.9


def test_unreachable_server_is_a_message_not_a_traceback(db_path, monkeypatch, capsys):
    monkeypatch.setenv("STI_WORLDBANK_API", "http://127.0.0.1:9/v2")
    monkeypatch.setenv("STI_HTTP_TIMEOUT", "2")
    monkeypatch.setattr("etl.cli.make_session", lambda: make_session(backoff_factor=0))
    assert main(["refresh", "--source", "worldbank", "--indicator", "SP.POP.TOTL"]) == 1
    err = capsys.readouterr().err
    assert "could not connect to the server (Connection refused), after retries" in err and "Traceback" not in err
    assert "nothing was stored for it yet" in err and "kept the stored" not in err  # there was no database


# '²' and 5,000 digits: regressions (fuzzing), isdigit() passed them on to int(), which raised a bare ValueError
@pytest.mark.parametrize("field,value", [("pages", None), ("total", "many"), ("page", 1.5), ("page", "²"),
                                         ("total", "9" * 5000)])
def test_a_malformed_page_header_is_a_message(catalog, field, value):
    [page] = wb_pages([wb_row("GB.XPD.RSDV.GD.ZS", "AZE", 2020, 0.2)], 50, "2026-07-13")
    page[0][field] = value
    with pytest.raises(SourceError, match=f"'{field}' is not a whole number"):
        parse_api_pages([page], "u", catalog, strict=True)


def test_an_unexpected_error_in_one_series_does_not_sink_the_others(fake_worldbank, db_path, monkeypatch, capsys):
    fake_worldbank({**_data(), "SP.POP.TOTL": [("AZE", 2020, 10093121.0)]},
                   {"GB.XPD.RSDV.GD.ZS": "2026-07-13", "SP.POP.TOTL": "2025-07-01"})
    import etl.refresh
    real = etl.refresh.fetch_one

    def flaky(indicator, *args, **kwargs):
        if indicator.code == "SP.POP.TOTL":
            raise KeyError("surprise")
        return real(indicator, *args, **kwargs)

    monkeypatch.setattr(etl.refresh, "fetch_one", flaky)
    assert main(["refresh", "--source", "worldbank", "--indicator", "GB.XPD.RSDV.GD.ZS", "SP.POP.TOTL"]) == 1
    assert set(read_contents(db_path).observations["indicator"]) == {"GB.XPD.RSDV.GD.ZS"}
    assert "unexpected KeyError" in capsys.readouterr().err


def test_a_response_saved_as_several_page_files_imports_together(tmp_path, db_path, capsys):
    rows = [wb_row("GB.XPD.RSDV.GD.ZS", c, 2020, v) for c, v in [("AZE", 0.2), ("KAZ", 0.13), ("TUR", 1.4)]]
    for n, page in enumerate(wb_pages(rows, 2, "2026-07-13"), start=1):
        (tmp_path / f"page{n}.json").write_text(json.dumps(page))
    assert main(["import", str(tmp_path / "page1.json")]) == 1
    assert "holds page(s) 1 of 2" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "page2.json"), str(tmp_path / "page1.json")]) == 0
    obs = read_contents(db_path).observations
    assert sorted(obs[obs["indicator"] == "GB.XPD.RSDV.GD.ZS"]["country"]) == ["AZE", "KAZ", "TUR"]


def test_non_finite_timeout_is_refused_by_name(monkeypatch, db_path, capsys):
    monkeypatch.setenv("STI_HTTP_TIMEOUT", "nan")
    assert main(["refresh", "--indicator", "SP.POP.TOTL"]) == 2  # a usage error: nothing is fetched
    assert "STI_HTTP_TIMEOUT" in capsys.readouterr().err
    assert not db_path.exists()


def _save(path, page):
    path.write_text(json.dumps(page))
    return str(path)


def test_page_files_of_different_responses_are_never_merged(tmp_path, db_path, capsys):
    assert main(["build"]) == 0
    before = read_contents(db_path).observations
    a = [wb_row("IT.NET.USER.ZS", c, 2020, 50.0) for c in ("AZE", "KAZ", "TUR")]
    b = [wb_row("IT.CEL.SETS.P2", c, 2020, 99.0) for c in ("AZE", "KAZ", "TUR")]
    mixed = [_save(tmp_path / "a1.json", wb_pages(a, 2, "2025-04-15")[0]),
             _save(tmp_path / "b2.json", wb_pages(b, 2, "2025-04-15")[1])]
    assert main(["import", *mixed]) == 1
    assert "holds page(s) 1 of 2" in capsys.readouterr().err
    assert read_contents(db_path).observations.equals(before)


def test_complete_single_page_responses_import_side_by_side(tmp_path, db_path):
    one = _save(tmp_path / "one.json", wb_pages([wb_row("IT.NET.USER.ZS", "AZE", 2030, 50.0)], 50, "2099-01-01")[0])
    two = _save(tmp_path / "two.json", wb_pages([wb_row("IT.CEL.SETS.P2", "AZE", 2030, 99.0)], 50, "2099-01-01")[0])
    assert main(["import", "--fresh", one, two, one]) == 0  # the same file twice is harmless
    obs = read_contents(db_path).observations
    assert sorted(obs["indicator"]) == ["IT.CEL.SETS.P2", "IT.NET.USER.ZS"]


def test_the_apis_empty_answer_is_not_an_error(tmp_path, catalog):
    empty = [{"page": 1, "pages": 0, "per_page": 50, "total": 0, "sourceid": None, "lastupdated": "2026-07-13"}, None]
    assert parse_api_pages([empty], "u", catalog, strict=True) == []


def test_inconsistent_paging_is_refused(catalog):
    rows = [wb_row("GB.XPD.RSDV.GD.ZS", c, 2020, 0.2) for c in ("AZE", "KAZ", "TUR")]
    first, second = wb_pages(rows, 2, "2026-07-13")
    first[1] = first[1][:1]
    second[1] = second[1] + rows[1:2]
    with pytest.raises(SourceError, match="do not fit per_page"):
        parse_api_pages([first, second], "u", catalog, strict=True)
    with pytest.raises(SourceError, match="not 1, 2, 3"):
        parse_api_pages([second, first], "u", catalog, strict=True)


@pytest.mark.parametrize("message", ["Invalid value", 5, {"id": "120"}, ["Invalid value"]])
def test_an_error_envelope_of_another_shape_is_still_reported(message):
    """Regression (fuzzing): a `message` that is not a list of objects raised AttributeError or TypeError."""
    with pytest.raises(SourceError, match=r"u: the World Bank API returned an error: .*(Invalid value|5|120)"):
        check_page([{"message": message}], "u")


def test_a_row_whose_economy_or_indicator_is_not_text_is_refused(catalog):
    """Regression (fuzzing): `"countryiso3code": 5` raised AttributeError ('int' has no strip) in the catalogue."""
    row = wb_row("GB.XPD.RSDV.GD.ZS", "AZE", 2020, 0.2) | {"countryiso3code": 5}
    with pytest.raises(SourceError, match=r"u: row 1: indicator 'GB.XPD.RSDV.GD.ZS' or economy 5 is not a text code"):
        parse_api_pages(wb_pages([row], 50, "2026-07-13"), "u", catalog, strict=False)


def test_per_page_in_other_digits_is_refused(catalog):
    """Regression (fuzzing): per_page '²' passed isdigit() and raised ValueError in int()."""
    pages = wb_pages([wb_row("GB.XPD.RSDV.GD.ZS", c, 2020, 0.2) for c in ("AZE", "KAZ", "TUR")], 2, "2026-07-13")
    for page in pages:
        page[0]["per_page"] = "²"
    with pytest.raises(SourceError, match="do not fit per_page '²'"):
        parse_api_pages(pages, "u", catalog, strict=True)


@pytest.mark.parametrize("text, problem", [("[" * 100_000, "nested too deeply"),
                                           ("[" + "1" * 5000 + "]", "Exceeds the limit")])
def test_a_json_file_python_cannot_read_is_named(tmp_path, catalog, text, problem):
    """Regression (fuzzing): RecursionError, and the ValueError of an integer over 4,300 digits, escaped read_path."""
    path = tmp_path / "page1.json"
    path.write_text(text)
    with pytest.raises(SourceError, match=f"page1.json: is not valid JSON: {problem}"):
        read_path(path, catalog, Batch())


def test_page_files_with_a_row_whose_indicator_is_not_an_object(tmp_path, catalog):
    """Regression (fuzzing): grouping the pages of a response in finish() called .get on a string."""
    pages = wb_pages([wb_row("GB.XPD.RSDV.GD.ZS", c, 2020, 0.2) for c in ("AZE", "KAZ", "TUR")], 2, "2026-07-13")
    pages[0][1][0]["indicator"] = "GB.XPD.RSDV.GD.ZS"
    batch = Batch()
    for n, page in enumerate(pages, start=1):
        read_path(Path(_save(tmp_path / f"page{n}.json", page)), catalog, batch)
    with pytest.raises(SourceError, match="row 1 lacks indicator, country, date or value"):
        batch.finish(catalog)


def test_a_page_file_announcing_absurdly_many_pages(tmp_path, catalog):
    """Regression (fuzzing): finish() built list(range(1, pages + 1)) for the announced count: MemoryError or
    OverflowError for `"pages": 10**20`."""
    page = [{"page": 2, "pages": 10**20, "per_page": 1, "total": 10**20, "lastupdated": "2026-07-13"},
            [wb_row("GB.XPD.RSDV.GD.ZS", "AZE", 2020, 0.2)]]
    batch = Batch()
    read_path(Path(_save(tmp_path / "page2.json", page)), catalog, batch)
    with pytest.raises(SourceError, match=r"holds page\(s\) 2 of 100000000000000000000"):
        batch.finish(catalog)
