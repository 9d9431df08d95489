"""A synthetic dataset the size of the whole World Development Indicators, in the World Bank's bulk CSV format.

SYNTHETIC: every value is drawn from a seeded random generator, every series is named "Synthetic series …" with the
code prefix SYN.BENCH., and the economies added to reach the WDI's count carry ISO 3166 user-assigned codes (QM…QZ),
which no real economy has. It is written to a temporary folder for `bench/scale.py`, never into data/.

The files are what `python -m etl import` reads from a World Bank download: one `API_<code>_DS2_en_csv_v2_<n>.csv` per
indicator, with the BOM, the four-line preamble with its "Last Updated Date", one column per year, quoted cells, a
trailing comma on every line and CRLF line ends.

The importer refuses an indicator the catalogue does not declare (README, *The ETL*), so a copy of the project's
catalogue is written beside the files with the synthetic series declared (as context series, mapped to no area) and
the synthetic economies added (as aggregates, so no convention fills zeros for them): the catalogue a monitor
covering the whole WDI would have. `bench/with_catalog.py` runs the ETL with it.
"""
from __future__ import annotations

import argparse
import math
import shutil
import string
import sys
from dataclasses import dataclass
from datetime import date
from itertools import product
from pathlib import Path

import numpy as np

from sti import settings
from sti.catalog import load_catalog

# The World Development Indicators' size (issue 7): ~1,500 series × 266 economies × 65 years ≈ 25 million values.
WDI_INDICATORS = 1500
WDI_ECONOMIES = 266
YEARS = range(1960, 2025)
CODE_PREFIX = "SYN.BENCH."
SEED = 20240701  # fixed, so every run measures the same data


@dataclass(frozen=True)
class Synthetic:
    catalog_dir: Path      # the project's catalogue plus the synthetic series and economies
    data_dir: Path         # the bulk CSVs
    indicators: int
    economies: int
    years: int
    observations: int
    bytes: int             # the CSVs' total size


def indicator_codes(count: int) -> list[str]:
    return [f"{CODE_PREFIX}{n:04d}" for n in range(1, count + 1)]


def economies(count: int, catalog_dir: Path = settings.CATALOG_DIR) -> list[tuple[str, str]]:
    """(code, name): the catalogue's economies with international data first, then user-assigned codes QMA…QZZ
    (ISO 3166 reserves them; the World Bank uses none of them) up to `count`."""
    known = [(c.code, c.name) for c in load_catalog(catalog_dir).fetchable_countries()]
    taken = {code for code, _ in known}
    extra = (f"Q{a}{b}" for a, b in product(string.ascii_uppercase[12:], string.ascii_uppercase))
    out = known[:count]
    for code in extra:
        if len(out) >= count:
            break
        if code not in taken:
            out.append((code, f"Synthetic economy {code}"))
    if len(out) < count:
        raise ValueError(f"at most {len(out)} economies can be made, not {count}")
    return out


def write_catalog(target: Path, codes: list[str], economy_list: list[tuple[str, str]],
                  source: Path = settings.CATALOG_DIR) -> None:
    """The project's catalogue, with the synthetic series and economies appended (as a WDI-wide monitor's)."""
    shutil.copytree(source, target)
    known = {c.code: c for c in load_catalog(source).countries}
    colours = {c.colour for c in known.values()}
    with (target / "countries.toml").open("a", encoding="utf-8") as out:
        out.write("\n# --- synthetic economies written by bench/synthetic_wdi.py (benchmark only) ---\n")
        colour = 0
        for code, name in economy_list:
            if code in known:
                continue
            while f"#{colour:06X}" in colours:
                colour += 1
            out.write(f'\n[[country]]\ncode = "{code}"\nname = "{name}"\nrole = "aggregate"\n'
                      f'colour = "#{colour:06X}"\n')
            colour += 1
    with (target / "indicators.toml").open("a", encoding="utf-8") as out:
        out.write("\n# --- synthetic series written by bench/synthetic_wdi.py (benchmark only) ---\n")
        for code in codes:
            out.write(f'\n[[indicator]]\ncode = "{code}"\nname = "Synthetic series {code[len(CODE_PREFIX):]}"\n'
                      f'unit = "synthetic units"\nsource = "worldbank"\nsource_code = "{code}"\nkind = "context"\n'
                      'definition = "Random values written by bench/synthetic_wdi.py to measure scale; not data."\n')


def bulk_csv(code: str, economy_list: list[tuple[str, str]], years: range, values: np.ndarray, vintage: str) -> bytes:
    """One indicator's file as the World Bank writes it; `values` is economies × years (NaN: an empty cell)."""
    name = f"Synthetic series {code[len(CODE_PREFIX):]}"
    header = ",".join(f'"{h}"' for h in ("Country Name", "Country Code", "Indicator Name", "Indicator Code",
                                         *map(str, years)))
    lines = ['"Data Source","World Development Indicators",', "", f'"Last Updated Date","{vintage}",', "",
             header + ","]
    for (economy, economy_name), row in zip(economy_list, values.tolist()):
        cells = '","'.join("" if math.isnan(v) else f"{v:.6g}" for v in row)  # NaN: an empty cell
        lines.append(f'"{economy_name}","{economy}","{name}","{code}","{cells}",')
    return b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def series_values(rng: np.random.Generator, economies_count: int, years_count: int) -> np.ndarray:
    """Economies × years of smooth random series: a level per economy, then a few per cent of growth a year."""
    level = rng.lognormal(mean=3.0, sigma=2.0, size=(economies_count, 1))
    growth = rng.normal(loc=0.02, scale=0.05, size=(economies_count, years_count))
    return level * np.exp(np.cumsum(growth, axis=1))


def generate(root: Path, indicators: int = WDI_INDICATORS, economy_count: int = WDI_ECONOMIES,
             years: range = YEARS, seed: int = SEED) -> Synthetic:
    """Write the synthetic catalogue to root/catalog and the bulk CSVs to root/wdi."""
    root.mkdir(parents=True, exist_ok=True)
    codes = indicator_codes(indicators)
    economy_list = economies(economy_count)
    write_catalog(root / "catalog", codes, economy_list)
    data_dir = root / "wdi"
    data_dir.mkdir()
    rng = np.random.default_rng(seed)
    vintage = date.today().isoformat()
    size = 0
    for n, code in enumerate(codes, start=1):
        raw = bulk_csv(code, economy_list, years, series_values(rng, len(economy_list), len(years)), vintage)
        (data_dir / f"API_{code}_DS2_en_csv_v2_{n}.csv").write_bytes(raw)
        size += len(raw)
    return Synthetic(root / "catalog", data_dir, indicators, len(economy_list), len(years),
                     indicators * len(economy_list) * len(years), size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic_wdi",
                                     description="Write the synthetic WDI-size dataset and its catalogue to a folder.")
    parser.add_argument("folder", type=Path, help="an empty or new folder (not data/)")
    parser.add_argument("--indicators", type=int, default=WDI_INDICATORS)
    parser.add_argument("--economies", type=int, default=WDI_ECONOMIES)
    args = parser.parse_args(argv)
    if args.folder.resolve().is_relative_to(settings.DATA_DIR.resolve()):
        parser.error("synthetic data never goes into data/")
    made = generate(args.folder, args.indicators, args.economies)
    print(f"{made.observations:,} synthetic observations ({made.indicators:,} series × {made.economies} economies × "
          f"{made.years} years), {made.bytes / 1e6:,.0f} MB of CSV in {made.data_dir}; catalogue in {made.catalog_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
