"""Correlates of War IGO data v3.0, state membership per organisation and year (`igo_year_format3`), as saved for
the metrology organisations in `cow_igo_v3_igo_year_BIPM_OIML_EURAMET.csv`.

Format: header `ioname,orgname,year,<one column per state>,sdate,deaddate,…,economic`; one row per organisation
and year. State columns carry COW's lower-case short names (`turkey`, `kyrgyzstan`, `russia`, `iran`, …); the
columns after them (`sdate` … `economic`, COW's organisation attributes) are not states and are ignored. The copy
was converted from R's .rda with pandas, so numbers are written as floats: years `2007.0`, codes `1.0`.

Codes: 0 not a member, 1 full member, 2 associate, 3 observer. An empty cell is COW's -1 (state not in the system)
or -9 (missing), which the .rda stores as NA; no row is made for it, nor for -1/-9 written out as numbers (COW's own
CSV release). Any other code is an error. The catalogue's source_code is the `ioname` (BIPM, IOLM for the OIML,
EURAMET); other organisations are left out with a note.

States map by name through the catalogue (`resolve_country(None, column)`). Every state in our catalogue resolves
directly from its COW column (`turkey`, `russia` and `iran` through the catalogue's aliases), so no COW-specific
mapping is kept; columns that do not resolve are other states, reported in skipped_countries, never guessed.
The file has no release date: the vintage is "v3.0 (data to <latest year>)".
"""
from __future__ import annotations

from collections import defaultdict

from etl.series import Parsed, Series, SourceError, csv_records, frame, header_cells, parse_year, reject_duplicates
from sti.catalog import Catalog

SOURCE = "cow_igo"
HEADER = ["ioname", "orgname", "year"]
CODES = {0, 1, 2, 3}
NOT_IN_SYSTEM = {-1, -9}
# COW's organisation-level variables that follow the state columns in igo_year_format3
ORG_COLUMNS = {"sdate", "deaddate", "dead", "integrated", "replaced", "longorgname", "ionum", "igocode", "version",
               "accuracyofpre1965membershipdates", "sourcesandnotes", "imputed", "political", "social", "economic"}


def recognise(name: str, text: str) -> bool:
    if not isinstance(text, str):
        return False
    return text.lstrip("\ufeff")[:40].replace('"', "").startswith("ioname,orgname,year,")


def parse(files: list[tuple[str, str]], catalog: Catalog) -> Parsed:
    records: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
    origins: dict[str, list[str]] = defaultdict(list)
    skipped: dict[str, set[str]] = defaultdict(set)  # per indicator: COW states with a code but not ours
    unknown: set[str] = set()
    years: list[int] = []
    for origin, text in files:
        header = header_cells(text)
        if header[:3] != HEADER:
            raise SourceError(origin, "the header does not start with ioname,orgname,year: not a COW IGO-year file", 1)
        states = [(i, name, catalog.resolve_country(None, name)) for i, name in enumerate(header)
                  if i >= 3 and name not in ORG_COLUMNS]
        for line, row in csv_records(text, origin):
            ioname, year = row[0], _year(row[2], origin, line)
            years.append(year)
            indicator = catalog.by_source_code(SOURCE, ioname)
            if indicator is None:
                unknown.add(ioname)
                continue
            if origin not in origins[indicator.code]:
                origins[indicator.code].append(origin)
            for i, name, country in states:
                code = _code(row[i], origin, line, name)
                if code is None:
                    continue
                if country is None:
                    skipped[indicator.code].add(name)
                else:
                    records[indicator.code].append((country, year, float(code)))
    vintage = f"v3.0 (data to {max(years)})" if years else "v3.0"
    series = [reject_duplicates(Series(indicator=code, source=SOURCE, vintage=vintage, data=frame(recs),
                                       origin=" + ".join(origins[code]), skipped_countries=frozenset(skipped[code])),
                                " (the same organisation and year twice?)")
              for code, recs in records.items()]
    notes = ([f"COW IGO organisations not in the catalogue, not loaded: {', '.join(sorted(unknown))}"]
             if unknown else [])
    return Parsed(series=series, notes=notes)


def _year(text: str, origin: str, line: int) -> int:
    raw = text.strip()
    return parse_year(raw.removesuffix(".0"), origin, line)  # pandas wrote 2007 as 2007.0


def _code(text: str, origin: str, line: int, state: str) -> int | None:
    raw = text.strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value in NOT_IN_SYSTEM:
        return None
    if value not in CODES:
        raise SourceError(origin, f"{state}: membership code {raw!r} is not 0, 1, 2 or 3", line)
    return int(value)
