"""Stress testing: historical scenarios found in the data and hypothetical shocks to a position."""

from __future__ import annotations

from typing import Any, SupportsFloat, cast

import numpy as np
import pandas as pd

from riskkit._validation import check_positive_int, short_repr
from riskkit.exceptions import DataError
from riskkit.market._checks import check_returns, check_window

__all__ = ["apply_shocks", "drawdown_episodes", "historical_scenarios", "worst_windows"]


def worst_windows(returns: Any, window: int = 10, n: int = 3, *, year: int | None = None) -> pd.DataFrame:
    """The ``n`` worst non-overlapping ``window``-day periods by compounded simple return.

    ``returns`` are simple returns (use ``simple_returns``); ``year`` restricts the search (e.g.
    2008). Columns: ``start``, ``end``, ``return`` (compounded, negative = loss).

    Parameters
    ----------
    returns : pd.Series
        Simple returns with a DatetimeIndex.
    window : int, default 10
        Days per period.
    n : int, default 3
        Number of periods returned, worst first.
    year : int, optional
        Search only this calendar year.

    Returns
    -------
    pd.DataFrame
        One row per period: start, end, return.

    Raises
    ------
    DataError
        When the returns are not numeric or ``year`` has no observations.
    ParameterError
        When ``window`` or ``n`` is not a positive integer.
    """
    r = check_returns(returns)
    if year is not None:
        r = r[r.index.year == int(year)]  # type: ignore[attr-defined]
        if r.empty:
            raise DataError(f"returns have no observations in year={year!r}; pick a year inside the data")
    w = check_window(window, len(r) + 1, minimum=1)
    k = check_positive_int(n, "n", hint="the number of scenarios")
    log_cum = np.log1p(r.to_numpy())
    sums = np.convolve(log_cum, np.ones(w), mode="valid")
    taken = np.zeros(sums.size, dtype=bool)
    rows: list[dict[str, Any]] = []
    for i in np.argsort(sums):
        if len(rows) == k:
            break
        if taken[max(0, i - w + 1) : i + w].any():
            continue
        taken[i] = True
        rows.append({"start": r.index[i], "end": r.index[i + w - 1], "return": float(np.expm1(sums[i]))})
    return pd.DataFrame(rows)


def drawdown_episodes(prices: Any, n: int = 3, *, min_depth: float = 0.1, lookback: int | None = None) -> pd.DataFrame:
    """Peak-to-trough drawdown episodes deeper than ``min_depth``, deepest first.

    Columns: ``peak``, ``trough``, ``recovery`` (NaT if not recovered), ``depth`` (positive
    fraction), ``days_to_trough``. ``lookback`` measures each drawdown from the highest price
    of the last ``lookback`` days instead of the all-time high, so corrections inside a longer
    bear market show up: with ``lookback=252`` the S&P 500 gives 2008-09 as well as the 2010
    and 2011 drawdowns.

    Parameters
    ----------
    prices : pd.Series
        Positive prices or a wealth index, in time order.
    n : int, default 3
        Number of episodes returned.
    min_depth : float, default 0.1
        Smallest depth kept (0.1 = 10% below the peak).
    lookback : int, optional
        Days of the rolling peak (default: the all-time high).

    Returns
    -------
    pd.DataFrame
        One row per episode, deepest first.

    Raises
    ------
    DataError
        When the prices are not numeric or not positive.
    ParameterError
        When ``n`` or ``lookback`` is not a positive integer.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.Series([100, 80, 100, 110, 93.5, 120.0], index=pd.bdate_range("2024-01-01", periods=6))
    >>> drawdown_episodes(p)[["depth", "days_to_trough"]].round(2).to_dict("list")
    {'depth': [0.2, 0.15], 'days_to_trough': [1, 1]}
    """
    p = check_returns(prices, "prices")
    if (p <= 0).any():
        raise DataError(f"prices must be positive (got prices={float(p.min())!r}); pass a price or wealth index")
    k = check_positive_int(n, "n", hint="the number of episodes")
    if lookback is None:
        peak = p.cummax()
    else:
        peak = p.rolling(check_positive_int(lookback, "lookback", hint="e.g. 252 days"), min_periods=1).max()
    dd = p / peak - 1.0
    underwater = (dd < 0).to_numpy()
    rows = []
    i = 0
    dd_vals = dd.to_numpy()
    while i < len(p):
        if not underwater[i]:
            i += 1
            continue
        j = i
        while j < len(p) and underwater[j]:
            j += 1
        seg = slice(i, j)
        trough = i + int(np.argmin(dd_vals[seg]))
        depth = float(-dd.iloc[trough])
        if depth >= min_depth:
            rows.append({"peak": p.index[i - 1] if i > 0 else p.index[0], "trough": p.index[trough],
                         "recovery": p.index[j] if j < len(p) else pd.NaT, "depth": depth,
                         "days_to_trough": trough - i + 1})
        i = j
    out = pd.DataFrame(rows, columns=["peak", "trough", "recovery", "depth", "days_to_trough"])
    return out.sort_values("depth", ascending=False).head(k).reset_index(drop=True)


def historical_scenarios(returns: pd.DataFrame | pd.Series, periods: dict[str, tuple[Any, Any]]) -> pd.DataFrame:
    """Compounded simple return of each asset over each named period ``(start, end)``.

    Rows are scenarios, columns assets: feed it to :func:`apply_shocks`.

    Parameters
    ----------
    returns : pd.DataFrame or pd.Series
        Simple returns by asset with a DatetimeIndex.
    periods : dict of str to (start, end)
        Scenario name to its first and last date (inclusive, anything ``.loc`` accepts).

    Returns
    -------
    pd.DataFrame
        Compounded returns, one row per scenario and one column per asset.

    Raises
    ------
    DataError
        When ``returns`` is empty or not numeric, or a period has no observations.
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise DataError(f"returns must be a non-empty Series or DataFrame (got {type(returns).__name__})")
    for col in frame.columns:
        check_returns(frame[col], f"returns[{col!r}]", min_obs=1)
    rows = {}
    for name, (start, end) in periods.items():
        part = frame.loc[start:end]
        if part.empty:
            raise DataError(f"periods[{name!r}] = ({start!r}, {end!r}) has no observations; "
                            f"use dates between {frame.index[0]} and {frame.index[-1]}")
        rows[name] = (1.0 + part).prod() - 1.0
    return pd.DataFrame(rows).T


def apply_shocks(position: Any, shocks: Any) -> pd.DataFrame:
    """P&L of a position (values by asset) under scenarios of simple-return shocks.

    ``position``: Series of market values by asset (or a number for one asset).
    ``shocks``: a dict or Series (one scenario) or a DataFrame (rows = scenarios, columns =
    assets; assets missing from a scenario are not shocked). Returns one row per scenario with
    ``pnl``, ``pnl_pct`` and the P&L by asset.

    Parameters
    ----------
    position : pd.Series, mapping or float
        Market value by asset, or one number for a single asset.
    shocks : dict, pd.Series or pd.DataFrame
        Simple-return shocks by asset, one scenario or one row per scenario.

    Returns
    -------
    pd.DataFrame
        One row per scenario: pnl, pnl_pct and the P&L of each asset.

    Raises
    ------
    DataError
        When the position is not finite, the shocks have another type, or a shock names an
        asset that is not in the position.

    Examples
    --------
    >>> apply_shocks({"equity": 600.0, "bonds": 400.0}, {"equity": -0.3, "bonds": 0.05})["pnl"].tolist()
    [-160.0]
    """
    # np.isscalar narrows to numpy's scalar union, which float() does not accept in the stubs
    pos: pd.Series = (pd.Series({"asset": float(cast(SupportsFloat, position))}) if np.isscalar(position)
                      else pd.Series(position, dtype=float))
    if pos.empty or not np.all(np.isfinite(pos.to_numpy())):
        raise DataError(f"position must hold finite values by asset (got position={short_repr(position)})")
    if isinstance(shocks, pd.DataFrame):
        frame = shocks.astype(float)
    elif isinstance(shocks, (dict, pd.Series)):
        s = pd.Series(shocks, dtype=float)
        if np.isscalar(position) and "asset" not in s.index and len(s) == 1:
            s.index = ["asset"]
        frame = s.to_frame("shock").T
    else:
        raise DataError(f"shocks must be a dict, Series or DataFrame of returns (got {type(shocks).__name__})")
    unknown = [c for c in frame.columns if c not in pos.index]
    if unknown:
        raise DataError(f"shocks name assets not in the position (got {short_repr(unknown)}); "
                        f"use the position's assets {short_repr(list(pos.index))}")
    if (frame < -1).any().any():
        raise DataError("shocks must be simple returns >= -1 (a price cannot fall below zero); "
                        f"got a minimum of {float(frame.min().min())!r}")
    pnl_by_asset = frame.reindex(columns=pos.index).fillna(0.0) * pos
    out = pnl_by_asset.add_prefix("pnl_")
    out.insert(0, "pnl_pct", pnl_by_asset.sum(axis=1) / float(pos.abs().sum()))
    out.insert(0, "pnl", pnl_by_asset.sum(axis=1))
    return out
