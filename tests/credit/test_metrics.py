"""riskkit.credit.metrics against scikit-learn, scipy and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import brier_score_loss, roc_auc_score

from riskkit.credit import metrics
from riskkit.exceptions import DataError, ParameterError


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    """Calibrated PDs with ties (rounded to 2 decimals) and their Bernoulli outcomes."""
    rng = np.random.default_rng(7)
    p = np.round(rng.beta(1.5, 6.0, 2_000), 2)
    y = (rng.uniform(size=p.size) < p).astype(int)
    return y, p


# ----------------------------------------------------------------------------- auc / gini / ks
def test_auc_matches_sklearn_with_ties(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    # Reference: sklearn.metrics.roc_auc_score (trapezoidal ROC area, ties count one half).
    assert metrics.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics.gini(y, p) == pytest.approx(2 * roc_auc_score(y, p) - 1, abs=1e-12)


def test_auc_hand_example() -> None:
    # Hand count: bads scored 0.9 and 0.4, goods 0.8, 0.4 and 0.1. Of the 6 bad/good pairs the
    # bad is riskier in 0.9>0.8, 0.9>0.4, 0.9>0.1, 0.4>0.1 (4 pairs) and tied in 0.4=0.4 (half).
    y = [1, 0, 1, 0, 0]
    p = [0.9, 0.8, 0.4, 0.4, 0.1]
    assert metrics.auc(y, p) == pytest.approx(4.5 / 6, abs=1e-12)
    assert metrics.gini(y, p) == pytest.approx(2 * 4.5 / 6 - 1, abs=1e-12)


def test_scores_where_higher_is_safer(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    points = 600 - 50 * np.log(p / (1 - p + 1e-9) + 1e-9)  # decreasing in PD
    assert metrics.auc(y, points, higher_is_riskier=False) == pytest.approx(metrics.auc(y, p), abs=1e-12)
    assert metrics.auc(y, points) == pytest.approx(1 - metrics.auc(y, p), abs=1e-12)


def test_ks_matches_scipy_two_sample(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    # Reference: scipy.stats.ks_2samp statistic, the sup distance of the two empirical CDFs.
    expected = stats.ks_2samp(p[y == 1], p[y == 0]).statistic
    assert metrics.ks(y, p) == pytest.approx(expected, abs=1e-12)
    assert metrics.ks(y, -p, higher_is_riskier=False) == pytest.approx(expected, abs=1e-12)


def test_ks_hand_example() -> None:
    # Riskiest first: 0.9 (bad) -> bads 1/2, goods 0; the gap 0.5 is the largest.
    assert metrics.ks([1, 0, 1, 0, 0], [0.9, 0.8, 0.4, 0.4, 0.1]) == pytest.approx(0.5, abs=1e-12)


def test_ks_table_deciles(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    table = metrics.ks_table(y, p)
    assert list(table.columns) == [
        "band", "min_score", "max_score", "count", "n_bad", "n_good", "bad_rate",
        "cum_bad_share", "cum_good_share", "ks",
    ]
    body, totals = table.iloc[:-1], table.iloc[-1]
    assert totals["band"] == "Totals"
    assert body["count"].sum() == y.size and totals["n_bad"] == y.sum()
    # riskiest band first: bad rates fall down the table for calibrated PDs
    assert body["bad_rate"].iloc[0] > body["bad_rate"].iloc[-1]
    assert body["min_score"].iloc[0] >= body["max_score"].iloc[1]
    # the gap at decile boundaries never exceeds the exact KS, and is close to it
    assert totals["ks"] <= metrics.ks(y, p) + 1e-12
    assert totals["ks"] == pytest.approx(metrics.ks(y, p), abs=0.05)
    # higher-is-safer points give the same bands in the same (riskiest-first) order
    flipped = metrics.ks_table(y, -p, higher_is_riskier=False)
    np.testing.assert_array_equal(flipped["n_bad"], table["n_bad"])


# ----------------------------------------------------------------------------- psi / csi
def test_psi_hand_computation() -> None:
    expected = np.arange(1.0, 11.0)  # quantile edges of 1..10 in 2 bins: median 5.5
    actual = np.array([1.0, 2.0, 3.0, 9.0])
    # Shares: expected (0.5, 0.5), actual (0.75, 0.25);
    # PSI = (0.75-0.5) ln(0.75/0.5) + (0.25-0.5) ln(0.25/0.5), computed by hand below.
    by_hand = 0.25 * math.log(1.5) + (-0.25) * math.log(0.5)
    assert metrics.psi(expected, actual, bins=2) == pytest.approx(by_hand, abs=1e-12)


def test_psi_identical_is_zero_and_table_sums(sample: tuple[np.ndarray, np.ndarray]) -> None:
    _, p = sample
    assert metrics.psi(p, p) == pytest.approx(0.0, abs=1e-12)
    shifted = p + 0.05
    table = metrics.psi_table(p, shifted)
    assert table["bin"].iloc[-1] == "Totals"
    assert table["psi"].iloc[:-1].sum() == pytest.approx(metrics.psi(p, shifted), abs=1e-12)
    assert table["actual_count"].iloc[-1] == p.size
    assert metrics.psi(p, shifted) > 0.1


def test_psi_explicit_edges_and_empty_bin() -> None:
    expected = [0.1, 0.2, 0.6, 0.7]
    actual = [0.1, 0.15, 0.2, 0.3]
    # Edges (open outer bins): (-inf, 0.5], (0.5, inf). Actual share in the upper bin is 0 and is
    # floored at PSI_EPSILON = 1e-4 (documented): hand value below.
    e, a = np.array([0.5, 0.5]), np.array([1.0, 1e-4])
    by_hand = float(np.sum((a - e) * np.log(a / e)))
    assert metrics.psi(expected, actual, bins=[0.0, 0.5, 1.0]) == pytest.approx(by_hand, abs=1e-12)


def test_csi_per_feature_matches_psi_and_categories() -> None:
    rng = np.random.default_rng(3)
    dev = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
    new = pd.DataFrame({"x": rng.normal(0.5, 1.0, 400), "c": ["a"] * 300 + ["z"] * 99 + [None]})
    result = metrics.csi(dev, new)
    assert list(result.index) == ["x", "c"] and result.name == "csi"
    assert result["x"] == pytest.approx(metrics.psi(dev["x"], new["x"]), abs=1e-12)
    # Hand computation for "c": bins a, b, Missing, z (sorted labels); unseen/empty floored at 1e-4.
    e_share = dev["c"].value_counts(normalize=True)
    e = np.array([e_share["a"], e_share["b"], 1e-4, 1e-4])
    a = np.array([300 / 400, 1e-4, 1 / 400, 99 / 400])
    assert result["c"] == pytest.approx(float(np.sum((a - e) * np.log(a / e))), abs=1e-12)


def test_csi_missing_column_raises() -> None:
    with pytest.raises(DataError, match="actual lacks columns of expected"):
        metrics.csi(pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"y": [1.0, 2.0]}))


# ----------------------------------------------------------------------------- calibration
def test_brier_matches_sklearn(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    # Reference: sklearn.metrics.brier_score_loss.
    assert metrics.brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)


def test_calibration_table_counts_and_binomial(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    table = metrics.calibration_table(y, p, bins=5)
    body, totals = table.iloc[:-1], table.iloc[-1]
    assert totals["band"] == "Totals" and totals["count"] == y.size
    assert body["n_bad"].sum() == y.sum()
    assert totals["mean_pd"] == pytest.approx(p.mean(), abs=1e-12)
    first = body.iloc[0]
    in_band = p <= first["max_pd"]
    assert first["count"] == in_band.sum()
    assert first["bad_rate"] == pytest.approx(y[in_band].mean(), abs=1e-12)
    # Reference: scipy.stats.binomtest on the band's bads against its mean PD.
    ref = stats.binomtest(int(y[in_band].sum()), int(in_band.sum()), float(p[in_band].mean())).pvalue
    assert first["binomial_pvalue"] == pytest.approx(ref, abs=1e-12)


def _hoslem_by_hand(y: np.ndarray, p: np.ndarray, g: int) -> tuple[float, int]:
    """Independent loop following R ResourceSelection::hoslem.test: cut at quantiles, right-closed
    intervals with the lowest included, statistic sum((obs - exp)^2 / exp) over both classes."""
    breaks = np.unique(np.quantile(p, np.linspace(0, 1, g + 1)))
    stat, used = 0.0, 0
    for i in range(len(breaks) - 1):
        lo, hi = breaks[i], breaks[i + 1]
        mask = (p >= lo) & (p <= hi) if i == 0 else (p > lo) & (p <= hi)
        if not mask.any():
            continue
        used += 1
        o1, e1 = y[mask].sum(), p[mask].sum()
        o0, e0 = mask.sum() - o1, mask.sum() - e1
        stat += (o1 - e1) ** 2 / e1 + (o0 - e0) ** 2 / e0
    return stat, used - 2


def test_hosmer_lemeshow_matches_hand_computation(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    result = metrics.hosmer_lemeshow(y, p)
    stat, df = _hoslem_by_hand(y, p, 10)
    assert result.statistic == pytest.approx(stat, rel=1e-12)
    assert result.df == df
    assert result.pvalue == pytest.approx(stats.chi2.sf(stat, df), rel=1e-12)
    assert result.table["count"].sum() == y.size
    assert "HosmerLemeshowResult: statistic" in str(result)
    assert result.summary().loc["Hosmer-Lemeshow", "pvalue"] == result.pvalue


def test_hosmer_lemeshow_detects_miscalibration(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    # The outcomes were drawn from p, so calibrated PDs should not be rejected at 1% (seeded),
    # while PDs halved are far off.
    assert metrics.hosmer_lemeshow(y, p).pvalue > 0.01
    assert metrics.hosmer_lemeshow(y, p / 2).pvalue < 1e-6


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("func", [metrics.auc, metrics.gini, metrics.ks, metrics.brier, metrics.ks_table])
def test_length_mismatch(func) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match="y and p must have the same length"):
        func([0, 1, 0], [0.1, 0.2])


def test_bad_targets_and_scores() -> None:
    with pytest.raises(DataError, match="single class"):
        metrics.auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="binary 0/1"):
        metrics.auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="missing values"):
        metrics.auc([0, np.nan, 1], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="p contains 1 NaN or infinite"):
        metrics.auc([0, 1, 1], [0.1, np.inf, 0.3])
    with pytest.raises(DataError, match=r"predict_proba\(X\)\[:, 1\]"):
        metrics.auc([0, 1], np.array([[0.9, 0.1], [0.2, 0.8]]))
    with pytest.raises(DataError, match="p must be numeric"):
        metrics.auc([0, 1], ["a", "b"])
    with pytest.raises(DataError, match="expected is empty"):
        metrics.psi([], [])


def test_probabilities_required_for_calibration() -> None:
    with pytest.raises(DataError, match=r"p must hold probabilities in \[0, 1\] \(got p=612.0"):
        metrics.brier([0, 1], [612.0, 0.5])
    with pytest.raises(DataError, match="not scorecard points"):
        metrics.hosmer_lemeshow([0, 1, 0], [0.1, 1.5, 0.2])


def test_invalid_parameters() -> None:
    with pytest.raises(ParameterError, match="bins must be >= 2"):
        metrics.psi([1.0, 2.0], [1.0, 2.0], bins=1)
    with pytest.raises(ParameterError, match="bins edges must be at least 3 strictly increasing"):
        metrics.psi([1.0, 2.0], [1.0, 2.0], bins=[0.0, 0.0, 1.0])
    with pytest.raises(ParameterError, match="higher_is_riskier must be True or False"):
        metrics.auc([0, 1], [0.1, 0.2], higher_is_riskier="no")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="groups must be >= 3"):
        metrics.hosmer_lemeshow([0, 1, 0], [0.1, 0.2, 0.3], groups=2)
    with pytest.raises(DataError, match="too few distinct values"):
        metrics.hosmer_lemeshow([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])
