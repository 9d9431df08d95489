"""Fault injection: `python -m etl refresh` against a local World Bank API that fails in the ways publishers do.

Every case starts from a database refreshed once (vintage OLD), then refreshes three series again while the server
serves a newer vintage (NEW) and misbehaves for one of them. Each asserts the exit code, the message (series, URL,
reason, never a traceback), what the database holds afterwards (the faulty series exactly as before, the others
updated, no series lost) and the per-series rows of `etl_run`.
"""
from __future__ import annotations

import itertools
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from etl import http
from etl.cli import main
from sti.db import read_contents
from tests.conftest import FakeWorldBank

SERIES = ("GB.XPD.RSDV.GD.ZS", "IP.PAT.RESD", "SP.POP.TOTL")
FAULTY = "IP.PAT.RESD"
OLD, NEW = "2026-01-15", "2026-07-01"
COUNTRIES = ("AZE", "KAZ", "KGZ", "TUR", "UZB", "WLD")


def data(version: int) -> dict[str, list[tuple[str, int, float]]]:
    """Distinct values per series, country, year and version, so any mix-up shows in the sums."""
    return {code: [(c, year, float(100 * version + 10 * n + k + year % 7))
                   for k, c in enumerate(COUNTRIES) for year in range(2015, 2023)]
            for n, code in enumerate(SERIES)}


Fault = Callable[[Request, int, Response], Response | None]  # (request, attempt, normal answer) -> answer or None


class FaultyWorldBank:
    """The fake API with a fault plan per indicator; counts every attempt per indicator."""

    def __init__(self, fake: FakeWorldBank):
        self.fake, self.plan, self.attempts = fake, {}, {}

    def handler(self, request: Request) -> Response:
        code = re.sub(r".*/indicator/", "", request.path)
        self.attempts[code] = self.attempts.get(code, 0) + 1
        normal = self.fake.handler(request)
        fault = self.plan.get(code)
        answer = fault(request, self.attempts[code], normal) if fault else None
        return normal if answer is None else answer


@pytest.fixture
def server():
    # Threaded: a fault that stalls one series must not hold up the others' requests.
    srv = HTTPServer(threaded=True)
    srv.start()
    yield srv
    srv.clear()
    if srv.is_running():
        srv.stop()


@pytest.fixture
def api(server, db_path, monkeypatch):
    """A database refreshed once at vintage OLD; then the server serves NEW, with no faults planned yet."""
    fake = FakeWorldBank(data(1), dict.fromkeys(SERIES, OLD))
    faulty = FaultyWorldBank(fake)
    server.expect_request(re.compile(r"^/v2/.*")).respond_with_handler(faulty.handler)
    monkeypatch.setenv("STI_WORLDBANK_API", server.url_for("/v2"))
    monkeypatch.setenv("STI_HTTP_TIMEOUT", "5")
    monkeypatch.setattr(http, "BACKOFF_FACTOR", 0.0)  # the backoff is urllib3's; tests need not wait for it
    assert refresh() == 0
    fake.data, fake.lastupdated = data(2), dict.fromkeys(SERIES, NEW)
    faulty.attempts.clear()
    return faulty


def refresh() -> int:
    return main(["refresh", "--source", "worldbank", "--indicator", *SERIES])


def stored(db_path) -> dict[str, tuple[str, int, float]]:
    obs = read_contents(db_path).observations
    obs = obs[obs["indicator"].isin(SERIES)]
    return {code: (g["vintage"].iloc[0], len(g), round(float(g["value"].sum()), 6))
            for code, g in obs.groupby("indicator")}


def expected(faulty_version: int | None) -> dict[str, tuple[str, int, float]]:
    """What the database should hold: every series at NEW, the faulty one at OLD (or NEW if it recovered)."""
    out = {}
    for version, vintage in ((1, OLD), (2, NEW)):
        for code, rows in data(version).items():
            if (code == FAULTY and faulty_version == version) or (code != FAULTY and version == 2):
                out[code] = (vintage, len(rows), round(sum(v for *_, v in rows), 6))
    return out


def last_run(db_path) -> dict[str, tuple[str, str]]:
    runs = read_contents(db_path).runs
    latest = runs[runs["started"] == runs["started"].max()]
    return {m.split(":")[0]: (s, m) for s, m in zip(latest["status"], latest["message"])}


def assert_failed(db_path, capsys, reason: str) -> str:
    """The faulty series failed with a message naming it, its URL and `reason`; everything else refreshed."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = next(x for x in err.splitlines() if x.startswith(f"failed: {FAULTY} "))
    assert "/v2/country/" in line and f"/indicator/{FAULTY}" in line, line
    assert re.search(reason, line), line
    assert "1 of 3 series failed; whatever was stored for them is kept" in err
    assert stored(db_path) == expected(faulty_version=1)
    status, message = last_run(db_path)[FAULTY]
    assert status == "failed" and re.search(reason, message) and "kept the stored series" in message
    assert {last_run(db_path)[c][0] for c in SERIES if c != FAULTY} == {"ok"}
    return err


def assert_recovered(db_path, capsys) -> None:
    err = capsys.readouterr().err
    assert "failed" not in err and "Traceback" not in err
    assert stored(db_path) == expected(faulty_version=2)
    assert {last_run(db_path)[c][0] for c in SERIES} == {"ok"}


# --- faults that a retry clears ---------------------------------------------------------------------------------------

def status(code: int, **headers: str) -> Response:
    return Response(f"status {code}", status=code, headers=headers, content_type="text/plain")


def first(n: int, answer: Callable[[], Response | None]) -> Fault:
    return lambda request, attempt, normal: answer() if attempt <= n else None


class ResettingProxy:
    """A TCP proxy in front of the fake API that answers a request with a TCP reset (SO_LINGER 0) when `reset(path)`
    says so, as an overloaded load balancer does; other requests pass through, one per connection."""

    def __init__(self, upstream_port: int, reset: Callable[[str], bool]):
        self.upstream, self.reset = upstream_port, reset
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            path = head.split(b" ", 2)[1].decode()
            if self.reset(path):
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return  # closing now sends RST instead of an answer
            head = head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
            with socket.create_connection(("127.0.0.1", self.upstream)) as up:
                up.sendall(head)
                while chunk := up.recv(65536):
                    client.sendall(chunk)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def resetting(api, server, monkeypatch):
    """Route the API through a ResettingProxy; returns a function setting how many tries of FAULTY are reset."""
    budget = {"left": 0}

    def reset(path: str) -> bool:
        if f"/indicator/{FAULTY}" in path and budget["left"] != 0:
            budget["left"] -= 1
            api.attempts[FAULTY] = api.attempts.get(FAULTY, 0) + 1
            return True
        return False

    proxy = ResettingProxy(server.port, reset)
    monkeypatch.setenv("STI_WORLDBANK_API", f"http://127.0.0.1:{proxy.port}/v2")
    yield lambda n: budget.update(left=n)
    proxy.close()


def stall(seconds: float) -> Callable[[], None]:
    def answer() -> None:
        time.sleep(seconds)  # then the normal answer, to a client that stopped waiting
    return answer


@pytest.mark.parametrize("code", [500, 502, 503])
def test_5xx_that_clears_on_retry(api, db_path, capsys, code):
    api.plan[FAULTY] = first(2, lambda: status(code))
    assert refresh() == 0
    assert api.attempts[FAULTY] == 3
    assert_recovered(db_path, capsys)


def test_429_with_retry_after_is_honoured(api, db_path, capsys):
    times: list[float] = []

    def fault(request, attempt, normal):
        times.append(time.monotonic())
        return status(429, **{"Retry-After": "1"}) if attempt == 1 else None

    api.plan[FAULTY] = fault
    assert refresh() == 0
    assert len(times) == 2 and times[1] - times[0] >= 0.95
    assert_recovered(db_path, capsys)


def test_a_cdn_error_status_and_a_malformed_retry_after_are_retried(api, db_path, capsys):
    answers = {1: status(503, **{"Retry-After": "1.5"}), 2: status(522)}  # RFC 9110 asks for whole seconds
    api.plan[FAULTY] = lambda request, attempt, normal: answers.get(attempt)
    assert refresh() == 0
    assert api.attempts[FAULTY] == 3
    assert_recovered(db_path, capsys)


def test_the_backoff_grows_between_tries(api, db_path, capsys, monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_FACTOR", 0.2)  # waits 0, 0.4, 0.8 s (plus jitter) before tries 2, 3, 4
    times: list[float] = []

    def fault(request, attempt, normal):
        times.append(time.monotonic())
        return status(503)

    api.plan[FAULTY] = fault
    assert refresh() == 1
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) == 3 and gaps[1] >= 0.4 and gaps[2] >= 0.8, gaps
    assert_failed(db_path, capsys, r"HTTP 503")


def test_read_timeout_that_clears_on_retry(api, db_path, capsys, monkeypatch):
    monkeypatch.setenv("STI_HTTP_TIMEOUT", "0.5")
    api.plan[FAULTY] = lambda request, attempt, normal: stall(1.5)() if attempt == 1 else None
    assert refresh() == 0
    assert api.attempts[FAULTY] == 2
    assert_recovered(db_path, capsys)


def test_connection_reset_that_clears_on_retry(api, resetting, db_path, capsys):
    resetting(1)
    assert refresh() == 0
    assert api.attempts[FAULTY] == 2
    assert_recovered(db_path, capsys)


# --- faults that last: the series fails, keeps its data, the others refresh --------------------------------------------

def test_503_forever(api, db_path, capsys):
    api.plan[FAULTY] = lambda request, attempt, normal: status(503)
    assert refresh() == 1
    assert api.attempts[FAULTY] == 4  # the first try and three retries
    assert_failed(db_path, capsys, r"HTTP 503 .*after 3 retries")


def test_read_timeout_forever(api, db_path, capsys, monkeypatch):
    monkeypatch.setenv("STI_HTTP_TIMEOUT", "0.3")
    api.plan[FAULTY] = lambda request, attempt, normal: stall(0.8)()
    assert refresh() == 1
    assert api.attempts[FAULTY] == 4
    assert_failed(db_path, capsys, r"no answer within 0.3 s \(STI_HTTP_TIMEOUT\), after retries")


def test_connection_reset_forever(api, resetting, db_path, capsys):
    resetting(-1)  # every try
    assert refresh() == 1
    assert api.attempts[FAULTY] == 4
    assert_failed(db_path, capsys, r"the connection was reset or closed before an answer, after retries")


def test_html_maintenance_page_with_status_200(api, db_path, capsys):
    page = "\ufeff<!DOCTYPE html>\r\n<html><body><h1>Service under maintenance</h1></body></html>\r\n"
    api.plan[FAULTY] = lambda request, attempt, normal: Response(page, content_type="text/html")
    assert refresh() == 1
    assert api.attempts[FAULTY] == 1  # a 200 is not retried
    assert_failed(db_path, capsys, r"HTML page, not JSON")


def test_error_envelope_with_status_200(api, db_path, capsys):
    envelope = [{"message": [{"id": "120", "key": "Invalid value",
                              "value": "The provided parameter value is not valid"}]}]
    api.plan[FAULTY] = lambda request, attempt, normal: Response(json.dumps(envelope),
                                                                  content_type="application/json")
    assert refresh() == 1
    assert_failed(db_path, capsys, r"returned an error: Invalid value: The provided parameter value is not valid \(id 120\)")


def test_truncated_json(api, db_path, capsys):
    api.plan[FAULTY] = lambda request, attempt, normal: Response(normal.get_data()[:300],
                                                                  content_type="application/json")
    assert refresh() == 1
    assert_failed(db_path, capsys, r"not valid JSON \(truncated\?\)")


def cut_short(request, attempt, normal):
    body = normal.get_data()
    answer = Response(body[:300], content_type="application/json")
    answer.headers["Content-Length"] = str(len(body))  # the connection closes before the promised bytes
    return answer


def test_body_cut_short_that_clears_on_retry(api, db_path, capsys):
    api.plan[FAULTY] = lambda request, attempt, normal: cut_short(request, attempt, normal) if attempt == 1 else None
    assert refresh() == 0
    assert api.attempts[FAULTY] == 2
    assert_recovered(db_path, capsys)


def test_body_cut_short_forever(api, db_path, capsys):
    api.plan[FAULTY] = cut_short
    assert refresh() == 1
    assert api.attempts[FAULTY] == 4
    assert_failed(db_path, capsys, r"broke off in the middle of the body \(truncated\), after retries")


def mutate(change: Callable[[dict, list], None]) -> Fault:
    """Serve the normal page after `change(header, rows)` altered it."""
    def fault(request, attempt, normal):
        header, rows = json.loads(normal.get_data())
        change(header, rows)
        return Response(json.dumps([header, rows]), content_type="application/json")
    return fault


def test_total_that_does_not_match_the_rows(api, db_path, capsys):
    api.plan[FAULTY] = mutate(lambda header, rows: header.update(total=header["total"] + 5))
    assert refresh() == 1
    assert_failed(db_path, capsys, r"announces \d+ rows but \d+ arrived")


def test_pages_that_contradict_each_other(api, db_path, capsys):
    """Page 1 announces two pages; page 2 then announces three (paging changed mid-way)."""
    first_page: list = []

    def fault(request, attempt, normal):
        page = int(request.args.get("page", 1))
        if page == 1:
            first_page[:] = json.loads(normal.get_data())
        header, rows = dict(first_page[0]), first_page[1]
        half = len(rows) // 2
        header.update(page=page, pages=2 if page == 1 else 3, per_page=half, total=2 * half)
        part = rows[:half] if page == 1 else rows[half:2 * half]
        return Response(json.dumps([header, part]), content_type="application/json")

    api.plan[FAULTY] = fault
    assert refresh() == 1
    assert api.attempts[FAULTY] == 2
    assert_failed(db_path, capsys, r"pages disagree")


def test_duplicate_rows(api, db_path, capsys):
    def change(header, rows):
        rows.append(dict(rows[0]))
        header["total"] += 1

    api.plan[FAULTY] = mutate(change)
    assert refresh() == 1
    assert_failed(db_path, capsys, r"more than one value for AZE 2022")


def test_non_numeric_value(api, db_path, capsys):
    api.plan[FAULTY] = mutate(lambda header, rows: rows[3].update(value="12,5"))
    assert refresh() == 1
    assert_failed(db_path, capsys, r"value '12,5' .* is not a number")


def test_unknown_country_code(api, db_path, capsys):
    api.plan[FAULTY] = mutate(lambda header, rows: rows[0].update(countryiso3code="XQZ",
                                                                  country={"id": "XQ", "value": "Nowhere"}))
    assert refresh() == 1
    assert_failed(db_path, capsys, r"economy 'XQZ' was not asked for and is not in the catalogue")


# --- vintages, and several failures at once --------------------------------------------------------------------------

def test_an_older_lastupdated_is_refused_with_a_warning(api, db_path, capsys):
    api.fake.lastupdated[FAULTY] = "2025-12-01"  # older than the stored OLD
    assert refresh() == 0
    err = capsys.readouterr().err
    assert re.search(rf"warning: {re.escape(FAULTY)} from \S+/indicator/{re.escape(FAULTY)}\S*: refused: vintage "
                     r"2025-12-01 is older than the stored 2026-01-15", err)
    assert "1 of 3 series came back older than the stored vintage" in err
    assert stored(db_path) == expected(faulty_version=1)
    status_, message = last_run(db_path)[FAULTY]
    assert status_ == "skipped" and "older than the stored" in message


def test_one_series_failing_among_many(api, db_path, capsys):
    """Every series of the run but one succeeds, one of them after a retry; only the failing one is kept as it was."""
    api.plan[FAULTY] = lambda request, attempt, normal: status(503)
    api.plan["SP.POP.TOTL"] = first(1, lambda: status(502))
    assert refresh() == 1
    assert api.attempts["SP.POP.TOTL"] == 2 and api.attempts["GB.XPD.RSDV.GD.ZS"] == 1
    err = assert_failed(db_path, capsys, r"HTTP 503")
    assert err.count("failed: ") == 1


def test_every_series_failing_keeps_the_whole_database(api, db_path, capsys):
    runs_before = len(read_contents(db_path).runs)
    for code in SERIES:
        api.plan[code] = lambda request, attempt, normal: status(503)
    assert refresh() == 1
    err = capsys.readouterr().err
    assert "3 of 3 series failed" in err and "Traceback" not in err
    assert stored(db_path) == {code: (OLD, len(rows), round(sum(v for *_, v in rows), 6))
                               for code, rows in data(1).items()}
    assert len(read_contents(db_path).runs) == runs_before + 3  # the failures are on record
    assert {s for s, _ in last_run(db_path).values()} == {"failed"}


def test_the_summary_table_says_which_failed_and_why(api, db_path, capsys):
    api.plan[FAULTY] = lambda request, attempt, normal: status(503)
    assert refresh() == 1
    out = capsys.readouterr().out
    first_row = out.splitlines()[1]  # failures sort first
    assert first_row.split()[:2] == ["failed", FAULTY] and "HTTP 503" in first_row


# --- Our World in Data: the same rules for the grapher's CSV -----------------------------------------------------------

OWID_SLUG = "manufacturing-value-added-to-gdp"
OWID_CSV = 'Entity,Code,Year,"Manufacturing, value added (% of GDP)"\nTurkey,TUR,2023,{v}\nWorld,OWID_WRL,2023,15.24\n'


def owid_metadata(updated: str) -> str:
    return json.dumps({"chart": {"originalChartUrl": f"https://ourworldindata.org/grapher/{OWID_SLUG}"},
                       "columns": {"Manufacturing, value added (% of GDP)": {"lastUpdated": updated}}})


@pytest.mark.parametrize("body,content_type,reason", [
    ("<!DOCTYPE html><html><body>Down for maintenance</body></html>", "text/html",
     r"header does not start with Entity,Code,Year"),
    ('Entity,Code,Year,"Manufacturing, value added (% of GDP)"\nTurkey,TUR,2023,n/a\n', "text/csv",
     r"'n/a' is not a number"),
])
def test_owid_csv_that_is_not_the_data_keeps_the_stored_series(server, db_path, monkeypatch, capsys, body,
                                                                content_type, reason):
    monkeypatch.setenv("STI_OWID_BASE", server.url_for("/grapher"))
    server.expect_request(f"/grapher/{OWID_SLUG}.metadata.json").respond_with_data(owid_metadata("2025-01-24"),
                                                                                   content_type="application/json")
    server.expect_oneshot_request(f"/grapher/{OWID_SLUG}.csv").respond_with_data(OWID_CSV.format(v=19.55),
                                                                                 content_type="text/csv")
    assert main(["refresh", "--source", "owid", "--indicator", OWID_SLUG]) == 0
    before = read_contents(db_path).observations
    server.expect_request(f"/grapher/{OWID_SLUG}.csv").respond_with_data(body, content_type=content_type)
    capsys.readouterr()

    assert main(["refresh", "--source", "owid", "--indicator", OWID_SLUG]) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(rf"failed: {OWID_SLUG} from \S+/grapher/{OWID_SLUG}\.csv\S*: .*{reason}", err), err
    assert read_contents(db_path).observations.equals(before)


@pytest.mark.parametrize("body", ["[" * 100_000, '[{"page": 1' + "9" * 5000 + "}, []]"])
def test_json_python_cannot_read_is_a_failed_series(api, db_path, capsys, body):
    api.plan[FAULTY] = lambda request, attempt, normal: Response(body, content_type="application/json")
    assert refresh() == 1
    assert_failed(db_path, capsys, r"JSON Python cannot read")
