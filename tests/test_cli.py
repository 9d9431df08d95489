"""The command line as a user meets it: help, usage errors, clear messages, and the README documenting it."""
import subprocess
import sys

import pytest

from etl.cli import build_parser, main
from sti import settings

COMMANDS = ["build", "import", "refresh", "snapshot", "status"]


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "etl", *args], capture_output=True, text=True, cwd=settings.ROOT,
                          env=env, timeout=120)


def test_help_lists_every_subcommand():
    out = run("--help")
    assert out.returncode == 0
    for command in COMMANDS:
        assert command in out.stdout
    assert "STI_DB" in out.stdout and "STI_WORLDBANK_API" in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_subcommand_has_help(command):
    out = run(command, "--help")
    assert out.returncode == 0 and f"usage: python -m etl {command}" in out.stdout


def test_refresh_help_names_its_options():
    out = run("refresh", "--help").stdout
    assert "--source {worldbank,owid}" in out and "--indicator CODE" in out


def test_usage_errors_exit_2(db_path, capsys):
    assert run("nonsense").returncode == 2
    assert main(["refresh", "--indicator", "NOT.A.CODE"]) == 2
    assert "unknown indicator 'NOT.A.CODE'" in capsys.readouterr().err
    assert main(["refresh", "--indicator", "STI.PAT.RESD.P6"]) == 2
    assert "derived" in capsys.readouterr().err
    assert main(["status"]) == 2
    assert "python -m etl build" in capsys.readouterr().err


def test_a_bad_import_writes_nothing_and_names_the_file(tmp_path, db_path, capsys):
    assert main(["build"]) == 0
    before = db_path.read_bytes()
    bad = tmp_path / "API_BROKEN.csv"
    bad.write_text('"Data Source","World Development Indicators",\n\n"Last Updated Date","2026-01-01",\n\n'
                   '"Country Name","Country Code","Indicator Name","Indicator Code","2020",\n'
                   '"Azerbaijan","AZE","Patent applications, residents","IP.PAT.RESD","12,5",\n')
    good = settings.ROOT / "tests" / "conftest.py"  # not a data file at all
    assert main(["import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "API_BROKEN.csv, line 6" in err and "'12,5' is not a number" in err and "Traceback" not in err
    assert db_path.read_bytes() == before
    assert main(["import", str(good)]) == 1
    assert "unsupported file type .py" in capsys.readouterr().err


def test_status_reports_rows_years_vintage_and_last_run_per_indicator(db_path, catalog, capsys):
    assert main(["build"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[1]: line.split() for line in out.splitlines()
             if line.strip().startswith(tuple(f"{s.id} " for s in catalog.sources))}
    assert set(lines) == {i.code for i in catalog.indicators}
    # GB.XPD.RSDV.GD.ZS in the bundled snapshot: 18 countries, 1996-2024, vintage 2026-07-13
    source, code, rows, countries, years, vintage, *last_run = lines["GB.XPD.RSDV.GD.ZS"]
    assert (source, countries, years, vintage) == ("worldbank", "18", "1996-2024", "2026-07-13")
    assert int(rows) > 300 and last_run and last_run[0].startswith("20")
    assert "Latest runs" in out and "built from the bundled snapshot" in out


def test_status_last_run_is_per_indicator(db_path, fake_worldbank, capsys):
    assert main(["build"]) == 0
    fake_worldbank({}, {})  # every indicator answers with an error envelope
    assert main(["refresh", "--source", "worldbank", "--indicator", "IC.BUS.NREG"]) == 1
    capsys.readouterr()
    assert main(["status"]) == 0
    runs = [line.split() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("worldbank ")]
    last = {r[1]: " ".join(r[6:8]) for r in runs}
    assert last["GB.XPD.RSDV.GD.ZS"] == last["IC.BUS.NREG"]  # the failed refresh is not a successful run


def test_readme_documents_every_command_table_and_variable():
    readme = (settings.ROOT / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"python -m etl {command}" in readme, command
    for table in ["country", "area", "source", "indicator", "indicator_area", "observation", "etl_run"]:
        assert f"`{table}`" in readme, table
    for var in ["STI_DB", "STI_WORLDBANK_API", "STI_OWID_BASE", "STI_HTTP_TIMEOUT"]:
        assert var in readme, var
    parser = build_parser()
    assert parser.prog == "python -m etl"


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one():
    readme = (settings.ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in setup.splitlines() if line.startswith("pip install")]
    assert commands == ["pip install -r requirements.txt && streamlit run dashboard.py",
                        "pip install -r requirements-dev.txt && python -m pytest"]
    assert commands[1] in (settings.ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_vintage_option_must_be_a_date(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["import", "--vintage", "last week", "x.csv"])
    assert exit_.value.code == 2 and "YYYY-MM-DD" in capsys.readouterr().err


def test_a_derived_series_last_run_follows_its_inputs(db_path, tmp_path, capsys):
    assert main(["build"]) == 0
    raw = tmp_path / "API_TX.VAL.TECH.CD_DS2_en_csv_v2_6018.csv"
    raw.write_bytes(__import__("tests.conftest", fromlist=["x"]).wdi_bulk_csv(
        "TX.VAL.TECH.CD", "High-technology exports (current US$)", "2099-01-01", {"AZE": {1960: "5"}}))
    import time
    time.sleep(1.1)
    assert main(["import", str(raw)]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    rows = {r.split()[1]: " ".join(r.split()[-2:]) for r in capsys.readouterr().out.splitlines()
            if r.strip().startswith("worldbank ")}
    assert rows["TX.VAL.TECH.CD"] > rows["STI.PAT.RESD.P6"] == rows["IP.PAT.RESD"]
