"""Volatility and distribution parts of a VaR model, on top of :mod:`arch`.

A VaR model is composed of a mean, a volatility process (constant, EWMA, GARCH, GJR-GARCH,
EGARCH), an innovation distribution (normal, Student-t, Hansen's skew-t) and a method
(parametric quantile, filtered historical simulation, Monte Carlo). GARCH estimation is
always arch's: :class:`ArchEngine` builds one arch model per series and re-estimates it on
moving windows with arch's own likelihood, bounds and constraints, warm-started from the
previous parameters (no new model object, no starting-value grid search, no covariance
computation per window), and forecasts with arch's own volatility recursion.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from arch import arch_model
from arch.univariate.base import ARCHModel
from scipy import optimize, special, stats

from riskkit._validation import check_choice, check_in_range

__all__ = [
    "DISTRIBUTIONS",
    "GARCH_MODELS",
    "ArchEngine",
    "Fit",
    "build_arch_model",
    "ewma_variance",
    "std_tail",
]

logger = logging.getLogger(__name__)

GARCH_MODELS = ("garch", "gjr", "egarch")
DISTRIBUTIONS = ("normal", "t", "skewt")

# Gauss-Legendre nodes on (0, 1) for tail integrals of a quantile function; the substitution
# u = alpha * s**4 removes the endpoint singularity of heavy-tailed quantile functions.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(96)
_GL_S = 0.5 * (_GL_NODES + 1.0)
_GL_W = 0.5 * _GL_WEIGHTS


def build_arch_model(y: np.ndarray | pd.Series, model: str = "garch", dist: str = "t") -> ARCHModel:
    """An arch model with a constant mean: GARCH(1,1), GJR-GARCH(1,1,1) or EGARCH(1,1,1)."""
    check_choice(model, "model", GARCH_MODELS)
    check_choice(dist, "dist", DISTRIBUTIONS)
    vol = "EGARCH" if model == "egarch" else "GARCH"
    o = 0 if model == "garch" else 1
    return arch_model(y, mean="Constant", vol=vol, p=1, o=o, q=1, dist=dist, rescale=False)


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
        from arch.univariate import SkewStudent

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
    from scipy.signal import lfilter

    s2[1:] = lfilter([1.0 - lam], [1.0, -lam], r**2, zi=[lam * s2[0]])[0]
    return s2


def _whitener(f: Any, x: np.ndarray, rel_step: float = 1e-4) -> np.ndarray:
    """``W`` with ``W.T H W = I`` for the finite-difference Hessian ``H`` of ``f`` at ``x``
    (eigenvalues floored so that a flat or boundary direction stays usable)."""
    k = x.size
    steps = rel_step * np.maximum(np.abs(x), 1e-2)
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i], ej[j] = steps[i], steps[j]
            val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * steps[i] * steps[j])
            hess[i, j] = hess[j, i] = val
    if not np.all(np.isfinite(hess)):
        return np.diag(steps * 100)
    eigval, eigvec = np.linalg.eigh(hess)
    eigval = np.maximum(eigval, 1e-8 * max(float(eigval.max()), 1e-12))
    return np.asarray(eigvec @ np.diag(eigval**-0.5))


@dataclass(frozen=True)
class Fit:
    """Parameters of one window's fit and whether the optimiser converged."""

    params: np.ndarray
    converged: bool


class ArchEngine:
    """Re-estimates and filters one arch model on moving windows of a fixed series.

    The arch model is built once on the whole series; ``fit(first, last, start)`` estimates
    it on observations ``first:last`` with arch's negative log-likelihood, parameter bounds
    and constraints (SLSQP, as ``arch_model(...).fit``), starting from ``start``. Without a
    start, or when the warm start fails, it calls arch's own ``fit`` (cold start).
    """

    def __init__(self, y: np.ndarray, model: str = "garch", dist: str = "t") -> None:
        self.model = model
        self.dist = dist
        self.y = np.asarray(y, dtype=float)
        self.am = build_arch_model(self.y, model, dist)
        self._k_mean = int(self.am.num_params)
        self._k_vol = int(self.am.volatility.num_params)
        self._constraints = self._stack_constraints()
        self.hessian_every = 50
        self._whitener: np.ndarray | None = None
        self._age = 0

    # -- arch internals gathered in one place -------------------------------------------
    def _stack_constraints(self) -> tuple[np.ndarray, np.ndarray]:
        am = self.am
        parts = [am.constraints(), am.volatility.constraints(), am.distribution.constraints()]
        sizes = [self._k_mean, self._k_vol, int(am.distribution.num_params)]
        rows = sum(p[0].shape[0] for p in parts)
        a = np.zeros((rows, sum(sizes)))
        b = np.zeros(rows)
        r0 = c0 = 0
        for (ai, bi), k in zip(parts, sizes):
            a[r0 : r0 + ai.shape[0], c0 : c0 + k] = ai
            b[r0 : r0 + ai.shape[0]] = bi
            r0 += ai.shape[0]
            c0 += k
        return a, b

    def _window_state(self, first: int, last: int) -> tuple[np.ndarray, Any, np.ndarray]:
        """Backcast and variance bounds as arch's ``fit`` computes them for this window."""
        am = self.am
        am._adjust_sample(first, last)
        resids0 = am.resids(am.starting_values())
        return resids0, am.volatility.backcast(resids0), am.volatility.variance_bounds(resids0)

    def split(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, volatility and distribution parameters."""
        k1, k2 = self._k_mean, self._k_mean + self._k_vol
        return params[:k1], params[k1:k2], params[k2:]

    @property
    def param_names(self) -> list[str]:
        return list(self.am._all_parameter_names())

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

    def _fit_warm(self, first: int, last: int, start: np.ndarray) -> Fit | None:
        """SLSQP on arch's likelihood from ``start``, in coordinates whitened by the inverse
        Hessian of a recent window (refreshed every ``hessian_every`` warm fits), so the
        optimiser's initial identity Hessian is already close and it needs ~2 iterations."""
        am = self.am
        resids0, backcast, bounds_var = self._window_state(first, last)
        std0 = resids0 / np.std(resids0)
        bounds = am.bounds() + am.volatility.bounds(resids0) + am.distribution.bounds(std0)
        lo = np.array([b[0] for b in bounds], dtype=float)
        hi = np.array([b[1] for b in bounds], dtype=float)
        x0 = np.clip(start, lo, hi)
        a, b = self._constraints
        if a.shape[0] and np.any(a @ x0 - b < 0):
            return None
        sigma2 = np.zeros(last - first)

        def nll(x: np.ndarray) -> float:
            return float(am._loglikelihood(x, sigma2, backcast, bounds_var))

        if self._whitener is None or self._age >= self.hessian_every:
            self._whitener = _whitener(nll, x0)
            self._age = 0
        self._age += 1
        w = self._whitener
        has_lo, has_hi = np.isfinite(lo), np.isfinite(hi)
        a_u = np.vstack([a @ w, w[has_lo], -w[has_hi]])
        b_u = np.concatenate([b - a @ x0, lo[has_lo] - x0[has_lo], x0[has_hi] - hi[has_hi]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            opt = optimize.minimize(
                lambda u: nll(x0 + w @ u),
                np.zeros(x0.size),
                method="SLSQP",
                constraints={"type": "ineq", "fun": lambda u: a_u @ u - b_u, "jac": lambda u: a_u},
            )
        x = x0 + w @ np.asarray(opt.x, dtype=float)
        if opt.status != 0 or not np.all(np.isfinite(x)):
            self._whitener = None
            return None
        return Fit(np.clip(x, lo, hi), True)

    def _fit_cold(self, first: int, last: int) -> Fit:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = self.am.fit(disp="off", first_obs=first, last_obs=last, show_warning=False)
        converged = int(res.convergence_flag) == 0 and bool(np.all(np.isfinite(res.params)))
        return Fit(np.asarray(res.params, dtype=float), converged)

    # -- filtering and forecasting ---------------------------------------------------------
    def filter(self, params: np.ndarray, first: int, last: int) -> tuple[float, float, np.ndarray]:
        """Fixed-parameter pass over ``y[first:last]``.

        Returns the mean and variance forecast for observation ``last`` (made with data up to
        ``last - 1``) and the window's standardised residuals.
        """
        am = self.am
        _, backcast, bounds_var = self._window_state(first, last)
        mp, vp, _ = self.split(params)
        resids = am.resids(mp)
        sigma2 = np.zeros(resids.shape[0])
        am.volatility.compute_variance(vp, resids, sigma2, backcast, bounds_var)
        fc = am.volatility.forecast(vp, resids, backcast, bounds_var, start=resids.shape[0] - 1, horizon=1)
        var_next = float(np.asarray(fc.forecasts)[-1, 0])
        return float(mp[0]), var_next, resids / np.sqrt(sigma2)
