"""Weight-of-evidence binning with information-value-optimal bins under a trend constraint.

Conventions (1 = bad):

* ``WoE = ln(share of goods in the bin / share of bads in the bin)``: higher WoE = safer.
* ``IV = sum over bins of (share of goods - share of bads) * WoE``.
* A bin with no goods or no bads (possible only for the missing and special-value bins) gets
  0.5 added to both its counts before its WoE is taken (the Haldane correction), so WoE stays
  finite. A bin that holds no rows at fit time has WoE 0 (the population average).

How a numeric feature is binned: values are cut into ``n_prebins`` quantile slices, then the
slices are grouped into at most ``max_bins`` contiguous bins, each holding at least
``min_bin_share`` of the rows and both goods and bads, maximising the IV exactly by dynamic
programming (:mod:`riskkit.credit._optimal_bins`) while the bad rate follows the trend. With
the default ``min_bin_share="auto"`` each bin also holds at least 3 bads and 3 goods (the
threshold of the validation's sparse-bin check, so no bin's WoE rests on one or two rows;
fewer only when the whole sample has fewer).

Where a bin edge can sit (the default ``n_prebins="auto"``): below 20,000 rows the grid has
``n // 2`` slices, clipped to 50..200 (two rows per slice up to 400 rows, four at 800), so an
edge falls near where the risk changes, not at the nearest of 50 quantiles. At 800 rows a
50-quantile slice is 16 rows while a bin may be 42: German credit's amounts hold a low-risk
pocket of about 42 rows at 3,554-3,913 (3-4 bads where 12 are expected) that the coarse grid
blurs into its neighbours. The dynamic programme's cost grows with the square of the slices:
400 slices gained German another 0.001 but made a 20-feature fit at 3,000 rows 3.6 times
slower (0.97 s, as slow as optbinning), 200 slices cost 1.6 times (0.42 s). From 20,000 rows
(the size from which the permutation test also takes fewer draws) the grid is 50 slices; the
finer grid gained nothing measurable at 10,000 synthetic rows (hold-out AUC 0.8291 against
0.8298). The ``"auto"`` trend is chosen on at most 50 slices pooled from the grid (neighbours
pooled to equal size), then the chosen trend's cut points come from every slice: on the fine
grid the freedom to put a turning point anywhere lets noise pay the BIC price (a weak monotone
driver at 2,100 rows got a turn in 10 of 40 samples instead of 5). Together with the 3-bad
rule (5 before) this took the default scorecard on German credit's 5-fold CV from 0.0015 below
optbinning to 0.0016 above (20 CV seeds, mean over 4 binner seeds; ``benchmarks/
bench_scorecard.py --german-seeds 20 --binner-seeds 4``).

Bins that adapt to the sample (the defaults ``max_bins="auto"``, ``min_bin_share="auto"``): with
``n`` training rows, at most ``round(4 * log10(n) - 4)`` bins (clipped to 4..20: 8 at 1,000
rows, 12 at 10,000, 16 at 100,000, 20 from about 300,000) of at least ``1.5 * sqrt(n)`` rows
each (a share of ``1.5 / sqrt(n)`` clipped to 1%..5%). A bin's WoE has a standard error of about
``1 / sqrt(bads in the bin)``, so letting the bin size grow like ``sqrt(n)`` keeps that error
shrinking while the bins get finer and follow a smooth risk curve more closely.

Significance (``permutations``): an IV-maximising binning finds IV in pure noise (about 0.1 on
500 rows), so each feature also gets a permutation p-value, ``pvalue_``: the probability that
the binning procedure (trend choice included), run on the same counts with the target
shuffled, reaches the observed IV. The test runs that procedure on coarse pre-bins: the
feature's deciles (its ``n_prebins`` pre-bins pooled into 10 neighbouring groups of equal
size; categories pooled the same way in bad-rate order), or fewer when the rarer class has
fewer than 200 rows (about 20 of them per test pre-bin, at least 5 pre-bins). Fewer candidate
cut points leave noise far less IV to find, while a real risk trend loses little by being
measured on deciles, so the test gains power exactly where it lacked it: at 700 rows with
70 bads, a weak monotone driver (log-odds slope 0.35 per sd) reaches p <= 0.10 in 28 of 40
samples instead of 17, and noise in 2 of 40 instead of 4 (with the 199 draws below; the test
on 50 pre-bins had 59). The fitted bins still come from all ``n_prebins`` pre-bins.
Shuffling the target keeps each pre-bin's row count and the total of bads, so a shuffle is a multivariate hypergeometric draw of the bads per pre-bin (plus
the missing and special bins), and re-binning costs one dynamic programme on those counts,
never a pass over the rows, and none at all when the shuffled pre-bins' own IV (an upper bound
on any grouping of them) falls short of the observed IV. Draws stop once ``h = (permutations + 1) / 20`` null IVs have
reached the observed one, the point where the p-value can no longer be 5% or less (Besag and
Clifford 1991, "Sequential Monte Carlo p-values", Biometrika 78(2): p = h/L when the h-th
exceedance comes at draw L, otherwise (exceedances + 1) / (permutations + 1)); pure noise
stops after a few draws. A feature whose IV is far beyond what
noise gives skips the draws: merging pre-bins never raises IV (IV is an f-divergence, so the
data-processing inequality holds), so under the null ``IV * B * G / N`` of the optimal bins is
at most that of the pre-bins themselves, approximately chi-square with ``cells - 1`` degrees of
freedom when every cell expects at least 5 bads; that chi-square tail is then the (conservative)
p-value. :class:`~riskkit.credit.Scorecard` drops features with p > 0.10 (still a valid
sequential p-value above 5%, only coarser: ``h / L`` with ``L`` the draw of the h-th exceedance). Bins are
half-open ``[lower, upper)``; the first starts at -inf and the last ends at +inf, so values
outside the training range fall into the end bins. Missing values have their own bin, and each
special value (a sentinel such as -999) its own bin.

A categorical feature (object, string, category or bool dtype) is grouped the same way after
ordering its categories by bad rate; categories rarer than ``rare_category_share`` are pooled
first into one "rare" group. A category is a group the application defines, not a cut point
chosen on the target, so with ``min_bin_share="auto"`` a categorical bin needs only half the
numeric share (never less than ``rare_category_share``): 2.5% of 800 rows instead of 5%. On
German credit this keeps ``other_debtors_or_guarantors`` apart (guarantors, about 5% of
applicants, are the lowest-risk group and co-applicants, about 4%, among the highest); at the
numeric share both had to merge into "none", and the feature lost its IV. Over 20 five-fold CV
seeds the default scorecard's AUC rose by 0.0014 (``benchmarks/bench_scorecard.py
--german-seeds 20``), with noise dropping and the synthetic AUCs unchanged. At transform time
an unseen category goes to the rare group's bin when there is one and otherwise to the missing
bin; a missing value goes to the missing bin.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import _check_feature_names_in

from riskkit._estimator import as_fit_frame, as_predict_frame, encode_binary_target
from riskkit._persistence import JSONPersistence, check_header, document_header, parse_document
from riskkit._validation import (
    check_fitted,
    check_frame,
    check_in_range,
    check_positive_int,
    check_same_length,
    short_repr,
)
from riskkit.credit._optimal_bins import optimal_partitions, partition_loglik
from riskkit.credit._sanity import SPARSE_MIN_COUNT
from riskkit.exceptions import ConfigError, DataError, DroppedFeatureWarning, ParameterError

__all__ = ["FORMAT", "FORMAT_VERSION", "TABLE_COLUMNS", "TRENDS", "WoEBinner"]

#: ``format`` and ``format_version`` of :meth:`WoEBinner.to_json` documents.
FORMAT = "riskkit.woe_binner"
FORMAT_VERSION = 1

logger = logging.getLogger(__name__)

#: Trend options of ``monotonic`` (the trend of the bad rate as the feature value increases).
TRENDS: tuple[str | None, ...] = ("auto", "ascending", "descending", "peak", "valley", None)
#: Columns of :meth:`WoEBinner.table`.
TABLE_COLUMNS: tuple[str, ...] = (
    "bin", "count", "count_share", "n_bad", "n_good", "bad_rate", "woe", "iv",
)
MISSING_LABEL = "Missing"
_SHAPES = ("ascending", "descending", "peak", "valley")
#: The significance test bins each feature from at most this many pre-bins (deciles of a
#: numeric feature; categories pooled in bad-rate order), whatever ``n_prebins`` is, and from
#: fewer when the rarer class has fewer than ``_TEST_PREBINS * _TEST_BADS_PER_PREBIN`` rows,
#: never fewer than ``_TEST_MIN_PREBINS`` (see the module notes and :func:`significance_prebins`).
_TEST_PREBINS = 10
_TEST_MIN_PREBINS = 5
_TEST_BADS_PER_PREBIN = 20
#: From this many rows, permutations="auto" makes 19 draws instead of 199 (see WoEBinner).
_FEW_DRAWS_FROM = 20_000
#: n_prebins="auto": a numeric feature of fewer than ``_FINE_BELOW`` rows gets ``n // 2``
#: quantile slices, at most ``_FINE_PREBINS``; larger samples and every categorical
#: feature get ``_COARSE_PREBINS``. The "auto" trend is always chosen on at most
#: ``_COARSE_PREBINS`` slices (see the module notes and :func:`auto_prebins`).
_FINE_PREBINS = 200
_FINE_BELOW = _FEW_DRAWS_FROM
_COARSE_PREBINS = 50
#: Numeric features of larger samples choose their cut points on every k-th row (at most this
#: many rows); the final bins' counts, WoE and IV always come from every row.
_SUBSAMPLE = 250_000


def _turn_penalty(n: float) -> float:
    """Log-likelihood gain a turning point (peak/valley) must earn: BIC for one parameter."""
    return 0.5 * math.log(n)


# --------------------------------------------------------------------------------------------
# fitted state of one feature
# --------------------------------------------------------------------------------------------
@dataclass
class FeatureBins:
    """The fitted bins of one feature.

    Bin codes run over the regular bins ``0 .. r-1``, then the missing bin ``r``, then one bin
    per special value ``r+1 ..``. ``n_bad``/``n_good`` are the training counts in that order.
    """

    name: str
    kind: str  # "numeric" | "categorical"
    trend: str | None
    labels: list[str]
    n_bad: np.ndarray
    n_good: np.ndarray
    edges: np.ndarray = field(default_factory=lambda: np.empty(0))
    categories: dict[str, int] = field(default_factory=dict)
    unseen_bin: int | None = None
    special_values: list[Any] = field(default_factory=list)
    pvalue: float | None = None

    @property
    def n_regular(self) -> int:
        return len(self.labels)

    @property
    def missing_code(self) -> int:
        return self.n_regular

    @property
    def all_labels(self) -> list[str]:
        return self.labels + [MISSING_LABEL] + [f"Special: {v!r}" for v in self.special_values]

    def woe(self, total_bad: float, total_good: float) -> np.ndarray:
        return _woe_iv(self.n_bad, self.n_good, total_bad, total_good)[0]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "kind": self.kind, "trend": self.trend, "labels": self.labels,
            "n_bad": self.n_bad.tolist(), "n_good": self.n_good.tolist(),
            "special_values": list(self.special_values),
        }
        if self.pvalue is not None:
            out["pvalue"] = self.pvalue
        if self.kind == "numeric":
            out["edges"] = self.edges.tolist()
        else:
            out["categories"] = dict(self.categories)
            out["unseen_bin"] = self.unseen_bin
        return out

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], where: str) -> FeatureBins:
        kind = _field(doc, "kind", where, str)
        if kind not in ("numeric", "categorical"):
            raise ConfigError(f"{where}.kind must be 'numeric' or 'categorical' (got {kind!r})")
        labels = [str(v) for v in _field(doc, "labels", where, list)]
        specials = list(_field(doc, "special_values", where, list))
        size = len(labels) + 1 + len(specials)
        n_bad = _count_array(doc, "n_bad", where, size)
        n_good = _count_array(doc, "n_good", where, size)
        trend = doc.get("trend")
        if trend not in TRENDS or trend == "auto":
            raise ConfigError(f"{where}.trend must be one of {list(_SHAPES) + [None]} (got {trend!r})")
        pvalue = doc.get("pvalue")
        if pvalue is not None and (isinstance(pvalue, bool) or not isinstance(pvalue, (int, float))
                                   or not 0.0 <= pvalue <= 1.0):
            raise ConfigError(f"{where}.pvalue must be a probability or absent (got {short_repr(pvalue)})")
        fb = cls(name=_field(doc, "name", where, str), kind=kind, trend=trend, labels=labels,
                 n_bad=n_bad, n_good=n_good, special_values=specials,
                 pvalue=None if pvalue is None else float(pvalue))
        if kind == "numeric":
            edges = np.asarray(_field(doc, "edges", where, list), dtype=float)
            if len(edges) != len(labels) - 1 or (len(edges) > 1 and np.any(np.diff(edges) <= 0)):
                raise ConfigError(
                    f"{where}.edges must be {len(labels) - 1} increasing numbers, one fewer than "
                    f"the labels (got {short_repr(edges.tolist())})"
                )
            fb.edges = edges
        else:
            cats = _field(doc, "categories", where, dict)
            if any(not isinstance(v, int) or not 0 <= v < size for v in cats.values()):
                raise ConfigError(f"{where}.categories must map category names to bin codes 0..{size - 1}")
            fb.categories = {str(k): int(v) for k, v in cats.items()}
            unseen = doc.get("unseen_bin")
            if unseen is not None and (not isinstance(unseen, int) or not 0 <= unseen < size):
                raise ConfigError(f"{where}.unseen_bin must be a bin code or null (got {unseen!r})")
            fb.unseen_bin = unseen
        return fb


def _field(doc: Any, key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    """``doc[key]`` checked for presence and type; ConfigError naming the field otherwise."""
    if not isinstance(doc, Mapping):
        raise ConfigError(f"{where} must be a JSON object (got {type(doc).__name__})")
    if key not in doc:
        raise ConfigError(f"{where} has no field {key!r}; the document is not a riskkit binning")
    value = doc[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        names = " or ".join(k.__name__ for k in kinds)
        raise ConfigError(
            f"{where}.{key} must be a {names} (got {type(value).__name__} {short_repr(value)})"
        )
    return value


def _count_array(doc: Mapping[str, Any], key: str, where: str, size: int) -> np.ndarray:
    values = _field(doc, key, where, list)
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.{key} must be a list of counts (got {short_repr(values)})") from None
    if arr.shape != (size,) or np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ConfigError(
            f"{where}.{key} must hold {size} non-negative counts, one per bin "
            f"(got {short_repr(values)})"
        )
    return arr


def _woe_iv(n_bad: np.ndarray, n_good: np.ndarray, total_bad: float, total_good: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """WoE and IV contribution per bin (Haldane correction for one-class bins, 0 for empty)."""
    b = np.asarray(n_bad, dtype=float)
    g = np.asarray(n_good, dtype=float)
    one_class = ((b == 0) | (g == 0)) & (b + g > 0)
    b_adj = np.where(one_class, b + 0.5, b)
    g_adj = np.where(one_class, g + 0.5, g)
    with np.errstate(divide="ignore", invalid="ignore"):
        pb = b_adj / total_bad
        pg = g_adj / total_good
        woe = np.where(b + g > 0, np.log(pg / pb), 0.0)
    iv = np.where(b + g > 0, (g / total_good - b / total_bad) * woe, 0.0)
    return woe, iv


# --------------------------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------------------------
class WoEBinner(JSONPersistence, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Weight-of-evidence binner with IV-optimal bins under a bad-rate trend constraint.

    Parameters
    ----------
    max_bins : int or "auto", default "auto"
        Most regular bins per feature (missing and special-value bins come on top); >= 2.
        ``"auto"``: ``round(4 * log10(n) - 4)`` clipped to 4..20 for ``n`` training rows (see
        the module notes).
    min_bin_share : float or "auto", default "auto"
        Least share of all rows in each regular bin, in (0, 0.5]. ``"auto"``: ``1.5 / sqrt(n)``
        clipped to [0.01, 0.05] for numeric features, and half that, at least
        ``rare_category_share``, for categorical ones; every bin then also needs 3 bads and 3
        goods (see the module notes). A number holds for every feature, with no count of bads
        or goods beyond one of each.
    monotonic : {"auto", "ascending", "descending", "peak", "valley", None} or mapping
        Trend of the bad rate over increasing feature values (so the WoE follows the reverse
        trend). ``"peak"`` rises then falls; ``"valley"`` falls then rises (U-shaped risk, e.g.
        age). ``"auto"`` picks per feature: the better of ascending/descending by IV, replaced
        by the better of peak/valley when that raises the binned log-likelihood by more than
        ``ln(n) / 2`` (the BIC price of one parameter, the turning point). ``None`` leaves bins unconstrained.
        A mapping gives a trend per feature name (others use "auto"). Categorical features
        are always ordered by bad rate, so their trend is ascending.
    special_values : sequence or mapping, optional
        Sentinel values (e.g. ``[-999]``) that get their own bins, for every feature, or a
        mapping from feature name to its sentinels.
    n_prebins : int or "auto", default "auto"
        Quantile slices (numeric) or most category groups the optimiser starts from.
        ``"auto"``: ``n // 2`` slices clipped to 50..200 below 20,000 rows, 50 from 20,000 rows,
        and at most 50 category groups (see the module notes). The ``"auto"`` trend is always
        chosen on at most 50 slices pooled from these.
    rare_category_share : float, default 0.01
        Categories holding a smaller share of rows are pooled into one rare group.
    permutations : int, "auto" or None, default "auto"
        Most target shuffles of the sequential permutation test behind ``pvalue_`` (the
        smallest p-value it can show is ``1 / (permutations + 1)``, unless the chi-square
        shortcut applies). ``"auto"``: 199 below 20,000 rows (stops at the tenth exceedance),
        19 from 20,000 rows (stops at the first): on large samples every real signal takes the
        chi-square shortcut, and the draws only have to turn noise away. On small samples the
        p-value of a weak real feature sits near the Scorecard's 10% screen, where 59 draws
        (stopping at the third exceedance) dropped a feature with a true p-value of 5% in 17%
        of fits (three exceedances within 29 draws); 199 draws drop it in 2.7% (ten within 99).
        None skips the test (``pvalue_`` is NaN).
    random_state : int, default 0
        Seed of the shuffles (the fit is deterministic for a given seed).

    Notes
    -----
    Fitted attributes: ``features_`` (kept feature names, input order), ``iv_`` (Series),
    ``pvalue_`` (Series, the permutation p-value of each feature's IV on the test's coarse
    pre-bins),
    ``max_bins_``/``min_bin_share_``/``min_category_share_``/``n_prebins_`` (the values used,
    after "auto"; ``min_category_share_`` for categorical features, ``n_prebins_`` the quantile
    slices of numeric ones),
    ``trend_`` (Series, the trend used per feature), ``n_bins_`` (Series, regular bins),
    ``dropped_`` (dict of dropped feature -> reason), ``bins_`` (dict of :class:`FeatureBins`),
    ``n_features_in_`` and, when fitted on a DataFrame, ``feature_names_in_``.

    A scikit-learn transformer: ``X`` may be a DataFrame or a 2-d array (columns named
    ``x0, x1, ...``), ``y`` any two labels (the greater, e.g. 1, is bad);
    :meth:`get_feature_names_out` names the WoE columns (the kept features) and
    ``set_output(transform="pandas")`` works. By default :meth:`transform` keeps the kind of
    its input (DataFrame in, DataFrame with the same index out; array in, float64 array out).
    Persist with :meth:`to_json` / :meth:`from_json` or :meth:`save` / :meth:`load`.

    Examples
    --------
    >>> from riskkit.credit import WoEBinner
    >>> from riskkit.data import synthetic_credit
    >>> X, y = synthetic_credit(n=1000, n_features=6, seed=0)
    >>> binner = WoEBinner(max_bins=5).fit(X, y)
    >>> binner.iv_.round(2).tolist()  # information value per feature, in column order
    [0.48, 0.48, 0.44, 0.34, 0.21, 0.09]
    >>> binner.table("income_02")[["bin", "count", "bad_rate", "woe"]].round(3)
                      bin  count  bad_rate    woe
    0     (-inf, 12208.6)     56     0.268 -1.116
    1  [12208.6, 20720.7)    199     0.181 -0.612
    2  [20720.7, 25316.7)    114     0.114 -0.072
    3  [25316.7, 42800.4)    303     0.092  0.163
    4      [42800.4, inf)    275     0.036  1.155
    5             Missing     53     0.094  0.140
    6              Totals   1000     0.107    NaN
    >>> binner.transform(X).shape
    (1000, 6)
    """

    def __init__(
        self,
        max_bins: int | str = "auto",
        *,
        min_bin_share: float | str = "auto",
        monotonic: str | None | Mapping[str, str | None] = "auto",
        special_values: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
        n_prebins: int | str = "auto",
        rare_category_share: float = 0.01,
        permutations: int | str | None = "auto",
        random_state: int = 0,
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.monotonic = monotonic
        self.special_values = special_values
        self.n_prebins = n_prebins
        self.rare_category_share = rare_category_share
        self.permutations = permutations
        self.random_state = random_state

    # ---------------------------------------------------------------- public API
    def fit(self, X: pd.DataFrame | np.ndarray, y: Any) -> WoEBinner:
        """Find the bins of every feature of ``X`` against the target ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features; numeric columns are cut into intervals, text, category and bool columns
            grouped. Arrays get the column names ``x0, x1, ...``.
        y : array-like of shape (n_samples,)
            Two classes, 0 = good and 1 = bad (or any two labels, the greater being bad).

        Returns
        -------
        WoEBinner
            ``self``, fitted.

        Raises
        ------
        ParameterError
            An invalid constructor parameter.
        DataError
            Empty, sparse or complex ``X``, non-string column names, a target without exactly
            two classes, or no feature that varies.
        """
        self._fit_codes(as_fit_frame(self, X), y)
        return self

    def fit_transform(self, X: pd.DataFrame | np.ndarray, y: Any = None, **fit_params: Any) -> pd.DataFrame | np.ndarray:
        """:meth:`fit`, then the WoE of ``X`` (computed in the same pass).

        Parameters
        ----------
        X, y
            As in :meth:`fit`.
        **fit_params
            Not used; present for scikit-learn's signature.

        Returns
        -------
        DataFrame or ndarray
            WoE of every kept feature: a DataFrame with the index of ``X`` for DataFrame input,
            a float64 array for array input.
        """
        frame = as_fit_frame(self, X)
        codes = self._fit_codes(frame, y)
        return _like_input(self._woe_frame(codes, frame.index), X)

    def transform(self, X: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
        """WoE of every kept feature, same index as ``X`` (see the module for unseen values).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            A DataFrame holding the fitted columns (looked up by name), or an array with the
            fitted columns in the fitted order.

        Returns
        -------
        DataFrame or ndarray
            For DataFrame input a DataFrame with the columns :meth:`get_feature_names_out` and
            the index of ``X``; for array input a float64 array with those columns (DataFrame
            in, DataFrame out; ``set_output(transform="pandas")`` always gives a DataFrame).

        Raises
        ------
        NotFittedError
            Called before :meth:`fit`.
        DataError
            A fitted column is missing or has another type than at fit time.
        """
        frame = as_predict_frame(self, X, "bins_")
        codes = self.transform_codes(frame)
        return _like_input(self._woe_frame(codes, frame.index), X)

    def transform_codes(self, X: pd.DataFrame | np.ndarray) -> dict[str, np.ndarray]:
        """Bin code of every row per kept feature (regular bins, then missing, then specials).

        Parameters
        ----------
        X : DataFrame or ndarray
            Rows to bin, with the fitted columns.

        Returns
        -------
        dict of str to ndarray
            Integer bin code per row, by kept feature.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        DataError
            When ``X`` lacks a fitted column or has another shape.
        """
        X = as_predict_frame(self, X, "bins_")
        X = _check_scoring_frame(X, self.features_)
        return {name: _codes(self.bins_[name], X[name]) for name in self.features_}

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the WoE columns :meth:`transform` returns: the kept features.

        Parameters
        ----------
        input_features : array-like of str, optional
            Names of the input columns; must match ``feature_names_in_`` when that is set.
            Defaults to the fitted names (``x0, x1, ...`` for array input).

        Returns
        -------
        ndarray of str
            One name per kept feature, in input order (dropped features have no column).

        Raises
        ------
        NotFittedError
            Called before :meth:`fit`.
        """
        check_fitted(self, "bins_")
        names = _check_feature_names_in(self, input_features)
        fitted = self._input_names()
        kept = set(self.features_)
        return np.asarray([str(n) for n, f in zip(names, fitted) if f in kept], dtype=object)

    def _input_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        return [f"x{i}" for i in range(self.n_features_in_)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing value has its own bin
        tags.input_tags.string = True  # text and category columns are binned as categories
        tags.input_tags.categorical = True
        tags.target_tags.required = True  # supervised: the bins maximise information value
        # the target is a two-class classification target (goods vs bads), as for a classifier
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    def table(self, feature: str) -> pd.DataFrame:
        """Binning table of one feature: one row per bin plus a Totals row.

        Columns: bin, count, count_share, n_bad, n_good, bad_rate, woe, iv.

        Parameters
        ----------
        feature : str
            A kept (binned) feature.

        Returns
        -------
        DataFrame
            One row per bin (regular bins, Missing, specials) and a Totals row.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ParameterError
            When ``feature`` was not binned (unknown or dropped).
        """
        check_fitted(self, "bins_")
        if feature not in self.bins_:
            hint = (f"it was dropped ({self.dropped_[feature]})" if feature in self.dropped_
                    else f"fitted features are {short_repr(self.features_, 120)}")
            raise ParameterError(f"feature has no binning (got feature={feature!r}); {hint}")
        fb = self.bins_[feature]
        woe, iv = _woe_iv(fb.n_bad, fb.n_good, self.total_bad_, self.total_good_)
        count = fb.n_bad + fb.n_good
        n = self.total_bad_ + self.total_good_
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(count > 0, fb.n_bad / count, np.nan)
        rows = pd.DataFrame({
            "bin": fb.all_labels, "count": count.astype(np.int64), "count_share": count / n,
            "n_bad": fb.n_bad.astype(np.int64), "n_good": fb.n_good.astype(np.int64),
            "bad_rate": rate, "woe": woe, "iv": iv,
        })
        totals = pd.DataFrame({
            "bin": ["Totals"], "count": [int(count.sum())], "count_share": [count.sum() / n],
            "n_bad": [int(fb.n_bad.sum())], "n_good": [int(fb.n_good.sum())],
            "bad_rate": [fb.n_bad.sum() / count.sum()], "woe": [np.nan], "iv": [iv.sum()],
        })
        return pd.concat([rows, totals], ignore_index=True)[list(TABLE_COLUMNS)]

    def woe_table(self, feature: str) -> np.ndarray:
        """WoE per bin code of one feature (regular bins, missing, specials).

        Parameters
        ----------
        feature : str
            A kept (binned) feature.

        Returns
        -------
        ndarray
            WoE indexed by the bin codes of :meth:`transform_codes`.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        """
        check_fitted(self, "bins_")
        return self.bins_[feature].woe(self.total_bad_, self.total_good_)

    def summary(self) -> pd.DataFrame:
        """One row per input feature: kind, trend, regular bins, IV, p-value and the drop reason."""
        check_fitted(self, "bins_")
        rows = [{"feature": f, "kind": self.bins_[f].kind, "trend": self.bins_[f].trend,
                 "n_bins": self.bins_[f].n_regular, "iv": self.iv_[f],
                 "pvalue": self.pvalue_[f], "dropped": ""}
                for f in self.features_]
        rows += [{"feature": f, "kind": "", "trend": None, "n_bins": 0, "iv": np.nan,
                  "pvalue": np.nan, "dropped": why} for f, why in self.dropped_.items()]
        return pd.DataFrame(rows).set_index("feature")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the fitted bins (see :meth:`from_dict`)."""
        check_fitted(self, "bins_")
        params = self.get_params()
        if isinstance(params["special_values"], Mapping):
            params["special_values"] = {k: list(v) for k, v in params["special_values"].items()}
        elif params["special_values"] is not None:
            params["special_values"] = list(params["special_values"])
        if isinstance(params["monotonic"], Mapping):
            params["monotonic"] = dict(params["monotonic"])
        return {
            "params": params,
            "input_features": self._input_names(),
            "input_named": getattr(self, "feature_names_in_", None) is not None,
            "total_bad": self.total_bad_, "total_good": self.total_good_,
            "features": [self.bins_[f].to_dict() for f in self.features_],
            "dropped": dict(self.dropped_),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], where: str = "binner") -> WoEBinner:
        """Rebuild a fitted binner from :meth:`to_dict` output; malformed input -> ConfigError.

        Parameters
        ----------
        doc : mapping
            The :meth:`to_dict` document.
        where : str, default "binner"
            Where the document sits, for error messages.

        Returns
        -------
        WoEBinner
            The fitted binner.

        Raises
        ------
        ConfigError
            When a field is missing, has the wrong type or an impossible value.
        """
        params = _field(doc, "params", where, dict)
        try:
            binner = cls(**params)
        except TypeError as exc:
            raise ConfigError(f"{where}.params has an unknown parameter ({exc})") from None
        binner.total_bad_ = float(_field(doc, "total_bad", where, (int, float)))
        binner.total_good_ = float(_field(doc, "total_good", where, (int, float)))
        if binner.total_bad_ <= 0 or binner.total_good_ <= 0:
            raise ConfigError(f"{where}.total_bad and total_good must be positive counts")
        feats = _field(doc, "features", where, list)
        bins = [FeatureBins.from_dict(f, f"{where}.features[{i}]") for i, f in enumerate(feats)]
        if not bins:
            raise ConfigError(f"{where}.features is empty; a fitted binner has at least one feature")
        binner.bins_ = {fb.name: fb for fb in bins}
        binner.dropped_ = {str(k): str(v) for k, v in _field(doc, "dropped", where, dict).items()}
        try:
            binner._check_params()
        except ParameterError as exc:
            raise ConfigError(f"{where}.params is invalid: {exc}") from None
        binner.max_bins_, binner.min_bin_share_ = auto_bins(
            int(binner.total_bad_ + binner.total_good_), binner.max_bins, binner.min_bin_share)
        binner.min_category_share_ = category_share(binner.min_bin_share, binner.min_bin_share_,
                                                    binner.rare_category_share)
        binner.n_prebins_ = auto_prebins(int(binner.total_bad_ + binner.total_good_), binner.n_prebins)
        inputs = doc.get("input_features", list(binner.bins_) + list(binner.dropped_))
        if not isinstance(inputs, list) or not set(binner.bins_) <= set(map(str, inputs)):
            raise ConfigError(f"{where}.input_features must list every binned feature (got {short_repr(inputs)})")
        binner.n_features_in_ = len(inputs)
        if doc.get("input_named", True):
            binner.feature_names_in_ = np.asarray([str(n) for n in inputs], dtype=object)
        binner._set_summaries()
        return binner

    def to_json(self, *, indent: int | None = None) -> str:
        """The fitted binner as a versioned JSON document (``"format": "riskkit.woe_binner"``).

        Parameters
        ----------
        indent : int, optional
            Indentation of the JSON text (None writes one line).

        Returns
        -------
        str
            The document; :meth:`from_json` reads it back.

        Raises
        ------
        NotFittedError
            Called before :meth:`fit`.
        """
        check_fitted(self, "bins_")
        return json.dumps({**document_header(FORMAT, FORMAT_VERSION), **self.to_dict()}, indent=indent)

    @classmethod
    def from_json(cls, document: str | bytes | Mapping[str, Any]) -> WoEBinner:
        """Rebuild a fitted binner from :meth:`to_json` output.

        Parameters
        ----------
        document : str, bytes or mapping
            The JSON text (or its parsed object).

        Returns
        -------
        WoEBinner
            Fitted; transforms exactly as the binner that wrote the document.

        Raises
        ------
        ConfigError
            Not JSON, another format, a newer format version, or a malformed field.
        """
        doc = parse_document(document, "WoEBinner")
        check_header(doc, FORMAT, FORMAT_VERSION, "WoE binner")
        return cls.from_dict(doc, "document")

    # ---------------------------------------------------------------- fitting
    def _check_params(self) -> None:
        if not _is_auto(self.max_bins):
            check_positive_int(self.max_bins, "max_bins", minimum=2,
                               hint="a feature needs at least two bins to rank risk, or use 'auto'")
        if isinstance(self.min_bin_share, str) and self.min_bin_share != "auto":
            raise ParameterError(
                f"min_bin_share must be a share of rows in (0, 0.5] or 'auto' (got "
                f"min_bin_share={self.min_bin_share!r}); 'auto' scales it with the sample size"
            )
        if not _is_auto(self.min_bin_share):
            check_in_range(self.min_bin_share, "min_bin_share", 0.0, 0.5, low_open=True,
                           hint="use a share of rows such as 0.05 (5%), or 'auto'")
        if self.permutations is not None and not _is_auto(self.permutations):
            check_positive_int(self.permutations, "permutations", minimum=1,
                               hint="use e.g. 59, 'auto', or None to skip the test")
        check_positive_int(self.random_state, "random_state", minimum=0,
                           hint="use a non-negative integer seed")
        if not _is_auto(self.n_prebins):
            check_positive_int(self.n_prebins, "n_prebins", minimum=2, hint="use e.g. 100 or 'auto'")
        check_in_range(self.rare_category_share, "rare_category_share", 0.0, 0.5,
                       hint="use a share of rows such as 0.01 (1%)")
        if isinstance(self.monotonic, Mapping):
            for name, trend in self.monotonic.items():
                _check_trend(trend, f"monotonic[{name!r}]")
        else:
            _check_trend(self.monotonic, "monotonic")
        sv = self.special_values
        if sv is not None and (isinstance(sv, (str, bytes)) or not isinstance(sv, (Sequence, Mapping, np.ndarray))):
            raise ParameterError(
                f"special_values must be a list of sentinels or a mapping feature -> list "
                f"(got special_values={short_repr(sv)}); e.g. special_values=[-999]"
            )

    def _fit_codes(self, X: pd.DataFrame, y: Any) -> dict[str, np.ndarray]:
        """Fit on a frame from :func:`~riskkit._estimator.as_fit_frame`; the bin codes of X."""
        self._check_params()
        X = check_frame(X, "X")
        _check_columns(X)
        y_arr = encode_binary_target(y, "y", estimator="WoEBinner")[1]
        check_same_length(X, y_arr, "X", "y")
        kinds = {name: _kind(X[name], name) for name in X.columns}
        if isinstance(self.monotonic, Mapping):
            unknown = sorted(set(self.monotonic) - set(X.columns))
            if unknown:
                raise ParameterError(f"monotonic names features not in X (got {short_repr(unknown)})")
        bad = y_arr.astype(bool)
        self.total_bad_ = float(bad.sum())
        self.total_good_ = float(len(bad) - self.total_bad_)
        self.max_bins_, self.min_bin_share_ = auto_bins(len(bad), self.max_bins, self.min_bin_share)
        self.min_category_share_ = category_share(self.min_bin_share, self.min_bin_share_,
                                                  self.rare_category_share)
        self.n_prebins_ = auto_prebins(len(bad), self.n_prebins)
        self._rng = np.random.default_rng(self.random_state)
        if isinstance(self.permutations, str):  # "auto"
            self._draws = 199 if len(bad) < _FEW_DRAWS_FROM else 19
        else:
            self._draws = 0 if self.permutations is None else int(self.permutations)
        self._stride = -(-len(bad) // _SUBSAMPLE) if len(bad) > _SUBSAMPLE else 1
        sub_bad = float(bad[:: self._stride].sum())
        self._sub_totals = (sub_bad, float(len(bad[:: self._stride])) - sub_bad)
        bad_rows = np.flatnonzero(bad)
        self.bins_: dict[str, FeatureBins] = {}
        self.dropped_: dict[str, str] = {}
        codes: dict[str, np.ndarray] = {}
        for name in X.columns:
            fitted = self._fit_feature(name, kinds[name], X[name], bad, bad_rows)
            if fitted is None:
                continue
            self.bins_[name], codes[name] = fitted
        if not self.bins_:
            raise DataError(
                f"every feature of X is constant or all missing (got {short_repr(list(X.columns))}); "
                "pass features that vary"
            )
        self._set_summaries()
        return codes

    def _fit_feature(self, name: str, kind: str, column: pd.Series, bad: np.ndarray,
                     bad_rows: np.ndarray) -> tuple[FeatureBins, np.ndarray] | None:
        specials = self._specials_for(name)
        if kind == "numeric":
            values = _numeric_values(column, name)
            reason = _constant_reason(values)
            if reason is None:
                return self._fit_numeric(name, values, bad, bad_rows, specials)
        else:
            keys = _category_keys(column)
            reason = _constant_categorical_reason(keys)
            if reason is None:
                return self._fit_categorical(name, keys, bad, specials)
        self.dropped_[name] = reason
        warnings.warn(
            f"feature {name!r} dropped: it is {reason}; it carries no information",
            DroppedFeatureWarning, stacklevel=4,
        )
        return None

    def _specials_for(self, name: str) -> list[Any]:
        sv = self.special_values
        if sv is None:
            return []
        if isinstance(sv, Mapping):
            return list(sv.get(name, []))
        return list(sv)

    def _trend_for(self, name: str) -> str | None:
        if isinstance(self.monotonic, Mapping):
            return self.monotonic.get(name, "auto")
        return self.monotonic

    def _fit_numeric(self, name: str, x: np.ndarray, bad: np.ndarray, bad_rows: np.ndarray,
                     specials: list[Any]) -> tuple[FeatureBins, np.ndarray]:
        num_specials = [float(v) for v in specials if _is_number(v)]
        k = self._stride
        if k > 1:  # cut points from every k-th row (see _SUBSAMPLE)
            x_fit, bad_rows_fit = x[::k], np.flatnonzero(bad[::k])
            totals = self._sub_totals
        else:
            x_fit, bad_rows_fit, totals = x, bad_rows, (self.total_bad_, self.total_good_)
        candidates, pb, pg = _prebins(x_fit, bad_rows_fit, num_specials, self.n_prebins_)
        part = self._best_partition(name, pb, pg, numeric=True, totals=totals)
        cuts = part.cuts
        edges = candidates[np.asarray(cuts[1:-1], dtype=int) - 1]
        labels = _interval_labels(edges)
        groups = np.repeat(np.arange(len(cuts) - 1), np.diff(cuts))
        nb = np.bincount(groups, weights=pb, minlength=len(labels))
        ng = np.bincount(groups, weights=pg, minlength=len(labels))
        fb = FeatureBins(name=name, kind="numeric", trend=part.trend, labels=labels,
                         n_bad=np.empty(0), n_good=np.empty(0), edges=edges,
                         special_values=num_specials)
        codes = _numeric_codes(fb, x)
        tb, tg = _tail_counts(x_fit, bad_rows_fit, num_specials)
        fit_bad, fit_good = np.concatenate((nb, tb)), np.concatenate((ng, tg))
        if k > 1:
            size = len(labels) + 1 + len(num_specials)
            fb.n_bad = np.bincount(codes, weights=bad, minlength=size)
            fb.n_good = np.bincount(codes, minlength=size) - fb.n_bad
        else:
            fb.n_bad, fb.n_good = fit_bad, fit_good
        fb.pvalue = self._pvalue(name, pb, pg, tb, tg, numeric=True, totals=totals)
        return fb, codes

    def _fit_categorical(self, name: str, keys: pd.Categorical, bad: np.ndarray,
                         specials: list[Any]) -> tuple[FeatureBins, np.ndarray]:
        cats = [str(c) for c in keys.categories]
        codes_in = keys.codes
        ok = codes_in >= 0
        count = np.bincount(codes_in[ok], minlength=len(cats)).astype(float)
        n_bad_c = np.bincount(codes_in[ok], weights=bad[ok], minlength=len(cats))
        special_keys = [str(v) for v in specials]
        is_special = np.array([c in special_keys for c in cats], dtype=bool)
        n = self.total_bad_ + self.total_good_
        rare = (count / n < self.rare_category_share) & (count > 0) & ~is_special
        common = np.flatnonzero((count > 0) & ~rare & ~is_special)
        # pre-bins: common categories one each, rare ones pooled; sorted by bad rate
        members: list[list[int]] = [[int(c)] for c in common]
        if rare.any():
            members.append([int(c) for c in np.flatnonzero(rare)])
        pb = np.array([n_bad_c[m].sum() for m in members])
        pg = np.array([count[m].sum() for m in members]) - pb
        order = np.lexsort((np.arange(len(members)), pb / np.maximum(pb + pg, 1)))
        raw_pb, raw_pg = pb, pg
        members = [members[i] for i in order]
        pb, pg = pb[order], pg[order]
        cap = auto_prebins(int(n), self.n_prebins, numeric=False)
        members, pb, pg = _cap_prebins(members, pb, pg, cap)
        totals = (self.total_bad_, self.total_good_)
        part = self._best_partition(name, pb, pg, numeric=False, totals=totals)
        cuts = part.cuts
        groups = [sorted(c for m in members[a:b] for c in m) for a, b in zip(cuts[:-1], cuts[1:])]
        mapping: dict[str, int] = {}
        labels = []
        rare_set = set(np.flatnonzero(rare).tolist())
        unseen_bin = None
        for g, cat_ids in enumerate(groups):
            labels.append(", ".join(cats[c] for c in cat_ids))
            for c in cat_ids:
                mapping[cats[c]] = g
                if c in rare_set:
                    unseen_bin = g
        r = len(labels)
        for k, key in enumerate(special_keys):
            mapping[key] = r + 1 + k
        fb = FeatureBins(name=name, kind="categorical", trend=part.trend, labels=labels,
                         n_bad=np.empty(0), n_good=np.empty(0), categories=mapping,
                         unseen_bin=unseen_bin, special_values=special_keys)
        codes = _categorical_codes(fb, keys)
        size = r + 1 + len(special_keys)
        fb.n_bad = np.bincount(codes, weights=bad, minlength=size)
        fb.n_good = np.bincount(codes, minlength=size) - fb.n_bad
        fb.pvalue = self._pvalue(name, raw_pb, raw_pg, fb.n_bad[r:], fb.n_good[r:],
                                 numeric=False, totals=totals)
        return fb, codes

    def _test_iv(self, name: str, pb: np.ndarray, pg: np.ndarray, *, numeric: bool,
                 totals: tuple[float, float], cap: int) -> float:
        """IV of the regular bins the significance test's procedure finds (see the module notes).

        Numeric ``pb``/``pg`` are the pre-bins in value order; categorical ones the unsorted
        category groups, sorted here by bad rate. Either way they are pooled into at most
        ``cap`` neighbouring groups of equal size before the dynamic programme.
        """
        if not numeric:
            order = np.lexsort((np.arange(len(pb)), pb / np.maximum(pb + pg, 1)))
            pb, pg = pb[order], pg[order]
        cpb, cpg = _pool_counts(pb, pg, cap)
        iv = self._best_partition(name, cpb, cpg, numeric=numeric, totals=totals, log=False).iv
        return iv if np.isfinite(iv) else 0.0

    def _pvalue(self, name: str, pb: np.ndarray, pg: np.ndarray, tb: np.ndarray,
                tg: np.ndarray, *, numeric: bool, totals: tuple[float, float]) -> float | None:
        """Permutation p-value of the feature's test IV (see the module notes); None when off.

        ``pb``/``pg`` are the pre-bins the bins were chosen from (numeric: in value order;
        categorical: the category groups, unsorted), ``tb``/``tg`` the missing and special
        bins; ``totals`` = (bads, goods) of the rows the bins were chosen on.
        """
        if self.permutations is None:
            return None
        draws = self._draws
        B, G = totals
        cap = significance_prebins(min(B, G))
        if numeric:  # pooled once: in value order the test's groups do not depend on the target
            pb, pg = _pool_counts(pb, pg, cap)
        observed = (self._test_iv(name, pb, pg, numeric=numeric, totals=totals, cap=cap)
                    + float(_woe_iv(tb, tg, B, G)[1].sum()))
        counts = np.concatenate((pb + pg, tb + tg)).astype(np.int64)
        keep = counts > 0
        counts = counts[keep]
        m = int(keep[: len(pb)].sum())
        if counts.size < 2:
            return 1.0
        N = B + G
        if counts.min() * B / N >= 5.0:
            bound = float(chi2.sf(observed * B * G / N, counts.size - 1))
            if bound < 1.0 / (draws + 1):
                return bound
        regular_mask = keep[: len(pb)]
        h = max(1, round((draws + 1) / 20))
        hits = 0
        for draw in range(1, draws + 1):
            bads = self._rng.multivariate_hypergeometric(counts, int(B)).astype(float)
            goods = counts - bads
            nb, ng = bads[:m], goods[:m]
            tail = float(_woe_iv(bads[m:], goods[m:], B, G)[1].sum())
            # grouping never raises IV: when the shuffled pre-bins themselves fall short of the
            # observed IV, so does every binning of them (no dynamic programme needed)
            if (nb > 0).all() and (ng > 0).all():
                ceiling = float(((ng / G - nb / B) * np.log((ng / G) / (nb / B))).sum())
                if ceiling + tail < observed - 1e-12:
                    continue
            if numeric:
                iv_reg = self._test_iv(name, nb, ng, numeric=True, totals=totals, cap=cap)
            else:
                full_b = np.zeros(len(pb))
                full_g = np.zeros(len(pb))
                full_b[regular_mask], full_g[regular_mask] = nb, ng
                iv_reg = self._test_iv(name, full_b, full_g, numeric=False, totals=totals,
                                       cap=cap)
            if iv_reg + tail >= observed - 1e-12:
                hits += 1
                if hits == h:
                    return h / draw
        return (hits + 1) / (draws + 1)

    def _best_partition(self, name: str, pb: np.ndarray, pg: np.ndarray, *, numeric: bool,
                        totals: tuple[float, float], log: bool = True) -> Any:
        trend = self._trend_for(name) if numeric else "ascending"
        n = totals[0] + totals[1]
        share = self.min_bin_share_ if numeric else self.min_category_share_
        # "auto" sizes ask every bin for SPARSE_MIN_COUNT bads and goods; one bin of all rows
        # always stays valid
        least = SPARSE_MIN_COUNT if isinstance(self.min_bin_share, str) else 1
        min_class = min(least, totals[0], totals[1])
        common: dict[str, Any] = dict(total_bad=totals[0], total_good=totals[1],
                                      min_count=share * n, max_bins=self.max_bins_,
                                      min_class=min_class)
        if trend != "auto":
            return optimal_partitions(pb, pg, trends=(trend,), **common)[trend]
        # the trend is chosen on at most _COARSE_PREBINS slices: on a finer grid the freedom to
        # place a turning point anywhere lets noise pay the BIC price (see the module notes)
        cpb, cpg = _pool_counts(pb, pg, _COARSE_PREBINS)
        parts = optimal_partitions(cpb, cpg, trends=_SHAPES, **common)
        mono = max(("ascending", "descending"), key=lambda t: _iv_or_neg(parts.iv(t)))
        turn = max(("peak", "valley"), key=lambda t: _iv_or_neg(parts.iv(t)))
        gain = (partition_loglik(cpb, cpg, parts[turn].cuts)
                - partition_loglik(cpb, cpg, parts[mono].cuts))
        chosen = turn if gain > _turn_penalty(n) else mono
        if log:
            logger.debug("feature %s: trend %s (log-likelihood gain of %s: %.2f)", name, chosen, turn, gain)
        if len(cpb) < len(pb):  # the cut points of that trend come from every slice
            return optimal_partitions(pb, pg, trends=(chosen,), **common)[chosen]
        return parts[chosen]

    def _set_summaries(self) -> None:
        self.features_ = list(self.bins_)
        ivs = {f: float(_woe_iv(fb.n_bad, fb.n_good, self.total_bad_, self.total_good_)[1].sum())
               for f, fb in self.bins_.items()}
        self.iv_ = pd.Series(ivs, name="iv", dtype=float)
        self.trend_ = pd.Series({f: fb.trend for f, fb in self.bins_.items()}, name="trend", dtype=object)
        self.n_bins_ = pd.Series({f: fb.n_regular for f, fb in self.bins_.items()}, name="n_bins", dtype=np.int64)
        self.pvalue_ = pd.Series({f: np.nan if fb.pvalue is None else fb.pvalue
                                  for f, fb in self.bins_.items()}, name="pvalue", dtype=float)

    def _woe_frame(self, codes: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
        data = {f: gather(self.woe_table(f), codes[f]) for f in self.features_}
        return pd.DataFrame(data, index=index)


def gather(lut: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``lut[codes]`` for small-integer bin codes, fast.

    numpy's take converts narrow index types row by row inside its loop (about 6x slower than
    with native ``intp`` indices), so the codes are widened once first.
    """
    return np.take(lut, codes.astype(np.intp, copy=False))


def auto_bins(n: int, max_bins: int | str, min_bin_share: float | str) -> tuple[int, float]:
    """``max_bins`` and ``min_bin_share`` for ``n`` training rows, resolving ``"auto"``.

    ``"auto"`` bins: ``round(4 * log10(n) - 4)`` clipped to 4..20; ``"auto"`` share:
    ``1.5 / sqrt(n)`` clipped to [0.01, 0.05] (see the module notes).
    """
    n = max(int(n), 1)
    bins = (int(np.clip(round(4.0 * math.log10(n) - 4.0), 4, 20)) if isinstance(max_bins, str)
            else int(max_bins))
    share = (float(np.clip(1.5 / math.sqrt(n), 0.01, 0.05)) if isinstance(min_bin_share, str)
             else float(min_bin_share))
    return bins, share


def auto_prebins(n: int, n_prebins: int | str, *, numeric: bool = True) -> int:
    """Pre-bins for ``n`` training rows, resolving ``"auto"``: quantile slices of a numeric
    feature, or the most category groups of a categorical one (``numeric=False``).

    ``"auto"``: for a numeric feature ``n // 2`` clipped to 50..200 below 20,000 rows (two rows
    per slice up to 400 rows, so a bin edge can sit where the risk changes), 50 from 20,000
    rows; 50 category groups (see the module notes).
    """
    if not isinstance(n_prebins, str):
        return int(n_prebins)
    if not numeric or n >= _FINE_BELOW:
        return _COARSE_PREBINS
    return int(np.clip(int(n) // 2, _COARSE_PREBINS, _FINE_PREBINS))


def significance_prebins(minority: float) -> int:
    """Pre-bins of the significance test for ``minority`` rows of the rarer class (bads, mostly).

    About 20 of them per test pre-bin (a bad rate from 20 bads has a relative error near
    ``1 / sqrt(20)``, 22%), between 5 and 10 pre-bins: 10 from 200 bads on.
    """
    return int(np.clip(int(minority) // _TEST_BADS_PER_PREBIN, _TEST_MIN_PREBINS, _TEST_PREBINS))


def category_share(min_bin_share: float | str, share: float, rare_category_share: float) -> float:
    """Least share of rows in a categorical feature's bin, given the resolved numeric ``share``.

    With ``min_bin_share="auto"``: half the numeric share, never below ``rare_category_share``
    (see the module notes); an explicit ``min_bin_share`` holds for every feature.
    """
    if isinstance(min_bin_share, str):
        return max(float(rare_category_share), share / 2.0)
    return share


def _is_auto(value: Any) -> bool:
    """Whether a size parameter is the string "auto" (anything else is checked as a number)."""
    return isinstance(value, str) and value == "auto"


def _iv_or_neg(iv: float) -> float:
    return iv if np.isfinite(iv) else -np.inf


def _like_input(woe: pd.DataFrame, X: Any) -> pd.DataFrame | np.ndarray:
    """DataFrame in, DataFrame out; an array (or list) in, a float64 array out."""
    return woe if isinstance(X, (pd.DataFrame, pd.Series)) else woe.to_numpy(dtype=np.float64)


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _check_trend(trend: Any, name: str) -> None:
    if trend not in TRENDS:
        raise ParameterError(
            f"{name} must be one of {list(TRENDS)} (got {name}={short_repr(trend)}); "
            "'auto' picks the trend per feature"
        )


def _check_columns(X: pd.DataFrame) -> None:
    bad = [c for c in X.columns if not isinstance(c, str)]
    if bad:
        raise DataError(
            f"X column names must be strings (got {short_repr(bad)}); "
            "rename them, e.g. X.columns = X.columns.astype(str)"
        )
    if X.columns.has_duplicates:
        dup = X.columns[X.columns.duplicated()].tolist()
        raise DataError(f"X has duplicated column names (got {short_repr(dup)}); make them unique")


def _kind(column: pd.Series, name: str) -> str:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype) \
            or pd.api.types.is_object_dtype(dtype):
        return "categorical"
    raise DataError(
        f"feature {name!r} has an unsupported dtype (got {dtype}); use numbers, strings, "
        "booleans or pandas categories (convert dates to ages or durations first)"
    )


def _numeric_values(column: pd.Series, name: str) -> np.ndarray:
    if column.dtype == np.float64:
        # a column of a frame built from a 2-D array is a strided view: copy it to contiguous
        # memory once, so every pass below (codes, sorting, gathers) reads it sequentially
        values = np.ascontiguousarray(column.to_numpy())
    else:
        try:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise DataError(
                f"feature {name!r} must be numeric (got dtype {column.dtype}, values such as "
                f"{short_repr(column.dropna().head(3).tolist())}); it was numeric at fit time"
            ) from None
    if np.isinf(values).any():
        first = column.index[int(np.argmax(np.isinf(values)))]
        raise DataError(
            f"feature {name!r} has {int(np.isinf(values).sum())} infinite values (first at "
            f"index {first!r}); replace them with NaN (missing) or a special value"
        )
    return values


def _category_keys(column: pd.Series) -> pd.Categorical:
    """Categories keyed by their string form (so JSON round trips exactly)."""
    cat = pd.Categorical(column)
    keys = [str(c) for c in cat.categories]
    if len(set(keys)) == len(keys):
        # pandas accepts a list of new names; pandas-stubs only allows a mapping or a callable
        return cat.rename_categories(keys) if list(cat.categories) != keys else cat  # type: ignore[arg-type]
    return pd.Categorical(column.astype(object).where(column.notna(), None).map(
        lambda v: None if v is None else str(v)))


def _constant_reason(x: np.ndarray) -> str | None:
    if np.isnan(x).all():
        return "all missing"
    low, high = np.nanmin(x), np.nanmax(x)
    if low == high:
        return f"constant (every value is {float(low)!r})"
    return None


def _constant_categorical_reason(keys: pd.Categorical) -> str | None:
    used = np.unique(keys.codes[keys.codes >= 0])
    if used.size == 0:
        return "all missing"
    if used.size == 1:
        return f"constant (every value is {str(keys.categories[used[0]])!r})"
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and np.isfinite(float(v))


# --------------------------------------------------------------------------------------------
# numeric pre-binning and coding
# --------------------------------------------------------------------------------------------
def _prebins(x: np.ndarray, bad_rows: np.ndarray, specials: list[float], n_prebins: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quantile cut points of the regular values and the bads/goods per pre-bin.

    Pre-bin ``j`` is ``[e_{j-1}, e_j)`` (open ends at -inf/+inf). Sorting the column and its
    bad rows gives exact counts without coding every row (NaN sorts last).
    """
    values = np.sort(x)
    bads = np.sort(x[bad_rows])
    if specials:
        keep = ~np.isin(values, specials)
        values = values[keep]
        bads = bads[~np.isin(bads, specials)]
    n_reg = int(np.searchsorted(values, np.nan, side="left"))  # NaN sorts (and searches) last
    values = values[:n_reg]
    if n_reg == 0:
        return np.empty(0), np.zeros(1), np.zeros(1)
    pos = (np.arange(1, n_prebins) * n_reg) // n_prebins
    edges = values[pos]
    edges = edges[np.concatenate(([True], edges[1:] != edges[:-1])) & (edges > values[0])]
    total = np.diff(np.concatenate(([0], np.searchsorted(values, edges, side="left"), [n_reg])))
    n_bad_reg = int(np.searchsorted(bads, np.nan, side="left"))
    in_bad = np.diff(np.concatenate(
        ([0], np.searchsorted(bads[:n_bad_reg], edges, side="left"), [n_bad_reg])))
    return edges, in_bad.astype(float), (total - in_bad).astype(float)


def _numeric_codes(fb: FeatureBins, x: np.ndarray) -> np.ndarray:
    """Bin codes of numeric values: a running count of edges passed (fast for few edges).

    One vectorised comparison per edge beats a binary search per value up to dozens of edges
    (20 edges on 1,000,000 rows: 5 ms against 28 ms for ``np.searchsorted``).
    """
    dtype = np.uint8 if fb.n_regular + 1 + len(fb.special_values) < 256 else np.int32
    if len(fb.edges) <= 48:
        codes = np.zeros(x.shape[0], dtype=dtype)
        for e in fb.edges:
            np.add(codes, x >= e, out=codes, casting="unsafe")
    else:
        codes = np.searchsorted(fb.edges, x, side="right").astype(dtype)
    missing = np.isnan(x)
    if missing.any():
        codes[missing] = fb.missing_code
    for k, v in enumerate(fb.special_values):
        hit = x == v
        if hit.any():
            codes[hit] = fb.missing_code + 1 + k
    return codes


def _tail_counts(x: np.ndarray, bad_rows: np.ndarray, specials: list[float]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Bads and goods of the missing bin, then of each special-value bin."""
    xb = x[bad_rows]
    n_bad = [np.count_nonzero(np.isnan(xb))] + [np.count_nonzero(xb == v) for v in specials]
    n_all = [np.count_nonzero(np.isnan(x))] + [np.count_nonzero(x == v) for v in specials]
    b = np.asarray(n_bad, dtype=float)
    return b, np.asarray(n_all, dtype=float) - b


def _interval_labels(edges: np.ndarray) -> list[str]:
    bounds = [-np.inf, *edges.tolist(), np.inf]
    return [f"[{_fmt(a)}, {_fmt(b)})" if np.isfinite(a) else f"(-inf, {_fmt(b)})"
            for a, b in zip(bounds[:-1], bounds[1:])]


def _fmt(v: float) -> str:
    return "inf" if np.isinf(v) else f"{v:.6g}"


# --------------------------------------------------------------------------------------------
# categorical pre-binning and coding
# --------------------------------------------------------------------------------------------
def _pool_groups(pb: np.ndarray, pg: np.ndarray, cap: int) -> np.ndarray | None:
    """Group of each of the ordered pre-bins when neighbours are pooled into at most ``cap``
    groups of about equal size; None when there are ``cap`` or fewer already."""
    if len(pb) <= cap:
        return None
    share = np.cumsum(pb + pg) / (pb + pg).sum()
    group = np.minimum((share * cap - 1e-9).astype(int), cap - 1)
    return np.unique(group, return_inverse=True)[1]


def _pool_counts(pb: np.ndarray, pg: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Bads and goods of the groups of :func:`_pool_groups`."""
    group = _pool_groups(pb, pg, cap)
    if group is None:
        return pb, pg
    return np.bincount(group, weights=pb), np.bincount(group, weights=pg)


def _cap_prebins(members: list[list[int]], pb: np.ndarray, pg: np.ndarray, cap: int
                 ) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    """Pool neighbouring (in bad-rate order) pre-bins into at most ``cap`` groups of equal size."""
    group = _pool_groups(pb, pg, cap)
    if group is None:
        return members, pb, pg
    merged = [[c for i in np.flatnonzero(group == g) for c in members[i]] for g in range(group.max() + 1)]
    return merged, np.bincount(group, weights=pb), np.bincount(group, weights=pg)


def _categorical_codes(fb: FeatureBins, keys: pd.Categorical) -> np.ndarray:
    unseen = fb.unseen_bin if fb.unseen_bin is not None else fb.missing_code
    lut = np.array([fb.categories.get(str(c), unseen) for c in keys.categories] + [fb.missing_code],
                   dtype=np.int32)
    dtype = np.uint8 if lut.max(initial=0) < 256 else np.int32
    return lut.astype(dtype)[keys.codes]  # code -1 (missing) picks the last entry


def _check_scoring_frame(X: Any, features: list[str]) -> pd.DataFrame:
    X = check_frame(X, "X")
    missing = [f for f in features if f not in X.columns]
    if missing:
        raise DataError(
            f"X is missing {len(missing)} fitted feature column(s) (got no {short_repr(missing)}); "
            "pass every column the model was fitted on"
        )
    return X


def _codes(fb: FeatureBins, column: pd.Series) -> np.ndarray:
    if fb.kind == "numeric":
        if _kind(column, fb.name) != "numeric":
            raise DataError(
                f"feature {fb.name!r} must be numeric as at fit time (got dtype {column.dtype}); "
                "convert the column back to numbers"
            )
        return _numeric_codes(fb, _numeric_values(column, fb.name))
    return _categorical_codes(fb, _category_keys(column))
