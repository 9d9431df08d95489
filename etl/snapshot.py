"""The bundled snapshot under data/snapshot/: sorted, diff-friendly CSVs plus a manifest of vintages and checksums.

Only what publishers published is stored: `build` recomputes derived indicators, flow shares and conventional zeros.
Flows between countries (flows.csv) are listed in the manifest when there are any; a snapshot without them (written
before flows existed) still builds, with no flows.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pandas as pd

from etl.load import published_only
from sti import queries
from sti.catalog import Catalog

OBSERVATIONS = "observations.csv"
METADATA = "publisher_metadata.csv"
MANIFEST = "manifest.json"
FLOWS = "flows.csv"
FORMAT = 1


class SnapshotError(RuntimeError):
    pass


def format_value(value: float) -> str:
    """Shortest text that reads back as exactly the same double; whole numbers without '.0'."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def write_snapshot(observations: pd.DataFrame, metadata: pd.DataFrame, catalog: Catalog, directory: Path,
                   flows: pd.DataFrame | None = None) -> dict:
    """Write the snapshot files from the database's tables; returns the manifest."""
    obs = published_only(observations, catalog).sort_values(
        ["source", "indicator", "country", "year"], kind="stable")
    rows = [[r.indicator, r.country, str(r.year), format_value(r.value), r.source, r.vintage,
             pd.Timestamp(r.retrieved_at).strftime("%Y-%m-%d %H:%M:%S")] for r in obs.itertuples(index=False)]
    meta = metadata.sort_values(["kind", "key", "field", "source"], kind="stable")
    meta_rows = [[str(v) for v in r] for r in meta[queries.METADATA_COLUMNS].itertuples(index=False)]
    obs_text = _csv_text(queries.OBSERVATION_COLUMNS, rows)
    meta_text = _csv_text(queries.METADATA_COLUMNS, meta_rows)

    sources: dict[str, dict] = {}
    for source, group in obs.groupby("source", sort=True):
        lines = [",".join(r) for r, s in zip(rows, obs["source"]) if s == source]
        indicators = {}
        for code, g in group.groupby("indicator", sort=True):
            indicators[code] = {"vintage": str(g["vintage"].iloc[0]), "rows": int(len(g)),
                                "years": [int(g["year"].min()), int(g["year"].max())],
                                "countries": int(g["country"].nunique())}
        sources[str(source)] = {"rows": int(len(group)), "vintages": sorted({v["vintage"] for v in indicators.values()}),
                                "sha256": _sha("\n".join(lines)), "indicators": indicators}
    manifest = {
        "format": FORMAT,
        "note": "Written by `python -m etl snapshot`; read by `python -m etl build`. Do not edit by hand.",
        "files": {OBSERVATIONS: {"rows": len(rows), "sha256": _sha(obs_text)},
                  METADATA: {"rows": len(meta_rows), "sha256": _sha(meta_text)}},
        "sources": sources,
    }
    texts = [(OBSERVATIONS, obs_text), (METADATA, meta_text)]
    if flows is not None and len(flows):
        flow_text, manifest["flows"] = _flows_text(flows)
        manifest["files"][FLOWS] = {"rows": len(flows), "sha256": _sha(flow_text)}
        texts.append((FLOWS, flow_text))
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (*texts, (MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")):
        tmp = directory / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(directory / name)
    if FLOWS not in manifest["files"]:
        (directory / FLOWS).unlink(missing_ok=True)  # a stale file the new manifest no longer vouches for
    return manifest


def _flows_text(flows: pd.DataFrame) -> tuple[str, dict]:
    """flows.csv, sorted (source, list kind, origin, destination, year), and the manifest's entry per source and
    list kind: vintage, rows, years, list owners and a checksum."""
    ordered = flows.sort_values(["source", "listed_by", "origin", "destination", "year"], kind="stable")
    rows = [[r.origin, r.destination, str(r.year), format_value(r.students), r.source, r.vintage, r.listed_by,
             r.flags, pd.Timestamp(r.retrieved_at).strftime("%Y-%m-%d %H:%M:%S")]
            for r in ordered[queries.FLOW_COLUMNS].itertuples(index=False)]
    info: dict[str, dict] = {}
    for (source, listed_by), group in ordered.groupby(["source", "listed_by"], sort=True):
        lines = [",".join(r) for r, s, k in zip(rows, ordered["source"], ordered["listed_by"])
                 if s == source and k == listed_by]
        info.setdefault(str(source), {})[str(listed_by)] = {
            "vintage": str(group["vintage"].iloc[0]), "rows": len(group),
            "years": [int(group["year"].min()), int(group["year"].max())],
            "countries": int(group[listed_by].nunique()), "sha256": _sha("\n".join(lines))}
    return _csv_text(queries.FLOW_COLUMNS, rows), info


def _manifest(directory: Path) -> dict:
    try:
        return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"no snapshot at {directory} (missing {MANIFEST})") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{directory / MANIFEST} is not valid JSON: {exc}") from None


def read_snapshot(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Observations, publisher metadata and manifest, after checking the files against the manifest."""
    manifest = _manifest(directory)
    if manifest.get("format") != FORMAT:
        raise SnapshotError(f"{directory / MANIFEST} has format {manifest.get('format')!r}, expected {FORMAT}")
    texts = {}
    for name in (OBSERVATIONS, METADATA):
        path = directory / name
        try:
            texts[name] = path.read_bytes().decode("utf-8")  # no newline translation: values may hold CRLF
        except FileNotFoundError:
            raise SnapshotError(f"the snapshot lacks {path}") from None
        expected = manifest.get("files", {}).get(name, {}).get("sha256")
        if _sha(texts[name]) != expected:
            raise SnapshotError(f"{path} does not match the checksum in {MANIFEST} (edited by hand, or a merge "
                                "conflict?). Rebuild it with `python -m etl snapshot`.")
    obs = pd.read_csv(io.StringIO(texts[OBSERVATIONS]), dtype={"indicator": "string", "country": "string",
                      "year": "int64", "value": str, "source": "string", "vintage": "string"},
                      keep_default_na=False, na_values=[])
    # Python's float() is correctly rounded, so each value is exactly the double that was written.
    obs["value"] = pd.array([float(v) for v in obs["value"]], dtype="float64")
    obs["retrieved_at"] = pd.to_datetime(obs["retrieved_at"], format="%Y-%m-%d %H:%M:%S").astype("datetime64[us]")
    meta = pd.read_csv(io.StringIO(texts[METADATA]), dtype="string", keep_default_na=False, na_values=[])
    return obs, meta, manifest


def read_flows(directory: Path) -> pd.DataFrame:
    """The snapshot's flows, checked against the manifest (none where the manifest lists no flows file)."""
    manifest = _manifest(directory)
    expected = manifest.get("files", {}).get(FLOWS)
    if expected is None:
        return pd.DataFrame(columns=queries.FLOW_COLUMNS)
    path = directory / FLOWS
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SnapshotError(f"the snapshot lacks {path}") from None
    if _sha(text) != expected.get("sha256"):
        raise SnapshotError(f"{path} does not match the checksum in {MANIFEST} (edited by hand, or a merge "
                            "conflict?). Rebuild it with `python -m etl snapshot`.")
    flows = pd.read_csv(io.StringIO(text), dtype={"origin": "string", "destination": "string", "year": "int64",
                        "students": str, "source": "string", "vintage": "string", "listed_by": "string",
                        "flags": "string"}, keep_default_na=False, na_values=[])
    flows["students"] = pd.array([float(v) for v in flows["students"]], dtype="float64")
    flows["retrieved_at"] = pd.to_datetime(flows["retrieved_at"], format="%Y-%m-%d %H:%M:%S").astype("datetime64[us]")
    return flows


def manifest_digest(directory: Path) -> str:
    """A short fingerprint of a snapshot (its manifest holds every file's checksum)."""
    try:
        return "sha256:" + _sha((directory / MANIFEST).read_bytes().decode("utf-8"))[:16]
    except FileNotFoundError:
        raise SnapshotError(f"no snapshot at {directory} (missing {MANIFEST})") from None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
