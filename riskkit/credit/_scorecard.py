"""Points scorecard: WoE binning, feature selection and a scikit-learn logistic regression.

Scaling (Siddiqi, *Credit Risk Scorecards*, 2006, ch. 6; points where higher = safer)::

    factor = pdo / ln(2)
    offset = base_score - factor * ln(base_odds)        # base_odds = good:bad odds at base_score
    score  = offset + factor * ln(odds good:bad) = offset - factor * (b0 + sum_j b_j * woe_j)

where ``b0 + sum_j b_j * woe_j`` is the fitted log-odds of *bad*. The points of bin ``i`` of
feature ``j`` are ``-factor * b_j * woe_ij + (offset - factor * b0) / p`` (the intercept is spread
evenly over the ``p`` features), so an applicant's score is the sum of their points.

Reason codes (adverse action): for each applicant, the features where they fall furthest below
the best points attainable for that feature (over bins seen at fit time), largest loss first.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression

from riskkit._estimator import as_fit_frame, as_predict_frame, encode_binary_target
from riskkit._persistence import JSONPersistence, check_header, document_header, parse_document
from riskkit._validation import (
    check_fitted,
    check_frame,
    check_in_range,
    check_positive_int,
    short_repr,
)
from riskkit.credit._binning import (
    WoEBinner,
    _check_scoring_frame,
    _codes,
    _numeric_codes,
    _numeric_values,
    gather,
)
from riskkit.credit._logistic import fit_logistic
from riskkit.credit._selection import (
    FeatureSelection,
    check_thresholds,
    correlation_from_chunks,
    select_from_iv,
)
from riskkit.exceptions import ConfigError, ConvergenceWarning, DataError, ParameterError

__all__ = ["FORMAT", "FORMAT_VERSION", "Scorecard"]

FORMAT = "riskkit.scorecard"
#: Version 2 adds ``classes`` and the input columns (``n_features_in``, ``feature_names_in``).
FORMAT_VERSION = 2
_CHUNK = 16_384
_STRIDED_BLOCK = 65_536
#: Features whose binner p-value exceeds this are dropped as not significant. A screening level
#: for prediction, not a 5% hypothesis test: at 0.05 the permutation test (whose null is the whole
#: IV-maximising binning) drops weak real features on small samples (German credit's age, the
#: weak drivers of ``synthetic_credit`` at 800 rows), while 0.10 still drops 94% of pure noise
#: in ``benchmarks/bench_selection.py`` (target 90%).
_MAX_PVALUE = 0.10


class Scorecard(JSONPersistence, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Logistic-regression scorecard on WoE features, scaled to points (higher = safer).

    Parameters
    ----------
    pdo : float, default 20
        Points that double the good:bad odds.
    base_score : float, default 600
        Score at which the good:bad odds equal ``base_odds``.
    base_odds : float, default 50
        Good:bad odds at ``base_score`` (50 means 50 goods per bad).
    binner : WoEBinner, optional
        Unfitted binner to clone and fit; default ``WoEBinner()``.
    iv_min, max_corr : float or None, default 0.02 and 0.7
        Feature selection (see :func:`riskkit.credit.select_features`); None switches a filter
        off. Before them, features whose permutation p-value (the binner's ``pvalue_``)
        exceeds 0.10 are dropped as not significant (a screening level for prediction); ``binner=WoEBinner(permutations=None)``
        switches that test off.
    C : float, default 0.3
        Inverse L2 regularisation strength of ``sklearn.linear_model.LogisticRegression``
        (the prior variance of each WoE coefficient). The WoE values are fitted on the same rows
        by an IV-maximising binning, so they overstate weak features on small samples; 0.3
        shrinks those more than scikit-learn's 1.0 (measured: +0.001 German credit 5-fold CV
        AUC over seeds 0-4, +0.0006 to +0.0008 on 800- and 3,000-row ``synthetic_credit``
        draws). The penalty is fixed while the likelihood grows with the rows, so its
        effect fades on large samples (no AUC change at 100,000 rows).
    max_iter : int, default 100
        Most Newton iterations of the solver. The WoE matrix is tall and narrow, so the
        L2-penalised likelihood scikit-learn's ``LogisticRegression(C=C)`` minimises is solved by
        Newton-Cholesky steps, one blocked pass over the rows each
        (:mod:`riskkit.credit._logistic`); ``estimator_`` is a scikit-learn model holding the
        solution.

    Notes
    -----
    Fitted attributes: ``binner_``, ``selection_`` (:class:`FeatureSelection` or None),
    ``features_``, ``coef_`` (Series), ``intercept_``, ``estimator_`` (the sklearn model),
    ``factor_``, ``offset_``, ``n_iter_`` (L-BFGS iterations), ``classes_``, ``n_features_in_`` and, when fitted on a DataFrame,
    ``feature_names_in_``.

    A scikit-learn binary classifier: :meth:`predict_proba`, :meth:`predict`,
    :meth:`decision_function` and ``score(X, y)`` (mean accuracy, as for every scikit-learn
    classifier), so ``GridSearchCV(Scorecard(), ..., scoring="roc_auc")`` works. The points
    are :meth:`points`. ``y`` is 0/1 with 1 = bad (any two labels work; the greater,
    ``classes_[1]``, is bad). Persist with :meth:`to_json` / :meth:`from_json` or
    :meth:`save` / :meth:`load`.

    Examples
    --------
    >>> from riskkit.credit import Scorecard, metrics
    >>> from riskkit.data import synthetic_credit
    >>> X, y = synthetic_credit(n=1000, n_features=6, seed=0)
    >>> card = Scorecard(pdo=20).fit(X, y)
    >>> card.points(X.head(3)).round(0).tolist()
    [545.0, 485.0, 514.0]
    >>> card.predict_proba(X.head(3))[:, 1].round(3).tolist()
    [0.119, 0.522, 0.285]
    >>> round(metrics.auc(y, card.predict_proba(X)[:, 1]), 2)
    0.85
    """

    def __init__(
        self,
        pdo: float = 20.0,
        *,
        base_score: float = 600.0,
        base_odds: float = 50.0,
        binner: WoEBinner | None = None,
        iv_min: float | None = 0.02,
        max_corr: float | None = 0.7,
        C: float = 0.3,
        max_iter: int = 100,
    ) -> None:
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.binner = binner
        self.iv_min = iv_min
        self.max_corr = max_corr
        self.C = C
        self.max_iter = max_iter

    # ---------------------------------------------------------------- fitting
    def fit(self, X: pd.DataFrame | np.ndarray, y: Any) -> Scorecard:
        """Bin ``X``, select features, fit the logistic regression on WoE, scale to points.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Applicant features (arrays get the column names ``x0, x1, ...``).
        y : array-like of shape (n_samples,)
            0 = good, 1 = bad (or any two labels, the greater being bad).

        Returns
        -------
        Scorecard
            ``self``, fitted.

        Raises
        ------
        ParameterError
            An invalid constructor parameter.
        DataError
            Unusable ``X``, a target without exactly two classes, or no feature left after
            selection.
        """
        self._check_params()
        X = check_frame(as_fit_frame(self, X), "X")
        classes, y_arr = encode_binary_target(y, "y", estimator="Scorecard")
        binner = WoEBinner() if self.binner is None else clone(self.binner)
        codes = binner._fit_codes(as_fit_frame(binner, X), y_arr)
        self.classes_ = classes
        luts = {f: binner.woe_table(f) for f in binner.features_}
        self.binner_ = binner
        self.selection_ = self._select(binner, codes, luts)
        features = self.selection_.selected if self.selection_ is not None else binner.features_
        if not features:
            raise DataError(
                f"no feature passed the selection among the {binner.n_features_in_} feature(s) of X "
                f"(iv_min={self.iv_min}, max_corr={self.max_corr}; "
                f"highest IV {binner.iv_.max():.4f}); lower iv_min or pass stronger features"
            )
        design = _woe_matrix([codes[f] for f in features], [luts[f] for f in features])
        del codes
        solution = fit_logistic(design, y_arr, C=self.C, max_iter=self.max_iter)
        if not solution.converged:
            warnings.warn(
                f"the logistic regression did not converge in max_iter={self.max_iter} Newton "
                "iterations; raise max_iter or check for separated classes",
                ConvergenceWarning, stacklevel=2,
            )
        self._set_model(features, solution.coef, solution.intercept)
        self.estimator_ = _rebuilt_estimator(self, solution.coef, solution.intercept)
        self.estimator_.n_iter_ = np.array([solution.n_iter])
        self.n_iter_ = int(solution.n_iter)
        return self

    def _check_params(self) -> None:
        check_in_range(self.pdo, "pdo", 0.0, np.inf, low_open=True, high_open=True,
                       hint="use the points that double the odds, e.g. 20")
        check_in_range(self.base_score, "base_score", -np.inf, np.inf, low_open=True,
                       high_open=True, hint="use a finite score such as 600")
        check_in_range(self.base_odds, "base_odds", 0.0, np.inf, low_open=True, high_open=True,
                       hint="use good:bad odds such as 50 (50 goods per bad)")
        check_in_range(self.C, "C", 0.0, np.inf, low_open=True, high_open=True,
                       hint="use a positive inverse regularisation strength such as 1.0")
        check_positive_int(self.max_iter, "max_iter", hint="use e.g. 100")
        check_thresholds(self.iv_min, self.max_corr)
        if self.binner is not None and not isinstance(self.binner, WoEBinner):
            raise ParameterError(
                f"binner must be a WoEBinner or None (got binner={short_repr(self.binner)}); "
                "pass e.g. WoEBinner(max_bins=6)"
            )

    def _select(self, binner: WoEBinner, codes: dict[str, np.ndarray],
                luts: dict[str, np.ndarray]) -> FeatureSelection | None:
        iv_min, max_corr = check_thresholds(self.iv_min, self.max_corr)
        if iv_min is None and max_corr is None and binner.pvalue_.isna().all():
            return None

        def correlation(cols: list[str]) -> pd.DataFrame:
            chunks = _woe_chunks([codes[c] for c in cols], [luts[c] for c in cols])
            return correlation_from_chunks(chunks, cols)

        return select_from_iv(binner.iv_, correlation, iv_min=iv_min, max_corr=max_corr,
                              pvalue=binner.pvalue_, max_pvalue=_MAX_PVALUE)

    def _set_model(self, features: list[str], coef: np.ndarray, intercept: float) -> None:
        self.features_ = list(features)
        self.coef_ = pd.Series(np.asarray(coef, dtype=float), index=self.features_, name="coef")
        self.intercept_ = float(intercept)
        self.factor_ = float(self.pdo) / math.log(2.0)
        self.offset_ = float(self.base_score) - self.factor_ * math.log(float(self.base_odds))
        p = len(self.features_)
        share = (self.offset_ - self.factor_ * self.intercept_) / p
        self._logit_luts = [self.coef_[f] * self.binner_.woe_table(f) for f in self.features_]
        self._points_luts = [-self.factor_ * lut + share for lut in self._logit_luts]

    # ---------------------------------------------------------------- scoring
    def points(self, X: pd.DataFrame | np.ndarray) -> pd.Series:
        """Points of every applicant (higher = safer), same index as ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            A DataFrame holding the scorecard's features (looked up by name; other columns are
            ignored), or an array with the fitted columns in the fitted order.

        Returns
        -------
        Series
            Named ``"points"``; the sum of the applicant's points per feature.

        Raises
        ------
        NotFittedError
            Called before :meth:`fit`.
        DataError
            A scorecard feature is missing or has another type than at fit time.
        """
        X = as_predict_frame(self, X, "coef_")
        total = self._accumulate(X, "_points_luts")
        return pd.Series(total, index=X.index, name="points")

    def decision_function(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Log-odds of bad, ``ln(PD / (1 - PD))``, shape (n_samples,).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            As in :meth:`points`.

        Returns
        -------
        ndarray of shape (n_samples,)

        Raises
        ------
        NotFittedError
            Called before :meth:`fit`.
        DataError
            As in :meth:`points`.
        """
        X = as_predict_frame(self, X, "coef_")
        return self._accumulate(X, "_logit_luts") + self.intercept_

    def predict_proba(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Probabilities, shape (n, 2): column 0 = good, column 1 = bad (default).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            As in :meth:`points`.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Columns in the order of ``classes_``.

        Raises
        ------
        NotFittedError
            Called before :meth:`fit`.
        DataError
            As in :meth:`points`.
        """
        p_bad = expit(self.decision_function(X))
        return np.column_stack((1.0 - p_bad, p_bad))

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Predicted class: ``classes_[1]`` (bad) where the PD exceeds 0.5 (log-odds > 0).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            As in :meth:`points`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.

        Raises
        ------
        NotFittedError
            Called before :meth:`fit`.
        DataError
            As in :meth:`points`.
        """
        bad = self.decision_function(X) > 0.0
        return self.classes_[bad.astype(int)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # a scorecard separates goods from bads
        tags.input_tags.allow_nan = True  # a missing value has its own bin
        tags.input_tags.string = True  # text and category columns are binned as categories
        tags.input_tags.categorical = True
        return tags

    def reason_codes(self, X: pd.DataFrame, k: int = 3) -> pd.DataFrame:
        """Top-``k`` adverse-action reasons per applicant.

        Columns ``reason_1, points_lost_1, ..., reason_k, points_lost_k``: the features where
        the applicant's points fall furthest below the best attainable for that feature, largest
        loss first. A feature on which the applicant already has the best points is never a
        reason (its slot holds None and 0.0).

        Parameters
        ----------
        X : DataFrame
            Applicants, with the scorecard's features.
        k : int, default 3
            Number of reasons per applicant (at most the number of features).

        Returns
        -------
        DataFrame
            One row per applicant, on the index of ``X``.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ParameterError
            When ``k`` is not a positive integer or exceeds the number of features.
        DataError
            When ``X`` lacks a scorecard feature.
        """
        X = as_predict_frame(self, X, "coef_")
        k = check_positive_int(k, "k", hint="ask for e.g. the top 3 reasons")
        if k > len(self.features_):
            raise ParameterError(
                f"k must be at most the number of scorecard features (got k={k} for "
                f"{len(self.features_)} features); ask for fewer reasons"
            )
        X = _check_scoring_frame(X, self.features_)
        lost = np.empty((X.shape[0], len(self.features_)))
        for j, (f, lut) in enumerate(zip(self.features_, self._points_luts)):
            best = self._best_points(f, lut)
            lost[:, j] = best - lut[_codes(self.binner_.bins_[f], X[f])]
        order = np.argsort(-lost, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(lost, order, axis=1)
        names = np.asarray(self.features_, dtype=object)[order]
        names[top <= 1e-9] = None
        top = np.where(top <= 1e-9, 0.0, top)
        data: dict[str, Any] = {}
        for r in range(k):
            data[f"reason_{r + 1}"] = names[:, r]
            data[f"points_lost_{r + 1}"] = top[:, r]
        return pd.DataFrame(data, index=X.index)

    def _best_points(self, feature: str, lut: np.ndarray) -> float:
        fb = self.binner_.bins_[feature]
        seen = (fb.n_bad + fb.n_good) > 0
        return float(lut[seen].max())

    def _accumulate(self, X: pd.DataFrame, which: str) -> np.ndarray:
        """Sum over features of a per-bin lookup (points or log-odds) for every row."""
        check_fitted(self, "coef_")
        luts: list[np.ndarray] = getattr(self, which)
        X = _check_scoring_frame(X, self.features_)
        total = np.zeros(X.shape[0])
        strided = []
        for f, lut in zip(self.features_, luts):
            fb = self.binner_.bins_[f]
            column = X[f]
            if fb.kind == "numeric" and column.dtype == np.float64:
                view = column.to_numpy()
                if not view.flags["C_CONTIGUOUS"]:
                    strided.append((fb, column, view, lut))
                    continue
            total += gather(lut, _codes(fb, column))
        if strided:
            _add_strided(total, strided)
        return total

    # ---------------------------------------------------------------- reporting
    def points_table(self) -> pd.DataFrame:
        """Points per bin: feature, bin, count, bad_rate, woe, coef, points."""
        check_fitted(self, "coef_")
        frames = []
        for f, lut in zip(self.features_, self._points_luts):
            table = self.binner_.table(f).iloc[:-1]
            frames.append(pd.DataFrame({
                "feature": f, "bin": table["bin"].to_numpy(), "count": table["count"].to_numpy(),
                "bad_rate": table["bad_rate"].to_numpy(), "woe": table["woe"].to_numpy(),
                "coef": self.coef_[f], "points": lut,
            }))
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """One row per scorecard feature: iv, coef, min/max points."""
        check_fitted(self, "coef_")
        rows = {f: {"iv": float(self.binner_.iv_[f]), "coef": float(self.coef_[f]),
                    "min_points": float(lut.min()), "max_points": float(lut.max())}
                for f, lut in zip(self.features_, self._points_luts)}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("feature")

    # ---------------------------------------------------------------- persistence
    def to_json(self, *, indent: int | None = None) -> str:
        """The fitted scorecard as a versioned JSON document (``"format": "riskkit.scorecard"``).

        Parameters
        ----------
        indent : int, optional
            Indentation of the JSON text (None writes one line).

        Returns
        -------
        str
            The document; :meth:`from_json` reads it back and scores bit for bit the same.

        Raises
        ------
        NotFittedError
            Called before :meth:`fit`.
        """
        check_fitted(self, "coef_")
        names = getattr(self, "feature_names_in_", None)
        doc = {
            **document_header(FORMAT, FORMAT_VERSION),
            "params": {k: v for k, v in self.get_params(deep=False).items() if k != "binner"},
            "binner": self.binner_.to_dict(),
            "features": self.features_,
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
            "classes": self.classes_.tolist(),
            "n_iter": int(self.n_iter_),
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": None if names is None else [str(n) for n in names],
        }
        return json.dumps(doc, indent=indent)

    @classmethod
    def from_json(cls, document: str | bytes | Mapping[str, Any]) -> Scorecard:
        """Load a scorecard written by :meth:`to_json` (format versions 1 and 2).

        Parameters
        ----------
        document : str, bytes or mapping
            The JSON text (or its parsed object).

        Returns
        -------
        Scorecard
            Fitted; ``selection_`` is None (the selection report is not stored).

        Raises
        ------
        ConfigError
            Not JSON, another format, a newer format version, or a malformed field.
        """
        doc = parse_document(document, "Scorecard")
        version = check_header(doc, FORMAT, FORMAT_VERSION, "scorecard")
        params = doc.get("params")
        if not isinstance(params, dict):
            raise ConfigError(f"document field 'params' must be an object (got {short_repr(params)})")
        try:
            card = cls(**params)
            card._check_params()
        except TypeError as exc:
            raise ConfigError(f"document field 'params' has an unknown parameter ({exc})") from None
        except ParameterError as exc:
            raise ConfigError(f"document field 'params' is invalid: {exc}") from None
        binner_doc: Any = doc.get("binner")  # unchecked JSON: from_dict validates it
        card.binner_ = WoEBinner.from_dict(binner_doc, "binner")
        features, coef, intercept = _model_fields(doc, card.binner_.features_)
        card.selection_ = None
        card._set_model(features, coef, intercept)
        card.estimator_ = _rebuilt_estimator(card, coef, intercept)
        card.n_iter_ = int(doc.get("n_iter", 0))
        _set_input_attributes(card, doc if version >= 2 else {})
        return card


def _set_input_attributes(card: Scorecard, doc: Mapping[str, Any]) -> None:
    """classes_, n_features_in_ and feature_names_in_ from a version-2 document (defaults
    for version 1: classes 0/1, the binner's input columns)."""
    classes = doc.get("classes", [0, 1])
    if not isinstance(classes, list) or len(classes) != 2 or classes[0] == classes[1]:
        raise ConfigError(f"document field 'classes' must be two distinct labels (got {short_repr(classes)})")
    card.classes_ = np.asarray(classes)
    binner = card.binner_
    card.n_features_in_ = int(doc.get("n_features_in", binner.n_features_in_))
    names = doc["feature_names_in"] if "feature_names_in" in doc else getattr(binner, "feature_names_in_", None)
    if names is not None:
        if len(names) != card.n_features_in_:
            raise ConfigError(
                f"document field 'feature_names_in' must hold n_features_in={card.n_features_in_} "
                f"names (got {short_repr(names)})"
            )
        card.feature_names_in_ = np.asarray([str(n) for n in names], dtype=object)


def _model_fields(doc: Mapping[str, Any], known: list[str]) -> tuple[list[str], np.ndarray, float]:
    features = doc.get("features")
    if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
        raise ConfigError(
            f"document field 'features' must be a non-empty list of names (got {short_repr(features)})"
        )
    unknown = [f for f in features if f not in known]
    if unknown:
        raise ConfigError(
            f"document field 'features' names features without bins (got {short_repr(unknown)}); "
            "the binner and the model disagree"
        )
    coef = doc.get("coef")
    if (not isinstance(coef, list) or len(coef) != len(features)
            or not all(_finite_number(c) for c in coef)):
        raise ConfigError(
            f"document field 'coef' must be {len(features)} finite numbers, one per feature "
            f"(got {short_repr(coef)})"
        )
    intercept = doc.get("intercept")
    if not _finite_number(intercept):
        raise ConfigError(f"document field 'intercept' must be a finite number (got {short_repr(intercept)})")
    return features, np.asarray(coef, dtype=float), float(intercept)


def _finite_number(v: Any) -> TypeGuard[float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _rebuilt_estimator(card: Scorecard, coef: np.ndarray, intercept: float) -> LogisticRegression:
    est = LogisticRegression(C=card.C, max_iter=card.max_iter)
    est.classes_ = np.array([0, 1])
    est.coef_ = coef[None, :].copy()
    est.intercept_ = np.array([intercept])
    est.n_features_in_ = len(coef)
    est.n_iter_ = np.array([0])
    return est


def _add_strided(total: np.ndarray, items: list[tuple[Any, pd.Series, np.ndarray, np.ndarray]]
                 ) -> None:
    """Add the points of numeric columns that are strided views (a frame built on one 2-D array).

    Copying such a column whole reads a cache line per value for every column in turn; in row
    blocks that fit in cache, each line is read once for all the columns together.
    """
    n = total.shape[0]
    for a in range(0, n, _STRIDED_BLOCK):
        part = total[a:a + _STRIDED_BLOCK]
        for fb, column, view, lut in items:
            x = np.ascontiguousarray(view[a:a + _STRIDED_BLOCK])
            if np.isinf(x).any():
                _numeric_values(column, fb.name)  # raises the DataError naming the first row
            part += gather(lut, _numeric_codes(fb, x))


def _woe_chunks(codes: list[np.ndarray], luts: list[np.ndarray]) -> Iterator[np.ndarray]:
    """Row blocks of the WoE matrix, built from bin codes (never the whole matrix at once)."""
    n = codes[0].shape[0]
    for a in range(0, n, _CHUNK):
        yield np.column_stack([gather(lut, c[a:a + _CHUNK]) for c, lut in zip(codes, luts)])


def _woe_matrix(codes: list[np.ndarray], luts: list[np.ndarray]) -> np.ndarray:
    """The C-ordered float64 WoE design matrix, filled block by block (cache friendly)."""
    n = codes[0].shape[0]
    out = np.empty((n, len(codes)))
    for a, block in zip(range(0, n, _CHUNK), _woe_chunks(codes, luts)):
        out[a:a + block.shape[0]] = block
    return out
