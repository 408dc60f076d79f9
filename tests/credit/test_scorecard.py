"""Scorecard: textbook points scaling, sklearn agreement, JSON round trip, reason codes, bad input.

Also covers ``riskkit.data.synthetic_credit``, the generator the scorecard tests and benchmark use.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from riskkit.credit._binning import WoEBinner
from riskkit.credit._scorecard import Scorecard
from riskkit.data import german_credit, synthetic_credit
from riskkit.exceptions import ConfigError, DataError, NotFittedError, ParameterError


@pytest.fixture(scope="module")
def german() -> tuple[pd.DataFrame, pd.Series]:
    return german_credit()


@pytest.fixture(scope="module")
def card(german: tuple[pd.DataFrame, pd.Series]) -> Scorecard:
    X, y = german
    return Scorecard().fit(X, y)


def test_scaling_reproduces_the_published_worked_example(
        card: Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    # Siddiqi, "Credit Risk Scorecards" (Wiley, 2006), ch. 6 "Scorecard Scaling": odds of 50:1
    # at 600 points with 20 points to double the odds give Factor = 28.8539 and
    # Offset = 487.123, so Score = 487.123 + 28.8539 * ln(odds); the book prints the figures to
    # 4 and 3 decimals, hence the tolerances (half a unit in the last printed place).
    assert card.factor_ == pytest.approx(28.8539, abs=5e-5)
    assert card.offset_ == pytest.approx(487.123, abs=5e-4)
    # every applicant's points sit on the published line through their model odds (good:bad);
    # the points come from the per-bin table, the odds from predict_proba (independent paths)
    X, _ = german
    p_bad = card.predict_proba(X)[:, 1]
    ln_odds = np.log((1 - p_bad) / p_bad)
    published = 487.123 + 28.8539 * ln_odds
    np.testing.assert_allclose(card.points(X).to_numpy(), published,
                               rtol=0, atol=5e-4 + 5e-5 * np.abs(ln_odds).max())
    # the book's reading of the scale: 50:1 -> 600, 100:1 -> 620, 200:1 -> 640
    for odds, points in ((50, 600.0), (100, 620.0), (200, 640.0)):
        assert 487.123 + 28.8539 * math.log(odds) == pytest.approx(points, abs=5e-3)


def test_doubling_the_odds_adds_pdo_points(card: Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, _ = german
    score = card.points(X).to_numpy()
    p = card.predict_proba(X)[:, 1]
    odds = (1 - p) / p
    # two applicants: score difference = pdo * log2(odds ratio)
    np.testing.assert_allclose(score[1:] - score[:-1], 20 * np.log2(odds[1:] / odds[:-1]), atol=1e-9)
    # another scale (Siddiqi's: 600 at 50:1, pdo 20) against this one (base_score 500 at 20:1,
    # pdo 40): same model, so the points map linearly, 40/20 times as steep
    other = Scorecard(pdo=40, base_score=500, base_odds=20).fit(*german)
    shifted = 500 + 2 * (score - 600) + 40 * np.log2(50 / 20)
    np.testing.assert_allclose(other.points(X).to_numpy(), shifted, atol=1e-9)


def test_coefficients_match_sklearn_on_the_same_woe(card: Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    # riskkit solves the L2-penalised likelihood of LogisticRegression(C=card.C) by blocked Newton
    # steps. References: scikit-learn's newton-cholesky run to tol 1e-14 (the same optimum to
    # rounding: 1e-9) and its default lbfgs run to tol 1e-10 (lbfgs stops on the gradient, its
    # coefficients sit ~1e-6 from the optimum on these data: 1e-5).
    X, y = german
    woe = card.binner_.transform(X)[card.features_].to_numpy()
    newton = LogisticRegression(C=card.C, solver="newton-cholesky", tol=1e-14, max_iter=1_000).fit(woe, y.to_numpy())
    np.testing.assert_allclose(card.coef_.to_numpy(), newton.coef_[0], rtol=0, atol=1e-9)
    assert card.intercept_ == pytest.approx(float(newton.intercept_[0]), abs=1e-9)
    lbfgs = LogisticRegression(C=card.C, tol=1e-10, max_iter=10_000).fit(woe, y.to_numpy())
    np.testing.assert_allclose(card.coef_.to_numpy(), lbfgs.coef_[0], rtol=0, atol=1e-5)
    np.testing.assert_allclose(card.predict_proba(X), newton.predict_proba(woe), rtol=0, atol=1e-9)
    np.testing.assert_allclose(card.estimator_.predict_proba(woe), card.predict_proba(X), atol=1e-12)
    assert card.predict_proba(X).shape == (len(X), 2)


def test_solver_matches_sklearn_on_a_large_sample() -> None:
    # 90,000 rows: the Newton solver warm-starts on a subsample, then polishes on every row
    X, y = synthetic_credit(90_000, n_features=8, seed=6)
    card = Scorecard().fit(X, y)
    woe = card.binner_.transform(X)[card.features_].to_numpy()
    newton = LogisticRegression(C=card.C, solver="newton-cholesky", tol=1e-14, max_iter=1_000).fit(woe, y.to_numpy())
    np.testing.assert_allclose(card.coef_.to_numpy(), newton.coef_[0], rtol=0, atol=1e-9)
    assert card.intercept_ == pytest.approx(float(newton.intercept_[0]), abs=1e-9)
    lbfgs = LogisticRegression(C=card.C, tol=1e-10, max_iter=10_000).fit(woe, y.to_numpy())
    np.testing.assert_allclose(card.coef_.to_numpy(), lbfgs.coef_[0], rtol=0, atol=1e-5)


def test_strided_frame_scores_like_a_column_frame(card: Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = synthetic_credit(3_000, n_features=6, seed=8)
    fitted = Scorecard().fit(X, y)
    # one row-major 2-D block kept as is (copy=False): every column is a strided view
    strided = pd.DataFrame(np.ascontiguousarray(X.to_numpy()), columns=X.columns, copy=False)
    assert not strided["monotone_00"].to_numpy().flags["C_CONTIGUOUS"]
    pd.testing.assert_series_equal(fitted.points(strided), fitted.points(X), check_exact=True)
    again = Scorecard().fit(strided, y)
    np.testing.assert_array_equal(again.coef_.to_numpy(), fitted.coef_.to_numpy())


def test_score_is_the_sum_of_points(card: Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, _ = german
    table = card.points_table()
    assert list(table.columns) == ["feature", "bin", "count", "bad_rate", "woe", "coef", "points"]
    codes = card.binner_.transform_codes(X.head(5))
    by_feature = {f: table[table["feature"] == f]["points"].to_numpy() for f in card.features_}
    manual = sum(by_feature[f][codes[f]] for f in card.features_)
    np.testing.assert_allclose(card.points(X.head(5)).to_numpy(), manual, atol=1e-9)
    # higher = safer: the scores rank applicants the opposite way to the bad probability
    s, p = card.points(X).to_numpy(), card.predict_proba(X)[:, 1]
    assert np.corrcoef(s, p)[0, 1] < -0.9


def test_json_round_trip_gives_identical_scores(card: Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, _ = german
    text = card.to_json()
    doc = json.loads(text)
    assert doc["format"] == "riskkit.scorecard" and doc["format_version"] == 2
    loaded = Scorecard.from_json(text)
    pd.testing.assert_series_equal(loaded.points(X), card.points(X), check_exact=True)
    np.testing.assert_array_equal(loaded.predict_proba(X), card.predict_proba(X))
    pd.testing.assert_frame_equal(loaded.points_table(), card.points_table())
    np.testing.assert_array_equal(loaded.estimator_.predict_proba(card.binner_.transform(X)[card.features_].to_numpy()),
                                  card.estimator_.predict_proba(card.binner_.transform(X)[card.features_].to_numpy()))


def test_reason_codes_are_the_largest_point_losses(card: Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, _ = german
    reasons = card.reason_codes(X.head(20), k=3)
    assert list(reasons.columns) == ["reason_1", "points_lost_1", "reason_2", "points_lost_2",
                                     "reason_3", "points_lost_3"]
    table = card.points_table()
    best = table[table["count"] > 0].groupby("feature")["points"].max()
    codes = card.binner_.transform_codes(X.head(20))
    for row in range(20):
        lost = {f: best[f] - table[table["feature"] == f]["points"].to_numpy()[codes[f][row]]
                for f in card.features_}
        top = sorted(lost.items(), key=lambda kv: -kv[1])[:3]
        for r, (f, v) in enumerate(top, start=1):
            if v > 1e-9:
                assert reasons[f"reason_{r}"].iloc[row] == f
                assert reasons[f"points_lost_{r}"].iloc[row] == pytest.approx(v)
    assert reasons.index.equals(X.head(20).index)
    # an applicant in the best bin of every feature has no reasons at all
    all_codes = card.binner_.transform_codes(X)
    best_row = {}
    for f in card.features_:
        points = table[table["feature"] == f]["points"].to_numpy()
        best_row[f] = [X[f].iloc[int(np.argmax(points[all_codes[f]]))]]
    top = card.reason_codes(pd.DataFrame(best_row).astype(X[card.features_].dtypes.to_dict()), k=2)
    assert top["reason_1"].isna().all() and (top["points_lost_1"] == 0.0).all()


def test_selection_is_applied_and_reported(german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = german
    card = Scorecard(iv_min=0.05).fit(X, y)
    assert set(card.features_) == set(card.selection_.selected)
    assert (card.binner_.iv_[card.features_] >= 0.05).all()
    assert (card.binner_.pvalue_[card.features_] <= 0.05).all()
    dropped = card.selection_.dropped
    assert (dropped["reason"] == "not significant").any()
    assert (dropped.loc[dropped["reason"] == "not significant", "pvalue"] > 0.05).all()
    untested = Scorecard(iv_min=0.05, binner=WoEBinner(permutations=None)).fit(X, y)
    assert (untested.selection_.dropped["reason"] == "low IV").any()
    full = Scorecard(iv_min=None, max_corr=None, binner=WoEBinner(permutations=None)).fit(X, y)
    assert full.selection_ is None and full.features_ == full.binner_.features_


def test_noise_dropped_and_signal_kept_with_reasons() -> None:
    # the setup of benchmarks/bench_selection.py, reduced: 3 informative and 5 pure-noise
    # features, numeric and categorical, 8 seeds of 1,000 rows
    from scipy.special import expit
    dropped_noise, kept_signal = 0, 0
    noise = ["n_normal", "n_int", "n_lognormal", "n_cat5", "n_cat3"]
    for seed in range(8):
        rng = np.random.default_rng(seed)
        n = 1_000
        score, age = rng.normal(size=n), np.floor(rng.uniform(18, 80, n))
        grade = rng.choice(np.array(list("ABCD")), size=n, p=[0.4, 0.3, 0.2, 0.1])
        effect = pd.Series(grade).map({"A": -0.4, "B": 0.0, "C": 0.3, "D": 0.7}).to_numpy()
        y = (rng.random(n) < expit(-1.6 + 0.5 * score + 0.5 * ((age - 47) / 14) ** 2 + effect)).astype(int)
        X = pd.DataFrame({
            "score": score, "age": age, "grade": pd.Categorical(grade),
            "n_normal": rng.normal(size=n), "n_int": rng.integers(0, 100, n).astype(float),
            "n_lognormal": np.exp(rng.normal(10, 0.6, n)),
            "n_cat5": pd.Categorical(rng.choice(np.array(list("VWXYZ")), size=n)),
            "n_cat3": pd.Categorical(rng.choice(np.array(["p", "q", "r"]), size=n)),
        })
        card = Scorecard().fit(X, y)
        kept_signal += len({"score", "age", "grade"} & set(card.features_))
        gone = [f for f in noise if f not in card.features_]
        dropped_noise += len(gone)
        reasons = card.selection_.dropped.loc[gone, "reason"]
        assert reasons.isin(["not significant", "low IV", "correlated"]).all()
    # measured by the benchmark over 40 fits: 96% of noise dropped, 98% of signal kept; on
    # these 8 fits 2 informative features fall just short (grade's sample IV is 0.014 in one)
    assert dropped_noise >= 0.9 * 40
    assert kept_signal >= 22


def test_custom_binner_is_cloned(german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = german
    binner = WoEBinner(max_bins=3)
    card = Scorecard(binner=binner).fit(X, y)
    assert not hasattr(binner, "bins_")
    assert card.binner_.n_bins_.max() <= 3


@pytest.mark.parametrize("estimator", [WoEBinner(), Scorecard()])
def test_estimator_contract(estimator: WoEBinner | Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = german
    fresh = clone(estimator)
    assert fresh.get_params() == estimator.get_params()
    assert not [k for k in vars(fresh) if k.endswith("_") and not k.startswith("_")]
    assert fresh.fit(X.head(300), y.head(300)) is fresh
    with pytest.raises(NotFittedError, match=f"{type(estimator).__name__} is not fitted yet"):
        clone(estimator).transform(X) if isinstance(estimator, WoEBinner) else clone(estimator).points(X)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("params, match", [
    ({"pdo": 0}, r"pdo must be in \(0.0, inf\) \(got pdo=0\)"),
    ({"base_odds": -1}, r"base_odds must be in \(0.0, inf\) \(got base_odds=-1\)"),
    ({"base_score": float("nan")}, r"base_score must be in"),
    ({"C": 0}, r"C must be in \(0.0, inf\)"),
    ({"max_iter": 0}, r"max_iter must be >= 1"),
    ({"iv_min": -1}, r"iv_min must be in \[0.0, inf\]"),
    ({"max_corr": 2}, r"max_corr must be in \(0.0, 1.0\]"),
    ({"binner": "woe"}, r"binner must be a WoEBinner or None \(got binner='woe'\)"),
    ({"binner": WoEBinner(max_bins=1)}, r"max_bins must be >= 2"),
])
def test_fit_rejects_bad_parameters(params: dict, match: str, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = german
    with pytest.raises(ParameterError, match=match):
        Scorecard(**params).fit(X.head(200), y.head(200))


@pytest.mark.parametrize("make, error, match", [
    (lambda X, y: (X.iloc[:0], y.iloc[:0]), DataError, r"X is empty"),
    (lambda X, y: (X, y.iloc[:-1]), DataError, r"X and y must have the same length \(got 1000 and 999\)"),
    (lambda X, y: (X, y.where(y.index > 0)), DataError, r"y has 1 missing values"),
    (lambda X, y: (X, y.where(y.index != y.index[0], 2)), DataError,
     r"Only binary classification is supported: y must be binary 0/1 with 1 = bad \(got 3 classes"),
    (lambda X, y: (X, y * 0), DataError, r"y has one class only \(got only \[0\]\)"),
    (lambda X, y: (X.assign(age_in_years=X["age_in_years"].replace(67, np.inf)), y), DataError,
     r"feature 'age_in_years' has \d+ infinite values"),
    (lambda X, y: (X.assign(when=pd.Timestamp("2020-01-01")), y), DataError,
     r"feature 'when' has an unsupported dtype"),
])
def test_fit_rejects_bad_data(make: object, error: type, match: str, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = make(*german)  # type: ignore[operator]
    with pytest.raises(error, match=match):
        Scorecard().fit(X, y)


def test_fit_with_no_feature_passing_selection(german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = german
    with pytest.raises(DataError, match=r"no feature passed the selection among the 20 feature\(s\) of X \(iv_min=5"):
        Scorecard(iv_min=5).fit(X, y)


def test_scoring_errors(card: Scorecard, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, _ = german
    with pytest.raises(NotFittedError, match=r"Scorecard is not fitted yet"):
        Scorecard().predict_proba(X)
    f = card.features_[0]
    with pytest.raises(DataError, match=rf"X is missing 1 fitted feature column\(s\) \(got no \['{f}'\]\)"):
        card.points(X.drop(columns=f))
    numeric = next(c for c in card.features_ if card.binner_.bins_[c].kind == "numeric")
    with pytest.raises(DataError, match=rf"feature '{numeric}' must be numeric as at fit time"):
        card.points(X.assign(**{numeric: "ten"}))
    with pytest.raises(DataError, match=r"X has 3 features, but Scorecard is expecting 20 features"):
        card.predict_proba(X.to_numpy()[:, :3])
    with pytest.raises(ParameterError, match=r"k must be at most the number of scorecard features"):
        card.reason_codes(X, k=99)
    with pytest.raises(ParameterError, match=r"k must be >= 1 \(got k=0\)"):
        card.reason_codes(X, k=0)


def _doc(card: Scorecard) -> dict:
    return json.loads(card.to_json())


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.update(format="optbinning.scorecard"),
     r"document field 'format' must be 'riskkit.scorecard' \(got 'optbinning.scorecard'\)"),
    (lambda d: d.pop("format"), r"document field 'format' must be 'riskkit.scorecard' \(got None\)"),
    (lambda d: d.update(format_version=99), r"document field 'format_version' must be an integer from 1 to 2"),
    (lambda d: d.update(params=[1]), r"document field 'params' must be an object"),
    (lambda d: d["params"].update(pdo=-5), r"document field 'params' is invalid: pdo must be"),
    (lambda d: d["params"].update(colour="red"), r"document field 'params' has an unknown parameter"),
    (lambda d: d.pop("binner"), r"binner must be a JSON object \(got NoneType\)"),
    (lambda d: d.update(coef=[1.0]), r"document field 'coef' must be \d+ finite numbers"),
    (lambda d: d.update(intercept="x"), r"document field 'intercept' must be a finite number"),
    (lambda d: d.update(features=["nope"]), r"document field 'features' names features without bins"),
])
def test_from_json_rejects_foreign_or_malformed_documents(card: Scorecard, mutate: object, match: str) -> None:
    doc = _doc(card)
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=match):
        Scorecard.from_json(json.dumps(doc))


@pytest.mark.parametrize("text, match", [
    ("{not json", r"document is not valid JSON"),
    ("[1, 2]", r"document must be a JSON object \(got list\)"),
    (42, r"document must be a JSON string \(got int\)"),
])
def test_from_json_rejects_non_documents(text: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Scorecard.from_json(text)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- synthetic data
def test_synthetic_credit_is_deterministic_and_shaped() -> None:
    X, y = synthetic_credit(5_000, n_features=7, missing_share=0.1, seed=4)
    X2, y2 = synthetic_credit(5_000, n_features=7, missing_share=0.1, seed=4)
    pd.testing.assert_frame_equal(X, X2)
    pd.testing.assert_series_equal(y, y2)
    assert X.shape == (5_000, 7) and y.name == "bad"
    assert list(X.columns)[:3] == ["monotone_00", "ushape_01", "income_02"]
    assert X.isna().mean().between(0.08, 0.12).all()
    assert 0.08 < y.mean() < 0.12
    assert not synthetic_credit(5_000, n_features=7, seed=5)[0].equals(X)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, r"n must be >= 2"),
    ({"n_features": 0}, r"n_features must be >= 1"),
    ({"missing_share": 1.0}, r"missing_share must be in \[0.0, 1.0\)"),
    ({"seed": -1}, r"seed must be >= 0"),
    ({"bad_rate": 0.0}, r"bad_rate must be in \(0.0, 1.0\)"),
])
def test_synthetic_credit_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        synthetic_credit(**kwargs)
