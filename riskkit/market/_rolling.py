"""Out-of-sample rolling VaR / ES forecasts (``rolling_var``).

The forecast for day ``t`` uses the ``window`` returns ``t - window .. t - 1`` only. GARCH-family
models are re-estimated every ``refit_every`` days with arch: by default with arch's own cold
start (``ArchEngine`` retraces ``ARCHModel.fit`` without its per-fit overhead, so the estimates
are arch's bit for bit), or with ``warm_start=True`` from the previous window's parameters.
Between refits the last parameters filter the new window (arch's own variance recursion and
one-step forecast). Work is split into contiguous chunks, each starting on a refit day, run by
a process pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from riskkit._validation import check_alpha, check_choice, check_positive_int
from riskkit.exceptions import ConvergenceWarning, FastPathWarning, ParameterError
from riskkit.market._checks import check_returns, check_window
from riskkit.market._var import (
    DEFAULT_CONFIG,
    METHODS,
    VOLATILITY_MODELS,
    _dist_ppf,
    _fit_t,
    check_mean,
    empirical_tail,
    gpd_tail,
    scale_factor,
)
from riskkit.market._volatility import DISTRIBUTIONS, GARCH_MODELS, ArchEngine, ewma_variance, std_tail

__all__ = ["rolling_var"]

logger = logging.getLogger(__name__)

#: below this many GARCH refits a process pool costs more than it saves
_MIN_PARALLEL_FITS = 120
_MAX_WARNINGS = 10


@dataclass(frozen=True)
class _Spec:
    model: str
    dist: str
    method: str
    alpha: float
    es_alpha: float
    window: int
    refit_every: int
    lam: float
    n_sims: int
    random_state: int | None
    warm_start: bool = False
    mean: str = "constant"


def rolling_var(
    returns: Any,
    model: str = DEFAULT_CONFIG.model,
    dist: str = DEFAULT_CONFIG.dist,
    alpha: float = 0.01,
    window: int = 1000,
    refit_every: int = 1,
    method: str = DEFAULT_CONFIG.method,
    *,
    es_alpha: float | None = None,
    lam: float = 0.94,
    n_sims: int = 10_000,
    n_jobs: int | None = -1,
    progress: bool = False,
    random_state: int | None = 0,
    warm_start: bool = False,
    mean: str = DEFAULT_CONFIG.mean,
) -> pd.DataFrame:
    """Rolling out-of-sample VaR and ES forecasts.

    Parameters
    ----------
    returns : daily returns (a Series with increasing, unique dates; no NaN/inf).
    model : ``"hs"``, ``"normal"`` (window mean and std), ``"ewma"`` (RiskMetrics ``lam``),
        ``"garch"``, ``"gjr"``, ``"egarch"`` (arch, (1,1) orders, the mean set by ``mean``).
    dist : ``"normal"``, ``"t"``, ``"skewt"`` innovations (estimated with the model).
    alpha : VaR tail probability (0.01 is 99% VaR).
    window : estimation window length; forecasts start at observation ``window``.
    refit_every : re-estimate every this many days; in between, the last parameters filter
        the moving window (volatility keeps updating daily).
    method : ``"parametric"`` (quantile of ``dist``), ``"fhs"`` (filtered historical
        simulation: empirical quantile / tail mean of the window's standardised residuals),
        ``"evt"`` (McNeil and Frey 2000: a generalised Pareto law fitted by maximum likelihood
        to the largest 10% of the window's standardised losses on each refit day, its
        quantile from ``scipy.stats.genpareto`` and its tail mean), ``"mc"`` (``n_sims`` seeded draws from
        ``dist``). The defaults of ``model``, ``dist`` and ``method`` are
        ``riskkit.market._var.DEFAULT_CONFIG``, shared with :class:`VaRModel`.
    es_alpha : ES tail probability (default ``alpha``; 0.025 for FRTB's 97.5% ES).
    lam : EWMA decay for ``model="ewma"`` (0.94, RiskMetrics' daily value).
    n_sims : Monte Carlo draws per forecast for ``method="mc"``.
    n_jobs : worker processes for GARCH-family models (-1 or None: all cores; 1: in process).
        Results are identical whatever the number (each chunk starts on a cold refit).
    progress : show a tqdm progress bar.
    random_state : seed of the Monte Carlo draws (``method="mc"``); None draws fresh ones.
    warm_start : GARCH family only. ``False`` (default): every refit is arch's own cold-start
        estimate, ``arch_model(window).fit()`` (its starting-value grid search, its SLSQP call
        and finite-difference gradients) retraced by the fast engine of
        ``riskkit.market._fast_arch`` without arch's per-fit overhead (on the arch and scipy
        versions it declares; otherwise, or if it raises, arch's public ``fit`` itself is used,
        with a ``FastPathWarning``), so each forecast equals the one a fresh arch model fitted and forecast on
        that window gives, to rounding (returns are rescaled only where arch's
        ``rescale=True`` would: variance outside [0.1, 10^4), e.g. decimal returns).
        ``True``: each refit starts from the previous window's parameters, about 10% faster
        than the default's compiled cold fits (a GARCH/GJR model with a constant mean and normal or
        t errors; two to three times faster for other models), but on flat likelihoods it can
        stay in a different local optimum than a cold fit (S&P 500 windows ending in 2006: alpha near 0 with beta near 0.99, or alpha
        near 0.02 with beta near 0.97, fit almost equally well). Measured on the daily-refit
        GARCH(1,1)-t 99% S&P 500 backtest (``benchmarks/bench_rolling_var.py``, 4,030 days):
        the default's VaRs all equal the naive arch loop's (largest relative difference
        4e-16) for about a twelfth of its CPU time (one process each; 500 days: 11.8x less
        CPU); warm starts put 98.9%
        within 1% and the worst 17% off. The default is the one that reproduces arch.
    mean : conditional mean of a GARCH-family model. ``"constant"`` (default,
        ``DEFAULT_CONFIG.mean``) or ``"ar1"``: arch's AR(1) mean, each refit being
        ``arch_model(window, mean="AR", lags=1, ...).fit()`` (the window's first return is held
        back as the lag) and the forecast ``const + phi * (last return)`` with arch's variance
        forecast. AR(1) fits always use arch's public ``fit`` (the fast engine retraces
        constant-mean fits only; no ``FastPathWarning``), about four times the CPU; ``warm_start``
        passes the previous parameters to arch as ``starting_values``.

    Returns
    -------
    DataFrame with columns ``var`` and ``es`` (positive losses, units of ``returns``) indexed by
    forecast day; ``attrs`` hold the settings, the dates whose fit did not converge and the
    GARCH engine used (``"riskkit fast path"`` or ``"arch public API"``).

    Raises
    ------
    ParameterError
        An argument is outside its documented values (e.g. ``alpha`` outside (0, 0.5],
        ``window`` not shorter than the series).
    DataError
        ``returns`` has NaN/inf values, non-increasing or duplicated dates, or zero variance.

    Notes
    -----
    **Default: GJR-GARCH(1,1,1), Gaussian quasi-likelihood, generalised Pareto tail (GARCH-EVT,
    McNeil and Frey 2000), ``DEFAULT_CONFIG``.** Chosen by ``benchmarks/bench_var_candidates.py``
    (table and every cell in ``benchmarks/var_candidates.md``): window 1000, refits every 10
    days (to spare CPU; the volatility updates daily), 99% / 97.5% / 95% on the S&P 500 and
    NASDAQ (arch.data, forecasts Dec 2002 - 2018), WTI (arch.data, Dec 1989 - Jan 2019) and three simulated
    series (GJR-skew-t, GARCH-t, two-state regime-switching t), 18 series x level cells per
    candidate, each test at 5% (AR(1) = ``mean="ar1"``, the others a constant mean):

    ============================  ======  ======  =============  ======  =======  =========
    candidate                     Kupiec  CC      Kupiec and CC  DQ      Z2 (ES)  all four
    ============================  ======  ======  =============  ======  =======  =========
    GJR-skew-t parametric         18/18   16/18   16/18          15/18   17/18    15/18
    GJR-skew-t FHS                18/18   18/18   18/18          15/18   17/18    14/18
    GARCH-EVT (McNeil-Frey)       18/18   18/18   18/18          12/18   17/18    12/18
    GJR-EVT (the default)         18/18   18/18   18/18          17/18   17/18    16/18
    EGARCH-skew-t parametric      18/18   15/18   15/18          10/18   14/18     9/18
    AR(1)-GJR-EVT                 18/18   18/18   18/18          16/18   18/18    16/18
    AR(1)-GJR-skew-t parametric   18/18   16/18   16/18          14/18   18/18    13/18
    ============================  ======  ======  =============  ======  =======  =========

    GJR-skew-t parametric (the default before, chosen on the S&P 500 alone) fails conditional
    coverage on NASDAQ at 97.5% and 95% (clustered exceptions); GJR-EVT passes Kupiec and
    conditional coverage in every cell and has the most DQ passes. An AR(1) mean does not
    beat it: AR(1)-GJR-EVT ties on Kupiec and CC (18/18) and on DQ + Z2 passes (34 each; one
    DQ fewer, one Z2 more, both near p = 0.05), and the default changes only on strictly
    more; AR(1) also costs about four times the CPU (arch's public fit). With daily refits
    the default and GJR-skew-t FHS pass exactly the counts in the table: the ranking holds. A
    perfect model would pass a single test in about 95% of cells, so 18/18 is partly luck; the
    ranking, not the perfect score, is the evidence.

    Warnings
    --------
    ConvergenceWarning (riskkit) names each date whose refit did not converge; that day keeps
    the previous parameters and the run goes on. FastPathWarning (riskkit) says why arch's
    public ``fit`` was used instead of the fast engine (untested arch / scipy versions, or an
    error inside the fast path); the forecasts are the same to rounding.

    Examples
    --------
    The default GJR-EVT model on 600 days of Student-t returns, refitted every 20 days, then
    backtested:

    >>> import numpy as np, pandas as pd
    >>> from riskkit.market import backtest, rolling_var
    >>> days = pd.bdate_range("2021-01-01", periods=600)
    >>> r = pd.Series(np.random.default_rng(0).standard_t(5, 600) * 0.01, index=days)
    >>> f = rolling_var(r, window=500, refit_every=20)
    >>> f.shape, f.columns.tolist()
    ((100, 2), ['var', 'es'])
    >>> f.head(2).round(3)
                  var     es
    date
    2022-12-02  0.027  0.032
    2022-12-05  0.028  0.033
    >>> report = backtest.backtest_var(r.loc[f.index], f["var"], 0.01)
    >>> report.n_exceptions, report.kupiec.reject()
    (3, False)
    """
    spec, r = _validate(returns, model, dist, alpha, window, refit_every, method, es_alpha, lam, n_sims,
                        random_state, warm_start, mean)
    y = r.to_numpy()
    scale = _arch_scale(y[:window])
    ys = y * scale
    if model in GARCH_MODELS:
        var, es, failed, fast = _garch_path(ys, spec, n_jobs, progress)
        _warn_failed(r.index, failed)
    else:
        var, es = _simple_path(ys, spec)
        failed, fast = [], False
    out = pd.DataFrame({"var": var / scale, "es": es / scale}, index=r.index[window:])
    out.index.name = r.index.name or "date"
    out.attrs.update({
        "model": model, "dist": dist, "method": method, "mean": mean, "alpha": spec.alpha, "es_alpha": spec.es_alpha,
        "window": window, "refit_every": refit_every, "warm_start": spec.warm_start,
        "non_converged": [r.index[i] for i in failed],
        "engine": ("riskkit fast path" if fast else "arch public API") if model in GARCH_MODELS else "numpy",
    })
    return out


def _validate(returns: Any, model: str, dist: str, alpha: float, window: int, refit_every: int,
              method: str, es_alpha: float | None, lam: float, n_sims: int,
              random_state: int | None, warm_start: bool = False,
              mean: str = "constant") -> tuple[_Spec, pd.Series]:
    r = check_returns(returns)
    check_choice(model, "model", VOLATILITY_MODELS)
    check_choice(dist, "dist", DISTRIBUTIONS)
    check_choice(method, "method", METHODS)
    check_mean(mean, model)
    a = check_alpha(alpha)
    ea = a if es_alpha is None else check_alpha(es_alpha, "es_alpha")
    w = check_window(window, len(r), minimum=30 if model != "hs" else 2)
    k = check_positive_int(refit_every, "refit_every", hint="1 refits every day, 5 once a week")
    check_positive_int(n_sims, "n_sims", minimum=100, hint="use at least a few thousand draws")
    if model in ("normal", "ewma") and dist == "skewt":
        raise ParameterError(
            f"dist='skewt' needs a GARCH-family model (got model={model!r}); use dist='t' or model='gjr'"
        )
    if not 0.0 < float(lam) < 1.0:
        raise ParameterError(f"lam must be in (0, 1) (got lam={lam!r}); RiskMetrics uses 0.94")
    if not isinstance(warm_start, (bool, np.bool_)):
        raise ParameterError(
            f"warm_start must be True or False (got warm_start={warm_start!r}); False reproduces arch's cold fits"
        )
    return _Spec(model, dist, method, a, ea, w, k, float(lam), int(n_sims), random_state, bool(warm_start),
                 mean), r


def _arch_scale(first_window: np.ndarray) -> float:
    """The factor arch's ``rescale=True`` would apply (``ARCHModel._check_scale``): powers of ten
    bringing the variance into [0.1, 10_000). Percent returns need none, so their GARCH fits are
    arch's own, bit for bit; decimal returns are multiplied by 100 (the forecasts are scaled
    back). One factor, from the first window, serves the whole run."""
    scale_factor(first_window)  # DataError on zero variance
    variance = float(np.var(first_window))
    factor, scaled = 1.0, variance
    while not 0.1 <= scaled < 10_000.0:
        factor = factor * 10 if scaled < 1.0 else factor / 10
        scaled = variance * factor**2
    return factor


def _warn_failed(index: pd.Index, failed: list[int]) -> None:
    for pos in failed[:_MAX_WARNINGS]:
        warnings.warn(
            f"the fit for the forecast of {index[pos]} (window ending {index[pos - 1]}) did not "
            "converge; kept the previous parameters for that day",
            ConvergenceWarning,
            stacklevel=3,
        )
    if len(failed) > _MAX_WARNINGS:
        warnings.warn(
            f"{len(failed) - _MAX_WARNINGS} more fits did not converge (see result.attrs['non_converged'])",
            ConvergenceWarning,
            stacklevel=3,
        )


# -- GARCH family ----------------------------------------------------------------------------
def _tail(spec: _Spec, params: np.ndarray, engine: ArchEngine, z: np.ndarray,
          cache: dict[str, Any]) -> tuple[float, float, float, float]:
    """Standardised (q_alpha, tail-mean at alpha) and (q, tail-mean at es_alpha)."""
    if spec.method == "fhs":
        qa, ma = empirical_tail(z, spec.alpha)
        qe, me = empirical_tail(z, spec.es_alpha) if spec.es_alpha != spec.alpha else (qa, ma)
        return qa, ma, qe, me
    if cache.get("params") is params:
        return cache["tail"]
    _, _, dp = engine.split(params)
    if spec.method == "evt":
        # the GPD tail is re-estimated with the model (on refit days), on that day's window
        qa, ma = gpd_tail(z, spec.alpha)
        qe, me = gpd_tail(z, spec.es_alpha) if spec.es_alpha != spec.alpha else (qa, ma)
    elif spec.method == "parametric":
        qa, ma = std_tail(spec.dist, dp, spec.alpha)
        qe, me = std_tail(spec.dist, dp, spec.es_alpha)
    else:
        rng = np.random.default_rng(spec.random_state)
        draws = _dist_ppf(spec.dist, dp, rng.random(spec.n_sims))
        qa, ma = empirical_tail(draws, spec.alpha)
        qe, me = empirical_tail(draws, spec.es_alpha)
    cache["params"], cache["tail"] = params, (qa, ma, qe, me)
    return qa, ma, qe, me


def _run_chunk(y: np.ndarray, offset: int, positions: np.ndarray, spec: _Spec,
               fast: bool = True) -> tuple[np.ndarray, np.ndarray, list[int], str | None]:
    """Forecasts for global positions ``positions`` (contiguous); ``y`` starts at ``offset``.

    With ``fast``, the chunk runs on the fast engine; if that raises anything, the chunk is
    recomputed with arch's public API and the fourth item says why (the caller warns)."""
    if fast:
        try:
            from riskkit.market._fast_arch import fast_engine  # lazy: touches arch/scipy internals; an import failure must fall back, not break riskkit.market

            fits = -(-positions.size // spec.refit_every)  # about one fit per refit_every days
            engine = fast_engine(y, spec.model, spec.dist, fits=fits)
            return (*_forecast_chunk(engine, offset, positions, spec), None)
        except Exception as exc:  # noqa: BLE001 - any failure of the fast path falls back
            reason = f"the fast GARCH path raised {type(exc).__name__}: {exc}"
    else:
        reason = None
    return (*_forecast_chunk(ArchEngine(y, spec.model, spec.dist, spec.mean), offset, positions, spec), reason)


def _forecast_chunk(engine: ArchEngine, offset: int, positions: np.ndarray,
                    spec: _Spec) -> tuple[np.ndarray, np.ndarray, list[int]]:
    w = spec.window
    var = np.empty(positions.size)
    es = np.empty(positions.size)
    failed: list[int] = []
    params: np.ndarray | None = None
    cache: dict[str, Any] = {}
    start = int(positions[0])
    for i, t in enumerate(positions):
        lo, hi = int(t) - w - offset, int(t) - offset
        if params is None or (int(t) - start) % spec.refit_every == 0:
            fit = engine.fit(lo, hi, params if spec.warm_start else None)
            if fit.converged or params is None:
                params = fit.params
            if not fit.converged:
                failed.append(int(t))
        mu, s2, z = engine.filter(params, lo, hi)
        qa, _, _, me = _tail(spec, params, engine, z, cache)
        sigma = np.sqrt(s2)
        var[i] = -(mu + sigma * qa)
        es[i] = -(mu + sigma * me)
    return var, es, failed


def _fast_path_unavailable() -> str | None:
    """None when the fast GARCH engine can be used with the installed arch and scipy, else why not."""
    try:
        from riskkit.market._fast_arch import unsupported_reason  # lazy: see _run_chunk, a failing import means the public path
    except Exception as exc:  # noqa: BLE001 - any import failure means the public path
        return f"the fast GARCH path could not be imported ({type(exc).__name__}: {exc})"
    return unsupported_reason()


def _warn_fallback(reasons: list[str]) -> None:
    for reason in dict.fromkeys(reasons):
        warnings.warn(
            f"rolling_var used arch's public arch_model(...).fit() instead of riskkit's fast GARCH "
            f"path because {reason}; the forecasts are the same to rounding, only slower",
            FastPathWarning,
            stacklevel=4,
        )


def _chunks(n_forecasts: int, window: int, refit_every: int, n_chunks: int) -> list[np.ndarray]:
    """Contiguous blocks of forecast positions, each starting on a refit day."""
    refits = np.arange(0, n_forecasts, refit_every)
    groups = np.array_split(refits, max(1, min(n_chunks, refits.size)))
    starts = [int(g[0]) for g in groups if g.size] + [n_forecasts]
    return [np.arange(a, b) + window for a, b in zip(starts[:-1], starts[1:])]


def _n_workers(n_jobs: int | None) -> int:
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs == -1:
        return cores
    n = check_positive_int(n_jobs, "n_jobs", hint="use -1 for all cores or 1 for no worker processes")
    return min(n, cores * 4)


def _garch_path(ys: np.ndarray, spec: _Spec, n_jobs: int | None, progress: bool) -> tuple[np.ndarray, np.ndarray, list[int], bool]:
    n_fc = ys.size - spec.window
    workers = _n_workers(n_jobs)
    n_fits = -(-n_fc // spec.refit_every)
    if n_fits < _MIN_PARALLEL_FITS:
        workers = 1
    n_chunks = workers * 4 if (workers > 1 or progress) else 1
    blocks = _chunks(n_fc, spec.window, spec.refit_every, n_chunks)
    # the fast engine retraces constant-mean fits only; an AR(1) mean is arch's own fit by design
    # (arch_model(window, mean="AR", lags=1).fit()), so no fallback warning for it
    unavailable = _fast_path_unavailable() if spec.mean == "constant" else None
    fast = unavailable is None and spec.mean == "constant"
    reasons = [unavailable] if unavailable else []
    var = np.empty(n_fc)
    es = np.empty(n_fc)
    failed: list[int] = []
    bar = _progress_bar(progress, n_fc, f"rolling {spec.model}-{spec.dist}-{spec.method}")
    try:
        for pos, (v, e, f, reason) in _execute(ys, blocks, spec, workers, fast):
            var[pos - spec.window] = v
            es[pos - spec.window] = e
            failed.extend(f)
            if reason:
                reasons.append(reason)
            if bar is not None:
                bar.update(pos.size)
    finally:
        if bar is not None:
            bar.close()
    _warn_fallback(reasons)
    return var, es, sorted(failed), fast and not reasons


def _execute(ys: np.ndarray, blocks: list[np.ndarray], spec: _Spec, workers: int, fast: bool) -> Any:
    def args(block: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, _Spec, bool]:
        lo = int(block[0]) - spec.window
        return ys[lo : int(block[-1])], lo, block, spec, fast

    if workers == 1:
        for block in blocks:
            yield block, _run_chunk(*args(block))
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_run_chunk, *args(b)): b for b in blocks}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()


def _progress_bar(progress: bool, total: int, desc: str) -> Any:
    if not progress:
        return None
    with warnings.catch_warnings():
        # without ipywidgets tqdm.auto warns "IProgress not found" and falls back to a text bar,
        # which is what a kernel without widgets can show anyway
        warnings.filterwarnings("ignore", message=r"IProgress not found")
        from tqdm.auto import tqdm  # lazy: tqdm.auto probes for Jupyter widgets; only when a bar is shown

    return tqdm(total=total, desc=desc, unit="day")


# -- models without arch: vectorised -------------------------------------------------------------
def _windows(x: np.ndarray, window: int) -> np.ndarray:
    """Row i holds x[i : i + window], the window before forecast position window + i."""
    return sliding_window_view(x, window)[:-1]


def _row_tails(z: np.ndarray, alpha: float, es_alpha: float) -> tuple[np.ndarray, np.ndarray]:
    q = np.quantile(z, alpha, axis=1)
    qe = q if es_alpha == alpha else np.quantile(z, es_alpha, axis=1)
    mask = z <= qe[:, None]
    m = np.where(mask, z, 0.0).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
    return q, m


def _simple_path(ys: np.ndarray, spec: _Spec) -> tuple[np.ndarray, np.ndarray]:
    w = spec.window
    n_fc = ys.size - w
    if spec.model == "hs":
        q, m = _row_tails(_windows(ys, w), spec.alpha, spec.es_alpha)
        return -q, -m
    if spec.model == "normal":
        win = _windows(ys, w)
        mu = win.mean(axis=1)
        sigma = win.std(axis=1, ddof=1)
        z = (win - mu[:, None]) / sigma[:, None]
    else:
        s2 = ewma_variance(ys, spec.lam, init=float(np.mean(ys[:w] ** 2)))
        mu = np.zeros(n_fc)
        sigma = np.sqrt(s2[w:-1])
        z = _windows(ys / np.sqrt(s2[:-1]), w)
    if spec.method == "fhs":
        q, m = _row_tails(z, spec.alpha, spec.es_alpha)
    elif spec.method == "evt":
        q, m = _evt_rows(z, spec)
    else:
        q, m = _parametric_rows(z, spec)
    return -(mu + sigma * q), -(mu + sigma * m)


def _evt_rows(z: np.ndarray, spec: _Spec) -> tuple[np.ndarray, np.ndarray]:
    """GPD-tail quantile / tail mean per forecast, the tail refitted every refit_every days on
    that day's window of standardised returns (held in between)."""
    n = z.shape[0]
    q = np.empty(n)
    m = np.empty(n)
    for start in range(0, n, spec.refit_every):
        stop = min(n, start + spec.refit_every)
        qa, _ = gpd_tail(z[start], spec.alpha)
        _, me = gpd_tail(z[start], spec.es_alpha)
        q[start:stop], m[start:stop] = qa, me
    return q, m


def _parametric_rows(z: np.ndarray, spec: _Spec) -> tuple[np.ndarray, np.ndarray]:
    """Standardised quantile / tail mean per forecast, the t's df refitted every refit_every."""
    n = z.shape[0]
    q = np.empty(n)
    m = np.empty(n)
    rng_state = spec.random_state
    for start in range(0, n, spec.refit_every if spec.dist == "t" else n):
        stop = min(n, start + (spec.refit_every if spec.dist == "t" else n))
        dp = _fit_t(z[start]) if spec.dist == "t" else np.empty(0)
        if spec.method == "mc":
            draws = _dist_ppf(spec.dist, dp, np.random.default_rng(rng_state).random(spec.n_sims))
            qa, _ = empirical_tail(draws, spec.alpha)
            _, me = empirical_tail(draws, spec.es_alpha)
        else:
            qa, _ = std_tail(spec.dist, dp, spec.alpha)
            _, me = std_tail(spec.dist, dp, spec.es_alpha)
        q[start:stop], m[start:stop] = qa, me
    return q, m
