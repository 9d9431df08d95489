"""Make the database from the bundled snapshot: offline, in well under a second for the bundled data."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from etl import load, snapshot
from etl.load import Outcome
from etl.series import utc_now
from etl.sources import national
from sti import queries, settings
from sti.catalog import Catalog
from sti.db import WRITER_WAIT, Contents, read_contents, write_database, writer_lock

BUILT_FROM = "built from the bundled snapshot"


def build_database(path: Path, catalog: Catalog, snapshot_dir: Path | None = None, *,
                   wait: float = WRITER_WAIT, on_wait: Callable[[], None] | None = None) -> None:
    """Replace the database with the snapshot's data, keeping the national figures of the file it replaces."""
    with writer_lock(path, wait=wait, on_wait=on_wait):
        build_locked(path, catalog, snapshot_dir)


def build_locked(path: Path, catalog: Catalog, snapshot_dir: Path | None = None) -> None:
    """`build_database` for a caller that already holds the writer lock (and has just decided to build)."""
    started = utc_now()
    directory = snapshot_dir or settings.SNAPSHOT_DIR
    observations, metadata, manifest = snapshot.read_snapshot(directory)
    digest = snapshot.manifest_digest(directory)
    flows = load.normalise_flows(snapshot.read_flows(directory))
    observations = load.with_flow_shares(load.with_computed(observations, catalog), flows, catalog)
    outcomes = [Outcome("all", source, "ok", int((observations["source"] == source).sum()), None,
                        f"{BUILT_FROM} {digest} ({info['rows']} published rows, vintages "
                        f"{', '.join(info['vintages'])}; derived indicators recomputed)")
                for source, info in manifest["sources"].items()]
    outcomes += [Outcome(f"flows/{listed_by}", source, "ok", info["rows"], info["vintage"],
                         f"{BUILT_FROM} {digest} ({info['rows']} published flows, vintage {info['vintage']}; "
                         "intra-OTS shares recomputed)")
                 for source, tables in manifest.get("flows", {}).items() for listed_by, info in tables.items()]
    # National figures are the user's own, not in the snapshot: a rebuild keeps those of the database it replaces.
    try:
        kept = read_contents(path) if path.exists() else None
    except duckdb.Error:
        kept = None  # not readable as a database: nothing to keep

    national_obs = national_ind = None
    if kept is not None and len(kept.national):
        national_obs, national_ind, notes = national.reconcile(kept.national, kept.national_indicators, catalog)
        outcomes += load.national_notes(notes) + [
            load.Outcome("national figures", load.NATIONAL_RUN_SOURCE, "ok", len(national_obs), None,
                         f"kept {len(national_obs)} national figures from the database this build replaced")]
    runs = load.run_rows(pd.DataFrame(columns=queries.RUN_COLUMNS), outcomes, started)
    contents = Contents(observations=observations, metadata=metadata, runs=runs, flows=flows)
    if national_obs is not None:
        contents = Contents(observations=observations, metadata=metadata, runs=runs, national=national_obs,
                            national_indicators=national_ind, flows=flows)
    write_database(path, catalog, contents)


def built_from_other_snapshot(runs: pd.DataFrame, snapshot_dir: Path | None = None) -> bool:
    """True when the database holds nothing but a build from a snapshot other than the current one (after a
    `git pull`, say). A database with imported or refreshed data is never reported, so it is never replaced."""
    messages = [m for m in runs["message"].astype(str)]
    if not messages or not all(BUILT_FROM in m for m in messages):
        return False
    digest = snapshot.manifest_digest(snapshot_dir or settings.SNAPSHOT_DIR)
    return not any(digest in m for m in messages)
