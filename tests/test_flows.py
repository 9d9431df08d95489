"""How flows are counted (sti.flows), drawn (sti.flow_charts) and read (sti.queries): pure functions on small frames
of the `flow` table built here, and the queries on the database built from the bundled snapshot."""
import math

import pandas as pd
import pytest

from sti import flow_charts, flows, queries
from sti.charts import Look
from sti.db import connect_readonly

GROUPS = frozenset({"XOT", "XAS"})
OTS = ("AZE", "KAZ", "KGZ", "TUR", "UZB", "HUN", "TKM")


def table(*rows, vintage="v1"):
    """Flow rows: (origin, destination, year, students, listed_by[, flags])."""
    return pd.DataFrame([{"origin": r[0], "destination": r[1], "year": r[2], "students": float(r[3]),
                          "listed_by": r[4], "flags": r[5] if len(r) > 5 else "", "source": "uis_mobility",
                          "vintage": vintage, "retrieved_at": pd.Timestamp(2026, 1, 1)} for r in rows])


# AZE's list names TUR and RUS; TUR's list names AZE (same count) and KGZ; KGZ's list names AZE (not in AZE's top 10)
# and KAZ with another count than KAZ's own list gives.
YEAR = table(
    ("AZE", "TUR", 2019, 19383, "origin"), ("AZE", "RUS", 2019, 10946, "origin", "NAT_EST"),
    ("AZE", "XOT", 2019, 1000, "origin"),
    ("AZE", "TUR", 2019, 19383, "destination"), ("KGZ", "TUR", 2019, 1937, "destination"),
    ("XOT", "TUR", 2019, 100000, "destination"),
    ("AZE", "KGZ", 2019, 132, "destination"), ("KAZ", "KGZ", 2019, 1117, "destination"),
    ("XAS", "KGZ", 2019, 40, "destination"),
    ("KAZ", "KGZ", 2019, 1100, "origin"), ("KAZ", "RUS", 2019, 71368, "origin"), ("KAZ", "XOT", 2019, 500, "origin"),
    ("RUS", "KAZ", 2019, 1511, "destination"))


def test_a_pair_is_known_from_either_list_and_the_hosts_count_wins():
    known = flows.pairs(YEAR, GROUPS).set_index(["origin", "destination"])
    assert known.loc[("AZE", "TUR"), ["students", "listed"]].tolist() == [19383, "both"]
    assert known.loc[("AZE", "RUS"), ["students", "listed", "flags"]].tolist() == [10946, "origin", "NAT_EST"]
    assert known.loc[("AZE", "KGZ"), ["students", "listed"]].tolist() == [132, "destination"]
    kaz_kgz = known.loc[("KAZ", "KGZ")]
    assert (kaz_kgz["students"], kaz_kgz["origin_list"], kaz_kgz["destination_list"]) == (1117, 1100, 1117)
    assert ("AZE", "XOT") not in known.index and ("XAS", "KGZ") not in known.index  # remainders are not pairs
    assert ("KAZ", "AZE") not in known.index  # in neither list: not reported, and no row (never a zero)
    assert flows.lists_differ(flows.pairs(YEAR, GROUPS))[["origin", "destination"]].values.tolist() == [
        ["KAZ", "KGZ"]]


def test_totals_and_who_reported():
    out = flows.totals(YEAR, "origin")
    assert out[("AZE", 2019)] == 19383 + 10946 + 1000 and out[("KAZ", 2019)] == 1100 + 71368 + 500
    assert flows.totals(YEAR, "destination")[("KGZ", 2019)] == 132 + 1117 + 40
    assert flows.reported(YEAR) == {2019: frozenset({"TUR", "KGZ", "KAZ"})}
    assert flows.reporting_gaps(flows.reported(YEAR), 2019, ["AZE", "TUR", "RUS"]) == ["AZE", "RUS"]


def test_outbound_share_counts_known_ots_pairs_over_the_whole_list():
    shares = flows.shares(YEAR, OTS, GROUPS, "outbound", ("TUR", "KGZ", "RUS")).set_index("country")
    aze = shares.loc["AZE"]
    # TUR from both lists, KGZ from KGZ's own list only (inside AZE's 'other countries'); RUS is not an OTS state
    assert aze["students"] == 19383 + 132 and aze["total"] == 19383 + 10946 + 1000
    assert aze["share"] == pytest.approx((19383 + 132) / 31329 * 100) and aze["partners"] == 2
    assert aze["missing"] == "RUS"  # Russia did not report that year: the share is not comparable
    kaz = shares.loc["KAZ"]
    assert kaz["students"] == 1117 and kaz["missing"] == "RUS"  # the host's count where the lists differ


def test_inbound_share_needs_only_the_hosts_own_list():
    shares = flows.shares(YEAR, OTS, GROUPS, "inbound").set_index("country")
    assert shares.loc["KGZ", "share"] == pytest.approx((132 + 1117) / (132 + 1117 + 40) * 100)
    assert shares.loc["TUR", "students"] == 19383 + 1937 and shares.loc["TUR", "missing"] == ""
    assert "AZE" not in shares.index  # AZE's own list of origins is not held: no inbound share at all
    assert shares.loc["KAZ", "share"] == 0 and shares.loc["KAZ", "partners"] == 0  # a list without OTS origins


def test_share_observations_keep_comparable_years_in_the_catalogue_span(catalog):
    everyone = ("AZE", "KAZ", "KGZ", "TUR", "UZB", "RUS")
    rows = [(o, "TUR", y, 10, "origin") for o in ("AZE",) for y in (1997, 2010, 2019)]
    rows += [(o, "XOT", y, 30, "origin") for o in ("AZE",) for y in (1997, 2010, 2019)]
    rows += [("XOT", host, y, 50, "destination") for host in everyone for y in (1997, 2019)]  # all reported then
    rows += [("XOT", host, 2010, 50, "destination") for host in everyone if host != "RUS"]  # Russia did not
    obs = flows.share_observations(table(*rows), catalog)
    out = obs[obs["indicator"] == "STI.MOB.OTS.OUT.ZS"]
    assert out[["country", "year", "value"]].values.tolist() == [["AZE", 2019, 25.0]]  # 1997: before 1998
    assert set(out["source"]) == {"uis_mobility"} and out["vintage"].iloc[0] == (
        "inbound lists v1; outbound lists v1")
    inbound = obs[obs["indicator"] == "STI.MOB.OTS.IN.ZS"]
    assert set(inbound["year"]) == {2010, 2019}  # every year a host reported in the span: no reporter rule
    tur = inbound[inbound["country"] == "TUR"].set_index("year")["value"]
    assert tur[2019] == pytest.approx(10 / 50 * 100)  # AZE's 10, known from AZE's list, inside TUR's 'other'
    # the other hosts' lists name no OTS partner: not reported, so no observation (never a measured 0 %)
    assert set(inbound["country"]) == {"TUR"}


def test_the_matrix_says_not_reported_never_zero():
    known = flows.pairs(YEAR, GROUPS)
    names = {"AZE": "Azerbaijan", "KAZ": "Kazakhstan", "KGZ": "Kyrgyzstan", "TUR": "Türkiye"}
    matrix = flows.matrix(known, ["AZE", "KAZ", "KGZ", "TUR"], names)
    assert list(matrix.columns) == ["Azerbaijan", "Kazakhstan", "Kyrgyzstan", "Türkiye"]
    assert matrix.loc["Azerbaijan", "Türkiye"] == "19,383" and matrix.loc["Azerbaijan", "Kyrgyzstan"] == "132"
    assert matrix.loc["Kazakhstan", "Azerbaijan"] == flows.NOT_REPORTED
    assert matrix.loc["Türkiye", "Türkiye"] == "–"
    assert matrix.loc["Kazakhstan", "Kyrgyzstan"] == "1,117 (host's list) / 1,100 (origin's list)"
    assert "0" not in set(matrix.values.ravel())
    counts = flows.matrix_counts(known, ["AZE", "KAZ", "KGZ", "TUR"])
    assert counts.iat[0, 3] == 19383 and math.isnan(counts.iat[1, 0]) and math.isnan(counts.iat[0, 0])


@pytest.mark.parametrize("value, text", [(19383.0, "19,383"), (371.32910999999996, "371.33"), (0.0, "0"),
                                         (1234567.5, "1,234,567.50")])
def test_counts_are_printed_as_published(value, text):
    assert flows.count_text(value) == text


def test_a_countrys_own_list_is_shown_as_published():
    own = flows.own_list(YEAR, "AZE", "origin")
    assert own["partner"].tolist() == ["TUR", "RUS", "XOT"] and own["students"].tolist() == [19383, 10946, 1000]
    assert flows.own_list(YEAR, "KGZ", "destination")["partner"].tolist() == ["KAZ", "AZE", "XAS"]
    assert flows.own_list(YEAR, "AZE", "destination").empty
    assert flows.flag_text("NAT_EST UIS_EST") == "national estimate, UIS estimate"


def test_sankey_links_name_the_hosts_and_sum_the_rest():
    known = flows.pairs(YEAR, GROUPS)
    outbound = flows.totals(YEAR, "origin").xs(2019, level="year")
    links = flows.sankey_links(known, outbound, ["AZE", "KAZ"], ["AZE", "KAZ", "KGZ", "TUR"], ["RUS"], 0)
    got = {(r.origin, r.destination): (r.students, r.kind) for r in links.itertuples()}
    assert got[("AZE", "TUR")] == (19383, "ots") and got[("AZE", "RUS")] == (10946, "context")
    assert got[("AZE", "KGZ")] == (132, "ots")
    # the rest: AZE's list total minus what is drawn (its 'other countries' less the 132 to KGZ inside it)
    assert got[("AZE", flows.REST)] == (19383 + 10946 + 1000 - 19383 - 10946 - 132, "rest")
    assert got[("KAZ", "KGZ")] == (1117, "ots") and got[("KAZ", flows.REST)] == (1100 + 71368 + 500 - 1117 - 71368,
                                                                                 "rest")
    assert links["origin"].tolist() == sorted(links["origin"], key=["AZE", "KAZ"].index)
    others = flows.sankey_links(known, outbound, ["AZE"], ["AZE"], [], 1)
    assert set(others[others["kind"] == "other"]["destination"]) == {"TUR"}  # the largest non-named host


LOOK = Look(names={"AZE": "Azerbaijan", "KAZ": "Kazakhstan", "KGZ": "Kyrgyzstan", "TUR": "Türkiye",
                   "RUS": "Russian Federation", "XOT": "Other countries", "XAS": "Asia: unknown countries"},
            colours={"AZE": "#0072B2", "KAZ": "#E69F00", "KGZ": "#009E73", "TUR": "#D55E00", "RUS": "#882255"})


def test_the_sankey_draws_each_link_with_its_count_year_and_list():
    known = flows.pairs(YEAR, GROUPS)
    outbound = flows.totals(YEAR, "origin").xs(2019, level="year")
    links = flows.sankey_links(known, outbound, ["AZE", "KAZ"], ["AZE", "KAZ", "KGZ", "TUR"], ["RUS"], 0)
    fig = flow_charts.sankey(links, LOOK, 2019, "t", focus="KAZ", order=["AZE", "KAZ", "KGZ", "TUR"])
    [trace] = fig.data
    labels = list(trace.node.label)
    assert labels[:2] == ["Azerbaijan", "Kazakhstan"]
    assert labels[2:] == ["Kyrgyzstan", "Türkiye", "Russian Federation", flow_charts.REST_LABEL]  # OTS hosts first
    drawn = {(labels[s], labels[t]): v for s, t, v in zip(trace.link.source, trace.link.target, trace.link.value)}
    assert drawn[("Azerbaijan", "Türkiye")] == 19383 and drawn[("Kazakhstan", "Kyrgyzstan")] == 1117
    hover = dict(zip(zip(trace.link.source, trace.link.target), trace.link.customdata))
    text = hover[(labels.index("Azerbaijan"), labels.index("Türkiye"))]
    assert "19,383 students" in text and "2019" in text and "in both Azerbaijan's and Türkiye's top lists" in text
    colours = dict(zip(zip(trace.link.source, trace.link.target), trace.link.color))
    assert colours[(1, labels.index("Kyrgyzstan"))].endswith(",0.8)")  # the focus state's band, strongest
    assert colours[(0, labels.index("Türkiye"))].endswith(",0.35)")
    assert colours[(0, labels.index("Russian Federation"))].startswith("rgba(140,140,140")
    assert all(0 < y < 1 for y in trace.node.y) and set(trace.node.x) == {0.001, 0.999}


def test_list_bars_put_the_remainder_last_and_colour_ots_partners():
    rows = flows.own_list(YEAR, "KGZ", "destination")
    fig = flow_charts.list_bars(rows, LOOK, "t", {"AZE", "KAZ", "TUR"}, set(GROUPS), 2019)
    [bar] = fig.data
    assert list(bar.y) == ["Asia: unknown countries", "Azerbaijan", "Kazakhstan"]  # bottom to top: largest on top
    assert list(bar.x) == [40, 132, 1117] and list(bar.text) == ["40", "132", "1,117"]
    assert list(bar.marker.color) == [flow_charts.REST_GREY, "#0072B2", "#E69F00"]
    assert list(bar.marker.pattern.shape) == ["/", "", ""]


def test_the_matrix_table_is_escaped_shaded_and_hatched():
    known = flows.pairs(YEAR, GROUPS)
    states = ["AZE", "KAZ", "KGZ", "TUR"]
    matrix = flows.matrix(known, states, LOOK.names)
    out = flow_charts.matrix_html(matrix, flows.matrix_counts(known, states), {"Azerbaijan": "cooperation?x=<y>"},
                                  focus="Kazakhstan")
    assert out.count('class="nr') == (matrix == flows.NOT_REPORTED).sum().sum()
    assert '<a href="cooperation?x=&lt;y&gt;" target="_self">Azerbaijan</a>' in out
    assert ">19,383</td>" in out and "rgba(0,114,178,0.58)" in out  # the largest count, the deepest blue
    assert '<th scope="row" class="focus">Kazakhstan</th>' in out


# --- queries on the bundled snapshot --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from etl.build import build_database
    from sti.catalog import catalog

    path = tmp_path_factory.mktemp("flows") / "sti.duckdb"
    build_database(path, catalog())
    con = connect_readonly(path)
    yield con
    con.close()


def test_flow_queries_read_the_bundled_flows(built, catalog):
    rows = queries.flow_rows(built, 2019, 2019)
    assert set(rows["year"]) == {2019} and list(rows.columns) == queries.FLOW_COLUMNS[:-1]
    aze_tur = rows[(rows["origin"] == "AZE") & (rows["destination"] == "TUR")]
    assert set(aze_tur["listed_by"]) == {"origin", "destination"} and set(aze_tur["students"]) == {19383}
    exported = queries.export_flows(built, ["uis_mobility"])
    assert len(exported) == len(queries.flows(built)) > 5000
    assert queries.export_flows(built, ["worldbank"]).empty
    status = queries.flow_status(built).set_index("listed_by")
    assert status.loc["origin", "countries"] == 12 and status.loc["destination", "countries"] == 11
    names = catalog.partner_names()
    assert set(exported["origin"]) | set(exported["destination"]) <= set(names)


def test_the_share_indicators_are_in_the_areas_they_inform(built):
    got = built.execute("SELECT indicator, area FROM indicator_area WHERE indicator LIKE 'STI.MOB.%' "
                        "ORDER BY 1, 2").fetchall()
    assert got == [("STI.MOB.OTS.IN.ZS", "rd"), ("STI.MOB.OTS.IN.ZS", "research"), ("STI.MOB.OTS.OUT.ZS", "rd"),
                   ("STI.MOB.OTS.OUT.ZS", "research")]
    formula = built.execute("SELECT formula FROM indicator WHERE code = 'STI.MOB.OTS.OUT.ZS'").fetchone()[0]
    assert "top-10" in formula
    partners = built.execute("SELECT count(*), count(*) FILTER (is_group) FROM partner").fetchone()
    assert partners == (85, 3)
