"""Student flows between countries: which pairs are known, how many students, and the intra-OTS shares.

Pure functions of rows of the `flow` table (origin, destination, year, students, listed_by, flags, source, vintage),
used by the ETL (the share indicators) and by the Cooperation page alike, so both count in the same way:

* A pair is KNOWN in a year when the origin's list names the host or the host's list names the origin. Otherwise it
  is NOT REPORTED, never zero: the flow may be below both top tens, or the host may not have reported at all.
* Where both lists name a pair with different counts, the host's count is used (UIS collects the data from hosts,
  so the host's list is its own report) and both counts are kept for display.
* A host REPORTED in a year when its own list of origins for that year is held.
* A state's outbound intra-OTS share: students to the other OTS states in known pairs ÷ all the state's outbound
  students (every row of its own list: the top destinations and 'other countries') × 100. The inbound share counts
  students from the other OTS states over every row of the state's list of origins. Both are lower bounds: a flow
  below both top tens is inside 'other countries' and is not counted.
"""
from __future__ import annotations

import pandas as pd

from sti.catalog import Catalog

NOT_REPORTED = "not reported"
PAIR_KEY = ["origin", "destination", "year"]
PAIR_COLUMNS = [*PAIR_KEY, "students", "origin_list", "destination_list", "listed", "flags", "source", "vintage"]
SHARE_COLUMNS = ["country", "year", "share", "students", "total", "partners", "missing"]


def pairs(flows: pd.DataFrame, groups: frozenset[str] | set[str]) -> pd.DataFrame:
    """One row per known country pair and year: the count used (the host's where both lists give one), each list's
    count (NaN where the list does not name the pair), `listed` ('both', 'origin' or 'destination') and flags."""
    named = flows[~flows["origin"].isin(groups) & ~flows["destination"].isin(groups)]
    keep = [*PAIR_KEY, "students", "flags", "source", "vintage"]
    by_origin = named.loc[named["listed_by"] == "origin", keep]
    by_host = named.loc[named["listed_by"] == "destination", keep]
    both = by_origin.merge(by_host, on=PAIR_KEY, how="outer", suffixes=("_o", "_d"), indicator=True)
    host = both["students_d"].notna()
    out = pd.DataFrame({
        "origin": both["origin"], "destination": both["destination"], "year": both["year"].astype("int64"),
        "students": both["students_d"].where(host, both["students_o"]).astype("float64"),
        "origin_list": both["students_o"].astype("float64"), "destination_list": both["students_d"].astype("float64"),
        "listed": both["_merge"].map({"both": "both", "left_only": "origin", "right_only": "destination"})
        .astype(str),
        "flags": both["flags_d"].where(host, both["flags_o"]).fillna("").astype(str),
        "source": both["source_d"].where(host, both["source_o"]),
        "vintage": both["vintage_d"].where(host, both["vintage_o"])})
    return out.sort_values(PAIR_KEY, kind="stable").reset_index(drop=True)[PAIR_COLUMNS]


def lists_differ(known: pd.DataFrame) -> pd.DataFrame:
    """Pairs both lists name with different counts."""
    return known[(known["listed"] == "both") & (known["origin_list"] != known["destination_list"])]


def totals(flows: pd.DataFrame, listed_by: str) -> pd.Series:
    """Per list owner and year, the sum of every row of its list ('other countries' included): all its outbound
    (listed_by='origin') or inbound ('destination') students, as the hosts counted them."""
    own = flows[flows["listed_by"] == listed_by]  # a list of listed_by = X belongs to the country in column X
    return own.groupby([listed_by, "year"])["students"].sum()


def reported(flows: pd.DataFrame) -> dict[int, frozenset[str]]:
    """Per year, the hosts whose own list of origins is held: those that reported their inbound students."""
    hosts = flows[flows["listed_by"] == "destination"]
    return {int(y): frozenset(g["destination"]) for y, g in hosts.groupby("year")}


def shares(flows: pd.DataFrame, states: tuple[str, ...] | list[str], groups: frozenset[str] | set[str],
           direction: str, reporters: tuple[str, ...] | list[str] = (), known: pd.DataFrame | None = None
           ) -> pd.DataFrame:
    """Per state and year with a list: the intra-OTS share (%) of its outbound (`direction='outbound'`) or inbound
    students, the students counted, the list's total, how many OTS partners are known, and `missing`: the
    `reporters` (other than the state) that did not report that year, comma-separated ('' when none). `known`:
    `pairs(flows, groups)`, where the caller has it already."""
    listed_by, own, other = (("origin", "origin", "destination") if direction == "outbound"
                             else ("destination", "destination", "origin"))
    total = totals(flows, listed_by)
    known = pairs(flows, groups) if known is None else known
    inside = known[known[own].isin(states) & known[other].isin(states)]
    counted = inside.groupby([own, "year"])["students"].agg(["sum", "count"])
    hosts = reported(flows)
    rows = []
    for (state, year), students in total.items():
        if state not in states or students <= 0:
            continue
        got = counted.loc[(state, year)] if (state, year) in counted.index else None
        part, n = (float(got["sum"]), int(got["count"])) if got is not None else (0.0, 0)
        missing = [r for r in reporters if r != state and r not in hosts.get(int(year), frozenset())]
        rows.append((state, int(year), part / students * 100, part, float(students), n, ",".join(missing)))
    return pd.DataFrame(rows, columns=SHARE_COLUMNS)


def share_observations(flows: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """The catalogue's flow-share indicators as observation rows, for the years the catalogue offers and, for the
    outbound share, only where every required host reported (flows.toml `reporters`)."""
    columns = ["indicator", "country", "year", "value", "source", "vintage", "retrieved_at"]
    settings = catalog.flows
    wanted = [i for i in catalog.indicators if i.flow_share]
    if settings is None or flows.empty or not wanted:
        return pd.DataFrame(columns=columns)
    own = flows[flows["source"] == settings.source]
    vintages = own.groupby("listed_by")["vintage"].first()
    vintage = "; ".join(f"{'outbound' if k == 'origin' else 'inbound'} lists {v}" for k, v in vintages.items())
    retrieved = pd.to_datetime(own["retrieved_at"]).max()
    parts = []
    for ind in wanted:
        found = shares(own, catalog.flow_states(), catalog.group_codes(), ind.flow_share,
                       settings.reporters if ind.flow_share == "outbound" else ())
        # no OTS partner in either top-10 list is "not reported", not a measured 0 %
        found = found[(found["missing"] == "") & (found["partners"] > 0)
                      & found["year"].between(settings.first_year, settings.last_year)]
        parts.append(pd.DataFrame({"indicator": ind.code, "country": found["country"], "year": found["year"],
                                   "value": found["share"], "source": ind.source, "vintage": vintage,
                                   "retrieved_at": retrieved}, columns=columns))
    return pd.concat(parts, ignore_index=True)


# --- what the Cooperation page shows ---------------------------------------------------------------------------------

FLAG_LABELS = {"INCLUDES": "includes another category", "INCLUDED": "included in another category",
               "NAT_EST": "national estimate", "UIS_EST": "UIS estimate"}
REST = "_rest"  # the Sankey's node for every destination not drawn by name


def count_text(value: float) -> str:
    """A count as published: thousands separators, decimals only where the publisher gives a fraction."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def flag_text(flags: str) -> str:
    return ", ".join(FLAG_LABELS.get(f, f) for f in str(flags).split())


def cell_text(pair) -> str:
    """A matrix cell: the count, or both counts where the two lists disagree (the host's first)."""
    if pair.listed == "both" and pair.origin_list != pair.destination_list:
        return f"{count_text(pair.destination_list)} (host's list) / {count_text(pair.origin_list)} (origin's list)"
    return count_text(pair.students)


def matrix(known: pd.DataFrame, states: list[str], names: dict[str, str]) -> pd.DataFrame:
    """Origins (rows) × destinations (columns) among `states` for one year's known pairs, as text: the count, 'not
    reported' where neither list names the pair, '–' for a state and itself."""
    cells = {(r.origin, r.destination): r for r in known.itertuples(index=False)}
    table = {names.get(d, d): ["–" if o == d else cell_text(cells[(o, d)]) if (o, d) in cells else NOT_REPORTED
                               for o in states] for d in states}
    out = pd.DataFrame(table, index=pd.Index([names.get(o, o) for o in states], name="from \\ to"))
    return out


def matrix_counts(known: pd.DataFrame, states: list[str]) -> pd.DataFrame:
    """`matrix`'s counts as numbers (NaN where not reported, or on the diagonal), for shading its cells."""
    counts = known.set_index(["origin", "destination"])["students"]
    return pd.DataFrame([[float(counts.get((o, d), float("nan"))) if o != d else float("nan") for d in states]
                         for o in states])


def own_list(flows: pd.DataFrame, country: str, listed_by: str) -> pd.DataFrame:
    """A country's own top list as published (its destinations for listed_by='origin', its origins otherwise):
    partner, students, flags, largest first and the remainders last."""
    partner = "destination" if listed_by == "origin" else "origin"
    rows = flows[(flows["listed_by"] == listed_by) & (flows[listed_by] == country)]
    out = rows.rename(columns={partner: "partner"})[["partner", "year", "students", "flags", "source", "vintage"]]
    return out.sort_values("students", ascending=False, kind="stable").reset_index(drop=True)


def sankey_links(known: pd.DataFrame, outbound: pd.Series, origins: list[str], hosts: list[str],
                 context: list[str], others: int) -> pd.DataFrame:
    """One year's links from each origin to the named hosts (OTS states and `context`), to the `others` largest other
    destinations of these origins, and to REST: the rest of the origin's outbound students (its list's total minus
    what is drawn; none where the origin's own list is not held). `outbound` is the list total per origin."""
    mine = known[known["origin"].isin(origins) & (known["origin"] != known["destination"])]
    fixed = mine[mine["destination"].isin(hosts) | mine["destination"].isin(context)]
    rest_of = mine[~mine["destination"].isin(hosts) & ~mine["destination"].isin(context)]
    largest = rest_of.groupby("destination")["students"].sum().sort_values(ascending=False, kind="stable")
    named = fixed.assign(kind=fixed["destination"].map(lambda d: "ots" if d in hosts else "context"))
    other = rest_of[rest_of["destination"].isin(largest.index[:others])].assign(kind="other")
    links = pd.concat([named, other], ignore_index=True)[["origin", "destination", "students", "listed", "kind"]]
    drawn = links.groupby("origin")["students"].sum()
    rest = [(o, REST, float(outbound[o]) - float(drawn.get(o, 0.0)), "", "rest") for o in origins
            if o in outbound.index and float(outbound[o]) - float(drawn.get(o, 0.0)) > 0]
    out = pd.concat([links, pd.DataFrame(rest, columns=links.columns)], ignore_index=True)
    return out.sort_values("origin", key=lambda o: o.map(origins.index), kind="stable").reset_index(drop=True)


def reporting_gaps(hosts_by_year: dict[int, frozenset[str]], year: int, hosts: list[str]) -> list[str]:
    """Those of `hosts` whose own list of origins is not held for `year` (`hosts_by_year`: `reported(flows)`): they
    reported no inbound students, so every flow into them is missing that year (not reported, not zero)."""
    return [h for h in hosts if h not in hosts_by_year.get(year, frozenset())]
