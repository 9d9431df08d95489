"""Make the database from the bundled snapshot: offline, in well under a second for the bundled data."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from etl import load, snapshot
from etl.load import Outcome
from etl.series import utc_now
from sti import queries, settings
from sti.catalog import Catalog
from sti.db import Contents, write_database


def build_database(path: Path, catalog: Catalog, snapshot_dir: Path | None = None) -> None:
    started = utc_now()
    observations, metadata, manifest = snapshot.read_snapshot(snapshot_dir or settings.SNAPSHOT_DIR)
    observations = load.with_derived(observations, catalog)
    outcomes = [Outcome("all", source, "ok", int((observations["source"] == source).sum()), None,
                        f"built from the bundled snapshot ({info['rows']} published rows, vintages "
                        f"{', '.join(info['vintages'])}; derived indicators recomputed)")
                for source, info in manifest["sources"].items()]
    runs = load.run_rows(pd.DataFrame(columns=queries.RUN_COLUMNS), outcomes, started)
    write_database(path, catalog, Contents(observations=observations, metadata=metadata, runs=runs))
