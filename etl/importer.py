"""Read publisher files in their own download formats, recognised by content (not by name where avoidable)."""
from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from etl.series import Flows, Series, SourceError, load_json
from etl.sources import cow_igo, ifc_msme, iso_survey, national, ncses, owid, uis_mobility, un_egov, worldbank
from sti import queries
from sti.catalog import Catalog

_WB_SUFFIX = re.compile(r"(_DS2_[a-z]{2}_csv_v2_\d+)")
SUPPORTED = (".csv", ".zip", ".json")
# Sources read from all their files at once (one series may span several files, e.g. the UN survey's editions).
# Each module: SOURCE, recognise(name, text) by content, parse([(origin, text)], catalog) -> Parsed.
FILE_SOURCES = (ifc_msme, iso_survey, cow_igo, un_egov, ncses, uis_mobility)


@dataclass
class Batch:
    series: list[Series] = field(default_factory=list)
    # (kind, key, field, value, source, file name) until the vintage is known from the data file beside it
    metadata: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    # World Bank API pages, kept until all files are read: one response may be saved as several page files
    api_pages: list[tuple[str, object]] = field(default_factory=list)
    # (origin, text) per source module, parsed together in finish()
    files: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # metadata rows that already carry their vintage: (kind, key, field, value, source, vintage)
    dated_metadata: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    national: list[national.NationalFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flows: list[Flows] = field(default_factory=list)  # tables of flows between countries (UIS student mobility)

    def finish(self, catalog: Catalog) -> None:
        """Parse what was collected: each file source's files together, then the World Bank API responses."""
        for module in FILE_SOURCES:
            files = self.files.pop(module.SOURCE, [])
            if files:
                parsed = module.parse(files, catalog)
                self.series.extend(parsed.series)
                self.dated_metadata.extend(parsed.metadata)
                self.notes.extend(parsed.notes)
                self.flows.extend(parsed.flows)
        self._finish_api_pages(catalog)

    def _finish_api_pages(self, catalog: Catalog) -> None:
        """Parse the collected API responses. A complete one-page response stands alone; the pages of a longer
        response are put back together by their shared header and the series their rows hold."""
        groups: dict[tuple, dict[int, tuple[str, object]]] = {}
        for origin, body in self.api_pages:
            header, rows = worldbank.check_page(body, origin)
            if header["pages"] <= 1:
                self.series.extend(worldbank.parse_api_pages([body], origin, catalog, strict=False))
                continue
            indicators = tuple(sorted({str(r["indicator"].get("id")) for r in rows
                                       if isinstance(r, dict) and isinstance(r.get("indicator"), dict)}))
            key = (indicators, *(repr(header.get(k)) for k in ("pages", "total", "per_page", "lastupdated",
                                                                "sourceid")))
            pages = groups.setdefault(key, {})
            if header["page"] in pages and pages[header["page"]][1] != body:
                raise SourceError(origin, f"page {header['page']} is also in {pages[header['page']][0]} with other "
                                          "rows: two different responses?")
            pages[header["page"]] = (origin, body)  # the same page given twice counts once
        self.api_pages = []
        for (_, page_count, *_), pages in groups.items():
            count = int(page_count)
            origin = " + ".join(pages[n][0] for n in sorted(pages))
            if len(pages) != count or sorted(pages) != list(range(1, count + 1)):  # len first: `pages` may be huge
                raise SourceError(origin, f"holds page(s) {', '.join(map(str, sorted(pages)))} of {count}: import "
                                          "every page of the response together (or download it with a larger "
                                          "per_page)")
            self.series.extend(worldbank.parse_api_pages([pages[n][1] for n in sorted(pages)], origin, catalog,
                                                         strict=False))

    def metadata_frame(self) -> pd.DataFrame:
        """Publisher metadata with the vintage of the data file from the same download (same _DS2_… suffix)."""
        vintages = {}
        for s in self.series:
            match = _WB_SUFFIX.search(Path(s.origin).name)
            if match:
                vintages[match.group(1)] = s.vintage
        rows = []
        for kind, key, fld, value, source, name in self.metadata:
            match = _WB_SUFFIX.search(name)
            rows.append((kind, key, fld, value, source, vintages.get(match.group(1) if match else "", "undated")))
        rows.extend(self.dated_metadata)
        return pd.DataFrame(rows, columns=queries.METADATA_COLUMNS)


def expand(paths: list[str]) -> list[Path]:
    """Files named, and the supported files inside folders named (OWID .metadata.json travel with their CSV)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUPPORTED
                              and not f.name.endswith(".metadata.json")))
        elif p.exists():
            out.append(p)
        else:
            raise SourceError(raw, "no such file or folder")
    return out


def read_path(path: Path, catalog: Catalog, batch: Batch, *, vintage: str | None = None) -> None:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise SourceError(str(path), "is not a valid zip file (corrupted or incomplete download?)") from None
        except (NotImplementedError, UnicodeDecodeError) as exc:
            # a damaged header ("zip file version 25.5"), or a member name flagged as UTF-8 that is not
            raise SourceError(str(path), f"is not a zip file Python can read ({exc})") from None
        with zf:  # a damaged member is named by _unzip
            names = set(zf.namelist())
            for member in sorted(names):
                if member.lower().endswith(".csv"):
                    meta_name = member[:-len(".csv")] + ".metadata.json"
                    _read_csv_bytes(_unzip(zf, member, path), f"{path}!{member}", Path(member).name, catalog, batch,
                                    vintage=vintage,
                                    metadata=lambda m=meta_name: owid.parse_metadata(_unzip(zf, m, path),
                                                                                     f"{path}!{m}")
                                    if m in names else None)
        return
    if suffix == ".json":
        if path.name.endswith(".metadata.json"):
            return  # read together with the OWID CSV it describes
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(str(path), f"is not UTF-8 text: {exc}") from None
        if _collect(text, str(path), path.name, batch):
            return
        body = load_json(text, str(path))
        worldbank.check_page(body, str(path))  # an error envelope or another shape is reported now, by file
        batch.api_pages.append((str(path), body))
        return
    if suffix == ".csv":
        _read_csv_bytes(path.read_bytes(), str(path), path.name, catalog, batch, vintage=vintage,
                        metadata=lambda: owid.read_metadata_file(path))
        return
    raise SourceError(str(path), f"unsupported file type {suffix or '(none)'}: expected .csv, .zip or .json")


def _unzip(zf: zipfile.ZipFile, member: str, path: Path) -> bytes:
    """A member's bytes; a damaged member (bad data, sizes or offsets), or one encrypted or compressed in a way
    Python cannot read, is named."""
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
            UnicodeDecodeError) as exc:
        raise SourceError(f"{path}!{member}", f"cannot be unpacked ({exc}): download the zip again") from None


def _read_csv_bytes(raw: bytes, origin: str, name: str, catalog: Catalog, batch: Batch, *,
                    vintage: str | None, metadata: Callable[[], dict[str, Any] | None]) -> None:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SourceError(origin, "is UTF-16 text: save it as UTF-8 (for the national template, 'CSV UTF-8')", 1)
    text = worldbank.decode(raw, origin)
    kind = worldbank.file_kind(text)
    if kind == "bulk":
        batch.series.extend(worldbank.parse_bulk_csv(text, origin, catalog))
    elif kind == "metadata_indicator":
        batch.metadata.extend(("indicator", k, f, v, worldbank.SOURCE, name)
                              for k, f, v in worldbank.parse_metadata_indicator(text, origin, catalog))
    elif kind == "metadata_country":
        batch.metadata.extend(("country", k, f, v, worldbank.SOURCE, name)
                              for k, f, v in worldbank.parse_metadata_country(text, origin, catalog))
    elif text.lstrip("\ufeff").startswith("Entity,Code,"):
        meta = metadata()
        slug = owid.slug_from_metadata(meta) or Path(name).stem
        batch.series.append(owid.parse_grapher_csv(text, origin, catalog, slug=slug, metadata=meta,
                                                   vintage=vintage))
    elif national.recognise(text):
        national.check_bytes(raw, origin)
        batch.national.append(national.read(text, origin, catalog))
    elif national.looks_semicolon_separated(text):
        raise SourceError(origin, "is the national-figures template separated by semicolons: save it as 'CSV UTF-8 "
                                  "(comma delimited)'", 1)
    elif not _collect(text, origin, name, batch):
        raise SourceError(origin, "not a recognised download: expected a World Bank bulk or Metadata CSV, an Our "
                                  "World in Data grapher CSV, an ISO Survey, UN E-Government Survey, NCSES, "
                                  "Correlates of War IGO or UIS student-flow table, or the national-figures template "
                                  "(see README)", 1)


def _collect(text: str, origin: str, name: str, batch: Batch) -> bool:
    """Keep a file of a source that is parsed with all its files in finish(); False if no such source claims it."""
    for module in FILE_SOURCES:
        if module.recognise(name, text):
            batch.files.setdefault(module.SOURCE, []).append((origin, text))
            return True
    return False
