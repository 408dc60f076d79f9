"""Shared timing and reporting for every benchmark script: one way to measure, one way to judge.

- ``measure(fn, repeats)`` times a call in wall and CPU seconds (CPU includes child processes, so a
  side that spreads over workers is charged for all of them) and returns the median and spread.
  Imports and warm-up belong outside: call ``fn`` once untimed first (``warmup=True``).
- ``speed_verdict(wall_ratio, cpu_ratio, target)`` judges a speed target on BOTH ratios: it says
  "met" only when wall and CPU ratios both reach the target; a target met on wall time alone (for
  example by using more processes than the peer) is "missed (CPU ...)". ``tests/test_benchmarks.py``
  fails if a benchmark script judges speed any other way.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Timing", "cpu_seconds", "markdown", "measure", "processes", "speed_verdict", "verdict"]


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds over repeats: medians and the spread (max - min)."""

    wall: list[float]
    cpu: list[float]
    result: Any = None

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def wall_spread(self) -> float:
        return max(self.wall) - min(self.wall)

    def describe(self) -> str:
        return (f"{self.wall_median:.3f} s wall (spread {self.wall_spread:.3f}, n={len(self.wall)}), "
                f"{self.cpu_median:.3f} s CPU")


def measure(fn: Callable[[], Any], repeats: int = 3, *, warmup: bool = True) -> Timing:
    """Run ``fn`` ``repeats`` times (after one untimed warm-up call) and record wall and CPU time."""
    if warmup:
        fn()
    walls, cpus, result = [], [], None
    for _ in range(max(1, repeats)):
        c0, w0 = cpu_seconds(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(cpu_seconds() - c0)
    return Timing(walls, cpus, result)


def speed_verdict(wall_ratio: float, cpu_ratio: float, target: float) -> str:
    """'met' when both the wall and the CPU speed-up reach ``target``; otherwise 'missed' with
    the ratio that fell short named."""
    short = [f"{name} {ratio:.1f}x" for name, ratio in (("wall", wall_ratio), ("CPU", cpu_ratio))
             if not ratio >= target]
    return "met" if not short else f"missed ({', '.join(short)} < {target:g}x)"


def verdict(ok: bool) -> str:
    """For targets that are not speed (accuracy, memory): 'met' or 'missed'."""
    return "met" if ok else "missed"


def processes(n_jobs: int | None) -> int:
    """How many processes a side uses (for the report): -1 or None means every core."""
    if n_jobs is None or n_jobs < 0:
        return os.cpu_count() or 1
    return max(1, n_jobs)


def markdown(frame: Any) -> str:
    """A pandas DataFrame as a GitHub markdown table (no tabulate dependency)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(str(v) for v in row.tolist()) + " |")
    return "\n".join(lines)
