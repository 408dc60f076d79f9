"""Exact optimal binning: the partition of ordered pre-bins that maximises information value.

Given ``m`` pre-bins in a fixed order (numeric quantile slices, or categories sorted by bad
rate) with their counts of bads and goods, :func:`optimal_partition` returns the contiguous
grouping into at most ``max_bins`` groups that maximises the information value, subject to

* every group holding at least ``min_count`` rows and at least ``min_class`` bads and goods
  (default 1);
* the bad rate of consecutive groups following a trend: ``"ascending"``, ``"descending"``,
  ``"peak"`` (rising, then falling), ``"valley"`` (falling, then rising) or ``None``.

The dynamic programme keeps, for every group ``[i, j)`` and number of groups ``k``, the best
information value of a valid partition of pre-bins ``[0, j)`` ending with that group. The trend
constraint couples consecutive groups only through their bad rates, so the transition
``f_k[i, j] = iv[i, j] + max{f_{k-1}[h, i] : rate[h, i] < rate[i, j]}`` is a prefix maximum
over the candidates ``h`` sorted by ``rate[h, i]``: one sort per trend, then ``O(m^2)`` per
``k`` with numpy. The optimum is exact (no solver, no randomness).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Partition", "PartitionSet", "optimal_partition", "optimal_partitions", "partition_loglik"]

_NEG = -np.inf


@dataclass(frozen=True)
class Partition:
    """A grouping of pre-bins: ``cuts`` are the group boundaries ``0 = c_0 < ... < c_k = m``."""

    cuts: tuple[int, ...]
    iv: float
    trend: str | None


@dataclass(frozen=True)
class _Groups:
    """Statistics of every candidate group ``[i, j)`` as (m+1, m+1) matrices."""

    iv: np.ndarray
    rate: np.ndarray
    valid: np.ndarray


def _group_stats(n_bad: np.ndarray, n_good: np.ndarray, total_bad: float, total_good: float,
                 min_count: float, min_class: float = 1.0) -> _Groups:
    cb = np.concatenate(([0.0], np.cumsum(n_bad, dtype=float)))
    cg = np.concatenate(([0.0], np.cumsum(n_good, dtype=float)))
    b = cb[None, :] - cb[:, None]
    g = cg[None, :] - cg[:, None]
    valid = (b > 0) & (g > 0) & (b >= min_class) & (g >= min_class) & (b + g >= min_count)
    with np.errstate(divide="ignore", invalid="ignore"):
        pb = b / total_bad
        pg = g / total_good
        iv = np.where(valid, (pg - pb) * np.log(pg / pb), _NEG)
        rate = np.where(valid, b / (b + g), 0.0)
    return _Groups(iv=iv, rate=rate, valid=valid)


class _Transition:
    """Prefix-maximum machinery for one comparison direction (strict ``<`` or ``>``)."""

    def __init__(self, rate: np.ndarray, ascending: bool) -> None:
        key = rate if ascending else -rate
        size = key.shape[0]
        # candidates h for a middle boundary i, sorted by key[h, i]
        self.order = np.argsort(key, axis=0, kind="stable")  # (h-rank, i)
        sorted_key = np.take_along_axis(key, self.order, axis=0)  # (rank, i)
        # pos[i, j] = number of h with key[h, i] < key[i, j]
        offset = 4.0 * np.arange(size)
        flat = (sorted_key.T + offset[:, None]).ravel()
        query = key + offset[:, None]
        self.pos = np.searchsorted(flat, query.ravel(), side="left").reshape(size, size)
        self.pos -= (np.arange(size) * size)[:, None]
        self.key = key
        # flat indices: gather[r, i] = order[r, i] * size + i ; lookup[i, j] = pos[i, j] * size + i
        self._gather = self.order * size + np.arange(size)[None, :]
        self._lookup = self.pos * size + np.arange(size)[:, None]

    def best_previous(self, prev: np.ndarray) -> np.ndarray:
        """``out[i, j] = max{prev[h, i] : key[h, i] < key[i, j]}`` (-inf when empty)."""
        size = prev.shape[0]
        buffer = np.empty((size + 1, size))
        buffer[0] = _NEG
        np.maximum.accumulate(prev.ravel()[self._gather], axis=0, out=buffer[1:])
        return buffer.ravel()[self._lookup]

    def argbest(self, prev: np.ndarray, i: int, j: int) -> int:
        """The ``h`` achieving :meth:`best_previous` at ``(i, j)``."""
        allowed = self.key[:, i] < self.key[i, j]
        values = np.where(allowed, prev[:, i], _NEG)
        return int(np.argmax(values))


def _run_phases(groups: _Groups, max_bins: int, phases: tuple[_Transition, ...]
                ) -> list[list[np.ndarray]]:
    """Forward DP; ``tables[k][p][i, j]``: best IV with k+1 groups, last one [i, j), phase p.

    Phase 0 follows the first direction; a later phase may start after any earlier one, so
    ``peak`` is "ascending, then descending" with the turn anywhere (or nowhere).
    """
    first = np.full_like(groups.iv, _NEG)
    first[0, :] = groups.iv[0, :]
    tables = [[first] + [np.full_like(first, _NEG) for _ in phases[1:]]]
    for _ in range(1, max_bins):
        prev = tables[-1]
        row = []
        for p, trans in enumerate(phases):
            source = prev[0] if p == 0 else np.maximum.reduce(prev[: p + 1])
            row.append(groups.iv + trans.best_previous(source))
        tables.append(row)
    return tables


def _backtrack(tables: list[list[np.ndarray]], phases: tuple[_Transition, ...],
               k: int, p: int, i: int) -> tuple[int, ...]:
    cuts = [tables[0][0].shape[0] - 1, i]
    j = cuts[0]
    while k > 0:
        prev = tables[k - 1]
        trans = phases[p]
        if p == 0:
            source, owner = prev[0], None
        else:
            stack = np.stack(prev[: p + 1])
            source, owner = stack.max(axis=0), stack.argmax(axis=0)
        h = trans.argbest(source, i, j)
        if owner is not None:
            p = int(owner[h, i])
        j, i, k = i, h, k - 1
        cuts.append(i)
    return tuple(reversed(cuts))


_PHASES: dict[str | None, tuple[bool, ...]] = {
    "ascending": (True,),
    "descending": (False,),
    "peak": (True, False),
    "valley": (False, True),
}


def optimal_partition(
    n_bad: np.ndarray,
    n_good: np.ndarray,
    *,
    total_bad: float,
    total_good: float,
    min_count: float,
    max_bins: int,
    trend: str | None,
    min_class: float = 1.0,
) -> Partition:
    """The IV-maximising contiguous grouping of pre-bins under the constraints (see module)."""
    return optimal_partitions(n_bad, n_good, total_bad=total_bad, total_good=total_good,
                              min_count=min_count, max_bins=max_bins, trends=(trend,),
                              min_class=min_class)[trend]


def optimal_partitions(
    n_bad: np.ndarray,
    n_good: np.ndarray,
    *,
    total_bad: float,
    total_good: float,
    min_count: float,
    max_bins: int,
    trends: tuple[str | None, ...],
    min_class: float = 1.0,
) -> PartitionSet:
    """:func:`optimal_partition` for several trends in one shared pass.

    The four shaped trends share their work: the ascending tables are the first phase of
    ``peak`` and the descending ones the first phase of ``valley``, and the two sorted
    transitions are built once, so all four cost about as much as two separate runs. The
    result maps each trend to its :class:`Partition`; the cut points are traced back only
    for the trends looked up (:meth:`PartitionSet.iv` gives the IV alone).
    """
    m = len(n_bad)
    groups = _group_stats(n_bad, n_good, total_bad, total_good, min_count, min_class)
    out = PartitionSet(m)
    if None in trends:
        phases_none: tuple[_Transition, ...] = (_Unconstrained(groups.rate),)
        out.add(None, _run_phases(groups, max_bins, phases_none), phases_none)
    shaped = [t for t in trends if t is not None]
    if not shaped:
        return out
    need_asc = any(t in ("ascending", "peak", "valley") for t in shaped)
    need_desc = any(t in ("descending", "peak", "valley") for t in shaped)
    asc = _Transition(groups.rate, True) if need_asc else None
    desc = _Transition(groups.rate, False) if need_desc else None
    first = np.full_like(groups.iv, _NEG)
    first[0, :] = groups.iv[0, :]
    empty = np.full_like(first, _NEG)
    series: dict[str, list[np.ndarray]] = {}
    if asc is not None:
        series["A"] = [first]
    if desc is not None:
        series["D"] = [first]
    if "peak" in shaped:
        series["P"] = [empty]
    if "valley" in shaped:
        series["V"] = [empty]
    for _ in range(1, max_bins):
        prev = {key: tables[-1] for key, tables in series.items()}
        if "A" in series:
            series["A"].append(groups.iv + asc.best_previous(prev["A"]))  # type: ignore[union-attr]
        if "D" in series:
            series["D"].append(groups.iv + desc.best_previous(prev["D"]))  # type: ignore[union-attr]
        if "P" in series:
            source = np.maximum(prev["A"], prev["P"])
            series["P"].append(groups.iv + desc.best_previous(source))  # type: ignore[union-attr]
        if "V" in series:
            source = np.maximum(prev["D"], prev["V"])
            series["V"].append(groups.iv + asc.best_previous(source))  # type: ignore[union-attr]
    layout: dict[str, tuple[tuple[str, ...], tuple[_Transition | None, ...]]] = {
        "ascending": (("A",), (asc,)),
        "descending": (("D",), (desc,)),
        "peak": (("A", "P"), (asc, desc)),
        "valley": (("D", "V"), (desc, asc)),
    }
    for t in shaped:
        keys, trans = layout[t]
        tables = [[series[key][k] for key in keys] for k in range(max_bins)]
        out.add(t, tables, tuple(x for x in trans if x is not None))
    return out


class PartitionSet(Mapping[str | None, Partition]):
    """Optimal partitions by trend; cut points traced back on first lookup."""

    def __init__(self, m: int) -> None:
        self._m = m
        self._found: dict[str | None, tuple[float, tuple[int, int, int], Any, Any]] = {}
        self._done: dict[str | None, Partition] = {}

    def add(self, trend: str | None, tables: list[list[np.ndarray]],
            phases: tuple[_Transition, ...]) -> None:
        m = self._m
        # the best final group [i, m) per (k, phase); scanned in order so ties keep the
        # fewest groups and the earliest phase
        ends = np.array([[table[:, m] for table in row] for row in tables])  # (K, P, m+1)
        top = ends.max(axis=2)
        arg = ends.argmax(axis=2)
        best, where = _NEG, (0, 0, 0)
        for k in range(top.shape[0]):
            for p in range(top.shape[1]):
                if top[k, p] > best + 1e-12:
                    best, where = float(top[k, p]), (k, p, int(arg[k, p]))
        self._found[trend] = (best, where, tables, phases)

    def iv(self, trend: str | None) -> float:
        """IV of the trend's optimal partition (NaN when no valid partition exists)."""
        best = self._found[trend][0]
        return best if np.isfinite(best) else float("nan")

    def __getitem__(self, trend: str | None) -> Partition:
        if trend not in self._done:
            best, where, tables, phases = self._found[trend]
            if not np.isfinite(best):
                part = Partition(cuts=(0, self._m), iv=float("nan"), trend=trend)
            else:
                part = Partition(cuts=_backtrack(tables, phases, *where), iv=best, trend=trend)
            self._done[trend] = part
        return self._done[trend]

    def __iter__(self) -> Iterator[str | None]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)


class _Unconstrained(_Transition):
    """No trend: any previous group is allowed."""

    def __init__(self, rate: np.ndarray) -> None:  # noqa: D107 - private helper
        self.key = np.zeros_like(rate)

    def best_previous(self, prev: np.ndarray) -> np.ndarray:
        return np.broadcast_to(prev.max(axis=0)[:, None], prev.shape)

    def argbest(self, prev: np.ndarray, i: int, j: int) -> int:
        return int(np.argmax(prev[:, i]))


def partition_loglik(n_bad: np.ndarray, n_good: np.ndarray, cuts: tuple[int, ...]) -> float:
    """Binomial log-likelihood of the grouped bad rates (for choosing a trend)."""
    cb = np.concatenate(([0.0], np.cumsum(n_bad, dtype=float)))[list(cuts)]
    cg = np.concatenate(([0.0], np.cumsum(n_good, dtype=float)))[list(cuts)]
    b, g = np.diff(cb), np.diff(cg)
    n = b + g
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(b > 0, b * np.log(b / n), 0.0) + np.where(g > 0, g * np.log(g / n), 0.0)
    return float(terms.sum())
