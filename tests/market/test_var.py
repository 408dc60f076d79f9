"""VaR / ES functions against scipy and arch computed independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from arch.univariate import SkewStudent
from scipy import integrate, stats

from riskkit.exceptions import DataError, ParameterError
from riskkit.market import (
    VaRModel,
    ewma_var,
    fhs_var,
    garch_var,
    historical_var,
    monte_carlo_var,
    parametric_var,
    portfolio_var,
)
from riskkit.market._var import scale_factor
from riskkit.market._volatility import ewma_variance, std_tail


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    from riskkit.data._market import sp500

    p = sp500()["adj_close"].iloc[-801:]
    return np.log(p).diff().dropna().rename("sp500")


def test_historical_var_is_numpy_quantile(returns: pd.Series) -> None:
    est = historical_var(returns, 0.01)
    q = np.quantile(returns, 0.01)
    assert est.var == pytest.approx(-q, rel=1e-12)
    assert est.es == pytest.approx(-returns[returns <= q].mean(), rel=1e-12)


def test_normal_var_es_match_scipy(returns: pd.Series) -> None:
    est = parametric_var(returns, 0.01, es_alpha=0.025)
    mu, sd = returns.mean(), returns.std(ddof=1)
    assert est.var == pytest.approx(-stats.norm.ppf(0.01, mu, sd), rel=1e-10)
    # ES_2.5% = -(mu - sd * pdf(z)/a), z = norm.ppf(0.025)
    es = -stats.norm.expect(lambda x: x, loc=mu, scale=sd, ub=stats.norm.ppf(0.025, mu, sd)) / 0.025
    assert est.es == pytest.approx(es, rel=1e-7)


@pytest.mark.parametrize("nu", [3.5, 5.0, 12.0])
def test_std_t_tail_matches_scipy(nu: float) -> None:
    scale = np.sqrt((nu - 2) / nu)
    q, m = std_tail("t", np.array([nu]), 0.01)
    assert q == pytest.approx(stats.t.ppf(0.01, nu) * scale, rel=1e-10)
    tail, _ = integrate.quad(lambda x: x * stats.t.pdf(x, nu), -np.inf, stats.t.ppf(0.01, nu))
    assert m == pytest.approx(tail / 0.01 * scale, rel=1e-8)


@pytest.mark.parametrize(("eta", "lam"), [(6.0, -0.2), (8.0, 0.1)])
def test_std_skewt_tail_matches_arch_quadrature(eta: float, lam: float) -> None:
    # ES of Hansen's skew-t from arch's ppf integrated by adaptive quadrature (scipy.quad)
    law = SkewStudent()
    params = np.array([eta, lam])
    q, m = std_tail("skewt", params, 0.025)
    assert q == pytest.approx(float(law.ppf(0.025, params)), rel=1e-12)
    ref, _ = integrate.quad(lambda u: float(law.ppf(u, params)), 0.0, 0.025, limit=200)
    assert m == pytest.approx(ref / 0.025, rel=1e-6)


def test_student_t_parametric_var_uses_fitted_df(returns: pd.Series) -> None:
    est = parametric_var(returns, 0.01, dist="t")
    z = (returns - returns.mean()) / returns.std(ddof=1)
    nu = stats.t.fit((z - z.mean()) / z.std(), floc=0.0)[0]
    expected = -(returns.mean() + returns.std(ddof=1) * stats.t.ppf(0.01, nu) * np.sqrt((nu - 2) / nu))
    assert est.var == pytest.approx(expected, rel=1e-4)


def test_ewma_recursion_matches_loop() -> None:
    rng = np.random.default_rng(0)
    r = rng.standard_normal(200)
    s2 = ewma_variance(r, 0.94, init=1.3)
    ref = [1.3]
    for x in r:
        ref.append(0.94 * ref[-1] + 0.06 * x * x)
    np.testing.assert_allclose(s2, ref, rtol=1e-12)


def test_ewma_var_is_riskmetrics(returns: pd.Series) -> None:
    s2 = ewma_variance(returns.to_numpy(), 0.94)
    est = ewma_var(returns, 0.01)
    assert est.var == pytest.approx(-np.sqrt(s2[-1]) * stats.norm.ppf(0.01), rel=1e-10)


@pytest.mark.parametrize(("model", "dist"), [("garch", "t"), ("gjr", "skewt"), ("egarch", "normal")])
def test_garch_var_matches_arch(returns: pd.Series, model: str, dist: str) -> None:
    scale = scale_factor(returns.to_numpy())  # the power of ten riskkit fits on (1000 here)
    y = returns * scale
    vol, o = ("EGARCH", 1) if model == "egarch" else ("GARCH", 0 if model == "garch" else 1)
    res = arch_model(y, vol=vol, p=1, o=o, q=1, dist=dist).fit(disp="off")
    fc = res.forecast(horizon=1, reindex=False)
    mu, sigma = fc.mean.to_numpy()[-1, 0], np.sqrt(fc.variance.to_numpy()[-1, 0])
    k = res.model.distribution.num_params
    q = res.model.distribution.ppf(0.01, res.params.to_numpy()[len(res.params) - k :])
    est = garch_var(returns, 0.01, model=model, dist=dist)
    assert est.var == pytest.approx(-(mu + sigma * q) / scale, rel=1e-6)
    assert est.es > est.var


def test_fhs_and_mc_agree_with_parametric_roughly(returns: pd.Series) -> None:
    par = garch_var(returns, 0.05, model="gjr", dist="t")
    fhs = fhs_var(returns, 0.05, model="gjr", dist="t")
    mc = monte_carlo_var(returns, 0.05, model="gjr", dist="t", n_sims=50_000)
    assert mc.var == pytest.approx(par.var, rel=0.03)  # 50k draws: MC error well under 3%
    assert fhs.var == pytest.approx(par.var, rel=0.25)


def test_multiday_sqrt_and_simulation(returns: pd.Series) -> None:
    one = historical_var(returns, 0.01)
    ten = historical_var(returns, 0.01, horizon=10)
    assert ten.var == pytest.approx(one.var * np.sqrt(10), rel=1e-12)
    sim = garch_var(returns, 0.01, horizon=10, horizon_method="simulation", n_sims=4000)
    sq = garch_var(returns, 0.01, horizon=10)
    assert 0.5 * sq.var < sim.var < 1.5 * sq.var


def test_portfolio_normal_matches_covariance_formula(returns: pd.Series) -> None:
    frame = pd.DataFrame({"a": returns.to_numpy(), "b": np.roll(returns.to_numpy(), 3) * 0.5})
    w = np.array([2e6, -1e6])
    res = portfolio_var(frame, w, 0.01)
    sd = np.sqrt(w @ frame.cov().to_numpy() @ w)
    assert res.var == pytest.approx(-(w @ frame.mean().to_numpy() + sd * stats.norm.ppf(0.01)), rel=1e-10)
    assert res.contributions["var_contribution"].sum() == pytest.approx(res.var, rel=1e-10)
    hs = portfolio_var(frame, w, 0.01, method="hs")
    assert hs.contributions["es_contribution"].sum() == pytest.approx(hs.es, rel=1e-10)


def test_model_summary_and_params(returns: pd.Series) -> None:
    m = VaRModel("gjr", dist="skewt", method="fhs").fit(returns)
    assert list(m.params_.index)[:2] == ["mu", "omega"]
    assert "99% VaR" in str(m.forecast(0.01))


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.0, 0.51, 0.99, 1.5])
def test_alpha_outside_range(returns: pd.Series, alpha: float) -> None:
    with pytest.raises(ParameterError, match=rf"alpha must be in \(0, 0.5\] \(got alpha={alpha!r}\)"):
        historical_var(returns, alpha)


def test_nan_and_inf_returns(returns: pd.Series) -> None:
    bad = returns.copy()
    bad.iloc[5] = np.nan
    with pytest.raises(DataError, match=r"returns contains 1 NaN or infinite values"):
        parametric_var(bad)
    bad.iloc[5] = np.inf
    with pytest.raises(DataError, match=r"returns contains 1 NaN or infinite values .*value inf"):
        garch_var(bad)


def test_unknown_model_and_dist(returns: pd.Series) -> None:
    with pytest.raises(ParameterError, match=r"dist must be one of \['normal', 't', 'skewt'\] \(got dist='cauchy'\)"):
        garch_var(returns, dist="cauchy")
    with pytest.raises(ParameterError, match=r"dist='skewt' needs a GARCH-family volatility"):
        ewma_var(returns, dist="skewt")
