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
