"""`python -m etl` — build, import, refresh, snapshot, status. Exit codes: 0 ok, 1 a series or file failed, 2 usage."""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from etl import importer, load, snapshot
from etl.build import build_database
from etl.http import make_session
from etl.load import Outcome
from etl.refresh import SOURCES, refresh
from etl.series import SourceError, utc_now
from sti import queries, settings
from sti.catalog import CatalogError
from sti.catalog import catalog as project_catalog
from sti.db import DataCheckError, connect_readonly, read_contents

EPILOG = """environment:
  STI_DB             database file (default data/sti.duckdb)
  STI_WORLDBANK_API  World Bank Indicators API v2 base URL (default https://api.worldbank.org/v2)
  STI_OWID_BASE      Our World in Data grapher base URL (default https://ourworldindata.org/grapher)
  STI_HTTP_TIMEOUT   HTTP timeout in seconds (default 30)

exit codes: 0 success (a series the publisher served in an older vintage than the stored one keeps the stored
  data, with a warning), 1 a file or series failed (which and why above the summary: an import then writes
  nothing, a refresh writes the series that succeeded), 2 usage error"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m etl", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Load public STI indicators into the OTS STI Monitor database (DuckDB).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="make the database from the bundled snapshot (offline, seconds)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="Make the database from the bundled snapshot in data/snapshot/, offline. "
                                   "Derived indicators are computed on the way.")
    p.add_argument("--snapshot", metavar="DIR", type=Path, default=None,
                   help="snapshot folder to read (default data/snapshot)")

    p = sub.add_parser("import", help="load publisher files in their own download formats",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="Load publisher downloads: World Bank bulk CSVs (API_<code>_DS2_….csv), their "
                                   "zip, Metadata_Country/Metadata_Indicator CSVs, World Bank API JSON responses, "
                                   "Our World in Data grapher CSVs (with their .metadata.json if beside them), the "
                                   "IFC MSME Country Indicators JSON, ISO Survey, UN E-Government Survey, NCSES "
                                   "and Correlates of War IGO tables, UIS student-flow tables (360info's top-10 "
                                   "lists); and national figures in the monitor's CSV "
                                   "template (see README). Files are recognised by content; folders are read for "
                                   ".csv/.zip/.json files. Each series is replaced whole; where two files hold the "
                                   "same series the newer vintage wins. If any file or row cannot be read, "
                                   "nothing is written.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("--fresh", action="store_true",
                   help="start the publishers' series from empty instead of merging into the current database "
                        "(national figures are kept)")
    p.add_argument("--vintage", metavar="DATE", type=_date,
                   help="vintage for undated files: OWID CSVs that come without .metadata.json, and the UIS "
                        "student-flow tables (default: 'undated (data to Y)')")

    p = sub.add_parser("refresh", help="pull series live from the publishers' APIs",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="Fetch every catalogue series of the chosen source(s) from the live API: the "
                                   "World Bank Indicators API v2 (one request per indicator for all our countries) "
                                   "and Our World in Data grapher CSVs. A series that fails keeps its stored data; "
                                   "an older vintage never replaces a newer one.")
    p.add_argument("--source", choices=SOURCES, action="append",
                   help="only this source (repeatable; default: all)")
    p.add_argument("--indicator", nargs="+", metavar="CODE", help="only these catalogue indicator codes")

    p = sub.add_parser("snapshot", help="write data/snapshot/ from the database",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="Write the bundled snapshot from the database: a sorted observations CSV, the "
                                   "publisher metadata CSV, the flows CSV and a manifest (per source: vintages, "
                                   "rows, checksum).")
    p.add_argument("--out", metavar="DIR", type=Path, default=None, help="folder to write (default data/snapshot)")

    sub.add_parser("status", help="what is in the database",
                   formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                   description="Per source and indicator: rows, countries, years covered, vintage and last run; "
                               "then the latest ETL runs.")
    return parser


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cat = project_catalog()
        return {"build": cmd_build, "import": cmd_import, "refresh": cmd_refresh, "snapshot": cmd_snapshot,
                "status": cmd_status}[args.command](args, cat)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (CatalogError, SourceError, DataCheckError, snapshot.SnapshotError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"error: the database {settings.db_path()} could not be read or written: {exc}\n"
              "  (`python -m etl build` makes a new one from the bundled snapshot)", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the database was not changed", file=sys.stderr)
        return 130


class UsageError(Exception):
    pass


def _say_waiting() -> None:
    print("waiting: another ETL run is writing the database; this one goes on when it is done", file=sys.stderr)


def _progress(total: int, desc: str, unit: str) -> tqdm:
    """A progress bar on stderr, shown only on a terminal (disable=None), so logs and CI stay clean."""
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=None, leave=False)


# --- commands -------------------------------------------------------------------------------------------------------

def cmd_build(args: argparse.Namespace, cat) -> int:
    t0 = time.perf_counter()
    path = settings.db_path()
    build_database(path, cat, args.snapshot, on_wait=_say_waiting)
    _print_database(path, time.perf_counter() - t0)
    return 0


def cmd_import(args: argparse.Namespace, cat) -> int:
    t0, started = time.perf_counter(), utc_now()
    files = importer.expand(args.paths)
    if not files:
        raise UsageError("no .csv, .zip or .json files found in the paths given")
    batch = importer.Batch()
    with _progress(len(files), "import", "file") as bar:
        for f in files:
            bar.set_postfix_str(f.name[:40])
            importer.read_path(f, cat, batch, vintage=args.vintage)
            bar.update()
    batch.finish(cat)
    if args.vintage:
        for table in batch.flows:  # the UIS tables carry no date of their own
            table.vintage = args.vintage
    for note in batch.notes:
        print(f"note: {note}", file=sys.stderr)
    if not batch.series and not batch.metadata and not batch.dated_metadata and not batch.national \
            and not batch.flows:
        raise SourceError(", ".join(map(str, args.paths)), "no series found")
    path = settings.db_path()
    outcomes = load.apply(path, cat, batch.series, [], started, metadata=batch.metadata_frame(), fresh=args.fresh,
                          national_files=batch.national, flows=batch.flows, on_wait=_say_waiting)
    _print_outcomes(outcomes)
    _print_database(path, time.perf_counter() - t0)
    return 0


def cmd_refresh(args: argparse.Namespace, cat) -> int:
    t0, started = time.perf_counter(), utc_now()
    try:
        settings.http_timeout()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sources = args.source or list(SOURCES)
    wanted = [i for s in sources for i in cat.indicators_from(s)]
    if args.indicator:
        known = {i.code: i for i in cat.indicators}
        for code in args.indicator:
            if code not in known:
                raise UsageError(f"unknown indicator {code!r} (see data/catalog/indicators.toml)")
            if known[code].derived:
                raise UsageError(f"{code} is derived ({known[code].derived.formula}); refresh its inputs instead")
            if known[code].source not in sources:
                raise UsageError(f"{code} comes from {known[code].source}, not from {', '.join(sources)}")
        wanted = [known[c] for c in dict.fromkeys(args.indicator)]
    session = make_session()
    with _progress(len(wanted), "refresh", "series") as bar:
        series, failures = refresh(cat, wanted, session, on_done=bar.update)
    path = settings.db_path()
    outcomes = load.apply(path, cat, series, failures, started, on_wait=_say_waiting)
    _print_outcomes(outcomes)
    if path.exists():
        _print_database(path, time.perf_counter() - t0)
    else:
        print(f"\nNo database written at {path}: nothing was fetched.", file=sys.stderr)
    failed = [o for o in outcomes if o.status == "failed"]
    refused = [o for o in outcomes if o.refused]
    if refused:
        print(f"\n{len(refused)} of {len(wanted)} series came back older than the stored vintage; the stored "
              "data was kept (not an error: the publisher served an older release).", file=sys.stderr)
    if failed:
        print(f"\n{len(failed)} of {len(wanted)} series failed; whatever was stored for them is kept.", file=sys.stderr)
        return 1
    return 0


def cmd_snapshot(args: argparse.Namespace, cat) -> int:
    contents = read_contents(_existing_db())
    out = args.out or settings.SNAPSHOT_DIR
    manifest = snapshot.write_snapshot(contents.observations, contents.metadata, cat, out, contents.flows)
    rows = [{"source": s, "indicators": len(v["indicators"]), "rows": v["rows"], "vintages": ", ".join(v["vintages"]),
             "sha256": v["sha256"][:12]} for s, v in manifest["sources"].items()]
    rows += [{"source": f"{s} flows/{k}", "indicators": 0, "rows": v["rows"], "vintages": v["vintage"],
              "sha256": v["sha256"][:12]} for s, tables in manifest.get("flows", {}).items() for k, v in tables.items()]
    print(pd.DataFrame(rows).to_string(index=False))
    flows = manifest["files"].get(snapshot.FLOWS, {}).get("rows", 0)
    print(f"\nWrote {out} ({manifest['files'][snapshot.OBSERVATIONS]['rows']} published observations, {flows} "
          "flows; derived values, flow shares and conventional zeros are recomputed by `build`).")
    return 0


def cmd_status(args: argparse.Namespace, cat) -> int:
    path = _existing_db()
    con = connect_readonly(path)
    try:
        table = queries.status(con)
        flows = queries.flow_status(con)
        runs = queries.runs(con).tail(10)
    finally:
        con.close()
    table["years"] = [f"{a}-{b}" if pd.notna(a) else "-" for a, b in zip(table["first_year"], table["last_year"])]
    table["last_run"] = table["last_run"].astype("string").fillna("-")
    print(table[["source", "indicator", "rows", "countries", "years", "vintage", "last_run"]]
          .fillna("-").to_string(index=False))
    if len(flows):
        flows["years"] = [f"{a}-{b}" for a, b in zip(flows["first_year"], flows["last_year"])]
        flows["table"] = "flows/" + flows["listed_by"]
        print("\nFlows (rows of countries' top lists; flows/origin: each origin's destinations, flows/destination: "
              "each host's origins):")
        print(flows[["table", "source", "rows", "countries", "years", "vintage"]].to_string(index=False))
    print("\nLatest runs:")
    print(runs[["id", "finished", "source", "status", "rows", "message"]].to_string(index=False, max_colwidth=90))
    _print_database(path, None)
    return 0


def _existing_db() -> Path:
    path = settings.db_path()
    if not path.exists():
        raise UsageError(f"no database at {path}: run `python -m etl build` (from the snapshot) or "
                         "`python -m etl import` first")
    return path


# --- output ---------------------------------------------------------------------------------------------------------

def _print_outcomes(outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    frame = pd.DataFrame([{"status": o.status, "indicator": o.indicator, "source": o.source, "rows": o.rows,
                           "vintage": o.vintage or "-", "detail": o.message} for o in outcomes])
    order = {"failed": 0, "skipped": 1, "ok": 2}
    frame = frame.sort_values(["status", "indicator"], key=lambda s: s.map(order) if s.name == "status" else s)
    print(frame.to_string(index=False, max_colwidth=100))
    for o in outcomes:
        if o.status == "failed":
            print(f"failed: {o.indicator} from {o.origin}: {o.message}", file=sys.stderr)
        elif o.refused:
            print(f"warning: {o.indicator} from {o.origin}: {o.message}", file=sys.stderr)


def _print_database(path: Path, seconds: float | None) -> None:
    con = connect_readonly(path)
    try:
        s = queries.database_summary(con)
    finally:
        con.close()
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    print(f"\n{path}: {s['rows']} observations, {s['indicators']} indicators, {s['countries']} countries, "
          f"years {s['first_year']}-{s['last_year']}{took}.")


if __name__ == "__main__":
    sys.exit(main())
