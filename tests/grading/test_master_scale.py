"""MasterScale: grading, tables, distribution, migration and calibration tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit.exceptions import DataError, ParameterError
from riskkit.grading import MasterScale, default_bounds


def test_default_scale_is_geometric_from_3bp_to_one() -> None:
    scale = MasterScale()
    table = scale.table()
    assert len(table) >= 11 and table.index[-1] == "D" and table["default"].sum() == 1
    edges = default_bounds()
    assert edges[0] == pytest.approx(0.0003) and edges[-1] == 1.0
    # geometric: constant ratio between consecutive bounds
    ratios = edges[1:] / edges[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)
    # representative PD is the geometric mid-point of each performing grade
    np.testing.assert_allclose(table["pd_mid"].to_numpy()[:-1], np.sqrt(edges[:-1] * edges[1:]))


def test_grade_scalar_array_series_and_edges() -> None:
    scale = MasterScale(bounds=[0.001, 0.01, 0.1, 1.0], labels=["A", "B", "C"])
    assert scale.grade(0.0) == "A"  # below the floor goes to the best grade
    assert scale.grade(0.01) == "B"  # a bound belongs to the worse grade
    assert scale.grade(0.0099999) == "A"
    assert scale.grade(0.99) == "C" and scale.grade(1.0) == "D"
    assert list(scale.grade([0.0005, 0.05, 0.5, 1.0])) == ["A", "B", "C", "D"]
    s = pd.Series([0.02, 0.2], index=["x", "y"])
    out = scale.grade(s, defaulted=[False, True])
    assert list(out) == ["B", "D"] and list(out.index) == ["x", "y"]
    assert out.cat.ordered


def test_grade_is_monotone_in_pd() -> None:
    scale = MasterScale()
    pds = np.sort(np.random.default_rng(1).uniform(0, 1, 2000) ** 4)
    ranks = scale.rank(scale.grade(pds))
    assert np.all(np.diff(ranks) >= 0)


@pytest.mark.parametrize("bad", [1.5, -0.01, float("nan")])
def test_pd_outside_unit_interval(bad: float) -> None:
    with pytest.raises(ParameterError, match=r"pd must be in \[0, 1\] \(got pd=(1\.5|-0\.01|nan)"):
        MasterScale().grade([0.1, bad])


def test_bad_bounds_and_labels() -> None:
    with pytest.raises(ParameterError, match=r"bounds must increase strictly .* \(got bounds=\[0\.01, 0\.005, 1\.0\]"):
        MasterScale(bounds=[0.01, 0.005, 1.0]).table()
    with pytest.raises(ParameterError, match=r"bounds must increase strictly .*got bounds=\[0\.001, 0\.01, 0\.5\]"):
        MasterScale(bounds=[0.001, 0.01, 0.5]).grade(0.1)
    with pytest.raises(ParameterError, match=r"labels must name every performing grade \(got 2 labels for 3"):
        MasterScale(bounds=[0.001, 0.01, 0.1, 1.0], labels=["A", "B"]).grade(0.1)
    with pytest.raises(ParameterError, match=r"unknown grade\(s\) \['Z'\]"):
        MasterScale().rank(["1", "Z"])
    with pytest.raises(ParameterError, match=r"n_grades must be an integer >= 2 \(got n_grades=1\)"):
        default_bounds(1)


def test_distribution_counts_and_exposure() -> None:
    scale = MasterScale(bounds=[0.001, 0.01, 0.1, 1.0], labels=["A", "B", "C"])
    dist = scale.distribution([0.0005, 0.02, 0.03, 0.5, 1.0], exposure=[10, 20, 30, 40, 0])
    assert list(dist.index) == ["A", "B", "C", "D", "Totals"]
    assert dist["count"].tolist() == [1, 2, 1, 1, 5]
    assert dist.loc["B", "exposure"] == 50 and dist.loc["B", "exposure_share"] == pytest.approx(0.5)
    assert dist.loc["Totals", "share"] == pytest.approx(1.0)


def test_migration_matrix_by_hand() -> None:
    scale = MasterScale(bounds=[0.001, 0.01, 0.1, 1.0], labels=["A", "B", "C"])
    before = pd.Series(["A", "A", "B", "B", "C", "C"], index=list("uvwxyz"))
    after = pd.Series(["A", "B", "A", "B", "D", "C", "A"], index=list("uvwxyzq"))  # q is new
    result = scale.migration_matrix(before, after)
    c = result.counts
    assert c.loc["A", "A"] == 1 and c.loc["A", "B"] == 1 and c.loc["B", "A"] == 1
    assert c.loc["C", "D"] == 1 and c.to_numpy().sum() == 6
    assert result.stable_share == pytest.approx(3 / 6)
    assert result.upgrade_share == pytest.approx(1 / 6)
    assert result.downgrade_share == pytest.approx(2 / 6)
    np.testing.assert_allclose(result.rates.loc[["A", "B", "C"]].sum(axis=1), 1.0)
    assert result.rates.loc["D"].isna().all()
    assert "stable 50.0%" in str(result)
    assert result.summary()["stable_share"].iloc[0] == pytest.approx(0.5)
    # PDs work as well and arrays are compared position by position
    by_pd = scale.migration_matrix(np.array([0.0005, 0.05]), np.array([0.02, 0.05]))
    assert by_pd.counts.loc["A", "B"] == 1 and by_pd.counts.loc["B", "B"] == 1


def test_migration_length_mismatch() -> None:
    with pytest.raises(DataError, match=r"before and after must have the same length \(got 2 and 1\)"):
        MasterScale().migration_matrix([0.1, 0.2], [0.1])


def test_binomial_hand_computation() -> None:
    # n = 10, d = 2, PD = 5%: P(X >= 2) = 1 - 0.95^10 - 10 * 0.05 * 0.95^9 (hand computation)
    scale = MasterScale(bounds=[0.01, 0.1, 1.0], labels=["A", "B"])
    res = scale.calibration(np.full(10, 0.05), [1, 1] + [0] * 8)
    expected = 1 - 0.95**10 - 10 * 0.05 * 0.95**9
    assert res.table.loc["A", "binomial_pvalue"] == pytest.approx(expected, abs=1e-12)
    assert math.isclose(expected, 0.0861384, abs_tol=1e-7)


def test_calibration_against_scipy_binomtest_and_beta() -> None:
    rng = np.random.default_rng(7)
    pds = rng.uniform(0.0005, 0.3, 3000)
    defaults = rng.uniform(size=pds.size) < pds * 1.3  # PDs underestimated by 30%
    scale = MasterScale()
    res = scale.calibration(pds, defaults.astype(int), significance=0.05)
    grades = np.asarray(scale.grade(pds))
    for g, row in res.table.iterrows():
        mask = grades == g
        n, d, p = int(mask.sum()), int(defaults[mask].sum()), float(pds[mask].mean())
        assert (row["n"], row["defaults"]) == (n, d)
        # references: scipy.stats.binomtest (exact one-sided test) and the Jeffreys posterior
        # Beta(d + 1/2, n - d + 1/2) of the ECB IRB validation instructions (2019, 2.5.3.1)
        assert row["binomial_pvalue"] == pytest.approx(
            stats.binomtest(d, n, p, alternative="greater").pvalue, rel=1e-9, abs=1e-12)
        assert row["jeffreys_pvalue"] == pytest.approx(stats.beta(d + 0.5, n - d + 0.5).cdf(p), rel=1e-9, abs=1e-12)
    # a 30% underestimate over 3,000 obligors is caught in the high-PD grades
    assert not res.passed and "9" in res.rejected
    assert "rejected grades" in str(res)


def test_calibration_accepts_well_calibrated_pds() -> None:
    rng = np.random.default_rng(3)
    pds = rng.uniform(0.001, 0.2, 4000)
    defaults = (rng.uniform(size=pds.size) < pds).astype(int)
    res = MasterScale().calibration(pds, defaults, significance=0.01, reference="mean")
    assert res.passed, str(res)


def test_calibration_bad_input() -> None:
    scale = MasterScale()
    with pytest.raises(DataError, match=r"defaults must be 0/1 .*got values \[0, 2\]"):
        scale.calibration([0.1, 0.2], [0, 2])
    with pytest.raises(ParameterError, match=r"reference must be 'mean' or 'mid' \(got reference='avg'\)"):
        scale.calibration([0.1], [0], reference="avg")
    with pytest.raises(ParameterError, match=r"significance must be in \(0\.0, 0\.5\] \(got significance=0\.9\)"):
        scale.calibration([0.1], [0], significance=0.9)
