"""IFC / SME Finance Forum, MSME Country Indicators 2014 (MSME-CI): `CountryIndicatorData_OTS.json`.

Format: the IFC web app's data array saved as JSON, one element per economy,
`[{"Key": ISO3, "Value": {<indicator>: {<key>: [14 fields]}}}, ...]`. Fields used: [0] source rank (1 national
statistical office, 2 ministry, 3 secondary compilation such as Eurostat SBS), [1] ISO3 (must equal Key), [2] name,
[3] reference year (written as a float, 2012.0), [6] source name, [11] indicator (IFC's own spelling, typos
included: "Vallue added"), [12] size class (Micro, SMEs, MSMEs), [13] value (null: no figure, the record is skipped).
The catalogue's source_code is "<[11]>|<[12]>", e.g. "Number of Enterprises|MSMEs".

Rule for the duplicated records: a key is the source rank digit followed by the size class (`1MSMEs`, `3Micro`), and
IFC repeats the record it chose as headline under a key starting with "0". Only the `0…` records are loaded: the
ranked ones repeat the headline figure or give another source's figure for another year, so adding them would count
one economy twice or mix sources. Each economy's headline source and year become a metadata row.

The file carries no publication date: the vintage is "2014 edition (data to <latest headline year in the files>)".
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from etl.series import Parsed, Series, SourceError, frame, load_json, reject_duplicates
from sti.catalog import Catalog

SOURCE = "ifc_msme"
FIELDS = 14
RANKS = {1: "national statistical office", 2: "ministry", 3: "secondary compilation"}


def recognise(name: str, text: str) -> bool:
    """The array of {"Key": …, "Value": …} economies (a World Bank API page starts `[{"page"` and is not one)."""
    if not isinstance(text, str):
        return False
    head = text[:300].lstrip("\ufeff \t\r\n")
    return head.startswith("[") and '"Key"' in head and '"Value"' in head


def parse(files: list[tuple[str, str]], catalog: Catalog) -> Parsed:
    records: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
    origins: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = {}  # economy -> distinct "source (rank), year", in file order
    skipped: set[str] = set()
    unknown: set[str] = set()
    years: list[int] = []
    for origin, text in files:
        for key, element in _economies(text, origin):
            country = None
            for indicator_name, size_key, record in _headline_records(key, element, origin):
                value = _value(record[13], origin, f"{key} {indicator_name!r} {size_key!r}")
                if value is None:
                    continue
                year = _year(record[3], origin, f"{key} {indicator_name!r} {size_key!r}")
                years.append(year)
                country = country or catalog.resolve_country(key, record[2] if isinstance(record[2], str) else None)
                if country is None:
                    skipped.add(key)
                    continue
                name = record[6] if isinstance(record[6], str) and record[6].strip() else "source not named"
                described = f"{name.strip()} ({_rank(record[0], origin, key)}), {year}"
                if described not in sources.setdefault(country, []):
                    sources[country].append(described)
                indicator = catalog.by_source_code(SOURCE, f"{record[11]}|{record[12]}")
                if indicator is None:
                    unknown.add(f"{record[11]}|{record[12]}")
                    continue
                records[indicator.code].append((country, year, value))
                if origin not in origins[indicator.code]:
                    origins[indicator.code].append(origin)
    vintage = f"2014 edition (data to {max(years)})" if years else "2014 edition"
    series = [reject_duplicates(Series(indicator=code, source=SOURCE, vintage=vintage, data=frame(recs),
                                       origin=" + ".join(origins[code]), skipped_countries=frozenset(skipped)),
                                " (the same economy twice?)")
              for code, recs in records.items()]
    metadata = [("country", country, "IFC MSME-CI source", "; ".join(described), SOURCE, vintage)
                for country, described in sources.items()]
    notes = [f"IFC indicators not in the catalogue, not loaded: {', '.join(sorted(unknown))}"] if unknown else []
    return Parsed(series=series, metadata=metadata, notes=notes)


def _economies(text: str, origin: str) -> list[tuple[str, dict[str, Any]]]:
    def no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # json.loads would silently keep the last of two equal keys: one of two figures would vanish unseen
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise SourceError(origin, f"key {k!r} appears twice in one JSON object")
            out[k] = v
        return out

    body = load_json(text.lstrip("\ufeff"), origin, object_pairs_hook=no_repeated_keys)
    if not isinstance(body, list):
        raise SourceError(origin, "is not a JSON array of economies ({\"Key\": ISO3, \"Value\": {…}})")
    out = []
    for n, element in enumerate(body, start=1):
        if not (isinstance(element, dict) and isinstance(element.get("Key"), str)
                and isinstance(element.get("Value"), dict)):
            raise SourceError(origin, f"element #{n} is not {{\"Key\": ISO3, \"Value\": {{<indicator>: …}}}}")
        out.append((element["Key"], element["Value"]))
    return out


def _headline_records(key: str, element: dict[str, Any], origin: str):
    """(indicator, key, record) for the `0…` records of one economy, after checking every record's shape."""
    for indicator_name, by_key in element.items():
        if not isinstance(by_key, dict):
            raise SourceError(origin, f"{key} {indicator_name!r}: expected an object of records, "
                                      f"found {type(by_key).__name__}")
        for size_key, record in by_key.items():
            where = f"{key} {indicator_name!r} {size_key!r}"
            if not (isinstance(record, list) and len(record) == FIELDS):
                raise SourceError(origin, f"{where}: expected a list of {FIELDS} fields")
            if not (size_key[:1].isdigit() and size_key[1:] == record[12] and record[11] == indicator_name):
                raise SourceError(origin, f"{where}: the key does not match the record's indicator and size class "
                                          f"({record[11]!r}, {record[12]!r})")
            if record[1] != key:
                raise SourceError(origin, f"{where}: the record is for {record[1]!r}, not {key!r}")
            if size_key.startswith("0"):
                yield indicator_name, size_key, record


def _value(raw: Any, origin: str, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise SourceError(origin, f"{where}: value {raw!r} is not a number")
    return float(raw)


def _year(raw: Any, origin: str, where: str) -> int:
    # IFC writes years as floats (2012.0); anything that is not a whole number is not a year
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not (
            math.isfinite(raw) and float(raw).is_integer() and 1000 <= raw <= 9999):
        raise SourceError(origin, f"{where}: {raw!r} is not a year")
    return int(raw)


def _rank(raw: Any, origin: str, key: str) -> str:
    whole = isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer()
    label = RANKS.get(int(raw)) if whole else None
    if label is None:
        raise SourceError(origin, f"{key}: source rank {raw!r} is not 1, 2 or 3")
    return label
