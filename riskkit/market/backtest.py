"""VaR and ES backtests: exceptions, Kupiec POF, Christoffersen independence, conditional
coverage, Basel traffic light, Christoffersen-Pelletier duration, Engle-Manganelli dynamic
quantile and Acerbi-Szekely Z2.

An exception (hit) on day t is ``-r_t > VaR_t`` with VaR a positive loss; ``alpha`` is the VaR
tail probability (0.01 for 99% VaR).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from riskkit._results import Result
from riskkit._validation import check_alpha, check_positive_int, check_probability, short_repr
from riskkit.exceptions import DataError, ParameterError
from riskkit.market._checks import check_aligned, check_returns

__all__ = [
    "BCBS_PLUS_FACTORS",
    "TestResult",
    "TrafficLightResult",
    "VaRBacktestReport",
    "Z2Result",
    "acerbi_szekely_z2",
    "backtest_var",
    "christoffersen",
    "conditional_coverage",
    "duration_test",
    "dynamic_quantile",
    "exceptions",
    "kupiec_pof",
    "traffic_light",
    "transitions",
]

#: BCBS (1996), "Supervisory framework for the use of backtesting", Table 2: plus factor by the
#: number of exceptions in 250 days at 99% (green 0-4: 0; red >= 10: 1).
BCBS_PLUS_FACTORS = {5: 0.40, 6: 0.50, 7: 0.65, 8: 0.75, 9: 0.85}


@dataclass(frozen=True, repr=False)
class TestResult(Result):
    """A likelihood-ratio (or Wald) test: statistic, p-value, degrees of freedom and details.

    Attributes
    ----------
    name : str
        Name of the test, e.g. ``"Kupiec POF"``.
    statistic : float
        Test statistic (NaN when the test is undefined, e.g. fewer than two hits).
    pvalue : float
        p-value from the statistic's asymptotic chi-square law.
    df : int
        Degrees of freedom of that chi-square law.
    details : dict of str to float
        Inputs and intermediate figures (counts, hit rate, component statistics).
    """

    name: str
    statistic: float
    pvalue: float
    df: int = 1
    details: dict[str, float] = field(default_factory=dict)

    def reject(self, level: float = 0.05) -> bool:
        """Whether the test rejects correct coverage at ``level``.

        Parameters
        ----------
        level : float, default 0.05
            Significance level.

        Returns
        -------
        bool
            ``pvalue < level`` (False for a NaN p-value).
        """
        return bool(self.pvalue < level)

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row (index: the test name): statistic, pvalue, df, reject_5pct and the details.
        """
        row = {"statistic": self.statistic, "pvalue": self.pvalue, "df": self.df,
               "reject_5pct": self.reject(), **self.details}
        return pd.DataFrame([row], index=pd.Index([self.name], name="test"))

    def _title(self) -> str:
        return self.name

    def _headline(self) -> str:
        verdict = "reject" if self.reject() else "accept"
        return f"statistic {self.statistic:.5g}, p-value {self.pvalue:.5g} ({verdict} at 5%)"


def _check_count(exceptions: Any, n: Any) -> tuple[int, int]:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ParameterError(f"n must be a positive number of observations (got n={short_repr(n)}); "
                             "pass the number of forecast days tested")
    if isinstance(exceptions, bool) or not isinstance(exceptions, (int, np.integer)) or exceptions < 0:
        raise ParameterError(f"exceptions must be a non-negative integer (got exceptions={short_repr(exceptions)}); "
                             "count the days with -r_t > VaR_t")
    if exceptions > n:
        raise ParameterError(f"exceptions cannot exceed n (got exceptions={exceptions} for n={n}); "
                             "count exceptions within the same days as n")
    return int(exceptions), int(n)


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else float(x * np.log(y))


def _hits_array(hits: Any, name: str = "hits") -> np.ndarray:
    arr = np.asarray(hits)
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(f"{name} must be a non-empty 1-d sequence of 0/1 (got shape {arr.shape})")
    if arr.dtype != bool:
        values = set(np.unique(arr).tolist())
        if not values <= {0, 1}:
            raise DataError(f"{name} must hold 0/1 or booleans (got values {sorted(values)[:5]}); "
                            "use exceptions(returns, var) to build them")
    return arr.astype(bool)


def exceptions(returns: Any, var: Any) -> pd.Series:
    """Exception indicator ``-r_t > VaR_t`` on the common, identical index of both series.

    Parameters
    ----------
    returns : pd.Series
        Realised returns ``r_t``.
    var : pd.Series
        VaR forecasts for the same days, as positive losses in the units of ``returns``.

    Returns
    -------
    pd.Series
        Boolean series named ``hit``, True on the days the loss exceeded the VaR.

    Raises
    ------
    DataError
        When a series is empty or not numeric, the indexes differ, or a VaR is negative.

    Examples
    --------
    >>> import pandas as pd
    >>> days = pd.bdate_range("2024-01-01", periods=3)
    >>> exceptions(pd.Series([-0.03, 0.01, -0.01], days), pd.Series(0.02, days)).tolist()
    [True, False, False]
    """
    r = check_returns(returns, "returns", min_obs=1)
    v = check_returns(var, "var", min_obs=1)
    check_aligned(r, v, "returns", "var")
    if (v < 0).any():
        raise DataError(f"var must be a positive loss (got var={float(v.min())!r} at {v.idxmin()!r}); "
                        "pass VaR as a positive number, not a return quantile")
    return (-r > v).rename("hit")


def kupiec_pof(exceptions: int, n: int, alpha: float) -> TestResult:
    """Kupiec (1995) proportion-of-failures likelihood ratio, chi-square(1).

    Tests whether the observed exception rate ``exceptions / n`` equals ``alpha``.

    Parameters
    ----------
    exceptions : int
        Number of days with ``-r_t > VaR_t``.
    n : int
        Number of forecast days tested.
    alpha : float
        VaR tail probability (``0.01`` for 99% VaR).

    Returns
    -------
    TestResult
        ``statistic`` (LR), ``pvalue`` and details (exceptions, n, hit_rate, expected).

    Raises
    ------
    ParameterError
        When ``n`` is not a positive integer, ``exceptions`` is negative or exceeds ``n``, or
        ``alpha`` is not in (0, 1).

    Examples
    --------
    Eight exceptions in 250 days against a 99% VaR (2.5 expected):

    >>> from riskkit.market import backtest
    >>> result = backtest.kupiec_pof(8, 250, 0.01)
    >>> round(result.statistic, 4), round(result.pvalue, 4)
    (7.7336, 0.0054)
    >>> result.reject()
    True
    """
    x, n = _check_count(exceptions, n)
    p = check_alpha(alpha)
    phat = x / n
    ll0 = _xlogy(n - x, 1 - p) + _xlogy(x, p)
    ll1 = _xlogy(n - x, 1 - phat) + _xlogy(x, phat)
    lr = max(0.0, -2.0 * (ll0 - ll1))
    return TestResult("Kupiec POF", lr, float(stats.chi2.sf(lr, 1)), 1,
                      {"exceptions": x, "n": n, "hit_rate": phat, "expected": p})


def transitions(hits: Any) -> dict[str, int]:
    """Counts n00, n01, n10, n11 of consecutive (no-hit/hit) pairs.

    Parameters
    ----------
    hits : array-like of bool or 0/1
        Daily exception indicators in time order.

    Returns
    -------
    dict of str to int
        ``nij`` = number of days with state ``i`` followed by state ``j`` (1 = hit).

    Raises
    ------
    DataError
        When ``hits`` is not a 1-d sequence of 0/1 or has fewer than 2 days.

    Examples
    --------
    >>> transitions([0, 1, 1, 0, 0, 1])
    {'n00': 1, 'n01': 2, 'n10': 1, 'n11': 1}
    """
    h = _hits_array(hits).astype(int)
    if h.size < 2:
        raise DataError(f"hits needs at least 2 days for transitions (got {h.size})")
    prev, cur = h[:-1], h[1:]
    return {f"n{i}{j}": int(np.sum((prev == i) & (cur == j))) for i in (0, 1) for j in (0, 1)}


def _independence_lr(n00: int, n01: int, n10: int, n11: int) -> float:
    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    ll0 = _xlogy(n00 + n10, 1 - pi) + _xlogy(n01 + n11, pi)
    ll1 = _xlogy(n00, 1 - pi0) + _xlogy(n01, pi0) + _xlogy(n10, 1 - pi1) + _xlogy(n11, pi1)
    return max(0.0, -2.0 * (ll0 - ll1))


def christoffersen(hits: Any) -> TestResult:
    """Christoffersen (1998) independence LR of a first-order Markov chain of hits, chi2(1).

    Parameters
    ----------
    hits : array-like of bool or 0/1
        Daily exception indicators in time order.

    Returns
    -------
    TestResult
        LR statistic, p-value and the transition counts as details.

    Raises
    ------
    DataError
        When ``hits`` is not a 1-d sequence of 0/1 or has fewer than 2 days.
    """
    t = transitions(hits)
    lr = _independence_lr(t["n00"], t["n01"], t["n10"], t["n11"])
    return TestResult("Christoffersen independence", lr, float(stats.chi2.sf(lr, 1)), 1, dict(t))


def conditional_coverage(hits: Any, alpha: float) -> TestResult:
    """Christoffersen conditional coverage: Kupiec POF + independence, chi-square(2).

    Parameters
    ----------
    hits : array-like of bool or 0/1
        Daily exception indicators in time order.
    alpha : float
        VaR tail probability.

    Returns
    -------
    TestResult
        Joint LR statistic (sum of the two components, given in details) and p-value.

    Raises
    ------
    DataError
        When ``hits`` is not a 1-d sequence of 0/1 or has fewer than 2 days.
    ParameterError
        When ``alpha`` is not in (0, 1).
    """
    h = _hits_array(hits)
    pof = kupiec_pof(int(h.sum()), int(h.size), alpha)
    ind = christoffersen(h)
    lr = pof.statistic + ind.statistic
    return TestResult("Conditional coverage", lr, float(stats.chi2.sf(lr, 2)), 2,
                      {"pof": pof.statistic, "independence": ind.statistic})


@dataclass(frozen=True, repr=False)
class TrafficLightResult(Result):
    """Basel traffic light: zone, capital multiplier (3 + plus factor), P(X <= exceptions).

    Attributes
    ----------
    zone : str
        ``"green"``, ``"yellow"`` or ``"red"``.
    multiplier : float
        Capital multiplier ``3 + plus_factor``.
    plus_factor : float
        BCBS plus factor of the zone and exception count.
    cumulative_probability : float
        Binomial ``P(X <= exceptions)`` for ``n`` days at ``alpha``.
    exceptions, n : int
        Exceptions counted and days in the window.
    alpha : float
        VaR tail probability.
    """

    zone: str
    multiplier: float
    plus_factor: float
    cumulative_probability: float
    exceptions: int
    n: int
    alpha: float

    @property
    def zone_code(self) -> int:
        """Zone as a number for tracking: 0 green, 1 yellow, 2 red."""
        return {"green": 0, "yellow": 1, "red": 2}[self.zone]

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row: zone, exceptions, n, alpha, cumulative_probability, plus_factor, multiplier.
        """
        return pd.DataFrame([{"zone": self.zone, "exceptions": self.exceptions, "n": self.n,
                              "alpha": self.alpha, "cumulative_probability": self.cumulative_probability,
                              "plus_factor": self.plus_factor, "multiplier": self.multiplier}],
                            index=pd.Index(["Basel traffic light"], name="test"))

    def _headline(self) -> str:
        return (f"{self.zone} ({self.exceptions} exceptions in {self.n} days at "
                f"{100 * (1 - self.alpha):g}%; P(X <= x) = {self.cumulative_probability:.4%}); "
                f"multiplier {self.multiplier:.2f}")


def traffic_light(exceptions: int, n: int = 250, alpha: float = 0.01) -> TrafficLightResult:
    """Basel traffic light for any window ``n`` and level ``alpha`` (BCBS 1996).

    Zones by the binomial cumulative probability ``P(X <= exceptions)``: green below 95%,
    yellow from 95% to below 99.99%, red from 99.99%. For 250 days at 99% this is green 0-4,
    yellow 5-9, red >= 10, with BCBS's plus factors (0.40, 0.50, 0.65, 0.75, 0.85; 1.0 in red).
    For another window or level the yellow plus factor is the one of the BCBS row with the
    same cumulative probability band (the largest 250-day/99% row whose probability does not
    exceed the observed one), so supervisory severity is matched by probability.

    Parameters
    ----------
    exceptions : int
        Number of exceptions in the window.
    n : int, default 250
        Number of days in the window.
    alpha : float, default 0.01
        VaR tail probability.

    Returns
    -------
    TrafficLightResult
        ``zone``, ``multiplier``, ``plus_factor`` and ``cumulative_probability``.

    Raises
    ------
    ParameterError
        When the counts are not valid (see :func:`kupiec_pof`) or ``alpha`` is not in (0, 1).

    Examples
    --------
    >>> from riskkit.market import backtest
    >>> light = backtest.traffic_light(8)
    >>> light.zone, light.multiplier, round(light.cumulative_probability, 4)
    ('yellow', 3.75, 0.9989)
    >>> backtest.traffic_light(3).zone
    'green'
    """
    x, n = _check_count(exceptions, n)
    p = check_alpha(alpha)
    cum = float(stats.binom.cdf(x, n, p))
    zone = _zone(cum)
    if zone == "green":
        plus = 0.0
    elif zone == "red":
        plus = 1.0
    elif n == 250 and abs(p - 0.01) < 1e-12:
        plus = BCBS_PLUS_FACTORS[x]
    else:
        ref = stats.binom.cdf(np.arange(5, 10), 250, 0.01)
        idx = int(np.searchsorted(ref, cum, side="right")) - 1
        plus = BCBS_PLUS_FACTORS[5 + max(idx, 0)]
    return TrafficLightResult(zone, 3.0 + plus, plus, cum, x, n, p)


def _zone(cum: float) -> str:
    # 1e-12 guards the 95% / 99.99% boundaries against floating-point noise
    if cum < 0.95 - 1e-12:
        return "green"
    if cum < 0.9999 - 1e-12:
        return "yellow"
    return "red"


def _durations(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Durations between hits with censoring flags for the first and last spell."""
    idx = np.flatnonzero(h)
    n = h.size
    d = np.diff(np.concatenate([[-1], idx, [n - 1]])).astype(float)
    censored = np.zeros(d.size, dtype=bool)
    # first spell counts from the start (censored unless the first day is a hit),
    # last spell from the last hit to the end (censored unless the last day is a hit)
    censored[0] = not h[0]
    if h[-1]:
        d = d[:-1]
        censored = censored[:-1]
    else:
        censored[-1] = True
    d[0] = idx[0] + 1
    return d, censored


def _weibull_ll(b: float, d: np.ndarray, cens: np.ndarray) -> float:
    """Weibull log-likelihood profiled over a: a^b = (#uncensored) / sum d^b."""
    k = int((~cens).sum())
    s = float(np.sum(d**b))
    ab = k / s
    log_a = np.log(ab) / b
    ll_unc = np.sum(b * log_a + np.log(b) + (b - 1) * np.log(d[~cens]) - ab * d[~cens] ** b)
    ll_cen = -ab * np.sum(d[cens] ** b)
    return float(ll_unc + ll_cen)


def duration_test(hits: Any) -> TestResult:
    """Christoffersen-Pelletier (2004) duration test of independence, chi-square(1).

    Durations between hits follow an exponential law under correct, independent coverage; the
    alternative is Weibull with shape b (b < 1: clustered hits). LR of b = 1 against the
    maximised Weibull likelihood; the first and last spells are censored.

    Parameters
    ----------
    hits : array-like of bool or 0/1
        Daily exception indicators in time order.

    Returns
    -------
    TestResult
        LR statistic and p-value (both NaN with fewer than 2 hits) and the fitted shape.

    Raises
    ------
    DataError
        When ``hits`` is not a non-empty 1-d sequence of 0/1.
    """
    h = _hits_array(hits)
    if h.sum() < 2:
        return TestResult("Christoffersen-Pelletier duration", float("nan"), float("nan"), 1,
                          {"hits": float(h.sum())})
    d, cens = _durations(h)
    ll0 = _weibull_ll(1.0, d, cens)
    res = optimize.minimize_scalar(lambda b: -_weibull_ll(b, d, cens), bounds=(0.05, 10.0), method="bounded",
                                   options={"xatol": 1e-8})
    ll1 = max(-float(res.fun), ll0)
    lr = 2.0 * (ll1 - ll0)
    return TestResult("Christoffersen-Pelletier duration", lr, float(stats.chi2.sf(lr, 1)), 1,
                      {"weibull_b": float(res.x), "durations": float(d.size)})


def dynamic_quantile(hits: Any, var: Any, alpha: float, lags: int = 4) -> TestResult:
    """Engle-Manganelli (2004) dynamic quantile test (out of sample), chi-square(lags + 2).

    Regress ``Hit_t = 1{hit} - alpha`` on a constant, ``lags`` lagged Hits and VaR_t;
    ``DQ = b' X'X b / (alpha (1 - alpha))``.

    Parameters
    ----------
    hits : array-like of bool or 0/1
        Daily exception indicators in time order.
    var : array-like of float
        VaR forecasts of the same days.
    alpha : float
        VaR tail probability.
    lags : int, default 4
        Number of lagged Hits in the regression.

    Returns
    -------
    TestResult
        DQ statistic and its chi-square(lags + 2) p-value.

    Raises
    ------
    DataError
        When ``hits`` and ``var`` differ in length or leave too few rows for the regression.
    ParameterError
        When ``alpha`` is not in (0, 1) or ``lags`` is negative.
    """
    h = _hits_array(hits)
    p = check_alpha(alpha)
    k = check_positive_int(lags, "lags", minimum=0, hint="Engle and Manganelli use 4")
    v = np.asarray(var, dtype=float)
    if v.shape != h.shape:
        raise DataError(f"hits and var are misaligned (got {h.size} and {v.size} rows); align them first")
    hit = h.astype(float) - p
    n = h.size - k
    if n <= k + 2:
        raise DataError(f"hits needs more than {2 * k + 2} days for the DQ test with lags={k} (got {h.size})")
    cols = [np.ones(n)] + [hit[k - j - 1 : h.size - j - 1] for j in range(k)] + [v[k:]]
    x = np.column_stack(cols)
    yv = hit[k:]
    beta, *_ = np.linalg.lstsq(x, yv, rcond=None)
    stat = float(beta @ x.T @ x @ beta / (p * (1 - p)))
    dof = x.shape[1]
    return TestResult("Engle-Manganelli DQ", stat, float(stats.chi2.sf(stat, dof)), dof, {"lags": k})


@dataclass(frozen=True, repr=False)
class Z2Result(Result):
    """Acerbi-Szekely Z2: statistic, critical value (by simulation) and simulated p-value.

    Attributes
    ----------
    statistic : float
        Z2 (0 expected under H0, negative when ES is underestimated).
    critical_value : float
        Simulated ``level`` quantile of Z2 under H0.
    pvalue : float
        Simulated ``P(Z2 <= statistic)`` under H0.
    level : float
        Significance level of the critical value.
    """

    statistic: float
    critical_value: float
    pvalue: float
    level: float

    def reject(self) -> bool:
        """Whether Z2 lies below its critical value (ES underestimated at ``level``).

        Returns
        -------
        bool
            ``statistic < critical_value``.
        """
        return bool(self.statistic < self.critical_value)

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row: statistic, critical_value, level, pvalue, reject.
        """
        return pd.DataFrame([{"statistic": self.statistic, "critical_value": self.critical_value,
                              "level": self.level, "pvalue": self.pvalue, "reject": self.reject()}],
                            index=pd.Index(["Acerbi-Szekely Z2"], name="test"))

    def _headline(self) -> str:
        verdict = "reject" if self.reject() else "accept"
        return (f"statistic {self.statistic:.4f}, critical value {self.critical_value:.4f} "
                f"at {self.level:g} ({verdict}), p-value {self.pvalue:.4f}")


def acerbi_szekely_z2(returns: Any, var: Any, es: Any, alpha: float, *, level: float = 0.05,
                      n_sims: int = 5_000, dist: str = "t", df: float = 5.0,
                      random_state: int | None = 0) -> Z2Result:
    """Acerbi and Szekely (2014) Z2 test of ES: ``Z2 = 1 - sum_t L_t I_t / (T alpha ES_t)``
    with ``L_t = -r_t`` and ``I_t`` the VaR exceptions; E[Z2] = 0 under H0, negative when ES
    is underestimated. The critical value at ``level`` (and the p-value) come from simulating
    Z2 under H0 with iid innovations from ``dist`` (``"t"`` with ``df`` or ``"normal"``); Z2 is
    invariant to each day's scale, so only the shape matters (critical values are close to
    -0.7 at 5% across shapes, as the paper reports).

    Parameters
    ----------
    returns, var, es : pd.Series
        Realised returns and the VaR and ES forecasts (positive losses) on one index.
    alpha : float
        Tail probability of the forecasts.
    level : float, default 0.05
        Significance level of the critical value.
    n_sims : int, default 5000
        Number of simulated Z2 draws under H0.
    dist : {"t", "normal"}, default "t"
        Innovation law of the simulation.
    df : float, default 5.0
        Degrees of freedom when ``dist="t"`` (must exceed 1).
    random_state : int or None, default 0
        Seed of the simulation.

    Returns
    -------
    Z2Result
        Statistic, critical value, p-value and level.

    Raises
    ------
    DataError
        When the series are empty, not numeric or not aligned.
    ParameterError
        When ``alpha``, ``level``, ``n_sims``, ``dist`` or ``df`` is invalid.
    """
    r = check_returns(returns, "returns", min_obs=1)
    v = check_returns(var, "var", min_obs=1)
    e = check_returns(es, "es", min_obs=1)
    check_aligned(r, v, "returns", "var")
    check_aligned(r, e, "returns", "es")
    a = check_alpha(alpha)
    lvl = check_probability(level, "level", open_left=True, open_right=True)
    if (e <= 0).any():
        raise DataError(f"es must be a positive loss (got es={float(e.min())!r}); pass ES as a positive number")
    hit = (-r > v).to_numpy()
    z2 = float(1.0 - np.sum(-r.to_numpy() * hit / e.to_numpy()) / (len(r) * a))
    sims = _simulate_z2(len(r), a, n_sims, dist, df, random_state)
    return Z2Result(z2, float(np.quantile(sims, lvl)), float(np.mean(sims <= z2)), lvl)


def _simulate_z2(t: int, a: float, n_sims: int, dist: str, df: float, seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dist == "normal":
        q = stats.norm.ppf(a)
        m = -stats.norm.pdf(q) / a
        draw: Any = lambda size: rng.standard_normal(size)  # noqa: E731
    elif dist == "t":
        if df <= 1:
            raise ParameterError(f"df must be > 1 for ES to exist (got df={df!r}); use e.g. 5")
        q = stats.t.ppf(a, df)
        m = -(df + q * q) / (df - 1) * stats.t.pdf(q, df) / a
        draw = lambda size: rng.standard_t(df, size)  # noqa: E731
    else:
        raise ParameterError(f"dist must be one of ['normal', 't'] (got dist={dist!r})")
    out = np.empty(n_sims)
    block = max(1, 2_000_000 // max(t, 1))
    for s in range(0, n_sims, block):
        k = min(block, n_sims - s)
        x = draw((k, t))
        out[s : s + k] = 1.0 - np.sum(x * (x < q), axis=1) / (t * a * m)
    return out


@dataclass(frozen=True, repr=False)
class VaRBacktestReport(Result):
    """All backtests of one VaR (and optionally ES) forecast series.

    ``summary()`` is :meth:`table` (one row per test); ``to_frame()`` the daily return-side
    data: hit, var (and es). Built by :func:`backtest_var`.

    Attributes
    ----------
    alpha : float
        VaR tail probability.
    hits, var : pd.Series
        Daily exception indicators and VaR forecasts.
    kupiec, christoffersen, conditional_coverage, duration, dynamic_quantile : TestResult
        The coverage and independence tests.
    traffic_light : TrafficLightResult
        Basel traffic light over the last ``traffic_light_window`` days.
    es : pd.Series or None
        ES forecasts when given.
    z2 : Z2Result or None
        Acerbi-Szekely test of ES when ``es`` was given.
    """

    alpha: float
    hits: pd.Series
    var: pd.Series
    kupiec: TestResult
    christoffersen: TestResult
    conditional_coverage: TestResult
    duration: TestResult
    dynamic_quantile: TestResult
    traffic_light: TrafficLightResult
    z2: Z2Result | None = None
    es: pd.Series | None = None

    @property
    def n_obs(self) -> int:
        """Number of forecast days tested."""
        return int(self.hits.size)

    @property
    def n_exceptions(self) -> int:
        """Number of exceptions (``-r_t > VaR_t``)."""
        return int(self.hits.sum())

    @property
    def hit_rate(self) -> float:
        """Observed exception rate, to compare with ``alpha``."""
        return float(self.hits.mean())

    def table(self) -> pd.DataFrame:
        """One row per test: statistic, p-value (or critical value) and the 5% verdict."""
        rows: list[tuple[str, float, float, float, str]] = [
            (t.name, t.statistic, t.pvalue, t.df, "reject" if t.reject() else "accept")
            for t in (self.kupiec, self.christoffersen, self.conditional_coverage, self.duration,
                      self.dynamic_quantile)
        ]
        if self.z2 is not None:
            rows.append(("Acerbi-Szekely Z2", self.z2.statistic, self.z2.pvalue, np.nan,
                         "reject" if self.z2.reject() else "accept"))
        return pd.DataFrame(rows, columns=["test", "statistic", "pvalue", "df", "verdict_5pct"]).set_index("test")

    def metrics(self, suffix: str = "") -> dict[str, float]:
        """Flat metric names for tracking (``hit_rate``, ``kupiec_pvalue``, ...).

        Parameters
        ----------
        suffix : str, default ""
            Appended to every name (e.g. ``"_garch"`` to compare models in one run).

        Returns
        -------
        dict of str to float
            Metric name to value, with the same names across runs.
        """
        tl = self.traffic_light
        out = {
            "hit_rate": self.hit_rate, "expected_rate": self.alpha, "n_exceptions": self.n_exceptions,
            "n_obs": self.n_obs,
            "kupiec_statistic": self.kupiec.statistic, "kupiec_pvalue": self.kupiec.pvalue,
            "christoffersen_statistic": self.christoffersen.statistic,
            "christoffersen_pvalue": self.christoffersen.pvalue,
            "cc_statistic": self.conditional_coverage.statistic, "cc_pvalue": self.conditional_coverage.pvalue,
            "duration_statistic": self.duration.statistic, "duration_pvalue": self.duration.pvalue,
            "dq_statistic": self.dynamic_quantile.statistic, "dq_pvalue": self.dynamic_quantile.pvalue,
            "traffic_light_exceptions": tl.exceptions, "traffic_light_zone_code": tl.zone_code,
            "traffic_light_multiplier": tl.multiplier,
            "mean_var": float(self.var.mean()),
            "mean_es": float(self.es.mean()) if self.es is not None else float("nan"),
            "z2_statistic": self.z2.statistic if self.z2 is not None else float("nan"),
            "z2_critical": self.z2.critical_value if self.z2 is not None else float("nan"),
        }
        return {f"{k}{suffix}": float(v) for k, v in out.items()}

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row per test: statistic, pvalue, df, verdict_5pct (:meth:`table`).
        """
        return self.table()

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            One row per forecast day: ``hit`` (bool), ``var`` and, when given, ``es``.
        """
        data = {"hit": self.hits, "var": self.var}
        if self.es is not None:
            data["es"] = self.es
        return pd.DataFrame(data)

    def _headline(self) -> str:
        tl = self.traffic_light
        first, last = (v.date() if isinstance(v, pd.Timestamp) else v for v in (self.hits.index[0], self.hits.index[-1]))
        return (f"{100 * (1 - self.alpha):g}% VaR, {first} to {last}: "
                f"{self.n_exceptions} exceptions in {self.n_obs} days, hit rate {self.hit_rate:.4%} "
                f"(expected {self.alpha:.4%}); traffic light {tl.zone} ({tl.exceptions} in the last "
                f"{tl.n} days, multiplier {tl.multiplier:.2f})")


def backtest_var(returns: Any, var: Any, alpha: float, *, es: Any = None, traffic_light_window: int = 250,
                 z2_level: float = 0.05, random_state: int | None = 0) -> VaRBacktestReport:
    """Run every backtest on aligned ``returns`` and ``var`` (and ``es`` for Z2).

    The traffic light uses the last ``traffic_light_window`` days (all days when fewer).

    Parameters
    ----------
    returns : pd.Series
        Realised returns.
    var : pd.Series
        VaR forecasts (positive losses) on the same index, e.g. ``rolling_var(...)["var"]``.
    alpha : float
        VaR tail probability.
    es : pd.Series, optional
        ES forecasts on the same index; adds the Acerbi-Szekely Z2 test.
    traffic_light_window : int, default 250
        Days of the Basel traffic light.
    z2_level : float, default 0.05
        Significance level of the Z2 test.
    random_state : int or None, default 0
        Seed of the Z2 simulation.

    Returns
    -------
    VaRBacktestReport
        ``hits``, ``kupiec``, ``christoffersen``, ``conditional_coverage``, ``duration``,
        ``dynamic_quantile``, ``traffic_light`` (and ``z2``), with ``summary()``.

    Raises
    ------
    DataError
        When the series are misaligned, a VaR is negative or fewer than 10 days are given.
    ParameterError
        When ``alpha`` or ``traffic_light_window`` is invalid.

    Examples
    --------
    A constant 99% normal VaR against 500 days of normal returns:

    >>> import numpy as np, pandas as pd
    >>> from riskkit.market import backtest
    >>> days = pd.bdate_range("2021-01-01", periods=500)
    >>> r = pd.Series(np.random.default_rng(0).standard_normal(500) * 0.01, index=days)
    >>> report = backtest.backtest_var(r, pd.Series(0.0233, index=days), 0.01)
    >>> report.n_exceptions, report.n_obs, report.traffic_light.zone
    (8, 500, 'yellow')
    >>> report.table()["verdict_5pct"].tolist()
    ['accept', 'accept', 'accept', 'accept', 'accept']
    """
    a = check_alpha(alpha)
    hits = exceptions(returns, var)
    r = check_returns(returns, "returns", min_obs=1)
    v = check_returns(var, "var", min_obs=1)
    if len(hits) < 10:
        raise DataError(f"returns need at least 10 forecast days to backtest (got {len(hits)})")
    w = check_positive_int(traffic_light_window, "traffic_light_window", hint="Basel uses 250 days")
    recent = hits.iloc[-w:]
    es_s = None
    z2 = None
    if es is not None:
        es_s = check_returns(es, "es", min_obs=1)
        z2 = acerbi_szekely_z2(r, v, es_s, a, level=z2_level, random_state=random_state)
    return VaRBacktestReport(
        alpha=a, hits=hits, var=v,
        kupiec=kupiec_pof(int(hits.sum()), len(hits), a),
        christoffersen=christoffersen(hits),
        conditional_coverage=conditional_coverage(hits, a),
        duration=duration_test(hits),
        dynamic_quantile=dynamic_quantile(hits.to_numpy(), v.to_numpy(), a),
        traffic_light=traffic_light(int(recent.sum()), len(recent), a),
        z2=z2, es=es_s,
    )
