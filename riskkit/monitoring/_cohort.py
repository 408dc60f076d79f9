"""Score and feature stability by month, realised performance by cohort, and concentration.

Stability reuses :func:`riskkit.credit.metrics.psi` and :func:`~riskkit.credit.metrics.csi`;
calibration per grade reuses :meth:`riskkit.grading.MasterScale.calibration` (one-sided binomial
and Jeffreys tests, ECB 2019); concentration reuses :func:`riskkit.credit.decision.concentration`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from riskkit._validation import check_choice, check_in_range, check_positive_int, short_repr
from riskkit.credit import metrics
from riskkit.credit.decision import concentration
from riskkit.exceptions import DataError, ParameterError
from riskkit.grading import CalibrationResult, MasterScale
from riskkit.monitoring._portfolio import ACTIVE_STATUSES, SEVERITY, _check_performance, months_on_book

__all__ = [
    "cohort_performance",
    "concentration_by_month",
    "concentration_table",
    "default_flags",
    "grade_calibration",
    "stability_by_month",
]


def _check_origination(origination: Any, needed: Sequence[str]) -> pd.DataFrame:
    if not isinstance(origination, pd.DataFrame) or origination.empty:
        raise DataError(
            f"origination must be a non-empty DataFrame, one row per loan (got {short_repr(origination)}); "
            "load it with riskkit.data.load_loan_book"
        )
    missing = [c for c in needed if c not in origination.columns]
    if missing:
        raise DataError(
            f"origination is missing column(s) {missing} (got columns {short_repr(list(origination.columns), 160)})"
        )
    return origination


def stability_by_month(
    origination: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    score: str = "score",
    bins: int = 10,
    performance: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Population stability of the score (PSI) and of each feature (CSI) by month.

    Without ``performance`` the population of a month is the loans booked that month (new
    bookings, the fastest signal of a change in the applicant flow); with ``performance`` it is
    the book on hand at the month end (active statuses).

    Parameters
    ----------
    origination
        Origination table (one row per loan) with ``origination_month``, the score and features.
    reference
        The development sample (same columns), e.g. ``LoanBook.development_sample()``.
    features
        Feature columns for the CSI (default: none).
    score
        Score column.
    bins
        Quantile bins of the reference (see :func:`riskkit.credit.metrics.psi`).
    performance
        Performance table; given, the population is the book on hand each snapshot month.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``month``: ``n``, ``psi_score`` and ``csi_<feature>`` per feature.

    Raises
    ------
    DataError
        When a column is missing.
    """
    feats = list(features or [])
    orig = _check_origination(origination, ["loan_id", "origination_month", score, *feats])
    ref = _check_origination(reference, [score, *feats])
    check_positive_int(bins, "bins", minimum=2, hint="e.g. 10")
    if performance is None:
        groups = orig.groupby("origination_month", sort=True)
        items = [(m, g) for m, g in groups]
    else:
        perf = _check_performance(performance, ("loan_id", "snapshot_month", "status"))
        on_book = perf[perf["status"].isin(ACTIVE_STATUSES)][["loan_id", "snapshot_month"]]
        joined = on_book.merge(orig[["loan_id", score, *feats]], on="loan_id", how="inner")
        items = [(m, g) for m, g in joined.groupby("snapshot_month", sort=True)]
    rows = []
    for month, group in items:
        row: dict[str, Any] = {"month": month, "n": len(group),
                               "psi_score": metrics.psi(ref[score].to_numpy(float), group[score].to_numpy(float), bins=bins)}
        if feats:
            csi = metrics.csi(ref[feats], group[feats], bins=bins)
            row.update({f"csi_{k}": v for k, v in csi.items()})
        rows.append(row)
    return pd.DataFrame(rows).set_index("month")


def default_flags(performance: pd.DataFrame, origination: pd.DataFrame, *, horizon: int = 12) -> pd.DataFrame:
    """Whether each loan defaulted within ``horizon`` months on book (cohorts fully observed only).

    Parameters
    ----------
    performance
        Performance table.
    origination
        Origination table with ``loan_id`` and ``origination_month``.
    horizon
        Outcome window in months on book (the origination PD's horizon, 12 by default).

    Returns
    -------
    pandas.DataFrame
        The origination rows of the cohorts whose ``horizon`` months are observed, with a
        ``bad`` column (1 = reached default or charge-off by month ``horizon`` on book).

    Raises
    ------
    DataError
        When no cohort has ``horizon`` months of history.
    """
    perf = _check_performance(performance)
    orig = _check_origination(origination, ["loan_id", "origination_month"])
    h = check_positive_int(horizon, "horizon", hint="the outcome window in months, e.g. 12")
    mob = months_on_book(perf).to_numpy()
    sev = perf["status"].map(SEVERITY).to_numpy()
    bad_ids = pd.Index(perf["loan_id"].to_numpy()[(sev >= 5) & (mob <= h)]).unique()
    last = perf["snapshot_month"].max()
    limit = (last.to_period("M") - h).to_timestamp()
    seen = orig[orig["origination_month"] <= limit].copy()
    if seen.empty:
        raise DataError(
            f"no cohort has {h} months of history (last snapshot {last:%Y-%m}); lower horizon or wait for more data"
        )
    seen["bad"] = seen["loan_id"].isin(bad_ids).astype(int).to_numpy()
    return seen


def _binomial_greater(d: int, n: int, p: float) -> float:
    """One-sided p-value of the binomial test, H1: default rate above ``p`` (scipy.stats.binomtest)."""
    if n == 0:
        return float("nan")
    return float(stats.binomtest(d, n, min(max(p, 0.0), 1.0), alternative="greater").pvalue)


def cohort_performance(
    performance: pd.DataFrame,
    origination: pd.DataFrame,
    *,
    horizon: int = 12,
    score: str = "score",
    pd_column: str = "pd",
    by: str = "origination_month",
) -> pd.DataFrame:
    """Realised discrimination and calibration of the origination model per cohort.

    Parameters
    ----------
    performance
        Performance table.
    origination
        Origination table with the score and the model PD.
    horizon
        Outcome window in months on book.
    score
        Score column (points, higher = safer).
    pd_column
        Predicted PD over ``horizon``.
    by
        Cohort column of ``origination`` (``origination_month`` by default; any column, e.g.
        a quarter you add).

    Returns
    -------
    pandas.DataFrame
        One row per cohort: ``n``, ``defaults``, ``default_rate``, ``mean_pd``, ``expected_defaults``,
        ``binomial_pvalue`` (one-sided binomial test of the defaults against ``mean_pd``, H1 the
        PD is too low; scipy.stats.binomtest), ``auc`` and ``ks`` of the score (NaN when a cohort
        has one class only).

    Raises
    ------
    DataError
        When a column is missing or no cohort is fully observed.
    """
    orig = _check_origination(origination, ["loan_id", "origination_month", score, pd_column, by])
    flags = default_flags(performance, orig, horizon=horizon)
    rows = []
    for cohort, g in flags.groupby(by, sort=True):
        y = g["bad"].to_numpy()
        n, d = len(y), int(y.sum())
        mean_pd = float(g[pd_column].mean())
        both = 0 < d < n
        rows.append({
            by: cohort, "n": n, "defaults": d, "default_rate": d / n, "mean_pd": mean_pd,
            "expected_defaults": float(g[pd_column].sum()),
            "binomial_pvalue": _binomial_greater(d, n, mean_pd),
            "auc": metrics.auc(y, g[score].to_numpy(float), higher_is_riskier=False) if both else np.nan,
            "ks": metrics.ks(y, g[score].to_numpy(float), higher_is_riskier=False) if both else np.nan,
        })
    return pd.DataFrame(rows).set_index(by)


def grade_calibration(
    performance: pd.DataFrame,
    origination: pd.DataFrame,
    *,
    horizon: int = 12,
    cohorts: Any = None,
    pd_column: str = "pd",
    scale: MasterScale | None = None,
    significance: float = 0.05,
) -> CalibrationResult:
    """Predicted against observed default per master-scale grade, with the binomial test.

    Parameters
    ----------
    performance, origination
        The loan book.
    horizon
        Outcome window in months on book.
    cohorts
        Origination months to pool (None: every fully observed cohort).
    pd_column
        Predicted PD column.
    scale
        Master scale (default :class:`riskkit.grading.MasterScale` with its default bounds).
    significance
        Test level for :attr:`CalibrationResult.rejected`.

    Returns
    -------
    riskkit.grading.CalibrationResult
        Per grade: n, defaults, default_rate, pd (mean PD), binomial and Jeffreys p-values.

    Raises
    ------
    DataError
        When the selected cohorts are not observed over ``horizon``.
    """
    orig = _check_origination(origination, ["loan_id", "origination_month", pd_column])
    flags = default_flags(performance, orig, horizon=horizon)
    if cohorts is not None:
        wanted = pd.to_datetime(pd.Index(np.atleast_1d(cohorts))).to_period("M").to_timestamp()
        flags = flags[flags["origination_month"].isin(wanted)]
        if flags.empty:
            raise DataError(
                f"no fully observed loan in cohorts={short_repr([str(c) for c in np.atleast_1d(cohorts)])} "
                f"(horizon {horizon} months); pick earlier cohorts"
            )
    ms = scale or MasterScale()
    return ms.calibration(flags[pd_column].to_numpy(float), flags["bad"].to_numpy(), significance=significance)


def _on_book(performance: pd.DataFrame, month: Any) -> pd.DataFrame:
    perf = _check_performance(performance)
    try:
        when = pd.Timestamp(month).to_period("M").to_timestamp()
    except (ValueError, TypeError):
        raise ParameterError(f"month must be a month such as '2024-03' (got month={short_repr(month)})") from None
    book = perf[(perf["snapshot_month"] == when) & perf["status"].isin(ACTIVE_STATUSES)]
    if book.empty:
        raise DataError(f"no loan on the book in month={when:%Y-%m}; months run from "
                        f"{perf['snapshot_month'].min():%Y-%m} to {perf['snapshot_month'].max():%Y-%m}")
    return book


def concentration_table(
    performance: pd.DataFrame,
    month: Any,
    *,
    dimensions: Sequence[str] = ("region", "product"),
    limits: Mapping[str, Mapping[str, float] | float] | None = None,
    weight: str = "balance",
) -> pd.DataFrame:
    """Exposure share per segment of the book at ``month`` against share limits, with the HHI.

    Parameters
    ----------
    performance
        Performance table.
    month
        Snapshot month (e.g. ``"2024-06"``).
    dimensions
        Columns to segment by.
    limits
        Per dimension either one maximum share for every segment or a mapping segment -> maximum
        share (a segment without a limit is never in breach).
    weight
        ``"balance"`` (exposure) or ``"count"``.

    Returns
    -------
    pandas.DataFrame
        One row per dimension and segment: ``dimension``, ``segment``, ``exposure``, ``share``,
        ``limit``, ``breach``, ``hhi`` (of the dimension), ``normalized_hhi``.

    Raises
    ------
    DataError
        When the month has no loan on book or a dimension is not a column.
    ParameterError
        For a limit outside (0, 1].
    """
    book = _on_book(performance, month)
    check_choice(weight, "weight", ("balance", "count"))
    rows = []
    for dim in dimensions:
        if dim not in book.columns:
            raise DataError(f"performance has no column {dim!r} to segment by (got dimensions={list(dimensions)})")
        exposure = book["balance"].to_numpy(float) if weight == "balance" else np.ones(len(book))
        result = concentration(exposure, book[dim].astype(str).to_numpy())
        spec = (limits or {}).get(dim)
        for segment, rec in result.shares.iterrows():
            lim = _limit(spec, str(segment), dim)
            rows.append({"dimension": dim, "segment": segment, "exposure": rec["exposure"], "share": rec["share"],
                         "limit": lim, "breach": bool(lim == lim and rec["share"] > lim),
                         "hhi": result.hhi, "normalized_hhi": result.normalized_hhi})
    return pd.DataFrame(rows)


def _limit(spec: Any, segment: str, dim: str) -> float:
    if spec is None:
        return float("nan")
    raw = spec.get(segment) if isinstance(spec, Mapping) else spec
    if raw is None:
        return float("nan")
    return check_in_range(raw, f"limits[{dim!r}]", 0.0, 1.0, low_open=True, hint="a maximum share such as 0.35")


def concentration_by_month(performance: pd.DataFrame, dimension: str = "region", *, weight: str = "balance") -> pd.DataFrame:
    """HHI of the book across the segments of ``dimension``, by snapshot month.

    Parameters
    ----------
    performance
        Performance table.
    dimension
        Segment column (``region``, ``product``, ...).
    weight
        ``"balance"`` or ``"count"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``snapshot_month``: ``hhi``, ``normalized_hhi``, ``effective_number``,
        ``max_share`` and ``largest`` (the largest segment).

    Raises
    ------
    DataError
        When ``dimension`` is not a column.
    """
    perf = _check_performance(performance)
    if dimension not in perf.columns:
        raise DataError(f"performance has no column {dimension!r} (got dimension={dimension!r})")
    check_choice(weight, "weight", ("balance", "count"))
    book = perf[perf["status"].isin(ACTIVE_STATUSES)]
    rows = []
    for month, g in book.groupby("snapshot_month", sort=True):
        exposure = g["balance"].to_numpy(float) if weight == "balance" else np.ones(len(g))
        if exposure.sum() <= 0:
            continue
        res = concentration(exposure, g[dimension].astype(str).to_numpy())
        rows.append({"snapshot_month": month, "hhi": res.hhi, "normalized_hhi": res.normalized_hhi,
                     "effective_number": res.effective_number, "max_share": float(res.shares["share"].iloc[0]),
                     "largest": str(res.shares.index[0])})
    return pd.DataFrame(rows).set_index("snapshot_month")
