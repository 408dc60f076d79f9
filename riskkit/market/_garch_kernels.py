"""Compiled pieces of arch's GARCH-family log-likelihood that reproduce arch's values bit for bit.

arch's negative log-likelihood of a constant-mean GARCH/GJR model with normal or Student's t
errors is, per window, a handful of numpy expressions around a compiled variance recursion
(``arch.univariate.recursions.garch_recursion``). Retracing arch's SLSQP fit needs every one of
those values to the last bit: a change of one unit in the last place of the likelihood moves
the finite-difference gradients and so the optimiser's path, and the VaRs by up to 6e-5
relative (``benchmarks/bench_rolling_var.py --sensitivity``). This module computes them with
numba in as few calls as possible, and keeps the exact arithmetic:

* the residuals ``y - mu``, their squares and signs, the recursion (same order of additions and
  products as arch's Cython ``garch_recursion``, the same bounds check with libm's ``log``) and
  the elementwise terms of arch's ``Normal``/``StudentsT.loglikelihood``, each a single IEEE
  operation in the order numpy applies them (numba does not contract ``a * b + c`` into a fused
  multiply-add unless asked to with ``fastmath``);
* the logarithms are NOT computed here: numpy's ``log`` has its own SIMD implementation that
  differs from libm's in the last bit for about 0.1% of inputs, so :func:`prepare` writes the
  arguments of every ``log`` into one buffer, the caller applies ``numpy.log`` to it (one call
  for all rows), and :func:`finish` combines the results;
* the final sum is numpy's pairwise summation (``DOUBLE_pairwise_sum``: 8 accumulators over
  blocks of at most 128, halves split at multiples of 8), which is what ``numpy.sum`` does on a
  contiguous float64 row.

Each row of the parameter matrix ``P`` is one evaluation point ``[mu, omega, alpha_1..p,
gamma_1..o, beta_1..q(, nu)]`` (arch's parameter order), so a whole finite-difference gradient,
or the whole starting-value grid, is one :func:`prepare` call, one ``numpy.log`` and one
:func:`finish`. The agreement with arch is pinned in ``tests/market/test_garch_kernels.py``.

numba is imported lazily (:func:`load`); without it, or with a numba version outside
``riskkit.market._fast_arch.TESTED_NUMBA``, the fast engine uses its numpy path (the same values,
about 1.5 times slower).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["load", "loaded", "warm"]

_KERNELS: dict[str, Any] = {}


def loaded() -> bool:
    """Whether this process has loaded the kernels already (using them then costs nothing more)."""
    return bool(_KERNELS)


def load() -> dict[str, Any] | None:
    """The compiled kernels (``prepare``, ``finish``), compiling on first use (cached on
    disk by numba), or None when numba is not installed."""
    if _KERNELS:
        return _KERNELS
    try:
        import numba  # lazy: importing numba costs about 0.3 s
    except ImportError:  # pragma: no cover - numba is a declared dependency
        return None
    jit = numba.njit(cache=True, nogil=True)
    module = globals()
    # rebinding the module's names makes the kernels call each other compiled
    try:
        for name in ("_block", "_pairwise", "_bounded", "_recursion_11", "_recursion", "_prepare", "_finish",
                     "_steps", "_row", "_constraint_values", "_constraint_jacobian"):
            if not hasattr(module[name], "py_func"):  # not compiled yet in this process
                module[name] = jit(module[name])
    except RuntimeError:  # numba finds no writable cache directory ("no locator available")
        return None  # the fast engine keeps its numpy path (same values)
    _KERNELS.update(prepare=module["_prepare"], finish=module["_finish"], steps=module["_steps"],
                    constraint_values=module["_constraint_values"],
                    constraint_jacobian=module["_constraint_jacobian"])
    return _KERNELS


def _block(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """numpy's pairwise sum of a leaf ``a[lo:lo + n]``, ``n <= 128``: sequential below 8,
    otherwise 8 accumulators combined as ((0+1)+(2+3))+((4+5)+(6+7)), then the remainder."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - (n % 8)
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


def _pairwise(a: np.ndarray) -> float:  # pragma: no cover - compiled
    """numpy's ``DOUBLE_pairwise_sum`` of ``a`` (numpy/_core/src/umath/loops_utils.h.src), as
    ``numpy.sum`` applies it to a contiguous row: leaves of at most 128 (:func:`_block`), larger
    ranges split at half the length rounded down to a multiple of 8. The recursion is walked
    with an explicit stack (numba's on-disk cache mislinks recursive functions); IEEE addition
    is commutative, so only the tree's shape matters, not the order its halves are summed in."""
    starts = np.empty(128, dtype=np.int64)
    sizes = np.empty(128, dtype=np.int64)
    opened = np.zeros(128, dtype=np.bool_)
    values = np.empty(128)
    held = 0
    starts[0], sizes[0], opened[0] = 0, a.shape[0], False
    top = 1
    while top > 0:
        lo, n = starts[top - 1], sizes[top - 1]
        if n <= 128:
            values[held] = _block(a, lo, n)
            held += 1
            top -= 1
        elif not opened[top - 1]:
            opened[top - 1] = True
            half = n // 2
            half -= half % 8
            starts[top], sizes[top], opened[top] = lo + half, n - half, False
            starts[top + 1], sizes[top + 1], opened[top + 1] = lo, half, False
            top += 2
        else:
            values[held - 2] = values[held - 2] + values[held - 1]
            held -= 1
            top -= 1
    return values[0]


def _prepare(P: np.ndarray, y: np.ndarray, backcast: float, var_bounds: np.ndarray, p: int, o: int,
             q: int, student: bool, buf: np.ndarray) -> None:  # pragma: no cover - compiled
    """For each row ``r`` of ``P``: ``buf[r]`` = arch's conditional variance path, and for
    Student's t ``buf[k + r]`` = ``1 + e**2 / (sigma2 * (nu - 2))`` (the two ``log`` arguments).

    ``GARCH.compute_variance`` with power 2: ``fresids = abs(e) ** 2.0`` (numpy squares),
    ``sresids = sign(e)``, then ``garch_recursion`` term by term; ``sigma2 **= 1.0`` is the
    identity. The rows' recursions are independent, so the loop over rows is the inner one:
    each step of one row waits on its previous step, and interleaving the rows lets the
    processor overlap those waits.
    """
    k = P.shape[0]
    n = y.shape[0]
    fres = np.empty((k, n))
    neg = np.empty((k, n))
    for r in range(k):
        mu = P[r, 0]
        for i in range(n):
            e = y[i] - mu
            a = abs(e)
            fres[r, i] = a * a
            neg[r, i] = 1.0 if e < 0 else 0.0
    if p == 1 and q == 1 and o <= 1:
        _recursion_11(P, backcast, var_bounds, o, fres, neg, buf)
    else:
        _recursion(P, backcast, var_bounds, p, o, q, fres, neg, buf)
    if student:
        for r in range(k):
            mu = P[r, 0]
            nu_m2 = P[r, 2 + p + o + q] - 2.0
            for i in range(n):
                e = y[i] - mu
                buf[k + r, i] = 1.0 + (e * e) / (buf[r, i] * nu_m2)


def _bounded(s: float, lower: float, upper: float) -> float:  # pragma: no cover - compiled
    """arch's ``bounds_check`` (recursions.pyx), with libm's ``log``."""
    if s < lower:
        return lower
    if s > upper:
        if s > 1.7976931348623157e308:
            return upper + 1000
        return upper + math.log(s / upper)
    return s


def _recursion_11(P: np.ndarray, backcast: float, var_bounds: np.ndarray, o: int, fres: np.ndarray,
                  neg: np.ndarray, buf: np.ndarray) -> None:  # pragma: no cover - compiled
    """``garch_recursion`` for p = q = 1 (o = 0 or 1): the same additions and products in
    arch's order, with each row's parameters and last variance held in registers (one row) or
    small arrays (several rows, advanced together so their step-to-step waits overlap)."""
    k = P.shape[0]
    n = fres.shape[1]
    omega = P[:, 1].copy()
    alpha = P[:, 2].copy()
    gamma = P[:, 3].copy() if o == 1 else np.zeros(k)
    beta = P[:, 3 + o].copy()
    prev = np.empty(k)
    for r in range(k):
        s = omega[r]
        s += alpha[r] * backcast
        if o == 1:
            s += gamma[r] * 0.5 * backcast
        s += beta[r] * backcast
        s = _bounded(s, var_bounds[0, 0], var_bounds[0, 1])
        buf[r, 0] = s
        prev[r] = s
    if k == 1:
        w, a, g, b = omega[0], alpha[0], gamma[0], beta[0]
        f, z, out = fres[0], neg[0], buf[0]
        last = prev[0]
        if o == 1:
            for t in range(1, n):
                s = w
                s += a * f[t - 1]
                s += g * f[t - 1] * z[t - 1]
                s += b * last
                last = _bounded(s, var_bounds[t, 0], var_bounds[t, 1])
                out[t] = last
        else:
            for t in range(1, n):
                s = w
                s += a * f[t - 1]
                s += b * last
                last = _bounded(s, var_bounds[t, 0], var_bounds[t, 1])
                out[t] = last
        return
    for t in range(1, n):
        lower = var_bounds[t, 0]
        upper = var_bounds[t, 1]
        for r in range(k):
            s = omega[r]
            s += alpha[r] * fres[r, t - 1]
            if o == 1:
                s += gamma[r] * fres[r, t - 1] * neg[r, t - 1]
            s += beta[r] * prev[r]
            s = _bounded(s, lower, upper)
            buf[r, t] = s
            prev[r] = s


def _recursion(P: np.ndarray, backcast: float, var_bounds: np.ndarray, p: int, o: int, q: int,
               fres: np.ndarray, neg: np.ndarray, buf: np.ndarray) -> None:  # pragma: no cover - compiled
    """``garch_recursion`` for any p, o, q, term by term (arch's order)."""
    k = P.shape[0]
    n = fres.shape[1]
    for t in range(n):
        lower = var_bounds[t, 0]
        upper = var_bounds[t, 1]
        for r in range(k):
            s = P[r, 1]
            loc = 2
            for j in range(p):
                if t - 1 - j < 0:
                    s += P[r, loc] * backcast
                else:
                    s += P[r, loc] * fres[r, t - 1 - j]
                loc += 1
            for j in range(o):
                if t - 1 - j < 0:
                    s += P[r, loc] * 0.5 * backcast
                else:
                    s += P[r, loc] * fres[r, t - 1 - j] * neg[r, t - 1 - j]
                loc += 1
            for j in range(q):
                if t - 1 - j < 0:
                    s += P[r, loc] * backcast
                else:
                    s += P[r, loc] * buf[r, t - 1 - j]
                loc += 1
            buf[r, t] = _bounded(s, lower, upper)


def _finish(P: np.ndarray, y: np.ndarray, buf: np.ndarray, logs: np.ndarray, consts: np.ndarray,
            student: bool, p: int, o: int, q: int, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[r]`` = arch's log-likelihood of row ``r`` from the variance paths (``buf``) and
    the numpy logs of ``buf`` (``logs``); ``consts[r]`` is the t constant
    ``gammaln((nu+1)/2) - gammaln(nu/2) - log(pi*(nu-2))/2`` or ``log(2*pi)`` (normal),
    computed by the caller with arch's own scalar expressions."""
    k = P.shape[0]
    n = y.shape[0]
    lls = np.empty(n)
    for r in range(k):
        c = consts[r]
        if student:
            half_nu1 = (P[r, 2 + p + o + q] + 1.0) / 2.0
            for i in range(n):
                lls[i] = (c - 0.5 * logs[r, i]) - half_nu1 * logs[k + r, i]
        else:
            mu = P[r, 0]
            for i in range(n):
                e = y[i] - mu
                lls[i] = -0.5 * ((c + logs[r, i]) + (e * e) / buf[r, i])
        out[r] = 0.0 + _pairwise(lls)


def _steps(x: np.ndarray, lb: np.ndarray, ub: np.ndarray, unbounded: bool, base: float,
           out: np.ndarray) -> None:  # pragma: no cover - compiled
    """scipy's forward-difference steps (``approx_derivative(method="2-point", abs_step=base,
    bounds=(lb, ub))``, ``_numdiff._adjust_scheme_to_bounds``), element by element."""
    for i in range(x.shape[0]):
        xi = x[i]
        h = base
        if (xi + h) - xi == 0:
            h = base * (1.0 if xi >= 0 else -1.0) * max(1.0, abs(xi))
        if not unbounded:
            lower_dist = xi - lb[i]
            upper_dist = ub[i] - xi
            if abs(h) <= max(lower_dist, upper_dist):
                if xi + h < lb[i] or xi + h > ub[i]:
                    h = -h
            elif upper_dist >= lower_dist:
                h = upper_dist
            else:
                h = -lower_dist
        out[i] = h


def _row(x: np.ndarray, r: int, idx: np.ndarray, coef: np.ndarray, count: np.ndarray,
         b: np.ndarray) -> float:  # pragma: no cover - compiled
    """``a_r . x - b_r`` for a row with at most two non-zero coefficients, each a power of
    two: the products are exact, so this is the one rounding ``np.dot`` makes."""
    if count[r] == 0:
        return 0.0 - b[r]
    if count[r] == 1:
        return coef[r, 0] * x[idx[r, 0]] - b[r]
    return (coef[r, 0] * x[idx[r, 0]] + coef[r, 1] * x[idx[r, 1]]) - b[r]


def _constraint_values(x: np.ndarray, idx: np.ndarray, coef: np.ndarray, count: np.ndarray,
                       b: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """arch's linear constraint rows at ``x``."""
    for r in range(b.shape[0]):
        out[r] = _row(x, r, idx, coef, count, b)


def _constraint_jacobian(x: np.ndarray, lb: np.ndarray, ub: np.ndarray, unbounded: bool, base: float,
                         idx: np.ndarray, coef: np.ndarray, count: np.ndarray, b: np.ndarray,
                         out: np.ndarray) -> None:  # pragma: no cover - compiled
    """scipy's 2-point Jacobian of each constraint row: ``x`` clipped into the bounds, the
    steps of :func:`_steps` there, zero where a row's coefficient is zero."""
    n = x.shape[0]
    xc = np.empty(n)
    for i in range(n):
        v = x[i]
        if v < lb[i]:
            v = lb[i]
        elif v > ub[i]:
            v = ub[i]
        xc[i] = v
    h = np.empty(n)
    _steps(xc, lb, ub, unbounded, base, h)
    out[:, :] = 0.0
    for r in range(b.shape[0]):
        f0 = _row(xc, r, idx, coef, count, b)
        for m in range(count[r]):
            j = idx[r, m]
            old = xc[j]
            xc[j] = old + h[j]
            out[r, j] = (_row(xc, r, idx, coef, count, b) - f0) / ((old + h[j]) - old)
            xc[j] = old


def warm() -> bool:
    """Compile every kernel for the argument types the fast engine passes (numba caches them on
    disk, so later processes load instead of compiling: about 3.5 s of CPU once per checkout);
    False when the kernels are not available. ``make`` runs it after installing."""
    kernels = load()
    if kernels is None:
        return False
    n = 16
    y = np.linspace(-1.0, 1.0, n)
    bounds = np.empty((n, 2))
    bounds[:, 0], bounds[:, 1] = 1e-6, 1e6
    P = np.array([[0.0, 0.1, 0.1, 0.8, 6.0]])
    buf = np.empty((2, n))
    kernels["prepare"](P, y, 1.0, bounds, 1, 0, 1, True, buf)
    kernels["finish"](P, y, buf, np.log(buf), np.zeros(1), True, 1, 0, 1, np.empty(1))
    x = P[0].copy()
    lb, ub = np.full(5, -np.inf), np.full(5, np.inf)
    kernels["steps"](x, lb, ub, True, 1.4901161193847656e-08, np.empty(5))
    idx, coef = np.zeros((1, 2), dtype=np.int64), np.ones((1, 2))
    count, b = np.ones(1, dtype=np.int64), np.zeros(1)
    kernels["constraint_values"](x, idx, coef, count, b, np.empty(1))
    kernels["constraint_jacobian"](x, lb, ub, True, 1.4901161193847656e-08, idx, coef, count, b, np.empty((1, 5)))
    return True


if __name__ == "__main__":  # python -m riskkit.market._garch_kernels
    print("riskkit GARCH kernels compiled and cached" if warm() else "riskkit GARCH kernels not available (numba)")
