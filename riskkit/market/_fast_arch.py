"""The fast GARCH path: every use of arch and scipy internals in riskkit lives here.

``FastArchEngine`` returns arch's own cold-fit estimates (``arch_model(window).fit()``) bit for
bit, ten or more times faster (``benchmarks/bench_rolling_var.py``), by retracing
``ARCHModel.fit`` with:

* scipy's SLSQP kernel driven directly (``scipy.optimize._slsqplib.slsqp``, scipy >= 1.16) with
  the loop of ``scipy.optimize._slsqp_py`` and a hand-built state;
* arch's private model hooks: ``ARCHModel._adjust_sample`` (one model re-windowed instead of one
  model per window), ``ARCHModel._loglikelihood`` (warm starts), the volatility process's
  ``_normal`` distribution (starting-value grid) and the compiled ``garch_recursion``
  (``arch.univariate.volatility.rec``);
* arch's and scipy's numpy expressions rewritten operation for operation where their Python
  overhead dominated: the t / skew-t start (scipy's ``kurtosis`` and ``_moment``), a constant
  mean's backcast, variance bounds and least-squares start (weights and ``pinv`` cached), the
  starting-value grid (built once per model order), the one-step forecast;
* for a constant mean with GARCH/GJR variance (power 2) and normal or t errors, the compiled
  likelihood, finite-difference gradient and constraint rows of
  :mod:`riskkit.market._garch_kernels` (numba), which give arch's values to the last bit.

These are not public API and may change in any release. The versions the bit-for-bit
agreement was tested on are declared in ``SUPPORTED``; :func:`unsupported_reason` says why the
installed ones cannot be used, and ``rolling_var`` then falls back to the public-API
:class:`~riskkit.market._volatility.ArchEngine` with a
:class:`~riskkit.exceptions.FastPathWarning`. It also falls back, with the same warning, on
any exception raised while the fast engine runs (a changed signature, a missing attribute).
Nothing outside this module may import from it except through :func:`fast_engine`.
"""

from __future__ import annotations

import functools
import importlib.metadata
import itertools
import warnings
from typing import Any

import numpy as np
from arch.univariate import volatility as _arch_volatility
from arch.univariate.distribution import Normal, SkewStudent, StudentsT
from arch.univariate.mean import ConstantMean
from arch.univariate.volatility import GARCH
from scipy import optimize
from scipy.optimize._slsqplib import slsqp
from scipy.special import gammaln

from riskkit.market import _garch_kernels
from riskkit.market._volatility import ArchEngine, Fit

__all__ = ["COMPILE_FROM", "SUPPORTED", "TESTED_NUMBA", "FastArchEngine", "fast_engine", "unsupported_reason"]

#: package -> (lowest tested version, first version not tested), as (major, minor) pairs. The
#: fast path was pinned bit for bit against arch 8.0.0 with scipy 1.17.1
#: (tests/market/test_rolling.py); scipy 1.16 introduced the C SLSQP kernel it drives.
SUPPORTED: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "arch": ((8, 0), (8, 1)),
    "scipy": ((1, 16), (1, 18)),
}


def _major_minor(version: str) -> tuple[int, int]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(itertools.takewhile(str.isdigit, piece))
        parts.append(int(digits) if digits else 0)
    while len(parts) < 2:
        parts.append(0)
    return parts[0], parts[1]


def unsupported_reason(versions: dict[str, str] | None = None) -> str | None:
    """Why the fast path cannot be used with the installed (or given) arch and scipy versions,
    or None when both are in the tested range."""
    if versions is None:
        import arch  # lazy: only when no versions are given (tests pass their own)
        import scipy  # lazy: only when no versions are given (tests pass their own)

        versions = {"arch": arch.__version__, "scipy": scipy.__version__}
    for name, (low, high) in SUPPORTED.items():
        found = versions.get(name, "")
        if not low <= _major_minor(found) < high:
            return (f"{name} {found} is outside the range the fast GARCH path was tested on "
                    f"({name} >= {low[0]}.{low[1]}, < {high[0]}.{high[1]})")
    return None


def fast_engine(y: np.ndarray, model: str, dist: str, fits: int | None = None) -> FastArchEngine:
    """A :class:`FastArchEngine` (callers check :func:`unsupported_reason` first) for about
    ``fits`` estimates (None: unknown)."""
    return FastArchEngine(y, model, dist, fits=fits)


#: numba versions (major, minor) the compiled kernels were pinned bit for bit against arch on
#: (numba 0.68.1 with numpy 2.4 and arch 8.0; tests/market/test_garch_kernels.py); with another
#: version, or none, the fast engine keeps its numpy path, which gives the same values more slowly
TESTED_NUMBA = ((0, 68), (0, 69))


@functools.cache
def _numba_tested() -> bool:
    """Whether the installed numba is in ``TESTED_NUMBA`` (read from its metadata, so numba is
    not imported for the answer)."""
    try:
        found = importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        return False
    return TESTED_NUMBA[0] <= _major_minor(found) < TESTED_NUMBA[1]


#: From this many fits in one process the compiled kernels pay for themselves: importing numba
#: and loading the cached kernels costs about 0.45 s, and they save about 2.5 ms per GARCH(1,1)
#: fit of 1,000 days. Below it (and unless the kernels are loaded already) the numpy path runs;
#: the results are the same either way.
COMPILE_FROM = 200


#: scipy's SLSQP default finite-difference step (``eps`` option), which arch's fit keeps
_FD_STEP = float(np.sqrt(np.finfo(float).eps))


def _fd_steps(x0: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Forward-difference steps exactly as ``scipy.optimize.approx_derivative(method="2-point",
    abs_step=eps, bounds=(lb, ub))`` chooses them (``_numdiff._adjust_scheme_to_bounds``),
    element by element in Python floats (the same IEEE operations, without numpy's per-call
    overhead on a handful of parameters)."""
    unbounded = all(lo == -np.inf and hi == np.inf for lo, hi in zip(lb.tolist(), ub.tolist()))
    steps = []
    for x, lo, hi in zip(x0.tolist(), lb.tolist(), ub.tolist()):
        h = _FD_STEP
        if (x + h) - x == 0:
            h = _FD_STEP * (1.0 if x >= 0 else -1.0) * max(1.0, abs(x))
        if not unbounded:
            lower_dist, upper_dist = x - lo, hi - x
            fitting = abs(h) <= max(lower_dist, upper_dist)
            if fitting:
                if x + h < lo or x + h > hi:
                    h = -h
            elif upper_dist >= lower_dist:
                h = upper_dist
            else:
                h = -lower_dist
        steps.append(h)
    return np.array(steps)


class _ArchObjective:
    """arch's negative log-likelihood on one window with the gradient and constraint normals
    scipy's SLSQP would compute for ``ARCHModel.fit`` by finite differences, value for value.

    Supplying them as ``jac`` callables keeps the optimiser's path identical while skipping
    scipy's per-call finite-difference machinery (its bound checks, array-API dispatch and one
    wrapper per constraint row), which costs more than arch's likelihood itself.
    """

    def __init__(self, engine: "FastArchEngine", sigma2: np.ndarray, backcast: Any, var_bounds: np.ndarray,
                 lb: np.ndarray, ub: np.ndarray) -> None:
        self.engine = engine
        self.sigma2 = sigma2
        self.backcast = backcast
        self.var_bounds = var_bounds
        self.lb, self.ub = lb, ub
        self.rows, self._terms = engine._row_terms()
        self._lb, self._ub = lb.tolist(), ub.tolist()
        self._last_x = b""
        self._last_f = 0.0
        self._steps_x = b""
        self._steps = np.empty(0)
        vol = engine.am.volatility
        # arch's GARCH/GJR variance: |e|^power and sign(e) depend on the mean parameters only,
        # so finite-difference steps in the other parameters reuse them (same recursion call)
        self._garch = type(vol) is GARCH
        self._mean_key = b""
        self._resids = np.empty(0)
        self._fres = np.empty(0)
        self._sres = np.empty(0)
        self._var_key = b""
        self._sigma2 = np.empty(0)
        # arch's normal, t and skew-t log-likelihoods are elementwise before their final sum, so
        # the volatility steps of a gradient can share one call on stacked variance paths
        self._batch = type(engine.am.distribution) in (Normal, StudentsT, SkewStudent)

    def _residuals(self, mp: np.ndarray) -> np.ndarray:
        key = mp.tobytes()
        if key != self._mean_key:
            self._resids = np.asarray(self.engine.am.resids(mp), dtype=float)
            if self._garch:
                power = float(getattr(self.engine.am.volatility, "power"))
                self._fres = np.absolute(self._resids) ** power
                self._sres = np.sign(self._resids)
            self._mean_key, self._var_key = key, b""
        return self._resids

    def _variance(self, vp: np.ndarray, resids: np.ndarray) -> np.ndarray:
        """``volatility.compute_variance(vp, resids, ...)`` (the last result is reused when
        only distribution parameters changed)."""
        key = vp.tobytes()
        if key == self._var_key:
            return self._sigma2
        vol: Any = self.engine.am.volatility
        if self._garch:
            sigma2 = self.sigma2
            _arch_volatility.rec.garch_recursion(vp, self._fres, self._sres, sigma2, vol.p, vol.o, vol.q,
                                                 resids.shape[0], self.backcast, self.var_bounds)
            if vol.power != 2.0:
                sigma2 **= 2.0 / vol.power
        else:
            sigma2 = vol.compute_variance(vp, resids, self.sigma2, self.backcast, self.var_bounds)
        self._sigma2 = sigma2.copy()
        self._var_key = key
        return self._sigma2

    def nll(self, x: np.ndarray) -> float:
        """``ARCHModel._loglikelihood`` without its parameter re-validation."""
        mp, vp, dp = self.engine.split(x)
        resids = self._residuals(mp)
        sigma2 = self._variance(vp, resids)
        return -float(self.engine.am.distribution.loglikelihood(dp, resids, sigma2, False))

    def fun(self, x: np.ndarray) -> float:
        f = self.nll(x)
        self._last_x, self._last_f = x.tobytes(), f
        return f

    def steps(self, x: np.ndarray) -> np.ndarray:
        key = x.tobytes()
        if key != self._steps_x:
            self._steps_x, self._steps = key, _fd_steps(x, self.lb, self.ub)
        return self._steps

    def grad(self, x: np.ndarray) -> np.ndarray:
        """scipy's 2-point gradient at ``x`` from the cached ``f(x)`` (as ScalarFunction does)."""
        if self._last_x == x.tobytes():
            f0 = self._last_f
        else:
            f0 = self.nll(x)
        h = self.steps(x)
        g = np.empty(x.size)
        k_mean = self.engine._k_mean
        k_dist = k_mean + self.engine._k_vol
        # distribution steps first: they reuse x's residuals and variance path as they are
        mp, vp, dp = self.engine.split(x)
        resids = self._residuals(mp)
        sigma2 = self._variance(vp, resids)
        dist = self.engine.am.distribution
        for i in range(k_dist, x.size):
            dp1 = dp.copy()
            dp1[i - k_dist] = x[i] + h[i]
            g[i] = (-float(dist.loglikelihood(dp1, resids, sigma2, False)) - f0) / ((x[i] + h[i]) - x[i])
        # then the volatility and mean steps
        if not self._batch:
            for i in [*range(k_mean, k_dist), *range(k_mean)]:
                x1 = x.copy()
                x1[i] = x[i] + h[i]
                g[i] = (self.nll(x1) - f0) / ((x[i] + h[i]) - x[i])
            return g
        # arch's likelihood is elementwise before its sum: one call on the stacked residual and
        # variance paths of all these steps, then one row sum per step
        stepped = [*range(k_mean, k_dist), *range(k_mean)]
        res_rows = np.empty((len(stepped), resids.shape[0]))
        var_rows = np.empty((len(stepped), resids.shape[0]))
        for row, i in enumerate(stepped):
            if i >= k_mean:
                vp1 = vp.copy()
                vp1[i - k_mean] = x[i] + h[i]
                res_rows[row] = resids
                var_rows[row] = self._variance_path(vp1, resids, var_rows[row])
            else:
                mp1 = mp.copy()
                mp1[i] = x[i] + h[i]
                res_rows[row] = self.engine.am.resids(mp1)
                var_rows[row] = self._variance_path(vp, res_rows[row], var_rows[row], own=True)
        llfs = np.add.reduce(np.asarray(dist.loglikelihood(dp, res_rows, var_rows, True)), axis=1)
        for row, i in enumerate(stepped):
            g[i] = (-float(llfs[row]) - f0) / ((x[i] + h[i]) - x[i])
        return g

    def _variance_path(self, vp: np.ndarray, resids: np.ndarray, out: np.ndarray, own: bool = False) -> np.ndarray:
        """``volatility.compute_variance(vp, resids, out, ...)``; ``own=False`` means ``resids``
        are the current mean's, whose |e|^power and sign are cached."""
        vol: Any = self.engine.am.volatility
        if self._garch:
            fres = np.absolute(resids) ** vol.power if own else self._fres
            sres = np.sign(resids) if own else self._sres
            _arch_volatility.rec.garch_recursion(vp, fres, sres, out, vol.p, vol.o, vol.q,
                                                 resids.shape[0], self.backcast, self.var_bounds)
            if vol.power != 2.0:
                out **= 2.0 / vol.power
            return out
        return np.asarray(vol.compute_variance(vp, resids, out, self.backcast, self.var_bounds))

    def _row(self, r: int, x: np.ndarray, xs: list[float]) -> float:
        terms = self._terms[r]
        if terms is None:
            ai, bi, _ = self.rows[r]
            return float(np.dot(ai, x) - bi)
        coefs, bi = terms
        if len(coefs) == 1:
            return coefs[0][1] * xs[coefs[0][0]] - bi
        if not coefs:
            return 0.0 - bi
        return (coefs[0][1] * xs[coefs[0][0]] + coefs[1][1] * xs[coefs[1][0]]) - bi

    def cons(self, x: np.ndarray) -> np.ndarray:
        """arch's constraint rows ``a_i . x - b_i`` (arch evaluates them one row at a time)."""
        xs = x.tolist()
        return np.array([self._row(r, x, xs) for r in range(len(self.rows))])

    def cons_jac(self, x: np.ndarray) -> np.ndarray:
        """scipy's 2-point Jacobian of each constraint row (x clipped into the bounds first, as
        scipy does); columns where the row's coefficient is zero have a zero difference."""
        xs = x.tolist()
        if any(v < lo or v > hi for v, lo, hi in zip(xs, self._lb, self._ub)):
            x = np.clip(x, self.lb, self.ub)
            xs = x.tolist()
        hs = self.steps(x).tolist()
        jac = np.zeros((len(self.rows), x.size))
        for r, (_, _, nonzero) in enumerate(self.rows):
            f0 = self._row(r, x, xs)
            for j in nonzero.tolist():
                x1 = x
                if self._terms[r] is None:
                    x1 = x.copy()
                    x1[j] = xs[j] + hs[j]
                x1s = list(xs)
                x1s[j] = xs[j] + hs[j]
                jac[r, j] = (self._row(r, x1, x1s) - f0) / ((xs[j] + hs[j]) - xs[j])
        return jac


class _CompiledObjective(_ArchObjective):
    """:class:`_ArchObjective` with arch's likelihood evaluated by the compiled kernels of
    :mod:`riskkit.market._garch_kernels` (constant mean, GARCH/GJR with power 2, normal or t
    errors): the same values to the last bit, with a whole finite-difference gradient in one
    pass (one kernel call for the variance paths, one ``numpy.log``, one kernel call for the
    sums) instead of one arch call per parameter."""

    def __init__(self, engine: "FastArchEngine", sigma2: np.ndarray, backcast: Any, var_bounds: np.ndarray,
                 lb: np.ndarray, ub: np.ndarray, kernels: dict[str, Any]) -> None:
        super().__init__(engine, sigma2, backcast, var_bounds, lb, ub)
        am = engine.am
        vol = am.volatility
        self._pq = _order(vol)
        self._student = type(am.distribution) is StudentsT
        self._y = np.ascontiguousarray(am._fit_y, dtype=float)
        self._bounds = np.ascontiguousarray(var_bounds, dtype=float)
        self._backcast = float(backcast)
        self._kernels = kernels
        self._consts: dict[float, float] = {}
        self._unbounded = bool(np.all(lb == -np.inf) and np.all(ub == np.inf))
        self._row_arrays = engine._compiled_rows()

    def steps(self, x: np.ndarray) -> np.ndarray:
        out = np.empty(x.size)
        self._kernels["steps"](x, self.lb, self.ub, self._unbounded, _FD_STEP, out)
        return out

    def cons(self, x: np.ndarray) -> np.ndarray:
        if self._row_arrays is None:
            return super().cons(x)
        idx, coef, count, b = self._row_arrays
        out = np.empty(b.shape[0])
        self._kernels["constraint_values"](x, idx, coef, count, b, out)
        return out

    def cons_jac(self, x: np.ndarray) -> np.ndarray:
        if self._row_arrays is None:
            return super().cons_jac(x)
        idx, coef, count, b = self._row_arrays
        out = np.empty((b.shape[0], x.size))
        self._kernels["constraint_jacobian"](x, self.lb, self.ub, self._unbounded, _FD_STEP, idx, coef,
                                             count, b, out)
        return out

    def _const(self, nu: np.float64) -> float:
        """arch's constant of the t log-density, with arch's own scalar expressions."""
        key = float(nu)
        const = self._consts.get(key)
        if const is None:
            if len(self._consts) > 64:  # an SLSQP run visits a few dozen nu values
                self._consts.clear()
            const = self._consts[key] = float(gammaln((nu + 1) / 2) - gammaln(nu / 2) - np.log(np.pi * (nu - 2)) / 2)
        return const

    def loglik_rows(self, P: np.ndarray, consts: np.ndarray) -> np.ndarray:
        """arch's log-likelihood at each row of ``P`` (full parameter vectors); ``consts`` holds
        each row's density constant (:meth:`_const` of its nu, or log(2 pi) for the normal)."""
        return _kernel_loglik(self._kernels, P, self._y, self._backcast, self._bounds, self._pq,
                              self._student, consts)

    def nll(self, x: np.ndarray) -> float:
        consts = np.empty(1)
        consts[0] = self._const(x[-1]) if self._student else _LOG_2PI
        return -float(self.loglik_rows(x[None, :], consts)[0])

    def grad(self, x: np.ndarray) -> np.ndarray:
        """scipy's 2-point gradient at ``x`` from the cached ``f(x)``: all stepped points in one
        :meth:`loglik_rows` call."""
        if self._last_x == x.tobytes():
            f0 = self._last_f
        else:
            f0 = self.nll(x)
        h = self.steps(x)
        stepped = x + h
        m = x.size
        P = np.empty((m, m))
        P[:] = x
        P.ravel()[:: m + 1] = stepped
        consts = np.empty(m)
        if self._student:  # nu is the last parameter: only the last row steps it
            consts.fill(self._const(x[-1]))
            consts[-1] = self._const(stepped[-1])
        else:
            consts.fill(_LOG_2PI)
        return (-self.loglik_rows(P, consts) - f0) / (stepped - x)


#: arch's Normal constant ``log(2 * pi)`` (numpy's log, as arch computes it)
_LOG_2PI = float(np.log(2 * np.pi))


def _kernel_loglik(kernels: dict[str, Any], P: np.ndarray, y: np.ndarray, backcast: float, bounds: np.ndarray,
                   order: tuple[int, int, int], student: bool, consts: np.ndarray) -> np.ndarray:
    """arch's log-likelihood of ``y`` at each row of ``P`` by the compiled kernels: variance
    paths and log arguments, numpy's ``log`` of them, then the sums (``consts``: each row's
    density constant)."""
    k, n = P.shape[0], y.shape[0]
    p, o, q = order
    buf = np.empty((2 * k if student else k, n))
    kernels["prepare"](P, y, backcast, bounds, p, o, q, student, buf)
    out = np.empty(k)
    kernels["finish"](P, y, buf, np.log(buf), consts, student, p, o, q, out)
    return out


def _slsqp(obj: _ArchObjective, x0: np.ndarray, bounds: list[tuple[float, float]]) -> tuple[np.ndarray, int]:
    """SLSQP from ``x0``: the iterates of ``scipy.optimize.minimize(method="SLSQP")`` with its
    default ``ftol`` (1e-6) and ``maxiter`` (100), returning the solution and exit mode.

    Drives scipy's own SLSQP kernel with the loop of ``scipy.optimize._slsqp_py`` (scipy >= 1.16)
    minus its per-call wrappers.
    """
    lb, ub = obj.lb, obj.ub
    n, m = x0.size, len(obj.rows)
    x = np.clip(np.asarray(x0, dtype=float), lb, ub)
    xl = np.where(np.isfinite(lb), lb, np.nan)
    xu = np.where(np.isfinite(ub), ub, np.nan)
    state: dict[str, Any] = {
        "acc": 1e-6, "alpha": 0.0, "f0": 0.0, "gs": 0.0, "h1": 0.0, "h2": 0.0, "h3": 0.0, "h4": 0.0,
        "t": 0.0, "t0": 0.0, "tol": 1e-5, "exact": 0, "inconsistent": 0, "reset": 0, "iter": 0,
        "itermax": 100, "line": 0, "m": m, "meq": 0, "mode": 0, "n": n,
    }
    size = n * (n + 1) // 2 + 3 * m * n + 9 * m + 8 * n * n + 35 * n + 28 + (2 * n * (n + 1) if m == 0 else 0)
    buffer = np.zeros(size)
    indices = np.zeros(max(m + 2 * n + 2, 1), dtype=np.int32)
    mult = np.zeros(max(1, m + 2 * n + 2))
    c_mat = np.zeros((max(1, m), n), order="F")
    d_vec = np.zeros(max(1, m))
    fx = obj.fun(x.copy())
    g = obj.grad(x.copy())
    if m:
        c_mat[:m] = obj.cons_jac(x)
        d_vec[:m] = obj.cons(x)
    while True:
        slsqp(state, fx, g, c_mat, d_vec, x, mult, xl, xu, buffer, indices)
        if state["mode"] == 1:
            fx = obj.fun(x.copy())
            if m:
                d_vec[:m] = obj.cons(x)
        if state["mode"] == -1:
            g = obj.grad(x.copy())
            if m:
                c_mat[:m] = obj.cons_jac(x)
        if abs(state["mode"]) != 1:
            break
    return x, int(state["mode"])


@functools.lru_cache(maxsize=8)
def _grid_layout(p: int, o: int, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """arch's GARCH starting-value grid without its scale: per distinct point, the factor
    ``1 - agb`` of column 0 (which multiplies the target variance) and the other columns, then
    each of the 64 grid points' row among the distinct ones (in arch's order)."""
    alphas = [0.01, 0.05, 0.1, 0.2]
    first: dict[tuple[float, tuple[float, ...]], int] = {}
    where = []
    for alpha, gamma, agb in itertools.product(alphas, alphas, [0.5, 0.7, 0.9, 0.98]):
        factor = 1.0 - agb
        cols = [0.0] * (p + o + q)
        if p > 0:
            cols[0:p] = [alpha / p] * p
            agb -= alpha
        if o > 0:
            cols[p : p + o] = [gamma / o] * o
            agb -= gamma / 2.0
        if q > 0:
            cols[p + o : p + o + q] = [agb / q] * q
        where.append(first.setdefault((factor, tuple(cols)), len(first)))
    factors = np.array([key[0] for key in first])
    rest = np.array([key[1] for key in first]).reshape(len(first), p + o + q)
    return factors, rest, np.array(where)


def _volatility_starting_values(vol: Any, resids: np.ndarray, backcast: Any, var_bounds: np.ndarray,
                                loglik: Any = None) -> np.ndarray:
    """``vol.starting_values(resids)``; for arch's GARCH/GJR the same grid search with each
    distinct grid point's Gaussian likelihood evaluated once (a GARCH(1,1) grid repeats each
    point for the four unused gamma values), which leaves the arg-max unchanged. ``loglik``
    (points -> log-likelihoods, the compiled kernels) replaces arch's calls when given."""
    if type(vol) is not GARCH:
        return np.asarray(vol.starting_values(resids), dtype=float)
    p, o, q, power = vol.p, vol.o, vol.q, vol.power
    alphas = [0.01, 0.05, 0.1, 0.2]
    target = np.mean(np.absolute(resids) ** power)
    scale = np.mean(resids**2) / (target ** (2.0 / power))
    target *= scale ** (power / 2)
    # the grid as arch builds it, in Python floats (the same IEEE operations as arch's numpy
    # scalars); each distinct point's Gaussian likelihood is evaluated once
    target_f = float(target)
    if loglik is not None:
        factors, rest, where = _grid_layout(p, o, q)
        points = np.empty((factors.shape[0], 1 + p + o + q))
        points[:, 0] = factors * target_f
        points[:, 1:] = rest
        llfs = np.asarray(loglik(points))[where]
        return points[where[int(np.argmax(llfs))]].copy()
    grid: list[tuple[float, ...]] = []
    for alpha, gamma, agb in itertools.product(alphas, alphas, [0.5, 0.7, 0.9, 0.98]):
        sv = [(1.0 - agb) * target_f] * (p + o + q + 1)
        if p > 0:
            sv[1 : 1 + p] = [alpha / p] * p
            agb -= alpha
        if o > 0:
            sv[1 + p : 1 + p + o] = [gamma / o] * o
            agb -= gamma / 2.0
        if q > 0:
            sv[1 + p + o : 1 + p + o + q] = [agb / q] * q
        grid.append(tuple(sv))
    first: dict[tuple[float, ...], int] = {}
    for point in grid:
        first.setdefault(point, len(first))
    unique = [np.array(point) for point in first]
    fres = np.absolute(resids) ** power
    sres = np.sign(resids)
    paths = np.empty((len(unique), resids.shape[0]))
    for row, sv_arr in enumerate(unique):
        _arch_volatility.rec.garch_recursion(sv_arr, fres, sres, paths[row], p, o, q, resids.shape[0],
                                             backcast, var_bounds)
    if power != 2.0:
        paths **= 2.0 / power
    lls = np.asarray(vol._normal.loglikelihood([], resids, paths, True))
    by_point = np.add.reduce(lls, axis=1).tolist()
    llfs = np.array([by_point[first[point]] for point in grid])
    return np.array(grid[int(np.argmax(llfs))])


def _distribution_starting_values(dist: Any, std_resids: np.ndarray) -> np.ndarray:
    """``dist.starting_values(std_resids)``; for arch's t and skew-t the same moment estimate of
    the degrees of freedom from scipy's kurtosis, called without scipy's nan/axis wrapper."""
    if type(dist) not in (StudentsT, SkewStudent):
        return np.asarray(dist.starting_values(std_resids), dtype=float)
    k = _kurtosis(std_resids)
    nu = max((4.0 * k - 6.0) / (k - 3.0) if k > 3.75 else 12.0, 4.0)
    return np.array([nu] if type(dist) is StudentsT else [nu, 0.0])


def _kurtosis(x: np.ndarray) -> float:
    """``scipy.stats.kurtosis(x, fisher=False)`` of a 1-d float array, by scipy's own operations
    (``_stats_py.kurtosis`` and ``_moment``: the mean, the demeaned values squared, squared
    again for the fourth moment, each moment a mean, then ``m4 / m2**2``), without the array-API
    dispatch and checks around them; NaN where scipy returns NaN (a constant sample)."""
    mean = np.mean(x, axis=0, keepdims=True)
    d = x - mean
    s2 = d**2
    m2 = np.mean(s2, axis=0)
    m4 = np.mean(s2**2, axis=0)
    with np.errstate(all="ignore"):
        if m2 <= (np.finfo(np.float64).eps * float(mean[0])) ** 2:
            return float("nan")
        return float(m4 / m2**2.0)


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


def _order(vol: Any) -> tuple[int, int, int]:
    """A GARCH process's orders ``(p, o, q)``."""
    return int(vol.p), int(vol.o), int(vol.q)


#: arch's EWMA parameters for the variance bounds (``ewma_recursion(0.94, ...)``)
_EWMA = np.array([0.0, 1.0 - 0.94, 0.94])


@functools.lru_cache(maxsize=8)
def _ewma_weights(tau: int) -> np.ndarray:
    """arch's backcast weights: ``w = 0.94 ** arange(tau); w / sum(w)`` (Python's ``sum``, as
    arch's volatility module uses it)."""
    w = 0.94 ** np.arange(tau)
    return w / sum(w)


@functools.lru_cache(maxsize=8)
def _open_bounds(nobs: int) -> np.ndarray:
    """The bounds ``ewma_recursion`` throws away: ``ones((nobs, 2)) * [-1, 1.7e308]``."""
    return np.ones((nobs, 2)) * np.array([-1.0, 1.7e308])


@functools.lru_cache(maxsize=8)
def _constant_pinv(nobs: int) -> np.ndarray:
    """``pinv`` of a constant mean's regressors, a column of ``nobs`` ones."""
    return np.linalg.pinv(np.ones((nobs, 1)))


def _garch_backcast(resids: np.ndarray) -> float:
    """``GARCH.backcast(resids)`` for power 2, with the weights cached."""
    w = _ewma_weights(min(75, resids.shape[0]))
    return float(np.sum((np.absolute(resids[: w.shape[0]]) ** 2.0) * w))


def _variance_bounds(resids: np.ndarray) -> np.ndarray:
    """``VolatilityProcess.variance_bounds(resids)`` (power 2), arch's operations in arch's
    order, with the constant weights and throw-away bounds cached."""
    nobs = resids.shape[0]
    w = _ewma_weights(min(75, nobs))
    var_bound = np.zeros(nobs)
    initial_value = w.dot(resids[: w.shape[0]] ** 2.0)
    _arch_volatility.rec.garch_recursion(_EWMA, resids**2.0, resids, var_bound, 1, 0, 1, nobs,
                                         initial_value, _open_bounds(nobs))
    largest = float(np.max(resids**2.0))
    min_upper_bound = 1 + largest
    lower_bound, upper_bound = _variance(resids) / 1e8, 1e7 * (1 + largest)
    var_bounds = np.empty((nobs, 2))
    low, high = var_bound / 1e6, var_bound * 1e6
    var_bounds[:, 0] = np.where(low < lower_bound, lower_bound, low)
    high = np.where(high < min_upper_bound, min_upper_bound, high)
    var_bounds[:, 1] = np.where(high > upper_bound, upper_bound, high)
    return var_bounds


def _variance(x: np.ndarray) -> float:
    """``float(np.var(x))`` of a 1-d float64 array by numpy's own steps (``_methods._var``:
    the sum with keepdims divided by n, the deviations squared in place, their sum divided by
    n), without the Python-level argument handling around them."""
    n = x.shape[0]
    mean = np.true_divide(np.add.reduce(x, axis=None, keepdims=True), n)
    d = x - mean
    np.multiply(d, d, out=d)
    return float(np.add.reduce(d, axis=None) / n)


class FastArchEngine(ArchEngine):
    """:class:`~riskkit.market._volatility.ArchEngine` with arch's fit retraced without its
    per-fit overhead (bit for bit on the supported versions) and an optional warm start.

    The arch model is built once on the whole series; ``fit(first, last, start)`` estimates
    it on observations ``first:last`` with arch's negative log-likelihood, parameter bounds
    and constraints (SLSQP, as ``arch_model(...).fit``), starting from ``start``. Without a
    start, or when the warm start fails, it runs arch's own cold-start fit (``_fit_cold``,
    which retraces ``ARCHModel.fit`` and returns its parameters bit for bit).
    """

    fast = True

    def __init__(self, y: np.ndarray, model: str = "garch", dist: str = "t", *, fits: int | None = None) -> None:
        super().__init__(y, model, dist)  # builds self.am on the whole series
        self._constraints = self._stack_constraints()
        self._rows: tuple[list[tuple[np.ndarray, float, np.ndarray]], list[Any]] | None = None
        self._row_arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._state: tuple[int, int, np.ndarray, Any, np.ndarray] | None = None
        self._mean0 = np.zeros(1)
        self.hessian_every = 50
        self._whitener: np.ndarray | None = None
        self._age = 0
        am = self.am
        compiled = (type(am) is ConstantMean and type(am.volatility) is GARCH and am.volatility.power == 2.0
                    and type(am.distribution) in (Normal, StudentsT))
        worth = fits is None or fits >= COMPILE_FROM or _garch_kernels.loaded()
        self._kernels = _garch_kernels.load() if compiled and worth and _numba_tested() else None

    def _row_terms(self) -> tuple[list[tuple[np.ndarray, float, np.ndarray]], list[Any]]:
        """The constraint rows ``(a_i, b_i, non-zero columns)`` and, per row, its terms
        ``([(column, coefficient), ...], b_i)`` when plain float arithmetic reproduces
        ``np.dot(a_i, x) - b_i`` (else None); built once per engine.

        arch evaluates ``np.dot(a_i, x) - b_i``. With at most two non-zero coefficients, each a
        power of two (arch's rows: +-1, +-0.5), the products are exact and the dot product is
        one rounding of their sum whatever the order, so plain float arithmetic on those terms
        gives the same value; other rows keep ``np.dot``.
        """
        if self._rows is None:
            a, b = self._constraints
            rows = [(a[i], float(b[i]), np.flatnonzero(a[i])) for i in range(a.shape[0])]
            terms: list[Any] = []
            for ai, bi, nz in rows:
                coefs = [(int(j), float(ai[j])) for j in nz]
                exact = len(coefs) <= 2 and all(abs(np.frexp(c)[0]) == 0.5 for _, c in coefs)
                terms.append((coefs, bi) if exact else None)
            self._rows = (rows, terms)
        return self._rows

    def _compiled_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """The constraint terms of :meth:`_row_terms` as arrays (columns, coefficients, count,
        b) for the compiled constraint kernels; None when a row needs ``np.dot``."""
        if self._row_arrays is None:
            _, terms = self._row_terms()
            if any(t is None for t in terms):
                return None
            m = len(terms)
            idx = np.zeros((m, 2), dtype=np.int64)
            coef = np.zeros((m, 2))
            count = np.zeros(m, dtype=np.int64)
            b = np.zeros(m)
            for r, (coefs, bi) in enumerate(terms):
                count[r] = len(coefs)
                b[r] = bi
                for c, (j, v) in enumerate(coefs):
                    idx[r, c], coef[r, c] = j, v
            self._row_arrays = (idx, coef, count, b)
        return self._row_arrays

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
        """Residuals at the starting mean, backcast and variance bounds as arch's ``fit``
        computes them for this window (cached for the last window)."""
        am = self.am
        am._adjust_sample(first, last)
        if self._state is not None and self._state[:2] == (first, last):
            return self._state[2:]
        if self._kernels is not None:  # constant mean, GARCH/GJR with power 2: arch's values, cached pieces
            mean0 = _constant_pinv(last - first).dot(am._fit_y)
            resids0 = np.asarray(am.resids(mean0), dtype=float)
            backcast: Any = _garch_backcast(resids0)
            bounds = _variance_bounds(resids0)
        else:
            mean0 = am.starting_values()
            resids0 = np.asarray(am.resids(mean0), dtype=float)
            backcast, bounds = am.volatility.backcast(resids0), np.asarray(am.volatility.variance_bounds(resids0))
        self._mean0 = mean0
        state = (resids0, backcast, bounds)
        self._state = (first, last, *state)
        return state

    # -- estimation ----------------------------------------------------------------------
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

    def _grid_loglik(self, resids: np.ndarray, backcast: Any, var_bounds: np.ndarray) -> Any:
        """The Gaussian log-likelihood of volatility grid points on ``resids`` (the residuals at
        the starting mean) by the compiled kernels, or None without them."""
        if self._kernels is None:
            return None
        vol = self.am.volatility
        y = np.ascontiguousarray(self.am._fit_y, dtype=float)
        mu = float(self._mean0[0])  # the starting mean of this window (_window_state)
        if not np.array_equal(y - mu, resids):  # pragma: no cover - guards the kernel's residuals
            return None
        kernels = self._kernels
        bounds = np.ascontiguousarray(var_bounds, dtype=float)
        order = _order(vol)

        def loglik(points: np.ndarray) -> np.ndarray:
            P = np.column_stack([np.full(points.shape[0], mu), points])
            return _kernel_loglik(kernels, P, y, float(backcast), bounds, order, False,
                                  np.full(P.shape[0], _LOG_2PI))

        return loglik

    def _fit_cold(self, first: int, last: int) -> Fit:
        """``self.am.fit(first_obs=first, last_obs=last)``'s estimate, retraced step for step.

        Same starting values (the mean's least squares, the volatility grid search, the
        distribution's moment estimate), bounds, constraints and SLSQP call (default ``ftol``,
        ``maxiter`` and ``eps``) as arch 8's ``ARCHModel.fit``; the gradient and constraint
        normals are scipy's own forward differences computed without its wrappers, so every
        iterate and the result equal arch's to the last bit (pinned in the tests). Left out,
        because the VaR does not need them: the result object, its residual and volatility
        series, the deep copy of the model and the re-validation of the data.
        """
        am = self.am
        vol, dist = am.volatility, am.distribution
        resids, backcast, var_bounds = self._window_state(first, last)
        sigma2 = np.zeros(resids.shape[0])
        sv_vol = _volatility_starting_values(vol, resids, backcast, var_bounds, self._grid_loglik(resids, backcast, var_bounds))
        vol.compute_variance(sv_vol, resids, sigma2, backcast, var_bounds)
        std_resids = resids / np.sqrt(sigma2)
        bounds = am.bounds() + vol.bounds(resids) + dist.bounds(std_resids)
        lb = np.array([-np.inf if lo is None else float(lo) for lo, _ in bounds])
        ub = np.array([np.inf if hi is None else float(hi) for _, hi in bounds])
        sv = np.hstack([self._mean0, sv_vol, _distribution_starting_values(dist, std_resids)]).astype(float)
        if self._kernels is not None:
            obj: _ArchObjective = _CompiledObjective(self, sigma2, backcast, var_bounds, lb, ub, self._kernels)
        else:
            obj = _ArchObjective(self, sigma2, backcast, var_bounds, lb, ub)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            params, mode = _slsqp(obj, sv, bounds)
        return Fit(params, mode == 0 and bool(np.all(np.isfinite(params))))

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
        self.am._adjust_sample(first, last)
        if self._kernels is not None:
            out = self._filter_compiled(np.asarray(params, dtype=float))
        else:
            out = self._filter(self.am, np.asarray(params, dtype=float))
        self._filtered = (key, out)
        return out

    def _filter_compiled(self, params: np.ndarray) -> tuple[float, float, np.ndarray]:
        """:meth:`_filter` for a constant mean and GARCH/GJR with power 2, each value equal to
        arch's: the backcast and bounds by arch's own operations, and the variance path and
        one-step forecast in one compiled recursion over the window with a zero residual
        appended and bounds [0, inf) for it, as arch's ``_one_step_forecast`` makes them."""
        am = self.am
        mp, vp, _ = self.split(params)
        resids = np.asarray(am.resids(mp), dtype=float)
        n = resids.shape[0]
        y = np.empty(n + 1)
        y[:n] = am._fit_y
        y[n] = mp[0]  # residual y - mu = 0
        bounds = np.empty((n + 1, 2))
        bounds[:n] = _variance_bounds(resids)
        bounds[n] = 0.0, np.inf
        p, o, q = _order(am.volatility)
        path = np.empty((1, n + 1))
        kernels = self._kernels
        assert kernels is not None  # only called with the kernels loaded
        kernels["prepare"](np.concatenate((mp, vp))[None, :], y, _garch_backcast(resids), bounds, p, o, q,
                           False, path)
        return float(mp[0]), float(path[0, n]), resids / np.sqrt(path[0, :n])
