"""`python -m etl`: pulls public indicators into the DuckDB store (see `python -m etl --help`)."""
