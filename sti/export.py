"""Downloads: tidy CSV of exactly what a chart shows, and the full Excel workbook. Pure functions of data frames.

Every text cell a spreadsheet would read as a formula is neutralised with a leading apostrophe (OWASP's advice for
CSV injection); numbers stay numbers.
"""
from __future__ import annotations

import io
import re

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sti import caveats
from sti.catalog import Catalog, Source

TIDY_COLUMNS = ["indicator", "unit", "country", "year", "value", "source", "vintage"]
PROVENANCE_COLUMNS = ["licence", "citation", "caveats"]  # after TIDY_COLUMNS in every chart download
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LEADING_JUNK = re.compile(r"^[\x00-\x20\x7f]+")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text cells starting like a formula are prefixed with an apostrophe. Leading control
    characters and spaces are looked through: a spreadsheet (or our Excel writer, which must drop them) may skip
    them and read the formula behind."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(_neutral)
    out.columns = [_neutral(c) for c in out.columns]
    return out


def _neutral(value: object) -> object:
    if isinstance(value, str) and (value.startswith(_FORMULA_START)
                                   or _LEADING_JUNK.sub("", value).startswith(_FORMULA_START)):
        return "'" + value
    return value


def tidy(frame: pd.DataFrame, catalog: Catalog, unit: str | None = None) -> pd.DataFrame:
    """Observations (indicator, country, year, value, source, vintage) in the export layout, with the unit from the
    catalogue (or `unit` for a rescaled series), the source's licence and citation, and the caveats on each value;
    extra columns are kept after them."""
    out = frame.copy()
    if unit is not None:
        out["unit"] = unit
    else:
        units = {i.code: i.unit for i in catalog.indicators}
        out["unit"] = out["indicator"].map(units)
    out = with_provenance(out, catalog)
    extra = [c for c in out.columns if c not in TIDY_COLUMNS + PROVENANCE_COLUMNS and c != "retrieved_at"]
    return out[TIDY_COLUMNS + PROVENANCE_COLUMNS + extra].reset_index(drop=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # CRLF as RFC 4180 has it: with a bare \n the csv writer leaves a cell holding \r unquoted, and a spreadsheet
    # starts a new row there, whose first cell could be a formula.
    return neutralise(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per frame (sheet names as given, cut to Excel's 31 characters)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            clean = neutralise(frame)
            for column in clean.columns:
                if isinstance(clean[column].dtype, pd.DatetimeTZDtype):
                    clean[column] = clean[column].dt.tz_localize(None)
                elif clean[column].dtype == object or pd.api.types.is_string_dtype(clean[column]):
                    # control characters cannot be stored in .xlsx; openpyxl would refuse the whole workbook
                    clean[column] = clean[column].map(
                        lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
            clean.columns = [ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in clean.columns]
            clean.to_excel(xl, sheet_name=name[:31], index=False)
            xl.sheets[name[:31]].freeze_panes = "A2"
    return buffer.getvalue()


NATIONAL_EXPORT_COLUMNS = ["indicator", "indicator_name", "unit", "country", "year", "value", "data_type",
                           "source_name", "source_url", "licence", "retrieved", "note", "file", "line"]
# Open licences we may pass on in bulk, matched whole on the normalised text (anything else stays out).
_OPEN_LICENCES = re.compile(
    r"(cc by( sa)?|creative commons attribution( sharealike)?)( \d(\.\d)?)?( (igo|international))?"
    r"|cc0( \d\.\d)?( universal)?|pddl|odbl( \d\.\d)?|open government licen[cs]e( v?\d(\.\d)?)?"
    r"|public domain( \([^)]*\))?")


def is_open_licence(licence: str) -> bool:
    """Whether a user-given licence names an open licence we may pass on in bulk: matched whole against a short
    allow-list (CC BY / BY-SA, CC0, PDDL, ODbL, OGL, public domain), so 'not in the public domain' or 'CC BY NC'
    stay out."""
    text = re.sub(r"[\s\-_/]+", " ", str(licence).casefold()).strip()
    return bool(_OPEN_LICENCES.fullmatch(text))


def national_tidy(figures: pd.DataFrame) -> pd.DataFrame:
    """National figures in the export layout, each row labelled as national data with its own source."""
    out = figures.assign(data_type="national figure (user import)")
    if "indicator_name" not in out:
        out["indicator_name"] = out["indicator"]
    return out[NATIONAL_EXPORT_COLUMNS].reset_index(drop=True)


def sources_sheet(catalog: Catalog) -> pd.DataFrame:
    return pd.DataFrame([{"source": s.id, "publisher": s.publisher, "name": s.name, "url": s.url,
                          "licence": s.licence, "licence_url": s.licence_url, "licence_terms": s.licence_note or "",
                          "citation": s.citation, "in_bulk_download": s.redistribute,
                          "why_not": s.redistribution_note or ""}
                         for s in catalog.sources])


def bulk_sources(catalog: Catalog) -> list[str]:
    """Sources whose terms let us pass their data on in the full downloads."""
    return [s.id for s in catalog.sources if s.redistribute]


def left_out(catalog: Catalog) -> list[str]:
    """One line per source kept out of the full downloads: who, why, and where to get the data."""
    return [f"{s.publisher}, {s.name} ({s.licence}): {s.redistribution_note} {s.url}"
            for s in catalog.sources if not s.redistribute]


def licence_text(source: Source) -> str:
    """The licence as a download states it: with the first sentence of its terms where it sets any (share-alike)."""
    return f"{source.licence} ({source.terms})" if source.terms else source.licence


def with_provenance(frame: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """A table of indicator values (indices, profile rows) with each row's licence, citation and caveats added."""
    out = frame.copy()
    source = out["source"] if "source" in out else out["indicator"].map({i.code: i.source for i in catalog.indicators})
    out["licence"] = source.map({s.id: licence_text(s) for s in catalog.sources})
    out["citation"] = source.map({s.id: s.citation for s in catalog.sources})
    out["caveats"] = caveats.per_row(catalog, out)
    return out


def caveats_sheet(catalog: Catalog) -> pd.DataFrame:
    return pd.DataFrame([{"caveat": c.id, "source": c.source or "", "indicators": ", ".join(c.indicators),
                          "countries": ", ".join(c.countries) or "all",
                          "years": (f"{c.first_year or ''}–{c.last_year or ''}"
                                    if c.first_year or c.last_year else "all"),
                          "note": c.note, "reason": c.reason} for c in catalog.caveats],
                        columns=["caveat", "source", "indicators", "countries", "years", "note", "reason"])


def indicators_sheet(catalog: Catalog, vintages: dict[str, str]) -> pd.DataFrame:
    licences = {s.id: s.licence for s in catalog.sources}
    return pd.DataFrame([{"indicator": i.code, "name": i.name, "unit": i.unit, "source": i.source,
                          "publisher_code": i.source_code if not i.computed else "",
                          "licence": licences[i.source], "vintage": vintages.get(i.code, ""),
                          "areas": ", ".join(i.areas), "kind": i.kind, "scored": i.scored,
                          "higher_is_better": i.higher_is_better, "definition": i.definition,
                          "formula": i.formula or "", "upstream": i.upstream or "",
                          "note": i.note or "", "caveats": " | ".join(c.text() for c in
                                                                       caveats.for_indicator(catalog, i.code)),
                          "in_bulk_download": catalog.source(i.source).redistribute}
                         for i in catalog.indicators])


def countries_sheet(catalog: Catalog) -> pd.DataFrame:
    return pd.DataFrame([{"country": c.code, "name": c.name, "role": c.role, "covered": c.has_data,
                          "independent_since": c.since, "note": c.note or ""} for c in catalog.countries])


FLOW_UNIT = "internationally mobile tertiary students"
FLOW_EXPORT_COLUMNS = ["origin", "origin_name", "destination", "destination_name", "year", "students", "unit"]
FLOW_PROVENANCE_COLUMNS = ["source", "vintage", "licence", "licence_terms", "citation", "caveats"]


def flows_tidy(frame: pd.DataFrame, catalog: Catalog, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Flow rows (origin, destination, year, students, source, vintage, and whatever else the view has: listed_by,
    flags, …) in the export layout: both countries' names (`names` adds labels for codes of the view's own, such as
    the Sankey's 'elsewhere'), the unit, the source's licence with its terms (share-alike) and citation, and the
    caveats on each row."""
    known = catalog.partner_names() | (names or {})
    out = frame.copy()
    out["origin_name"] = out["origin"].map(known)
    out["destination_name"] = out["destination"].map(known)
    out["unit"] = FLOW_UNIT
    out["licence"] = out["source"].map({s.id: s.licence for s in catalog.sources})
    out["licence_terms"] = out["source"].map({s.id: s.licence_note or "" for s in catalog.sources})
    out["citation"] = out["source"].map({s.id: s.citation for s in catalog.sources})
    out["caveats"] = caveats.per_source_row(catalog, out["source"], out["year"])
    extra = [c for c in out.columns if c not in FLOW_EXPORT_COLUMNS + FLOW_PROVENANCE_COLUMNS and c != "retrieved_at"]
    return out[FLOW_EXPORT_COLUMNS + extra + FLOW_PROVENANCE_COLUMNS].reset_index(drop=True)
