"""Discrimination, stability and calibration measures for credit models.

Conventions
-----------
* ``y`` is a binary target with **1 = bad** (default) and 0 = good.
* ``p`` is the predicted **probability of bad** (``model.predict_proba(X)[:, 1]``) or any risk
  score where a higher value means riskier.
* Scorecard points are the other way round (higher = safer). Pass them to the rank-based
  measures (:func:`auc`, :func:`gini`, :func:`ks`, :func:`ks_table`) with
  ``higher_is_riskier=False``, or negate them. Calibration measures (:func:`brier`,
  :func:`calibration_table`, :func:`hosmer_lemeshow`) need probabilities in [0, 1].

Every function validates its input and raises a :mod:`riskkit.exceptions` error that names the
argument, the value received and a hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from riskkit._results import Result
from riskkit._validation import (
    check_binary_target,
    check_frame,
    check_positive_int,
    check_same_length,
    short_repr,
)
from riskkit.exceptions import DataError, ParameterError

__all__ = [
    "HosmerLemeshowResult",
    "auc",
    "brier",
    "calibration_table",
    "csi",
    "gini",
    "hosmer_lemeshow",
    "ks",
    "ks_table",
    "psi",
    "psi_table",
]

#: Share given to an empty bin in PSI/CSI so that ln(actual/expected) stays finite.
PSI_EPSILON = 1e-4

Bins = int | Sequence[float] | np.ndarray


# --------------------------------------------------------------------------- input checks
def _as_scores(p: Any, name: str = "p") -> np.ndarray:
    """A one-dimensional array of finite floats."""
    arr = np.asarray(p.to_numpy() if isinstance(p, (pd.Series, pd.Index)) else p)
    if arr.ndim == 2 and arr.shape[1] == 2:
        raise DataError(
            f"{name} must be one-dimensional (got shape {arr.shape}); "
            "pass the probability of bad, predict_proba(X)[:, 1]"
        )
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional (got shape {arr.shape})")
    if arr.size == 0:
        raise DataError(f"{name} is empty; pass one score per row")
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise DataError(
            f"{name} must be numeric (got dtype {arr.dtype}, values such as "
            f"{short_repr(list(arr[:3]))}); pass probabilities or scores"
        ) from None
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.argmax(bad))
        raise DataError(
            f"{name} contains {int(bad.sum())} NaN or infinite values (first at position {first}, "
            f"value {arr[first]}); score every row before measuring"
        )
    return arr


def _check_pair(y: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    target = check_binary_target(y, "y")
    scores = _as_scores(p, "p")
    check_same_length(target, scores, "y", "p")
    return target, scores


def _check_probabilities(p: np.ndarray) -> np.ndarray:
    outside = (p < 0) | (p > 1)
    if outside.any():
        first = int(np.argmax(outside))
        raise DataError(
            f"p must hold probabilities in [0, 1] (got p={float(p[first])!r} at position {first}); "
            "pass predict_proba(X)[:, 1], not scorecard points"
        )
    return p


def _oriented(p: np.ndarray, higher_is_riskier: bool) -> np.ndarray:
    if not isinstance(higher_is_riskier, (bool, np.bool_)):
        raise ParameterError(
            f"higher_is_riskier must be True or False (got higher_is_riskier="
            f"{short_repr(higher_is_riskier)}); use False for scorecard points"
        )
    return p if higher_is_riskier else -p


def _check_bins(bins: Any, name: str = "bins") -> int | np.ndarray:
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        return check_positive_int(bins, name, minimum=2, hint="use e.g. 10 for deciles")
    try:
        edges = np.asarray(bins, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be an integer >= 2 or increasing bin edges (got {name}={short_repr(bins)})"
        ) from None
    if edges.ndim != 1 or edges.size < 3 or np.isnan(edges).any() or np.any(np.diff(edges) <= 0):
        raise ParameterError(
            f"{name} edges must be at least 3 strictly increasing numbers (got {name}="
            f"{short_repr(bins)}); or give an integer number of quantile bins"
        )
    return edges


# --------------------------------------------------------------------------- discrimination
def auc(y: Any, p: Any, *, higher_is_riskier: bool = True) -> float:
    """Area under the ROC curve: the probability that a random bad is ranked riskier than a
    random good (ties count one half).

    Computed from the Mann-Whitney U statistic with average ranks, so it equals
    ``sklearn.metrics.roc_auc_score(y, p)``.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Risk score of each row: the probability of bad, ``predict_proba(X)[:, 1]``, or any
        score ordered by risk (scorecard points with ``higher_is_riskier=False``).
    higher_is_riskier : bool, default True
        Orientation of ``p``; False for scorecard points (higher = safer).

    Returns
    -------
    float
        AUC in [0, 1]; 0.5 is no discrimination.

    Raises
    ------
    DataError
        When ``y`` is not binary 0/1 with both classes, ``p`` is not a finite one-dimensional
        array, or their lengths differ.
    ParameterError
        When ``higher_is_riskier`` is not a bool.

    Examples
    --------
    >>> from riskkit.credit import metrics
    >>> y, p = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> metrics.auc(y, p)
    0.888...
    >>> metrics.auc(y, [610, 580, 585, 520, 600, 510], higher_is_riskier=False)  # points, same order
    0.888...
    """
    target, scores = _check_pair(y, p)
    scores = _oriented(scores, higher_is_riskier)
    ranks = stats.rankdata(scores)
    n_bad = int(target.sum())
    n_good = target.size - n_bad
    u_bad = ranks[target == 1].sum() - n_bad * (n_bad + 1) / 2.0
    return float(u_bad / (n_bad * n_good))


def gini(y: Any, p: Any, *, higher_is_riskier: bool = True) -> float:
    """Gini coefficient (accuracy ratio, Somers' D): ``2 * auc - 1``.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Risk score of each row: the probability of bad, ``predict_proba(X)[:, 1]``, or any
        score ordered by risk (scorecard points with ``higher_is_riskier=False``).
    higher_is_riskier : bool, default True
        Orientation of ``p``; False for scorecard points (higher = safer).

    Returns
    -------
    float
        Gini in [-1, 1]; 0 is no discrimination.

    Raises
    ------
    DataError
        When ``y`` is not binary 0/1 with both classes, ``p`` is not a finite one-dimensional
        array, or their lengths differ.
    ParameterError
        When ``higher_is_riskier`` is not a bool.

    Examples
    --------
    >>> from riskkit.credit import metrics
    >>> metrics.gini([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    0.777...
    """
    return 2.0 * auc(y, p, higher_is_riskier=higher_is_riskier) - 1.0


def _cumulative_shares(target: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cumulative bad and good shares at each distinct score, riskiest first."""
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    sorted_bad = target[order].astype(float)
    last_of_value = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    cum_bad = np.cumsum(sorted_bad)[last_of_value]
    cum_good = np.cumsum(1.0 - sorted_bad)[last_of_value]
    return sorted_scores[last_of_value], cum_bad / cum_bad[-1], cum_good / cum_good[-1]


def ks(y: Any, p: Any, *, higher_is_riskier: bool = True) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the score distributions of bads
    and goods, in [0, 1]. Equals ``scipy.stats.ks_2samp(p[y == 1], p[y == 0]).statistic``.

    The direction does not change the value; ``higher_is_riskier`` is accepted for a uniform
    signature with :func:`auc`.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Risk score of each row: the probability of bad, ``predict_proba(X)[:, 1]``, or any
        score ordered by risk (scorecard points with ``higher_is_riskier=False``).
    higher_is_riskier : bool, default True
        Orientation of ``p``; False for scorecard points (higher = safer).

    Returns
    -------
    float
        KS in [0, 1].

    Raises
    ------
    DataError
        When ``y`` is not binary 0/1 with both classes, ``p`` is not a finite one-dimensional
        array, or their lengths differ.
    ParameterError
        When ``higher_is_riskier`` is not a bool.

    Examples
    --------
    >>> from riskkit.credit import metrics
    >>> metrics.ks([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    0.666...
    """
    target, scores = _check_pair(y, p)
    scores = _oriented(scores, higher_is_riskier)
    _, bad_share, good_share = _cumulative_shares(target, scores)
    return float(np.max(np.abs(bad_share - good_share)))


def _quantile_bands(scores: np.ndarray, bins: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Band codes (0 = lowest scores) and band edges; tied scores share a band."""
    if isinstance(bins, np.ndarray):
        edges = bins.astype(float).copy()
    else:
        edges = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, bins + 1)))
    if edges.size < 2:  # all scores equal: one band
        edges = np.array([scores.min(), scores.max()])
    inner = edges[1:-1]
    codes = np.searchsorted(inner, scores, side="left")
    return codes, edges


def ks_table(
    y: Any, p: Any, *, bins: Bins = 10, higher_is_riskier: bool = True
) -> pd.DataFrame:
    """Gains table by score band (deciles by default), riskiest band first.

    Columns: ``band, min_score, max_score, count, n_bad, n_good, bad_rate, cum_bad_share,
    cum_good_share, ks`` and a ``Totals`` row (``ks`` there is the largest band gap, a lower
    bound of :func:`ks`). Scores are reported on the scale given (not negated). Tied scores
    are kept in one band, so there may be fewer bands than ``bins``.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Risk score of each row: the probability of bad, ``predict_proba(X)[:, 1]``, or any
        score ordered by risk (scorecard points with ``higher_is_riskier=False``).
    higher_is_riskier : bool, default True
        Orientation of ``p``; False for scorecard points (higher = safer).
    bins : int or array-like of float, default 10
        Number of quantile bands, or increasing band edges.

    Returns
    -------
    pd.DataFrame
        One row per band, riskiest first, and a ``Totals`` row.

    Raises
    ------
    DataError
        When ``y`` is not binary 0/1 with both classes, ``p`` is not a finite one-dimensional
        array, or their lengths differ.
    ParameterError
        When ``higher_is_riskier`` is not a bool, or ``bins`` is not an integer >= 2 or increasing edges.
    """
    target, scores = _check_pair(y, p)
    oriented = _oriented(scores, higher_is_riskier)
    codes, _ = _quantile_bands(oriented, _check_bins(bins))
    frame = pd.DataFrame({"code": codes, "score": scores, "bad": target})
    grouped = frame.groupby("code", sort=True)
    table = pd.DataFrame(
        {
            "min_score": grouped["score"].min(),
            "max_score": grouped["score"].max(),
            "count": grouped.size(),
            "n_bad": grouped["bad"].sum(),
        }
    ).iloc[::-1]
    table["n_good"] = table["count"] - table["n_bad"]
    table["bad_rate"] = table["n_bad"] / table["count"]
    table["cum_bad_share"] = table["n_bad"].cumsum() / table["n_bad"].sum()
    table["cum_good_share"] = table["n_good"].cumsum() / table["n_good"].sum()
    table["ks"] = (table["cum_bad_share"] - table["cum_good_share"]).abs()
    table.insert(0, "band", np.arange(1, len(table) + 1))
    table = table.reset_index(drop=True).astype({"count": int, "n_bad": int, "n_good": int})
    totals = {
        "band": "Totals",
        "min_score": scores.min(),
        "max_score": scores.max(),
        "count": int(target.size),
        "n_bad": int(target.sum()),
        "n_good": int(target.size - target.sum()),
        "bad_rate": float(target.mean()),
        "cum_bad_share": 1.0,
        "cum_good_share": 1.0,
        "ks": float(table["ks"].max()),
    }
    table = pd.concat([table.astype({"band": object}), pd.DataFrame([totals])], ignore_index=True)
    return table


# --------------------------------------------------------------------------- stability
def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return np.maximum(counts / total, PSI_EPSILON)


def _psi_from_counts(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    e = _shares(expected.astype(float))
    a = _shares(actual.astype(float))
    return (a - e) * np.log(a / e)


def _numeric_bin_counts(
    expected: np.ndarray, actual: np.ndarray, bins: int | np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Counts per quantile bin of ``expected`` (open-ended outer bins), plus a missing bin."""
    e_present = expected[~np.isnan(expected)]
    if isinstance(bins, np.ndarray):
        inner = bins[1:-1]
    else:
        qs = np.quantile(e_present, np.linspace(0.0, 1.0, bins + 1)) if e_present.size else []
        inner = np.unique(qs)[1:-1]
    edges = np.r_[-np.inf, inner, np.inf]
    labels = [f"({lo:.6g}, {hi:.6g}]" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    e_counts = np.bincount(np.searchsorted(inner, e_present, side="left"), minlength=len(labels))
    a_present = actual[~np.isnan(actual)]
    a_counts = np.bincount(np.searchsorted(inner, a_present, side="left"), minlength=len(labels))
    e_missing = expected.size - e_present.size
    a_missing = actual.size - a_present.size
    if e_missing or a_missing:
        labels.append("Missing")
        e_counts = np.r_[e_counts, e_missing]
        a_counts = np.r_[a_counts, a_missing]
    return labels, e_counts, a_counts


def _stability_table(labels: list[str], e_counts: np.ndarray, a_counts: np.ndarray) -> pd.DataFrame:
    contributions = _psi_from_counts(e_counts, a_counts)
    table = pd.DataFrame(
        {
            "bin": labels,
            "expected_count": e_counts.astype(int),
            "actual_count": a_counts.astype(int),
            "expected_share": e_counts / e_counts.sum(),
            "actual_share": a_counts / a_counts.sum(),
            "psi": contributions,
        }
    )
    totals = {
        "bin": "Totals",
        "expected_count": int(e_counts.sum()),
        "actual_count": int(a_counts.sum()),
        "expected_share": 1.0,
        "actual_share": 1.0,
        "psi": float(contributions.sum()),
    }
    return pd.concat([table, pd.DataFrame([totals])], ignore_index=True)


def psi_table(expected: Any, actual: Any, *, bins: Bins = 10) -> pd.DataFrame:
    """Population stability by bin of the ``expected`` (development) distribution.

    ``bins`` is a number of quantile bins of ``expected`` (ties merged; the outer bins are open
    so every ``actual`` value lands in a bin) or explicit increasing edges (the outer edges are
    then treated as open too). Columns: ``bin, expected_count, actual_count, expected_share,
    actual_share, psi`` and a ``Totals`` row. Empty bins get a share of ``PSI_EPSILON`` (1e-4)
    in the logarithm so the index stays finite.

    Parameters
    ----------
    expected : array-like of float
        Reference (development) values; NaN values form a ``Missing`` bin.
    actual : array-like of float
        Values to compare (e.g. recent applicants).
    bins : int or array-like of float, default 10
        Number of quantile bins of ``expected``, or increasing bin edges.

    Returns
    -------
    pd.DataFrame
        One row per bin and a ``Totals`` row whose ``psi`` is the index.

    Raises
    ------
    DataError
        When an input is empty, not one-dimensional or not numeric.
    ParameterError
        When ``bins`` is not an integer >= 2 or increasing edges.
    """
    e = _as_scores(expected, "expected")
    a = _as_scores(actual, "actual")
    labels, e_counts, a_counts = _numeric_bin_counts(e, a, _check_bins(bins))
    return _stability_table(labels, e_counts, a_counts)


def psi(expected: Any, actual: Any, bins: Bins = 10) -> float:
    """Population stability index ``sum((a - e) * ln(a / e))`` over bins of ``expected``.

    Rule of thumb: below 0.1 stable, 0.1-0.25 some shift, above 0.25 a significant shift.
    See :func:`psi_table` for the binning.

    Parameters
    ----------
    expected : array-like of float
        Reference (development) values.
    actual : array-like of float
        Values to compare.
    bins : int or array-like of float, default 10
        Number of quantile bins of ``expected``, or increasing bin edges.

    Returns
    -------
    float
        The index (>= 0).

    Raises
    ------
    DataError
        When an input is empty, not one-dimensional or not numeric.
    ParameterError
        When ``bins`` is not an integer >= 2 or increasing edges.

    Examples
    --------
    Scores of a development sample against a half of itself and against a population whose
    mean moved by 0.4 standard deviations:

    >>> import numpy as np
    >>> from riskkit.credit import metrics
    >>> rng = np.random.default_rng(0)
    >>> dev, new = rng.normal(600, 50, 5000), rng.normal(580, 50, 5000)
    >>> round(metrics.psi(dev, dev[:2500]), 4), round(metrics.psi(dev, new), 4)
    (0.0013, 0.1422)
    """
    table = psi_table(expected, actual, bins=bins)
    return float(table["psi"].iloc[-1])


def _categorical_counts(expected: pd.Series, actual: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray]:
    e = expected.astype(object).where(expected.notna(), "Missing").astype(str)
    a = actual.astype(object).where(actual.notna(), "Missing").astype(str)
    labels = sorted(set(e.unique()) | set(a.unique()))
    e_counts = e.value_counts().reindex(labels, fill_value=0).to_numpy()
    a_counts = a.value_counts().reindex(labels, fill_value=0).to_numpy()
    return labels, e_counts, a_counts


def _feature_counts(
    expected: pd.Series, actual: pd.Series, bins: int | np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    numeric = pd.api.types.is_numeric_dtype(expected) and not pd.api.types.is_bool_dtype(expected)
    if not numeric:
        return _categorical_counts(expected, actual)
    if not pd.api.types.is_numeric_dtype(actual):
        raise DataError(
            f"column {expected.name!r} is numeric in expected but {actual.dtype} in actual; "
            "give both frames the same dtypes"
        )
    e = expected.to_numpy(dtype=float, na_value=np.nan)
    a = actual.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(e).any() or np.isinf(a).any():
        raise DataError(
            f"column {expected.name!r} contains infinite values; replace them with NaN or a "
            "finite sentinel before measuring stability"
        )
    return _numeric_bin_counts(e, a, bins)


def csi(expected: Any, actual: Any, *, bins: Bins = 10) -> pd.Series:
    """Characteristic stability index per feature of two frames, named ``csi``.

    Numeric columns are cut into quantile bins of ``expected`` (as :func:`psi`), other columns
    (object, string, category, bool) use one bin per value; missing values get their own bin and
    values unseen in ``expected`` count as their own bins (share ``PSI_EPSILON`` in expected).
    Columns of ``actual`` that ``expected`` lacks are ignored.

    Parameters
    ----------
    expected : pd.DataFrame
        Reference (development) features.
    actual : pd.DataFrame
        Features to compare, with every column of ``expected``.
    bins : int or array-like of float, default 10
        Quantile bins (or edges) for the numeric columns.

    Returns
    -------
    pd.Series
        CSI per column of ``expected``, named ``csi``.

    Raises
    ------
    DataError
        When a frame is empty, ``actual`` lacks a column, or a column's dtype differs.
    ParameterError
        When ``bins`` is invalid.
    """
    e_frame = check_frame(expected, "expected")
    a_frame = check_frame(actual, "actual")
    missing = [c for c in e_frame.columns if c not in a_frame.columns]
    if missing:
        raise DataError(
            f"actual lacks columns of expected (missing {short_repr(missing)}); "
            "compare frames with the same features"
        )
    checked = _check_bins(bins)
    values = {}
    for column in e_frame.columns:
        labels, e_counts, a_counts = _feature_counts(e_frame[column], a_frame[column], checked)
        values[column] = float(_psi_from_counts(e_counts, a_counts).sum())
    return pd.Series(values, name="csi", dtype=float)


# --------------------------------------------------------------------------- calibration
def brier(y: Any, p: Any) -> float:
    """Brier score ``mean((p - y) ** 2)``; equals ``sklearn.metrics.brier_score_loss``.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Probability of bad of each row, in [0, 1].

    Returns
    -------
    float
        Brier score in [0, 1]; lower is better.

    Raises
    ------
    DataError
        When ``y`` is not binary, ``p`` holds values outside [0, 1], or the lengths differ.
    """
    target, scores = _check_pair(y, p)
    scores = _check_probabilities(scores)
    return float(np.mean((scores - target) ** 2))


def calibration_table(y: Any, p: Any, *, bins: Bins = 10) -> pd.DataFrame:
    """Predicted against observed bad rate by PD band (riskiest band last).

    ``bins`` is a number of quantile bands of ``p`` (ties kept together) or PD band edges
    (outer edges open). Because scorecard points are a decreasing function of PD, PD bands are
    score bands. Columns: ``band, min_pd, max_pd, count, n_bad, mean_pd, bad_rate, expected_bad,
    difference`` (observed minus predicted rate) and ``binomial_pvalue`` (two-sided exact test
    of the band's bads against its mean PD), plus a ``Totals`` row.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Probability of bad of each row, in [0, 1].
    bins : int or array-like of float, default 10
        Number of quantile bands of ``p``, or PD band edges.

    Returns
    -------
    pd.DataFrame
        One row per band (lowest PD first) and a ``Totals`` row.

    Raises
    ------
    DataError
        When ``y`` is not binary, ``p`` holds values outside [0, 1], or the lengths differ.
    ParameterError
        When ``bins`` is invalid.
    """
    target, scores = _check_pair(y, p)
    scores = _check_probabilities(scores)
    codes, _ = _quantile_bands(scores, _check_bins(bins))
    frame = pd.DataFrame({"code": codes, "p": scores, "bad": target})
    grouped = frame.groupby("code", sort=True)
    table = pd.DataFrame(
        {
            "min_pd": grouped["p"].min(),
            "max_pd": grouped["p"].max(),
            "count": grouped.size(),
            "n_bad": grouped["bad"].sum().astype(int),
            "mean_pd": grouped["p"].mean(),
        }
    ).reset_index(drop=True)
    table.insert(0, "band", np.arange(1, len(table) + 1))
    rows = [*table.to_dict("records"), {
        "band": "Totals", "min_pd": scores.min(), "max_pd": scores.max(),
        "count": int(target.size), "n_bad": int(target.sum()), "mean_pd": float(scores.mean()),
    }]
    table = pd.DataFrame(rows).astype({"band": object, "count": int, "n_bad": int})
    table["bad_rate"] = table["n_bad"] / table["count"]
    table["expected_bad"] = table["mean_pd"] * table["count"]
    table["difference"] = table["bad_rate"] - table["mean_pd"]
    table["binomial_pvalue"] = [
        float(stats.binomtest(int(k), int(n), float(np.clip(m, 0.0, 1.0))).pvalue)
        for k, n, m in zip(table["n_bad"], table["count"], table["mean_pd"], strict=True)
    ]
    return table


@dataclass(frozen=True, repr=False)
class HosmerLemeshowResult(Result):
    """Hosmer-Lemeshow goodness-of-fit test: ``statistic`` ~ chi2(``df``) under calibration.

    ``summary()`` is one row (statistic, df, pvalue, rejected_5pct); ``to_frame()`` the table of
    observed and expected bads and goods per group.

    Attributes
    ----------
    statistic : float
        Sum of ``(O - E)^2 / E`` over bads and goods of every group.
    pvalue : float
        Chi-square(``df``) survival probability of the statistic.
    df : int
        Groups used minus 2.
    table : pd.DataFrame
        Observed and expected bads and goods per group.
    """

    statistic: float
    pvalue: float
    df: int
    table: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row: statistic, df, pvalue and whether calibration is rejected at 5%.
        """
        return pd.DataFrame(
            {"statistic": [self.statistic], "df": [self.df], "pvalue": [self.pvalue],
             "rejected_5pct": [bool(self.pvalue < 0.05)]},
            index=pd.Index(["Hosmer-Lemeshow"], name="test"),
        )

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            Observed and expected bads and goods per group (a copy of ``table``).
        """
        return self.table.copy()

    def _headline(self) -> str:
        verdict = "rejected" if self.pvalue < 0.05 else "not rejected"
        return (f"statistic {self.statistic:.4f} on {self.df} df, p-value {self.pvalue:.4g}; "
                f"calibration {verdict} at the 5% level ({len(self.table)} groups)")


def hosmer_lemeshow(y: Any, p: Any, *, groups: int = 10) -> HosmerLemeshowResult:
    """Hosmer-Lemeshow test over ``groups`` quantile groups of ``p``.

    Follows R's ``ResourceSelection::hoslem.test``: groups are cut at the (unique) quantiles of
    ``p`` (lowest included), the statistic is ``sum((O - E)^2 / E)`` over bads and goods of every
    group, and the degrees of freedom are ``groups used - 2``. A small p-value says the
    predicted PDs do not match the observed bad rates.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Probability of bad of each row, in [0, 1].
    groups : int, default 10
        Number of quantile groups (>= 3).

    Returns
    -------
    HosmerLemeshowResult
        Statistic, p-value, degrees of freedom and the group table.

    Raises
    ------
    DataError
        When the inputs are invalid (see :func:`brier`) or ``p`` takes too few distinct values.
    ParameterError
        When ``groups`` is not an integer >= 3.
    """
    target, scores = _check_pair(y, p)
    scores = _check_probabilities(scores)
    check_positive_int(groups, "groups", minimum=3, hint="use about 10 groups")
    edges = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, groups + 1)))
    if edges.size < 4:
        raise DataError(
            f"p takes too few distinct values for a Hosmer-Lemeshow test (got {np.unique(scores).size} "
            "distinct values); at least 3 groups are needed"
        )
    codes = np.clip(np.searchsorted(edges, scores, side="left") - 1, 0, edges.size - 2)
    frame = pd.DataFrame({"code": codes, "p": scores, "bad": target})
    grouped = frame.groupby("code", sort=True)
    table = pd.DataFrame(
        {
            "count": grouped.size(),
            "observed_bad": grouped["bad"].sum().astype(int),
            "expected_bad": grouped["p"].sum(),
        }
    ).reset_index(drop=True)
    table.insert(0, "group", np.arange(1, len(table) + 1))
    table["observed_good"] = table["count"] - table["observed_bad"]
    table["expected_good"] = table["count"] - table["expected_bad"]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (table["observed_bad"] - table["expected_bad"]) ** 2 / table["expected_bad"] + (
            table["observed_good"] - table["expected_good"]
        ) ** 2 / table["expected_good"]
    statistic = float(np.nansum(terms.to_numpy()))
    df = len(table) - 2
    pvalue = float(stats.chi2.sf(statistic, df))
    return HosmerLemeshowResult(statistic=statistic, pvalue=pvalue, df=df, table=table)
