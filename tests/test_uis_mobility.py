"""UIS student flows as 360info's top-10 tables (destinations by origin, origins by destination): the parser on files
built here in the publisher's exact format, then the ETL's load, merge rules, database checks and snapshot round
trip."""
import json

import pandas as pd
import pytest

from etl import load, snapshot
from etl.build import build_database
from etl.cli import main
from etl.series import SourceError
from etl.sources.uis_mobility import parse, recognise
from sti import queries
from sti.db import DataCheckError, connect_readonly, empty_contents, read_contents, write_database

DEST_HEADER = "year,origin_country_name,dest_country_lumped,value_lumped,cond_all\n"
ORIGIN_HEADER = "year,dest_country_name,origin_country_lumped,value_lumped,cond_all\n"
# rows as the publisher writes them: 360info's short names, a fraction, the remainder row, the UIS flags
DESTINATIONS = DEST_HEADER + (
    "2019,Azerbaijan,Turkey,19383,- - - -\n"
    "2019,Azerbaijan,Russia,10946,- - - -\n"
    "2019,Azerbaijan,Ukraine,4500,- - c -\n"
    "2019,Azerbaijan,Kyrgyzstan,132,- - - -\n"
    "2019,Azerbaijan,Other countries,8614.25572,- - - -\n"
    "2013,Azerbaijan,United States,371.32910999999996,- - - -\n"
    "2019,Kazakhstan,Russia,71368,- - c d\n"
    "2019,Kazakhstan,Kyrgyzstan,2479,- - - -\n"
    "2019,Kazakhstan,Other countries,12768,a - - -\n")
ORIGINS = ORIGIN_HEADER + (
    "2019,Turkey,Azerbaijan,19383,- - - -\n"
    "2019,Turkey,Turkmenistan,17571,- - - -\n"
    "2019,Turkey,Other countries,150000,- - - -\n"
    "2019,Kyrgyzstan,Kazakhstan,2479,- - - -\n"
    "2019,Kyrgyzstan,Azerbaijan,132,- - - -\n"
    "2019,Kyrgyzstan,Asia: unknown countries,40,a - - -\n")


def flows_of(parsed, listed_by):
    [f] = [f for f in parsed.flows if f.listed_by == listed_by]
    return f


def test_both_tables_are_recognised_by_their_header():
    assert recognise("x.csv", DESTINATIONS) and recognise("x.csv", ORIGINS)
    assert not recognise("x.csv", "year,origin,destination,students\n2019,AZE,TUR,1\n")
    assert not recognise("x.csv", "Entity,Code,Year,value\n")


def test_destinations_by_origin_become_the_origins_lists(catalog):
    parsed = parse([("dest.csv", DESTINATIONS)], catalog)
    f = flows_of(parsed, "origin")
    assert (f.source, f.origin, f.vintage) == ("uis_mobility", "dest.csv", "undated (data to 2019)")
    rows = {(r.origin, r.destination, r.year): (r.students, r.flags) for r in f.data.itertuples()}
    assert rows[("AZE", "TUR", 2019)] == (19383.0, "")      # 'Turkey' through the catalogue's aliases
    assert rows[("AZE", "RUS", 2019)] == (10946.0, "")      # 'Russia' too
    assert rows[("AZE", "UKR", 2019)] == (4500.0, "NAT_EST")  # a partner of flows.toml, flag c
    assert rows[("AZE", "XOT", 2019)] == (8614.25572, "")   # the remainder, a declared group
    assert rows[("AZE", "USA", 2013)][0] == 371.32910999999996  # a fraction, exactly as written
    assert rows[("KAZ", "RUS", 2019)] == (71368.0, "NAT_EST UIS_EST")
    assert rows[("KAZ", "XOT", 2019)] == (12768.0, "INCLUDES")
    assert len(rows) == 9 and parsed.notes == [] and parsed.series == []


def test_origins_by_destination_become_the_hosts_lists(catalog):
    f = flows_of(parse([("orig.csv", ORIGINS)], catalog), "destination")
    rows = {(r.origin, r.destination): r.students for r in f.data.itertuples()}
    assert rows == {("AZE", "TUR"): 19383, ("TKM", "TUR"): 17571, ("XOT", "TUR"): 150000, ("KAZ", "KGZ"): 2479,
                    ("AZE", "KGZ"): 132, ("XAS", "KGZ"): 40}
    assert f.vintage == "undated (data to 2019)"


def test_both_files_together_and_ties_beyond_ten(catalog):
    tied = DEST_HEADER + "".join(f"2001,Kazakhstan,{p},15,- - - -\n" for p in (
        "Bulgaria", "Austria", "Switzerland", "Tajikistan", "Canada", "Hungary", "Poland", "Turkey", "Czechia",
        "France", "United Kingdom", "Russia", "Kyrgyzstan", "Other countries"))  # 13 named, as in KAZ 2001
    parsed = parse([("d.csv", tied), ("o.csv", ORIGINS)], catalog)
    assert flows_of(parsed, "origin").rows == 14 and flows_of(parsed, "destination").rows == 6


def test_lists_of_countries_outside_the_catalogue_are_left_out_and_named(catalog):
    text = DESTINATIONS + "2019,Ukraine,Russia,30000,- - - -\n2019,Canada,United States,5000,- - - -\n"
    parsed = parse([("dest.csv", text)], catalog)
    assert flows_of(parsed, "origin").rows == 9
    assert flows_of(parsed, "origin").skipped_countries == {"Ukraine", "Canada"}
    assert parsed.notes == ["dest.csv: lists of countries outside the catalogue, not loaded: Canada, Ukraine"]


@pytest.mark.parametrize("row, message", [
    ("2019,Azerbaijan,Narnia,5,- - - -", r"line 11: partner 'Narnia' is neither a state of countries.toml nor a"),
    ("2019,Azerbaijan,Turkey,5,- - - -", r"line 11: Turkey appears twice in Azerbaijan's list for 2019 \(first on"),
    ("2019,Azerbaijan,Azerbaijan,5,- - - -", "line 11: Azerbaijan is listed as its own partner"),
    ("2019,Azerbaijan,Poland,-5,- - - -", "line 11: count '-5' is negative"),
    ("2019,Azerbaijan,Poland,many,- - - -", "line 11: value 'many' is not a number"),
    ("2019,Azerbaijan,Poland,,- - - -", "line 11: Azerbaijan – Poland 2019 has no count"),
    ("2019,Azerbaijan,Poland,5,- - x -", r"line 11: cond_all '- - x -' is not the four UIS qualifiers"),
    ("2019,Azerbaijan,Poland,5,c - - -", r"line 11: cond_all 'c - - -'"),
    ("2019,Azerbaijan,Poland,5,- - -", r"line 11: cond_all '- - -'"),
    ("19,Azerbaijan,Poland,5,- - - -", "line 11: '19' is not a year"),
    ("2019,,Poland,5,- - - -", "line 11: a country name is empty"),
    ("2019,Azerbaijan,Poland,5", "line 11: expected 5 fields, found 4"),
])
def test_a_bad_row_is_refused_with_its_line(catalog, row, message):
    with pytest.raises(SourceError, match=message):
        parse([("dest.csv", DESTINATIONS + row + "\n")], catalog)


def test_two_copies_of_one_table_are_refused(catalog):
    with pytest.raises(SourceError, match=r"b.csv, line 1: a second table of origins' lists \(the first is a.csv\)"):
        parse([("a.csv", DESTINATIONS), ("b.csv", DESTINATIONS)], catalog)


def test_crlf_and_a_byte_order_mark_are_read(catalog):
    text = "\ufeff" + DESTINATIONS.replace("\n", "\r\n")
    assert flows_of(parse([("dest.csv", text)], catalog), "origin").rows == 9


# --- the ETL: import, merge rules, checks, snapshot ----------------------------------------------------------------


def write(folder, destinations=DESTINATIONS, origins=ORIGINS):
    folder.mkdir(exist_ok=True)
    (folder / "popular-destinations-by-origin_OTS.csv").write_text(destinations, encoding="utf-8")
    (folder / "popular-origins-by-destination_OTS.csv").write_text(origins, encoding="utf-8")
    return folder


def stored(path):
    con = connect_readonly(path)
    try:
        return queries.flows(con), queries.observations(con), queries.runs(con)
    finally:
        con.close()


def test_import_writes_every_row_and_the_shares(tmp_path, db_path, catalog):
    assert main(["import", str(write(tmp_path / "raw"))]) == 0
    flows, observations, runs = stored(db_path)
    assert len(flows) == 15 and set(flows["listed_by"]) == {"origin", "destination"}
    row = flows[(flows["origin"] == "AZE") & (flows["destination"] == "TUR") & (flows["listed_by"] == "origin")]
    assert row[["year", "students", "source", "vintage", "flags"]].values.tolist() == [
        [2019, 19383.0, "uis_mobility", "undated (data to 2019)", ""]]
    shares = observations[observations["indicator"] == "STI.MOB.OTS.IN.ZS"].set_index("country")["value"]
    # Kyrgyzstan hosts 132 + 2479 + 40 students; 132 + 2479 come from OTS states
    assert shares["KGZ"] == pytest.approx((132 + 2479) / (132 + 2479 + 40) * 100)
    assert shares["TUR"] == pytest.approx((19383 + 17571) / (19383 + 17571 + 150000) * 100)
    # the outbound share needs every required host to have reported: here Russia and others did not
    assert observations[observations["indicator"] == "STI.MOB.OTS.OUT.ZS"].empty
    assert {m.split(":")[0] for m in runs["message"]} >= {"flows/origin", "flows/destination"}


def test_reimporting_the_same_files_keeps_the_stored_rows(tmp_path, db_path):
    raw = write(tmp_path / "raw")
    assert main(["import", str(raw)]) == 0
    before = stored(db_path)[0]
    assert main(["import", str(raw)]) == 0
    after, _, runs = stored(db_path)
    assert after.equals(before)  # retrieved_at too: a snapshot diff shows only what changed
    assert runs["message"].str.contains("unchanged: same vintage and values as stored").sum() == 2


def test_one_table_replaces_only_its_own_lists(tmp_path, db_path):
    assert main(["import", str(write(tmp_path / "raw"))]) == 0
    newer = DEST_HEADER + "2020,Azerbaijan,Turkey,20000,- - - -\n"
    (tmp_path / "new.csv").write_text(newer, encoding="utf-8")
    assert main(["import", str(tmp_path / "new.csv")]) == 0
    flows = stored(db_path)[0]
    assert flows[flows["listed_by"] == "origin"][["origin", "destination", "year"]].values.tolist() == [
        ["AZE", "TUR", 2020]]
    assert (flows["listed_by"] == "destination").sum() == 6  # the hosts' lists are kept


def test_an_undated_table_never_replaces_a_dated_one(tmp_path, db_path, capsys):
    raw = write(tmp_path / "raw")
    assert main(["import", "--vintage", "2023-01-09", str(raw)]) == 0
    assert set(stored(db_path)[0]["vintage"]) == {"2023-01-09"}
    assert main(["import", str(raw)]) == 0
    assert set(stored(db_path)[0]["vintage"]) == {"2023-01-09"}
    assert "refused: an undated file cannot be shown to be newer" in capsys.readouterr().out


def test_the_database_checks_refuse_bad_flows(tmp_path, catalog):
    path = tmp_path / "sti.duckdb"

    def contents(*rows):
        frame = pd.DataFrame([dict(zip(["origin", "destination", "year", "students", "listed_by"], r),
                                   source="uis_mobility", vintage="v", flags="", retrieved_at=pd.Timestamp(2026, 1, 1))
                              for r in rows], columns=queries.FLOW_COLUMNS)
        base = empty_contents()
        return type(base)(observations=base.observations, metadata=base.metadata, runs=base.runs, flows=frame)

    for rows, problem in [
        ([("AZE", "TUR", 2019, 1.0, "origin"), ("AZE", "TUR", 2019, 2.0, "origin")], "duplicate flow"),
        ([("AZE", "ZZZ", 2019, 1.0, "origin")], "flow of a country not in the catalogue: ZZZ"),
        ([("USA", "TUR", 2019, 1.0, "origin")], "flow list of a country not in countries.toml: USA"),
        ([("AZE", "TUR", 2019, -1.0, "origin")], "flow count is not a finite number"),
        ([("XOT", "XAS", 2019, 1.0, "destination")], "flow between two remainders"),
        ([("AZE", "TUR", 2019, 1.0, "sideways")], "flow list neither an origin's nor a destination's"),
    ]:
        with pytest.raises(DataCheckError, match=problem):
            write_database(path, catalog, contents(*rows))
        assert not path.exists()
    write_database(path, catalog, contents(("AZE", "TUR", 2019, 1.0, "origin"), ("AZE", "TUR", 2019, 1.0,
                                                                                  "destination")))


def test_snapshot_round_trip_keeps_every_flow_exactly(tmp_path, db_path, catalog):
    assert main(["import", "--fresh", str(write(tmp_path / "raw"))]) == 0
    imported = read_contents(db_path)
    assert main(["snapshot", "--out", str(tmp_path / "snap")]) == 0
    lines = (tmp_path / "snap" / snapshot.FLOWS).read_text().splitlines()
    assert lines[0] == ",".join(queries.FLOW_COLUMNS)
    [usa] = [line for line in lines if line.startswith("AZE,USA,")]
    assert usa.startswith("AZE,USA,2013,371.32910999999996,uis_mobility,undated (data to 2019),origin,,")
    cells = [line.split(",") for line in lines[1:]]
    assert cells == sorted(cells, key=lambda c: (c[4], c[6], c[0], c[1], c[2]))  # source, list, origin, host, year
    text = (tmp_path / "snap" / snapshot.OBSERVATIONS).read_text()
    assert "STI.MOB.OTS" not in text  # computed from the flows on every build, never stored
    manifest = json.loads((tmp_path / "snap" / snapshot.MANIFEST).read_text())
    assert manifest["flows"]["uis_mobility"]["origin"]["rows"] == 9
    assert manifest["flows"]["uis_mobility"]["destination"]["years"] == [2019, 2019]
    rebuilt = tmp_path / "rebuilt.duckdb"
    build_database(rebuilt, catalog, tmp_path / "snap")
    again = read_contents(rebuilt)
    assert again.flows.equals(imported.flows) and again.observations.equals(imported.observations)


def test_a_hand_edited_flows_file_is_refused(tmp_path, db_path):
    assert main(["import", "--fresh", str(write(tmp_path / "raw"))]) == 0
    assert main(["snapshot", "--out", str(tmp_path / "snap")]) == 0
    path = tmp_path / "snap" / snapshot.FLOWS
    path.write_text(path.read_text().replace("19383", "19384"))
    with pytest.raises(snapshot.SnapshotError, match="flows.csv does not match the checksum"):
        snapshot.read_flows(tmp_path / "snap")
    assert main(["build", "--snapshot", str(tmp_path / "snap")]) == 1


def test_a_snapshot_written_before_flows_existed_still_builds(tmp_path, db_path, catalog):
    assert main(["import", "--fresh", str(write(tmp_path / "raw"))]) == 0
    contents = read_contents(db_path)
    snapshot.write_snapshot(contents.observations, contents.metadata, catalog, tmp_path / "old")
    assert not (tmp_path / "old" / snapshot.FLOWS).exists()
    assert "flows" not in json.loads((tmp_path / "old" / snapshot.MANIFEST).read_text())
    build_database(tmp_path / "old.duckdb", catalog, tmp_path / "old")
    assert read_contents(tmp_path / "old.duckdb").flows.empty


def test_status_lists_the_flow_tables(tmp_path, db_path, capsys):
    assert main(["import", str(write(tmp_path / "raw"))]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "flows/origin uis_mobility     9          2 2013-2019" in out
    assert "STI.MOB.OTS.IN.ZS" in out


def test_merge_flows_prefers_the_newest_of_one_import(catalog):
    parsed = parse([("a.csv", DESTINATIONS)], catalog)
    [older] = parsed.flows
    newer = type(older)(source=older.source, listed_by="origin", vintage="2024-01-01", data=older.data,
                        origin="b.csv")
    merged, outcomes = load.merge_flows(pd.DataFrame(columns=queries.FLOW_COLUMNS), [newer, older])
    assert set(merged["vintage"]) == {"2024-01-01"}
    assert [o.status for o in outcomes] == ["skipped", "ok"] and "superseded by vintage 2024-01-01" in \
        outcomes[0].message
