"""Coverage tables: which indicator has data for which state, and how recent it is. Pure functions of frames."""
from __future__ import annotations

import pandas as pd

from sti.catalog import Catalog

NO_DATA = "—"


def latest_year_table(catalog: Catalog, latest: pd.DataFrame, vintages: pd.DataFrame, area_id: str,
                      countries: list[str]) -> pd.DataFrame:
    """One row per indicator of the area: the latest year with data per country ("—" if none in any year), then
    unit, source, vintage and whether the indicator enters the area score."""
    wide = (latest.pivot(index="indicator", columns="country", values="latest_year")
            if len(latest) else pd.DataFrame())
    vintage_of = dict(zip(vintages["indicator"], vintages["vintage"]))
    rows = []
    for ind in catalog.indicators_for_area(area_id):
        row: dict[str, object] = {"Indicator": ind.name}
        for code in countries:
            value = wide.at[ind.code, code] if ind.code in wide.index and code in wide.columns else None
            row[code] = NO_DATA if value is None or pd.isna(value) else str(int(value))
        source = catalog.source(ind.source).publisher
        row.update({"Unit": ind.unit, "Source": f"{source}, derived" if ind.derived else source,
                    "Vintage": vintage_of.get(ind.code) or NO_DATA, "Scored": "yes" if ind.scored else "no"})
        rows.append(row)
    return pd.DataFrame(rows)
