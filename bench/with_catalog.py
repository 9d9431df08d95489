"""`python -m etl` with the catalogue read from another folder: `python -m bench.with_catalog DIR COMMAND…`.

The scale benchmark needs the ETL to know the synthetic whole-WDI series (the importer refuses undeclared ones), and
the project has no setting for the catalogue's folder, so this sets `sti.settings.CATALOG_DIR` before the ETL first
loads the catalogue. Everything else is the ETL as users run it.
"""
from __future__ import annotations

import sys
from pathlib import Path

from sti import settings


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m bench.with_catalog CATALOG_DIR COMMAND [ARGS…]", file=sys.stderr)
        return 2
    settings.CATALOG_DIR = Path(argv[0])
    from etl.cli import main as etl_main

    return etl_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
