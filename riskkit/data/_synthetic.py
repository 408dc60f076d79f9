"""A synthetic credit data set for scale tests and benchmarks.

The generator draws numeric risk drivers of several realistic shapes, builds the log-odds of
default from them and draws the target (1 = bad) from that probability. Everything is
deterministic given ``seed`` (one :class:`numpy.random.Generator`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.special import expit

from riskkit._validation import check_in_range, check_positive_int

__all__ = ["synthetic_credit"]

#: Driver kinds in the order columns cycle through them. Each maps uniforms / normals to a
#: feature value and its (uncentred) contribution to the log-odds of default.
_Driver = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


def _monotone(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A normal score-like driver: risk rises linearly with the value."""
    x = rng.normal(0.0, 1.0, n)
    return x * 10.0 + 50.0, 0.6 * x


def _income(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A lognormal income-like driver: risk falls with the log of the value."""
    z = rng.normal(0.0, 0.6, n)
    return np.round(np.exp(10.3 + z), 2), -0.8 * z / 0.6


def _age(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An age-like integer driver with a U-shaped risk (young and old riskier)."""
    x = np.floor(rng.uniform(18.0, 80.0, n))
    return x, 0.5 * ((x - 47.0) / 14.0) ** 2


def _utilisation(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A utilisation-like share in [0, 1.2): flat, then steeply rising risk (convex, monotone)."""
    x = rng.beta(1.2, 2.0, n) * 1.2
    return x, 1.6 * np.maximum(x - 0.4, 0.0) ** 1.5 * 2.0


def _tenure(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A peaked (inverted-U) driver: risk highest in the middle of the range."""
    x = rng.gamma(2.0, 3.0, n)
    return np.round(x, 1), -0.45 * ((np.log1p(x) - 1.8) / 0.6) ** 2


def _noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A feature unrelated to default."""
    return rng.normal(0.0, 1.0, n), np.zeros(n)


_DRIVERS: tuple[tuple[str, _Driver], ...] = (
    ("monotone", _monotone),
    ("ushape", _age),
    ("income", _income),
    ("utilisation", _utilisation),
    ("peak", _tenure),
    ("noise", _noise),
)


def _intercept(logit: np.ndarray, bad_rate: float) -> float:
    """Intercept giving the wanted mean default probability (bisection, deterministic)."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if float(expit(logit + mid).mean()) < bad_rate:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def synthetic_credit(
    n: int = 10_000,
    n_features: int = 20,
    missing_share: float = 0.05,
    seed: int = 0,
    *,
    bad_rate: float = 0.10,
) -> tuple[pd.DataFrame, pd.Series]:
    """Synthetic applicants with monotone, U-shaped and peaked numeric risk drivers.

    Columns cycle through six driver kinds, named ``<kind>_<index>``: ``monotone`` (risk rises
    linearly), ``ushape`` (age-like, young and old riskier), ``income`` (risk falls with the
    log), ``utilisation`` (flat then convex rise), ``peak`` (inverted U) and ``noise`` (no
    effect). Effect sizes shrink slowly with the column index so information values vary. Each
    value is missing completely at random with probability ``missing_share`` (the true effect is
    kept, so missingness carries no information). The target ``y`` (named ``bad``) is 1 = bad,
    drawn from the logistic model with an intercept set so the mean default probability is
    ``bad_rate``.

    Returns ``(X, y)`` with a RangeIndex; the same arguments always give the same data.

    Parameters
    ----------
    n : int, default 10000
        Number of applicants (>= 2).
    n_features : int, default 20
        Number of columns.
    missing_share : float, default 0.05
        Probability that a value is missing, in [0, 1).
    seed : int, default 0
        Seed of the generator.
    bad_rate : float, default 0.10
        Mean default probability, in (0, 1).

    Returns
    -------
    X : pd.DataFrame
        ``n`` rows, ``n_features`` float columns.
    y : pd.Series
        Named ``bad``, 1 = bad.

    Raises
    ------
    ParameterError
        When an argument is outside its range.

    Examples
    --------
    >>> from riskkit.data import synthetic_credit
    >>> X, y = synthetic_credit(n=1000, n_features=6, seed=0)
    >>> X.columns.tolist()
    ['monotone_00', 'ushape_01', 'income_02', 'utilisation_03', 'peak_04', 'noise_05']
    >>> round(float(y.mean()), 3)
    0.107
    """
    n = check_positive_int(n, "n", minimum=2, hint="ask for at least two applicants")
    n_features = check_positive_int(n_features, "n_features", hint="ask for at least one feature")
    missing_share = check_in_range(
        missing_share, "missing_share", 0.0, 1.0, high_open=True,
        hint="give the share of missing values per feature, e.g. 0.05",
    )
    bad_rate = check_in_range(
        bad_rate, "bad_rate", 0.0, 1.0, low_open=True, high_open=True,
        hint="give the mean default probability, e.g. 0.10",
    )
    seed = check_positive_int(seed, "seed", minimum=0, hint="use a non-negative integer seed")
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    logit = np.zeros(n)
    for j in range(n_features):
        kind, driver = _DRIVERS[j % len(_DRIVERS)]
        values, effect = driver(rng, n)
        logit += (effect - effect.mean()) / (1.0 + j / 12.0)
        if missing_share > 0:
            values = np.where(rng.random(n) < missing_share, np.nan, values)
        columns[f"{kind}_{j:02d}"] = values
    logit += _intercept(logit, bad_rate)
    y = (rng.random(n) < expit(logit)).astype(np.int64)
    return pd.DataFrame(columns), pd.Series(y, name="bad")
