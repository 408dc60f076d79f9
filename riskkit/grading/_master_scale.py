"""Master scale: PD -> rating grade, grade tables, distributions, migrations and calibration tests.

A master scale maps a probability of default (PD) to one of ``k`` performing grades plus a default
grade. Grade ``i`` covers ``[bounds[i-1], bounds[i])``; PDs below ``bounds[0]`` (the PD floor,
0.03% as in Basel II para. 285/331) fall in the best grade and a PD of exactly 1 (or an obligor
flagged as defaulted) is the default grade.

Calibration per grade follows the ECB instructions for reporting the validation results of
internal models (IRB, 2019), section 2.5.3: a one-sided binomial test and a Jeffreys test of the
observed default rate against the grade's PD, both with the alternative "PD is underestimated".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from riskkit._persistence import JSONPersistence, check_header, document_header, parse_document
from riskkit._results import Result
from riskkit._validation import check_in_range, check_same_length, short_repr
from riskkit.exceptions import ConfigError, DataError, ParameterError

__all__ = ["CalibrationResult", "MasterScale", "MigrationResult", "default_bounds"]

_DEFAULT_FLOOR = 0.0003
_DEFAULT_GRADES = 10


def default_bounds(n_grades: int = _DEFAULT_GRADES, floor: float = _DEFAULT_FLOOR) -> np.ndarray:
    """Geometric PD bounds from ``floor`` to 100% for ``n_grades`` performing grades.

    Returns ``n_grades + 1`` edges; with the defaults every grade spans a factor of about 2.25
    in PD (0.03%, 0.068%, 0.15%, ..., 44%, 100%).

    Parameters
    ----------
    n_grades : int, default 10
        Number of performing grades (at least 2).
    floor : float, default 0.0003
        Lowest PD of the scale, in (0, 1).

    Returns
    -------
    np.ndarray
        ``n_grades + 1`` increasing edges from ``floor`` to 1.

    Raises
    ------
    ParameterError
        When ``n_grades`` is not an integer >= 2 or ``floor`` is outside (0, 1).

    Examples
    --------
    >>> default_bounds(4, 0.0001).round(4).tolist()
    [0.0001, 0.001, 0.01, 0.1, 1.0]
    """
    if isinstance(n_grades, bool) or not isinstance(n_grades, (int, np.integer)) or n_grades < 2:
        raise ParameterError(
            f"n_grades must be an integer >= 2 (got n_grades={short_repr(n_grades)}); "
            "a master scale needs at least two performing grades"
        )
    lo = check_in_range(floor, "floor", 0.0, 1.0, low_open=True, high_open=True,
                        hint="give the lowest PD of the scale as a probability, e.g. 0.0003")
    return np.geomspace(lo, 1.0, int(n_grades) + 1)


@dataclass(frozen=True, repr=False)
class MigrationResult(Result):
    """Grade migration between two snapshots of the same obligors.

    ``summary()`` is one row (n_obligors, stable/upgrade/downgrade shares); ``to_frame()`` the
    migration rates (row-normalised transition matrix). Built by
    :meth:`MasterScale.migration_matrix`.

    Attributes
    ----------
    counts : pd.DataFrame
        Obligor counts: rows = grade at the first snapshot, columns = grade at the second.
    """

    counts: pd.DataFrame
    """Obligor counts: rows = grade at the first snapshot, columns = grade at the second."""

    @property
    def rates(self) -> pd.DataFrame:
        """Row-normalised migration (transition) matrix; rows with no obligor are NaN."""
        totals = self.counts.sum(axis=1)
        return self.counts.div(totals.where(totals > 0), axis=0)

    def _share(self, where: np.ndarray) -> float:
        total = float(self.counts.to_numpy().sum())
        return float(self.counts.to_numpy()[where].sum()) / total if total else float("nan")

    @property
    def stable_share(self) -> float:
        """Share of obligors that kept their grade."""
        return self._share(np.eye(len(self.counts), dtype=bool))

    @property
    def downgrade_share(self) -> float:
        """Share of obligors moved to a worse grade (the default grade included)."""
        n = len(self.counts)
        return self._share(np.triu(np.ones((n, n), dtype=bool), k=1))

    @property
    def upgrade_share(self) -> float:
        """Share of obligors moved to a better grade."""
        n = len(self.counts)
        return self._share(np.tril(np.ones((n, n), dtype=bool), k=-1))

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row: n_obligors, stable_share, upgrade_share, downgrade_share.
        """
        return pd.DataFrame({"n_obligors": [int(self.counts.to_numpy().sum())],
                             "stable_share": [self.stable_share], "upgrade_share": [self.upgrade_share],
                             "downgrade_share": [self.downgrade_share]},
                            index=pd.Index(["migration"], name="measure"))

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            Migration rates: rows = grade before, columns = grade after (see :attr:`rates`).
        """
        return self.rates

    def _headline(self) -> str:
        n = int(self.counts.to_numpy().sum())
        return (f"{n} obligors: stable {self.stable_share:.1%}, upgraded {self.upgrade_share:.1%}, "
                f"downgraded {self.downgrade_share:.1%}")


@dataclass(frozen=True, repr=False)
class CalibrationResult(Result):
    """Per-grade calibration tests of observed default rates against the grade PD.

    ``summary()`` and ``to_frame()`` are the per-grade table (one row per grade). Built by
    :meth:`MasterScale.calibration`.

    Attributes
    ----------
    table : pd.DataFrame
        One row per grade: n, defaults, default_rate, pd, binomial_pvalue, jeffreys_pvalue.
    significance : float
        Level at which a grade is rejected.
    """

    table: pd.DataFrame
    """One row per grade: n, defaults, default_rate, pd, binomial_pvalue, jeffreys_pvalue, ..."""
    significance: float

    @property
    def rejected(self) -> list[str]:
        """Grades where either test rejects "PD is adequate" at ``significance``."""
        bad = (self.table["binomial_pvalue"] < self.significance) | (
            self.table["jeffreys_pvalue"] < self.significance
        )
        return [str(g) for g in self.table.index[bad.to_numpy()]]

    @property
    def passed(self) -> bool:
        """True when no grade is rejected by either test."""
        return not self.rejected

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row per grade: n, defaults, default_rate, pd and the test p-values.
        """
        return self.table.copy()

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            The per-grade table (a copy of ``table``).
        """
        return self.table.copy()

    def _headline(self) -> str:
        verdict = "all grades pass" if self.passed else f"rejected grades: {', '.join(self.rejected)}"
        return (f"one-sided tests, H1: PD underestimated, significance {self.significance:g}; "
                f"{verdict}")


#: ``format`` and ``format_version`` of :meth:`MasterScale.to_json` documents.
FORMAT = "riskkit.master_scale"
FORMAT_VERSION = 1


class MasterScale(JSONPersistence):
    """Map PDs to rating grades on a configurable master scale.

    Persist with :meth:`to_json` / :meth:`from_json` or :meth:`save` / :meth:`load` (the
    versioned JSON protocol of every riskkit model).

    Parameters
    ----------
    bounds
        Increasing PD edges, ``k + 1`` values for ``k`` performing grades, the first > 0 (the PD
        floor) and the last equal to 1. Default: :func:`default_bounds` (10 geometric grades from
        0.03% to 100%).
    labels
        ``k`` grade names, best first. Default ``"1"`` ... ``"k"``.
    default_label
        Name of the default grade (PD = 1 or flagged defaulted). Default ``"D"``.

    Raises
    ------
    ParameterError
        From the methods when the bounds are not increasing from a floor > 0 to 1, or the labels
        do not match the number of grades.

    Examples
    --------
    >>> from riskkit.grading import MasterScale
    >>> ms = MasterScale([0.001, 0.01, 0.05, 1.0], labels=["A", "B", "C"])
    >>> ms.grades
    ['A', 'B', 'C', 'D']
    >>> ms.grade(0.003), ms.grade([0.0005, 0.02, 1.0]).tolist()
    ('A', ['A', 'B', 'D'])
    >>> round(ms.pd_of("B"), 4)
    0.0224
    >>> ms.migration_matrix([0.003, 0.02, 0.02], [0.003, 0.2, 1.0]).downgrade_share
    0.666...
    """

    def __init__(
        self,
        bounds: Sequence[float] | np.ndarray | None = None,
        *,
        labels: Sequence[str] | None = None,
        default_label: str = "D",
    ) -> None:
        self.bounds = bounds
        self.labels = labels
        self.default_label = default_label

    # -- persistence ---------------------------------------------------------------------------
    def to_json(self, *, indent: int | None = None) -> str:
        """The scale as a versioned JSON document (``"format": "riskkit.master_scale"``).

        Parameters
        ----------
        indent : int, optional
            Indentation of the JSON text (None writes one line).

        Returns
        -------
        str
            Bounds, labels and default label; :meth:`from_json` reads it back.

        Raises
        ------
        ParameterError
            The scale's bounds or labels are invalid.
        """
        doc = {**document_header(FORMAT, FORMAT_VERSION), "bounds": self._edges().tolist(),
               "labels": self._labels(), "default_label": str(self.default_label)}
        return json.dumps(doc, indent=indent)

    @classmethod
    def from_json(cls, document: str | bytes | Mapping[str, Any]) -> MasterScale:
        """Rebuild a scale from :meth:`to_json` output.

        Parameters
        ----------
        document : str, bytes or mapping
            The JSON text (or its parsed object).

        Returns
        -------
        MasterScale
            Grades PDs exactly as the scale that wrote the document.

        Raises
        ------
        ConfigError
            Not JSON, another format, a newer version, or invalid bounds or labels.
        """
        doc = parse_document(document, "MasterScale")
        check_header(doc, FORMAT, FORMAT_VERSION, "master scale")
        scale = cls(doc.get("bounds"), labels=doc.get("labels"), default_label=doc.get("default_label", "D"))
        try:
            _ = scale.grades  # validates bounds and labels
        except ParameterError as exc:
            raise ConfigError(f"document describes an invalid master scale: {exc}") from None
        return scale

    # -- configuration -------------------------------------------------------------------------
    def _edges(self) -> np.ndarray:
        if self.bounds is None:
            return default_bounds()
        try:
            edges = np.asarray(self.bounds, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(
                f"bounds must be a sequence of PDs (got bounds={short_repr(self.bounds)})"
            ) from None
        if edges.ndim != 1 or edges.size < 3:
            raise ParameterError(
                f"bounds must hold at least 3 increasing PD edges (got bounds={short_repr(self.bounds)}); "
                "give k + 1 edges for k >= 2 performing grades, e.g. default_bounds(10)"
            )
        if not (edges[0] > 0 and np.all(np.diff(edges) > 0) and edges[-1] == 1.0):
            raise ParameterError(
                f"bounds must increase strictly from a PD floor > 0 to 1.0 "
                f"(got bounds={short_repr(edges.tolist())}); e.g. [0.0003, 0.001, ..., 1.0]"
            )
        return edges

    def _labels(self) -> list[str]:
        k = len(self._edges()) - 1
        labels = [str(i) for i in range(1, k + 1)] if self.labels is None else [str(x) for x in self.labels]
        if len(labels) != k:
            raise ParameterError(
                f"labels must name every performing grade (got {len(labels)} labels for {k} grades: "
                f"labels={short_repr(labels)}); give one label per interval of bounds"
            )
        everything = labels + [str(self.default_label)]
        if len(set(everything)) != len(everything):
            raise ParameterError(
                f"grade labels must be unique (got labels={short_repr(labels)}, "
                f"default_label={self.default_label!r})"
            )
        return labels

    @property
    def grades(self) -> list[str]:
        """All grade labels, best first, the default grade last."""
        return self._labels() + [str(self.default_label)]

    @property
    def n_grades(self) -> int:
        """Number of grades including the default grade."""
        return len(self.grades)

    def rank(self, grades: Any) -> np.ndarray:
        """Position of each grade on the scale (0 = best, ``n_grades - 1`` = default).

        Parameters
        ----------
        grades : str or array-like of str
            Grade labels of this scale.

        Returns
        -------
        np.ndarray of int
            One position per label.

        Raises
        ------
        ParameterError
            When a label is not a grade of the scale.
        """
        labels = np.atleast_1d(np.asarray(grades, dtype=object)).astype(str)
        codes = pd.Index(self.grades).get_indexer(pd.Index(labels))
        if (codes < 0).any():
            unknown = sorted(set(labels[codes < 0].tolist()))
            raise ParameterError(
                f"grades must be labels of the scale (got unknown grade(s) {short_repr(unknown)}); "
                f"known grades: {self.grades}"
            )
        return np.asarray(codes, dtype=int)

    # -- grading --------------------------------------------------------------------------------
    def _check_pd(self, pd_values: Any, name: str = "pd") -> np.ndarray:
        try:
            arr = np.asarray(pd_values, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be numeric PDs (got {name}={short_repr(pd_values)})") from None
        bad = ~((arr >= 0) & (arr <= 1))
        if bad.any():
            first = arr[bad].ravel()[0]
            raise ParameterError(
                f"{name} must be in [0, 1] (got {name}={float(first)!r}, {int(bad.sum())} value(s) outside); "
                "give PDs as probabilities, not percentages, with no missing values"
            )
        return arr

    def grade(self, pd_values: Any, *, defaulted: Any = None) -> Any:
        """Grade of each PD: a label for a scalar, a Series for a Series, else an array.

        ``defaulted`` (bool, same shape) forces the default grade for obligors already in default.

        Parameters
        ----------
        pd_values : float, array-like or pd.Series
            Probabilities of default in [0, 1].
        defaulted : array-like of bool, optional
            Obligors already in default, one flag per PD.

        Returns
        -------
        str, pd.Series or np.ndarray
            The grade labels (an ordered categorical Series for a Series input).

        Raises
        ------
        ParameterError
            When a PD is missing or outside [0, 1].
        DataError
            When ``defaulted`` has another shape than ``pd_values``.
        """
        arr = self._check_pd(pd_values)
        edges = self._edges()
        labels = np.array(self.grades, dtype=object)
        idx = np.clip(np.searchsorted(edges, arr, side="right") - 1, 0, len(edges) - 2)
        idx = np.where(arr >= 1.0, len(labels) - 1, idx)
        if defaulted is not None:
            flags = np.asarray(defaulted, dtype=bool)
            if flags.shape != arr.shape:
                raise DataError(
                    f"defaulted must have the shape of pd (got {flags.shape} and {arr.shape}); "
                    "pass one flag per obligor"
                )
            idx = np.where(flags, len(labels) - 1, idx)
        out = labels[idx]
        if arr.ndim == 0:
            return str(out)
        if isinstance(pd_values, pd.Series):
            return pd.Series(pd.Categorical(out, categories=self.grades, ordered=True),
                             index=pd_values.index, name="grade")
        return out

    def pd_of(self, grades: Any) -> Any:
        """Representative PD of each grade (geometric mid-point of its bounds; 1 for default).

        Parameters
        ----------
        grades : str or array-like of str
            Grade labels of this scale.

        Returns
        -------
        float or np.ndarray
            A float for one label, else one PD per label.

        Raises
        ------
        ParameterError
            When a label is not a grade of the scale.
        """
        mids = self.table()["pd_mid"]
        ranks = self.rank(grades)
        values = mids.to_numpy()[ranks]
        return float(values[0]) if np.ndim(grades) == 0 else values

    def table(self) -> pd.DataFrame:
        """Grade table: one row per grade with its PD range and representative PD."""
        edges = self._edges()
        lows = np.r_[0.0, edges[1:-1], 1.0]
        highs = np.r_[edges[1:], 1.0]
        mids = np.r_[np.sqrt(edges[:-1] * edges[1:]), 1.0]
        frame = pd.DataFrame(
            {"pd_min": lows, "pd_max": highs, "pd_mid": mids,
             "default": [False] * (len(edges) - 1) + [True]},
            index=pd.Index(self.grades, name="grade"),
        )
        return frame

    # -- portfolio views ------------------------------------------------------------------------
    def _as_grades(self, values: Any, name: str) -> np.ndarray:
        arr = np.asarray(values)
        if arr.dtype.kind in "fiu":
            return np.asarray(self.grade(self._check_pd(arr, name)), dtype=object)
        self.rank(arr)
        return arr.astype(str).astype(object)

    def distribution(self, values: Any, *, exposure: Any = None) -> pd.DataFrame:
        """Grade distribution of a portfolio (PDs or grade labels), with a Totals row.

        Columns: ``count``, ``share``, and with ``exposure`` also ``exposure`` and
        ``exposure_share``.

        Parameters
        ----------
        values : array-like
            One PD (numbers) or grade label (strings) per obligor.
        exposure : array-like of float, optional
            Exposure of each obligor, finite and non-negative.

        Returns
        -------
        pd.DataFrame
            One row per grade, best first, and a ``Totals`` row.

        Raises
        ------
        DataError
            When ``values`` is empty or ``exposure`` has another length or bad values.
        ParameterError
            When a PD is outside [0, 1] or a label is not a grade of the scale.
        """
        grades = self._as_grades(values, "values")
        if grades.size == 0:
            raise DataError("values is empty; pass one PD or grade per obligor")
        counts = pd.Series(grades).value_counts().reindex(self.grades, fill_value=0)
        frame = pd.DataFrame({"count": counts.astype(int)})
        frame["share"] = frame["count"] / frame["count"].sum()
        if exposure is not None:
            ead = np.asarray(exposure, dtype=float)
            check_same_length(ead, grades, "exposure", "values")
            if not np.all(np.isfinite(ead)) or (ead < 0).any():
                raise DataError("exposure must be finite and non-negative; fix or drop those rows")
            sums = pd.Series(ead).groupby(grades).sum().reindex(self.grades, fill_value=0.0)
            frame["exposure"] = sums.to_numpy()
            total = frame["exposure"].sum()
            frame["exposure_share"] = frame["exposure"] / total if total > 0 else np.nan
        frame.index.name = "grade"
        totals = frame.sum(numeric_only=True).to_frame("Totals").T
        return pd.concat([frame, totals])

    def migration_matrix(self, before: Any, after: Any) -> MigrationResult:
        """Migration between two snapshots (PDs or grades) of the same obligors.

        Two Series are aligned on their index (obligors present in both); arrays must have the
        same length and order.

        Parameters
        ----------
        before, after : array-like or pd.Series
            PDs or grade labels of the same obligors at the two snapshots.

        Returns
        -------
        MigrationResult
            Counts, rates and the stable / upgrade / downgrade shares.

        Raises
        ------
        DataError
            When two Series share no index value or two arrays differ in length.
        ParameterError
            When a PD is outside [0, 1] or a label is not a grade of the scale.
        """
        if isinstance(before, pd.Series) and isinstance(after, pd.Series):
            common = before.index.intersection(after.index)
            if common.empty:
                raise DataError(
                    "before and after share no obligor (index); index both snapshots by obligor id"
                )
            before, after = before.loc[common], after.loc[common]
        else:
            check_same_length(np.asarray(before), np.asarray(after), "before", "after")
        g0 = self._as_grades(np.asarray(before), "before")
        g1 = self._as_grades(np.asarray(after), "after")
        counts = pd.crosstab(
            pd.Categorical(g0, categories=self.grades), pd.Categorical(g1, categories=self.grades),
            dropna=False,
        ).reindex(index=self.grades, columns=self.grades, fill_value=0)
        counts.index.name, counts.columns.name = "from", "to"
        return MigrationResult(counts=counts.astype(int))

    def calibration(
        self,
        pd_values: Any,
        defaults: Any,
        *,
        significance: float = 0.05,
        reference: str = "mean",
    ) -> CalibrationResult:
        """Binomial and Jeffreys tests per grade of observed default rates against the grade PD.

        ``reference="mean"`` tests against the average PD of the obligors in the grade (ECB
        instructions), ``"mid"`` against the grade's representative PD. Both p-values are
        one-sided (H1: the PD is too low): binomial ``P(X >= d | n, PD)`` and Jeffreys
        ``P(PD_true <= PD)`` under the Beta(d + 1/2, n - d + 1/2) posterior. Obligors with a PD
        of 1 (the default grade) are left out: their grade has nothing to test.

        Parameters
        ----------
        pd_values : array-like of float
            PD of each obligor at the start of the period.
        defaults : array-like of 0/1
            Observed default (1) over the period, one per obligor.
        significance : float, default 0.05
            Test level, in (0, 0.5].
        reference : {"mean", "mid"}, default "mean"
            PD each grade is tested against.

        Returns
        -------
        CalibrationResult
            The per-grade table, ``rejected`` grades and ``passed``.

        Raises
        ------
        DataError
            When ``defaults`` is not 0/1 or differs in length from ``pd_values``.
        ParameterError
            When a PD, ``significance`` or ``reference`` is invalid.
        """
        arr = self._check_pd(pd_values)
        flags = np.asarray(defaults)
        check_same_length(flags, arr, "defaults", "pd")
        if not np.isin(flags, [0, 1, True, False]).all():
            raise DataError(
                f"defaults must be 0/1 with 1 = defaulted (got values {short_repr(sorted(set(flags.tolist()))[:5])})"
            )
        check_in_range(significance, "significance", 0.0, 0.5, low_open=True, hint="e.g. 0.05")
        if reference not in ("mean", "mid"):
            raise ParameterError(f"reference must be 'mean' or 'mid' (got reference={reference!r})")
        grades = np.asarray(self.grade(arr), dtype=object)
        frame = pd.DataFrame({"grade": grades, "pd": arr, "d": flags.astype(int)})
        frame = frame[frame["grade"] != str(self.default_label)]
        grouped = frame.groupby("grade", sort=False).agg(n=("d", "size"), defaults=("d", "sum"),
                                                         mean_pd=("pd", "mean"))
        grouped = grouped.reindex([g for g in self._labels() if g in grouped.index])
        mids = self.table()["pd_mid"]
        grouped["pd"] = grouped["mean_pd"] if reference == "mean" else mids.loc[grouped.index]
        grouped["default_rate"] = grouped["defaults"] / grouped["n"]
        grouped["binomial_pvalue"] = [
            _binomial_pvalue(int(d), int(n), float(p))
            for d, n, p in zip(grouped["defaults"], grouped["n"], grouped["pd"], strict=True)
        ]
        grouped["jeffreys_pvalue"] = stats.beta.cdf(
            grouped["pd"], grouped["defaults"] + 0.5, grouped["n"] - grouped["defaults"] + 0.5
        )
        cols = ["n", "defaults", "default_rate", "pd", "binomial_pvalue", "jeffreys_pvalue"]
        table = grouped[cols].astype({"n": int, "defaults": int})
        table.index.name = "grade"
        return CalibrationResult(table=table, significance=float(significance))


def _binomial_pvalue(d: int, n: int, p: float) -> float:
    """One-sided binomial p-value ``P(X >= d)`` for ``X ~ Bin(n, p)``."""
    if p <= 0.0:
        return 1.0 if d == 0 else 0.0
    return float(stats.binom.sf(d - 1, n, p))
