"""Cooperation: who studies where among the Turkic states (UIS student flows): the flows as a Sankey, one state's
destinations and origins with the share that stays within the OTS, the origin × destination matrix, the trend of the
intra-OTS shares, and what the co-authorship data can and cannot say."""
from __future__ import annotations

from functools import partial

import streamlit as st

from sti import charts, export, flow_charts, flows, store, ui, urlstate
from sti.catalog import catalog
from sti.params import Param

cat = catalog()
setup = cat.flows
states = [c for c in cat.ots_states() if c.has_data]
OTS = [c.code for c in states]
GROUPS = cat.group_codes()
YEAR = Param("year", "int", setup.default_year, lo=setup.first_year, hi=setup.last_year)
FOCUS = Param("focus", "choice", OTS[0], options=tuple(OTS), labels={c.code: f"{c.name} ({c.role})" for c in states})
SHARES = {i.flow_share: i for i in cat.indicators if i.flow_share}

st.title("Cooperation")
st.markdown("Who studies where among the Turkic states: internationally mobile tertiary students by country of "
            "origin and host, from the UNESCO Institute for Statistics. Each country's **ten largest partners** per "
            "year are named; a pair neither list names is **not reported**, never zero.")
view = urlstate.page_view([YEAR, FOCUS], lambda v: [
    urlstate.Widget(FOCUS, "Focus state"),
    urlstate.Widget(YEAR, "Year", kind="slider", help=f"{setup.first_year}–{setup.last_year}: later years are held "
                                                      "but too few hosts reported them (see About these data, below)")])
year, focus = view["year"], view["focus"]
look = ui.flow_look(cat)
every = store.read("flow_rows", 1900, 2100)  # all years, one cached read: the page filters
counted = ui.flow_year(every, year)
this_year, known, outbound, inbound = counted.rows, counted.known, counted.outbound, counted.inbound
hosts_by_year = counted.hosts_by_year
selected = [c for c in view.countries if c in OTS]
gaps = flows.reporting_gaps(hosts_by_year, year, [*OTS, *setup.context])


def gap_text(codes: list[str]) -> str:
    return (f"{', '.join(look.name(c) for c in codes)} reported no inbound students for {year}, so every flow into "
            f"{'it' if len(codes) == 1 else 'them'} is missing that year (not reported, not zero).") if codes else ""


def group_headline() -> None:
    """All OTS states together: how many of their students abroad study in another OTS state."""
    out = outbound
    if out.empty:
        return
    comparable = out[out["missing"] == ""]
    left, right = st.columns(2)
    left.metric(f"Students from the {len(out)} OTS states abroad, {year}", f"{out['total'].sum():,.0f}",
                help="Every entry of each state's own list of destinations (its ten largest and 'other countries'), "
                     "as counted by the hosts.")
    if len(comparable) == len(out):
        right.metric("…of whom in another OTS state (at least)",
                     f"{out['students'].sum():,.0f} ({out['students'].sum() / out['total'].sum():.0%})",
                     help="Flows between OTS states named in either country's top-10 list: a lower bound.")
    else:
        right.metric("…of whom in another OTS state", "not comparable",
                     help=gap_text(sorted({m for ms in out["missing"] for m in ms.split(",") if m})))


def sankey_section() -> None:
    st.subheader(f"Where the OTS states' students study, {year}", anchor="flows")
    if not selected:
        st.info("Select at least one OTS member or observer in the sidebar.", icon=":material/info:")
        return
    totals = flows.totals(this_year, "origin")
    outbound = totals.xs(year, level="year") if len(totals) else totals
    links = flows.sankey_links(known, outbound, selected, OTS, list(setup.context), setup.other_destinations)
    if links.empty:
        ui.no_data(f"no flow of the selected states is reported for {year}")
        return
    fig = ui.figure(flow_charts.sankey, links, look, year, f"From (left) to the host (right), {year}", focus=focus,
                    order=OTS)
    caption = (f"Band width = students, as counted by the host. Coloured bands go to OTS states ({look.name(focus)}'s "
               "strongest); grey ones to "
               f"{', '.join(look.name(c) for c in setup.context)} and the year's {setup.other_destinations} largest "
               "other destinations; *elsewhere* is the rest of each state's students abroad (its list's total minus "
               "what is drawn). A pair neither list names is not drawn: see the matrix. "
               + ui.flow_caption(cat, this_year))
    shown = links.assign(year=year, source=setup.source,
                         vintage="; ".join(sorted(set(this_year["vintage"]))))
    ui.chart(fig, partial(export.flows_tidy, shown, cat, {flows.REST: flow_charts.REST_LABEL}), caption,
             f"student_flows_sankey_{year}.csv", "sankey", with_caveats=False)
    if gaps:
        st.caption(f":material/block: {gap_text(gaps)}")


def focus_section() -> None:
    name = look.name(focus)
    st.subheader(f"{name}: where its students go and where its foreign students come from, {year}", anchor="focus")
    mine_out, mine_in = outbound[outbound["country"] == focus], inbound[inbound["country"] == focus]
    cols = st.columns(4)
    if len(mine_out):
        r = mine_out.iloc[0]
        cols[0].metric("Students abroad", f"{r['total']:,.0f}",
                       help="Every entry of its own list of destinations: the ten largest and 'other countries'.")
        cols[1].metric("…in other OTS states (at least)",
                       flows.NOT_REPORTED if not r["partners"] else
                       f"{r['students']:,.0f} ({r['share']:.0f}%)" if not r["missing"]
                       else f"{r['students']:,.0f} (share not comparable)",
                       help=SHARES["outbound"].definition if not r["missing"] else gap_text(r["missing"].split(",")))
    else:
        cols[0].metric("Students abroad", flows.NOT_REPORTED)
    if len(mine_in):
        r = mine_in.iloc[0]
        cols[2].metric("Foreign students hosted", f"{r['total']:,.0f}",
                       help="Every entry of its own list of origins: the ten largest and 'other countries'.")
        cols[3].metric("…from other OTS states (at least)",
                       f"{r['students']:,.0f} ({r['share']:.0f}%)" if r["partners"] else flows.NOT_REPORTED,
                       help=SHARES["inbound"].definition)
    else:
        cols[2].metric("Foreign students hosted", flows.NOT_REPORTED,
                       help=f"{name} reported no inbound students for {year}.")
    if len(mine_out) and mine_out.iloc[0]["missing"]:
        st.caption(f":material/block: {gap_text(mine_out.iloc[0]['missing'].split(','))} {name}'s students abroad "
                   "are undercounted this year, and its share is not comparable with other years'.")
    st.caption("Shares are computed over the **top-10 lists only**: students from (or to) other OTS states in pairs "
               "either country's list names, over all the state's students in its own list (the ten largest and "
               "'other countries'). A flow in neither list is not counted, so the shares are lower bounds.")
    left, right = st.columns(2)
    for column, listed_by, title, file in (
            (left, "origin", f"Where {name}'s students studied", "destinations"),
            (right, "destination", f"Where {name}'s foreign students came from", "origins")):
        rows = flows.own_list(this_year, focus, listed_by)
        with column:
            if rows.empty:
                ui.no_data(f"{name} reported no inbound students for {year}" if listed_by == "destination"
                           else f"no list of {name}'s destinations for {year}")
                continue
            fig = ui.figure(flow_charts.list_bars, rows, look, f"{title}, {year}", set(OTS) - {focus}, GROUPS, year)
            partner = "destination" if listed_by == "origin" else "origin"
            data = rows.rename(columns={"partner": partner}).assign(**{listed_by: focus, "listed_by": listed_by})
            ui.chart(fig, partial(export.flows_tidy, data, cat),
                     f"{name}'s own top-10 list: OTS states in their colours, others grey, hatched the rest ('other "
                     "countries'). " + outside_note(rows, listed_by) + " " + ui.flow_caption(cat, rows),
                     f"{focus}_{file}_{year}.csv", f"list-{listed_by}",
                     with_caveats=False)
    trend_section()


def outside_note(rows, listed_by: str) -> str:
    """OTS states missing from the focus's own list: named only in the partner's list, or not reported at all."""
    listed = set(rows["partner"])
    mine, theirs = ("origin", "destination") if listed_by == "origin" else ("destination", "origin")
    only_theirs, unreported = [], []
    for other in OTS:
        if other == focus or other in listed:
            continue
        pair = known[(known[mine] == focus) & (known[theirs] == other)]
        if len(pair):
            only_theirs.append(f"{look.name(other)} {flows.count_text(pair['students'].iloc[0])} (in "
                               f"{look.name(other)}'s own list)")
        else:
            unreported.append(look.name(other))
    parts = []
    if only_theirs:
        parts.append("Outside this top 10 but known: " + "; ".join(only_theirs) + " (counted in 'other countries').")
    if unreported:
        parts.append(f"Not reported: {', '.join(unreported)} (neither list names the pair).")
    return " ".join(parts) or "Every other OTS state is in this list."


def trend_section() -> None:
    first, last = max(view["from"], setup.first_year), min(view["to"], setup.last_year)
    shown = selected or [focus]
    if first > last:
        st.info(f"The shares exist for {setup.first_year}–{setup.last_year}; choose years in that span in the sidebar.",
                icon=":material/info:")
        return
    data = store.read("series", [i.code for i in SHARES.values()], shown, first, last)
    left, right = st.columns(2)
    for column, ind in zip((left, right), (SHARES["outbound"], SHARES["inbound"])):
        rows = data[data["indicator"] == ind.code]
        with column:
            if rows.empty:
                ui.no_data(f"no {ind.name.lower()} can be computed for the selected states in {first}–{last}")
                continue
            fig = ui.figure(charts.line_chart, rows, f"{ind.name}, {first}–{last}", ind.unit, look, first, last,
                            highlight=focus if focus in set(rows["country"]) else None)
            gap = ("Russia or a member reported no inbound students that year, so the share is not comparable"
                   if ind.flow_share == "outbound" else "the state reported no inbound students that year")
            ui.chart(fig, partial(export.tidy, rows, cat),
                     f"Computed over the top-10 lists, as above (lower bounds). Gaps: {gap}. "
                     + ui.flow_caption(cat, rows, what=ind.name), f"{ind.code}_{first}-{last}.csv",
                     f"trend-{ind.flow_share}", with_caveats=False)


def matrix_section() -> None:
    st.subheader(f"Origin × destination, {year}", anchor="matrix")
    states_shown = list(dict.fromkeys(
        [c for c in view.countries if cat.country(c).role in ("member", "observer", "neighbour")]
        + list(setup.context)))
    table = flows.matrix(known, states_shown, look.names)
    links = {look.name(c): view.link("cooperation", year=str(year), focus=c) for c in states_shown if c in OTS}
    st.markdown(flow_charts.MATRIX_CSS + flow_charts.matrix_html(table, flows.matrix_counts(known, states_shown), links,
                                                                 focus=look.name(focus)), unsafe_allow_html=True)
    differ = flows.lists_differ(known[known["origin"].isin(states_shown) & known["destination"].isin(states_shown)])
    st.caption(f"Students from the row's state studying in the column's state in {year}, as counted by the host. "
               "**Not reported**: neither the origin's ten largest destinations nor the host's ten largest origins "
               "name the pair: it may be small, or the host did not report; it is not zero. Where both lists name a "
               "pair they give the same count"
               + (f", except {len(differ)} pair(s), shown with both counts (the host's list first: UIS collects the "
                  "data from hosts)" if len(differ) else "")
               + f". Darker: more students; outlined: {look.name(focus)}'s row and column. Click a state for its own "
               "view. " + ui.flow_caption(cat, this_year))
    if gaps:
        st.caption(f":material/block: {gap_text([g for g in gaps if g in states_shown]) or gap_text(gaps)}")
    src = cat.source(setup.source)
    provenance = {"year": year, "unit": export.FLOW_UNIT, "source": setup.source,
                  "vintage": "; ".join(sorted(set(this_year["vintage"]))), "licence": src.licence,
                  "licence_terms": src.licence_note or "", "citation": src.citation}
    ui.download(table.reset_index().assign(**provenance), f"student_flows_matrix_{year}.csv", "matrix",
                label="Download the matrix as shown (CSV)")
    pairs = known[known["origin"].isin(states_shown) & known["destination"].isin(states_shown)]
    ui.download(partial(export.flows_tidy, pairs, cat), f"student_flows_pairs_{year}.csv", "matrix-pairs",
                label="Download the reported pairs behind it, with both lists' counts (CSV)")


def publishing_section() -> None:
    st.subheader("Publishing together", anchor="publishing")
    codes = ["NCSES.ART.INTL", "NCSES.ART.TOT", "STI.ART.INTL.ZS"]
    latest = store.read("latest_values", codes, OTS, 1900, 2100)
    held = latest[latest["indicator"] == "STI.ART.INTL.ZS"]
    lines = []
    for r in held.itertuples(index=False):
        count = latest[(latest["indicator"] == "NCSES.ART.INTL") & (latest["country"] == r.country)
                       & (latest["year"] == r.year)]
        total = latest[(latest["indicator"] == "NCSES.ART.TOT") & (latest["country"] == r.country)
                       & (latest["year"] == r.year)]
        if len(count) and len(total):
            lines.append(f"{look.name(r.country)}: {flows.count_text(count['value'].iloc[0])} of "
                         f"{flows.count_text(total['value'].iloc[0])} articles in {r.year} had co-authors abroad "
                         f"({r.value:.0f}%)")
    st.markdown(
        "Who publishes with whom cannot be shown from the data held: NCSES's table of internationally co-authored "
        "articles gives each economy's total without its partner countries, and only for economies with at least 1% "
        "of the world's internationally co-authored articles — among OTS states, only "
        + ("; ".join(lines) if lines else "none") + ". "
        + f"[Chart it in the Explorer]({view.link('explorer', indicator='STI.ART.INTL.ZS')}).")
    if len(latest):
        st.caption(ui.source_caption(cat, [cat.indicator("STI.ART.INTL.ZS")], latest[latest["indicator"].isin(codes)]))


def about_section() -> None:
    st.subheader("About these data", anchor="about")
    later = sorted(y for y in set(every["year"]) if y > setup.last_year)
    notes = [f"{y}: " + (", ".join(look.name(c) for c in flows.reporting_gaps(hosts_by_year, y, [*OTS, *setup.context]))
                         or "every host") + " reported no inbound students" for y in later]
    st.markdown(
        f"- **Years.** The UIS data held run to {max(every['year'])}; the page stops at {setup.last_year} because "
        + ("; ".join(notes) + "." if notes else "later years are incomplete.") + "\n"
        "- **Counted by the host.** UIS collects inbound students from the host country, so a host that did not "
        "report for a year is missing from every list, and a state's share of students going to other OTS states "
        "is given only for years in which Russia and every member reported.\n"
        "- **Top-10 lists.** Only each country's ten largest partners are named (more where the tenth place is "
        "tied); the rest are summed as 'other countries'. Pairs outside both lists are *not reported*.\n"
        "- **Counts as published.** A few counts are not whole numbers (students in the United States or Austria "
        "in some years, and the 'other countries' that sum them); UIS gives them so, and they are shown as they "
        "are.\n"
        f"- **Licence.** {cat.source(setup.source).licence_note} "
        f"Cite: {cat.source(setup.source).citation}")
    ui.flow_caveats(cat, [year])


if every.empty:
    st.info("This database holds no student flows: import them with `python -m etl import` (README, *Where the data "
            "comes from*) or rebuild it from the bundled snapshot with `python -m etl build`.", icon=":material/info:")
else:
    group_headline()
    sankey_section()
    focus_section()
    matrix_section()
    publishing_section()
    about_section()
