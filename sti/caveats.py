"""Which catalogue caveats apply to which values: pure functions of the catalogue and data frames.

A caveat on a source or an indicator also covers what the monitor derives from it (certificates per million people
carry the ISO Survey's caveats), and the per-capita forms the explorer shows, which keep the indicator's code.
"""
from __future__ import annotations

import pandas as pd

from sti.catalog import Catalog, Caveat, Indicator


def _lineage(catalog: Catalog, code: str) -> list[Indicator]:
    """The indicator and, for a derived one, its numerator (the published series whose caveats it inherits)."""
    try:
        ind = catalog.indicator(code)
    except StopIteration:
        return []
    out = [ind]
    if ind.derived:
        out.append(catalog.indicator(ind.derived.numerator))
    return out


def covers_indicator(caveat: Caveat, catalog: Catalog, code: str) -> bool:
    return any((caveat.source is not None and ind.source == caveat.source) or ind.code in caveat.indicators
               for ind in _lineage(catalog, code))


def _in_scope(caveat: Caveat, country: str | None, year: int | None) -> bool:
    """The caveat's state and year restrictions; a missing country or year (a whole series) matches any."""
    if caveat.countries and country is not None and country not in caveat.countries:
        return False
    if year is not None:
        if caveat.first_year is not None and year < caveat.first_year:
            return False
        if caveat.last_year is not None and year > caveat.last_year:
            return False
    return True


def applies(caveat: Caveat, catalog: Catalog, indicator: str, country: str | None = None,
            year: int | None = None) -> bool:
    """Does the caveat cover this value?"""
    return covers_indicator(caveat, catalog, indicator) and _in_scope(caveat, country, year)


def _rows(frame: pd.DataFrame) -> list[tuple[str, str | None, int | None]]:
    if frame is None or frame.empty or "indicator" not in frame.columns:
        return []
    countries = frame["country"] if "country" in frame.columns else [None] * len(frame)
    years = frame["year"] if "year" in frame.columns else [None] * len(frame)
    return [(str(i), None if pd.isna(c) else str(c), None if pd.isna(y) else int(y))
            for i, c, y in zip(frame["indicator"], countries, years)]


def _covering(catalog: Catalog, keys) -> dict[str, list[Caveat]]:
    """Per indicator of the keys, the caveats on any of its values: most indicators have none, so rows of those
    are settled without looking at country or year (this runs on every chart of every rerun)."""
    return {code: [c for c in catalog.caveats if covers_indicator(c, catalog, code)] for code in {k[0] for k in keys}}


def for_frame(catalog: Catalog, frame: pd.DataFrame) -> list[Caveat]:
    """The caveats that apply to at least one row of an observations-like frame (indicator[, country, year])."""
    keys = set(_rows(frame))
    covering = _covering(catalog, keys)
    hit = {c.id for ind, country, year in keys for c in covering[ind] if _in_scope(c, country, year)}
    return [c for c in catalog.caveats if c.id in hit]


def for_indicator(catalog: Catalog, code: str) -> list[Caveat]:
    """Every caveat on any value of the indicator (for definitions and catalogue listings)."""
    return [c for c in catalog.caveats if covers_indicator(c, catalog, code)]


def per_row(catalog: Catalog, frame: pd.DataFrame) -> list[str]:
    """For each row, the notes of the caveats on that value joined by ' | ' ('' where none): the export column."""
    rows = _rows(frame)
    covering = _covering(catalog, rows)
    cache: dict[tuple, str] = {}
    out = []
    for key in rows:
        if key not in cache:
            cache[key] = " | ".join(c.text() for c in covering[key[0]] if _in_scope(c, key[1], key[2]))
        out.append(cache[key])
    return out


def for_source_rows(catalog: Catalog, source: str, years) -> list[Caveat]:
    """The caveats on a source that apply to data of these years (for tables that are not indicator series, such
    as the student flows)."""
    years = [int(y) for y in years]
    return [c for c in catalog.caveats if c.source == source and any(_in_scope(c, None, y) for y in years)]


def per_source_row(catalog: Catalog, sources, years) -> list[str]:
    """For each row of a source × year table, the notes of the source's caveats on it (the export column)."""
    return [" | ".join(c.text() for c in catalog.caveats if c.source == s and _in_scope(c, None, int(y)))
            for s, y in zip(sources, years)]
