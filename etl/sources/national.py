"""National figures brought by a user: a tidy CSV template, validated row by row before anything is written.

The template (UTF-8 CSV, header on the first line, columns in any order):

    indicator, country, year, value, unit, source_name, source_url, licence, retrieved
    optional: indicator_name, area, note

`indicator` is a catalogue code (then `unit` must be the catalogue's unit, so a ministry's figure means the same as
the international one) or a new code the file declares, with its `unit`, `area` and, best, `indicator_name`.
National figures are kept apart from the publishers' series (tables national_observation and national_indicator),
labelled as national wherever they appear, never scored, and re-importing a figure with the same indicator,
country, year and source name replaces it.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from etl.series import SourceError, csv_rows, header_cells, utc_now
from sti.catalog import AREA_IDS, Catalog

REQUIRED = ("indicator", "country", "year", "value", "unit", "source_name", "source_url", "licence", "retrieved")
OPTIONAL = ("indicator_name", "area", "note")
OBSERVATION_COLUMNS = ["indicator", "country", "year", "value", "unit", "source_name", "source_url", "licence",
                       "retrieved", "note", "file", "line", "imported_at"]
INDICATOR_COLUMNS = ["code", "name", "unit", "area", "file"]
STATE_ROLES = ("member", "observer", "neighbour")
FIRST_YEAR = 1950
MAX_ROWS = 100_000
MAX_ERRORS_SHOWN = 25
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,39}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")  # a point decimal, no thousands separators
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class NationalFile:
    origin: str
    observations: pd.DataFrame   # OBSERVATION_COLUMNS
    indicators: pd.DataFrame     # INDICATOR_COLUMNS: codes the file declares itself


def _header(text: str) -> list[str]:
    return [h.lower() for h in header_cells(text)]


def recognise(text: str) -> bool:
    return set(REQUIRED) <= set(_header(text))


def check_bytes(raw: bytes, origin: str) -> None:
    """The template must be UTF-8 (with or without BOM): a guessed encoding would store ministry names garbled."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SourceError(origin, "is UTF-16: save it as 'CSV UTF-8 (comma delimited)'", 1)
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(origin, f"is not UTF-8 (byte {exc.start}): save it as 'CSV UTF-8 (comma delimited)'") \
            from None


def looks_semicolon_separated(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return set(REQUIRED) <= {h.strip().lower() for h in first.split(";")}


def read(text: str, origin: str, catalog: Catalog, today: date | None = None) -> NationalFile:
    """Every row checked; any bad row refuses the whole file with the line numbers of all bad rows."""
    today = today or date.today()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    records = csv_rows(reader, origin)
    header = [h.strip().lower() for h in next(records, [])]
    unknown = sorted(set(header) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise SourceError(origin, f"unknown column(s) {', '.join(unknown)}; the template has "
                                  f"{', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}", 1)
    if len(set(header)) != len(header):
        raise SourceError(origin, "a column name appears twice in the header", 1)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SourceError(origin, f"missing column(s) {', '.join(missing)}: the template needs all of "
                                  f"{', '.join(REQUIRED)}", 1)
    known = {i.code: i for i in catalog.indicators}
    states = {c.code for c in catalog.countries if c.role in STATE_ROLES}
    errors: list[str] = []
    rows: list[dict] = []
    declared: dict[str, tuple[str, str, str, int]] = {}  # code -> (name, unit, area, first line)
    seen: dict[tuple, int] = {}
    imported_at = utc_now()
    while True:
        line = reader.line_num + 1  # where the record starts (a quoted cell may span lines)
        record = next(records, None)
        if record is None:
            break
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_ROWS:
            raise SourceError(origin, f"more than {MAX_ROWS} rows: split the file", line)
        if len(record) != len(header):
            errors.append(f"line {line}: {len(record)} fields, the header has {len(header)}")
            continue
        cell = {h: v.strip() for h, v in zip(header, record)}
        problems: list[str] = []
        code = cell["indicator"]
        if not _CODE.match(code):
            problems.append(f"indicator {code!r} is not a code (letters, digits, . _ -; up to 40)")
        elif code not in known and code.casefold() in {k.casefold() for k in known}:
            problems.append(f"indicator {code!r} differs from a catalogue code only in letter case")
        elif code in known:
            ind = known[code]
            if ind.kind != "indicator":
                problems.append(f"{code} is a context series (a denominator), not an area indicator")
            elif ind.derived or ind.is_categorical:
                problems.append(f"{code} is computed by the monitor or a coded status; give its inputs instead")
            elif cell["unit"].casefold() != ind.unit.casefold():
                problems.append(f"unit {cell['unit']!r} differs from the catalogue's {ind.unit!r} for {code}: "
                                "convert the value, or declare a new indicator code with its own unit")
        else:
            area = cell.get("area", "")
            if not cell["unit"] or area not in AREA_IDS:
                problems.append(f"{code} is not in the catalogue: declare it with a unit and an area "
                                f"(one of {', '.join(AREA_IDS)})" + (f", not {area!r}" if area else ""))
            else:
                decl = (cell.get("indicator_name") or code, cell["unit"], area)
                first = declared.setdefault(code, (*decl, line))
                if first[:3] != decl:
                    problems.append(f"{code} is declared on line {first[3]} with name, unit and area "
                                    f"{first[:3]}, here with {decl}")
        country = catalog.resolve_country(cell["country"], cell["country"])
        if country not in states:
            problems.append(f"country {cell['country']!r} is not an OTS member, observer or neighbour of the "
                            "catalogue (use its ISO3 code, e.g. KAZ)")
        year = cell["year"]
        if not (len(year) == 4 and year.isascii() and year.isdigit() and FIRST_YEAR <= int(year) <= today.year):
            problems.append(f"year {year!r} is not a year between {FIRST_YEAR} and {today.year}")
        value = float(cell["value"]) if _NUMBER.match(cell["value"]) else math.nan
        if not math.isfinite(value):
            problems.append(f"value {cell['value']!r} is not a plain number (a point before decimals, no "
                            "thousands separators)")
        for name in ("source_name", "licence"):
            if not cell[name]:
                problems.append(f"{name} is empty")
        if not _URL.match(cell["source_url"]):
            problems.append(f"source_url {cell['source_url']!r} is not an http(s) address")
        try:
            if not _DATE.match(cell["retrieved"]):
                raise ValueError(cell["retrieved"])
            retrieved = date.fromisoformat(cell["retrieved"])
            if retrieved > today:
                problems.append(f"retrieved {cell['retrieved']} is in the future")
        except ValueError:
            retrieved = None
            problems.append(f"retrieved {cell['retrieved']!r} is not a date (YYYY-MM-DD)")
        if not problems:
            key = (code, country, int(year), cell["source_name"])
            if key in seen:
                problems.append(f"same indicator, country, year and source as line {seen[key]}")
            seen.setdefault(key, line)
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
            continue
        rows.append({"indicator": code, "country": country, "year": int(year), "value": value,
                     "unit": known[code].unit if code in known else cell["unit"],
                     "source_name": cell["source_name"], "source_url": cell["source_url"],
                     "licence": cell["licence"], "retrieved": retrieved, "note": cell.get("note", ""),
                     "file": Path(origin).name, "line": line, "imported_at": imported_at})
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n  … and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise SourceError(origin, f"{len(errors)} row(s) rejected, nothing was imported:\n  " + "\n  ".join(shown)
                          + more)
    if not rows:
        raise SourceError(origin, "the template holds no rows")
    return NationalFile(origin=origin, observations=pd.DataFrame(rows, columns=OBSERVATION_COLUMNS),
                        indicators=pd.DataFrame([(c, n, u, a, Path(origin).name)
                                                 for c, (n, u, a, _) in declared.items()],
                                                columns=INDICATOR_COLUMNS))


def empty_observations() -> pd.DataFrame:
    return pd.DataFrame(columns=OBSERVATION_COLUMNS)


def empty_indicators() -> pd.DataFrame:
    return pd.DataFrame(columns=INDICATOR_COLUMNS)


def merge(current_obs: pd.DataFrame, current_ind: pd.DataFrame, files: list[NationalFile]
          ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Add the files' figures: a figure with the same indicator, country, year and source name replaces the stored
    one. A code declared again must keep its unit and area. Returns the tables and one message per file."""
    obs, ind, messages = current_obs, current_ind, []
    key = ["indicator", "country", "year", "source_name"]
    for f in files:
        for row in f.indicators.itertuples(index=False):
            old = ind[ind["code"] == row.code]
            if len(old) and (old["unit"].iloc[0], old["area"].iloc[0]) != (row.unit, row.area):
                raise SourceError(f.origin, f"{row.code} was declared by {old['file'].iloc[0]} with unit "
                                            f"{old['unit'].iloc[0]!r} and area {old['area'].iloc[0]!r}; use "
                                            "another code for a different measure")
            ind = pd.concat([ind[ind["code"] != row.code], pd.DataFrame([row._asdict()])], ignore_index=True)
        incoming = f.observations
        if len(obs):
            stale = obs.merge(incoming[key].astype({"year": "int64"}), on=key, how="left", indicator=True)
            replaced = int((stale["_merge"] == "both").sum())
            obs = obs[(stale["_merge"] == "left_only").to_numpy()]
        else:
            replaced = 0
        obs = pd.concat([obs, incoming], ignore_index=True) if len(obs) else incoming.copy()
        messages.append(f"{len(incoming)} national figures ({replaced} replacing earlier imports), "
                        f"{len(f.indicators)} indicator(s) declared in the file")
    return normalise(obs), ind.reset_index(drop=True), messages


def normalise(obs: pd.DataFrame) -> pd.DataFrame:
    out = obs[OBSERVATION_COLUMNS].astype({"year": "int64", "value": "float64", "line": "int64"})
    out["retrieved"] = pd.to_datetime(out["retrieved"]).dt.date
    out["imported_at"] = pd.to_datetime(out["imported_at"]).astype("datetime64[us]")
    return out.sort_values(["indicator", "country", "year", "source_name"], kind="stable").reset_index(drop=True)


def reconcile(obs: pd.DataFrame, ind: pd.DataFrame, catalog: Catalog) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Kept national figures against the current catalogue (it may have changed since they were imported): a
    declared code the catalogue now holds becomes a catalogue indicator when the units agree; figures whose unit no
    longer matches, or whose country or area is gone, are set aside with a message naming their file and lines."""
    known = {i.code: i for i in catalog.indicators}
    states = {c.code for c in catalog.countries if c.role in STATE_ROLES}
    messages = []
    taken = ind[ind["code"].isin(known)] if len(ind) else ind
    for row in taken.itertuples(index=False):
        if row.unit.casefold() == known[row.code].unit.casefold():
            messages.append(f"{row.code} is now in the catalogue with the same unit: its national figures are kept")
    ind = ind[~ind["code"].isin(known) & ind["area"].isin(AREA_IDS)] if len(ind) else ind
    if not len(obs):
        return obs, ind, messages
    unit = obs["indicator"].map({k: v.unit.casefold() for k, v in known.items()})
    declared = obs["indicator"].isin(set(ind["code"]))
    fits = (declared | (unit.notna() & (unit == obs["unit"].str.casefold()))) & obs["country"].isin(states)
    for (file, code), group in obs[~fits].groupby(["file", "indicator"]):
        messages.append(f"set aside {len(group)} national figure(s) of {code} from {file} (lines "
                        f"{', '.join(map(str, group['line']))}): the catalogue changed its unit, area or country; "
                        "fix and import the file again")
    return obs[fits].reset_index(drop=True), ind.reset_index(drop=True), messages
