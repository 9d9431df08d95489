"""Tables of the Data & sources page: the coverage matrix with its recency colours, and catalogue search.
Pure functions of data frames."""
from __future__ import annotations

import pandas as pd

from sti.catalog import Catalog

# (years behind the end of the year range, background) — one blue hue, darker = more recent (colour-blind safe)
RECENCY = ((2, "#08519c"), (5, "#4292c6"), (10, "#9ecae1"), (None, "#e8eef5"))


def coverage_matrix(latest: pd.DataFrame, catalog: Catalog, countries: list[str]) -> pd.DataFrame:
    """States (rows, by name) × indicators (columns, by code): the latest year with a value, empty where none."""
    codes = [i.code for i in catalog.indicators]
    wide = (latest.pivot(index="country", columns="indicator", values="latest_year") if len(latest)
            else pd.DataFrame())
    wide = wide.reindex(index=countries, columns=codes).astype("Int64")
    wide.index = [catalog.country(c).name for c in countries]
    wide.index.name = "State"
    return wide


def recency_colour(year: object, reference_year: int) -> str:
    """CSS for one cell: the darker the blue, the more recent the latest value; nothing for no value."""
    if year is None or pd.isna(year):
        return ""
    behind = reference_year - int(year)
    for limit, colour in RECENCY:
        if limit is None or behind <= limit:
            text = "#ffffff" if colour in ("#08519c", "#4292c6") else "#1f2328"
            return f"background-color: {colour}; color: {text}"
    return ""


def year_text(year: object) -> str:
    return "" if year is None or pd.isna(year) else str(int(year))


def search(frame: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows where every word of `query` occurs (case-insensitively) in some text column."""
    words = query.casefold().split()
    if not words:
        return frame
    text = frame.apply(lambda row: " ".join("" if pd.isna(v) else str(v) for v in row).casefold(), axis=1)
    keep = pd.Series(True, index=frame.index)
    for word in words:
        keep &= text.str.contains(word, regex=False)
    return frame[keep]


ENTERPRISE_COLUMNS = ["country", "year", "msmes", "per_1000_people", "density_of", "smes", "micro",
                      "sme_limit_employees", "micro_limit_employees", "national_source"]


def enterprise_table(latest: pd.DataFrame, sources: dict[str, str], countries: list[str]) -> pd.DataFrame:
    """The SME area's table: per state, IFC's headline enterprise counts and density with their year, the employee
    limits of the national definition and the national source. `latest` holds each indicator's latest row per
    country (indicator, country, year, value). Density is IFC's MSME density, or its SME density where IFC gives
    only that (`density_of` says which)."""
    wide = latest.pivot_table(index="country", columns="indicator", values="value", aggfunc="first")
    years = latest.pivot_table(index="country", columns="indicator", values="year", aggfunc="first")
    rows = []
    for country in countries:
        if country not in wide.index:
            continue
        own = wide.loc[country].dropna().to_dict()
        value = own.get
        density, of = value("IFC.MSME.DNS"), "MSMEs"
        if density is None and value("IFC.SME.DNS") is not None:
            # IFC gives some states' density on the SME row only; where SMEs = MSMEs it counts micro firms too
            same = value("IFC.SME.NUM") is not None and value("IFC.SME.NUM") == value("IFC.MSME.NUM")
            density, of = value("IFC.SME.DNS"), "SMEs (incl. micro)" if same else "SMEs"
        counted = [c for c in ("IFC.MSME.NUM", "IFC.SME.NUM", "IFC.MSME.DNS", "IFC.SME.DNS")
                   if c in years.columns and pd.notna(years.loc[country].get(c))]
        year = int(years.loc[country, counted[0]]) if counted else None
        rows.append({"country": country, "year": year, "msmes": value("IFC.MSME.NUM"), "per_1000_people": density,
                     "density_of": of if density is not None else None, "smes": value("IFC.SME.NUM"),
                     "micro": value("IFC.MICRO.NUM"), "sme_limit_employees": value("IFC.DEF.SME"),
                     "micro_limit_employees": value("IFC.DEF.MICRO"), "national_source": sources.get(country)})
    return pd.DataFrame(rows, columns=ENTERPRISE_COLUMNS)
