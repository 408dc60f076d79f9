"""Multi-asset rolling VaR backtests: ``rolling_var`` plus ``backtest_var`` for every series of a panel.

The per-series work is one pure function, :func:`backtest_series`, so every engine computes the
same numbers: :func:`panel_backtest` spreads the series over local processes here, and
``riskkit.app.spark.panel_backtest_spark`` runs the same function once per series in a Spark task
(``groupBy(series).applyInPandas``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from riskkit._results import Result
from riskkit._validation import check_alpha, short_repr
from riskkit.exceptions import DataError, ParameterError
from riskkit.market.backtest import backtest_var
from riskkit.market._rolling import rolling_var

__all__ = ["FORECAST_COLUMNS", "PanelBacktest", "SUMMARY_COLUMNS", "backtest_series", "long_panel",
           "panel_backtest", "summarise_series"]

#: Columns of the long forecast table (one row per series and forecast day).
FORECAST_COLUMNS = ["series", "date", "return", "var", "es", "hit"]
#: Columns of the summary table (one row per series).
SUMMARY_COLUMNS = ["series", "n_obs", "n_exceptions", "hit_rate", "expected_rate", "kupiec_pvalue",
                   "cc_pvalue", "traffic_light_zone", "traffic_light_exceptions"]


def long_panel(returns: Any, *, series: str = "series", date: str = "date", value: str = "return") -> pd.DataFrame:
    """A panel of returns as a long table with columns ``series, date, return``.

    Parameters
    ----------
    returns : DataFrame
        Wide (a date index, one column per series) or long (columns ``series``, ``date``,
        ``value`` as named by the keyword arguments).
    series, date, value : str
        Column names of the long form.

    Returns
    -------
    DataFrame
        Sorted by series and date, NaN returns dropped (a wide panel of series with different
        histories has NaN before each series starts).

    Raises
    ------
    DataError
        When ``returns`` is not a DataFrame, or a long table lacks a named column.
    """
    if not isinstance(returns, pd.DataFrame) or returns.empty:
        raise DataError(f"returns must be a non-empty DataFrame, wide or long (got {short_repr(returns)})")
    if {series, date, value} <= set(returns.columns):
        frame = returns[[series, date, value]].rename(columns={series: "series", date: "date", value: "return"})
    elif isinstance(returns.index, pd.DatetimeIndex):
        frame = returns.rename_axis("date").reset_index().melt(id_vars="date", var_name="series", value_name="return")
    else:
        raise DataError(f"returns must be wide (a DatetimeIndex, one column per series) or long with columns "
                        f"{[series, date, value]} (got columns {list(returns.columns)[:10]})")
    frame = frame.dropna(subset=["return"])
    frame["series"] = frame["series"].astype(str)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.sort_values(["series", "date"], kind="stable").reset_index(drop=True)


def backtest_series(name: str, returns: pd.Series, alpha: float, rolling: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rolling VaR/ES forecasts and their backtest for one series (single process).

    Parameters
    ----------
    name : str
        The series' name (copied into both outputs).
    returns : Series
        Daily returns with a date index.
    alpha : float
        VaR tail probability.
    rolling : mapping
        Keyword arguments of :func:`~riskkit.market.rolling_var` (``n_jobs`` is forced to 1).

    Returns
    -------
    (DataFrame, dict)
        The forecast rows (:data:`FORECAST_COLUMNS`) and the summary row (:data:`SUMMARY_COLUMNS`).
    """
    kwargs = {**dict(rolling), "alpha": alpha, "n_jobs": 1, "progress": False}
    # One BLAS thread, as in a Spark Python worker (PySpark sets OMP_NUM_THREADS to the task's
    # cores): threaded BLAS sums in another order, so every engine must use the same setting to
    # give identical numbers (and one series per process needs no nested threads).
    with threadpool_limits(limits=1):
        fc = rolling_var(returns, **kwargs)
    r = returns.loc[fc.index]
    forecasts = pd.DataFrame({"series": name, "date": fc.index, "return": r.to_numpy(), "var": fc["var"].to_numpy(),
                              "es": fc["es"].to_numpy()})
    row, hits = summarise_series(forecasts, alpha)
    forecasts["hit"] = hits
    return forecasts[FORECAST_COLUMNS], row


def summarise_series(forecasts: pd.DataFrame, alpha: float) -> tuple[dict[str, Any], np.ndarray]:
    """The backtest summary row of one series' forecasts (columns series, date, return, var, es).

    Returns
    -------
    (dict, ndarray)
        The summary row (:data:`SUMMARY_COLUMNS`) and the exception indicator per day.
    """
    idx = pd.DatetimeIndex(forecasts["date"])
    r = pd.Series(forecasts["return"].to_numpy(), index=idx)
    report = backtest_var(r, pd.Series(forecasts["var"].to_numpy(), index=idx), alpha,
                          es=pd.Series(forecasts["es"].to_numpy(), index=idx))
    row = {"series": str(forecasts["series"].iloc[0]), "n_obs": report.n_obs, "n_exceptions": report.n_exceptions,
           "hit_rate": report.hit_rate, "expected_rate": alpha, "kupiec_pvalue": report.kupiec.pvalue,
           "cc_pvalue": report.conditional_coverage.pvalue, "traffic_light_zone": report.traffic_light.zone,
           "traffic_light_exceptions": report.traffic_light.exceptions}
    return row, report.hits.to_numpy().astype(bool)


def _one(args: tuple[str, pd.Series, float, dict[str, Any]]) -> tuple[pd.DataFrame, dict[str, Any]]:
    return backtest_series(*args)


@dataclass(frozen=True, repr=False)
class PanelBacktest(Result):
    """Forecasts and backtest summary of every series of a panel (built by :func:`panel_backtest`).

    Attributes
    ----------
    forecasts : pd.DataFrame
        One row per series and forecast day: :data:`FORECAST_COLUMNS`.
    table : pd.DataFrame
        One row per series: :data:`SUMMARY_COLUMNS`, in series order.
    """

    forecasts: pd.DataFrame
    """One row per series and forecast day: :data:`FORECAST_COLUMNS`."""
    table: pd.DataFrame
    """One row per series: :data:`SUMMARY_COLUMNS`, in series order."""

    def summary(self) -> pd.DataFrame:
        """The backtest of each series.

        Returns
        -------
        DataFrame
            One row per series, indexed by series: :data:`SUMMARY_COLUMNS`.
        """
        return self.table.set_index("series")

    def to_frame(self) -> pd.DataFrame:
        """The forecasts, one row per series and day (a copy)."""
        return self.forecasts.copy()

    def _headline(self) -> str:
        ok = int(((self.table["kupiec_pvalue"] >= 0.05) & (self.table["cc_pvalue"] >= 0.05)).sum())
        zones = ", ".join(f"{n} {z}" for z, n in self.table["traffic_light_zone"].value_counts().items())
        return f"{len(self.table)} series, {ok} pass Kupiec and conditional coverage at 5%; traffic light: {zones}"


def _check_min_length(frame: pd.DataFrame, window: int) -> None:
    counts = frame.groupby("series").size()
    short = counts[counts <= window]
    if len(short):
        raise DataError(f"series {list(short.index)[:5]} have {int(short.min())} returns or fewer, not more than "
                        f"window={window}; drop them or use a shorter window")


def panel_backtest(returns: Any, alpha: float = 0.01, *, n_jobs: int | None = -1, series: str = "series",
                   date: str = "date", value: str = "return", **rolling: Any) -> PanelBacktest:
    """``rolling_var`` and ``backtest_var`` for every series of a panel, over local processes.

    Parameters
    ----------
    returns : DataFrame
        Wide (date index, one column per series) or long (``series``, ``date``, ``value`` columns).
    alpha : float
        VaR tail probability (0.01 is 99% VaR).
    n_jobs : int or None
        Worker processes (one series per task); -1 or None means every core, 1 runs in this
        process. The numbers do not depend on it.
    series, date, value : str
        Column names of a long table.
    **rolling
        Keyword arguments of :func:`~riskkit.market.rolling_var` (model, dist, window,
        refit_every, method, ...).

    Returns
    -------
    PanelBacktest

    Raises
    ------
    DataError
        When the panel is malformed or a series is not longer than the window.
    ParameterError
        For a bad ``alpha`` or ``n_jobs``, or ``alpha``/``n_jobs`` given inside ``rolling``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from riskkit.market import panel_backtest
    >>> rng = np.random.default_rng(0)
    >>> days = pd.bdate_range("2020-01-01", periods=400)
    >>> wide = pd.DataFrame(rng.standard_t(5, (400, 2)) * 0.01, index=days, columns=["a", "b"])
    >>> result = panel_backtest(wide, 0.05, model="normal", dist="normal", window=250, n_jobs=1)
    >>> result.table[["series", "n_obs"]].to_dict("list")
    {'series': ['a', 'b'], 'n_obs': [150, 150]}
    """
    a = check_alpha(alpha)
    for reserved in ("alpha", "n_jobs", "progress"):
        if reserved in rolling:
            raise ParameterError(f"{reserved} is set by panel_backtest itself (got {reserved}={rolling[reserved]!r} "
                                 "in the rolling_var options); pass alpha= and n_jobs= directly")
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0
                               or n_jobs < -1):
        raise ParameterError(f"n_jobs must be a positive integer, -1 or None (got n_jobs={n_jobs!r})")
    frame = long_panel(returns, series=series, date=date, value=value)
    _check_min_length(frame, int(rolling.get("window", 1000)))
    tasks = [(str(name), grp.set_index("date")["return"], a, dict(rolling))
             for name, grp in frame.groupby("series", sort=True)]
    workers = (os.cpu_count() or 1) if n_jobs in (None, -1) else int(n_jobs)
    workers = max(1, min(workers, len(tasks)))
    if workers == 1:
        results = [_one(t) for t in tasks]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_one, tasks))
    forecasts = pd.concat([r[0] for r in results], ignore_index=True)[FORECAST_COLUMNS]
    table = pd.DataFrame([r[1] for r in results], columns=SUMMARY_COLUMNS)
    return PanelBacktest(forecasts, table)
