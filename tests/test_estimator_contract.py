"""The scikit-learn estimator contract, checked by scikit-learn itself.

``parametrize_with_checks`` runs scikit-learn's own estimator checks (the ones
``check_estimator`` runs) over every riskkit estimator. A check riskkit does not pass by design
is listed in ``EXPECTED_FAILURES`` with the reason; scikit-learn then runs it as an expected
failure (xfail, not strict), so a change that makes it pass is visible but does not break.
Everything else must pass.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
import sklearn.exceptions
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

import riskkit.exceptions
from riskkit.credit import GradientBoostingPD, Scorecard, WoEBinner
from riskkit.data import german_credit
from riskkit.exceptions import DataError, NotFittedError, RiskkitError

_NAME_LOOKUP = (
    "columns are looked up by name: a DataFrame with the fitted columns in another order or with "
    "extra columns is scored as intended (applicant tables carry more columns than a model uses); "
    "missing columns raise DataError naming them, not scikit-learn's message"
)

_SEPARABLE = (
    "the check fits perfectly separable toy blobs (cluster_std=0.1); a WoE bin must hold both "
    "goods and bads (a one-class bin has infinite WoE), so no split exists, every feature has "
    "IV 0 and fit raises DataError ('no feature passed the selection'); credit data are never "
    "separable"
)

#: Small settings that keep the checks fast. GradientBoostingPD runs without early stopping:
#: the default holds out 20% of the rows, which the checks' 10-30-row data sets cannot spare
#: (fit then raises DataError, see tests/credit/test_boosting.py); every other parameter is
#: the default. The Scorecard runs without the permutation test of each feature's IV: on the
#: checks' 20-100-row toy sets no feature is significant at 5% (tested on realistic samples in
#: tests/credit/test_selection.py), so every check would stop at "no feature passed". For the
#: same reason it has an explicit ``min_bin_share``: the automatic one also asks 3 bads and 3
#: goods of every bin (tests/credit/test_binning.py), which the toy sets' 10-50 rows per class,
#: often in separated blobs, cannot give any split.
ESTIMATORS = [
    WoEBinner(),
    Scorecard(binner=WoEBinner(permutations=None, min_bin_share=0.05)),
    GradientBoostingPD(n_estimators=30, early_stopping_rounds=None),
]


def _expected_failed_checks(estimator: object) -> dict[str, str]:
    failures = {"check_dataframe_column_names_consistency": _NAME_LOOKUP}
    if isinstance(estimator, Scorecard):
        failures["check_classifiers_classes"] = _SEPARABLE
        failures["check_pipeline_consistency"] = _SEPARABLE
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", riskkit.exceptions.DroppedFeatureWarning)
        check(estimator)


#: API checks scikit-learn runs on its own estimators (sklearn/tests/test_common.py) that
#: parametrize_with_checks does not yield.
_API_CHECKS = [
    (est, check)
    for est in ESTIMATORS
    for check in (
        [estimator_checks.check_dataframe_column_names_consistency]
        + ([estimator_checks.check_transformer_get_feature_names_out,
            estimator_checks.check_transformer_get_feature_names_out_pandas,
            estimator_checks.check_set_output_transform,
            estimator_checks.check_set_output_transform_pandas,
            estimator_checks.check_global_output_transform_pandas]
           if isinstance(est, WoEBinner) else [])
    )
]


@pytest.mark.parametrize(("estimator", "check"), _API_CHECKS,
                         ids=[f"{type(e).__name__}-{c.__name__}" for e, c in _API_CHECKS])
def test_sklearn_api_checks(estimator, check, request):
    reason = _expected_failed_checks(estimator).get(check.__name__)
    if reason is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, raises=(AssertionError, ValueError), strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", riskkit.exceptions.DroppedFeatureWarning)
        check(type(estimator).__name__, clone(estimator))


# --------------------------------------------------------------------------- beyond the checks
def test_gradient_boosting_default_early_stopping_fails_only_on_tiny_data():
    """With the default early stopping (20% of rows held out, stratified) the only checks that
    fail are those whose 10-30-row data hold too few rows of one class to split off, and they
    fail with riskkit's DataError saying so, never with an XGBoost crash."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = estimator_checks.check_estimator(GradientBoostingPD(n_estimators=30), on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    assert len(results) > 50
    for r in failed:
        assert isinstance(r["exception"], DataError), (r["check_name"], r["exception"])
        assert "too few rows of its rarer class for an early-stopping split" in str(r["exception"])
    assert len(failed) <= 8


def test_expected_failures_stay_few():
    """The expected-failure list is short: one shared entry and two Scorecard-only ones."""
    lists = [_expected_failed_checks(e) for e in ESTIMATORS]
    assert sum(len(f) for f in lists) <= 5
    assert all(len(reason) > 60 for f in lists for reason in f.values())


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_every_estimator_clones(estimator):
    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    # nested estimators are cloned too, so compare their parameters, not their identity
    shallow = {k: v.get_params() if hasattr(v, "get_params") else v for k, v in estimator.get_params(deep=False).items()}
    cloned = {k: v.get_params() if hasattr(v, "get_params") else v for k, v in copy.get_params(deep=False).items()}
    assert cloned == shallow


def test_not_fitted_error_is_sklearns_and_a_riskkit_error():
    assert issubclass(NotFittedError, sklearn.exceptions.NotFittedError)
    assert issubclass(NotFittedError, RiskkitError)
    with pytest.raises(sklearn.exceptions.NotFittedError, match="Scorecard is not fitted yet"):
        Scorecard().predict_proba(pd.DataFrame({"a": [1.0]}))


@pytest.fixture(scope="module")
def german() -> tuple[pd.DataFrame, pd.Series]:
    return german_credit()


def test_grid_search_roc_auc_on_german_credit_gives_finite_scores(german):
    """The issue's reproduction: the scores were NaN and the first candidate 'won'."""
    X, y = german
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(Scorecard(), {"iv_min": [0.0, 0.02, 0.1]}, scoring="roc_auc", cv=cv,
                          error_score="raise")
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    # a scorecard on German credit has an out-of-sample AUC around 0.75-0.80 (published
    # logistic/WoE benchmarks); anything near 0.5 would mean the scorer saw the wrong column
    assert 0.70 < scores.max() < 0.90
    assert search.best_score_ == scores.max()


def test_default_scoring_is_accuracy(german):
    X, y = german
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(Scorecard(), {"C": [0.1, 1.0]}, cv=cv, error_score="raise").fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    card = search.best_estimator_
    # ClassifierMixin.score: mean accuracy, recomputed independently
    accuracy = float(np.mean(card.predict(X) == y.to_numpy()))
    assert card.score(X, y) == pytest.approx(accuracy, abs=1e-12)
    assert 0.7 < accuracy < 0.9  # 70% of German credit is good: a scorecard beats the base rate


@pytest.mark.parametrize("model", [Scorecard(), GradientBoostingPD(n_estimators=50, random_state=3)],
                         ids=lambda m: type(m).__name__)
def test_classifier_contract_on_german_credit(german, model):
    X, y = german
    fitted = clone(model).fit(X, y)
    assert is_classifier(fitted)
    np.testing.assert_array_equal(fitted.classes_, [0, 1])
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(X), (proba[:, 1] >= 0.5).astype(int))
    points = fitted.points(X)
    assert isinstance(points, pd.Series) and points.name == "points"
    pd.testing.assert_index_equal(points.index, X.index)
    # higher points = safer: points fall strictly as the PD rises
    order = np.argsort(proba[:, 1], kind="stable")
    assert np.all(np.diff(points.to_numpy()[order]) <= 1e-9)


def test_string_labels_follow_sklearn_classes(german):
    X, y = german
    labels = np.where(y.to_numpy() == 1, "bad", "good")  # sorted: classes_ = ['bad', 'good']
    card = Scorecard().fit(X, labels)
    np.testing.assert_array_equal(card.classes_, ["bad", "good"])
    # classes_[1] ('good') is the positive class, so its probability is column 1
    reference = Scorecard().fit(X, (labels == "good").astype(int))
    np.testing.assert_allclose(card.predict_proba(X), reference.predict_proba(X), rtol=0, atol=1e-12)


def test_woe_binner_set_output_feature_names_and_numpy_input(german):
    X, y = german
    numeric = X.select_dtypes("number")
    binner = WoEBinner().fit(numeric, y)
    names = binner.get_feature_names_out()
    assert list(names) == binner.features_
    out = binner.set_output(transform="pandas").transform(numeric)
    assert list(out.columns) == list(names)
    pd.testing.assert_index_equal(out.index, numeric.index)
    # the same values through numpy: columns x0..x{n-1}, identical WoE
    arr_binner = WoEBinner().fit(numeric.to_numpy(), y.to_numpy())
    assert list(arr_binner.get_feature_names_out()) == [
        f"x{i}" for i, c in enumerate(numeric.columns) if c in binner.features_]
    # array in, array out (float64), the same WoE values
    woe = arr_binner.transform(numeric.to_numpy())
    assert isinstance(woe, np.ndarray) and woe.dtype == np.float64
    np.testing.assert_array_equal(woe, out.to_numpy())
    with pytest.raises(DataError, match="X has 2 features, but WoEBinner is expecting 7 features"):
        arr_binner.transform(numeric.to_numpy()[:, :2])
    # in a pipeline with set_output, the WoE columns keep their names down the line
    pipe = make_pipeline(WoEBinner(), Scorecard()).set_output(transform="pandas")
    assert np.isfinite(pipe.fit(numeric, y).predict_proba(numeric)).all()


def test_sklearn_version_has_expected_failed_checks():
    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    assert (major, minor) >= (1, 6)


def test_var_model_clones() -> None:
    """VaRModel (fit on one return series, not an (X, y) estimator, so outside
    parametrize_with_checks) must clone like every estimator. It is being turned from a
    dataclass into an estimator in parallel; until that lands here the test skips."""
    from riskkit.market import VaRModel

    try:
        copy = clone(VaRModel(volatility="ewma", dist="t"))
    except Exception as exc:  # noqa: BLE001 - any failure of clone means "not yet clonable"
        pytest.skip(f"VaRModel does not clone yet ({type(exc).__name__}: {exc})")
    assert type(copy) is VaRModel
    assert copy.get_params() == VaRModel(volatility="ewma", dist="t").get_params()
