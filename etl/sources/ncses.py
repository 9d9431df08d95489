"""NCSES Science and Engineering Indicators 2024 tables, as long CSVs converted from NCSES's JSON-lines files.

Two tables, recognised by their header line and checked by their `table_id` (the SEI 2024 table ids; another
edition's tables have other ids and are refused rather than labelled with the wrong edition):

* SINV-11 (id 10558), PCT applications: `table_id,row_id,time_period,value`. Despite its name, `time_period` holds
  the ENTITY PATH (`World -> Asia -> Kazakhstan`) and the years are not written: each entity has 24 consecutive
  rows, the 2000–22 total first, then 2000, 2001, …, 2022 (row k is the year 1999 + k). The layout is checked: 24
  rows per entity, and the total equals the sum of the years within max(10, 0.1 % of the total); NCSES's own
  rounding leaves gaps up to 7. Where a year is suppressed the sum may only fall short of the total.
* SPBS-33 (id 10001), S&E articles by coauthorship: `table_id,row_id,region_country_or_economy_full_path,…,
  field_2003,…,field_2022`, one row per entity and measure: `World -> Turkey -> Total articles -> With
  international institutions`, and `World -> Total articles…` for the world. The measure (last segment) gives the
  catalogue source_code `SPBS-33|<measure>`; measures the catalogue lacks are named in one note.

The entity is the last path segment (SINV-11) or the one before `Total articles` (SPBS-33), with footnote HTML
such as `<sup>a</sup>` removed, resolved through the catalogue ("World" → WLD, "Turkey", "Russia", "Iran" by
alias). Never mapped, and listed as skipped: "EU-27" and "EU-27 and United Kingdom" (NCSES counts the European
Patent Office's applications into the EU-27, so it is not the World Bank's EUU), the Eurasian Patent Organization
(a receiving office; its filings are not counted under KAZ, KGZ or TKM), and regions (Europe, Asia, Middle East).

Special values (README): `i` imputed and `r` revised may follow a number: the flag is dropped and the number kept;
`D` alone means suppressed and gives no row, as does an empty cell. Anything else that is not a number is an error.
"""
from __future__ import annotations

import html
import re

from etl.series import (
    Parsed,
    Series,
    SourceError,
    csv_records,
    files_by_kind,
    frame,
    header_cells,
    parse_number,
    reject_duplicates,
)
from sti.catalog import Catalog

SOURCE = "ncses"
EDITION = "SEI 2024"
PCT_HEADER = ["table_id", "row_id", "time_period", "value"]
PCT_TABLE, ARTICLES_TABLE = "10558", "10001"
PCT_CODE = "SINV-11"
ROWS_PER_ENTITY, FIRST_YEAR = 24, 2000
ARTICLES_PATH = "region_country_or_economy_full_path"
ARTICLES_ROOT = "Total articles"
NEVER_MAPPED = {"eu-27", "eu-27 and united kingdom", "eurasian patent organization", "european patent office"}
_YEAR_COLUMN = re.compile(r"^field_(\d{4})$")
_FOOTNOTE = re.compile(r"<sup>.*?</sup>|<[^>]*>", re.IGNORECASE)  # `EU-27<sup>b</sup>` is EU-27
_VALUE = re.compile(r"^(?P<number>[-+]?\d+(?:\.\d+)?)?\s*(?P<flags>(?:[irD]\s*)*)$")


def _kind(header: list[str]) -> str:
    if header == PCT_HEADER:
        return "pct"
    if header[:3] == ["table_id", "row_id", ARTICLES_PATH] and any(_YEAR_COLUMN.match(h) for h in header):
        return "articles"
    return ""


def recognise(name: str, text: str) -> bool:
    return bool(_kind(header_cells(text)))


def _entity(segment: str) -> str:
    return html.unescape(_FOOTNOTE.sub("", segment)).strip()


def _country(catalog: Catalog, name: str) -> str | None:
    return None if name.casefold() in NEVER_MAPPED else catalog.resolve_country(None, name)


def _cell(text: str, origin: str, line: int) -> float | None:
    """A count, or None for an empty or suppressed (`D`) cell; `i`/`r` flags beside a number are dropped."""
    text = text.strip()
    match = _VALUE.match(text)
    if not match:
        raise SourceError(origin, f"value {text!r} is not a number (NCSES special values are i, r and D)", line)
    if match.group("number") is None:
        return None
    value = parse_number(match.group("number"), origin, line)
    if value < 0:
        raise SourceError(origin, f"count {text!r} is negative", line)
    return value


def _rows(text: str, origin: str, table: str):
    for line, row in csv_records(text, origin):
        if row[0] != table:
            raise SourceError(origin, f"table_id {row[0]!r} where {table} was expected: the monitor reads "
                                      f"{EDITION} tables SINV-11 ({PCT_TABLE}) and SPBS-33 ({ARTICLES_TABLE})", line)
        yield line, row


def _pct(text: str, origin: str, catalog: Catalog, skipped: set[str]) -> list[tuple[str, int, float]]:
    groups: list[tuple[str, list[tuple[int, float | None]]]] = []
    for line, row in _rows(text, origin, PCT_TABLE):
        if groups and groups[-1][0] == row[2]:
            groups[-1][1].append((line, _cell(row[3], origin, line)))
        elif any(path == row[2] for path, _ in groups):
            raise SourceError(origin, f"the rows of {row[2]!r} are not consecutive (expected {ROWS_PER_ENTITY} "
                                      "rows in a row per entity)", line)
        else:
            groups.append((row[2], [(line, _cell(row[3], origin, line))]))
    records = []
    for path, rows in groups:
        first_line = rows[0][0]
        if len(rows) != ROWS_PER_ENTITY:
            raise SourceError(origin, f"{path!r} has {len(rows)} rows; SINV-11 gives each entity {ROWS_PER_ENTITY} "
                                      f"consecutive rows: the {FIRST_YEAR}–{FIRST_YEAR + 22} total, then one per "
                                      "year (the years are not written, so the layout must be exact)", first_line)
        total, years = rows[0][1], [v for _, v in rows[1:]]
        known = sum(v for v in years if v is not None)
        if total is not None:
            gap = total - known
            tolerance = max(10.0, total * 0.001)
            if gap < -tolerance or (None not in years and gap > tolerance):
                raise SourceError(origin, f"{path!r}: the first row ({total:g}) should be the total of the next 23 "
                                          f"(years {FIRST_YEAR}–{FIRST_YEAR + 22}), which sum to {known:g}: not the "
                                          "SINV-11 layout of 24 rows per entity", first_line)
        name = _entity(path.split("->")[-1])
        country = _country(catalog, name)
        if country is None:
            skipped.add(name)
            continue
        records.extend((country, FIRST_YEAR + k, v) for k, v in enumerate(years) if v is not None)
    return records


def _articles(text: str, origin: str, catalog: Catalog, skipped: set[str], unused: set[str]
              ) -> dict[str, list[tuple[str, int, float]]]:
    header = header_cells(text)
    years = {i: int(m.group(1)) for i, h in enumerate(header) if (m := _YEAR_COLUMN.match(h))}
    records: dict[str, list[tuple[str, int, float]]] = {}
    for line, row in _rows(text, origin, ARTICLES_TABLE):
        segments = [_entity(s) for s in row[2].split("->")]
        if segments[0] != "World":
            raise SourceError(origin, f"path {row[2]!r} does not start at 'World'", line)
        if ARTICLES_ROOT not in segments:
            if len(segments) > 2:
                raise SourceError(origin, f"path {row[2]!r} has no {ARTICLES_ROOT!r} measure", line)
            continue  # an entity's heading row (`World -> Turkey`), with no values
        at = segments.index(ARTICLES_ROOT)  # >= 1, as segments[0] is World
        name, measure = segments[at - 1], segments[-1]
        indicator = catalog.by_source_code(SOURCE, f"SPBS-33|{measure}")
        if indicator is None:
            unused.add(measure)
            continue
        country = _country(catalog, name)
        if country is None:
            skipped.add(name)
            continue
        for i, year in years.items():
            value = _cell(row[i], origin, line)
            if value is not None:
                records.setdefault(indicator.code, []).append((country, year, value))
    return records


def parse(files: list[tuple[str, str]], catalog: Catalog) -> Parsed:
    by_kind = files_by_kind(files, _kind, f"the header is neither SINV-11's '{','.join(PCT_HEADER)}' nor SPBS-33's "
                            f"'table_id,row_id,{ARTICLES_PATH},…,field_<year>…'",
                            "a second copy of the same NCSES table (the first is {first}): import one")
    parsed = Parsed()
    if "pct" in by_kind:
        origin, text = by_kind["pct"]
        skipped: set[str] = set()
        recs = _pct(text, origin, catalog, skipped)
        indicator = catalog.by_source_code(SOURCE, PCT_CODE)
        if indicator is not None and recs:
            parsed.series.append(_series(indicator.code, recs, origin, skipped))
    if "articles" in by_kind:
        origin, text = by_kind["articles"]
        skipped, unused = set(), set()
        for code, recs in _articles(text, origin, catalog, skipped, unused).items():
            parsed.series.append(_series(code, recs, origin, skipped))
        if unused:
            parsed.notes.append(f"{origin}: SPBS-33 measures not in the catalogue, not read: "
                                f"{', '.join(sorted(unused))}")
    return parsed


def _series(code: str, recs: list[tuple[str, int, float]], origin: str, skipped: set[str]) -> Series:
    vintage = f"{EDITION} (data to {max(year for _, year, _ in recs)})"
    return reject_duplicates(Series(indicator=code, source=SOURCE, vintage=vintage, data=frame(recs), origin=origin,
                                    skipped_countries=frozenset(skipped)), " (two entities map to the same country?)")
