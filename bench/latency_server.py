"""A stand-in for the World Bank Indicators API on loopback, with a fixed latency injected into every request.

It answers, from the same data, both URL styles that are compared:
- ours (API v2, one indicator per request for a list of economies):
  `/v2/country/AZE;KAZ/indicator/SP.POP.TOTL?format=json&per_page=20000&page=1` → `[header, rows]`;
- wbgapi's (the "advanced" sources API, plus the metadata it looks up first):
  `/v2/en/sources/2/concepts`, `/v2/en/sources/2/time/all`, `/v2/en/region`, `/v2/en/incomelevel`,
  `/v2/en/lendingtype`, `/v2/en/country/all`, and
  `/v2/en/sources/2/series/A;B/country/AZE;KAZ/time/all?per_page=1000&page=1&format=json` →
  `{page, pages, per_page, total, lastupdated, source: {id, name, data: [{variable: [...], value}]}}`.
Both are the formats the World Bank documents (API v2 and "Advanced Data API Queries"). Like the real API, every
asked economy gets a row for every year from FIRST_YEAR on, with `null` where there is no value.
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from etl.snapshot import read_snapshot
from sti import settings
from sti.catalog import Catalog

FIRST_YEAR = 1960  # the World Bank API answers every year from 1960 on, null where it has no value
SOURCE_ID, SOURCE_NAME = "2", "World Development Indicators"
OURS, WBGAPI = "ours", "wbgapi"
wait = time.sleep  # a name of our own, so a test can see the waits without touching time.sleep for everyone
# wbgapi builds its economy caches from /country/all and copies the United States' entry as the template for codes it
# does not know (wbgapi/economy.py, update_caches), so the list must hold it whatever economies are asked for.
WBGAPI_TEMPLATE = {"USA": ("United States", False)}


@dataclass(frozen=True)
class WorldBankData:
    """What the stand-in serves: series (code → name, last updated), economies (code → name, is an aggregate),
    the years answered, and the values."""
    series: dict[str, tuple[str, str]]
    economies: dict[str, tuple[str, bool]]
    years: tuple[int, ...]
    values: dict[tuple[str, str, int], float]

    @property
    def lastupdated(self) -> str:
        return max(updated for _, updated in self.series.values())


def from_snapshot(catalog: Catalog, snapshot_dir: Path | None = None) -> WorldBankData:
    """The World Bank series of the bundled snapshot, as the API would serve them (real values, their vintages)."""
    observations, _, _ = read_snapshot(snapshot_dir or settings.SNAPSHOT_DIR)
    series, values = {}, {}
    for ind in catalog.indicators_from("worldbank"):
        rows = observations[observations["indicator"] == ind.code]
        if rows.empty:
            continue
        series[ind.source_code] = (ind.name, str(rows["vintage"].iloc[0]))
        values.update({(ind.source_code, c, int(y)): float(v)
                       for c, y, v in zip(rows["country"], rows["year"], rows["value"])})
    economies = {c.code: (c.name, c.role in ("benchmark", "aggregate")) for c in catalog.fetchable_countries()}
    last = max(year for _, _, year in values)
    return WorldBankData(series, economies, tuple(range(FIRST_YEAR, last + 1)), values)


class LatencyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: WorldBankData, latency: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.data, self.latency = data, latency
        self.requests: list[tuple[str, str]] = []  # (style, path) in arrival order
        self._bodies: dict[str, tuple[int, bytes]] = {}  # answers are pure functions of the path: render once
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v2"

    def take_requests(self) -> list[tuple[str, str]]:
        """The requests since the last call, and start counting afresh."""
        with self._lock:
            out, self.requests = self.requests, []
        return out

    def answer(self, path: str) -> tuple[int, bytes]:
        with self._lock:
            cached = self._bodies.get(path)
        if cached is None:
            status, body = route(self.data, path)
            cached = (status, json.dumps(body, separators=(",", ":")).encode())
            with self._lock:
                self._bodies[path] = cached
        return cached


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API offers
    server: LatencyServer

    def do_GET(self) -> None:  # the name http.server calls
        wait(self.server.latency)  # the stand-in for the distance to the real API
        with self.server._lock:
            self.server.requests.append((style(self.path), self.path))
        status, body = self.server.answer(self.path)
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass  # quiet: thousands of requests


@contextmanager
def serving(data: WorldBankData, latency: float) -> Iterator[LatencyServer]:
    """The server on a free loopback port, in a thread, until the block ends."""
    server = LatencyServer(data, latency)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- routing ---------------------------------------------------------------------------------------------------------

def style(path: str) -> str:
    """Which client's URL style a request is in: ours asks /v2/country/…/indicator/…, everything else is wbgapi's."""
    parts = _parts(urlsplit(path).path)
    return OURS if len(parts) == 4 and parts[0] == "country" and parts[2] == "indicator" else WBGAPI


def route(data: WorldBankData, path: str) -> tuple[int, object]:
    split = urlsplit(path)
    query = {k: v[-1] for k, v in parse_qs(split.query).items()}
    parts = _parts(split.path)
    per_page, page = int(query.get("per_page", 50)), int(query.get("page", 1))
    if len(parts) == 4 and parts[0] == "country" and parts[2] == "indicator":
        return 200, indicator_page(data, parts[3], parts[1].split(";"), per_page, page)
    if parts[:1] == ["sources"] and len(parts) >= 3:
        return 200, sources_answer(data, parts[2:], per_page, page)
    if parts in (["region"], ["incomelevel"], ["lendingtype"]):
        return 200, v2_page([], per_page, page)  # classifications: none are needed to measure the data requests
    if parts in (["country"], ["country", "all"]):
        rows = [{"id": code, "iso2Code": "", "name": name, "capitalCity": "", "longitude": "", "latitude": "",
                 "region": {"id": "NA" if aggregate else "", "iso2code": "", "value": ""},
                 "adminregion": {"id": "", "iso2code": "", "value": ""},
                 "incomeLevel": {"id": "", "iso2code": "", "value": ""},
                 "lendingType": {"id": "", "iso2code": "", "value": ""}}
                for code, (name, aggregate) in {**data.economies, **WBGAPI_TEMPLATE}.items()]
        return 200, v2_page(rows, per_page, page)
    return 404, [{"message": [{"id": "404", "key": "Not found", "value": f"no such endpoint: {split.path}"}]}]


def _parts(path: str) -> list[str]:
    """The path below /v2, without the language segment wbgapi adds (/v2/en/…) or the trailing /data the
    documentation shows on advanced queries."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["v2"]:
        parts = parts[1:]
    if parts and len(parts[0]) == 2 and parts[0].isalpha():
        parts = parts[1:]
    if parts[-1:] == ["data"]:
        parts = parts[:-1]
    return [p.lower() if n % 2 == 0 else p for n, p in enumerate(parts)]


def _error(key: str, value: str) -> list[dict]:
    return [{"message": [{"id": "120", "key": key, "value": value}]}]


def _slice(rows: list, per_page: int, page: int) -> tuple[list, int]:
    pages = max(1, math.ceil(len(rows) / per_page))
    return rows[(page - 1) * per_page: page * per_page], pages


def v2_page(rows: list, per_page: int, page: int, **header: object) -> list:
    part, pages = _slice(rows, per_page, page)
    return [{"page": page, "pages": pages, "per_page": per_page, "total": len(rows), **header}, part]


def indicator_page(data: WorldBankData, code: str, economies: list[str], per_page: int, page: int) -> object:
    """API v2: one indicator, the asked economies, every year newest first."""
    if code not in data.series:
        return _error("Invalid value", "The provided parameter value is not valid")
    unknown = [e for e in economies if e not in data.economies]
    if unknown:
        return _error("Invalid value", "The provided parameter value is not valid")
    name, lastupdated = data.series[code]
    rows = [{"indicator": {"id": code, "value": name}, "country": {"id": eco, "value": data.economies[eco][0]},
             "countryiso3code": eco, "date": str(year), "value": data.values.get((code, eco, year)), "unit": "",
             "obs_status": "", "decimal": 0}
            for eco in economies for year in reversed(data.years)]
    return v2_page(rows, per_page, page, sourceid=SOURCE_ID, lastupdated=lastupdated)


def sources_answer(data: WorldBankData, parts: list[str], per_page: int, page: int) -> object:
    """The advanced API below /sources/2/: its concepts, one concept's variables, or data for concept=value pairs."""
    if parts == ["concepts"]:
        concepts = [{"id": c, "value": c} for c in ("Country", "Series", "Time")]
        return {"page": 1, "pages": 1, "per_page": per_page, "total": len(concepts),
                "source": [{"id": SOURCE_ID, "name": SOURCE_NAME, "concept": concepts}]}
    pairs = dict(zip(parts[::2], parts[1::2]))
    if len(pairs) == 1:  # e.g. /sources/2/time/all: the concept's variables
        concept, ids = next(iter(pairs.items()))
        variables = _variables(data, concept)
        if ids != "all":
            wanted = set(ids.split(";"))
            variables = [v for v in variables if v["id"] in wanted]
        part, pages = _slice(variables, per_page, page)
        return {"page": page, "pages": pages, "per_page": per_page, "total": len(variables),
                "source": [{"id": SOURCE_ID, "name": SOURCE_NAME,
                            "concept": [{"id": concept.capitalize(), "variable": part}]}]}
    series = _pick(pairs.get("series", "all"), list(data.series))
    economies = _pick(pairs.get("country", pairs.get("economy", "all")), list(data.economies))
    years = _pick(pairs.get("time", "all"), [f"YR{y}" for y in data.years])
    if any(s not in data.series for s in series) or any(e not in data.economies for e in economies):
        return {"page": 1, "pages": 0, "per_page": per_page, "total": 0, "message": _error(
            "Invalid value", "The provided parameter value is not valid")[0]["message"]}
    rows = [{"variable": [{"concept": "Country", "id": eco, "value": data.economies[eco][0]},
                          {"concept": "Series", "id": code, "value": data.series[code][0]},
                          {"concept": "Time", "id": yr, "value": yr[2:]}],
             "value": data.values.get((code, eco, int(yr[2:])))}
            for eco in economies for code in series for yr in years]
    part, pages = _slice(rows, per_page, page)
    return {"page": page, "pages": pages, "per_page": per_page, "lastupdated": data.lastupdated, "total": len(rows),
            "source": {"id": SOURCE_ID, "name": SOURCE_NAME, "data": part}}


def _variables(data: WorldBankData, concept: str) -> list[dict[str, str]]:
    if concept == "time":
        return [{"id": f"YR{y}", "value": str(y)} for y in data.years]
    if concept == "series":
        return [{"id": code, "value": name} for code, (name, _) in data.series.items()]
    return [{"id": code, "value": name} for code, (name, _) in data.economies.items()]


def _pick(ids: str, everything: list[str]) -> list[str]:
    return everything if ids.lower() == "all" else ids.split(";")
