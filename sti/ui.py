"""Streamlit helpers shared by the pages: country looks, the indices of a view, captions, charts with their CSV
download, and the full downloads. (URL state and the sidebar: `sti.urlstate`.)"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sti import caveats, export, flows, profile, queries, scoring, store
from sti.catalog import Catalog, Indicator, catalog
from sti.charts import Look
from sti.db import connect_readonly, file_identity
from sti.urlstate import View

PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    # world outlines served by the app itself (static/topojson), so maps draw offline and on Community Cloud
    "topojsonURL": "app/static/topojson/",
}


def look(cat: Catalog | None = None) -> Look:
    cat = cat or catalog()
    return Look(names={c.code: c.name for c in cat.countries}, colours={c.code: c.colour for c in cat.countries})


def flow_look(cat: Catalog | None = None) -> Look:
    """`look` that also names the flows' partner countries (which have no colour of their own)."""
    cat = cat or catalog()
    return Look(names=cat.partner_names(), colours={c.code: c.colour for c in cat.countries})


def benchmark_label(cat: Catalog, code: str) -> str:
    return "the best OTS performer" if code == scoring.BEST else cat.country(code).name


# --- indices -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    observations: pd.DataFrame   # the values the indices were computed from
    indicators: pd.DataFrame     # scoring.indicator_indices
    areas: pd.DataFrame          # scoring.area_indices
    average: pd.DataFrame        # scoring.group_average over the OTS states


@st.cache_data(max_entries=64, show_spinner=False)
def _compute_scores(observations: pd.DataFrame, countries: tuple[str, ...], benchmark: str, to: int,
                    window: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    cat = catalog()
    indicators = scoring.indicator_indices(observations, cat, countries, benchmark, to, window)
    return indicators, scoring.area_indices(indicators, cat, countries)


def scores(view: View) -> Scores:
    """Indicator and area indices for the selected states and every OTS state (for the OTS average)."""
    cat = catalog()
    ots = [c.code for c in cat.ots_states() if c.has_data]
    countries = tuple(dict.fromkeys(view.countries + ots))
    benchmark = view["benchmark"]
    needed = sorted(set(countries) | ({benchmark} if benchmark != scoring.BEST else set()))
    first, last = scoring.window_years(view["to"], view["window"])
    observations = store.read("series", [i.code for i in cat.indicators if i.scored], needed, first, last)
    indicators, areas = _compute_scores(observations, countries, benchmark, view["to"], view["window"])
    return Scores(observations, indicators, areas, scoring.group_average(areas, ots))


@st.cache_data(max_entries=64, show_spinner=False)
def indicator_table(data: pd.DataFrame, indices: pd.DataFrame, country: str, ots: tuple[str, ...],
                    benchmark_of: tuple[tuple[str, str | None], ...], first: int, last: int,
                    window: int) -> pd.DataFrame:
    """profile.indicator_table, cached: it is the country page's slowest step and its inputs change rarely."""
    return profile.indicator_table(data, indices, catalog(), country, list(ots), dict(benchmark_of), first, last,
                                   window)


@dataclass(frozen=True)
class FlowYear:
    """One year of the student flows as the Cooperation page counts them (sti.flows), with every year's hosts."""
    rows: pd.DataFrame              # the year's flow rows, both lists
    known: pd.DataFrame             # flows.pairs: one row per known pair
    outbound: pd.DataFrame          # flows.shares per OTS state
    inbound: pd.DataFrame
    hosts_by_year: dict[int, frozenset[str]]


@st.cache_data(max_entries=64, show_spinner=False)
def flow_year(every: pd.DataFrame, year: int) -> FlowYear:
    """The pairs and intra-OTS shares of one year, cached: the page's slowest steps, whose inputs change rarely."""
    cat = catalog()
    rows = every[every["year"] == year]
    states, groups = cat.flow_states(), cat.group_codes()
    known = flows.pairs(rows, groups)
    return FlowYear(rows=rows, known=known,
                    outbound=flows.shares(rows, states, groups, "outbound", cat.flows.reporters, known=known),
                    inbound=flows.shares(rows, states, groups, "inbound", known=known),
                    hosts_by_year=flows.reported(every))


def best_performers(scores: Scores, view: View) -> dict[str, str]:
    """Per scored indicator, the OTS state whose latest value in the window is best: one rule for every page."""
    cat = catalog()
    first, last = scoring.window_years(view["to"], view["window"])
    return scoring.best_performers(scores.observations, cat, [c.code for c in cat.ots_states() if c.has_data],
                                   first, last)


def sources_line(cat: Catalog, indicator_codes: list[str] | set[str], data: pd.DataFrame) -> str:
    """One line naming each source behind a view that combines many series, with licence and vintages."""
    parts = []
    for src in cat.sources:
        codes = [i.code for i in cat.indicators if i.code in indicator_codes and i.source == src.id]
        if not codes:
            continue
        vintages = sorted(set(data[data["indicator"].isin(codes)]["vintage"].dropna()))
        when = (f"vintage {vintages[0]}" if len(vintages) == 1 else
                f"vintages {vintages[0]} to {vintages[-1]}" if vintages else "no data shown")
        terms = f", {src.terms.lower()}" if src.terms else ""
        parts.append(f"{src.publisher}, {src.name} (licence [{src.licence}]({src.licence_url}){terms}; {when})")
    return "Sources: " + "; ".join(parts) + "."


def milestones(cat: Catalog, area_id: str) -> None:
    area = cat.area(area_id)
    if not area.milestones:
        return
    lines = []
    for m in area.milestones:
        when = f"{m.date} · " if m.date else ""
        lines.append(f"- **{m.status.capitalize()}** · {when}{m.title} ({cat.source(m.source).publisher})")
    st.markdown("\n".join(lines))


# --- charts with caption and download -----------------------------------------------------------------------------


def source_caption(cat: Catalog, indicators: list[Indicator], data: pd.DataFrame) -> str:
    """Source, licence and vintage of the series a chart shows (vintages as found in the data shown)."""
    parts = []
    for ind in indicators:
        src = cat.source(ind.source)
        rows = data[data["indicator"] == ind.code] if "indicator" in data else data
        vintages = sorted(set(rows["vintage"].dropna())) if "vintage" in rows else []
        vintage = "; ".join(vintages) if vintages else "no data shown"
        how = (f"computed by the monitor as {ind.formula}" if ind.computed
               else f"series {ind.source_code}")
        upstream = f", from {ind.upstream}" if ind.upstream else ""
        terms = f" ({src.terms})" if src.terms else ""
        parts.append(f"**{ind.name}**: {src.publisher}, {src.name}{upstream} ({how}); licence "
                     f"[{src.licence}]({src.licence_url}){terms}; vintage {vintage}.")
    return "Source — " + " ".join(parts)


def flow_caption(cat: Catalog, data: pd.DataFrame, what: str = "Internationally mobile tertiary students") -> str:
    """Source, licence (with the first sentence of its terms: share-alike) and vintage of flows a view shows."""
    parts = []
    for source in sorted(set(data["source"].dropna())) or ([cat.flows.source] if cat.flows else []):
        src = cat.source(source)
        vintages = "; ".join(sorted(set(data.loc[data["source"] == source, "vintage"].dropna()))) or "no data shown"
        terms = f" ({src.terms})" if src.terms else ""
        parts.append(f"**{what}**: {src.publisher} (top-10 lists); licence [{src.licence}]({src.licence_url}){terms}; "
                     f"vintage {vintages}.")
    return "Source — " + " ".join(parts)


def flow_caveats(cat: Catalog, years) -> None:
    """The catalogue's caveats on the flows' source for these years, each with its reason."""
    found = caveats.for_source_rows(cat, cat.flows.source, years) if cat.flows else []
    if found:
        st.caption("  \n".join(f":material/warning: **Caveat:** {c.note} — *why:* {c.reason}." for c in found))


def caveat_notes(cat: Catalog, data: pd.DataFrame) -> None:
    """The catalogue's caveats on the values in `data` (indicator[, country, year]), each with its reason."""
    found = caveats.for_frame(cat, data)
    if found:
        st.caption("  \n".join(f":material/warning: **Caveat:** {c.note} — *why:* {c.reason}." for c in found))


def figure(builder: Callable[..., go.Figure], *args: object, **kwargs: object) -> go.Figure:
    """`builder(*args, **kwargs)` (a sti.charts builder), kept per input: building a figure costs plotly more than
    drawing it, and most reruns draw the same figures again."""
    return _figure(f"{builder.__module__}.{builder.__qualname__}", builder, *args, **kwargs)


# Kept as a resource, not copied per session: st.plotly_chart copies a figure (to_dict) before serialising it, and
# nothing else changes one once built. Keyed by the builder's name, not its code: after editing sti/charts.py,
# restart the server (or clear its cache) to see the change on figures already built.
@st.cache_resource(max_entries=512, show_spinner=False, hash_funcs={Look: lambda look: look.key})
def _figure(name: str, _builder: Callable[..., go.Figure], *args: object, **kwargs: object) -> go.Figure:
    return _builder(*args, **kwargs)


Rows = pd.DataFrame | Callable[[], pd.DataFrame]  # a frame, or what makes it when it is needed


def _made(data: Rows) -> pd.DataFrame:
    return data() if callable(data) else data


def chart(fig: go.Figure, data: Rows, caption: str, file_name: str, key: str, *, with_caveats: bool = True) -> None:
    """Render a figure with its source caption, the caveats on what it draws, and a CSV download of exactly `data`
    (the rows it draws, with licence, citation and caveats). `with_caveats=False` where the page shows the caveats
    of several charts of the same values once, below them; then a callable `data` is only called on a click."""
    st.plotly_chart(fig, config=PLOTLY_CONFIG, key=f"chart-{key}")
    st.caption(caption)
    if with_caveats:
        data = _made(data)
        caveat_notes(catalog(), data)
    download(data, file_name, key)


def download(data: Rows, file_name: str, key: str, label: str = "Download the data (CSV)") -> None:
    """A CSV download button whose file is made when it is clicked: on a page of 26 charts, making every file on
    every rerun was a quarter of the page's time, for files rarely wanted."""
    st.download_button(label, lambda: export.csv_bytes(_made(data)), file_name=file_name,
                       mime="text/csv", key=f"dl-{key}", icon=":material/download:", on_click="ignore")


@functools.lru_cache(maxsize=3)
def _full_export(path: str, identity: tuple[int, int, int], kind: str) -> bytes:
    # Runs when the button is clicked, on a thread of its own (no Streamlit context): plain caching by file identity.
    cat = catalog()
    con = connect_readonly(Path(path))
    try:
        observations = queries.export_observations(con, export.bulk_sources(cat))
        vintages = dict(zip(*queries.status(con)[["indicator", "vintage"]].T.values))
        national = queries.national_figures(con, [c.code for c in cat.countries], None)
        flows = export.flows_tidy(queries.export_flows(con, export.bulk_sources(cat)), cat)
    finally:
        con.close()
    if kind == "flows":
        return export.csv_bytes(flows)
    open_rows = national["licence"].map(export.is_open_licence) if len(national) else pd.Series(dtype=bool)
    closed = []
    if len(national) and (~open_rows).any():
        closed.append(f"{int((~open_rows).sum())} national figure(s) whose licence is not an open one: see the area "
                      "and country pages, or the file they were imported from")
    observations.insert(observations.columns.get_loc("vintage") + 1, "caveats",
                        caveats.per_row(cat, observations))
    if kind == "csv":
        return export.csv_bytes(observations)
    return export.workbook_bytes({
        "observations": observations, "indicators": export.indicators_sheet(cat, vintages),
        "sources": export.sources_sheet(cat), "caveats": export.caveats_sheet(cat),
        "countries": export.countries_sheet(cat), "student flows": flows,
        "national figures": (export.national_tidy(national[open_rows]) if len(national) else
                             pd.DataFrame(columns=export.NATIONAL_EXPORT_COLUMNS)),
        "left out": pd.DataFrame({"not in this download": export.left_out(cat) + closed})})


def full_downloads() -> None:
    """Every observation whose source allows it, as CSV and as an Excel workbook (with sheets of indicators, sources,
    caveats, countries and what was left out), and a note naming the sources left out and where to get them."""
    path = store.ensure_database()
    identity = file_identity(path)
    cat = catalog()
    for src in (s for s in cat.sources if s.licence_note):
        st.caption(f":material/copyright: **{src.publisher}** ({src.licence}): {src.licence_note}")
    if export.left_out(cat):
        st.info("**Left out of the full downloads**, because their terms do not let us pass the data on (each is "
                "shown on its charts, whose CSVs carry its citation):\n" +
                "\n".join(f"- {line}" for line in export.left_out(cat)), icon=":material/copyright:")
    left, middle, right = st.columns(3)
    with left:
        st.download_button("All observations (CSV)", lambda: _full_export(str(path), identity, "csv"),
                           file_name="ots_sti_observations.csv", mime="text/csv", key="dl-all-csv",
                           icon=":material/download:", on_click="ignore")
    with middle:
        st.download_button("All student flows (CSV)", lambda: _full_export(str(path), identity, "flows"),
                           file_name="ots_sti_student_flows.csv", mime="text/csv", key="dl-all-flows",
                           icon=":material/download:", on_click="ignore",
                           help="Every entry of every top-10 list held, as published: see the Cooperation page")
    with right:
        st.download_button("Excel workbook (observations, indicators, sources, caveats, countries, student flows, "
                           "national figures)",
                           lambda: _full_export(str(path), identity, "xlsx"), file_name="ots_sti_monitor.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="dl-all-xlsx", icon=":material/download:", on_click="ignore")


NATIONAL_LABEL = ("**National figures** — imported by a user of this installation from the sources named, not from "
                  "the monitor's international sources: not scored, and not necessarily comparable across states.")


def national_section(figures: pd.DataFrame, look: Look, what: str, key: str = "national") -> None:
    """Figures users brought with `python -m etl import`, labelled as national, with their own sources."""
    if figures.empty:
        st.caption(f"No national figures have been imported for {what}. A ministry's own figures can be added with "
                   "`python -m etl import` and the CSV template (README, *National figures*).")
        return
    st.subheader("National figures", anchor=f"{key}-figures")
    st.warning(NATIONAL_LABEL, icon=":material/flag:")
    shown = figures.assign(country=figures["country"].map(look.name))
    st.dataframe(shown[["country", "indicator_name", "year", "value", "unit", "source_name", "source_url", "licence",
                        "retrieved", "note"]], hide_index=True, width="stretch", column_config={
        "country": st.column_config.TextColumn("State", pinned=True),
        "indicator_name": st.column_config.TextColumn("Indicator"),
        "year": st.column_config.NumberColumn("Year", format="%d"),
        "value": st.column_config.NumberColumn("Value", format="localized"),
        "source_name": st.column_config.TextColumn("Source (national)"),
        "source_url": st.column_config.LinkColumn("Address"),
        "retrieved": st.column_config.DateColumn("Retrieved")})
    download(functools.partial(export.national_tidy, figures), f"national_figures_{key}.csv", f"national-{key}",
             label="Download the national figures (CSV)")


def no_data(what: str) -> None:
    st.info(f"No data: {what}. Nothing is drawn rather than showing a gap as zero.", icon=":material/block:")
