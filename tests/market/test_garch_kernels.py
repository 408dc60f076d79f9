"""The compiled GARCH kernels reproduce arch's values bit for bit (riskkit/market/_garch_kernels.py).

Every comparison here is exact equality, not a tolerance: the fast engine retraces arch's SLSQP
path, and one unit in the last place of the likelihood moves that path (and the VaRs by up to
6e-5 relative; ``benchmarks/bench_rolling_var.py --sensitivity``). The references are arch's own
functions (``ARCHModel._loglikelihood``, ``GARCH.starting_values``, ``backcast``,
``variance_bounds``, ``forecast``), numpy's ``sum`` and scipy's ``kurtosis``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from scipy import stats

from riskkit.market import _fast_arch, _garch_kernels
from riskkit.market._volatility import ArchEngine

KERNELS = _garch_kernels.load()
pytestmark = pytest.mark.skipif(KERNELS is None or _fast_arch.unsupported_reason() is not None,
                                reason="numba kernels or the fast path not available here")


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    from riskkit.data._market import sp500

    p = sp500()["adj_close"].loc["2004-01-01":"2012-12-31"]
    return (100 * np.log(p).diff()).dropna().to_numpy()


def test_pairwise_sum_is_numpys_sum() -> None:
    rng = np.random.default_rng(0)
    for n in [*range(0, 300), 999, 1000, 1001, 4099, 65537]:
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3, n)
        assert 0.0 + _garch_kernels._pairwise(a) == np.sum(a), n


def _windows(y: np.ndarray, count: int, size: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [y[s : s + size].copy() for s in rng.integers(0, len(y) - size, count)]


@pytest.mark.parametrize(("o", "dist"), [(0, "t"), (1, "t"), (0, "normal"), (1, "normal")])
def test_loglikelihood_rows_are_archs(y: np.ndarray, o: int, dist: str) -> None:
    rng = np.random.default_rng(o + 10 * (dist == "t"))
    for window in _windows(y, 12, 1000, seed=o):
        engine = _fast_arch.FastArchEngine(window, "gjr" if o else "garch", dist)
        am = engine.am
        resids0, backcast, bounds = engine._window_state(0, len(window))
        obj = _fast_arch._CompiledObjective(engine, np.zeros(len(window)), backcast, bounds,
                                            np.full(4 + o + (dist == "t"), -np.inf),
                                            np.full(4 + o + (dist == "t"), np.inf), KERNELS)
        rows = []
        for _ in range(6):
            x = [rng.normal(0.05, 0.05), rng.uniform(0.005, 0.1), rng.uniform(0.01, 0.15)]
            x += [rng.uniform(0.0, 0.1)] * o + [rng.uniform(0.7, 0.95)]
            x += [rng.uniform(2.5, 30.0)] if dist == "t" else []
            rows.append(x)
        for x in np.array(rows):
            assert obj.nll(x) == am._loglikelihood(x, np.zeros(len(window)), backcast, bounds)


def test_gradient_is_scipys_forward_difference_of_archs_likelihood(y: np.ndarray) -> None:
    # the 2-point gradient scipy's SLSQP would take of arch's objective, value for value
    window = _windows(y, 1, 1000, seed=3)[0]
    engine = _fast_arch.FastArchEngine(window, "garch", "t")
    _, backcast, bounds = engine._window_state(0, len(window))
    lb, ub = np.array([-np.inf, 1e-8, 0.0, 0.0, 2.05]), np.array([np.inf, 10.0, 1.0, 1.0, 500.0])
    compiled = _fast_arch._CompiledObjective(engine, np.zeros(len(window)), backcast, bounds, lb, ub, KERNELS)
    plain = _fast_arch._ArchObjective(engine, np.zeros(len(window)), backcast, bounds, lb, ub)
    for x in ([0.05, 0.02, 0.08, 0.9, 6.0], [0.0, 1e-8, 0.0, 0.999, 2.05], [-0.1, 0.3, 0.2, 0.5, 499.99]):
        x = np.array(x)
        np.testing.assert_array_equal(compiled.steps(x), plain.steps(x))
        np.testing.assert_array_equal(compiled.grad(x), plain.grad(x))
        np.testing.assert_array_equal(compiled.cons(x), plain.cons(x))
        np.testing.assert_array_equal(compiled.cons_jac(x), plain.cons_jac(x))
    outside = np.array([0.05, -1e-3, 1.2, 0.9, 600.0])  # cons_jac clips into the bounds first
    np.testing.assert_array_equal(compiled.cons_jac(outside), plain.cons_jac(outside))


@pytest.mark.parametrize("model", ["garch", "gjr"])
def test_window_state_and_starting_values_are_archs(y: np.ndarray, model: str) -> None:
    for window in _windows(y, 10, 1000, seed=7):
        engine = _fast_arch.FastArchEngine(window, model, "t")
        resids, backcast, bounds = engine._window_state(0, len(window))
        am = arch_model(window, vol="GARCH", p=1, o=int(model == "gjr"), q=1, dist="t")
        am._adjust_sample(None, None)
        ref_resids = am.resids(am.starting_values())
        np.testing.assert_array_equal(resids, ref_resids)
        assert backcast == am.volatility.backcast(ref_resids)
        np.testing.assert_array_equal(bounds, am.volatility.variance_bounds(ref_resids))
        sv = _fast_arch._volatility_starting_values(am.volatility, resids, backcast, bounds,
                                                    engine._grid_loglik(resids, backcast, bounds))
        np.testing.assert_array_equal(sv, am.volatility.starting_values(ref_resids))


def test_kurtosis_is_scipys() -> None:
    rng = np.random.default_rng(0)
    for _ in range(500):
        n = int(rng.integers(10, 3000))
        x = rng.standard_t(rng.uniform(2.5, 30), n) * rng.uniform(0.1, 10) + rng.normal(0, 3)
        assert _fast_arch._kurtosis(x) == float(stats.kurtosis(x, fisher=False))
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        assert np.isnan(float(stats.kurtosis(np.ones(5), fisher=False)))
    assert np.isnan(_fast_arch._kurtosis(np.ones(5)))


@pytest.mark.parametrize(("model", "dist"), [("garch", "t"), ("gjr", "normal"), ("gjr", "t")])
def test_fits_and_forecasts_are_archs(y: np.ndarray, model: str, dist: str) -> None:
    # the end-to-end check: arch_model(window).fit() and its one-step forecast, bit for bit
    public = ArchEngine(y, model, dist)
    engine = _fast_arch.FastArchEngine(y, model, dist)
    assert engine._kernels is not None
    for last in (1000, 1321, 1777, len(y)):
        window = y[last - 1000 : last]
        res = arch_model(window, vol="GARCH", p=1, o=int(model == "gjr"), q=1, dist=dist).fit(
            disp="off", show_warning=False)
        fit = engine.fit(last - 1000, last)
        np.testing.assert_array_equal(fit.params, res.params.to_numpy())
        fc = res.forecast(horizon=1, reindex=False)
        mu, s2, z = engine.filter(fit.params, last - 1000, last)
        assert (mu, s2) == (fc.mean.to_numpy()[-1, 0], fc.variance.to_numpy()[-1, 0])
        np.testing.assert_array_equal(z, public.filter(fit.params, last - 1000, last)[2])


def test_untested_numba_keeps_the_numpy_path(y: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    # also when the kernels are loaded already in this process
    monkeypatch.setattr(_fast_arch, "TESTED_NUMBA", ((99, 0), (99, 1)))
    _fast_arch._numba_tested.cache_clear()
    try:
        engine = _fast_arch.FastArchEngine(y[:1000], "garch", "t")
    finally:
        _fast_arch._numba_tested.cache_clear()
    assert engine._kernels is None
    fit = engine.fit(0, 1000)
    res = arch_model(y[:1000], vol="GARCH", p=1, q=1, dist="t").fit(disp="off", show_warning=False)
    np.testing.assert_array_equal(fit.params, res.params.to_numpy())


def test_kernels_keep_the_series_untouched(y: np.ndarray) -> None:
    before = pd.Series(y).copy()
    engine = _fast_arch.FastArchEngine(y, "garch", "t")
    engine.fit(0, 1000)
    pd.testing.assert_series_equal(pd.Series(y), before)


def test_kernels_only_when_they_pay(y: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    # importing numba costs more than a few fits save; the results are arch's either way
    monkeypatch.setattr(_garch_kernels, "_KERNELS", {})
    assert _fast_arch.fast_engine(y, "garch", "t", fits=_fast_arch.COMPILE_FROM - 1)._kernels is None
    assert _fast_arch.fast_engine(y, "garch", "t", fits=_fast_arch.COMPILE_FROM)._kernels is not None
    # once loaded in the process, every later engine uses them
    assert _fast_arch.fast_engine(y, "garch", "t", fits=3)._kernels is not None
    assert _fast_arch.fast_engine(y, "egarch", "t", fits=500)._kernels is None  # not a GARCH/GJR recursion


@pytest.mark.parametrize(("p", "o", "q"), [(2, 1, 2), (1, 2, 1), (3, 0, 1), (1, 1, 1)])
def test_any_order_recursion_is_archs(y: np.ndarray, p: int, o: int, q: int) -> None:
    # the general recursion (orders other than p = q = 1) against arch's compiled one
    from arch.univariate.recursions import garch_recursion

    rng = np.random.default_rng(p + 10 * o + 100 * q)
    window = y[:1000].copy()
    bounds = _fast_arch._variance_bounds(window - window.mean())
    for _ in range(5):
        vp = np.concatenate(([rng.uniform(0.005, 0.1)], rng.uniform(0.0, 0.1, p), rng.uniform(0.0, 0.1, o),
                             rng.uniform(0.1, 0.8 / q, q)))
        mu = rng.normal(0.05, 0.05)
        resids = window - mu
        ref = np.empty(len(window))
        garch_recursion(vp, np.absolute(resids) ** 2.0, np.sign(resids), ref, p, o, q, len(window), 1.3, bounds)
        P = np.concatenate(([mu], vp))[None, :]
        buf = np.empty((1, len(window)))
        KERNELS["prepare"](P, window, 1.3, bounds, p, o, q, False, buf)
        np.testing.assert_array_equal(buf[0], ref)


def test_no_cache_directory_keeps_the_numpy_path(y: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    # numba raises at decoration when neither the package nor the user cache is writable
    import numba

    def no_locator(*args: object, **kwargs: object) -> object:
        def decorate(fn: object) -> object:
            raise RuntimeError("cannot cache function '_block': no locator available for file")
        return decorate

    monkeypatch.setattr(_garch_kernels, "_KERNELS", {})
    monkeypatch.setattr(numba, "njit", no_locator)
    for name in ("_block", "_pairwise"):  # as in a process that never compiled them
        monkeypatch.setattr(_garch_kernels, name, getattr(_garch_kernels, name).py_func)
    assert _garch_kernels.load() is None
    engine = _fast_arch.FastArchEngine(y[:1000], "garch", "t")
    assert engine._kernels is None
    res = arch_model(y[:1000], vol="GARCH", p=1, q=1, dist="t").fit(disp="off", show_warning=False)
    np.testing.assert_array_equal(engine.fit(0, 1000).params, res.params.to_numpy())
