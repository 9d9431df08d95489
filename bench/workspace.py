"""A temporary folder for one benchmark run: every database is built there (STI_DB), never in data/."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Self

from bench import measure


class Workspace:
    def __init__(self, keep: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="sti-bench-"))
        self.keep = keep
        self._snapshot_db: Path | None = None

    def path(self, name: str) -> Path:
        return self.root / name

    def snapshot_db(self) -> Path:
        """A database built from the bundled snapshot by `python -m etl build`, made once per run."""
        if self._snapshot_db is None:
            path = self.path("snapshot") / "sti.duckdb"
            path.parent.mkdir()
            measure.run(measure.python("-m", "etl", "build"), env=measure.env(STI_DB=str(path))).check("etl build")
            self._snapshot_db = path
        return self._snapshot_db

    def copy_of_snapshot_db(self, name: str) -> Path:
        """A private copy of the snapshot database, for a benchmark that writes to it."""
        path = self.path(name) / "sti.duckdb"
        path.parent.mkdir()
        shutil.copyfile(self.snapshot_db(), path)
        return path

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
