"""Backtests against published worked examples and independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from riskkit.exceptions import DataError, ParameterError
from riskkit.market import backtest


def mathworks_hits() -> np.ndarray:
    """1,043 days with the transition counts n00/n01/n10/n11 = 932/53/53/4 of MathWorks'
    example (49 isolated hits and 4 pairs = 57 hits, starting and ending without a hit)."""
    runs = [1] * 49 + [2] * 4
    seq: list[int] = []
    gaps = np.full(len(runs) + 1, (1043 - 57) // (len(runs) + 1))
    gaps[: (1043 - 57) - gaps.sum()] += 1
    for gap, run in zip(gaps[:-1], runs):
        seq += [0] * int(gap) + [1] * run
    seq += [0] * int(gaps[-1])
    return np.array(seq)


# MathWorks, "VaR Backtesting Workflow" / varbacktest documentation (S&P 500, 1,043 days):
# pof at 95%: 57 exceptions -> LRatioPOF 0.46147, PValuePOF 0.49694;
# pof at 99%: 17 exceptions -> LRatioPOF 3.5118, PValuePOF 0.060933;
# cci at 95%: N00/N01/N10/N11 = 932/53/53/4 -> LRatioCCI 0.25866, PValueCCI 0.61104.
# Published figures have 5 significant digits: tolerance 5e-5 relative.
@pytest.mark.parametrize(
    ("x", "alpha", "lr", "p"),
    [(57, 0.05, 0.46147, 0.49694), (17, 0.01, 3.5118, 0.060933)],
)
def test_kupiec_matches_mathworks(x: int, alpha: float, lr: float, p: float) -> None:
    res = backtest.kupiec_pof(x, 1043, alpha)
    assert res.statistic == pytest.approx(lr, rel=5e-5)
    assert res.pvalue == pytest.approx(p, rel=5e-5)


def test_christoffersen_matches_mathworks() -> None:
    hits = mathworks_hits()
    assert hits.size == 1043 and hits.sum() == 57
    assert backtest.transitions(hits) == {"n00": 932, "n01": 53, "n10": 53, "n11": 4}
    res = backtest.christoffersen(hits)
    assert res.statistic == pytest.approx(0.25866, rel=5e-5)
    assert res.pvalue == pytest.approx(0.61104, rel=5e-5)


def test_conditional_coverage_is_pof_plus_independence() -> None:
    # LR_cc = LR_pof + LR_ind, chi-square with 2 degrees of freedom (Christoffersen 1998)
    res = backtest.conditional_coverage(mathworks_hits(), 0.05)
    assert res.statistic == pytest.approx(0.46147 + 0.25866, rel=1e-4)
    assert res.pvalue == pytest.approx(stats.chi2.sf(0.46147 + 0.25866, 2), rel=1e-4)


# BCBS (1996), "Supervisory framework for the use of backtesting in conjunction with the
# internal models approach", Table 1-2: 250 days at 99%, cumulative probability (in %, two
# decimals) and plus factor per number of exceptions.
BCBS = [
    (0, 8.11, "green", 3.00), (1, 28.58, "green", 3.00), (2, 54.32, "green", 3.00),
    (3, 75.81, "green", 3.00), (4, 89.22, "green", 3.00), (5, 95.88, "yellow", 3.40),
    (6, 98.63, "yellow", 3.50), (7, 99.60, "yellow", 3.65), (8, 99.89, "yellow", 3.75),
    (9, 99.97, "yellow", 3.85), (10, 99.99, "red", 4.00), (14, 100.0, "red", 4.00),
]


@pytest.mark.parametrize(("x", "cum_pct", "zone", "mult"), BCBS)
def test_traffic_light_bcbs_table(x: int, cum_pct: float, zone: str, mult: float) -> None:
    res = backtest.traffic_light(x, 250, 0.01)
    assert res.zone == zone
    assert res.multiplier == pytest.approx(mult, abs=1e-12)
    assert 100 * res.cumulative_probability == pytest.approx(cum_pct, abs=0.005)
    assert res.zone_code == {"green": 0, "yellow": 1, "red": 2}[zone]


def test_traffic_light_other_window_uses_binomial_zones() -> None:
    # 500 days at 99%: yellow starts at the first x with binom.cdf(x) >= 0.95 (scipy)
    first_yellow = int(np.argmax(stats.binom.cdf(np.arange(40), 500, 0.01) >= 0.95))
    assert backtest.traffic_light(first_yellow - 1, 500, 0.01).zone == "green"
    assert backtest.traffic_light(first_yellow, 500, 0.01).zone == "yellow"
    assert backtest.traffic_light(first_yellow, 500, 0.01).multiplier == pytest.approx(3.40)
    first_red = int(np.argmax(stats.binom.cdf(np.arange(40), 500, 0.01) >= 0.9999))
    assert backtest.traffic_light(first_red, 500, 0.01).zone == "red"


def _weibull_lr_direct(hits: np.ndarray) -> float:
    """Independent 2-parameter maximisation of the censored Weibull likelihood
    (Christoffersen and Pelletier 2004, eq. for lnL(W; b)) with scipy."""
    idx = np.flatnonzero(hits)
    d = np.diff(np.concatenate([[-1], idx])).astype(float)
    d[0] = idx[0] + 1
    c_first = hits[0] == 0
    tail = hits.size - 1 - idx[-1]

    def ll(a: float, b: float) -> float:
        logf = lambda x: b * np.log(a) + np.log(b) + (b - 1) * np.log(x) - (a * x) ** b  # noqa: E731
        logs = lambda x: -((a * x) ** b)  # noqa: E731
        total = (logs(d[0]) if c_first else logf(d[0])) + np.sum(logf(d[1:]))
        return total + (logs(tail) if tail > 0 else 0.0)

    free = optimize.minimize(lambda p: -ll(np.exp(p[0]), np.exp(p[1])), x0=[np.log(0.05), 0.0],
                             method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000})
    exp_ = optimize.minimize_scalar(lambda la: -ll(np.exp(la), 1.0), bounds=(-10, 0), method="bounded",
                                    options={"xatol": 1e-10})
    return float(2 * (-free.fun + exp_.fun))


def test_duration_test_matches_direct_weibull_fit() -> None:
    rng = np.random.default_rng(7)
    clustered = (rng.random(1000) < np.repeat(rng.choice([0.0, 0.2], 40), 25)).astype(int)
    clustered[0] = clustered[-1] = 0
    res = backtest.duration_test(clustered)
    assert res.statistic == pytest.approx(_weibull_lr_direct(clustered), rel=1e-4, abs=1e-6)
    assert res.details["weibull_b"] < 1.0  # clustering gives a decreasing hazard
    assert res.pvalue < 0.05


def test_dynamic_quantile_matches_ols() -> None:
    # DQ = b'X'X b / (a(1-a)) with b the OLS fit of Hit on [1, 4 lags, VaR]: numpy lstsq by hand
    rng = np.random.default_rng(3)
    var = 2 + rng.random(600)
    hits = (rng.random(600) < 0.05).astype(int)
    a = 0.05
    hit = hits - a
    x = np.column_stack([np.ones(596)] + [hit[4 - j - 1 : 600 - j - 1] for j in range(4)] + [var[4:]])
    beta = np.linalg.solve(x.T @ x, x.T @ hit[4:])
    expected = beta @ x.T @ x @ beta / (a * (1 - a))
    res = backtest.dynamic_quantile(hits, var, a)
    assert res.statistic == pytest.approx(expected, rel=1e-10)
    assert res.pvalue == pytest.approx(stats.chi2.sf(expected, 6), rel=1e-10)


def test_z2_critical_value_near_paper() -> None:
    # Acerbi & Szekely (2014), Table 1: Z2 critical values at 5% near -0.7 for T = 250, 97.5% ES
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2020-01-01", periods=250)
    r = pd.Series(stats.t.rvs(5, size=250, random_state=rng), index=idx)
    q = stats.t.ppf(0.025, 5)
    es_true = (5 + q * q) / 4 * stats.t.pdf(q, 5) / 0.025
    res = backtest.acerbi_szekely_z2(r, pd.Series(-q, index=idx), pd.Series(es_true, index=idx), 0.025, n_sims=5000)
    assert -0.9 < res.critical_value < -0.5


def test_z2_rejects_halved_es_and_accepts_the_true_es() -> None:
    # 30 independent samples of T = 1000 Student-t(5) returns with the true 97.5% VaR and the true
    # ES (closed form: ES = (nu + q^2) / (nu - 1) * pdf(q) / alpha, q = t.ppf(alpha)), and the same
    # VaR with half that ES. Under H0 the test rejects at 5% about 5% of the time; with ES halved
    # E[Z2] = -1 against a critical value near -0.35 at T = 1000, and about 88% of samples reject
    # (measured over 40 seeds). Bounds: at most 6 of 30 true-ES rejections (binomial(30, 0.05):
    # P(X >= 7) = 0.0003), at least 20 of 30 halved-ES rejections.
    nu, a, t_obs = 5, 0.025, 1000
    q = stats.t.ppf(a, nu)
    es_true = (nu + q * q) / (nu - 1) * stats.t.pdf(q, nu) / a
    idx = pd.bdate_range("2020-01-01", periods=t_obs)
    var = pd.Series(-q, index=idx)
    true_rejects = halved_rejects = 0
    for seed in range(30):
        r = pd.Series(stats.t.rvs(nu, size=t_obs, random_state=np.random.default_rng(100 + seed)), index=idx)
        good = backtest.acerbi_szekely_z2(r, var, pd.Series(es_true, index=idx), a, n_sims=1000)
        low = backtest.acerbi_szekely_z2(r, var, pd.Series(0.5 * es_true, index=idx), a, n_sims=1000)
        true_rejects += good.pvalue < 0.05
        halved_rejects += low.pvalue < 0.05
    assert true_rejects <= 6
    assert halved_rejects >= 20


def test_backtest_var_report() -> None:
    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2018-01-01", periods=800)
    r = pd.Series(rng.standard_normal(800), index=idx)
    var = pd.Series(stats.norm.ppf(0.99), index=idx)
    es = pd.Series(stats.norm.pdf(stats.norm.ppf(0.01)) / 0.01, index=idx)
    rep = backtest.backtest_var(r, var, 0.01, es=es)
    x = int((-r > var).sum())
    assert rep.n_exceptions == x and rep.n_obs == 800
    assert rep.kupiec.statistic == pytest.approx(backtest.kupiec_pof(x, 800, 0.01).statistic)
    assert rep.traffic_light.n == 250
    m = rep.metrics("_99")
    assert {"hit_rate_99", "kupiec_pvalue_99", "traffic_light_zone_code_99", "z2_critical_99"} <= set(m)
    text = str(rep)
    assert "Kupiec POF" in text and "traffic light" in text
    assert "dtype:" not in repr(rep)  # the repr shows the tests, not raw Series
    assert list(rep.summary().index) == list(rep.table().index)


def test_exceptions_are_strict_losses() -> None:
    idx = pd.bdate_range("2021-01-01", periods=3)
    hits = backtest.exceptions(pd.Series([-0.02, -0.01, 0.03], index=idx), pd.Series([0.01, 0.01, 0.01], index=idx))
    assert hits.tolist() == [True, False, False]


# -- bad input ---------------------------------------------------------------------------------
def test_exceptions_above_n_raises() -> None:
    with pytest.raises(ParameterError, match=r"exceptions cannot exceed n \(got exceptions=12 for n=10\)"):
        backtest.kupiec_pof(12, 10, 0.01)


def test_n_zero_raises() -> None:
    with pytest.raises(ParameterError, match=r"n must be a positive number of observations \(got n=0\)"):
        backtest.kupiec_pof(0, 0, 0.01)
    with pytest.raises(ParameterError, match=r"got n=0"):
        backtest.traffic_light(0, 0)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 0.99, -0.01])
def test_alpha_outside_range_raises(alpha: float) -> None:
    with pytest.raises(ParameterError, match=rf"alpha must be in \(0, 0.5\] \(got alpha={alpha!r}\)"):
        backtest.kupiec_pof(3, 250, alpha)


def test_misaligned_returns_and_var_raise() -> None:
    r = pd.Series([0.01, -0.02, 0.0], index=pd.bdate_range("2021-01-01", periods=3))
    v = pd.Series([0.02, 0.02, 0.02], index=pd.bdate_range("2021-01-02", periods=3))
    with pytest.raises(DataError, match=r"returns and var are misaligned"):
        backtest.backtest_var(r, v, 0.01)


def test_nan_returns_in_backtest_raise() -> None:
    idx = pd.bdate_range("2021-01-01", periods=3)
    with pytest.raises(DataError, match=r"returns contains 1 NaN or infinite values"):
        backtest.exceptions(pd.Series([0.01, np.nan, 0.0], index=idx), pd.Series(0.02, index=idx))
