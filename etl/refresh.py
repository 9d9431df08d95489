"""Pull series live from the publishers' APIs. Each series succeeds or fails on its own."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

from etl.http import CONNECTIONS
from etl.load import Outcome
from etl.series import Series, SourceError
from etl.sources import owid, worldbank
from sti import settings
from sti.catalog import Catalog, Indicator

SOURCES = ("worldbank", "owid")
WORKERS = CONNECTIONS  # parallel requests (8): a catalogue's series in three rounds, still polite to the publisher


def fetch_one(indicator: Indicator, catalog: Catalog, session: requests.Session, timeout: float) -> list[Series]:
    if indicator.source == worldbank.SOURCE:
        countries = [c.code for c in catalog.fetchable_countries()]
        url, pages = worldbank.fetch_pages(session, settings.worldbank_api(), indicator.source_code, countries,
                                           timeout=timeout)
        series = worldbank.parse_api_pages(pages, url, catalog, strict=True)
        if not series:
            raise SourceError(url, "the response holds no values for any of our countries")
        if [s.indicator for s in series] != [indicator.code]:
            raise SourceError(url, f"the response holds other series than {indicator.code}")
        return series
    if indicator.source == owid.SOURCE:
        return [owid.fetch(session, settings.owid_base(), indicator.source_code, catalog, timeout=timeout)]
    raise SourceError(indicator.source, "no live client for this source")


def refresh(catalog: Catalog, indicators: list[Indicator], session: requests.Session, *,
            on_done: Callable[[], None] = lambda: None) -> tuple[list[Series], list[Outcome]]:
    timeout = settings.http_timeout()
    fetched: list[Series] = []
    failures: list[Outcome] = []

    def task(ind: Indicator) -> tuple[Indicator, list[Series] | SourceError]:
        try:
            return ind, fetch_one(ind, catalog, session, timeout)
        except SourceError as exc:
            return ind, exc
        except Exception as exc:  # noqa: BLE001 - one series' surprise must not sink the others
            return ind, SourceError(ind.source_code, f"unexpected {exc.__class__.__name__}: {exc}")

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for ind, result in pool.map(task, indicators):
            on_done()
            if isinstance(result, SourceError):
                failures.append(Outcome(ind.code, ind.source, "failed", 0, None, result.problem, result.origin))
            else:
                fetched.extend(result)
    return fetched, failures
