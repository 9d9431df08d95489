"""The benchmarks' own pieces (bench/): the loopback stand-in for the World Bank API, the synthetic WDI generator, the
results writer and table. Nothing here is timed: speed is measured by `python -m bench`, never asserted in tests."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import cold_start, latency_server, measure, navigation, page_timer, synthetic_wdi
from bench.results import Figure, Results, at_least, at_most, summary, table
from etl import http
from etl.sources import worldbank
from sti import queries, settings
from sti.catalog import load_catalog
from sti.db import connect_readonly

# --- the latency server ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wb_data(catalog):
    return latency_server.from_snapshot(catalog)


@pytest.fixture
def server(wb_data):
    with latency_server.serving(wb_data, latency=0.0) as srv:
        yield srv


def _published(data, code, economies):
    return {(e, y): v for (c, e, y), v in data.values.items() if c == code and e in economies}


def test_stand_in_serves_the_snapshots_world_bank_series_for_the_catalogues_economies(catalog, wb_data):
    assert set(wb_data.series) == {i.source_code for i in catalog.indicators_from("worldbank")}
    assert set(wb_data.economies) == {c.code for c in catalog.fetchable_countries()}
    assert wb_data.years[0] == latency_server.FIRST_YEAR and len(wb_data.values) > 10_000


def test_our_client_gets_the_data_in_the_api_v2_format_and_its_checks_pass(catalog, wb_data, server):
    code, economies = "SP.POP.TOTL", ["KAZ", "TUR", "WLD"]
    session = http.make_session()
    url, pages = worldbank.fetch_pages(session, server.url, code, economies, timeout=10, per_page=50)
    assert len(pages) > 1  # paged as the API pages: header page/pages/per_page/total, rows newest first
    assert pages[0][0]["lastupdated"] == wb_data.series[code][1] and pages[0][1][0]["date"] > pages[0][1][1]["date"]
    series = worldbank.parse_api_pages(pages, url, catalog, strict=True)  # every check the refresh makes
    got = {(c, y): v for c, y, v in series[0].data.itertuples(index=False)}
    assert got == _published(wb_data, code, economies)
    assert [s for s, _ in server.take_requests()] == [latency_server.OURS] * len(pages)


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # wbgapi's own use of pandas, not ours
def test_wbgapi_gets_the_same_values_through_its_own_url_style(wb_data, server, monkeypatch):
    wb = pytest.importorskip("wbgapi")
    monkeypatch.setattr(wb, "endpoint", server.url)
    monkeypatch.setattr(wb, "per_page", 100)  # several pages, as wbgapi pages real answers
    codes, economies = ["SP.POP.TOTL", "IT.NET.USER.ZS"], ["KAZ", "TUR", "WLD"]
    rows = list(wb.data.fetch(codes, economies))
    for code in codes:
        got = {(r["economy"], int(r["time"][2:])): r["value"] for r in rows
               if r["series"] == code and r["value"] is not None}
        assert got == _published(wb_data, code, economies)
    frame = wb.data.DataFrame(codes, economies)  # the README's route reads the same answers
    assert int(frame.notna().sum().sum()) == len(rows) - sum(r["value"] is None for r in rows)
    paths = [p for _, p in server.take_requests()]
    assert {latency_server.style(p) for p in paths} == {latency_server.WBGAPI}
    assert any("/sources/2/series/" in p and "page=2" in p for p in paths)


def test_the_api_error_envelope_for_an_unknown_indicator_reaches_our_client(catalog, server):
    with pytest.raises(worldbank.SourceError, match="Invalid value"):
        worldbank.fetch_pages(http.make_session(), server.url, "NO.SUCH.CODE", ["KAZ"], timeout=10)


def test_every_request_waits_the_injected_latency_once(wb_data, monkeypatch):
    waits = []
    monkeypatch.setattr(latency_server, "wait", waits.append)
    with latency_server.serving(wb_data, latency=0.25) as srv:
        worldbank.fetch_pages(http.make_session(), srv.url, "SP.POP.TOTL", ["KAZ"], timeout=10)
        worldbank.fetch_pages(http.make_session(), srv.url, "SP.POP.TOTL", ["KAZ"], timeout=10)
        assert len(srv.take_requests()) == 2
    assert waits == [0.25, 0.25]


def test_styles_are_told_apart_by_path():
    assert latency_server.style("/v2/country/KAZ;TUR/indicator/SP.POP.TOTL?format=json") == latency_server.OURS
    assert latency_server.style("/v2/en/sources/2/series/SP.POP.TOTL/country/KAZ/time/all") == latency_server.WBGAPI
    assert latency_server.style("/v2/en/country/all?per_page=1000") == latency_server.WBGAPI


# --- the synthetic WDI -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return synthetic_wdi.generate(tmp_path_factory.mktemp("syn") / "wdi", indicators=3, economy_count=24,
                                  years=range(2015, 2020))


def test_synthetic_files_are_in_the_world_banks_bulk_format(synthetic):
    files = sorted(synthetic.data_dir.iterdir())
    assert [f.name for f in files] == [f"API_SYN.BENCH.000{n}_DS2_en_csv_v2_{n}.csv" for n in (1, 2, 3)]
    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf\"Data Source\",\"World Development Indicators\",\r\n\r\n\"Last Updated Date\",")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert all(line.endswith(",") for line in lines if line)  # the trailing comma
    rows = list(csv.reader(io.StringIO("\n".join(lines[4:]))))
    assert rows[0][:5] == [*worldbank.BULK_HEADER, "2015"] and len(rows) - 1 == synthetic.economies
    assert synthetic.observations == 3 * 24 * 5 and synthetic.bytes == sum(f.stat().st_size for f in files)


def test_synthetic_series_and_economies_are_labelled_and_declared_in_a_catalogue_copy(synthetic):
    cat = load_catalog(synthetic.catalog_dir)
    project = load_catalog()
    assert {i.code for i in project.indicators} < {i.code for i in cat.indicators}
    extra = [i for i in cat.indicators if i.code.startswith(synthetic_wdi.CODE_PREFIX)]
    assert len(extra) == 3 and all(i.kind == "context" and "Synthetic" in i.name for i in extra)
    added = [c for c in cat.countries if c.code not in project.country_codes]
    assert added and all(c.code.startswith("Q") and c.code[1] >= "M" and c.name.startswith("Synthetic economy")
                         and c.role == "aggregate" for c in added)
    assert len(cat.fetchable_countries()) == synthetic.economies


def test_the_parser_reads_every_synthetic_value(synthetic):
    cat = load_catalog(synthetic.catalog_dir)
    parsed = [s for f in sorted(synthetic.data_dir.iterdir())
              for s in worldbank.parse_bulk_csv(worldbank.decode(f.read_bytes(), str(f)), str(f), cat)]
    assert len(parsed) == 3 and sum(s.rows for s in parsed) == synthetic.observations
    assert not any(s.skipped_countries for s in parsed)


def test_etl_import_accepts_the_synthetic_files(synthetic, tmp_path):
    db = tmp_path / "sti.duckdb"
    done = measure.run(measure.python("-m", "bench.with_catalog", str(synthetic.catalog_dir), "import",
                                      str(synthetic.data_dir)), env=measure.env(STI_DB=str(db)))
    assert done.returncode == 0, done.stderr
    con = connect_readonly(db)
    try:
        assert queries.database_summary(con)["rows"] == synthetic.observations
    finally:
        con.close()
    assert done.peak_rss > 0


def test_synthetic_data_never_goes_into_data(tmp_path):
    with pytest.raises(SystemExit):
        synthetic_wdi.main([str(settings.DATA_DIR / "wdi")])
    assert not (settings.DATA_DIR / "wdi").exists()


def test_there_are_not_more_economies_than_codes_to_give_them():
    with pytest.raises(ValueError, match="at most"):
        synthetic_wdi.economies(10_000)


# --- results ---------------------------------------------------------------------------------------------------------

def _results() -> Results:
    results = Results(mode="quick", notes=["method"])
    results.add(Figure("refresh", "ratio | of times", 5.25, "×", at_least(5), "median of 3"),
                Figure("pages", "overview warm", 151.2, "ms", at_most(150)),
                Figure("scale", "observations", 25_935_000),
                Figure("memory", "RSS", None, "MB", at_most(300), "Chromium is not installed"))
    return results


def test_targets_say_whether_a_figure_meets_them():
    figures = _results().figures
    assert [f.met for f in figures] == [True, False, None, None]
    assert figures[0].target.text("×") == "≥ 5×" and figures[1].target.text("ms") == "≤ 150 ms"


def test_results_round_trip_through_json(tmp_path):
    path = tmp_path / "results.json"
    _results().write(path)
    raw = json.loads(path.read_text())
    assert raw["mode"] == "quick" and raw["notes"] == ["method"]
    assert raw["figures"][1]["met"] is False and raw["figures"][1]["target"]["text"] == "≤ 150 ms"
    again = Results.read(path)
    assert [f.to_json() for f in again.figures] == [f.to_json() for f in _results().figures]


def test_the_table_shows_value_target_and_verdict_per_figure():
    lines = table(_results()).splitlines()
    assert lines[0] == "| benchmark | figure | value | target | met |"
    assert lines[2] == "| refresh | ratio \\| of times | 5.25× | ≥ 5× | yes |"
    assert lines[3] == "| pages | overview warm | 151 ms | ≤ 150 ms | **no** |"
    assert lines[4] == "| scale | observations | 25,935,000 |  |  |"
    assert lines[5] == "| memory | RSS | not measured | ≤ 300 MB |  |"
    text = summary(_results())
    assert "- memory, RSS: Chromium is not installed" in text and "1 of 3 targets met; missed: overview warm; not measured: RSS." in text


# --- measuring -------------------------------------------------------------------------------------------------------

def test_a_measured_command_reports_its_exit_code_output_and_memory():
    done = measure.run([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"])
    assert (done.returncode, done.stdout.strip()) == (3, "out") and done.peak_rss > 1_000_000
    with pytest.raises(RuntimeError, match="exited with 3"):
        done.check("the command")


def test_side_by_side_alternates_who_goes_first():
    order = []
    times = measure.side_by_side({"a": lambda: order.append("a") or 2.0, "b": lambda: order.append("b") or 1.0}, 4)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert measure.median_ratio(times["a"], times["b"]) == 2.0


def test_the_environment_of_a_measured_command_never_inherits_sti_db(monkeypatch):
    monkeypatch.setenv("STI_DB", str(settings.DEFAULT_DB))
    assert "STI_DB" not in measure.env() and measure.env(STI_DB="/tmp/x.duckdb")["STI_DB"] == "/tmp/x.duckdb"


def test_every_page_of_the_app_is_timed_and_visited():
    pages = navigation.pages()
    assert {p.file for p in pages} == {f"app_pages/{p.name}" for p in (settings.ROOT / "app_pages").glob("*.py")}
    assert [p.address for p in pages if p.default] == ["/"]
    assert {page.name for page, _ in page_timer.views().values()} == {p.name for p in pages}


def test_a_fresh_clone_has_the_app_but_no_database_and_no_bytecode(tmp_path):
    if subprocess.run(["git", "-C", str(settings.ROOT), "rev-parse"], check=False, capture_output=True).returncode:
        pytest.skip("not a git checkout")
    clone = cold_start.fresh_clone(tmp_path / "clone")
    assert (clone / "dashboard.py").is_file() and (clone / "data" / "snapshot" / "manifest.json").is_file()
    assert not (clone / "data" / "sti.duckdb").exists()
    assert not any(p.name == "__pycache__" for p in Path(clone).rglob("*"))
