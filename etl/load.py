"""From parsed series to a new database: pick vintages, merge per series, compute derived indicators, write.

Rules: a series is replaced whole or not at all (vintages are never mixed); an older vintage never replaces a newer
one; a series that failed keeps its last good data. A table of flows between countries (one kind of list of one
source) follows the same rules. What is computed rather than published — derived indicators, the intra-OTS shares of
the flows, and the zeros of a publisher's missing-means-zero convention — is recomputed from the published rows on
every write, and never stored in the snapshot.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from etl.series import Flows, Series, utc_now
from etl.sources import national
from sti import flows as flow_rules
from sti import queries
from sti.catalog import Catalog
from sti.db import Contents, empty_contents, read_contents, write_database, writer_lock

_LEADING_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_DATA_TO = re.compile(r"data to (\d{4})")
ZERO_FILL_ROLES = ("member", "observer", "neighbour")  # states; aggregates are only what the publisher gives
NATIONAL_RUN_SOURCE = "national"  # etl_run.source of imports of users' national figures


@dataclass
class Outcome:
    """What happened to one series in one ETL command; becomes a row of etl_run and of the summary table."""
    indicator: str
    source: str
    status: str          # ok | failed | skipped
    rows: int
    vintage: str | None
    message: str
    origin: str = ""

    @property
    def refused(self) -> bool:
        """A publisher's older vintage that was not taken (see `merge`): a warning, not a failure."""
        return self.status == "skipped" and self.message.startswith("refused")


def vintage_key(vintage: str | None) -> str | None:
    match = _LEADING_DATE.match(vintage or "")
    return match.group(1) if match else None


def _data_to(vintage: str | None) -> int | None:
    match = _DATA_TO.search(vintage or "")
    return int(match.group(1)) if match else None


def _rank(vintage: str) -> tuple[int, str]:
    """Dated vintages by date, above undated ones, which rank by the last year they hold."""
    key = vintage_key(vintage)
    return (1, key) if key else (0, f"{_data_to(vintage) or 0:04d}")


def pick_newest(batch: list[Series]) -> tuple[list[Series], list[Outcome]]:
    """Where several files hold the same series, the newest vintage wins whole; the others are reported."""
    by_indicator: dict[str, list[Series]] = {}
    for s in batch:
        by_indicator.setdefault(s.indicator, []).append(s)
    chosen, outcomes = [], []
    for group in by_indicator.values():
        # Newest vintage last (undated below dated); among equals the later file wins.
        ranked = sorted(enumerate(group), key=lambda p: (_rank(p[1].vintage), p[0]))
        winner = ranked[-1][1]
        chosen.append(winner)
        for _, s in ranked[:-1]:
            outcomes.append(Outcome(s.indicator, s.source, "skipped", 0, s.vintage,
                                    f"superseded by vintage {winner.vintage} from {Path(winner.origin).name}",
                                    s.origin))
    return chosen, outcomes


def refusal(old: str | None, new: str) -> str | None:
    """Why a file of vintage `new` may not replace what is stored with vintage `old` (None: it may)."""
    new_key, old_key = vintage_key(new), vintage_key(old)
    if old is None:
        return None
    if new_key and old_key and new_key < old_key:
        return f"refused: vintage {new} is older than the stored {old}; kept the stored series"
    if old_key and not new_key:
        return (f"refused: an undated file cannot be shown to be newer than the stored vintage {old}; kept the "
                "stored series (import it with --vintage DATE if it is newer)")
    if not old_key and not new_key and (_data_to(new) or 0) < (_data_to(old) or 0):
        return (f"refused: this undated file holds data to {_data_to(new)}, the stored series to {_data_to(old)}; "
                "kept the stored series (import it with --vintage DATE if it is newer)")
    return None


def merge(current: pd.DataFrame, incoming: list[Series], catalog: Catalog) -> tuple[pd.DataFrame, list[Outcome]]:
    """Replace each incoming series whole in `current`, unless the stored vintage is newer."""
    current = published_only(current, catalog)
    stored = current.groupby("indicator")["vintage"].first().to_dict() if len(current) else {}
    # row positions per series, found in one pass (a copy of each series' rows would double a large import's memory)
    positions = current.groupby("indicator", sort=False).indices if len(current) else {}
    keep = current
    parts, outcomes = [], []
    for s in incoming:
        old = stored.get(s.indicator)
        refused = refusal(old, s.vintage)
        if refused:
            outcomes.append(Outcome(s.indicator, s.source, "skipped", 0, s.vintage, refused, s.origin))
            continue
        if old == s.vintage and _same_values(current.take(positions[s.indicator]), s):
            # Nothing new was retrieved: keep the stored rows (and their retrieved_at), so the snapshot diff stays
            # limited to series that really changed.
            outcomes.append(Outcome(s.indicator, s.source, "ok", 0, s.vintage,
                                    f"unchanged: same vintage and values as stored ({s.rows} rows)", s.origin))
            continue
        keep = keep[keep["indicator"] != s.indicator]
        rows = s.data.assign(indicator=s.indicator, source=s.source, vintage=s.vintage,
                             retrieved_at=pd.Timestamp(s.retrieved_at))
        parts.append(rows[queries.OBSERVATION_COLUMNS])
        note = "" if old is None else (" (same vintage as stored)" if old == s.vintage else f" (was {old})")
        skipped = f"; {len(s.skipped_countries)} economies outside the catalogue left out" \
            if s.skipped_countries else ""
        outcomes.append(Outcome(s.indicator, s.source, "ok", s.rows, s.vintage,
                                f"{s.rows} rows, vintage {s.vintage}{note}{skipped}", s.origin))
    merged = pd.concat([keep, *parts], ignore_index=True) if parts else keep
    return with_computed(merged, catalog), outcomes


def _same_values(stored: pd.DataFrame, incoming: Series) -> bool:
    key = ["country", "year"]
    a = stored[["country", "year", "value"]].astype({"country": str}).sort_values(key).reset_index(drop=True)
    b = incoming.data[["country", "year", "value"]].astype({"country": str}).sort_values(key).reset_index(drop=True)
    return len(a) == len(b) and bool((a["country"] == b["country"]).all() and (a["year"] == b["year"]).all()
                                      and (a["value"] == b["value"]).all())


def published_only(observations: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """The rows publishers published: no derived indicators or flow shares, and none of the zeros a
    missing-means-zero convention fills in. A zero inside the fill domain (a state, from its `since` year) is dropped
    whether it was filled or published: the convention recreates it identically. Zeros outside the domain can only
    be published, and stay."""
    derived = [i.code for i in catalog.indicators if i.computed]
    zero_filled = [i.code for i in catalog.indicators if i.missing_means_zero]
    since = {c.code: c.since or 0 for c in _fill_states(catalog)}
    limit = pd.to_numeric(observations["country"].astype(object).map(since), errors="coerce")
    in_domain = limit.notna() & (observations["year"].astype("int64") >= limit.fillna(0))
    computed = observations["indicator"].isin(derived) | (observations["indicator"].isin(zero_filled)
                                                          & (observations["value"] == 0) & in_domain)
    return observations[~computed]


def _fill_states(catalog: Catalog) -> list:
    return [c for c in catalog.countries if c.role in ZERO_FILL_ROLES and c.has_data]


def with_computed(observations: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Published rows plus what is computed from them: conventional zeros, then derived indicators."""
    base = published_only(observations, catalog)
    return with_derived(pd.concat([base, *_conventional_zeros(base, catalog)], ignore_index=True), catalog)


def _conventional_zeros(base: pd.DataFrame, catalog: Catalog) -> list[pd.DataFrame]:
    """For series whose publisher lists only non-zero years: a zero for every state and year in the series' span
    that has no row, from the state's independence (`since`) at the earliest."""
    parts = []
    for ind in (i for i in catalog.indicators if i.missing_means_zero):
        rows = base[base["indicator"] == ind.code]
        if rows.empty:
            continue
        first, last = int(rows["year"].min()), int(rows["year"].max())
        have = set(zip(rows["country"], rows["year"]))
        meta = rows.iloc[0]
        extra = [(c.code, y) for c in _fill_states(catalog)
                 for y in range(max(first, c.since or first), last + 1) if (c.code, y) not in have]
        if extra:
            parts.append(pd.DataFrame({"indicator": ind.code, "country": [c for c, _ in extra],
                                       "year": [y for _, y in extra], "value": 0.0, "source": meta["source"],
                                       "vintage": meta["vintage"], "retrieved_at": meta["retrieved_at"]}))
    return parts


def with_derived(observations: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Drop and recompute every derived indicator from the stored numerator and denominator series."""
    derived = [i for i in catalog.indicators if i.derived]
    base = observations[~observations["indicator"].isin([i.code for i in derived])]
    parts = [base]
    for ind in derived:
        spec = ind.derived
        num = base[base["indicator"] == spec.numerator]
        den = base[(base["indicator"] == spec.denominator) & (base["value"] != 0)]
        if num.empty or den.empty:
            continue
        joined = num.merge(den, on=["country", "year"], suffixes=("_n", "_d"))
        if joined.empty:
            continue
        vintage = f"{spec.numerator} {joined['vintage_n'].iloc[0]}; {spec.denominator} {joined['vintage_d'].iloc[0]}"
        parts.append(pd.DataFrame({
            "indicator": ind.code, "country": joined["country"], "year": joined["year"],
            "value": joined["value_n"] / joined["value_d"] * spec.multiplier, "source": ind.source,
            "vintage": vintage,
            "retrieved_at": joined[["retrieved_at_n", "retrieved_at_d"]].max(axis=1)})[queries.OBSERVATION_COLUMNS])
    return normalise(pd.concat(parts, ignore_index=True))


def with_flow_shares(observations: pd.DataFrame, flows: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Drop and recompute the intra-OTS share indicators from the stored flows (sti.flows)."""
    codes = [i.code for i in catalog.indicators if i.flow_share]
    base = observations[~observations["indicator"].isin(codes)]
    shares = flow_rules.share_observations(flows, catalog)
    return normalise(pd.concat([base, shares], ignore_index=True) if len(shares) else base)


def normalise_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes and a stable order for the flow table, as `normalise` gives observations."""
    out = flows[queries.FLOW_COLUMNS].astype({"origin": "string", "destination": "string", "year": "int64",
                                              "students": "float64", "source": "string", "vintage": "string",
                                              "listed_by": "string", "flags": "string"})
    out["retrieved_at"] = pd.to_datetime(out["retrieved_at"]).astype("datetime64[us]")
    return out.sort_values(["source", "listed_by", "origin", "destination", "year"], kind="stable").reset_index(
        drop=True)


def merge_flows(current: pd.DataFrame, incoming: list[Flows]) -> tuple[pd.DataFrame, list[Outcome]]:
    """Replace each incoming flow table (a source's lists of one kind) whole, by the rules series follow: the newest
    of several in one import wins, an older vintage never replaces a newer one, unchanged data keeps its rows."""
    newest: dict[tuple[str, str], Flows] = {}
    outcomes = []
    for f in sorted(enumerate(incoming), key=lambda p: (_rank(p[1].vintage), p[0])):
        older = newest.get((f[1].source, f[1].listed_by))
        if older is not None:
            outcomes.append(Outcome(older.indicator, older.source, "skipped", 0, older.vintage,
                                    f"superseded by vintage {f[1].vintage} from {Path(f[1].origin).name}",
                                    older.origin))
        newest[(f[1].source, f[1].listed_by)] = f[1]
    keep, parts = current, []
    for (source, listed_by), f in newest.items():
        mine = (current["source"] == source) & (current["listed_by"] == listed_by)
        old = str(current.loc[mine, "vintage"].iloc[0]) if mine.any() else None
        refused = refusal(old, f.vintage)
        if refused:
            outcomes.append(Outcome(f.indicator, source, "skipped", 0, f.vintage, refused, f.origin))
            continue
        if old == f.vintage and _same_flows(current[mine], f):
            outcomes.append(Outcome(f.indicator, source, "ok", 0, f.vintage,
                                    f"unchanged: same vintage and values as stored ({f.rows} rows)", f.origin))
            continue
        keep = keep[~((keep["source"] == source) & (keep["listed_by"] == listed_by))]
        parts.append(f.data.assign(source=source, vintage=f.vintage, listed_by=listed_by,
                                   retrieved_at=pd.Timestamp(f.retrieved_at))[queries.FLOW_COLUMNS])
        note = "" if old is None else (" (same vintage as stored)" if old == f.vintage else f" (was {old})")
        skipped = (f"; lists of {len(f.skipped_countries)} countries outside the catalogue left out"
                   if f.skipped_countries else "")
        outcomes.append(Outcome(f.indicator, source, "ok", f.rows, f.vintage,
                                f"{f.rows} flows, vintage {f.vintage}{note}{skipped}", f.origin))
    merged = pd.concat([keep, *parts], ignore_index=True) if parts else keep
    return normalise_flows(merged), outcomes


def _same_flows(stored: pd.DataFrame, incoming: Flows) -> bool:
    key = ["origin", "destination", "year"]
    cols = [*key, "students", "flags"]
    a = stored[cols].astype({"origin": str, "destination": str, "flags": str}).sort_values(key).reset_index(drop=True)
    b = incoming.data[cols].astype({"origin": str, "destination": str, "flags": str}).sort_values(key).reset_index(
        drop=True)
    return len(a) == len(b) and bool(a.astype(object).eq(b.astype(object)).all().all())


def normalise(observations: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes and a stable order, so equal data gives equal frames (and equal snapshots)."""
    out = observations.astype({"indicator": "string", "country": "string", "year": "int64", "value": "float64",
                               "source": "string", "vintage": "string"})
    out["retrieved_at"] = pd.to_datetime(out["retrieved_at"]).astype("datetime64[us]")
    return out.sort_values(["indicator", "country", "year"], kind="stable").reset_index(drop=True)


def merge_metadata(current: pd.DataFrame, incoming: pd.DataFrame) -> pd.DataFrame:
    if incoming.empty:
        return current
    key = ["kind", "key", "field", "source"]
    if current.empty:
        return incoming[queries.METADATA_COLUMNS].reset_index(drop=True)
    kept = current.merge(incoming[key].drop_duplicates(), on=key, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([kept, incoming], ignore_index=True)[queries.METADATA_COLUMNS]


def _metadata_outcomes(metadata: pd.DataFrame | None) -> list[Outcome]:
    if metadata is None or metadata.empty:
        return []
    return [Outcome("metadata", str(source), "ok", len(group), None,
                    f"publisher metadata: {len(group)} fields for {group['key'].nunique()} "
                    f"{'countries' if kind == 'country' else kind + 's'}")
            for (source, kind), group in metadata.groupby(["source", "kind"])]


def run_rows(existing: pd.DataFrame, outcomes: list[Outcome], started: datetime) -> pd.DataFrame:
    """Append one etl_run row per series outcome to the history."""
    first_id = int(existing["id"].max()) + 1 if len(existing) else 1
    finished = utc_now()
    new = pd.DataFrame([{"id": first_id + n, "started": started, "finished": finished, "source": o.source,
                         "status": o.status, "rows": o.rows,
                         "message": f"{o.indicator}: {o.message}" + (f" [{o.origin}]" if o.origin else "")}
                        for n, o in enumerate(outcomes)], columns=queries.RUN_COLUMNS)
    if existing.empty:
        return new
    return pd.concat([existing, new], ignore_index=True)


def national_notes(messages: list[str]) -> list[Outcome]:
    """etl_run rows for what happened to kept national figures when the catalogue changed."""
    return [Outcome("national figures", NATIONAL_RUN_SOURCE, "skipped" if m.startswith("set aside") else "ok", 0,
                    None, m) for m in messages]


def apply(path: Path, catalog: Catalog, series: list[Series], failures: list[Outcome], started: datetime, *,
          metadata: pd.DataFrame | None = None, fresh: bool = False, national_files: list | None = None,
          flows: list[Flows] | None = None, on_wait: Callable[[], None] | None = None) -> list[Outcome]:
    """Merge series, flow tables (and users' national figures) into the database at `path` and write it atomically.
    `fresh` starts the publishers' data from empty; national figures are the user's own and are always kept. Holds
    the writer lock from reading to swapping, so a concurrent run's series are merged, never lost."""
    with writer_lock(path, on_wait=on_wait):
        return _apply(path, catalog, series, failures, started, metadata=metadata, fresh=fresh,
                      national_files=national_files, flows=flows or [])


def _apply(path: Path, catalog: Catalog, series: list[Series], failures: list[Outcome], started: datetime, *,
           metadata: pd.DataFrame | None, fresh: bool, national_files: list | None,
           flows: list[Flows]) -> list[Outcome]:
    try:
        stored = read_contents(path)
    except duckdb.Error:
        if not fresh:
            raise
        stored = empty_contents()  # --fresh over an unreadable file: nothing to keep, as before national figures
    current = replace(empty_contents(), national=stored.national,
                      national_indicators=stored.national_indicators) if fresh else stored
    held = set(current.observations["indicator"])
    failures = [replace(f, message=f"{f.message}; " + ("kept the stored series" if f.indicator in held
                                                       else "nothing was stored for it yet")) for f in failures]
    if not series and not flows and (metadata is None or metadata.empty) and not national_files \
            and current.observations.empty and not path.exists():
        # Nothing succeeded and there is nothing to keep: an empty new database would only hide the snapshot.
        return failures
    chosen, superseded = pick_newest(series)
    observations, outcomes = merge(current.observations, chosen, catalog)
    stored_flows, flow_outcomes = merge_flows(current.flows, flows)
    observations = with_flow_shares(observations, stored_flows, catalog)
    national_obs, national_ind, notes = national.reconcile(current.national, current.national_indicators, catalog)
    national_outcomes = national_notes(notes)
    if national_files:
        national_obs, national_ind, messages = national.merge(national_obs, national_ind, national_files)
        national_outcomes += [Outcome("national figures", NATIONAL_RUN_SOURCE, "ok", len(f.observations), None, m,
                                      f.origin) for f, m in zip(national_files, messages)]
    outcomes = superseded + outcomes + flow_outcomes + failures + _metadata_outcomes(metadata) + national_outcomes
    contents = Contents(observations=observations,
                        metadata=merge_metadata(current.metadata, metadata if metadata is not None
                                                else pd.DataFrame(columns=queries.METADATA_COLUMNS)),
                        runs=run_rows(current.runs, outcomes, started), national=national_obs,
                        national_indicators=national_ind, flows=stored_flows)
    write_database(path, catalog, contents)
    return outcomes
