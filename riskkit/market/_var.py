"""Value at Risk and Expected Shortfall: composable models and plain functions.

Conventions: VaR and ES are positive losses in the units of the returns; ``alpha`` is the tail
probability (0.01 is 99% VaR); ``es_alpha`` (default ``alpha``) is the ES tail probability, so
FRTB's 97.5% ES is ``es_alpha=0.025``; ``horizon`` days scale by the square root of time
(``horizon_method="sqrt"``) or by simulating paths (``"simulation"``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd
from scipy import optimize, stats
from sklearn.base import BaseEstimator

from riskkit._results import Result
from riskkit._validation import (
    check_alpha,
    check_choice,
    check_fitted,
    check_positive_int,
    short_repr,
)
from riskkit.exceptions import DataError, ParameterError
from riskkit.market._checks import check_returns
from riskkit.market._volatility import (
    DISTRIBUTIONS,
    GARCH_MODELS,
    MEANS,
    build_arch_model,
    ewma_variance,
    std_tail,
)

__all__ = [
    "DEFAULT_CONFIG",
    "EVT_TAIL_SHARE",
    "VOLATILITY_MODELS",
    "VaRConfig",
    "check_mean",
    "gpd_fit",
    "gpd_ppf",
    "gpd_tail",
    "METHODS",
    "PortfolioVaR",
    "VaREstimate",
    "VaRModel",
    "ewma_var",
    "fhs_var",
    "garch_var",
    "historical_var",
    "monte_carlo_var",
    "parametric_var",
    "portfolio_var",
    "scale_factor",
]

logger = logging.getLogger(__name__)

VOLATILITY_MODELS = ("hs", "normal", "ewma", *GARCH_MODELS)
METHODS = ("parametric", "fhs", "evt", "mc")

#: share of the window's largest standardised losses the generalised Pareto tail is fitted to
#: (McNeil and Frey 2000 use k = 100 of n = 1000)
EVT_TAIL_SHARE = 0.10


class VaRConfig(NamedTuple):
    """A volatility model, an innovation law, a VaR method and a conditional mean."""

    model: str
    dist: str
    method: str
    mean: str = "constant"


#: The default VaR configuration, shared by :class:`VaRModel` and ``rolling_var``: GJR-GARCH(1,1,1)
#: estimated by Gaussian quasi-likelihood with a generalised Pareto tail on the standardised
#: residuals (McNeil and Frey 2000). Chosen by backtests across markets (it passed the most
#: series x level cells; GJR-skew-t parametric before): see ``benchmarks/var_candidates.md``
#: and ``rolling_var``'s docstring.
DEFAULT_CONFIG = VaRConfig(model="gjr", dist="normal", method="evt", mean="constant")


def scale_factor(returns: np.ndarray) -> float:
    """Power of ten bringing the standard deviation into [1, 10) (arch fits best there)."""
    sd = float(np.std(returns))
    if not np.isfinite(sd) or sd <= 0:
        raise DataError(f"returns have zero variance (got std={sd}); a VaR model needs varying returns")
    return float(10.0 ** (-np.floor(np.log10(sd))))


def empirical_tail(sample: np.ndarray, alpha: float) -> tuple[float, float]:
    """Lower-tail quantile (linear interpolation) and the mean of the sample at or below it."""
    q = float(np.quantile(sample, alpha))
    tail = sample[sample <= q]
    return q, float(tail.mean()) if tail.size else q


def gpd_fit(excess: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood shape ``xi`` and scale ``beta`` of a generalised Pareto law (location
    0) fitted to positive ``excess`` values, by the one-dimensional profile likelihood of
    Grimshaw (1993): with ``theta = xi / beta``, ``xi(theta) = mean(log1p(theta y))`` and the
    profile log-likelihood ``-k log(xi / theta) - k (1 + xi)``, maximised by bounded Brent
    search over ``theta > -1 / max(y)``. It reaches the same maximum as
    ``scipy.stats.genpareto.fit(excess, floc=0)`` (pinned in the tests) about 25 times faster.
    """
    y = np.asarray(excess, dtype=float)
    k = y.size
    ybar, ymax = float(y.mean()), float(y.max())

    def negative_profile(theta: float) -> float:
        if abs(theta) * ybar < 1e-12:  # the exponential limit, xi -> 0
            return k * np.log(ybar) + k
        xi = float(np.mean(np.log1p(theta * y)))
        return float(k * np.log(xi / theta) + k * (1.0 + xi))

    res = optimize.minimize_scalar(negative_profile, bounds=(-(1.0 - 1e-9) / ymax, 60.0 / ybar),
                                   method="bounded", options={"xatol": 1e-10 / ybar})
    theta = float(res.x)
    if abs(theta) * ybar < 1e-12:
        return 0.0, ybar
    xi = float(np.mean(np.log1p(theta * y)))
    return xi, xi / theta


def gpd_tail(sample: np.ndarray, alpha: float, tail_share: float = EVT_TAIL_SHARE) -> tuple[float, float]:
    """Lower-tail quantile and tail mean from a generalised Pareto tail (McNeil and Frey 2000).

    The losses ``x = -sample`` above the threshold ``u`` (the ``k + 1``-th largest loss,
    ``k = round(tail_share * n)``) are fitted by maximum likelihood (:func:`gpd_fit`, location
    0); then, for ``alpha < k / n``, ``x_alpha = u + genpareto.ppf(1 - alpha n / k)`` (scipy)
    and ``ES = x_alpha + (beta + xi (x_alpha - u)) / (1 - xi)`` (McNeil and Frey 2000, eqs. 5
    and 7). Returned as the lower-tail quantile ``-x_alpha`` and tail mean ``-ES`` of
    ``sample``. For ``alpha >= k / n`` (no extrapolation needed), or a shape ``xi >= 1``
    (infinite mean), the empirical tail is used.
    """
    z = np.asarray(sample, dtype=float)
    n = z.size
    k = int(round(tail_share * n))
    if k < 10 or alpha >= k / n:
        return empirical_tail(z, alpha)
    losses = np.sort(-z)[::-1]
    u = float(losses[k])
    xi, beta = gpd_fit(losses[:k] - u)
    if not (np.isfinite(xi) and np.isfinite(beta)) or beta <= 0 or xi >= 1.0:
        return empirical_tail(z, alpha)
    x_q = u + float(stats.genpareto.ppf(1.0 - alpha * n / k, xi, scale=beta))
    es = x_q + (beta + xi * (x_q - u)) / (1.0 - xi)
    return -x_q, -es


def gpd_ppf(sample: np.ndarray, u: np.ndarray, tail_share: float = EVT_TAIL_SHARE) -> np.ndarray:
    """Quantiles at probabilities ``u`` of the semi-parametric law behind :func:`gpd_tail`:
    the GPD tail below the threshold, the empirical quantiles (linear interpolation) above it.
    Used to simulate multi-day paths with ``method="evt"``."""
    z = np.asarray(sample, dtype=float)
    u = np.asarray(u, dtype=float)
    out = np.quantile(z, u)
    n = z.size
    k = int(round(tail_share * n))
    if k < 10:
        return out
    losses = np.sort(-z)[::-1]
    thr = float(losses[k])
    xi, beta = gpd_fit(losses[:k] - thr)
    tail = u < k / n
    if np.isfinite(xi) and np.isfinite(beta) and beta > 0 and tail.any():
        out[tail] = -(thr + stats.genpareto.ppf(1.0 - u[tail] * n / k, xi, scale=beta))
    return out


@dataclass(frozen=True, repr=False)
class VaREstimate(Result):
    """A VaR / ES pair (positive losses) with the settings that produced it.

    Attributes
    ----------
    var, es : float
        Value at risk and expected shortfall, positive losses in return units.
    alpha, es_alpha : float
        Tail probabilities of the VaR and the ES.
    horizon : int
        Days ahead.
    method : str
        Label of the model that produced the figures (e.g. ``"gjr-skewt-evt"``).
    """

    var: float
    es: float
    alpha: float
    es_alpha: float
    horizon: int = 1
    method: str = ""

    def to_series(self) -> pd.Series:
        """The figures as a Series named after the method.

        Returns
        -------
        pd.Series
            var, es, alpha, es_alpha and horizon.
        """
        return pd.Series({"var": self.var, "es": self.es, "alpha": self.alpha,
                          "es_alpha": self.es_alpha, "horizon": self.horizon}, name=self.method)

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row (index: the method): var, es, alpha, es_alpha, horizon.
        """
        return self.to_series().to_frame().T.rename_axis("method")

    def _headline(self) -> str:
        return (f"{self.method}: {100 * (1 - self.alpha):g}% VaR = {self.var:.6g}, "
                f"{100 * (1 - self.es_alpha):g}% ES = {self.es:.6g} (horizon {self.horizon} day(s))")


class VaRModel(BaseEstimator):  # type: ignore[misc]
    """VaR model = volatility part + innovation distribution + method.

    A scikit-learn style estimator: the constructor only stores its arguments, so
    ``sklearn.base.clone``, ``get_params`` and ``set_params`` work; the defaults are
    ``DEFAULT_CONFIG``, the ones ``rolling_var`` uses (chosen by backtests, see its docstring).

    Parameters
    ----------
    volatility : str, default ``DEFAULT_CONFIG.model`` (``"gjr"``)
        ``"hs"`` (no model: the raw returns), ``"normal"`` (constant mean and variance of the
        sample), ``"ewma"`` (RiskMetrics, ``lam``), or arch's ``"garch"``, ``"gjr"``,
        ``"egarch"`` (constant mean, (1,1) orders).
    dist : str, default ``DEFAULT_CONFIG.dist`` (``"normal"``)
        Innovation law for ``method="parametric"`` and ``"mc"``: ``"normal"``, ``"t"``,
        ``"skewt"`` (t and skew-t are fitted by maximum likelihood; skew-t needs a GARCH-family
        volatility).
    method : str, default ``DEFAULT_CONFIG.method`` (``"evt"``)
        ``"parametric"`` (quantile of ``dist``), ``"fhs"`` (filtered historical simulation:
        empirical quantile of the standardised residuals), ``"evt"`` (McNeil and Frey 2000: a
        generalised Pareto tail fitted to the largest 10% of standardised losses), ``"mc"``
        (Monte Carlo draws from ``dist``, ``n_sims`` of them, seeded with ``random_state``).
    mean : str, default ``DEFAULT_CONFIG.mean`` (``"constant"``)
        Conditional mean of a GARCH-family volatility: ``"constant"`` or ``"ar1"`` (arch's
        ``arch_model(..., mean="AR", lags=1)``; the first return is held back).
    lam : float, default 0.94
        EWMA decay (``volatility="ewma"``).
    n_sims : int, default 10000
        Monte Carlo draws or simulated paths.
    random_state : int or None, default 0
        Seed of the draws.

    Attributes
    ----------
    scale_, mu_, sigma_, dist_params_, std_resids_, params_, arch_result_ :
        Set by ``fit`` (power-of-ten scale, next-day mean and volatility in scaled units,
        distribution parameters, standardised residuals, parameters in return units, arch's
        result for GARCH-family volatilities).

    Raises
    ------
    ParameterError
        From ``fit`` when an argument is not one of the documented values.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.base import clone
    >>> r = pd.Series(np.random.default_rng(0).standard_t(5, 750) * 0.8,
    ...               index=pd.bdate_range("2020-01-01", periods=750))
    >>> m = VaRModel("ewma", dist="normal", method="parametric").fit(r)
    >>> print(f"{m.forecast(0.01).var:.3f}")
    3.004
    >>> clone(m).get_params()["volatility"]
    'ewma'
    """

    # fitted state (set by fit)
    scale_: float | None
    mu_: float | None
    sigma_: float | None
    dist_params_: np.ndarray | None
    std_resids_: np.ndarray | None
    arch_result_: Any
    params_: pd.Series | None

    def __init__(self, volatility: str = DEFAULT_CONFIG.model, dist: str = DEFAULT_CONFIG.dist,
                 method: str = DEFAULT_CONFIG.method, lam: float = 0.94, n_sims: int = 10_000,
                 random_state: int | None = 0, mean: str = DEFAULT_CONFIG.mean) -> None:
        self.volatility = volatility
        self.dist = dist
        self.method = method
        self.mean = mean
        self.lam = lam
        self.n_sims = n_sims
        self.random_state = random_state

    def _check(self) -> None:
        check_choice(self.volatility, "volatility", VOLATILITY_MODELS)
        check_choice(self.dist, "dist", DISTRIBUTIONS)
        check_choice(self.method, "method", METHODS)
        check_positive_int(self.n_sims, "n_sims", minimum=100, hint="use at least a few thousand draws")
        check_mean(self.mean, self.volatility, "volatility")
        if self.volatility in ("normal", "ewma") and self.dist == "skewt":
            raise ParameterError(
                f"dist='skewt' needs a GARCH-family volatility (got volatility={self.volatility!r}); "
                "use dist='t' or volatility='garch'"
            )

    def fit(self, returns: Any, y: None = None) -> VaRModel:
        """Fit the volatility model and distribution to ``returns`` (all of them).

        Parameters
        ----------
        returns : pandas Series or array of daily returns (no NaN/inf, at least 30).
        y : ignored; present for scikit-learn's ``fit(X, y)`` convention.

        Returns
        -------
        VaRModel
            ``self``, fitted.

        Raises
        ------
        ParameterError
            An argument of the constructor is invalid.
        DataError
            ``returns`` is unusable (NaN/inf, too short, zero variance).
        """
        self._check()
        r = check_returns(returns, min_obs=30)
        values = r.to_numpy()
        self.scale_ = scale_factor(values)
        ys = values * self.scale_
        if self.volatility in GARCH_MODELS:
            self._fit_garch(ys, r.index)
        else:
            self._fit_simple(ys)
        return self

    def _fit_simple(self, ys: np.ndarray) -> None:
        if self.volatility == "hs":
            self.mu_, self.sigma_ = 0.0, 1.0
            self.std_resids_ = ys
        elif self.volatility == "normal":
            self.mu_, self.sigma_ = float(ys.mean()), float(ys.std(ddof=1))
            self.std_resids_ = (ys - self.mu_) / self.sigma_
        else:
            s2 = ewma_variance(ys, self.lam)
            self.mu_, self.sigma_ = 0.0, float(np.sqrt(s2[-1]))
            self.std_resids_ = ys / np.sqrt(s2[:-1])
        self.dist_params_ = _fit_t(self.std_resids_) if self.dist == "t" else np.empty(0)
        assert self.scale_ is not None  # set by fit() before this call
        self.params_ = pd.Series({"mu": self.mu_, "sigma": self.sigma_}) / self.scale_

    def _fit_garch(self, ys: np.ndarray, index: pd.Index) -> None:
        am = build_arch_model(pd.Series(ys, index=index, name="y"), self.volatility, self.dist, self.mean)
        res = am.fit(disp="off", show_warning=False)
        fc = res.forecast(horizon=1, reindex=False)
        self.arch_result_ = res
        self.mu_ = float(fc.mean.to_numpy()[-1, 0])
        self.sigma_ = float(np.sqrt(fc.variance.to_numpy()[-1, 0]))
        k = int(am.distribution.num_params)
        self.dist_params_ = res.params.to_numpy()[len(res.params) - k :]
        # arch returns std_resid as a Series when the model was built on a Series (as here)
        self.std_resids_ = np.asarray(cast(pd.Series, res.std_resid).dropna(), dtype=float)
        self.params_ = res.params.copy()

    def forecast(
        self,
        alpha: float = 0.01,
        *,
        es_alpha: float | None = None,
        horizon: int = 1,
        horizon_method: str = "sqrt",
    ) -> VaREstimate:
        """VaR and ES of the next ``horizon`` days, as positive losses in return units.

        Parameters
        ----------
        alpha : VaR tail probability (0.01 is 99% VaR), in (0, 0.5].
        es_alpha : ES tail probability (default ``alpha``; 0.025 for FRTB's 97.5% ES).
        horizon : days; more than one scales by the square root of time (``"sqrt"``) or
            simulates paths of the fitted model (``"simulation"``).
        horizon_method : ``"sqrt"`` or ``"simulation"``.

        Returns
        -------
        VaREstimate

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ParameterError
            ``alpha``, ``es_alpha``, ``horizon`` or ``horizon_method`` is invalid.
        """
        check_fitted(self, "scale_")
        a = check_alpha(alpha)
        ea = a if es_alpha is None else check_alpha(es_alpha, "es_alpha")
        h = check_positive_int(horizon, "horizon", hint="the number of days, e.g. 10")
        check_choice(horizon_method, "horizon_method", ["sqrt", "simulation"])
        if h > 1 and horizon_method == "simulation":
            var, es = self._simulated(a, ea, h)
        else:
            var, es = self._one_day(a, ea)
            var, es = var * np.sqrt(h), es * np.sqrt(h)
        name = self.label()
        assert self.scale_ is not None
        return VaREstimate(var / self.scale_, es / self.scale_, a, ea, h, name)

    def label(self) -> str:
        """A short name such as ``"gjr-skewt-parametric"``, ``"garch-fhs"``, ``"ar1-gjr-evt"``
        or ``"hs"``."""
        if self.volatility == "hs":
            return "hs"
        prefix = "ar1-" if self.mean == "ar1" else ""
        if self.method in ("fhs", "evt"):
            return f"{prefix}{self.volatility}-{self.method}"
        return f"{prefix}{self.volatility}-{self.dist}-{self.method}"

    def _draws(self, size: int) -> np.ndarray:
        rng = np.random.default_rng(self.random_state)
        if self.method == "fhs" or self.volatility == "hs":
            assert self.std_resids_ is not None
            return rng.choice(self.std_resids_, size=size, replace=True)
        if self.method == "evt":
            assert self.std_resids_ is not None
            return gpd_ppf(self.std_resids_, rng.random(size))
        return _dist_ppf(self.dist, self.dist_params_, rng.random(size))

    def _one_day(self, a: float, ea: float) -> tuple[float, float]:
        mu, sigma = float(self.mu_), float(self.sigma_)  # type: ignore[arg-type]
        if self.volatility == "hs" or self.method == "fhs":
            assert self.std_resids_ is not None
            q, _ = empirical_tail(self.std_resids_, a)
            _, m = empirical_tail(self.std_resids_, ea)
        elif self.method == "evt":
            assert self.std_resids_ is not None
            q, _ = gpd_tail(self.std_resids_, a)
            _, m = gpd_tail(self.std_resids_, ea)
        elif self.method == "mc":
            z = self._draws(self.n_sims)
            q, _ = empirical_tail(z, a)
            _, m = empirical_tail(z, ea)
        else:
            q, _ = std_tail(self.dist, self.dist_params_, a)
            _, m = std_tail(self.dist, self.dist_params_, ea)
        return -(mu + sigma * q), -(mu + sigma * m)

    def _simulated(self, a: float, ea: float, h: int) -> tuple[float, float]:
        if self.volatility in GARCH_MODELS:
            paths = self._garch_paths(h)
        else:
            z = self._draws(self.n_sims * h).reshape(self.n_sims, h)
            paths = float(self.mu_) + float(self.sigma_) * z  # type: ignore[arg-type]
        total = paths.sum(axis=1)
        q, _ = empirical_tail(total, a)
        _, m = empirical_tail(total, ea)
        return -q, -m

    def _garch_paths(self, h: int) -> np.ndarray:
        res = self.arch_result_
        if self.method == "fhs":
            fc = res.forecast(horizon=h, method="bootstrap", simulations=self.n_sims,
                              random_state=np.random.RandomState(self.random_state), reindex=False)
        else:
            rng = np.random.default_rng(self.random_state)
            dist, dp, method, z = self.dist, self.dist_params_, self.method, self.std_resids_

            def draw(size: int | tuple[int, ...]) -> np.ndarray:
                u = rng.random(size)
                if method == "evt":  # the GPD-tailed law of the standardised residuals
                    return gpd_ppf(np.asarray(z), u.ravel()).reshape(u.shape)
                return _dist_ppf(dist, dp, u)

            fc = res.forecast(horizon=h, method="simulation", simulations=self.n_sims,
                              rng=draw, reindex=False)
        return np.asarray(fc.simulations.values)[-1]


def check_mean(mean: Any, model: str, name: str = "model") -> str:
    """``mean`` is one of ``MEANS``, and ``"ar1"`` comes with a GARCH-family ``model``."""
    if not isinstance(mean, str) or mean not in MEANS:
        raise ParameterError(
            f"mean must be one of {list(MEANS)} (got mean={short_repr(mean)}); 'constant' is the "
            "default, 'ar1' adds arch's AR(1) term (mean='AR', lags=1) to a GARCH-family model"
        )
    if mean == "ar1" and model not in GARCH_MODELS:
        raise ParameterError(
            f"mean='ar1' needs a GARCH-family {name} (got {name}={model!r}); use {name}='gjr' or mean='constant'"
        )
    return mean


def _fit_t(z: np.ndarray) -> np.ndarray:
    """Degrees of freedom of a unit-variance Student-t fitted to standardised data (MLE)."""
    df, _, _ = stats.t.fit((z - z.mean()) / z.std(), floc=0.0)
    return np.array([float(np.clip(df, 2.05, 500.0))])


def _dist_ppf(dist: str, params: np.ndarray | None, u: np.ndarray) -> np.ndarray:
    """Quantiles of the unit-variance innovation law (arch's parametrisation)."""
    if dist == "normal":
        return stats.norm.ppf(u)
    if dist == "t":
        nu = float(np.asarray(params)[0])
        return stats.t.ppf(u, nu) * np.sqrt((nu - 2.0) / nu)
    from arch.univariate import SkewStudent  # lazy: arch.univariate pulls in statsmodels-sized modules; only for skew-t

    return np.asarray(SkewStudent().ppf(u, np.asarray(params, dtype=float)))


def _estimate(returns: Any, alpha: float, es_alpha: float | None, horizon: int,
              horizon_method: str = "sqrt", **model: Any) -> VaREstimate:
    a = check_alpha(alpha)
    return VaRModel(**model).fit(returns).forecast(a, es_alpha=es_alpha, horizon=horizon,
                                                   horizon_method=horizon_method)


def historical_var(returns: Any, alpha: float = 0.01, *, es_alpha: float | None = None,
                   horizon: int = 1, horizon_method: str = "sqrt", random_state: int | None = 0) -> VaREstimate:
    """Historical simulation: the empirical ``alpha`` quantile of the returns (linear
    interpolation) and the mean of the returns at or below the ``es_alpha`` quantile.

    Parameters
    ----------
    returns : pd.Series or array-like
        Daily returns, oldest first (the whole sample is used).
    alpha : float, default 0.01
        VaR tail probability (0.01 is 99% VaR).
    es_alpha : float, optional
        ES tail probability (default ``alpha``; 0.025 for FRTB's 97.5% ES).
    horizon : int, default 1
        Days ahead.
    horizon_method : {"sqrt", "simulation"}, default "sqrt"
        Square-root-of-time scaling, or bootstrapped multi-day paths.
    random_state : int or None, default 0
        Seed of the multi-day bootstrap.

    Returns
    -------
    VaREstimate
        ``var`` and ``es`` as positive losses in the units of ``returns``.

    Raises
    ------
    DataError
        When the returns are too few, not numeric or not finite.
    ParameterError
        When an argument is not one of the documented values.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.linspace(-0.05, 0.05, 101)
    >>> est = historical_var(r, 0.05)
    >>> print(f"VaR {est.var:.4f}, ES {est.es:.4f}")
    VaR 0.0450, ES 0.0475
    """
    return _estimate(returns, alpha, es_alpha, horizon, horizon_method, volatility="hs",
                     dist="normal", method="fhs", random_state=random_state)


def parametric_var(returns: Any, alpha: float = 0.01, *, es_alpha: float | None = None,
                   horizon: int = 1, dist: str = "normal") -> VaREstimate:
    """Parametric VaR with the sample mean and standard deviation, normal or Student-t
    (degrees of freedom by maximum likelihood, scaled to the sample variance).

    Parameters
    ----------
    returns : pd.Series or array-like
        Daily returns, oldest first (the whole sample is used).
    alpha : float, default 0.01
        VaR tail probability (0.01 is 99% VaR).
    es_alpha : float, optional
        ES tail probability (default ``alpha``; 0.025 for FRTB's 97.5% ES).
    horizon : int, default 1
        Days ahead. Scaled by the square root of time.
    dist : {"normal", "t"}, default "normal"
        Law of the returns.

    Returns
    -------
    VaREstimate
        ``var`` and ``es`` as positive losses in the units of ``returns``.

    Raises
    ------
    DataError
        When the returns are too few, not numeric or not finite.
    ParameterError
        When an argument is not one of the documented values.
    """
    check_choice(dist, "dist", ["normal", "t"])
    return _estimate(returns, alpha, es_alpha, horizon, volatility="normal", dist=dist, method="parametric")


def ewma_var(returns: Any, alpha: float = 0.01, *, es_alpha: float | None = None, horizon: int = 1,
             lam: float = 0.94, dist: str = "normal", method: str = "parametric") -> VaREstimate:
    """RiskMetrics VaR: EWMA variance with decay ``lam`` (0.94 for daily data), zero mean.

    Parameters
    ----------
    returns : pd.Series or array-like
        Daily returns, oldest first (the whole sample is used).
    alpha : float, default 0.01
        VaR tail probability (0.01 is 99% VaR).
    es_alpha : float, optional
        ES tail probability (default ``alpha``; 0.025 for FRTB's 97.5% ES).
    horizon : int, default 1
        Days ahead. Scaled by the square root of time.
    lam : float, default 0.94
        EWMA decay.
    dist : {"normal", "t"}, default "normal"
        Innovation law.
    method : {"parametric", "fhs", "evt", "mc"}, default "parametric"
        How the quantile of the standardised returns is taken (see :class:`VaRModel`).

    Returns
    -------
    VaREstimate
        ``var`` and ``es`` as positive losses in the units of ``returns``.

    Raises
    ------
    DataError
        When the returns are too few, not numeric or not finite.
    ParameterError
        When an argument is not one of the documented values.
    """
    return _estimate(returns, alpha, es_alpha, horizon, volatility="ewma", dist=dist, method=method, lam=lam)


def garch_var(returns: Any, alpha: float = 0.01, *, es_alpha: float | None = None, horizon: int = 1,
              horizon_method: str = "sqrt", model: str = "garch", dist: str = "t",
              method: str = "parametric", n_sims: int = 10_000, random_state: int | None = 0) -> VaREstimate:
    """VaR from an arch GARCH(1,1) / GJR-GARCH / EGARCH with normal, t or skew-t innovations.

    Parameters
    ----------
    returns : pd.Series or array-like
        Daily returns, oldest first (the whole sample is used).
    alpha : float, default 0.01
        VaR tail probability (0.01 is 99% VaR).
    es_alpha : float, optional
        ES tail probability (default ``alpha``; 0.025 for FRTB's 97.5% ES).
    horizon : int, default 1
        Days ahead.
    horizon_method : {"sqrt", "simulation"}, default "sqrt"
        Square-root-of-time scaling, or simulated paths of the fitted model.
    model : {"garch", "gjr", "egarch"}, default "garch"
        Volatility model.
    dist : {"normal", "t", "skewt"}, default "t"
        Innovation law.
    method : {"parametric", "fhs", "evt", "mc"}, default "parametric"
        How the quantile of the standardised returns is taken (see :class:`VaRModel`).
    n_sims : int, default 10000
        Draws or simulated paths for ``"mc"`` and ``"simulation"``.
    random_state : int or None, default 0
        Seed of the draws.

    Returns
    -------
    VaREstimate
        ``var`` and ``es`` as positive losses in the units of ``returns``.

    Raises
    ------
    DataError
        When the returns are too few, not numeric or not finite.
    ParameterError
        When an argument is not one of the documented values.
    """
    check_choice(model, "model", GARCH_MODELS)
    return _estimate(returns, alpha, es_alpha, horizon, horizon_method, volatility=model, dist=dist,
                     method=method, n_sims=n_sims, random_state=random_state)


def fhs_var(returns: Any, alpha: float = 0.01, *, es_alpha: float | None = None, horizon: int = 1,
            horizon_method: str = "sqrt", model: str = "gjr", dist: str = "t",
            n_sims: int = 10_000, random_state: int | None = 0) -> VaREstimate:
    """Filtered historical simulation (Barone-Adesi et al.): fitted volatility times the
    empirical quantile of the standardised residuals; multi-day by arch's bootstrap.

    Parameters
    ----------
    returns : pd.Series or array-like
        Daily returns, oldest first (the whole sample is used).
    alpha : float, default 0.01
        VaR tail probability (0.01 is 99% VaR).
    es_alpha : float, optional
        ES tail probability (default ``alpha``; 0.025 for FRTB's 97.5% ES).
    horizon : int, default 1
        Days ahead.
    horizon_method : {"sqrt", "simulation"}, default "sqrt"
        Square-root-of-time scaling, or bootstrapped paths of the fitted model.
    model : {"ewma", "garch", "gjr", "egarch"}, default "gjr"
        Volatility model that filters the returns.
    dist : {"normal", "t", "skewt"}, default "t"
        Innovation law used to fit the volatility model.
    n_sims : int, default 10000
        Bootstrapped paths for multi-day horizons.
    random_state : int or None, default 0
        Seed of the bootstrap.

    Returns
    -------
    VaREstimate
        ``var`` and ``es`` as positive losses in the units of ``returns``.

    Raises
    ------
    DataError
        When the returns are too few, not numeric or not finite.
    ParameterError
        When an argument is not one of the documented values.
    """
    check_choice(model, "model", ("ewma", *GARCH_MODELS))
    return _estimate(returns, alpha, es_alpha, horizon, horizon_method, volatility=model, dist=dist,
                     method="fhs", n_sims=n_sims, random_state=random_state)


def monte_carlo_var(returns: Any, alpha: float = 0.01, *, es_alpha: float | None = None, horizon: int = 1,
                    model: str = "garch", dist: str = "t", n_sims: int = 10_000,
                    random_state: int | None = 0) -> VaREstimate:
    """Monte Carlo VaR: simulated paths of the fitted model (arch's simulation forecast for
    GARCH-family models), ``n_sims`` paths, seeded by ``random_state``.

    Parameters
    ----------
    returns : pd.Series or array-like
        Daily returns, oldest first (the whole sample is used).
    alpha : float, default 0.01
        VaR tail probability (0.01 is 99% VaR).
    es_alpha : float, optional
        ES tail probability (default ``alpha``; 0.025 for FRTB's 97.5% ES).
    horizon : int, default 1
        Days ahead. Multi-day figures come from simulated paths.
    model : str, default "garch"
        Volatility model: ``"normal"``, ``"ewma"``, ``"garch"``, ``"gjr"`` or ``"egarch"``.
    dist : {"normal", "t", "skewt"}, default "t"
        Innovation law of the draws.
    n_sims : int, default 10000
        Number of draws or paths.
    random_state : int or None, default 0
        Seed of the draws.

    Returns
    -------
    VaREstimate
        ``var`` and ``es`` as positive losses in the units of ``returns``.

    Raises
    ------
    DataError
        When the returns are too few, not numeric or not finite.
    ParameterError
        When an argument is not one of the documented values.
    """
    check_choice(model, "model", VOLATILITY_MODELS[1:])
    return _estimate(returns, alpha, es_alpha, horizon, "simulation", volatility=model, dist=dist,
                     method="mc", n_sims=n_sims, random_state=random_state)


@dataclass(frozen=True, repr=False)
class PortfolioVaR(Result):
    """Portfolio VaR / ES with Euler contributions by position (they add up to the totals).

    ``summary()`` is one row (var, es, alpha, es_alpha); ``to_frame()`` the contributions.

    Attributes
    ----------
    var, es : float
        Portfolio VaR and ES, positive losses in the units of the weighted returns.
    alpha, es_alpha : float
        Tail probabilities.
    contributions : pd.DataFrame
        One row per position: weight and Euler contributions.
    """

    var: float
    es: float
    alpha: float
    es_alpha: float
    contributions: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row: var, es, alpha, es_alpha.
        """
        return pd.DataFrame([{"var": self.var, "es": self.es, "alpha": self.alpha, "es_alpha": self.es_alpha}],
                            index=pd.Index(["portfolio"], name="position"))

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            Weight and Euler contributions per position (a copy of ``contributions``).
        """
        return self.contributions.copy()

    def _headline(self) -> str:
        return (f"{100 * (1 - self.alpha):g}% VaR = {self.var:.6g}, "
                f"{100 * (1 - self.es_alpha):g}% ES = {self.es:.6g} over {len(self.contributions)} positions")


def portfolio_var(returns: pd.DataFrame, weights: Any, alpha: float = 0.01, *,
                  es_alpha: float | None = None, method: str = "normal") -> PortfolioVaR:
    """VaR of a weighted position ``sum_i w_i r_i`` (weights in money or fractions).

    ``method="normal"``: variance-covariance VaR, Euler contributions
    ``w_i (Sigma w)_i / sigma_p * z``; ``"hs"``: historical simulation of the portfolio
    P&L, contributions to ES as each position's mean P&L in the tail.

    Parameters
    ----------
    returns : pd.DataFrame
        One column of returns per position, at least 30 rows.
    weights : mapping, pd.Series or array-like
        Weight of each column (money or fractions), indexed by the column names.
    alpha : float, default 0.01
        VaR tail probability.
    es_alpha : float, optional
        ES tail probability (default ``alpha``).
    method : {"normal", "hs"}, default "normal"
        Variance-covariance or historical simulation.

    Returns
    -------
    PortfolioVaR
        Totals and contributions by position.

    Raises
    ------
    DataError
        When ``returns`` is not a DataFrame of at least 30 rows or a weight is missing.
    ParameterError
        When ``alpha``, ``es_alpha`` or ``method`` is invalid.
    """
    a = check_alpha(alpha)
    ea = a if es_alpha is None else check_alpha(es_alpha, "es_alpha")
    check_choice(method, "method", ["normal", "hs"])
    if not isinstance(returns, pd.DataFrame) or returns.shape[1] == 0 or len(returns) < 30:
        raise DataError(f"returns must be a DataFrame with one column per position and at least 30 rows "
                        f"(got {type(returns).__name__} of shape {getattr(returns, 'shape', None)})")
    for col in returns.columns:
        check_returns(returns[col], f"returns[{col!r}]")
    w = pd.Series(weights, index=returns.columns, dtype=float) if not isinstance(weights, pd.Series) \
        else weights.reindex(returns.columns).astype(float)
    if w.isna().any() or not np.all(np.isfinite(w.to_numpy())):
        raise DataError(f"weights must give a finite weight for every column of returns "
                        f"(got weights={w.to_dict()}); index them by the return columns")
    pnl = returns.to_numpy() @ w.to_numpy()
    if method == "normal":
        return _portfolio_normal(returns, w, a, ea)
    q, _ = empirical_tail(pnl, a)
    qe, m = empirical_tail(pnl, ea)
    tail = pnl <= qe
    contrib_es = -(returns.to_numpy()[tail] * w.to_numpy()).mean(axis=0)
    table = pd.DataFrame({"weight": w, "es_contribution": contrib_es}, index=returns.columns)
    return PortfolioVaR(-q, -m, a, ea, table)


def _portfolio_normal(returns: pd.DataFrame, w: pd.Series, a: float, ea: float) -> PortfolioVaR:
    mu = returns.mean().to_numpy()
    cov = returns.cov().to_numpy()
    wv = w.to_numpy()
    sigma = float(np.sqrt(wv @ cov @ wv))
    mp = float(wv @ mu)
    z, _ = std_tail("normal", None, a)
    _, m = std_tail("normal", None, ea)
    beta = (cov @ wv) / sigma
    table = pd.DataFrame({
        "weight": wv,
        "var_contribution": -(wv * mu) - wv * beta * z,
        "es_contribution": -(wv * mu) - wv * beta * m,
    }, index=returns.columns)
    return PortfolioVaR(-(mp + sigma * z), -(mp + sigma * m), a, ea, table)
