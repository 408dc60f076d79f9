"""select_features: IV threshold, correlation filter (checked against pandas), reasons, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit.credit._binning import WoEBinner
from riskkit.credit._selection import FeatureSelection, select_features
from riskkit.exceptions import DataError, ParameterError


@pytest.fixture(scope="module")
def woe() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a = rng.normal(size=5_000)
    return pd.DataFrame({
        "a": a,
        "a_copy": 0.9 * a + 0.3 * rng.normal(size=5_000),  # corr ~ 0.95 with a
        "b": rng.normal(size=5_000),
        "weak": rng.normal(size=5_000),
    })


IV = pd.Series({"a": 0.30, "a_copy": 0.25, "b": 0.10, "weak": 0.01})


def test_low_iv_and_correlated_features_dropped_with_reasons(woe: pd.DataFrame) -> None:
    result = select_features(woe, IV, iv_min=0.02, max_corr=0.7)
    assert isinstance(result, FeatureSelection)
    assert result.selected == ["a", "b"]
    assert result.dropped.loc["weak", "reason"] == "low IV"
    assert result.dropped.loc["a_copy", "reason"] == "correlated"
    assert result.dropped.loc["a_copy", "correlated_with"] == "a"
    # correlation checked against pandas' own Pearson correlation
    expected = abs(woe["a"].corr(woe["a_copy"]))
    assert result.dropped.loc["a_copy", "correlation"] == pytest.approx(expected, abs=1e-10)
    pd.testing.assert_frame_equal(
        result.correlation, woe[["a", "a_copy", "b"]].corr(), check_exact=False, atol=1e-10)
    summary = result.summary()
    assert summary["kept"].to_dict() == {"a": True, "a_copy": False, "b": True, "weak": False}
    assert "2 kept, 2 dropped" in str(result)


def test_filters_can_be_switched_off(woe: pd.DataFrame) -> None:
    assert select_features(woe, IV, iv_min=None, max_corr=None).selected == ["a", "a_copy", "b", "weak"]
    assert select_features(woe, IV, iv_min=0.02, max_corr=None).selected == ["a", "a_copy", "b"]
    assert select_features(woe, IV, iv_min=None, max_corr=0.99).selected == ["a", "a_copy", "b", "weak"]


def test_accepts_a_fitted_binner() -> None:
    rng = np.random.default_rng(2)
    n = 20_000  # large enough that the noise feature's IV stays under 0.02
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(2 - x))).astype(int)
    X = pd.DataFrame({"x": x, "x2": x + 0.01 * rng.normal(size=n), "noise": rng.normal(size=n)})
    binner = WoEBinner().fit(X, y)
    result = select_features(binner.transform(X), binner)
    assert result.selected == [max(["x", "x2"], key=lambda f: binner.iv_[f])]
    assert set(result.dropped.index) == {"x", "x2", "noise"} - set(result.selected)
    # the permutation test drops the noise before the IV rule looks at it
    assert result.dropped.loc["noise", "reason"] == "not significant"
    assert result.dropped.loc["noise", "pvalue"] > 0.05
    assert result.pvalue is not None and result.pvalue["x"] < 1e-10
    without_test = select_features(binner.transform(X), binner, max_pvalue=None)
    assert without_test.dropped.loc["noise", "reason"] == "low IV"


def test_significance_rule_comes_first_and_is_reported(woe: pd.DataFrame) -> None:
    pvalue = pd.Series({"a": 0.001, "a_copy": 0.001, "b": 0.30, "weak": np.nan})
    result = select_features(woe, IV, iv_min=0.02, max_corr=0.7, max_pvalue=0.05, pvalue=pvalue)
    assert result.selected == ["a"]
    assert result.dropped.loc["b", "reason"] == "not significant"
    assert result.dropped.loc["b", "pvalue"] == 0.30
    assert result.dropped.loc["weak", "reason"] == "low IV"  # NaN p-value: the test does not apply
    assert result.dropped.loc["a_copy", "reason"] == "correlated"
    summary = result.summary()
    assert summary.loc["b", "pvalue"] == 0.30 and not summary.loc["b", "kept"]
    assert "max_pvalue=0.05" in str(result)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"iv_min": -0.1}, ParameterError, r"iv_min must be in \[0.0, inf\] \(got iv_min=-0.1\)"),
    ({"max_corr": 0.0}, ParameterError, r"max_corr must be in \(0.0, 1.0\] \(got max_corr=0.0\)"),
    ({"max_corr": 1.5}, ParameterError, r"max_corr must be in \(0.0, 1.0\]"),
    ({"iv": [0.1]}, ParameterError, r"iv must be a Series or mapping"),
    ({"iv": pd.Series({"a": 0.1})}, DataError, r"iv has no value for 3 column\(s\) of X_woe"),
    ({"iv": IV.replace(0.01, -1.0)}, DataError, r"iv must hold non-negative finite numbers"),
    ({"max_pvalue": 0.0}, ParameterError, r"max_pvalue must be in \(0.0, 1.0\] \(got max_pvalue=0.0\)"),
    ({"pvalue": [0.1]}, ParameterError, r"pvalue must be a Series or mapping"),
    ({"pvalue": pd.Series({"a": 0.1})}, DataError, r"pvalue has no value for 3 column\(s\) of X_woe"),
    ({"pvalue": pd.Series({"a": 1.5, "a_copy": 0.1, "b": 0.1, "weak": 0.1})}, DataError,
     r"pvalue must hold probabilities in \[0, 1\] or NaN"),
])
def test_bad_arguments(woe: pd.DataFrame, kwargs: dict, error: type, match: str) -> None:
    iv = kwargs.pop("iv", IV)
    with pytest.raises(error, match=match):
        select_features(woe, iv, **kwargs)


def test_bad_frames(woe: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"X_woe is empty"):
        select_features(pd.DataFrame(), IV)
    with pytest.raises(DataError, match=r"X_woe must hold numeric WoE values .*\['b'\]"):
        select_features(woe.assign(b="x"), IV)
    with pytest.raises(DataError, match=r"X_woe has NaN or infinite values \(first in column 'a'\)"):
        select_features(woe.assign(a=np.r_[np.nan, woe["a"].to_numpy()[1:]]), IV)


def test_default_screening_level_is_ten_percent(woe: pd.DataFrame) -> None:
    # a screening level for prediction: p = 0.08 passes, p = 0.12 is dropped as not significant
    pvalue = pd.Series({"a": 0.08, "a_copy": 0.001, "b": 0.12, "weak": np.nan})
    result = select_features(woe, IV, pvalue=pvalue)
    assert result.max_pvalue == 0.1
    assert "a" in result.selected
    assert result.dropped.loc["b", "reason"] == "not significant"


def test_scorecard_default_keeps_weak_real_feature_and_drops_noise() -> None:
    # seeded small sample: a weak monotone driver (log-odds slope 0.2 per sd) whose permutation
    # p-value lies between 5% and 10% is kept by the default Scorecard; pure noise is dropped
    from riskkit.credit import Scorecard

    rng = np.random.default_rng(3)
    n = 800
    strong, weak, noise = rng.normal(size=(3, n))
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.8 * strong + 0.2 * weak)))).astype(int)
    X = pd.DataFrame({"strong": strong, "weak": weak, "noise": noise})
    card = Scorecard().fit(X, y)
    assert card.C == 0.3 and card.selection_ is not None and card.selection_.max_pvalue == 0.1
    p = card.binner_.pvalue_
    assert 0.05 < p["weak"] <= 0.1 and "weak" in card.features_
    assert "noise" not in card.features_
