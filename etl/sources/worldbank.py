"""World Bank: bulk CSV downloads (API_<code>_DS2_….csv, their zip, Metadata_* files) and the Indicators API v2.

Formats as published: a UTF-8 BOM (one saved copy starts with a lone 0xFF byte instead), a four-line preamble with
"Last Updated Date", one column per year, a trailing comma on every line, empty cells for missing values, CRLF or LF.
The API answers `[header, rows]` pages; errors come back with HTTP 200 as `[{"message": [...]}]`.
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import requests

from etl import http
from etl.series import Series, SourceError, csv_rows, frame, parse_number, parse_year, reject_duplicates
from sti.catalog import Catalog

SOURCE = "worldbank"
BULK_HEADER = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PER_PAGE = 20000  # well above the ~1,200 rows one indicator has for our 18 codes: one request per indicator


# --- files ----------------------------------------------------------------------------------------------------------

def decode(raw: bytes, origin: str) -> str:
    """Bytes of a World Bank CSV as text, whatever BOM variant the copy carries."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith(b"\xff") and not raw.startswith(b"\xff\xfe"):
        raw = raw[1:]  # a lone 0xFF where the BOM should be (seen in a re-saved copy); the rest is ASCII
    if not raw.strip():
        raise SourceError(origin, "the file is empty")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def file_kind(text: str) -> str:
    """'bulk', 'metadata_indicator', 'metadata_country' or '' for a CSV that is none of these."""
    head = text[:400].lstrip()
    if head.startswith('"Data Source"') or head.startswith('"Country Name","Country Code","Indicator Name"'):
        return "bulk"
    if head.startswith('"INDICATOR_CODE"'):
        return "metadata_indicator"
    if head.startswith('"Country Code","Region","IncomeGroup"'):
        return "metadata_country"
    return ""


def parse_bulk_csv(text: str, origin: str, catalog: Catalog) -> list[Series]:
    """One Series per indicator in a bulk CSV; rows for economies outside our catalogue are left out."""
    reader = csv.reader(io.StringIO(text, newline=""))
    vintage = None
    years: list[int] | None = None
    records: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
    skipped: set[str] = set()
    for row in csv_rows(reader, origin):
        line = reader.line_num
        if years is None:
            if row[:1] == ["Last Updated Date"] and len(row) > 1:
                vintage = row[1].strip()
                if not _DATE.match(vintage):
                    raise SourceError(origin, f"'Last Updated Date' {vintage!r} is not a date", line)
            elif row[:4] == BULK_HEADER:
                cells = row[4:]
                while cells and not cells[-1].strip():
                    cells.pop()  # the trailing comma
                years = [parse_year(c, origin, line) for c in cells]
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 4 + len(years):
            raise SourceError(origin, f"expected {4 + len(years)} fields, found {len(row)} (truncated line?)", line)
        code, indicator_code = row[1].strip(), row[3].strip()
        indicator = catalog.by_source_code(SOURCE, indicator_code)
        if indicator is None:
            raise SourceError(origin, f"indicator {indicator_code!r} is not in the catalogue "
                                      "(declare it in data/catalog/indicators.toml first)", line)
        country = catalog.resolve_country(code)
        if country is None:
            skipped.add(code)
            continue
        for year, cell in zip(years, row[4:4 + len(years)]):
            if cell.strip():
                records[indicator.code].append((country, year, parse_number(cell.strip(), origin, line)))
    if years is None:
        raise SourceError(origin, "no header row '\"Country Name\",\"Country Code\",\"Indicator Name\","
                                  "\"Indicator Code\",<years>' found: not a World Bank bulk CSV")
    if vintage is None:
        raise SourceError(origin, "no 'Last Updated Date' in the preamble, so the vintage is unknown "
                                  "(was the file re-saved without its first four lines?)")
    return _series(records, vintage, origin, skipped)


def parse_metadata_indicator(text: str, origin: str, catalog: Catalog) -> list[tuple[str, str, str]]:
    """(indicator, field, value) rows from a Metadata_Indicator file; unknown indicators are an error."""
    out = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in csv_rows(reader, origin):
        code = (row.get("INDICATOR_CODE") or "").strip()
        if not code:
            continue
        indicator = catalog.by_source_code(SOURCE, code)
        if indicator is None:
            raise SourceError(origin, f"indicator {code!r} is not in the catalogue", reader.line_num)
        for field, column in (("name", "INDICATOR_NAME"), ("source_note", "SOURCE_NOTE"),
                              ("source_organization", "SOURCE_ORGANIZATION")):
            value = (row.get(column) or "").strip()
            if value:
                out.append((indicator.code, field, value))
    return out


def parse_metadata_country(text: str, origin: str, catalog: Catalog) -> list[tuple[str, str, str]]:
    """(country, field, value) rows from a Metadata_Country file, for the economies in our catalogue."""
    out = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in csv_rows(reader, origin):
        country = catalog.resolve_country((row.get("Country Code") or "").strip())
        if country is None:
            continue
        for field, column in (("region", "Region"), ("income_group", "IncomeGroup"),
                              ("special_notes", "SpecialNotes")):
            value = (row.get(column) or "").strip()
            if value:
                out.append((country, field, value))
    return out


# --- API responses --------------------------------------------------------------------------------------------------

def check_page(body: Any, origin: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The documented page shape `[header, rows]`, or a SourceError that quotes the API's own message."""
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict) and "message" in body[0]:
        messages = body[0]["message"] or [{}]
        if isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
            text = "; ".join(f"{m.get('key', '')}: {m.get('value', '')} (id {m.get('id', '?')})".strip()
                             for m in messages)
        else:  # not the documented list of {id, key, value}: quote it as it came
            text = repr(messages)[:200]
        raise SourceError(origin, f"the World Bank API returned an error: {text}")
    if not (isinstance(body, list) and len(body) == 2 and isinstance(body[0], dict)):
        raise SourceError(origin, "the body is not the documented [header, rows] page")
    header, rows = body
    for key in ("page", "pages", "total"):
        value = header.get(key)
        # the API sends these as numbers on data endpoints and as strings on some metadata endpoints
        if isinstance(value, bool) or not (isinstance(value, int) or _whole(value)):
            raise SourceError(origin, f"the page header's {key!r} is not a whole number: {value!r:.80}")
        header = {**header, key: int(value)}
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise SourceError(origin, "the rows part of the page is not a list")
    return header, rows


def _whole(text: object) -> bool:
    """A whole number written as text: ASCII digits (isdigit() alone also takes '²'), and few enough for int() to
    read (it refuses over 4,300 digits; no page count or row total comes near 20)."""
    return isinstance(text, str) and text.isascii() and text.isdigit() and len(text) < 20


def page_rows(body: Any, origin: str) -> list[tuple[str, str, int, float | None]]:
    """(indicator id, economy code, year, value or None) for every row of one page, checked for shape and type."""
    return _typed_rows(check_page(body, origin)[1], origin)


def _typed_rows(rows: list[dict[str, Any]], origin: str) -> list[tuple[str, str, int, float | None]]:
    out = []
    for n, row in enumerate(rows, start=1):
        try:
            indicator_code = row["indicator"]["id"]
            code = row.get("countryiso3code") or row["country"]["id"]
            date, value = row["date"], row["value"]
        except (KeyError, TypeError):
            raise SourceError(origin, f"row {n} lacks indicator, country, date or value") from None
        if not (isinstance(indicator_code, str) and isinstance(code, str)):
            raise SourceError(origin, f"row {n}: indicator {indicator_code!r} or economy {code!r} is not a text code")
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SourceError(origin, f"row {n}: value {value!r} for {code} {date} is not a number")
            value = parse_number(repr(value), origin)
        out.append((indicator_code, code, parse_year(date, origin), value))
    return out


def parse_api_pages(pages: Iterable[Any], origin: str, catalog: Catalog, *, strict: bool) -> list[Series]:
    """One Series per indicator in a complete set of pages.

    strict: an economy outside our catalogue is an error (we asked only for ours) rather than left out (a file
    downloaded for all economies).
    """
    headers, rows, sizes = [], [], []
    for body in pages:
        header, page = check_page(body, origin)  # page, pages and total come back as whole numbers
        headers.append(header)
        sizes.append(len(page))
        rows.extend(_typed_rows(page, origin))
    if not headers:
        raise SourceError(origin, "no pages")
    first = headers[0]
    page_count, total = first["pages"], first["total"]
    if [h["page"] for h in headers] != list(range(1, len(headers) + 1)):
        raise SourceError(origin, f"pages arrived as {[h['page'] for h in headers]}, not 1, 2, 3...")
    if len(headers) < page_count:
        raise SourceError(origin, f"holds {len(headers)} of {page_count} pages: import or fetch the whole "
                                  "response (a larger per_page gives one page)")
    if any(h["total"] != total or h["pages"] != page_count for h in headers):
        raise SourceError(origin, "pages disagree on the total or the page count (paging changed mid-way)")
    if len(rows) != total:
        raise SourceError(origin, f"the header announces {total} rows but {len(rows)} arrived (truncated?)")
    if page_count > 1:
        per_page = str(first.get("per_page"))
        if not _whole(per_page) or \
                any(str(h.get("per_page")) != per_page for h in headers) or \
                any(size != int(per_page) for size in sizes[:-1]):
            raise SourceError(origin, f"pages of {sizes} rows do not fit per_page {per_page!r} (paging changed?)")
    if total == 0:
        return []  # the API's answer when it has nothing: no series, and nothing to replace
    vintage = str(first.get("lastupdated") or "").strip()
    if not _DATE.match(vintage):
        raise SourceError(origin, f"the page header has no usable 'lastupdated' ({vintage!r})")
    records: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
    skipped: set[str] = set()
    for indicator_code, code, year, value in rows:
        indicator = catalog.by_source_code(SOURCE, indicator_code)
        if indicator is None:
            raise SourceError(origin, f"indicator {indicator_code!r} is not in the catalogue")
        country = catalog.resolve_country(code)
        if country is None:
            if strict:
                raise SourceError(origin, f"economy {code!r} was not asked for and is not in the catalogue")
            skipped.add(code)
            continue
        if value is not None:
            records[indicator.code].append((country, year, value))
    return _series(records, vintage, origin, skipped)


def fetch_pages(session: requests.Session, base: str, indicator_code: str, countries: list[str], *,
                timeout: float, per_page: int = PER_PAGE) -> tuple[str, list[Any]]:
    """All pages for one indicator and all our countries in one semicolon-separated request (paged if need be)."""
    url = f"{base}/country/{';'.join(countries)}/indicator/{indicator_code}"
    pages: list[Any] = []
    page = 1
    while True:
        params = {"format": "json", "per_page": per_page, "page": page}
        shown = http.full_url(url, params)
        body = http.get_json(session, url, params=params, timeout=timeout)
        header, _ = check_page(body, shown)
        pages.append(body)
        if page >= header["pages"] or header["pages"] != check_page(pages[0], shown)[0]["pages"]:
            return url, pages  # done, or paging changed mid-way: parse_api_pages says which
        if page > 1000:
            raise SourceError(url, "more than 1000 pages: paging does not end")
        page += 1


def _series(records: dict[str, list[tuple[str, int, float]]], vintage: str, origin: str,
            skipped: set[str]) -> list[Series]:
    return [reject_duplicates(Series(indicator=code, source=SOURCE, vintage=vintage, data=frame(recs), origin=origin,
                                     skipped_countries=frozenset(skipped)))
            for code, recs in records.items()]
