"""Feature selection for scorecards: significance, an information-value threshold, correlation.

The rule, applied in this order:

0. when per-feature p-values are given (a fitted :class:`~riskkit.credit.WoEBinner`'s
   ``pvalue_``, the permutation test of its IV), drop every feature whose p-value exceeds
   ``max_pvalue`` (reason ``"not significant"``): an IV-maximising binning finds IV in pure
   noise, more the more bins it may use and the smaller the sample, so a fixed IV cut-off alone
   keeps noise on small samples;
1. drop every feature whose IV is below ``iv_min`` (reason ``"low IV"``);
2. walk the remaining features from the highest IV down and keep a feature unless the absolute
   Pearson correlation of its WoE with an already kept feature exceeds ``max_corr`` (reason
   ``"correlated"``, naming that feature). The stronger of two correlated features survives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from riskkit._results import Result
from riskkit._threads import one_blas_thread
from riskkit._validation import check_frame, check_in_range, short_repr
from riskkit.exceptions import DataError, ParameterError

__all__ = ["FeatureSelection", "select_features"]

_DROPPED_COLUMNS = ["iv", "reason", "correlated_with", "correlation", "pvalue"]
_CHUNK = 65_536


@dataclass(frozen=True, repr=False)
class FeatureSelection(Result):
    """Outcome of :func:`select_features`.

    Attributes
    ----------
    selected : list of str
        Kept features, strongest (highest IV) first.
    dropped : DataFrame
        Index ``feature``; columns ``iv``, ``reason`` (``"not significant"``, ``"low IV"`` or
        ``"correlated"``), ``correlated_with`` (the kept feature it duplicates, else empty),
        ``correlation`` (the absolute WoE correlation with it, else NaN) and ``pvalue`` (the
        feature's p-value, NaN when none was given).
    iv : Series
        IV of every candidate feature.
    correlation : DataFrame
        WoE correlation matrix of the features that passed the IV threshold (empty when the
        correlation filter is off).
    iv_min, max_corr, max_pvalue : float or None
        The thresholds used (None = that filter off).
    pvalue : Series or None
        p-value of every candidate feature (None when none were given).
    """

    selected: list[str]
    dropped: pd.DataFrame
    iv: pd.Series
    correlation: pd.DataFrame
    iv_min: float | None
    max_corr: float | None
    max_pvalue: float | None = None
    pvalue: pd.Series | None = None

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row per candidate feature: iv, pvalue, kept (bool), reason, correlated_with, correlation.
        """
        rows = pd.DataFrame(index=pd.Index(list(self.iv.index), name="feature"))
        rows["iv"] = self.iv
        rows["pvalue"] = self.pvalue if self.pvalue is not None else np.nan
        rows["kept"] = rows.index.isin(self.selected)
        rows = rows.join(self.dropped.drop(columns=["iv", "pvalue"]))
        rows["reason"] = rows["reason"].fillna("")
        rows["correlated_with"] = rows["correlated_with"].fillna("")
        return rows.sort_values("iv", ascending=False, kind="stable")

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            The per-feature table of :meth:`summary`.
        """
        return self.summary()

    def _headline(self) -> str:
        return (f"{len(self.selected)} kept, {len(self.dropped)} dropped "
                f"(max_pvalue={self.max_pvalue}, iv_min={self.iv_min}, max_corr={self.max_corr})")


def select_features(
    X_woe: pd.DataFrame,
    iv: pd.Series | Mapping[str, float] | Any,
    *,
    iv_min: float | None = 0.02,
    max_corr: float | None = 0.7,
    max_pvalue: float | None = 0.1,
    pvalue: pd.Series | Mapping[str, float] | None = None,
) -> FeatureSelection:
    """Select scorecard features by significance, information value, then WoE correlation.

    Parameters
    ----------
    X_woe : DataFrame
        WoE-transformed features (e.g. ``WoEBinner.transform(X)``); every column is a candidate.
    iv : Series, mapping or fitted WoEBinner
        Information value per column of ``X_woe`` (a fitted binner's ``iv_`` is used, and its
        ``pvalue_`` when ``pvalue`` is not given).
    iv_min : float or None, default 0.02
        Features with a lower IV are dropped (0.02 is the usual "not predictive" cut-off).
    max_corr : float or None, default 0.7
        Largest absolute WoE correlation tolerated between two kept features, in (0, 1].
    max_pvalue : float or None, default 0.1
        Features whose p-value exceeds this are dropped as not significant, in (0, 1]; a
        screening level for prediction, as in :class:`~riskkit.credit.Scorecard`; applies
        only where a p-value is known (NaN p-values pass). None switches the rule off.
    pvalue : Series or mapping, optional
        p-value per column of ``X_woe`` (default: the binner's ``pvalue_`` when ``iv`` is a
        fitted WoEBinner, else none).

    Returns
    -------
    FeatureSelection

    Raises
    ------
    ParameterError
        A threshold out of range, or ``iv``/``pvalue`` of the wrong type.
    DataError
        ``X_woe`` not numeric or not finite, or ``iv``/``pvalue`` missing a column.

    Examples
    --------
    >>> from riskkit.credit import WoEBinner, select_features
    >>> from riskkit.data import synthetic_credit
    >>> X, y = synthetic_credit(n=1000, n_features=6, seed=0)
    >>> binner = WoEBinner(max_bins=5).fit(X, y)
    >>> result = select_features(binner.transform(X), binner)
    >>> result.selected
    ['monotone_00', 'ushape_01', 'income_02', 'utilisation_03', 'peak_04']
    >>> result.dropped["reason"].to_dict()
    {'noise_05': 'not significant'}
    """
    X_woe = check_frame(X_woe, "X_woe")
    columns = list(X_woe.columns)
    if pvalue is None and hasattr(iv, "pvalue_"):
        pvalue = iv.pvalue_
    iv_series = _iv_series(iv, columns)
    p_series = None if pvalue is None else _pvalue_series(pvalue, columns)
    iv_min, max_corr = check_thresholds(iv_min, max_corr)
    max_pvalue = check_max_pvalue(max_pvalue)
    values = _finite_matrix(X_woe)
    return select_from_iv(iv_series, lambda cols: correlation_from_chunks(
        (values[a:a + _CHUNK, _positions(X_woe, cols)]
         for a in range(0, values.shape[0], _CHUNK)), cols), iv_min=iv_min, max_corr=max_corr,
        pvalue=p_series, max_pvalue=max_pvalue)


def check_max_pvalue(max_pvalue: Any) -> float | None:
    """Validate ``max_pvalue`` (in (0, 1] or None)."""
    if max_pvalue is None:
        return None
    return check_in_range(max_pvalue, "max_pvalue", 0.0, 1.0, low_open=True,
                          hint="use a test level such as 0.05, or None to switch the rule off")


def check_thresholds(iv_min: Any, max_corr: Any) -> tuple[float | None, float | None]:
    """Validate ``iv_min`` (>= 0 or None) and ``max_corr`` (in (0, 1] or None)."""
    iv_value = None if iv_min is None else check_in_range(
        iv_min, "iv_min", 0.0, np.inf, hint="use e.g. 0.02, or None to keep every feature")
    corr_value = None if max_corr is None else check_in_range(
        max_corr, "max_corr", 0.0, 1.0, low_open=True,
        hint="use an absolute correlation such as 0.7, or None to switch the filter off")
    return iv_value, corr_value


def select_from_iv(
    iv: pd.Series,
    correlation: Callable[[list[str]], pd.DataFrame],
    *,
    iv_min: float | None,
    max_corr: float | None,
    pvalue: pd.Series | None = None,
    max_pvalue: float | None = None,
) -> FeatureSelection:
    """The selection rule on an IV Series; ``correlation(features)`` gives their WoE correlations.

    ``pvalue`` (optional, indexed like ``iv``) with ``max_pvalue`` adds the significance rule.
    """
    dropped: list[dict[str, Any]] = []
    order = sorted(iv.index, key=lambda f: (-float(iv[f]), str(f)))
    passing = []

    def p_of(f: Any) -> float:
        return float(pvalue[f]) if pvalue is not None and f in pvalue.index else np.nan

    for f in order:
        p = p_of(f)
        if max_pvalue is not None and np.isfinite(p) and p > max_pvalue:
            dropped.append({"feature": f, "iv": float(iv[f]), "reason": "not significant",
                            "correlated_with": "", "correlation": np.nan, "pvalue": p})
        elif iv_min is not None and float(iv[f]) < iv_min:
            dropped.append({"feature": f, "iv": float(iv[f]), "reason": "low IV",
                            "correlated_with": "", "correlation": np.nan, "pvalue": p})
        else:
            passing.append(f)
    corr = correlation(passing) if max_corr is not None and len(passing) > 1 else pd.DataFrame()
    kept: list[str] = []
    abs_corr = np.nan_to_num(np.abs(corr.to_numpy(dtype=float)), nan=0.0)
    where = {f: i for i, f in enumerate(corr.index)}
    for f in passing:
        partner, r = _worst_partner(abs_corr, where, f, kept)
        if max_corr is not None and partner is not None and r > max_corr:
            dropped.append({"feature": f, "iv": float(iv[f]), "reason": "correlated",
                            "correlated_with": partner, "correlation": r, "pvalue": p_of(f)})
        else:
            kept.append(f)
    frame = pd.DataFrame(dropped, columns=["feature", *_DROPPED_COLUMNS]).set_index("feature")
    return FeatureSelection(selected=kept, dropped=frame, iv=iv.astype(float), correlation=corr,
                            iv_min=iv_min, max_corr=max_corr, max_pvalue=max_pvalue,
                            pvalue=None if pvalue is None else pvalue.astype(float))


def _worst_partner(abs_corr: np.ndarray, where: dict[Any, int], feature: str, kept: list[str]
                   ) -> tuple[str | None, float]:
    """The kept feature most correlated with ``feature`` (the first on ties; NaN counts as 0)."""
    if abs_corr.size == 0 or not kept:
        return None, 0.0
    row = abs_corr[where[feature], [where[k] for k in kept]]
    j = int(np.argmax(row))
    return str(kept[j]), float(row[j])


def correlation_from_chunks(chunks: Any, columns: Sequence[str]) -> pd.DataFrame:
    """Pearson correlation from row chunks of a matrix (sums and cross-products, low memory).

    A column with zero variance has correlation NaN with every other column.
    """
    p = len(columns)
    total = np.zeros(p)
    cross = np.zeros((p, p))
    n = 0
    # BLAS on row blocks, held to one thread: OpenBLAS's threaded gemm on tall thin blocks
    # stalls for seconds on a busy machine, and einsum's loop is several times slower
    with one_blas_thread():
        for chunk in chunks:
            block = np.asarray(chunk, dtype=float)
            total += np.ones(block.shape[0]) @ block  # BLAS: block.sum(axis=0) is ~7x slower
            cross += block.T @ block
            n += block.shape[0]
    mean = total / n
    cov = cross / n - np.outer(mean, mean)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    corr[~np.isfinite(corr)] = np.nan
    np.fill_diagonal(corr, 1.0)
    return pd.DataFrame(np.clip(corr, -1.0, 1.0), index=list(columns), columns=list(columns))


def _iv_series(iv: Any, columns: list[str]) -> pd.Series:
    if hasattr(iv, "iv_"):
        iv = iv.iv_
    if isinstance(iv, Mapping):
        iv = pd.Series(dict(iv), dtype=float)
    if not isinstance(iv, pd.Series):
        raise ParameterError(
            f"iv must be a Series or mapping feature -> information value, or a fitted WoEBinner "
            f"(got {type(iv).__name__}); pass binner.iv_"
        )
    missing = [c for c in columns if c not in iv.index]
    if missing:
        raise DataError(
            f"iv has no value for {len(missing)} column(s) of X_woe (got no {short_repr(missing)}); "
            "pass the IV of every WoE column"
        )
    out = pd.to_numeric(iv.loc[columns], errors="coerce").astype(float)
    if not np.isfinite(out.to_numpy()).all() or (out < 0).any():
        bad = out[~np.isfinite(out.to_numpy()) | (out < 0)]
        raise DataError(
            f"iv must hold non-negative finite numbers (got {short_repr(bad.to_dict())}); "
            "use the information values from a fitted WoEBinner"
        )
    return out


def _pvalue_series(pvalue: Any, columns: list[str]) -> pd.Series:
    if isinstance(pvalue, Mapping):
        pvalue = pd.Series(dict(pvalue), dtype=float)
    if not isinstance(pvalue, pd.Series):
        raise ParameterError(
            f"pvalue must be a Series or mapping feature -> p-value (got {type(pvalue).__name__}); "
            "pass binner.pvalue_"
        )
    missing = [c for c in columns if c not in pvalue.index]
    if missing:
        raise DataError(
            f"pvalue has no value for {len(missing)} column(s) of X_woe (got no {short_repr(missing)}); "
            "pass the p-value of every WoE column (NaN where unknown)"
        )
    out = pd.to_numeric(pvalue.loc[columns], errors="coerce").astype(float)
    bad = out[(out < 0) | (out > 1)]
    if len(bad):
        raise DataError(
            f"pvalue must hold probabilities in [0, 1] or NaN (got {short_repr(bad.to_dict())}); "
            "use the p-values from a fitted WoEBinner"
        )
    return out


def _positions(X_woe: pd.DataFrame, cols: list[str]) -> list[int]:
    # get_loc gives an int for a unique column label (a slice or mask only for duplicates)
    return [cast(int, X_woe.columns.get_loc(c)) for c in cols]


def _finite_matrix(X_woe: pd.DataFrame) -> np.ndarray:
    non_numeric = [c for c in X_woe.columns if not pd.api.types.is_numeric_dtype(X_woe[c].dtype)]
    if non_numeric:
        raise DataError(
            f"X_woe must hold numeric WoE values (got non-numeric columns {short_repr(non_numeric)}); "
            "pass WoEBinner.transform(X), not the raw features"
        )
    values = X_woe.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        col = X_woe.columns[int(np.argmax(~np.isfinite(values).all(axis=0)))]
        raise DataError(
            f"X_woe has NaN or infinite values (first in column {col!r}); WoE values are always "
            "finite, so pass WoEBinner.transform(X)"
        )
    return values
