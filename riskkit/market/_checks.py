"""Input checks shared by the market-risk modules (on top of :mod:`riskkit._validation`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import check_finite_series, check_positive_int, short_repr
from riskkit.exceptions import DataError, ParameterError

__all__ = ["check_prices", "check_returns", "check_window", "check_aligned"]


def check_returns(returns: Any, name: str = "returns", *, min_obs: int = 2) -> pd.Series:
    """A finite float Series (NaN/inf, duplicated or decreasing dates refused)."""
    s = check_finite_series(returns, name)
    if len(s) < min_obs:
        raise DataError(
            f"{name} needs at least {min_obs} observations (got {len(s)}); pass a longer history"
        )
    return s


def check_prices(prices: Any, name: str = "prices", *, positive: bool = True) -> pd.Series:
    """A finite price Series; strictly positive when ``positive`` (log returns need it)."""
    s = check_returns(prices, name)
    if positive and (s <= 0).any():
        where = s.index[int(np.argmax((s <= 0).to_numpy()))]
        raise DataError(
            f"{name} must be strictly positive for log returns (got {name}={float(s[where])!r} at "
            f"{where!r}); check the data or use simple returns of a P&L series"
        )
    return s


def check_window(window: Any, n_obs: int, name: str = "window", *, minimum: int = 2) -> int:
    """A window length of at least ``minimum`` and smaller than the series."""
    w = check_positive_int(window, name, minimum=minimum, hint="give the number of observations")
    if w >= n_obs:
        raise ParameterError(
            f"{name} must be smaller than the series (got {name}={w} for {n_obs} observations); "
            "use a shorter window or a longer history"
        )
    return w


def check_aligned(a: pd.Series, b: pd.Series, name_a: str, name_b: str) -> None:
    """Two series must share exactly the same index."""
    if len(a) != len(b) or not a.index.equals(b.index):
        missing = b.index.difference(a.index)
        extra = a.index.difference(b.index)
        raise DataError(
            f"{name_a} and {name_b} are misaligned (got {len(a)} and {len(b)} rows; "
            f"{len(extra)} dates only in {name_a}, {len(missing)} only in {name_b}, e.g. "
            f"{short_repr(list(extra[:2]) + list(missing[:2]))}); "
            f"align them first, e.g. {name_a}.loc[{name_b}.index]"
        )
