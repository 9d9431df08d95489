"""The database under kill -9, concurrent readers and concurrent writers, with real processes.

A writer builds a complete new file beside the database and swaps it in (`sti.db.write_database`), holding an OS lock
from reading to swapping (`sti.db.writer_lock`). So: a writer killed at any moment leaves the previous file intact;
reader processes see the old or the new data, never a mix and never an error; two writers at once both land.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from etl.cli import main
from sti import settings
from sti.db import read_contents
from tests.conftest import wdi_bulk_csv

CODE, NAME = "IP.PAT.RESD", "Patent applications, residents"
STATES = ("AZE", "KAZ", "TUR")
pytestmark = pytest.mark.skipif(os.name != "posix", reason="kill -9 and the process tests need a POSIX system")


def version_file(tmp_path: Path, k: int, code: str = CODE, name: str = NAME) -> Path:
    """A World Bank bulk CSV of `code` at vintage 2027-0k-01 with values that identify version k."""
    rows = {c: {y: str(1000 * k + 10 * n + y - 2015) for y in range(2015, 2021)} for n, c in enumerate(STATES)}
    path = tmp_path / f"API_{code}_DS2_en_csv_v2_{k}.csv"
    path.write_bytes(wdi_bulk_csv(code, name, f"2027-0{k}-01", rows, years=range(2015, 2021)))
    return path


def state_of(k: int) -> list:
    values = [1000 * k + 10 * n + y - 2015 for n in range(len(STATES)) for y in range(2015, 2021)]
    return [len(values), float(sum(values)), [f"2027-0{k}-01"]]


def env(db: Path) -> dict[str, str]:
    return {**os.environ, "STI_DB": str(db), "PYTHONPATH": str(settings.ROOT)}


def etl(db: Path, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "etl", *args], cwd=settings.ROOT, env=env(db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(f".{db.name}.*.writing*"))


@pytest.fixture
def built(db_path) -> Path:
    """A database built from the bundled snapshot (about 20,000 rows: a write takes a noticeable moment)."""
    assert main(["build"]) == 0
    return db_path


# --- kill -9 -----------------------------------------------------------------------------------------------------------

def stop_while_writing(db: Path, proc: subprocess.Popen, delay: float) -> str:
    """Freeze `proc` (SIGSTOP) `delay` s after its new file appears, then SIGKILL it. Returns 'mid-write' if the
    new file was still unswapped when frozen (the swap renames it, atomically), 'swapped' if it was already in
    place, 'finished' if the process ended first."""
    while not leftovers(db):
        if proc.poll() is not None:
            return "finished"
        time.sleep(0.0005)
    time.sleep(delay)
    proc.send_signal(signal.SIGSTOP)
    where = "mid-write" if leftovers(db) else "swapped"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return where


def test_a_refresh_killed_at_moments_across_its_write_leaves_a_whole_database(built, fake_worldbank):
    before = read_contents(built).observations
    fake = fake_worldbank({CODE: [(c, 2021, 5.0 + n) for n, c in enumerate(STATES)]}, {CODE: "2027-06-01"})
    seen = []
    for delay in (0.0, 0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.25):
        proc = etl(built, "refresh", "--source", "worldbank", "--indicator", CODE)  # the fake API is in os.environ
        where = stop_while_writing(built, proc, delay)
        seen.append(where)
        obs = read_contents(built).observations  # opens and reads every table
        if where == "mid-write":
            assert obs.equals(before), f"killed {delay} s into the write"
        else:  # the kill came after the swap: the refresh landed, as a whole
            assert obs[obs["indicator"] == CODE]["vintage"].unique().tolist() == ["2027-06-01"]
            assert main(["build"]) == 0  # back to the snapshot for the next kill
            assert read_contents(built).observations.equals(before)
    assert "mid-write" in seen, seen
    assert fake.requests
    # The lock died with the process: the next run neither waits nor fails, and clears what the killed ones left.
    assert leftovers(built)
    assert main(["refresh", "--source", "worldbank", "--indicator", CODE]) == 0
    assert leftovers(built) == []
    obs = read_contents(built).observations
    assert obs[obs["indicator"] == CODE]["vintage"].unique().tolist() == ["2027-06-01"]


# --- readers while a writer swaps ---------------------------------------------------------------------------------------

READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from sti import queries
    from sti.db import connect_readonly

    path, code, stop = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

    def state(con):
        s = queries.series(con, [code], ["AZE", "KAZ", "TUR"], 1900, 2100)
        return [len(s), float(s["value"].sum()), sorted(s["vintage"].unique().tolist())]

    held = connect_readonly(path)  # opened before the swaps and kept open throughout
    first = state(held)
    seen, errors, reads, held_changed = [], [], 0, False
    print("reading", flush=True)
    until, last = time.monotonic() + 120, False
    while not last and time.monotonic() < until:
        last = stop.exists()  # one more read after the stop sign, so the final version is always seen
        try:
            con = connect_readonly(path)
            try:
                now = state(con)
            finally:
                con.close()
            if now not in seen:
                seen.append(now)
            held_changed |= state(held) != first
            reads += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"first": first, "seen": seen, "errors": errors[:5], "reads": reads,
                      "held_changed": held_changed}))
""")


def test_reader_processes_keep_working_while_imports_swap_the_file(built, tmp_path):
    files = [version_file(tmp_path, k) for k in range(1, 6)]
    stop = tmp_path / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(built), CODE, str(stop)], cwd=settings.ROOT,
                                env=env(built), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    for r in readers:
        assert r.stdout.readline().strip() == "reading"  # up, and holding a connection to the snapshot's file
    for f in files:
        assert main(["import", str(f)]) == 0
        time.sleep(0.2)
    stop.touch()
    reports = []
    for r in readers:
        out, err = r.communicate(timeout=120)
        assert r.returncode == 0, err
        reports.append(json.loads(out))
    allowed = [reports[0]["first"]] + [state_of(k) for k in range(1, 6)]
    for report in reports:
        assert report["errors"] == []
        assert all(s in allowed for s in report["seen"]), report["seen"]  # never a mix of two versions
        assert report["seen"][-1] == state_of(5)  # the last version is picked up by the next query
        assert not report["held_changed"]          # a connection to the old file keeps its view


def test_the_dashboards_cached_reads_follow_a_swap(built, tmp_path):
    """`sti.store.read` caches per file identity: after a swap the next query reads the new file."""
    from sti import store

    store._checked.clear()
    summary = store.read("database_summary")
    assert main(["import", str(version_file(tmp_path, 1, "TX.VAL.TECH.CD", "High-technology exports (current US$)"))]) \
        == 0
    obs = store.read("series", [CODE, "TX.VAL.TECH.CD"], ["AZE"], 2015, 2020)
    assert obs[obs["indicator"] == "TX.VAL.TECH.CD"]["vintage"].unique().tolist() == ["2027-01-01"]
    after = store.read("database_summary")
    assert after != summary and after["rows"] == len(read_contents(built).observations)


# --- two writers at once ----------------------------------------------------------------------------------------------

def test_two_imports_at_once_both_land(built, tmp_path):
    """Without the writer lock both would merge into the same old file and the later swap would drop the other."""
    a = version_file(tmp_path, 2)
    b = version_file(tmp_path, 3, "TX.VAL.TECH.CD", "High-technology exports (current US$)")
    for _ in range(3):
        procs = [etl(built, "import", str(a)), etl(built, "import", str(b))]
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        obs = read_contents(built).observations
        assert obs[obs["indicator"] == CODE]["vintage"].unique().tolist() == ["2027-02-01"]
        assert obs[obs["indicator"] == "TX.VAL.TECH.CD"]["vintage"].unique().tolist() == ["2027-03-01"]
        assert main(["build"]) == 0  # and again, from the snapshot
    assert leftovers(built) == []


def test_a_second_writer_waits_for_the_first_and_says_so(built, tmp_path):
    from sti.db import writer_lock

    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from sti.db import writer_lock
        with writer_lock(Path({str(built)!r})):
            print("locked", flush=True)
            time.sleep(1.5)
    """)], cwd=settings.ROOT, env=env(built), stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    proc = etl(built, "import", str(version_file(tmp_path, 4)))
    _, err = proc.communicate(timeout=60)
    holder.wait()
    assert proc.returncode == 0, err
    assert "waiting: another ETL run is writing the database" in err
    obs = read_contents(built).observations
    assert obs[obs["indicator"] == CODE]["vintage"].unique().tolist() == ["2027-04-01"]
    with writer_lock(built, wait=0.5):  # released by both
        pass
