"""Figures of the student flows: a Sankey of who studies where, a country's own top list as ranked bars, and the
origin × destination matrix as an HTML table. Pure functions of data frames (no Streamlit inside), like sti.charts.

Nothing missing is drawn as zero: a pair no list names has no link and no bar, and the matrix says "not reported".
"""
from __future__ import annotations

import html
import math

import pandas as pd
import plotly.graph_objects as go

from sti.charts import Look, figure
from sti.flows import NOT_REPORTED, REST, count_text, flag_text

CONTEXT_GREY = "#8C8C8C"   # hosts outside the OTS: drawn, but quieter than the OTS states
REST_GREY = "#C8C8C8"
REST_LABEL = "Elsewhere (other destinations)"


def _text(text: str) -> str:
    """Text for plotly's hover labels: markup escaped, apostrophes kept (plotly shows &#x27; as it is)."""
    return html.escape(text, quote=False)


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _listed_text(listed: str, origin: str, destination: str) -> str:
    return {"both": f"in both {origin}'s and {destination}'s top lists",
            "origin": f"in {origin}'s list of destinations (not in {destination}'s top origins)",
            "destination": f"in {destination}'s list of origins (not in {origin}'s top destinations)"}.get(listed, "")


KIND_ORDER = {"ots": 0, "context": 1, "other": 2, "rest": 3}


def _stacked(values: list[float], pad: float = 0.025) -> list[float]:
    """Centres (0 = top, 1 = bottom) of nodes stacked in the given order, heights in proportion to their values."""
    total = sum(values) or 1.0
    room = max(0.2, 1.0 - pad * (len(values) - 1))
    centres, top = [], 0.0
    for v in values:
        height = v / total * room
        centres.append(min(0.999, max(0.001, top + height / 2)))
        top += height + pad
    return centres


def sankey(links: pd.DataFrame, look: Look, year: int, title: str, focus: str | None = None,
           order: list[str] | None = None) -> go.Figure:
    """Origins on the left, hosts on the right: the OTS states first in their own colours (both sides in `order`, else
    as the links give them), then the context and other hosts in grey, largest first, and the rest of each origin's
    students as one pale 'elsewhere' node at the bottom. The focus state's bands are drawn strongest. `links` has origin, destination, students, listed, kind
    (sti.flows.sankey_links); hover gives the exact count, the year and which list names the pair."""
    origins = list(dict.fromkeys(links["origin"]))
    order = order or origins
    origins.sort(key=lambda o: order.index(o) if o in order else len(order))
    ordered = links.assign(_k=links["kind"].map(KIND_ORDER))
    into = ordered.groupby("destination")["students"].sum()
    ranked = ordered.drop_duplicates("destination")[["destination", "_k"]]
    ranked = ranked.assign(_order=[order.index(d) if d in order else len(order) for d in ranked["destination"]],
                           _size=-ranked["destination"].map(into))
    hosts = list(ranked.sort_values(["_k", "_order", "_size"], kind="stable")["destination"])
    kinds = dict(zip(links["destination"], links["kind"]))
    out_of = links.groupby("origin")["students"].sum()
    labels = [look.name(o) for o in origins] + [REST_LABEL if d == REST else look.name(d) for d in hosts]
    colours = [look.colour(o) for o in origins] + [
        REST_GREY if d == REST else look.colour(d) if kinds[d] == "ots" else CONTEXT_GREY for d in hosts]
    index = {("from", o): n for n, o in enumerate(origins)} | {("to", d): len(origins) + n for n, d in enumerate(hosts)}
    hover = []
    for r in links.itertuples(index=False):
        where = REST_LABEL.lower() if r.destination == REST else look.name(r.destination)
        detail = ("the rest of its outbound students: destinations of its list not drawn here, and its 'other "
                  "countries'") if r.destination == REST else _listed_text(r.listed, look.name(r.origin), where)
        hover.append(f"<b>{_text(look.name(r.origin))} → {_text(where)}</b>, {year}<br>"
                     f"{count_text(r.students)} students<br>{_text(detail)}")

    def band(origin: str, destination: str, kind: str) -> str:
        if kind == "rest":
            return "rgba(200,200,200,0.22)"
        if kind != "ots":
            return "rgba(140,140,140,0.28)"
        strong = focus is None or focus in (origin, destination)
        return _rgba(look.colour(origin), 0.8 if strong else 0.35)

    return figure([{
        "type": "sankey", "arrangement": "snap", "valueformat": ",.0f",
        "node": {"label": labels, "color": colours, "pad": 12, "thickness": 16, "line": {"width": 0},
                 "x": [0.001] * len(origins) + [0.999] * len(hosts),
                 "y": _stacked([float(out_of[o]) for o in origins]) + _stacked([float(into[d]) for d in hosts]),
                 "customdata": [f"from {lb}" for lb in labels[:len(origins)]]
                 + [f"to {lb}" for lb in labels[len(origins):]],
                 "hovertemplate": "%{customdata}: %{value:,.0f} students<extra></extra>"},
        "link": {"source": [index[("from", o)] for o in links["origin"]],
                 "target": [index[("to", d)] for d in links["destination"]],
                 "value": links["students"].astype(float).tolist(),
                 "color": [band(o, d, k) for o, d, k in zip(links["origin"], links["destination"], links["kind"])],
                 "customdata": hover, "hovertemplate": "%{customdata}<extra></extra>"}}],
        title, height=max(460, 60 + 36 * max(len(origins), len(hosts))))


def list_bars(rows: pd.DataFrame, look: Look, title: str, highlight: set[str], groups: set[str], year: int,
              unit: str = "students") -> go.Figure:
    """A country's own top list as ranked bars, largest on top and the remainder ('other countries') last: OTS
    partners in their colours, every other partner grey. `rows` has partner, students, flags (sti.flows.own_list)."""
    ordered = pd.concat([rows[rows["partner"].isin(groups)], rows[~rows["partner"].isin(groups)]
                         .sort_values("students", kind="stable")])  # plotly draws the first bar at the bottom
    colours = [look.colour(p) if p in highlight else REST_GREY if p in groups else CONTEXT_GREY
               for p in ordered["partner"]]
    names = [look.name(p) for p in ordered["partner"]]
    hover = [f"<b>{_text(n)}</b>, {year}<br>{count_text(v)} {unit}"
             + (f"<br>{_text(flag_text(f))}" if str(f).strip() else "")
             for n, v, f in zip(names, ordered["students"], ordered["flags"])]
    top = float(ordered["students"].max()) if len(ordered) else 1.0
    return figure([{
        "type": "bar", "x": ordered["students"].astype(float).tolist(), "y": names, "orientation": "h",
        "marker": {"color": colours, "pattern": {"shape": ["/" if p in groups else "" for p in ordered["partner"]]}},
        "text": [count_text(v) for v in ordered["students"]], "textposition": "outside", "cliponaxis": False,
        "customdata": hover, "hovertemplate": "%{customdata}<extra></extra>"}],
        title, height=max(260, 70 + 30 * len(ordered)), showlegend=False,
        xaxis={"title": {"text": unit}, "range": [0, top * 1.22]}, yaxis={"automargin": True, "type": "category"})


def matrix_html(table: pd.DataFrame, counts: pd.DataFrame | None = None, link: dict[str, str] | None = None,
                focus: str | None = None) -> str:
    """The origin × destination matrix (sti.flows.matrix) as an HTML table: counts right-aligned on a blue whose
    depth follows the count (log scale, from `counts`), 'not reported' hatched like the overview's missing cells,
    the diagonal empty, the `focus` state's row and column outlined. `link` maps a row's name to a page link."""
    top = float(counts.max().max()) if counts is not None and counts.notna().any().any() else 0.0
    focused = ' class="focus"'
    head = "".join(f'<th scope="col"{focused if c == focus else ""}>{html.escape(str(c))}</th>' for c in table.columns)
    body = []
    for i, (name, row) in enumerate(table.iterrows()):
        label = html.escape(str(name))
        if link and name in link:
            label = f'<a href="{html.escape(link[name])}" target="_self">{label}</a>'
        cells = []
        for j, value in enumerate(row):
            base = "nr" if value == NOT_REPORTED else "self" if value == "–" else "n"
            css = f"{base} focus" if focus is not None and focus in (name, table.columns[j]) else base
            style = ""
            if base == "n" and counts is not None and top > 1:
                count = counts.iat[i, j]
                depth = 0.08 + 0.5 * math.log10(max(float(count), 1.0)) / math.log10(top) if pd.notna(count) else 0.08
                style = f' style="background: rgba(0,114,178,{depth:.2f})"'
            cells.append(f'<td class="{css}"{style}>{html.escape(str(value))}</td>')
        body.append(f'<tr><th scope="row"{focused if name == focus else ""}>{label}</th>{"".join(cells)}</tr>')
    corner = html.escape(str(table.index.name or ""))
    return (f'<div class="sti-flows"><table><thead><tr><th scope="col">{corner}</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


MATRIX_CSS = """
<style>
.sti-flows {overflow-x: auto; margin-bottom: 0.5rem;}
.sti-flows table {border-collapse: separate; border-spacing: 2px; font-size: 0.85rem; width: 100%; min-width: 640px;}
.sti-flows th {font-weight: 600; text-align: left; padding: 4px 6px; border: none; font-size: 0.8rem;}
.sti-flows thead th {vertical-align: bottom;}
.sti-flows tbody th {white-space: nowrap;}
.sti-flows td {padding: 6px; border: none; border-radius: 3px; text-align: right; white-space: nowrap;}
.sti-flows td.n {background: rgba(0,114,178,0.10); font-variant-numeric: tabular-nums;}
.sti-flows td.nr {background: repeating-linear-gradient(45deg, rgba(128,128,128,0.16), rgba(128,128,128,0.16) 5px,
  rgba(128,128,128,0.05) 5px, rgba(128,128,128,0.05) 10px); color: rgba(128,128,128,1); font-size: 0.75rem;
  text-align: center;}
.sti-flows td.self {background: transparent; text-align: center; color: rgba(128,128,128,0.8);}
.sti-flows td.focus {box-shadow: inset 0 0 0 1px rgba(128,128,128,0.75);}
.sti-flows th.focus {text-decoration: underline 2px;}
.sti-flows a {color: inherit;}
</style>
"""
