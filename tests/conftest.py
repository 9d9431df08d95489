"""Shared fixtures: the project catalogue, a temporary database path, ../shared when present, and helpers that
build publisher payloads in their documented formats."""
from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import pytest

from sti import settings
from sti.catalog import load_catalog

SHARED = settings.ROOT.parent / "shared"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "sti.duckdb"
    monkeypatch.setenv("STI_DB", str(path))
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "data" / "raw").is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): the real publisher files are not on this machine")
    return SHARED


# --- World Bank bulk CSV, as downloaded ------------------------------------------------------------------------------

def wdi_bulk_csv(code: str, name: str, vintage: str, rows: dict[str, dict[int, str]], *, years=range(1960, 1966),
                 bom: bytes = b"\xef\xbb\xbf", newline: str = "\r\n", country_names: dict[str, str] | None = None
                 ) -> bytes:
    """A World Bank per-indicator bulk CSV: BOM, four-line preamble, year columns, trailing comma, empty cells."""
    names = country_names or {}
    lines = ['"Data Source","World Development Indicators",', "", f'"Last Updated Date","{vintage}",', "",
             ",".join(f'"{h}"' for h in ["Country Name", "Country Code", "Indicator Name", "Indicator Code",
                                          *map(str, years)]) + ","]
    for country, values in rows.items():
        cells = [names.get(country, country), country, name, code] + [values.get(y, "") for y in years]
        lines.append(",".join(f'"{c}"' for c in cells) + ",")
    return bom + (newline.join(lines) + newline).encode("utf-8")


# --- World Bank API v2 ------------------------------------------------------------------------------------------------

def wb_row(indicator: str, country: str, year: int, value, *, iso3: str | None = None, name: str = "") -> dict:
    return {"indicator": {"id": indicator, "value": indicator}, "country": {"id": country[:2], "value": name},
            "countryiso3code": country if iso3 is None else iso3, "date": str(year), "value": value, "unit": "",
            "obs_status": "", "decimal": 1}


def wb_pages(rows: list[dict], per_page: int, lastupdated: str) -> list[list]:
    pages = max(1, math.ceil(len(rows) / per_page))
    return [[{"page": p, "pages": pages, "per_page": per_page, "total": len(rows), "sourceid": "2",
              "lastupdated": lastupdated}, rows[(p - 1) * per_page: p * per_page] or None]
            for p in range(1, pages + 1)]


class FakeWorldBank:
    """Answers /country/<a;b;c>/indicator/<code>?format=json&per_page=&page= from in-memory rows, like the API:
    only the asked-for countries, paged, newest year first. Records every request."""

    def __init__(self, data: dict[str, list[tuple[str, int, float | None]]], lastupdated: dict[str, str]):
        self.data, self.lastupdated, self.requests = data, lastupdated, []
        self.overrides: dict[str, object] = {}  # indicator -> JSON body or (status, text) served instead

    def handler(self, request):
        from werkzeug.wrappers import Response

        self.requests.append(request.full_path)
        match = re.match(r"^/v2/country/([^/]+)/indicator/([^/?]+)$", request.path)
        if not match:
            return Response("not found", status=404)
        countries, code = match.group(1).split(";"), match.group(2)
        if code in self.overrides:
            body = self.overrides[code]
            if isinstance(body, tuple):
                return Response(body[1], status=body[0], content_type="text/html")
            return Response(json.dumps(body), content_type="application/json;charset=utf-8")
        if code not in self.data:
            return Response(json.dumps([{"message": [{"id": "120", "key": "Invalid value",
                                                      "value": "The provided parameter value is not valid"}]}]),
                            content_type="application/json;charset=utf-8")
        rows = [wb_row(code, c, y, v) for c, y, v in sorted(self.data[code], key=lambda r: (r[0], -r[1]))
                if c in countries]
        per_page = int(request.args.get("per_page", 50))
        page = int(request.args.get("page", 1))
        pages = wb_pages(rows, per_page, self.lastupdated[code])
        body = pages[page - 1] if page <= len(pages) else [pages[0][0] | {"page": page}, None]
        return Response(json.dumps(body), content_type="application/json;charset=utf-8")


@pytest.fixture
def fake_worldbank(httpserver, monkeypatch):
    """A FakeWorldBank behind a local HTTP server, with STI_WORLDBANK_API pointing at it."""

    def start(data, lastupdated):
        fake = FakeWorldBank(data, lastupdated)
        httpserver.expect_request(re.compile(r"^/v2/.*")).respond_with_handler(fake.handler)
        monkeypatch.setenv("STI_WORLDBANK_API", httpserver.url_for("/v2"))
        return fake

    return start


FIRST_VISIT = pytest.StashKey[float]()  # seconds to the first settled page of a fresh clone (test_newcomer)


def pytest_terminal_summary(terminalreporter, config):
    """Say where the browser tests left their screenshots, so a reviewer can look at them, and how long the
    newcomer's first visit took."""
    if FIRST_VISIT in config.stash:
        terminalreporter.write_line(f"newcomer's first visit after a cold start: {config.stash[FIRST_VISIT]:.1f} s "
                                    "to a settled overview, database built from the snapshot meanwhile")
    from tests import browser
    started = getattr(config, "_sti_started", None)
    shots = sorted(browser.SCREENSHOTS.glob("*.png")) if browser.SCREENSHOTS.is_dir() else []
    fresh = [p for p in shots if started is not None and p.stat().st_mtime >= started]
    if fresh:
        terminalreporter.write_line(f"browser screenshots ({len(fresh)} pages): {browser.SCREENSHOTS}")


def pytest_configure(config):
    config._sti_started = time.time()
