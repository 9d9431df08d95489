"""URL state: the shared sidebar and each page's own controls, bound to `st.query_params`.

Every value a link carries is validated by `sti.params`; what cannot be honoured falls back with a notice. Why not
Streamlit's own `bind="query-params"`: it drops invalid values silently and writes lists as repeated parameters, while
our links promise `countries=AZE,KAZ`, a `from`/`to` pair for one slider, and a visible notice for every value it
cannot honour.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from sti import params, scoring, store
from sti.catalog import Catalog, catalog
from sti.params import Param

DEFAULT_FROM = 2000
_WRITTEN = "_url_written"  # session key: the query string this session last wrote, to tell links from our writes


@dataclass(frozen=True)
class Widget:
    """How a page parameter is shown (selectbox | radio | toggle | text | slider), in a row at the top of the
    page."""
    param: Param
    label: str
    kind: str = "selectbox"
    help: str | None = None
    disabled: bool = False
    row: int = 0        # widgets sharing a row number sit side by side


def shared_params(cat: Catalog, span: tuple[int, int]) -> list[Param]:
    states = tuple(c.code for c in cat.countries if c.has_data and c.role != "aggregate")
    default_states = tuple(c.code for c in cat.ots_states() if c.has_data)
    benchmarks = tuple(c.code for c in cat.benchmarks()) + (scoring.BEST,)
    labels = {c.code: f"{c.name} ({c.code})" for c in cat.countries} | {scoring.BEST: "Best OTS performer"}
    first, last = span
    return [
        Param("countries", "codes", default_states, options=states, labels=labels),
        Param("benchmark", "choice", "WLD", options=benchmarks, labels=labels),
        Param("from", "int", max(DEFAULT_FROM, first), lo=first, hi=last),
        Param("to", "int", last, lo=first, hi=last),
        Param("window", "int", scoring.DEFAULT_WINDOW, lo=scoring.WINDOW_RANGE[0], hi=scoring.WINDOW_RANGE[1]),
    ]


@dataclass(frozen=True)
class View:
    """The validated state of a page: shared filters plus the page's own parameters."""
    values: dict[str, Any]
    shared: tuple[Param, ...]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def countries(self) -> list[str]:
        return list(self.values["countries"])

    @property
    def years(self) -> tuple[int, int]:
        return self.values["from"], self.values["to"]

    def query(self, **extra: str) -> dict[str, str]:
        """The shared filters as URL parameters (and `extra`), for links to other pages."""
        return {p.name: params.serialise(p, self.values[p.name]) for p in self.shared} | extra

    def link(self, page: str, **extra: str) -> str:
        """A relative link to `page` carrying the shared filters (and `extra`), e.g. for the heat map's cells."""
        return f"{page}?{urlencode(self.query(**extra), safe=',')}"


def _key(name: str) -> str:
    return f"p_{name}"


def _to_widget(p: Param, value: Any) -> Any:
    return list(value) if p.kind == "codes" else value


def _bind(all_params: list[Param]) -> list[str]:
    """Copy values that arrived in the URL (a pasted link, a page link) into the widgets' state, validated.
    Values this session wrote itself are left alone, so widgets stay in charge between reruns; a page switch
    (which clears the URL) keeps the session's filters."""
    written: dict[str, str] = st.session_state.setdefault(_WRITTEN, {})
    lists = {p.name for p in all_params if p.kind == "codes"}
    raw, repeated = {}, []
    for k in st.query_params:
        given = st.query_params.get_all(k)
        raw[k] = (",".join(given) if k in lists else given[-1]) if given else ""
        if len(given) > 1:  # e.g. countries=AZE&countries=KAZ: honoured, said, and rewritten as one parameter
            repeated.append(f"`{params.shown(k)}` appeared {len(given)} times in the link; using "
                            f"`{params.shown(raw[k])}`.")
            written.pop(k, None)
    changed = {k: v for k, v in raw.items() if written.get(k) != v}
    if "from" in changed or "to" in changed:
        for k in ("from", "to"):
            if k in raw:
                changed[k] = raw[k]
            elif _key(k) in st.session_state:
                changed[k] = str(st.session_state[_key("years")][0 if k == "from" else 1])
    values, notices = params.read(all_params, changed)
    # A widget on another page is another widget to Streamlit; re-assigning its key carries the value over.
    for key in [_key(p.name) for p in all_params] + [_key("years")]:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    years_changed = "from" in changed or "to" in changed
    for p in all_params:
        if p.name in changed or (years_changed and p.name in ("from", "to")):
            st.session_state[_key(p.name)] = _to_widget(p, values[p.name])
        elif _key(p.name) not in st.session_state:
            st.session_state[_key(p.name)] = _to_widget(p, p.default)
    if years_changed or _key("years") not in st.session_state:
        st.session_state[_key("years")] = (st.session_state[_key("from")], st.session_state[_key("to")])
    for k in raw:
        if k not in {p.name for p in all_params}:
            del st.query_params[k]
    return repeated + notices


def _sidebar(cat: Catalog, shared: list[Param]) -> None:
    by = {p.name: p for p in shared}
    with st.sidebar:
        st.multiselect("States", by["countries"].options, key=_key("countries"),
                       format_func=lambda c: by["countries"].labels.get(c, c),
                       help="OTS members and observers are selected by default; neighbours and benchmark "
                            "aggregates can be added for comparison.")
        st.selectbox("Benchmark (= 100 in the indices)", by["benchmark"].options, key=_key("benchmark"),
                     format_func=lambda c: by["benchmark"].labels.get(c, c))
        st.slider("Years", by["from"].lo, by["from"].hi, key=_key("years"))
        st.slider("Recency window for the indices (years)", *scoring.WINDOW_RANGE, key=_key("window"),
                  help="An index uses each state's latest value in the last N years up to the end of the year "
                       "range.")
        st.caption("Every setting is kept in the page address: copy it to share this exact view.")


def _page_widgets(widgets: list[Widget]) -> None:
    for row in sorted({w.row for w in widgets}):
        in_row = [w for w in widgets if w.row == row]
        columns = st.columns([2 if w.kind in ("selectbox", "radio", "text", "slider") else 1 for w in in_row],
                             vertical_alignment="bottom")
        for column, w in zip(columns, in_row):
            with column:
                _widget(w)


def _widget(w: Widget) -> None:
    p, key = w.param, _key(w.param.name)
    fmt = (lambda v: p.labels.get(v, v))
    if w.kind == "selectbox":
        st.selectbox(w.label, p.options, key=key, format_func=fmt, help=w.help, disabled=w.disabled)
    elif w.kind == "radio":
        st.radio(w.label, p.options, key=key, format_func=fmt, help=w.help, horizontal=True, disabled=w.disabled)
    elif w.kind == "text":
        st.text_input(w.label, key=key, help=w.help, disabled=w.disabled, max_chars=p.hi)
    elif w.kind == "toggle":
        st.toggle(w.label, key=key, help=w.help, disabled=w.disabled)
    elif w.kind == "slider":  # a whole number in [lo, hi], such as a year
        st.slider(w.label, p.lo, p.hi, key=key, help=w.help, disabled=w.disabled)
    else:
        raise ValueError(f"unknown widget kind {w.kind!r}")


def _write_url(all_params: list[Param]) -> dict[str, Any]:
    years = st.session_state[_key("years")]
    st.session_state[_key("from")], st.session_state[_key("to")] = int(years[0]), int(years[1])
    values = {}
    written = st.session_state[_WRITTEN]
    for p in all_params:
        value = st.session_state[_key(p.name)]
        values[p.name] = tuple(value) if p.kind == "codes" else value
        text = params.serialise(p, values[p.name])
        if st.query_params.get_all(p.name) != [text]:
            st.query_params[p.name] = text
        written[p.name] = text
    return values


def page_view(page_params: list[Param] = (), widgets: Callable[[dict[str, Any]], list[Widget]] | None = None,
              constrain: Callable[[dict[str, Any]], dict[str, tuple[Any, str]]] | None = None) -> View:
    """Bind the URL to the shared sidebar and the page's own parameters, show a notice for everything the URL got
    wrong, and return the validated values. `constrain(values)` returns {name: (value, notice)} for values that are
    valid alone but not together (e.g. a per-capita form of a series that has none); `widgets(values)` lays out the
    page's controls."""
    cat = catalog()
    shared = shared_params(cat, store.read("year_span"))
    all_params = shared + list(page_params)
    notices = _bind(all_params)
    if constrain:
        for name, (value, notice) in constrain(_current(all_params)).items():
            st.session_state[_key(name)] = value
            notices.append(notice)
    for notice in notices:
        st.warning(notice, icon=":material/link_off:")
    _sidebar(cat, shared)
    if widgets:
        _page_widgets(widgets(_current(all_params)))
    values = _write_url(all_params)
    return View(values=values, shared=tuple(shared))


def _current(all_params: list[Param]) -> dict[str, Any]:
    return {p.name: st.session_state[_key(p.name)] for p in all_params}
