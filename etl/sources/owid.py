"""Our World in Data grapher downloads: `<slug>.csv` (Entity, Code, Year, value column[, extra columns]) and,
optionally, `<slug>.metadata.json` beside it.

Quirks handled: regions have an empty Code (matched by name); OWID's own codes such as OWID_WRL; copies with extra
columns after the value (e.g. an `Id` column added by a re-publisher). The parser returns exactly the published rows;
OWID's convention that an absent year means zero (charts declared `missing_means_zero`) is applied by etl.load.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import requests

from etl import http
from etl.series import Series, SourceError, csv_rows, frame, load_json, parse_number, parse_year, reject_duplicates
from sti.catalog import Catalog, Indicator

SOURCE = "owid"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DOWNLOAD_QUERY = {"v": "1", "csvType": "full", "useColumnShortNames": "false"}


def slug_from_metadata(metadata: dict[str, Any] | None) -> str | None:
    chart = (metadata or {}).get("chart")
    url = chart.get("originalChartUrl") if isinstance(chart, dict) else None
    match = re.search(r"/grapher/([A-Za-z0-9_-]+)", url) if isinstance(url, str) else None
    return match.group(1) if match else None


def vintage_from_metadata(metadata: dict[str, Any] | None) -> str | None:
    """The newest `lastUpdated` of the data columns, else the download date."""
    if not metadata:
        return None
    columns = metadata.get("columns")
    dates = [c.get("lastUpdated") for c in (columns.values() if isinstance(columns, dict) else ())
             if isinstance(c, dict)]
    dates = [d for d in dates if isinstance(d, str) and _DATE.match(d)]
    if dates:
        return max(dates)
    downloaded = metadata.get("dateDownloaded")
    return downloaded if isinstance(downloaded, str) and _DATE.match(downloaded) else None


def indicator_for(catalog: Catalog, slug: str, origin: str) -> Indicator:
    indicator = catalog.by_source_code(SOURCE, slug)
    if indicator is None:
        raise SourceError(origin, f"OWID chart {slug!r} is not in the catalogue (the file name, or the chart URL "
                                  "in its .metadata.json, must be the grapher slug of a catalogue indicator)")
    return indicator


def parse_grapher_csv(text: str, origin: str, catalog: Catalog, *, slug: str,
                      metadata: dict[str, Any] | None = None, vintage: str | None = None) -> Series:
    indicator = indicator_for(catalog, slug, origin)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    rows = csv_rows(reader, origin)
    header = next(rows, None)
    if not header or [h.strip() for h in header[:3]] not in (["Entity", "Code", "Year"], ["Entity", "Code", "Day"]):
        raise SourceError(origin, "the header does not start with Entity,Code,Year: not an OWID grapher CSV", 1)
    if header[2].strip() == "Day":
        raise SourceError(origin, "daily data (a 'Day' column) is not supported; only annual series", 1)
    if len(header) < 4:
        raise SourceError(origin, "no value column after Entity,Code,Year", 1)
    value_col = _value_column(header, metadata, origin)
    records, skipped = [], set()
    max_year = None
    for row in rows:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= value_col:
            raise SourceError(origin, f"expected at least {value_col + 1} fields, found {len(row)}", line)
        entity, code, year_text, cell = row[0], row[1], row[2], row[value_col].strip()
        year = parse_year(year_text, origin, line)
        max_year = year if max_year is None else max(max_year, year)
        country = catalog.resolve_country(code.strip() or None, entity)
        if country is None:
            skipped.add(entity.strip())
            continue
        if cell:
            records.append((country, year, parse_number(cell, origin, line)))
    vintage = vintage or vintage_from_metadata(metadata)
    if not vintage:
        # The CSV alone does not say when OWID last updated it; say so rather than guess a date.
        vintage = f"undated (data to {max_year})" if max_year else "undated"
    data = frame(records)
    series = Series(indicator=indicator.code, source=SOURCE, vintage=vintage, data=data, origin=origin,
                    skipped_countries=frozenset(skipped))
    return reject_duplicates(series, " (two entities map to the same country?)")


def _value_column(header: list[str], metadata: dict[str, Any] | None, origin: str) -> int:
    """The value column: the only one after Year, or the one the metadata names when a copy added extras."""
    names = [h.strip() for h in header]
    if metadata and isinstance(metadata.get("columns"), dict):
        wanted = set()
        for key, col in metadata["columns"].items():
            wanted.add(key)
            if isinstance(col, dict):
                wanted.update(str(col.get(k)) for k in ("titleShort", "shortName") if col.get(k))
        matches = [i for i, name in enumerate(names[3:], start=3) if name in wanted]
        if len(matches) == 1:
            return matches[0]
        if len(metadata["columns"]) > 1:
            raise SourceError(origin, "the chart has several data columns; download it with one indicator", 1)
    return 3  # OWID puts the chart's value first; anything after it was added by whoever re-saved the file


def read_metadata_file(csv_path: Path) -> dict[str, Any] | None:
    """The `.metadata.json` OWID ships beside a chart's CSV, if it is there."""
    meta_path = csv_path.with_name(csv_path.name[:-len(".csv")] + ".metadata.json")
    return parse_metadata(meta_path.read_bytes(), str(meta_path)) if meta_path.exists() else None


def parse_metadata(raw: bytes, origin: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(origin, f"is not valid JSON: {exc}") from None
    metadata = load_json(text, origin)
    if not isinstance(metadata, dict):
        raise SourceError(origin, "is not a JSON object")
    return metadata


def fetch(session: requests.Session, base: str, slug: str, catalog: Catalog, *, timeout: float) -> Series:
    """Download a chart's CSV and its metadata (for the vintage) from the grapher at `base`."""
    csv_url = f"{base}/{slug}.csv"
    text = http.get_text(session, csv_url, params=DOWNLOAD_QUERY, timeout=timeout)
    metadata = http.get_json(session, f"{base}/{slug}.metadata.json", params=DOWNLOAD_QUERY, timeout=timeout)
    if not isinstance(metadata, dict):
        raise SourceError(f"{base}/{slug}.metadata.json", "is not a JSON object")
    return parse_grapher_csv(text, csv_url, catalog, slug=slug, metadata=metadata)
