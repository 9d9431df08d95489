"""The unit the ETL moves around: one indicator's whole series from one publisher response or file, one vintage."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd


class SourceError(ValueError):
    """A publisher file or response cannot be used. The message names the file or URL, and the line where known."""

    def __init__(self, origin: str, problem: str, line: int | None = None):
        self.origin, self.problem, self.line = origin, problem, line
        where = f"{origin}, line {line}" if line else origin
        super().__init__(f"{where}: {problem}")


def utc_now() -> datetime:
    """UTC, second precision, naive (the database stores UTC timestamps)."""
    return datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)


@dataclass
class Series:
    indicator: str                  # our catalogue code
    source: str                     # catalogue source id
    vintage: str                    # the publisher's last-updated date, as precise as it gives it
    data: pd.DataFrame              # columns: country, year, value
    origin: str                     # file path or URL, for messages
    retrieved_at: datetime = field(default_factory=utc_now)
    skipped_countries: frozenset[str] = frozenset()  # publisher codes not in our catalogue, left out

    @property
    def rows(self) -> int:
        return len(self.data)


@dataclass
class Flows:
    """One publisher table of flows between countries: every entry of every list of one kind, one vintage. The unit
    the ETL replaces whole, as a Series is for observations."""
    source: str
    listed_by: str                  # whose top lists the table holds: 'origin' (destinations) or 'destination'
    vintage: str
    data: pd.DataFrame              # columns: origin, destination, year, students, flags
    origin: str                     # file path, for messages
    retrieved_at: datetime = field(default_factory=utc_now)
    skipped_countries: frozenset[str] = frozenset()  # list owners outside the catalogue, left out

    @property
    def indicator(self) -> str:
        """How outcomes and the run history name this table (`flows/origin`: the origins' destination lists)."""
        return f"flows/{self.listed_by}"

    @property
    def rows(self) -> int:
        return len(self.data)


def frame(records: list[tuple[str, int, float]]) -> pd.DataFrame:
    """A tidy country/year/value frame with fixed dtypes (also when empty)."""
    df = pd.DataFrame.from_records(records, columns=["country", "year", "value"])
    return df.astype({"country": "string", "year": "int64", "value": "float64"})


def parse_number(text: str, origin: str, line: int | None = None) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SourceError(origin, f"value {text!r} is not a number", line) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SourceError(origin, f"value {text!r} is not a finite number", line)
    return value


def parse_year(text: object, origin: str, line: int | None = None) -> int:
    raw = str(text).strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):  # isdigit() alone takes '²⁰²⁰', int() does not
        raise SourceError(origin, f"{raw!r} is not a year (only annual data is supported)", line)
    return int(raw)


def load_json(text: str, origin: str, **options: Any) -> Any:
    """A JSON document, or a SourceError naming the file: for a syntax error (with its line), and for what json.loads
    refuses with a bare ValueError or RecursionError (an integer of over 4,300 digits, arrays nested too deep)."""
    try:
        return json.loads(text, **options)
    except json.JSONDecodeError as exc:
        raise SourceError(origin, f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except SourceError:
        raise  # from an object_pairs_hook
    except RecursionError:
        raise SourceError(origin, "is not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise SourceError(origin, f"is not valid JSON: {str(exc).split(':')[0]}") from None


def reject_duplicates(series: Series, hint: str = "") -> Series:
    """A series has at most one value per country and year; anything else is the file's problem, not ours."""
    dup = series.data.duplicated(["country", "year"], keep=False)
    if dup.any():
        first = series.data[dup].iloc[0]
        raise SourceError(series.origin, f"{series.indicator} has more than one value for {first['country']} "
                                         f"{first['year']}{hint}")
    return series


@dataclass
class Parsed:
    """What one source module read from all of its files in one import: series, publisher metadata rows
    (kind, key, field, value, source, vintage), flow tables, and notes on files that were recognised but hold
    nothing we use."""
    series: list[Series] = field(default_factory=list)
    metadata: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flows: list[Flows] = field(default_factory=list)


def csv_rows(reader: Iterator, origin: str) -> Iterator:
    """The rows of a csv.reader or csv.DictReader; what the csv module refuses (a cell over its 128 KiB limit, say)
    becomes a SourceError with the line, like every other problem of the file."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # a DictReader's own line_num is still 0 when its header line fails; the csv.reader inside it knows
            line = getattr(reader, "reader", reader).line_num
            raise SourceError(origin, f"is not readable as CSV: {exc}", line) from None
        yield row


def header_cells(text: str) -> list[str]:
    """The first line's cells, stripped ([] where it is not CSV at all): what `recognise` functions look at."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    try:
        return [cell.strip() for cell in next(csv.reader([first]), [])]
    except csv.Error:
        return []


def files_by_kind(files: list[tuple[str, str]], kind_of: Callable[[list[str]], str | None], unknown: str,
                  second: str) -> dict[str, tuple[str, str]]:
    """A source's files by kind, told by their header (`kind_of(header cells)`), one file of each kind: a header of no
    kind is refused with `unknown`, a second file of a kind with `second` (which may name `{kind}` and `{first}`)."""
    by_kind: dict[str, tuple[str, str]] = {}
    for origin, text in files:
        kind = kind_of(header_cells(text))
        if not kind:
            raise SourceError(origin, unknown, 1)
        if kind in by_kind:
            raise SourceError(origin, second.format(kind=kind, first=by_kind[kind][0]), 1)
        by_kind[kind] = (origin, text)
    return by_kind


def csv_records(text: str, origin: str) -> Iterator[tuple[int, list[str]]]:
    """(line, stripped cells) of each data row after the header; blank rows skipped, a row whose width differs from
    the header's refused with its line (a truncated or shifted row)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    rows = csv_rows(reader, origin)
    width = len(next(rows, []))
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            raise SourceError(origin, f"expected {width} fields, found {len(row)}", reader.line_num)
        yield reader.line_num, [cell.strip() for cell in row]
