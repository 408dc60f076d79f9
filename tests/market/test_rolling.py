"""rolling_var: out-of-sample, equal to the naive arch loop (bit for bit by default), warm starts,
workers, warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from arch import arch_model

from riskkit.exceptions import ConvergenceWarning, DataError, FastPathWarning, ParameterError
from riskkit.market import _fast_arch, rolling_var
from riskkit.market._volatility import ArchEngine, Fit

UNSUPPORTED = _fast_arch.unsupported_reason()

WINDOW = 500


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    from riskkit.data._market import sp500

    p = sp500()["adj_close"].loc["2006-06-01":"2009-01-31"]
    return (100 * np.log(p).diff()).dropna().rename("sp500")


def naive_loop(r: pd.Series, n: int, dist: str = "t") -> np.ndarray:
    """The loop a quant writes: new arch model, cold fit and forecast for every day."""
    y = r.to_numpy()
    out = []
    for t in range(WINDOW, WINDOW + n):
        am = arch_model(y[t - WINDOW : t], vol="GARCH", p=1, q=1, dist=dist)
        res = am.fit(disp="off", show_warning=False)
        fc = res.forecast(horizon=1, reindex=False)
        q = am.distribution.ppf(0.01, res.params.to_numpy()[-1:])
        out.append(-(fc.mean.to_numpy()[-1, 0] + np.sqrt(fc.variance.to_numpy()[-1, 0]) * q))
    return np.array(out)


def test_garch_t_matches_naive_arch_loop(returns: pd.Series) -> None:
    # the market issue's bar is every VaR within 1% of the loop's; the default (cold) engine
    # retraces arch's fit, so the forecasts agree to rounding (percent returns, which arch and
    # rolling_var leave unscaled; the quantile is scipy's stdtrit, arch's is scipy's t.ppf)
    r = returns.iloc[: WINDOW + 40]
    fast = rolling_var(r, model="garch", dist="t", method="parametric", window=WINDOW, n_jobs=1)
    ref = naive_loop(r, 40)
    assert list(fast.columns) == ["var", "es"]
    assert fast.index.equals(r.index[WINDOW:])
    np.testing.assert_allclose(fast["var"].to_numpy(), ref, rtol=1e-10)
    assert (fast["es"] > fast["var"]).all()
    assert fast.attrs["warm_start"] is False


def test_default_matches_arch_where_the_likelihood_has_two_optima() -> None:
    # S&P 500 windows of 1000 days ending in July 2006: GARCH-t fits with alpha ~ 0 and beta ~ 0.99
    # and with alpha ~ 0.02 and beta ~ 0.97 are nearly as likely; warm starts were up to 17% off
    # the loop here (benchmarks/bench_rolling_var.py), the default must equal arch's cold fits
    from riskkit.data._market import sp500

    r = (100 * np.log(sp500()["adj_close"]).diff()).dropna().loc[:"2006-07-26"].iloc[-1008:]
    fast = rolling_var(r, model="garch", dist="t", method="parametric", window=1000, n_jobs=1)
    y = r.to_numpy()
    ref = []
    for t in range(1000, 1008):
        am = arch_model(y[t - 1000 : t], vol="GARCH", p=1, q=1, dist="t")
        res = am.fit(disp="off", show_warning=False)
        fc = res.forecast(horizon=1, reindex=False)
        q = am.distribution.ppf(0.01, res.params.to_numpy()[-1:])
        ref.append(-(fc.mean.to_numpy()[-1, 0] + np.sqrt(fc.variance.to_numpy()[-1, 0]) * q))
    np.testing.assert_allclose(fast["var"].to_numpy(), ref, rtol=1e-10)


def test_warm_start_stays_close_to_the_naive_loop(returns: pd.Series) -> None:
    # warm starts may settle in another local optimum on flat likelihoods (not on this span)
    r = returns.iloc[: WINDOW + 40]
    warm = rolling_var(r, model="garch", dist="t", method="parametric", window=WINDOW, n_jobs=1, warm_start=True)
    np.testing.assert_allclose(warm["var"].to_numpy(), naive_loop(r, 40), rtol=0.01)
    assert warm.attrs["warm_start"] is True


@pytest.mark.skipif(UNSUPPORTED is not None, reason=f"fast path not supported here: {UNSUPPORTED}")
@pytest.mark.parametrize(("model", "dist"), [("garch", "t"), ("gjr", "skewt"), ("egarch", "normal"), ("garch", "normal")])
def test_cold_fit_is_arch_fit_bit_for_bit(returns: pd.Series, model: str, dist: str) -> None:
    # on the arch / scipy versions _fast_arch.SUPPORTED declares, the fast engine's estimates are
    # arch's own (a fresh ARCHModel.fit per window, what the naive loop does) to the last bit,
    # and so is its one-step forecast (arch's forecast at those parameters)
    from riskkit.market._volatility import build_arch_model

    y = returns.to_numpy()
    engine = _fast_arch.FastArchEngine(y, model, dist)
    public = ArchEngine(y, model, dist)
    for last in (WINDOW, WINDOW + 57, len(y)):
        fit = engine.fit(last - WINDOW, last)
        res = build_arch_model(y[last - WINDOW : last], model, dist).fit(disp="off", show_warning=False)
        assert fit.converged == (res.convergence_flag == 0)
        np.testing.assert_array_equal(fit.params, res.params.to_numpy())
        fc = res.forecast(horizon=1, reindex=False)
        mu, s2, z = engine.filter(fit.params, last - WINDOW, last)
        assert (mu, s2) == (fc.mean.to_numpy()[-1, 0], fc.variance.to_numpy()[-1, 0])
        np.testing.assert_array_equal(z, public.filter(fit.params, last - WINDOW, last)[2])


@pytest.mark.filterwarnings("ignore::riskkit.exceptions.ConvergenceWarning")  # EGARCH: two windows, both paths
@pytest.mark.parametrize(("model", "dist", "method"), [("garch", "t", "parametric"), ("gjr", "skewt", "fhs"),
                                                       ("egarch", "normal", "parametric")])
def test_fallback_on_fast_path_error_gives_the_same_vars(returns: pd.Series, monkeypatch: pytest.MonkeyPatch,
                                                          model: str, dist: str, method: str) -> None:
    # the reference is the fast path itself (bit-for-bit arch above); the fallback is arch's
    # public fit, so the two agree to rounding: 1e-6 relative is the bar
    r = returns.iloc[: WINDOW + 25]
    kw = dict(model=model, dist=dist, method=method, window=WINDOW, n_jobs=1, refit_every=3)
    fast = rolling_var(r, **kw)
    assert fast.attrs["engine"] == "riskkit fast path"

    def broken(self: object, first: int, last: int) -> Fit:
        raise TypeError("slsqp() takes 11 positional arguments but 12 were given")

    monkeypatch.setattr(_fast_arch.FastArchEngine, "_fit_cold", broken)
    with pytest.warns(FastPathWarning, match=r"instead of riskkit's fast GARCH path because the fast GARCH "
                                             r"path raised TypeError: slsqp\(\) takes 11"):
        slow = rolling_var(r, **kw)
    assert slow.attrs["engine"] == "arch public API"
    np.testing.assert_allclose(slow.to_numpy(), fast.to_numpy(), rtol=1e-6)


def test_fallback_on_untested_versions(returns: pd.Series, monkeypatch: pytest.MonkeyPatch) -> None:
    r = returns.iloc[: WINDOW + 10]
    fast = rolling_var(r, model="gjr", dist="t", window=WINDOW, n_jobs=1)
    monkeypatch.setitem(_fast_arch.SUPPORTED, "arch", ((99, 0), (99, 1)))
    with pytest.warns(FastPathWarning, match=r"because arch \S+ is outside the range the fast GARCH path was "
                                             r"tested on \(arch >= 99.0, < 99.1\)"):
        slow = rolling_var(r, model="gjr", dist="t", window=WINDOW, n_jobs=1)
    assert slow.attrs["engine"] == "arch public API"
    np.testing.assert_allclose(slow.to_numpy(), fast.to_numpy(), rtol=1e-6)


def test_unsupported_reason_reads_versions() -> None:
    assert _fast_arch.unsupported_reason({"arch": "8.0.0", "scipy": "1.17.1"}) is None
    assert _fast_arch.unsupported_reason({"arch": "8.0.1.dev3+g1", "scipy": "1.16.0rc1"}) is None
    assert "scipy 1.15.2 is outside" in str(_fast_arch.unsupported_reason({"arch": "8.0.0", "scipy": "1.15.2"}))
    assert "arch 9.0.0 is outside" in str(_fast_arch.unsupported_reason({"arch": "9.0.0", "scipy": "1.17.1"}))


def test_parallel_workers_give_the_same_forecasts(returns: pd.Series) -> None:
    # each chunk starts on a refit day and refits cold, so the split into processes cannot change
    # any number: exact equality
    r = returns.iloc[: WINDOW + 130]
    one = rolling_var(r, model="garch", dist="normal", method="parametric", window=WINDOW, n_jobs=1)
    two = rolling_var(r, model="garch", dist="normal", method="parametric", window=WINDOW, n_jobs=2)
    pd.testing.assert_frame_equal(two, one, check_exact=True)


def test_forecast_uses_only_past_data(returns: pd.Series) -> None:
    r = returns.iloc[: WINDOW + 12]
    base = rolling_var(r, model="gjr", dist="t", method="fhs", window=WINDOW, n_jobs=1)
    shocked = r.copy()
    shocked.iloc[WINDOW + 6] = -25.0  # a crash on forecast day 6 must not move forecasts up to day 6
    moved = rolling_var(shocked, model="gjr", dist="t", method="fhs", window=WINDOW, n_jobs=1)
    np.testing.assert_allclose(moved["var"].iloc[:7], base["var"].iloc[:7], rtol=1e-9)
    assert moved["var"].iloc[7] > base["var"].iloc[7]


def test_refit_every_keeps_parameters_between_refits(returns: pd.Series, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = ArchEngine.fit

    def counting(self: ArchEngine, first: int, last: int, start: np.ndarray | None = None) -> Fit:
        calls.append(last)
        return original(self, first, last, start)

    monkeypatch.setattr(ArchEngine, "fit", counting)
    r = returns.iloc[: WINDOW + 20]
    out = rolling_var(r, model="garch", dist="t", method="parametric", window=WINDOW, refit_every=5, n_jobs=1)
    assert calls == [WINDOW + k for k in range(0, 20, 5)]
    assert out["var"].nunique() == 20  # the volatility still updates every day


def test_hs_rolling_equals_numpy_quantiles(returns: pd.Series) -> None:
    out = rolling_var(returns, model="hs", window=250, alpha=0.05)
    y = returns.to_numpy()
    for i in (0, 17, len(out) - 1):
        win = y[i : i + 250]
        q = np.quantile(win, 0.05)
        assert out["var"].iloc[i] == pytest.approx(-q, rel=1e-12)
        assert out["es"].iloc[i] == pytest.approx(-win[win <= q].mean(), rel=1e-12)


def test_ewma_rolling_normal(returns: pd.Series) -> None:
    out = rolling_var(returns, model="ewma", dist="normal", method="parametric", window=250)
    y = returns.to_numpy()
    s2 = np.mean(y[:250] ** 2)
    for t in range(250):
        s2 = 0.94 * s2 + 0.06 * y[t] ** 2
    assert out["var"].iloc[0] == pytest.approx(2.3263478740408408 * np.sqrt(s2), rel=1e-10)


def test_nonconvergence_warns_with_date_and_keeps_parameters(returns: pd.Series, monkeypatch: pytest.MonkeyPatch) -> None:
    r = returns.iloc[: WINDOW + 6]
    original = ArchEngine.fit
    bad_day = WINDOW + 3

    def flaky(self: ArchEngine, first: int, last: int, start: np.ndarray | None = None) -> Fit:
        fit = original(self, first, last, start)
        return Fit(fit.params * 0 + 1e3, False) if last == bad_day else fit

    monkeypatch.setattr(ArchEngine, "fit", flaky)
    day = r.index[bad_day]
    with pytest.warns(ConvergenceWarning, match=rf"forecast of {day}.*did not converge; kept the previous parameters"):
        out = rolling_var(r, model="garch", dist="normal", method="parametric", window=WINDOW, n_jobs=1)
    assert out.attrs["non_converged"] == [day]
    assert np.isfinite(out["var"]).all() and out["var"].iloc[3] < 20


# -- bad input ---------------------------------------------------------------------------------
def test_window_longer_than_series(returns: pd.Series) -> None:
    r = returns.iloc[:250]
    with pytest.raises(ParameterError, match=r"window must be smaller than the series \(got window=1000 for 250 observations\)"):
        rolling_var(r, window=1000)


@pytest.mark.parametrize("alpha", [0.0, 0.75, 0.99])
def test_alpha_outside_range(returns: pd.Series, alpha: float) -> None:
    with pytest.raises(ParameterError, match=rf"alpha must be in \(0, 0.5\] \(got alpha={alpha!r}\)"):
        rolling_var(returns, alpha=alpha, window=250)


def test_nan_returns(returns: pd.Series) -> None:
    bad = returns.copy()
    bad.iloc[10] = np.nan
    with pytest.raises(DataError, match=r"returns contains 1 NaN or infinite values \(first at Timestamp\('2006-06-16"):
        rolling_var(bad, window=250)


def test_infinite_returns(returns: pd.Series) -> None:
    bad = returns.copy()
    bad.iloc[3] = -np.inf
    with pytest.raises(DataError, match=r"returns contains 1 NaN or infinite values .*value -inf"):
        rolling_var(bad, window=250)


def test_non_increasing_dates(returns: pd.Series) -> None:
    bad = returns.iloc[[0, 2, 1] + list(range(3, 400))]
    with pytest.raises(DataError, match=r"returns dates must be increasing \(got Timestamp\('2006-06-05"):
        rolling_var(bad, window=250)


def test_duplicated_dates(returns: pd.Series) -> None:
    bad = pd.concat([returns.iloc[:5], returns.iloc[4:400]])
    with pytest.raises(DataError, match=r"returns has duplicated dates \(first duplicate Timestamp\('2006-06-08"):
        rolling_var(bad, window=250)


def test_bad_warm_start(returns: pd.Series) -> None:
    with pytest.raises(ParameterError, match=r"warm_start must be True or False \(got warm_start='yes'\)"):
        rolling_var(returns, window=250, warm_start="yes")  # type: ignore[arg-type]


def test_bad_refit_every_and_model(returns: pd.Series) -> None:
    with pytest.raises(ParameterError, match=r"refit_every must be >= 1 \(got refit_every=0\)"):
        rolling_var(returns, window=250, refit_every=0)
    with pytest.raises(ParameterError, match=r"model must be one of .* \(got model='arima'\)"):
        rolling_var(returns, window=250, model="arima")


# -- AR(1) conditional mean ------------------------------------------------------------------
def arch_ar1_var(r: pd.Series, n: int, vol: str, o: int, dist: str, alpha: float = 0.01) -> np.ndarray:
    """The AR(1) VaR computed with arch alone, window by window: a fresh
    ``arch_model(window, mean="AR", lags=1, ...)`` cold fit, ``forecast(horizon=1)`` and the
    fitted distribution's ppf: VaR = -(mean + sqrt(variance) * ppf(alpha))."""
    y = r.to_numpy()
    out = []
    for t in range(WINDOW, WINDOW + n):
        am = arch_model(y[t - WINDOW : t], mean="AR", lags=1, vol=vol, p=1, o=o, q=1, dist=dist)
        res = am.fit(disp="off", show_warning=False)
        fc = res.forecast(horizon=1, reindex=False)
        k = am.distribution.num_params
        q = am.distribution.ppf(alpha, res.params.to_numpy()[len(res.params) - k :])
        out.append(-(fc.mean.to_numpy()[-1, 0] + np.sqrt(fc.variance.to_numpy()[-1, 0]) * q))
    return np.array(out)


@pytest.mark.parametrize(("model", "vol", "o", "dist"), [("gjr", "GARCH", 1, "skewt"), ("garch", "GARCH", 0, "t"),
                                                         ("garch", "GARCH", 0, "normal")])
def test_ar1_var_equals_arch_ar1_fit_and_forecast(returns: pd.Series, model: str, vol: str, o: int,
                                                  dist: str) -> None:
    # Reference: arch's AR(1) mean (arch.univariate.ARX, arch_model(mean="AR", lags=1)), fitted
    # and forecast by arch itself (ARCHModel.fit, ARCHModelResult.forecast: mean = const + phi *
    # last return, arch's one-step variance) with the quantile from arch's own distribution ppf.
    # rolling_var fits AR(1) means with arch's public fit on the same window, so the estimates are
    # the same; only the quantile route differs (riskkit's std_tail: scipy's stdtrit for the t,
    # arch's ppf for the skew-t), hence rtol 1e-10 (observed: 0 to 4e-16).
    r = returns.iloc[: WINDOW + 12]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FastPathWarning)  # AR(1) is arch's fit by design, no fallback warning
        got = rolling_var(r, model=model, dist=dist, method="parametric", window=WINDOW, n_jobs=1, mean="ar1")
    np.testing.assert_allclose(got["var"].to_numpy(), arch_ar1_var(r, 12, vol, o, dist), rtol=1e-10)
    assert got.attrs["mean"] == "ar1" and got.attrs["engine"] == "arch public API"
    assert (got["es"] > got["var"]).all()


def test_ar1_refits_and_mean_moves_with_the_last_return(returns: pd.Series) -> None:
    # between refits the AR(1) mean forecast follows the last return: with refit_every=5 the
    # refit-day forecasts equal arch's cold fits, and the default EVT method runs on AR residuals
    r = returns.iloc[: WINDOW + 10]
    par = rolling_var(r, model="gjr", dist="normal", method="parametric", window=WINDOW, n_jobs=1,
                      refit_every=5, mean="ar1")
    ref = arch_ar1_var(r, 10, "GARCH", 1, "normal")
    np.testing.assert_allclose(par["var"].to_numpy()[[0, 5]], ref[[0, 5]], rtol=1e-10)
    evt = rolling_var(r, window=WINDOW, n_jobs=1, refit_every=5, mean="ar1")
    const = rolling_var(r, window=WINDOW, n_jobs=1, refit_every=5)
    assert evt.attrs["method"] == "evt" and np.all(np.isfinite(evt.to_numpy()))
    assert not np.allclose(evt["var"], const["var"], rtol=1e-6)


def test_constant_mean_is_the_default_and_unchanged(returns: pd.Series) -> None:
    # mean="constant" is the default and the same code path, bit for bit (the fast engine);
    # test_garch_t_matches_naive_arch_loop pins that path against arch's constant-mean fits
    r = returns.iloc[: WINDOW + 15]
    default = rolling_var(r, window=WINDOW, n_jobs=1, refit_every=3)
    explicit = rolling_var(r, window=WINDOW, n_jobs=1, refit_every=3, mean="constant")
    pd.testing.assert_frame_equal(explicit, default, check_exact=True)
    assert default.attrs["mean"] == "constant"
    if UNSUPPORTED is None:
        assert default.attrs["engine"] == "riskkit fast path"


def test_bad_mean(returns: pd.Series) -> None:
    with pytest.raises(ParameterError, match=r"mean must be one of \['constant', 'ar1'\] \(got mean='AR'\); "
                                             r"'constant' is the default, 'ar1' adds arch's AR\(1\) term"):
        rolling_var(returns, window=250, mean="AR")
    with pytest.raises(ParameterError, match=r"mean must be one of .* \(got mean=None\)"):
        rolling_var(returns, window=250, mean=None)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"mean='ar1' needs a GARCH-family model \(got model='ewma'\); "
                                             r"use model='gjr' or mean='constant'"):
        rolling_var(returns, window=250, model="ewma", dist="normal", mean="ar1")
