"""Timing helpers: a command's wall time and peak memory, and side-by-side repeats whose median ratio is reported."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sti import settings

ROOT = settings.ROOT


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss: int        # bytes: the most resident memory the process (and children it waited for) ever held
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> Run:
        if self.returncode != 0:
            raise RuntimeError(f"{what} exited with {self.returncode}:\n{self.stderr[-3000:]}")
        return self


def run(command: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT) -> Run:
    """Run `command` to completion; wall time from start to exit, peak RSS from the kernel's own account (wait4),
    so nothing polls and nothing is missed between polls."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - t0
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss * 1024, process.returncode, out.read().decode(errors="replace"),
                   err.read().decode(errors="replace"))


def python(*args: str) -> list[str]:
    """This interpreter running `args` (so a virtual environment's packages are the ones measured)."""
    return [sys.executable, *args]


def env(**extra: str) -> dict[str, str]:
    """The environment for a measured command: ours, with `extra` set and STI_DB never inherited by accident."""
    out = {k: v for k, v in os.environ.items() if k != "STI_DB"}
    out.update(extra)
    return out


def side_by_side(contenders: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Time each contender `repeats` times, alternating which goes first, so drift in the machine's load falls on
    both alike. Each callable returns its own measured seconds."""
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for n in range(repeats):
        order = names if n % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(contenders[name]())
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def median_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of the per-repeat ratios: each ratio compares two runs made next to each other."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def megabytes(n_bytes: float) -> float:
    return n_bytes / 1e6
