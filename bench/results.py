"""What a benchmark reports: figures with their unit and target, written to bench/results.json and shown as a table
(the same Markdown table the README's Performance section holds)."""
from __future__ import annotations

import json
import math
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass(frozen=True)
class Target:
    """A bound a figure must keep: `value <= limit` (op "<=") or `value >= limit` (op ">=")."""
    op: str
    limit: float

    def met(self, value: float | None) -> bool | None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return value <= self.limit if self.op == "<=" else value >= self.limit

    def text(self, unit: str) -> str:
        return f"{'≤' if self.op == '<=' else '≥'} {_number(self.limit)}{_spaced(unit)}"


def at_most(limit: float) -> Target:
    return Target("<=", limit)


def at_least(limit: float) -> Target:
    return Target(">=", limit)


@dataclass
class Figure:
    benchmark: str               # which of the five: refresh, pages, cold start, scale, memory
    what: str                    # the figure, in words
    value: float | None          # None: not measured (the note says why)
    unit: str = ""
    target: Target | None = None
    note: str = ""               # how it was measured, or why a target is missed

    @property
    def met(self) -> bool | None:
        return self.target.met(self.value) if self.target else None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["target"] = ({"op": self.target.op, "limit": self.target.limit, "text": self.target.text(self.unit)}
                         if self.target else None)
        out["met"] = self.met
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Figure:
        target = Target(raw["target"]["op"], raw["target"]["limit"]) if raw.get("target") else None
        return cls(raw["benchmark"], raw["what"], raw["value"], raw.get("unit", ""), target, raw.get("note", ""))


@dataclass
class Results:
    mode: str                                   # "quick" or "full"
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    seconds: float | None = None                # how long the whole run took
    machine: dict[str, Any] = field(default_factory=dict)

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def missed(self) -> list[Figure]:
        return [f for f in self.figures if f.met is False]

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "started": self.started, "seconds": self.seconds, "machine": self.machine,
                "figures": [f.to_json() for f in self.figures], "notes": self.notes}

    def write(self, path: Path = RESULTS) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path = RESULTS) -> Results:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(mode=raw["mode"], figures=[Figure.from_json(f) for f in raw["figures"]], notes=raw["notes"],
                   started=raw["started"], seconds=raw["seconds"], machine=raw["machine"])


def machine() -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    import os

    import duckdb
    import pandas
    import streamlit

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform(),
            "streamlit": streamlit.__version__, "duckdb": duckdb.__version__, "pandas": pandas.__version__,
            "load_average_at_start": round(os.getloadavg()[0], 2)}  # other work on the machine inflates times


def table(results: Results) -> str:
    """The figures as a Markdown table: benchmark, figure, value, target and whether it is met."""
    lines = ["| benchmark | figure | value | target | met |", "|---|---|---|---|---|"]
    for f in results.figures:
        value = "not measured" if f.value is None else f"{_number(f.value)}{_spaced(f.unit)}"
        target = f.target.text(f.unit) if f.target else ""
        met = {True: "yes", False: "**no**", None: ""}[f.met]
        lines.append(f"| {f.benchmark} | {_cell(f.what)} | {value} | {target} | {met} |")
    return "\n".join(lines)


def summary(results: Results) -> str:
    """The table, then the notes on misses and method, then one line on the run."""
    missed = results.missed()
    parts = [table(results), ""]
    parts += [f"- {f.benchmark}, {f.what}: {f.note}" for f in results.figures if f.note]
    parts += [f"- {n}" for n in results.notes]
    with_targets = [f for f in results.figures if f.target]
    met = [f for f in with_targets if f.met]
    unmeasured = [f for f in with_targets if f.met is None]
    took = f" in {results.seconds / 60:.1f} min" if results.seconds is not None else ""
    verdict = f"{len(met)} of {len(with_targets)} targets met"
    if missed:
        verdict += f"; missed: {', '.join(f.what for f in missed)}"
    if unmeasured:
        verdict += f"; not measured: {', '.join(f.what for f in unmeasured)}"
    load = results.machine.get("load_average_at_start")
    on = f" (load average {load} at the start, {results.machine.get('cpus')} CPUs)" if load is not None else ""
    parts.append(f"\n{results.mode} run{took}, {results.started}{on}: {verdict}.")
    return "\n".join(parts)


def _number(value: float) -> str:
    """Three significant figures at most, thousands separated: what a reader compares."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _spaced(unit: str) -> str:
    return "" if not unit else (unit if unit == "×" else f" {unit}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
