"""Returns and market risk indicators: returns, volatility, drawdown, liquidity, sentiment."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import check_choice, check_positive_int
from riskkit.exceptions import DataError
from riskkit.market._checks import check_prices, check_returns, check_window

__all__ = [
    "amihud_illiquidity",
    "drawdown",
    "log_returns",
    "max_drawdown",
    "rolling_volatility",
    "simple_returns",
    "vix_sentiment",
]


def simple_returns(prices: Any) -> pd.Series:
    """Simple returns ``p_t / p_{t-1} - 1`` (the first date is dropped).

    Parameters
    ----------
    prices : pd.Series or array-like
        Prices in time order.

    Returns
    -------
    pd.Series
        One return per date after the first, named like ``prices``.

    Raises
    ------
    DataError
        When the prices are not numeric, too few, or contain a zero.

    Examples
    --------
    >>> simple_returns([100.0, 110.0, 99.0]).round(4).tolist()
    [0.1, -0.1]
    """
    p = check_prices(prices, "prices", positive=False)
    if (p == 0).any():
        raise DataError(
            f"prices must not be zero for simple returns (got prices=0 at {p.index[(p == 0).to_numpy()][0]!r}); "
            "remove the zero prices"
        )
    out = p.pct_change().iloc[1:]
    out.name = p.name
    return out


def log_returns(prices: Any) -> pd.Series:
    """Log returns ``ln(p_t / p_{t-1})``; prices must be strictly positive.

    Parameters
    ----------
    prices : pd.Series or array-like
        Strictly positive prices in time order.

    Returns
    -------
    pd.Series
        One return per date after the first, named like ``prices``.

    Raises
    ------
    DataError
        When the prices are not numeric, too few, or not strictly positive.
    """
    p = check_prices(prices, "prices", positive=True)
    out = np.log(p).diff().iloc[1:]
    out.name = p.name
    return out


def rolling_volatility(returns: Any, window: int = 21, *, periods_per_year: int | None = 252) -> pd.Series:
    """Rolling standard deviation of returns, annualised with ``sqrt(periods_per_year)``.

    ``periods_per_year=None`` leaves it per period. The first ``window - 1`` values are NaN.

    Parameters
    ----------
    returns : pd.Series or array-like
        Returns in time order.
    window : int, default 21
        Number of returns per estimate.
    periods_per_year : int or None, default 252
        Annualisation factor; None for per-period volatility.

    Returns
    -------
    pd.Series
        Series named ``volatility`` on the index of ``returns``.

    Raises
    ------
    DataError
        When the returns are not numeric or fewer than ``window``.
    ParameterError
        When ``window`` or ``periods_per_year`` is not a positive integer.
    """
    r = check_returns(returns)
    w = check_window(window, len(r))
    scale = 1.0 if periods_per_year is None else np.sqrt(
        check_positive_int(periods_per_year, "periods_per_year", hint="e.g. 252 for daily data")
    )
    out = r.rolling(w).std() * scale
    out.name = "volatility"
    return out


def drawdown(prices: Any, *, kind: str = "prices") -> pd.Series:
    """Drawdown from the running peak, ``p_t / max_{s<=t} p_s - 1`` (zero or negative).

    ``kind="returns"`` compounds simple returns into a wealth index first.

    Parameters
    ----------
    prices : pd.Series or array-like
        Prices (or simple returns with ``kind="returns"``) in time order.
    kind : {"prices", "returns"}, default "prices"
        What ``prices`` holds.

    Returns
    -------
    pd.Series
        Series named ``drawdown``, 0 at each new peak.

    Raises
    ------
    DataError
        When the input is not numeric, or prices are not strictly positive.
    ParameterError
        When ``kind`` is not one of the two values.

    Examples
    --------
    >>> drawdown([100.0, 120.0, 90.0, 130.0]).round(2).tolist()
    [0.0, 0.0, -0.25, 0.0]
    """
    check_choice(kind, "kind", ["prices", "returns"])
    if kind == "returns":
        r = check_returns(prices, "returns", min_obs=1)
        wealth = (1.0 + r).cumprod()
    else:
        wealth = check_prices(prices, "prices", positive=True)
    out = wealth / wealth.cummax() - 1.0
    out.name = "drawdown"
    return out


def max_drawdown(prices: Any, *, kind: str = "prices") -> float:
    """The deepest drawdown, as a positive fraction (0.5 means the value halved).

    Parameters
    ----------
    prices : pd.Series or array-like
        Prices (or simple returns with ``kind="returns"``) in time order.
    kind : {"prices", "returns"}, default "prices"
        What ``prices`` holds.

    Returns
    -------
    float
        ``-min(drawdown)``.

    Raises
    ------
    DataError, ParameterError
        As :func:`drawdown`.

    Examples
    --------
    >>> max_drawdown([100.0, 120.0, 90.0, 130.0])
    0.25
    """
    return float(-drawdown(prices, kind=kind).min())


def amihud_illiquidity(
    returns: Any, dollar_volume: Any, window: int = 21, *, scale: float = 1e6
) -> pd.Series:
    """Amihud (2002) illiquidity: rolling mean of ``|r_t| / dollar_volume_t`` times ``scale``.

    Higher means less liquid (a larger price move per unit traded). ``dollar_volume`` is
    price times shares traded, aligned with ``returns``.

    Parameters
    ----------
    returns : pd.Series
        Returns in time order.
    dollar_volume : pd.Series
        Positive traded value on the dates of ``returns``.
    window : int, default 21
        Days averaged.
    scale : float, default 1e6
        Multiplier that brings the ratio to readable numbers.

    Returns
    -------
    pd.Series
        Series named ``amihud``; the first ``window - 1`` values are NaN.

    Raises
    ------
    DataError
        When a return date has no volume or a volume is not positive.
    ParameterError
        When ``window`` is not a positive integer.
    """
    r = check_returns(returns)
    v = check_returns(dollar_volume, "dollar_volume")
    v = v.reindex(r.index)
    if v.isna().any():
        raise DataError(
            f"dollar_volume is misaligned with returns (got {int(v.isna().sum())} return dates "
            "without volume); pass volume on the same dates"
        )
    if (v <= 0).any():
        raise DataError(
            f"dollar_volume must be positive (got dollar_volume={float(v.min())!r}); drop non-trading days"
        )
    w = check_window(window, len(r))
    out = (r.abs() / v).rolling(w).mean() * scale
    out.name = "amihud"
    return out


def vix_sentiment(vix: Any, window: int = 252) -> pd.DataFrame:
    """Market-sentiment indicator from the VIX level.

    Returns a frame with ``vix``, its rolling z-score against the past ``window`` days
    (``zscore``; high = fear) and a ``regime`` label: ``calm`` (z < -0.5), ``normal`` or
    ``stressed`` (z > 1), with ``stressed`` also whenever VIX is above 30.

    Parameters
    ----------
    vix : pd.Series
        VIX closing levels in time order.
    window : int, default 252
        Days of the rolling mean and standard deviation.

    Returns
    -------
    pd.DataFrame
        Columns ``vix``, ``zscore`` and ``regime`` (None while the window fills and VIX <= 30).

    Raises
    ------
    DataError
        When ``vix`` is not numeric or shorter than ``window``.
    ParameterError
        When ``window`` is not a positive integer.
    """
    v = check_returns(vix, "vix")
    w = check_window(window, len(v))
    mean = v.rolling(w).mean()
    std = v.rolling(w).std()
    z = (v - mean) / std
    regime = pd.Series("normal", index=v.index, dtype=object)
    regime[z < -0.5] = "calm"
    regime[(z > 1.0) | (v > 30.0)] = "stressed"
    regime[z.isna() & (v <= 30.0)] = None
    return pd.DataFrame({"vix": v, "zscore": z, "regime": regime})
