"""Figure builders: pure functions of data frames that return plotly figures (no Streamlit inside).

Missing data is never drawn as zero: each line is laid on the full year range with gaps left open, bars and maps
show only the states that have a value and name the year of each, and the heat map labels empty cells.
"""
from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from sti import scoring

FONT = "Source Sans Pro, sans-serif"
BENCHMARK_DASH = "dash"
GRID = "rgba(128,128,128,0.25)"


@dataclass(frozen=True)
class Look:
    """How countries appear on every chart, read from the catalogue: name and fixed colour."""
    names: dict[str, str]
    colours: dict[str, str]

    def name(self, code: str) -> str:
        return self.names.get(code, code)

    def colour(self, code: str) -> str:
        return self.colours.get(code, "#777777")

    @functools.cached_property
    def key(self) -> str:
        """The whole look as one string: a cache keyed by it hashes one value, not every name and colour."""
        return repr(sorted(self.names.items())) + repr(sorted(self.colours.items()))


def figure(traces: list[dict], title: str, height: int = 420, xaxis: dict | None = None,
           yaxis: dict | None = None, **layout: object) -> go.Figure:
    """The figure of `traces` (plain dicts) with the charts' common layout, built in one call: plotly validates a
    figure on every add_trace/update_*, which cost area pages over half their rerun time."""
    axis = {"gridcolor": GRID, "zeroline": False}
    return go.Figure(data=traces, layout={
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}}, "height": height,
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "font": {"family": FONT},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0}, "hovermode": "closest",
        "xaxis": axis | (xaxis or {}), "yaxis": axis | (yaxis or {}), **layout})


def format_value(value: float) -> str:
    """A value as charts and tables print it (thousands separators, bn/m for large numbers)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:,.1f} bn"
    if magnitude >= 1e6:
        return f"{value / 1e6:,.1f} m"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def line_chart(data: pd.DataFrame, title: str, unit: str, look: Look, first: int, last: int,
               benchmark: str | None = None, log: bool = False, highlight: str | None = None) -> go.Figure:
    """One line per country over [first, last]; `data` has country, year, value. Years without a value are gaps.
    With `highlight`, that country's line is drawn strong and the others thin and faded."""
    years = list(range(first, last + 1))
    countries = list(dict.fromkeys(data["country"]))
    if benchmark in countries:  # drawn last, on top, dashed
        countries = [c for c in countries if c != benchmark] + [benchmark]
    # one pass over the rows instead of a filter and reindex per country: a tenth of the time on a 13-chart page
    by_country: dict[str, dict[int, float]] = {}
    for code, year, value in zip(data["country"].tolist(), data["year"].tolist(), data["value"].tolist()):
        by_country.setdefault(code, {})[int(year)] = value
    traces = []
    for code in countries:
        own = by_country[code]
        is_bench = code == benchmark
        faded = highlight is not None and code != highlight
        traces.append({
            "type": "scatter", "x": years, "y": [own.get(year, math.nan) for year in years],
            "name": f"{look.name(code)} (benchmark)" if is_bench else look.name(code),
            "mode": "lines+markers", "connectgaps": False,
            "marker": {"size": 4 if faded else 5, "color": look.colour(code)},
            "line": {"color": look.colour(code), "width": 1 if faded else 4 if highlight else 3 if is_bench else 2,
                     "dash": BENCHMARK_DASH if is_bench else "solid"}, "opacity": 0.45 if faded else 1.0,
            "hovertemplate": f"<b>{html.escape(look.name(code))}</b><br>%{{x}}: %{{y:,.4~g}} {html.escape(unit)}"
                             "<extra></extra>"})
    return figure(traces, title,
                  xaxis={"range": [first - 0.5, last + 0.5], "dtick": 5 if last - first > 12 else 1},
                  yaxis={"title": {"text": unit}, "type": "log" if log else "linear",
                         "rangemode": "normal" if log else "tozero"})


def ranked_bar(latest: pd.DataFrame, title: str, unit: str, look: Look, higher_is_better: bool | None,
               benchmark: str | None = None, log: bool = False) -> go.Figure:
    """Latest values ranked, best at the top; each bar is labelled with its value and year. `latest` has
    country, year, value (one row per country; states without a value are simply absent)."""
    # plotly draws the first category at the bottom, so the best value comes last
    best_last = higher_is_better is not False
    ordered = latest.sort_values("value", ascending=best_last)
    labels = [f"{look.name(c)} ({y})" for c, y in zip(ordered["country"], ordered["year"])]
    colours = [look.colour(c) for c in ordered["country"]]
    patterns = ["/" if c == benchmark else "" for c in ordered["country"]]
    xaxis: dict[str, object] = {"title": {"text": unit}, "type": "log" if log else "linear"}
    if not log and len(ordered) and ordered["value"].max() > 0:  # room for the value labels beyond the longest bar
        xaxis["range"] = [min(0.0, float(ordered["value"].min()) * 1.2), float(ordered["value"].max()) * 1.22]
    return figure([{
        "type": "bar", "x": ordered["value"], "y": labels, "orientation": "h",
        "marker": {"color": colours, "pattern": {"shape": patterns}},
        "text": [format_value(v) for v in ordered["value"]], "textposition": "outside", "cliponaxis": False,
        "hovertemplate": "<b>%{y}</b><br>%{x:,.4~g} " + html.escape(unit) + "<extra></extra>"}],
        title, height=max(260, 60 + 34 * len(ordered)), xaxis=xaxis, yaxis={"automargin": True}, showlegend=False)


def choropleth(latest: pd.DataFrame, title: str, unit: str, look: Look) -> go.Figure:
    """Latest value per country on a world map framed on the countries shown; hover names the year."""
    hover = [f"<b>{html.escape(look.name(c))}</b><br>{format_value(v)} {html.escape(unit)} ({y})"
             for c, v, y in zip(latest["country"], latest["value"], latest["year"])]
    return figure([{
        "type": "choropleth", "locations": latest["country"], "z": latest["value"], "locationmode": "ISO-3",
        "colorscale": "Viridis", "marker": {"line": {"color": "white", "width": 0.6}}, "text": hover,
        "hovertemplate": "%{text}<extra></extra>",
        "colorbar": {"title": {"text": unit, "side": "right"}, "thickness": 14}}],
        title, height=460,
        geo={"fitbounds": "locations", "showcountries": True, "countrycolor": "#bbbbbb", "showland": True,
             "landcolor": "#f2f2f2", "showocean": False, "showlakes": False, "showrivers": False,
             "showframe": False, "projection": {"type": "natural earth"}, "bgcolor": "rgba(0,0,0,0)"})


def scatter_points(y: pd.DataFrame, x: pd.DataFrame, size: pd.DataFrame) -> pd.DataFrame:
    """Per country, the latest year in which both `y` and `x` have a value, with the population (`size`) of that
    year where known. Inputs have country, year, value; the result has country, year, x, y, size."""
    both = y[["country", "year", "value"]].merge(x[["country", "year", "value"]], on=["country", "year"],
                                                 suffixes=("_y", "_x"))
    latest = scoring.latest_rows(both)
    out = latest.merge(size[["country", "year", "value"]].rename(columns={"value": "size"}), on=["country", "year"],
                       how="left")
    return out.rename(columns={"value_x": "x", "value_y": "y"})[["country", "year", "x", "y", "size"]]


def scatter(points: pd.DataFrame, title: str, x_label: str, y_label: str, look: Look,
            log_x: bool = False, log_y: bool = False) -> go.Figure:
    """One bubble per country: `points` has country, year, x, y and size (population; bubbles by area)."""
    biggest = points["size"].max() if len(points) and points["size"].notna().any() else 1.0
    traces = []
    for row in points.itertuples(index=False):
        size = 12.0 if pd.isna(row.size) else 8.0 + 52.0 * math.sqrt(row.size / biggest)
        traces.append({
            "type": "scatter", "x": [row.x], "y": [row.y], "mode": "markers+text", "name": look.name(row.country),
            "text": [row.country], "textposition": "top center",
            "marker": {"size": size, "color": look.colour(row.country), "opacity": 0.8,
                       "line": {"color": "white", "width": 1}},
            "hovertemplate": (f"<b>{html.escape(look.name(row.country))}</b> ({row.year})<br>"
                              f"{html.escape(x_label)}: %{{x:,.4~g}}<br>{html.escape(y_label)}: %{{y:,.4~g}}"
                              + ("" if pd.isna(row.size) else f"<br>Population: {row.size:,.0f}")
                              + "<extra></extra>")})
    return figure(traces, title, height=480, xaxis={"title": {"text": x_label}, "type": "log" if log_x else "linear"},
                  yaxis={"title": {"text": y_label}, "type": "log" if log_y else "linear"})


def area_profile(own: pd.DataFrame, average: pd.DataFrame, area_names: dict[str, str], look: Look, country: str,
                 benchmark_label: str) -> go.Figure:
    """A state's area indices beside the OTS average, against the benchmark line at 100. `own` has area, index,
    status; `average` has area, index. Areas without an index get a label instead of a bar."""
    order = list(area_names)
    own = own.set_index("area").reindex(order)
    average = average.set_index("area").reindex(order)
    names = [area_names[a] for a in order]
    notes = [{"y": name, "x": 0, "xanchor": "left", "showarrow": False, "font": {"size": 12, "color": "#555555"},
              "text": "no scored indicator" if status == scoring.NOT_SCORED else str(status)}
             for name, status in zip(names, own["status"]) if status != scoring.OK]
    fig = figure([
        {"type": "bar", "y": names, "x": own["index"], "orientation": "h", "name": look.name(country),
         "marker": {"color": look.colour(country)},
         "text": [f"{v:.0f}" if pd.notna(v) else "" for v in own["index"]], "textposition": "outside",
         "cliponaxis": False, "hovertemplate": "<b>%{y}</b><br>index %{x:.0f}<extra></extra>"},
        {"type": "bar", "y": names, "x": average["index"], "orientation": "h", "name": "OTS average",
         "marker": {"color": "rgba(110,110,110,0.45)"},
         "hovertemplate": "<b>%{y}</b><br>OTS average %{x:.0f}<extra></extra>"}],
        f"Area indices: {look.name(country)} and the OTS average", height=120 + 36 * len(order),
        xaxis={"title": {"text": f"Index ({benchmark_label} = 100)"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True}, barmode="group", annotations=notes)
    fig.add_vline(x=100, line={"color": "#222222", "dash": BENCHMARK_DASH, "width": 1.5},
                  annotation_text=f"{benchmark_label} = 100", annotation_position="top")
    return fig


# --- heat map (HTML, so every cell and heading can be a link) ---------------------------------------------------

# ColorBrewer PuOr (colour-blind safe): orange below the benchmark, white at it, purple above.
_BELOW = (179, 88, 6)
_AT = (247, 247, 247)
_ABOVE = (84, 39, 136)


def index_colour(index: float, cap: float = scoring.CAP) -> tuple[str, str]:
    """(background, text colour) for an index: a log scale centred on 100, so half and double are equally far."""
    # symmetric in log terms: 100/3 is as orange as 300 is purple, half as far from white as double
    position = math.log(max(index, 1.0) / 100.0) / math.log(cap / 100.0)
    position = max(-1.0, min(1.0, position))
    end = _ABOVE if position > 0 else _BELOW
    rgb = tuple(round(a + (b - a) * abs(position)) for a, b in zip(_AT, end))
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return "#{:02x}{:02x}{:02x}".format(*rgb), "#000000" if luminance > 140 else "#ffffff"


def heatmap_html(areas: pd.DataFrame, area_names: dict[str, str], look: Look, countries: list[str],
                 area_link: Callable[[str], str], country_link: Callable[[str], str],
                 short_names: dict[str, str] | None = None) -> str:
    """A table of states × areas coloured by area index; headings link to the area and country pages, each cell
    to its state's profile. Cells without an index say why instead of showing a number."""
    cell = {(r.country, r.area): r for r in areas.itertuples(index=False)}
    head = "".join(f'<th scope="col" title="{html.escape(area_names[a])}"><a href="{html.escape(area_link(a))}" '
                   f'target="_self">{html.escape((short_names or area_names)[a])}</a></th>' for a in area_names)
    body = []
    for code in countries:
        cells = [f'<th scope="row"><a href="{html.escape(country_link(code))}" target="_self">'
                 f'<span class="sw" style="background:{look.colour(code)}"></span>{html.escape(look.name(code))}'
                 "</a></th>"]
        for area, area_name in area_names.items():
            r = cell.get((code, area))
            link = html.escape(country_link(code))
            if r is not None and r.status == scoring.OK:
                bg, fg = index_colour(r.index)
                title = (f"{look.name(code)}, {area_name}: index {r.index:.0f} ({r.with_data} of {r.scored} "
                         "indicators)")
                cells.append(f'<td style="background:{bg};color:{fg}" title="{html.escape(title)}">'
                             f'<a href="{link}" target="_self" style="color:{fg}">{r.index:.0f}</a></td>')
            else:
                status = r.status if r is not None else scoring.INSUFFICIENT
                text = {scoring.NOT_SCORED: "not scored",
                        scoring.NO_BENCHMARK_DATA: "no benchmark data"}.get(status, "insufficient data")
                css = "na" if status == scoring.NOT_SCORED else "insufficient"
                cells.append(f'<td class="{css}" title="{html.escape(status)}"><a href="{link}" target="_self">'
                             f"{text}</a></td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="sti-heat"><table><thead><tr><th scope="col">State</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


HEATMAP_CSS = """
<style>
.sti-heat {overflow-x: auto; margin-bottom: 0.5rem;}
.sti-heat table {border-collapse: separate; border-spacing: 2px; font-size: 0.85rem; width: 100% !important;
  min-width: 720px; table-layout: fixed !important; margin: 0;}
.sti-heat thead th:first-child {width: 7.5rem;}
.sti-heat th, .sti-heat td {min-width: 0 !important; max-width: none !important;}
.sti-heat th {font-weight: 600; text-align: left; padding: 3px 4px; vertical-align: bottom; border: none;}
.sti-heat thead th {font-size: 0.72rem; line-height: 1.15; overflow-wrap: normal; word-break: normal;
  white-space: normal;}
.sti-heat tbody th {white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.sti-heat td {text-align: center; padding: 8px 2px; border-radius: 3px; border: none;}
.sti-heat td a {text-decoration: none; font-weight: 600; display: block;}
.sti-heat a {color: inherit;}
.sti-heat td.insufficient {background: repeating-linear-gradient(45deg, #e6e6e6, #e6e6e6 5px, #f6f6f6 5px,
  #f6f6f6 10px); font-size: 0.68rem; line-height: 1.1;}
.sti-heat td.insufficient a {font-weight: 400; color: #444;}
.sti-heat td.na {background: transparent; outline: 1px dashed rgba(128,128,128,0.5); outline-offset: -1px;
  font-size: 0.68rem; line-height: 1.1;}
.sti-heat td.na a {font-weight: 400; color: rgba(128,128,128,1);}
.sti-heat .sw {display: inline-block; width: 0.7em; height: 0.7em; border-radius: 2px; margin-right: 0.4em;}
</style>
"""


STATUS_COLOURS = ("#BBBBBB", "#0072B2", "#56B4E9", "#E69F00", "#CC79A7")  # by position in the categories


def status_runs(data: pd.DataFrame) -> pd.DataFrame:
    """Consecutive years with the same coded status, per country: country, code, start, end (inclusive)."""
    rows = []
    for country, own in data.sort_values("year").groupby("country", sort=False):
        start = prev_year = prev_code = None
        for year, code in zip(own["year"].astype(int), own["value"].astype(int)):
            if prev_code is not None and (code != prev_code or year != prev_year + 1):
                rows.append((country, prev_code, start, prev_year))
                start = year
            if start is None:
                start = year
            prev_year, prev_code = year, code
        if prev_code is not None:
            rows.append((country, prev_code, start, prev_year))
    return pd.DataFrame(rows, columns=["country", "code", "start", "end"])


def membership_timeline(data: pd.DataFrame, title: str, categories: tuple[tuple[int, str], ...], look: Look,
                        first: int, last: int, countries: list[str]) -> go.Figure:
    """One row per country, coloured spans of its coded status per year; years without a code stay blank."""
    runs = status_runs(data)
    colours = {code: STATUS_COLOURS[n % len(STATUS_COLOURS)] for n, (code, _) in enumerate(categories)}
    names = [look.name(c) for c in countries]
    traces = []
    for code, label in categories:
        part = runs[runs["code"] == code]
        if part.empty:
            continue
        traces.append({
            "type": "bar", "y": [look.name(c) for c in part["country"]],
            "x": (part["end"] - part["start"] + 1).tolist(), "base": (part["start"] - 0.5).tolist(),
            "orientation": "h", "name": label, "marker": {"color": colours[code]},
            "customdata": list(zip(part["start"], part["end"])),
            "hovertemplate": f"<b>%{{y}}</b><br>{html.escape(label)}: %{{customdata[0]}}–%{{customdata[1]}}"
                             "<extra></extra>"})
    return figure(traces, title, height=max(220, 60 + 34 * len(countries)), barmode="overlay",
                  xaxis={"range": [first - 0.5, last + 0.5], "title": {"text": "year"},
                         "dtick": max(1, (last - first) // 10 or 1)},
                  yaxis={"categoryorder": "array", "categoryarray": list(reversed(names)),
                         "range": [-0.5, len(names) - 0.5]})
