"""ISO Survey of Management System Standard Certifications, as re-published by sbjorkholt/iso-standards (R .rds
data frames converted to CSV).

* Country file: `country,year,ISO 14001 certificate,ISO/IEC 27001 certificate,ISO 9001 certificate,World`. The
  certificate columns are the catalogue source_codes. Counts are doubles written `165.0`; they must be whole and
  non-negative. An empty cell means the standard was not surveyed (ISO 14001 before 1999, ISO/IEC 27001 before
  2006): no row. The last column, `World`, is the re-publisher's REGION label ("Europe"), not data: ignored.
  Names are ISO's: "Turkey", "Russian Federation", and Iran spelled two ways ("Iran, Islamic Republic of" to 2017,
  "Iran (Islamic Republic of)" from 2018); both are catalogue aliases of IRN.
* Industry file: `country,year,industry,ISO 9001,ISO 14001,ISO/IEC 27001,obs` (per IAF sector). Recognised so that
  it is not reported as unknown, but the monitor does not use sector breakdowns: no series, one note.

Each ISO Survey edition adds the year it is named after, so the vintage is "<latest year> edition (data to
<latest year of the series>)".
"""
from __future__ import annotations

from etl.series import (
    Parsed,
    Series,
    SourceError,
    csv_records,
    frame,
    header_cells,
    parse_number,
    parse_year,
    reject_duplicates,
)
from sti.catalog import Catalog

SOURCE = "iso_survey"
COUNTS = ["ISO 14001 certificate", "ISO/IEC 27001 certificate", "ISO 9001 certificate"]
REGION = "World"  # the re-publisher's region label
COUNTRY_HEADER = ["country", "year", *COUNTS, REGION]
INDUSTRY_HEADER = ["country", "year", "industry", "ISO 9001", "ISO 14001", "ISO/IEC 27001", "obs"]


def _kind(header: list[str]) -> str:
    if sorted(header) == sorted(COUNTRY_HEADER):  # any column order: a re-export may move them
        return "country"
    if header == INDUSTRY_HEADER:
        return "industry"
    return ""


def recognise(name: str, text: str) -> bool:
    return bool(_kind(header_cells(text)))


def parse(files: list[tuple[str, str]], catalog: Catalog) -> Parsed:
    parsed = Parsed()
    country_file: str | None = None
    records: dict[str, list[tuple[str, int, float]]] = {}
    skipped: set[str] = set()
    for origin, text in files:
        header = header_cells(text)
        kind = _kind(header)
        if kind == "industry":
            parsed.notes.append(f"{origin}: sector breakdown recognised, not used by the monitor")
            continue
        if not kind:
            raise SourceError(origin, f"the header is neither '{','.join(COUNTRY_HEADER)}' (ISO Survey by country) "
                                      f"nor '{','.join(INDUSTRY_HEADER)}' (by sector)", 1)
        if country_file is not None:
            raise SourceError(origin, f"a second ISO Survey country file (the first is {country_file}): import one",
                              1)
        country_file = origin
        _read_country_file(text, origin, header, catalog, records, skipped)
    for column, recs in records.items():
        indicator = catalog.by_source_code(SOURCE, column)
        if indicator is None or not recs:
            continue
        latest = max(year for _, year, _ in recs)
        edition = max(year for rs in records.values() for _, year, _ in rs)
        parsed.series.append(reject_duplicates(
            Series(indicator=indicator.code, source=SOURCE, vintage=f"{edition} edition (data to {latest})",
                   data=frame(recs), origin=country_file or "", skipped_countries=frozenset(skipped)),
            " (two spellings of one country in the same year?)"))
    return parsed


def _read_country_file(text: str, origin: str, header: list[str], catalog: Catalog,
                       records: dict[str, list[tuple[str, int, float]]], skipped: set[str]) -> None:
    seen: dict[tuple[str, int], int] = {}
    for line, row in csv_records(text, origin):
        cells = dict(zip(header, row))
        year = parse_year(cells["year"], origin, line)
        country = catalog.resolve_country(None, cells["country"])
        if country is None:
            skipped.add(cells["country"])
            continue
        if (country, year) in seen:
            raise SourceError(origin, f"{country} {year} is also on line {seen[(country, year)]} (two spellings of "
                                      "one country?)", line)
        seen[(country, year)] = line
        for column in COUNTS:
            if not cells[column]:
                continue  # not surveyed that year
            value = parse_number(cells[column], origin, line)
            if value < 0 or value != int(value):
                raise SourceError(origin, f"{column} {cells[column]!r} is not a whole, non-negative count", line)
            records.setdefault(column, []).append((country, year, value))
