"""UN E-Government Survey (UN DESA): EGDI, its three components, the E-Participation Index and the rank.

Three layouts, told apart by the header line:
* the UN Data Center export (2022, 2024 editions): `Survey Year,Country Name,E-Government Rank,E-Government Index,
  E-Participation Index,Online Service Index,Human Capital Index,Telecommunication Infrastructure Index`. No ISO3
  code; names padded with a trailing space and quoted ("Kazakhstan "), "Türkiye", "Georgia (Country)";
* the same with a `CODE` (ISO3) column added by a re-publisher (2018 edition), some names shortened ("Russia");
* UNU-EGOV's reformatting (2010–2016): `country-code,country-name,e-gov-rank,e-gov-index,e-pat-index,osi,hci,tii`,
  floats with binary artefacts (`0.8401000000000001`) and ranks written `46.0`. The edition is not in the file: it
  is the one 4-digit year in the file NAME (egdi-2016.csv).

Rules: the year is the survey edition. Countries join on the ISO3 code where the file has one, else on the trimmed
name; "Georgia (Country)" is the UN's name for Georgia and is mapped here (the catalogue does not know it). Values
are rounded to 10 significant digits, which drops the artefacts and keeps every published digit (the UN publishes
4–5 decimals). Ranks must be whole numbers, indices lie in 0–1 (a shifted column fails that). An edition found in
two files, or a country twice in one edition, is an error. All files of one import form one series per indicator,
with one vintage listing the editions read. EGDI is the mean of OSI, HCI and TII: a gap above 0.005 is reported in a
note, not refused (2010 has gaps up to 0.003 in the source itself).
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

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

SOURCE = "un_egov"
DATA_CENTER = ["Survey Year", "Country Name", "E-Government Rank", "E-Government Index", "E-Participation Index",
               "Online Service Index", "Human Capital Index", "Telecommunication Infrastructure Index"]
WITH_CODE = DATA_CENTER + ["CODE"]
UNU = ["country-code", "country-name", "e-gov-rank", "e-gov-index", "e-pat-index", "osi", "hci", "tii"]
# catalogue source_code -> column in the Data Center layout / in the UNU layout
MEASURES = {"RANK": ("E-Government Rank", "e-gov-rank"), "EGDI": ("E-Government Index", "e-gov-index"),
            "EPI": ("E-Participation Index", "e-pat-index"), "OSI": ("Online Service Index", "osi"),
            "HCI": ("Human Capital Index", "hci"), "TII": ("Telecommunication Infrastructure Index", "tii")}
# UN names the catalogue does not resolve; mapped to ISO3, which then goes through the catalogue
NAMES = {"georgia (country)": "GEO"}
EGDI_TOLERANCE = 0.005
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def recognise(name: str, text: str) -> bool:
    return header_cells(text) in (DATA_CENTER, WITH_CODE, UNU)


def _edition_from_name(origin: str) -> int:
    base = PurePosixPath(origin.replace("\\", "/").rsplit("!", 1)[-1]).name
    years = set(_YEAR_IN_NAME.findall(base))
    if len(years) != 1:
        raise SourceError(origin, "a UNU-EGOV file (country-code,country-name,…) does not say its survey edition: "
                                  f"the file name must hold exactly one 4-digit year (egdi-2016.csv), found "
                                  f"{sorted(years) or 'none'}")
    return int(years.pop())


def _value(code: str, text: str, origin: str, line: int) -> float:
    value = float(f"{parse_number(text, origin, line):.10g}")  # drops 0.8401000000000001-style artefacts
    if code == "RANK":
        if value != int(value) or value < 1:
            raise SourceError(origin, f"rank {text!r} is not a whole number from 1", line)
    elif not 0 <= value <= 1:
        raise SourceError(origin, f"{code} {text!r} is outside 0–1 (columns shifted?)", line)
    return value


def parse(files: list[tuple[str, str]], catalog: Catalog) -> Parsed:
    records: dict[str, list[tuple[str, int, float]]] = {code: [] for code in MEASURES}
    edition_file: dict[int, str] = {}
    skipped: set[str] = set()
    for origin, text in files:
        header = header_cells(text)
        if header not in (DATA_CENTER, WITH_CODE, UNU):
            raise SourceError(origin, "the header is none of the UN E-Government layouts (Data Center export "
                                      f"'{','.join(DATA_CENTER)}'[,CODE] or UNU-EGOV '{','.join(UNU)}')", 1)
        unu = header == UNU
        file_edition = _edition_from_name(origin) if unu else None
        seen_editions: set[int] = set()
        for line, row in csv_records(text, origin):
            cells = dict(zip(header, row))
            if unu:
                edition, code, name = file_edition, cells["country-code"], cells["country-name"]
            else:
                edition = parse_year(cells["Survey Year"], origin, line)
                code, name = cells.get("CODE"), cells["Country Name"]
            if edition not in seen_editions:
                if edition in edition_file:
                    raise SourceError(origin, f"the {edition} edition is also in {edition_file[edition]}: import "
                                              "one file per edition", line)
                edition_file[edition] = origin
                seen_editions.add(edition)
            country = catalog.resolve_country(code or None, name) or catalog.resolve_country(
                NAMES.get(name.casefold()))
            if country is None:
                skipped.add(name)
                continue
            for measure, columns in MEASURES.items():
                cell = cells[columns[1] if unu else columns[0]]
                if cell:
                    records[measure].append((country, edition, _value(measure, cell, origin, line)))
    editions = sorted(edition_file)
    if not editions:
        return Parsed()
    vintage = f"editions {', '.join(map(str, editions))} (data to {editions[-1]})"
    origin = " + ".join(o for o, _ in files)
    series = []
    for measure, recs in records.items():
        indicator = catalog.by_source_code(SOURCE, measure)
        if indicator is None or not recs:
            continue
        series.append(reject_duplicates(
            Series(indicator=indicator.code, source=SOURCE, vintage=vintage, data=frame(recs), origin=origin,
                   skipped_countries=frozenset(skipped)), " (a country twice in one edition?)"))
    return Parsed(series=series, notes=_egdi_check(records, origin))


def _egdi_check(records: dict[str, list[tuple[str, int, float]]], origin: str) -> list[str]:
    """EGDI should be the mean of OSI, HCI and TII; a larger gap is worth a look, not a refusal."""
    parts = {m: {(c, y): v for c, y, v in records[m]} for m in ("EGDI", "OSI", "HCI", "TII")}
    off = []
    for key, egdi in sorted(parts["EGDI"].items()):
        if all(key in parts[m] for m in ("OSI", "HCI", "TII")):
            mean = sum(parts[m][key] for m in ("OSI", "HCI", "TII")) / 3
            if abs(egdi - mean) > EGDI_TOLERANCE:
                off.append(f"{key[0]} {key[1]} ({egdi:g} vs {mean:.5f})")
    if not off:
        return []
    return [f"{origin}: EGDI differs from (OSI + HCI + TII) / 3 by more than {EGDI_TOLERANCE} for {', '.join(off)}"]
