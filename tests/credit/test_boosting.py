"""GradientBoostingPD: agreement with plain XGBoost, explanations, persistence, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from scipy.special import expit, logit

from riskkit.credit import metrics
from riskkit.credit._boosting import GradientBoostingPD
from riskkit.data import german_credit
from riskkit.exceptions import (
    ConfigError,
    DataError,
    DroppedFeatureWarning,
    NotFittedError,
    ParameterError,
)


def _make(n: int = 3_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Risk rises with x, is U-shaped in age, depends on the region; 5% of x missing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    age = rng.uniform(18, 80, n)
    region = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])
    eta = -2.0 + 1.2 * x + 0.6 * ((age - 48) / 15) ** 2 + np.where(region == "east", 1.0, 0.0)
    y = (rng.uniform(size=n) < expit(eta)).astype(int)
    x[rng.uniform(size=n) < 0.05] = np.nan
    frame = pd.DataFrame({"x": x, "age": age, "region": pd.Categorical(region)})
    return frame, y


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return _make()


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.DataFrame, np.ndarray]) -> GradientBoostingPD:
    X, y = data
    return GradientBoostingPD(random_state=1).fit(X, y)


# ----------------------------------------------------------------------------- agreement
def test_matches_plain_xgboost_train(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    model = GradientBoostingPD(
        60, early_stopping_rounds=None, subsample=1.0, colsample_bytree=1.0, n_jobs=1
    ).fit(X, y)
    # Reference: xgboost.train on the same data with the same parameters (categories as codes).
    codes = X.assign(region=X["region"].cat.codes.astype(float))
    dtrain = xgb.DMatrix(codes, label=y, feature_types=["q", "q", "c"], enable_categorical=True)
    params = {
        "objective": "binary:logistic", "tree_method": "hist", "eta": 0.05, "max_depth": 5,
        "min_child_weight": 10.0, "lambda": 10.0, "seed": 0, "nthread": 1,
    }
    reference = xgb.train(params, dtrain, num_boost_round=60).predict(dtrain)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], reference, atol=1e-6)


def test_predict_proba_shape_and_early_stopping(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    model = GradientBoostingPD(refit=False, random_state=1).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    # early stopping kept the rounds up to the best validation loss, far fewer than the cap
    history = model.evals_result_
    assert model.best_iteration_ == int(history["valid_logloss"].idxmin())
    assert model.booster_.num_boosted_rounds() == model.best_iteration_ + 1 < 5000
    np.testing.assert_array_equal(model.predict(X), (proba[:, 1] >= 0.5).astype(int))


def test_refit_trains_on_all_rows(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    rounds = round(fitted.n_rounds_validated_ / 0.8)
    assert fitted.n_rounds_validated_ == int(fitted.evals_result_["valid_logloss"].idxmin()) + 1
    assert fitted.booster_.num_boosted_rounds() == rounds == fitted.best_iteration_ + 1
    # Reference: plain xgboost.train on every row for that many rounds, same parameters.
    codes = X.assign(region=X["region"].cat.codes.astype(float))
    dall = xgb.DMatrix(codes, label=y, feature_types=["q", "q", "c"], enable_categorical=True)
    params = {
        "objective": "binary:logistic", "eval_metric": "logloss", "tree_method": "hist", "eta": 0.05,
        "max_depth": 5, "min_child_weight": 10.0, "subsample": 0.8, "colsample_bytree": 0.6,
        "lambda": 10.0, "seed": 1, "nthread": 1,
    }
    reference = xgb.train(params, dall, num_boost_round=rounds).predict(dall)
    np.testing.assert_allclose(fitted.predict_proba(X)[:, 1], reference, atol=1e-6)


def test_discriminates_on_german_credit() -> None:
    X, y = german_credit()
    rng = np.random.default_rng(0)
    test = rng.uniform(size=len(X)) < 0.3
    model = GradientBoostingPD().fit(X[~test], y[~test])
    # Published gradient-boosting AUCs on German credit are about 0.75-0.80 (e.g. Lessmann et
    # al. 2015, EJOR 247(1), benchmark table); we require a margin below that on one split.
    assert metrics.auc(y[test], model.predict_proba(X[test])[:, 1]) > 0.72


def test_scikit_learn_cross_validation(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    X, y = data
    model = GradientBoostingPD(50, learning_rate=0.1, early_stopping_rounds=None)
    assert clone(model).get_params() == model.get_params()
    folds = cross_val_score(model, X, y, cv=3, scoring="roc_auc")
    # The same folds scored by hand with metrics.auc (an independent AUC implementation).
    from sklearn.model_selection import StratifiedKFold

    by_hand = [
        metrics.auc(y[te], clone(model).fit(X.iloc[tr], y[tr]).predict_proba(X.iloc[te])[:, 1])
        for tr, te in StratifiedKFold(3).split(X, y)
    ]
    np.testing.assert_allclose(folds, by_hand, atol=1e-12)


def test_monotone_constraint_by_name(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    model = GradientBoostingPD(300, monotone_constraints={"age": 1}, early_stopping_rounds=None).fit(X, y)
    grid = X.iloc[[0] * 50].copy()
    grid["age"] = np.linspace(18, 80, 50)
    pd_grid = model.predict_proba(grid)[:, 1]
    # age is U-shaped in truth; forced non-decreasing, PD can only rise along the grid
    assert np.all(np.diff(pd_grid) >= -1e-7)
    free = GradientBoostingPD(300, early_stopping_rounds=None).fit(X, y).predict_proba(grid)[:, 1]
    assert np.any(np.diff(free) < -1e-4)


def test_unseen_category_is_treated_as_missing(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    rows = X.iloc[:5].copy()
    unseen = rows.assign(region=pd.Categorical(["west"] * 5))
    missing = rows.assign(region=pd.Categorical([None] * 5, categories=["north"]))
    np.testing.assert_allclose(fitted.predict_proba(unseen), fitted.predict_proba(missing), atol=0)
    as_text = rows.assign(region=rows["region"].astype(object))
    np.testing.assert_allclose(fitted.predict_proba(as_text), fitted.predict_proba(rows), atol=0)


# ----------------------------------------------------------------------------- explanations
def test_contributions_sum_to_margin(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    contrib = fitted.contributions(X.iloc[:200])
    assert list(contrib.columns) == ["x", "age", "region", "bias"]
    margin = logit(fitted.predict_proba(X.iloc[:200])[:, 1])
    # Tree SHAP is additive (Lundberg et al. 2020): contributions sum to the log-odds; float32.
    np.testing.assert_allclose(contrib.sum(axis=1), margin, atol=1e-4)


def test_reason_codes_are_largest_positive_contributions(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    rows = X.iloc[:100]
    reasons = fitted.reason_codes(rows, k=2)
    contrib = fitted.contributions(rows).drop(columns="bias")
    # same layout as Scorecard.reason_codes (reason_i, then its size)
    assert list(reasons.columns) == ["reason_1", "contribution_1", "reason_2", "contribution_2"]
    for idx in rows.index[:20]:
        row = contrib.loc[idx].sort_values(ascending=False)
        if row.iloc[0] > 0:
            assert reasons.loc[idx, "reason_1"] == row.index[0]
            assert reasons.loc[idx, "contribution_1"] == pytest.approx(row.iloc[0])
        else:
            assert reasons.loc[idx, "reason_1"] is None
            assert reasons.loc[idx, "contribution_1"] == 0.0
    assert (reasons["contribution_1"] >= reasons["contribution_2"]).all()


def test_explain_equals_the_separate_calls(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    # the one-pass output batch scoring writes is exactly predict_proba, points and reason_codes
    X, _ = data
    rows = X.iloc[:300]
    out = fitted.explain(rows, k=3, pdo=40.0, base_score=500.0, base_odds=20.0)
    np.testing.assert_array_equal(out["pd"].to_numpy(), fitted.predict_proba(rows)[:, 1])
    np.testing.assert_array_equal(out["score"].to_numpy(),
                                  fitted.points(rows, pdo=40.0, base_score=500.0, base_odds=20.0).to_numpy())
    pd.testing.assert_frame_equal(out.drop(columns=["pd", "score"]), fitted.reason_codes(rows, k=3))
    assert list(fitted.explain(rows, k=0).columns) == ["pd", "score"]
    with pytest.raises(ParameterError, match="k must be at most the number of model features"):
        fitted.explain(rows, k=len(fitted.feature_names_) + 1)


def test_score_follows_pdo_scaling(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    p = fitted.predict_proba(X.iloc[:50])[:, 1]
    # Siddiqi (2006), Credit Risk Scorecards, ch. 6: score = offset + factor * ln(good:bad odds),
    # factor = pdo / ln 2, offset = base_score - factor * ln(base_odds).
    factor = 20 / math.log(2)
    expected = 600 - factor * math.log(50) + factor * np.log((1 - p) / p)
    np.testing.assert_allclose(fitted.points(X.iloc[:50]), expected, atol=1e-3)


# ----------------------------------------------------------------------------- persistence
@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_save_load_round_trip(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray], tmp_path: Path, suffix: str) -> None:
    X, _ = data
    path = fitted.save(tmp_path / f"pd_model{suffix}")
    side = tmp_path / "pd_model.riskkit.json"
    assert path.is_file() and side.is_file()
    loaded = GradientBoostingPD.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert loaded.get_params() == fitted.get_params()
    if suffix == ".json":  # XGBoost's own JSON schema, no pickle
        assert "learner" in json.loads(path.read_text())
    # the native booster alone scores the encoded matrix (what MLflow's xgboost flavour does)
    raw = xgb.Booster()
    raw.load_model(str(path))
    np.testing.assert_allclose(raw.predict(xgb.DMatrix(fitted.encode(X))), fitted.predict_proba(X)[:, 1])


def test_load_rejects_foreign_or_mismatched_sidecar(fitted: GradientBoostingPD, tmp_path: Path) -> None:
    path = fitted.save(tmp_path / "m.json")
    side = tmp_path / "m.riskkit.json"
    doc = json.loads(side.read_text())
    side.write_text(json.dumps({**doc, "format": "optbinning.Scorecard"}))
    with pytest.raises(ConfigError, match="not a GradientBoostingPD document"):
        GradientBoostingPD.load(path)
    side.write_text(json.dumps({**doc, "format_version": 99}))
    with pytest.raises(ConfigError, match="format_version=99"):
        GradientBoostingPD.load(path)
    features = [{**doc["features"][0], "name": "renamed"}, *doc["features"][1:]]
    side.write_text(json.dumps({**doc, "features": features}))
    with pytest.raises(ConfigError, match="does not match its sidecar"):
        GradientBoostingPD.load(path)
    side.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        GradientBoostingPD.load(path)
    with pytest.raises(ConfigError, match="saved model with its sidecar"):
        GradientBoostingPD.load(tmp_path / "absent.json")
    with pytest.raises(ParameterError, match=r"path must end in .json or .ubj \(got path="):
        fitted.save(tmp_path / "m.pkl")


# ----------------------------------------------------------------------------- bad input
def test_constant_feature_dropped_with_warning(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    wide = X.assign(const=1.0, empty=np.nan)
    with pytest.warns(DroppedFeatureWarning, match=r"dropped 2 constant or all-missing feature\(s\)"):
        model = GradientBoostingPD(20, early_stopping_rounds=None).fit(wide, y)
    assert model.feature_names_ == ["x", "age", "region"]
    model.predict_proba(X)  # the dropped columns are not needed to score
    with pytest.raises(DataError, match="X has no usable feature"):
        GradientBoostingPD().fit(wide[["const", "empty"]], y)


def test_bad_data(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    with pytest.raises(DataError, match="X is empty"):
        GradientBoostingPD().fit(X.iloc[:0], y[:0])
    with pytest.raises(DataError, match="X and y must have the same length"):
        GradientBoostingPD().fit(X, y[:-1])
    with pytest.raises(DataError, match="one class only"):
        GradientBoostingPD().fit(X, np.zeros(len(X)))
    with pytest.raises(DataError, match=r"too few rows of its rarer class for an early-stopping split \(got 2"):
        GradientBoostingPD().fit(X.iloc[:50], np.r_[1, 1, np.zeros(48, dtype=int)])
    with pytest.raises(DataError, match="Only binary classification is supported: y must be binary 0/1"):
        GradientBoostingPD().fit(X, np.where(np.arange(len(y)) == 0, 2, y))
    with pytest.raises(DataError, match=r"column 'x' contains 1 infinite values"):
        GradientBoostingPD().fit(X.assign(x=np.r_[np.inf, X["x"].to_numpy()[1:]]), y)
    with pytest.raises(DataError, match="unsupported dtype datetime64"):
        GradientBoostingPD().fit(X.assign(when=pd.Timestamp("2024-01-01")), y)
    with pytest.raises(DataError, match=r"X lacks columns the model was fitted on \(missing \['age'\]\)"):
        fitted.predict_proba(X.drop(columns="age"))
    with pytest.raises(DataError, match="was numeric in fit but has dtype"):
        fitted.predict_proba(X.assign(age=X["age"].astype(str)))
    with pytest.raises(DataError, match="X has 1 features, but GradientBoostingPD is expecting"):
        fitted.predict_proba(X.to_numpy()[:, :1])
    with pytest.raises(NotFittedError, match=r"GradientBoostingPD is not fitted yet"):
        GradientBoostingPD().predict_proba(X)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"learning_rate": 0.0}, r"learning_rate must be in \(0, 1\] \(got learning_rate=0.0\)"),
        ({"subsample": 1.5}, r"subsample must be in \(0, 1\]"),
        ({"max_depth": 0}, r"max_depth must be >= 1 \(got max_depth=0\)"),
        ({"n_estimators": 2.5}, r"n_estimators must be an integer"),
        ({"validation_share": 0.9}, r"validation_share must be in \(0, 0.5\]"),
        ({"reg_lambda": -1}, r"reg_lambda must be in \[0, inf\]"),
        ({"refit": "yes"}, r"refit must be True or False \(got refit='yes'\)"),
        ({"monotone_constraints": {"nope": 1}}, r"unknown feature \(got 'nope'"),
        ({"monotone_constraints": {"region": 1}}, r"cannot constrain categorical feature 'region'"),
        ({"monotone_constraints": {"x": 2}}, r"values must be -1, 0 or \+1 \(got 'x': 2\)"),
        ({"monotone_constraints": [1, 0, 0]}, r"must be a mapping of feature name"),
    ],
)
def test_invalid_parameters(data: tuple[pd.DataFrame, np.ndarray], kwargs: dict, match: str) -> None:
    X, y = data
    with pytest.raises(ParameterError, match=match):
        GradientBoostingPD(**kwargs).fit(X, y)


def test_invalid_method_arguments(fitted: GradientBoostingPD, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    with pytest.raises(ParameterError, match=r"k must be >= 1 \(got k=0\)"):
        fitted.reason_codes(X, k=0)
    with pytest.raises(ParameterError, match=r"k must be at most the number of model features \(got k=4"):
        fitted.reason_codes(X, k=4)
    with pytest.raises(ParameterError, match=r"pdo must be in \(0, inf\]"):
        fitted.points(X, pdo=0)
    with pytest.raises(ParameterError, match=r"kind must be one of"):
        fitted.feature_importance("shap")
    with pytest.raises(ParameterError, match=r"eval_set must be a pair"):
        GradientBoostingPD().fit(X, _, eval_set=X)
