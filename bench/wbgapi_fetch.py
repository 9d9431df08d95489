"""The same series and economies fetched with wbgapi, the World Bank's own Python client: what its user would run
instead of `python -m etl refresh --source worldbank`.

`python -m bench.wbgapi_fetch ENDPOINT SERIES ECONOMIES [--dataframe]` (codes comma-separated) prints, as JSON, how
many values arrived. By default it takes wbgapi's fastest route (`wb.data.fetch`, a generator of rows, gathered into
a tidy frame like ours); `--dataframe` takes the route its README shows first, `wb.data.DataFrame`.
"""
from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wbgapi_fetch")
    parser.add_argument("endpoint")
    parser.add_argument("series")
    parser.add_argument("economies")
    parser.add_argument("--dataframe", action="store_true")
    args = parser.parse_args(argv)

    import pandas as pd
    import wbgapi as wb

    wb.endpoint = args.endpoint  # the module's documented switch for another API base
    series, economies = args.series.split(","), args.economies.split(",")
    if args.dataframe:
        frame = wb.data.DataFrame(series, economies)  # economy × series rows, one column per year
        values = int(frame.notna().sum().sum())
    else:
        rows = list(wb.data.fetch(series, economies))
        frame = pd.DataFrame({"series": [r["series"] for r in rows], "economy": [r["economy"] for r in rows],
                              "year": [int(r["time"][2:]) for r in rows], "value": [r["value"] for r in rows]})
        values = int(frame["value"].notna().sum())
    print(json.dumps({"values": values}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
