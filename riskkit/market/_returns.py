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
    """Simple returns ``p_t / p_{t-1} - 1`` (the first date is dropped)."""
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
    """Log returns ``ln(p_t / p_{t-1})``; prices must be strictly positive."""
    p = check_prices(prices, "prices", positive=True)
    out = np.log(p).diff().iloc[1:]
    out.name = p.name
    return out


def rolling_volatility(returns: Any, window: int = 21, *, periods_per_year: int | None = 252) -> pd.Series:
    """Rolling standard deviation of returns, annualised with ``sqrt(periods_per_year)``.

    ``periods_per_year=None`` leaves it per period. The first ``window - 1`` values are NaN.
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
    """The deepest drawdown, as a positive fraction (0.5 means the value halved)."""
    return float(-drawdown(prices, kind=kind).min())


def amihud_illiquidity(
    returns: Any, dollar_volume: Any, window: int = 21, *, scale: float = 1e6
) -> pd.Series:
    """Amihud (2002) illiquidity: rolling mean of ``|r_t| / dollar_volume_t`` times ``scale``.

    Higher means less liquid (a larger price move per unit traded). ``dollar_volume`` is
    price times shares traded, aligned with ``returns``.
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
