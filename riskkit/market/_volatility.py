"""Volatility and distribution parts of a VaR model, on top of :mod:`arch`.

A VaR model is composed of a mean, a volatility process (constant, EWMA, GARCH, GJR-GARCH,
EGARCH), an innovation distribution (normal, Student-t, Hansen's skew-t) and a method
(parametric quantile, filtered historical simulation, generalised Pareto tail, Monte Carlo).
GARCH estimation is always arch's. :class:`ArchEngine` re-estimates and filters an arch model
on moving windows through arch's public API only (``arch_model(window).fit()``, the volatility
process's ``backcast``, ``variance_bounds``, ``compute_variance`` and ``forecast``). The fast
engine in :mod:`riskkit.market._fast_arch` gives the same estimates bit for bit without arch's
per-fit overhead, by driving arch and scipy internals; it is the only module that touches them,
and ``rolling_var`` falls back to :class:`ArchEngine` (with a
:class:`~riskkit.exceptions.FastPathWarning`) whenever it cannot be used.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd
from arch import arch_model
from arch.univariate.base import ARCHModel
from scipy import special, stats

from riskkit._validation import check_choice, check_in_range

__all__ = [
    "DISTRIBUTIONS",
    "GARCH_MODELS",
    "MEANS",
    "ArchEngine",
    "Fit",
    "build_arch_model",
    "ewma_variance",
    "std_tail",
]

logger = logging.getLogger(__name__)

GARCH_MODELS = ("garch", "gjr", "egarch")
DISTRIBUTIONS = ("normal", "t", "skewt")
#: conditional means of the GARCH family: a constant, or arch's AR(1) (``mean="AR", lags=1``)
MEANS = ("constant", "ar1")

# Gauss-Legendre nodes on (0, 1) for tail integrals of a quantile function; the substitution
# u = alpha * s**4 removes the endpoint singularity of heavy-tailed quantile functions.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(96)
_GL_S = 0.5 * (_GL_NODES + 1.0)
_GL_W = 0.5 * _GL_WEIGHTS


def build_arch_model(y: np.ndarray | pd.Series, model: str = "garch", dist: str = "t",
                     mean: str = "constant") -> ARCHModel:
    """An arch model: GARCH(1,1), GJR-GARCH(1,1,1) or EGARCH(1,1,1) with a constant mean, or
    with ``mean="ar1"`` arch's AR(1) mean (``arch_model(y, mean="AR", lags=1, ...)``, which
    holds back the first observation)."""
    check_choice(model, "model", GARCH_MODELS)
    check_choice(dist, "dist", DISTRIBUTIONS)
    check_choice(mean, "mean", MEANS)
    vol: Literal["EGARCH", "GARCH"] = "EGARCH" if model == "egarch" else "GARCH"
    o = 0 if model == "garch" else 1
    # check_choice above restricts dist to DISTRIBUTIONS, all names arch accepts
    arch_dist = cast(Literal["normal", "t", "skewt"], dist)
    if mean == "ar1":
        return arch_model(y, mean="AR", lags=1, vol=vol, p=1, o=o, q=1, dist=arch_dist, rescale=False)
    return arch_model(y, mean="Constant", vol=vol, p=1, o=o, q=1, dist=arch_dist, rescale=False)


def std_tail(dist: str, dist_params: np.ndarray | None, alpha: float) -> tuple[float, float]:
    """Lower-tail quantile ``q`` and tail mean ``m = E[Z | Z <= q]`` of a unit-variance law.

    ``VaR = -(mu + sigma q)`` and ``ES = -(mu + sigma m)``. ``dist`` is ``"normal"``,
    ``"t"`` (params ``[nu]``, standardised to unit variance as in arch) or ``"skewt"``
    (Hansen's skewed t, params ``[eta, lambda]`` as in arch).
    """
    if dist == "normal":
        q = float(special.ndtri(alpha))
        return q, float(-stats.norm.pdf(q) / alpha)
    if dist == "t":
        nu = float(np.asarray(dist_params)[0])
        scale = np.sqrt((nu - 2.0) / nu)
        x = float(special.stdtrit(nu, alpha))
        log_pdf = (special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
                   - (nu + 1) / 2 * np.log1p(x * x / nu))
        m = -(nu + x * x) / (nu - 1.0) * np.exp(log_pdf) / alpha
        return x * scale, float(m * scale)
    if dist == "skewt":
        from arch.univariate import SkewStudent  # lazy: only for the skew-t distribution

        params = np.asarray(dist_params, dtype=float)
        law = SkewStudent()
        q = float(law.ppf(alpha, params))
        u = alpha * _GL_S**4
        m = float(np.sum(_GL_W * law.ppf(u, params) * 4.0 * _GL_S**3))
        return q, m
    check_choice(dist, "dist", DISTRIBUTIONS)
    raise AssertionError("unreachable")  # pragma: no cover


def ewma_variance(returns: np.ndarray, lam: float = 0.94, *, init: float | None = None) -> np.ndarray:
    """RiskMetrics one-step-ahead variance: ``s2[t] = lam s2[t-1] + (1 - lam) r[t-1]^2``.

    ``s2[t]`` uses returns up to ``t - 1`` only; ``s2[0]`` is ``init`` (default: the mean
    square of the first 30 returns, which callers treat as a burn-in). Returns an array
    one longer than ``returns``: the last entry forecasts the day after the sample.
    """
    lam = check_in_range(lam, "lam", 0.0, 1.0, low_open=True, high_open=True, hint="RiskMetrics uses 0.94")
    r = np.asarray(returns, dtype=float)
    s2 = np.empty(r.size + 1)
    s2[0] = float(np.mean(r[:30] ** 2)) if init is None else float(init)
    # s2[t] = lam^t s2[0] + (1-lam) sum_{k<t} lam^(t-1-k) r[k]^2, via a linear filter
    from scipy.signal import lfilter  # lazy: scipy.signal takes ~0.2 s to import; only for EWMA filters

    s2[1:] = lfilter([1.0 - lam], [1.0, -lam], r**2, zi=[lam * s2[0]])[0]
    return s2


@dataclass(frozen=True)
class Fit:
    """Parameters of one window's fit and whether the optimiser converged."""

    params: np.ndarray
    converged: bool


class ArchEngine:
    """Re-estimates and filters one arch model on moving windows of a fixed series, through
    arch's public API only.

    ``fit(first, last, start)`` is ``arch_model(y[first:last], ...).fit()`` (from
    ``starting_values=start`` when ``start`` is given, falling back to the cold fit when that
    fails); ``filter(params, first, last)`` is arch's fixed-parameter pass and one-step
    forecast on the same window. This is the reference the fast engine reproduces and the path
    ``rolling_var`` falls back to; it is several times slower (a model, a result object and a
    parameter covariance per fit).

    Parameters
    ----------
    y : array of returns (already scaled to arch's preferred range).
    model : ``"garch"``, ``"gjr"`` or ``"egarch"``.
    dist : ``"normal"``, ``"t"`` or ``"skewt"``.
    mean : ``"constant"`` or ``"ar1"`` (arch's ``mean="AR", lags=1``; each window's model holds
        back its first observation, as ``arch_model(window, mean="AR", lags=1)`` does).
    """

    #: whether this engine drives arch / scipy internals (see riskkit.market._fast_arch)
    fast = False

    def __init__(self, y: np.ndarray, model: str = "garch", dist: str = "t", mean: str = "constant") -> None:
        self.model = model
        self.dist = dist
        self.mean = mean
        self.y = np.asarray(y, dtype=float)
        self.am = am = build_arch_model(self.y, model, dist, mean)
        self._k_mean = int(am.num_params)
        self._k_vol = int(am.volatility.num_params)
        self._filtered: tuple[tuple[int, int, bytes], tuple[float, float, np.ndarray]] | None = None

    def _window_model(self, first: int, last: int) -> ARCHModel:
        return build_arch_model(self.y[first:last], self.model, self.dist, self.mean)

    def split(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, volatility and distribution parameters."""
        k1, k2 = self._k_mean, self._k_mean + self._k_vol
        return params[:k1], params[k1:k2], params[k2:]

    # -- estimation ----------------------------------------------------------------------
    def fit(self, first: int, last: int, start: np.ndarray | None = None) -> Fit:
        """Estimate on ``y[first:last]``; warm start from ``start`` when given."""
        if start is not None:
            warm = self._fit_warm(first, last, np.asarray(start, dtype=float))
            if warm is not None and self.sane(warm.params, first, last):
                return warm
        cold = self._fit_cold(first, last)
        if not self.sane(cold.params, first, last):
            return Fit(cold.params, False)
        return cold

    def sane(self, params: np.ndarray, first: int, last: int, limit: float = 100.0) -> bool:
        """The one-step variance forecast is finite and within ``limit`` times the window's
        sample variance (EGARCH, whose parameters are unbounded, can otherwise run away)."""
        if not np.all(np.isfinite(params)):
            return False
        with np.errstate(all="ignore"):
            _, var_next, _ = self.filter(params, first, last)
        window_var = float(np.var(self.y[first:last]))
        return bool(np.isfinite(var_next) and 0.0 < var_next < limit * window_var)

    def _fit_cold(self, first: int, last: int) -> Fit:
        """``arch_model(y[first:last], ...).fit()``."""
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = self._window_model(first, last).fit(disp="off", show_warning=False)
        params = np.asarray(res.params, dtype=float)
        return Fit(params, res.convergence_flag == 0 and bool(np.all(np.isfinite(params))))

    def _fit_warm(self, first: int, last: int, start: np.ndarray) -> Fit | None:
        """``arch_model(y[first:last], ...).fit(starting_values=start)``; None when it fails."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                res = self._window_model(first, last).fit(disp="off", show_warning=False,
                                                          starting_values=start)
        except ValueError:  # arch rejects starting values that violate its constraints
            return None
        params = np.asarray(res.params, dtype=float)
        if res.convergence_flag != 0 or not np.all(np.isfinite(params)):
            return None
        return Fit(params, True)

    # -- filtering and forecasting ---------------------------------------------------------
    def filter(self, params: np.ndarray, first: int, last: int) -> tuple[float, float, np.ndarray]:
        """Fixed-parameter pass over ``y[first:last]``, as arch's ``forecast`` does it.

        Returns the mean and variance forecast for observation ``last`` (made with data up to
        ``last - 1``) and the window's standardised residuals. Like ``ARCHModel.forecast``, the
        backcast and variance bounds come from the residuals at the given mean parameters
        (``fit`` uses those at the starting mean), so a forecast from a fit equals arch's
        ``arch_model(window).fit().forecast(horizon=1)``. The last call is cached.
        """
        key = (first, last, np.asarray(params, dtype=float).tobytes())
        if self._filtered is not None and self._filtered[0] == key:
            return self._filtered[1]
        out = self._filter(self._window_model(first, last), np.asarray(params, dtype=float))
        self._filtered = (key, out)
        return out

    def _filter(self, am: ARCHModel, params: np.ndarray) -> tuple[float, float, np.ndarray]:
        vol = am.volatility
        mp, vp, _ = self.split(params)
        if self.mean == "ar1":
            # as ARX.forecast does on an (unfitted) window model: the residuals of the returns
            # after the held-back first one, on arch's own lag regressors (public ``y`` and
            # ``regressors``); the AR(1) mean forecast is constant + phi * the last return
            y = np.asarray(am.y, dtype=float)
            regressors = np.asarray(getattr(am, "regressors"))  # ARX's public lag matrix (not on ARCHModel's type)
            resids = np.asarray(am.resids(mp, y[1:], regressors[1:]), dtype=float)
            mu_next = float(mp[0] + mp[1] * y[-1])
        else:
            resids = np.asarray(am.resids(mp), dtype=float)
            mu_next = float(mp[0])
        backcast = vol.backcast(resids)
        var_bounds = vol.variance_bounds(resids, 2.0)
        sigma2 = np.zeros(resids.shape[0])
        vol.compute_variance(vp, resids, sigma2, backcast, var_bounds)
        fc = vol.forecast(vp, resids, backcast, var_bounds, start=resids.shape[0] - 1, horizon=1)
        var_next = float(np.asarray(fc.forecasts)[-1, 0])
        return mu_next, var_next, resids / np.sqrt(sigma2)
