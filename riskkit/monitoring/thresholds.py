"""Dynamic thresholds on monitoring indicators and the evaluation of the warnings they raise.

The charts themselves (:class:`~riskkit.grading.DynamicThreshold`: EWMA, CUSUM, rolling
quantile) live in :mod:`riskkit.grading` beside the early warning that uses them; this module
applies them to a table of monthly indicators and measures them: false-alarm rate per
indicator-month, detection delay after a known change, and hit rate, false-alarm rate, lead time
and noise-to-signal against realised losses (reusing :meth:`riskkit.grading.EarlyWarning.evaluate_history`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import check_in_range, check_positive_int, short_repr
from riskkit.exceptions import DataError, ParameterError
from riskkit.grading import LEVELS, DynamicThreshold, EarlyWarning, Indicator, level_code

__all__ = [
    "DynamicThreshold",
    "alarm_levels",
    "detection_delay",
    "evaluate_warnings",
    "false_alarm_rate",
    "loss_events",
]


def _frame(history: Any) -> pd.DataFrame:
    if not isinstance(history, pd.DataFrame) or history.empty:
        raise DataError(f"history must be a non-empty DataFrame, one column per indicator (got {short_repr(history)})")
    return history


def alarm_levels(
    history: pd.DataFrame,
    charts: Mapping[str, DynamicThreshold],
    *,
    directions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Level code (0 none, 1 blue ... 4 red) of each indicator's chart at every month.

    Parameters
    ----------
    history
        One row per month (oldest first), one column per indicator.
    charts
        Indicator name -> chart; every name must be a column of ``history``.
    directions
        Indicator name -> ``above`` / ``below`` (default ``above``).

    Returns
    -------
    pandas.DataFrame
        Same index as ``history``, one integer column per charted indicator.

    Raises
    ------
    DataError
        When an indicator has no column or its history is shorter than the chart's warm-up.
    """
    frame = _frame(history)
    missing = [n for n in charts if n not in frame.columns]
    if missing:
        raise DataError(f"history has no column for indicator(s) {missing} (got columns {list(frame.columns)})")
    dirs = dict(directions or {})
    out = {n: chart.level_codes(frame[n].reset_index(drop=True), dirs.get(n, "above")) for n, chart in charts.items()}
    return pd.DataFrame(out, index=frame.index)


def false_alarm_rate(levels: pd.DataFrame, *, level: str = "red", start: Any = None, end: Any = None) -> pd.Series:
    """Share of indicator-months at ``level`` or worse between ``start`` and ``end`` (inclusive).

    Parameters
    ----------
    levels
        Level codes from :func:`alarm_levels` (months without a change: every alarm is false).
    level
        Level name.
    start, end
        Index labels bounding the months counted (None: from the first / to the last).

    Returns
    -------
    pandas.Series
        Per indicator, plus ``all`` (pooled over indicators).

    Raises
    ------
    ParameterError
        For an unknown level.
    """
    code = level_code(level, "level")
    sel = _frame(levels).loc[start:end]
    if sel.empty:
        raise DataError(f"no month between start={start!r} and end={end!r}")
    hit = sel >= code
    out = hit.mean()
    out["all"] = float(hit.to_numpy().mean())
    return out.rename("false_alarm_rate")


def detection_delay(levels: pd.DataFrame, change: Any, *, level: str = "red") -> pd.Series:
    """Months from ``change`` to the first month at ``level`` or worse, per indicator (NaN: never).

    Parameters
    ----------
    levels
        Level codes from :func:`alarm_levels`.
    change
        Index label of the first month of the change (e.g. the documented drift month).
    level
        Level name.

    Returns
    -------
    pandas.Series
        Delay in months (0 = the change month itself) per indicator, plus ``any`` (the first
        indicator to reach the level).

    Raises
    ------
    DataError
        When ``change`` is not in the index.
    """
    frame = _frame(levels)
    code = level_code(level, "level")
    if change not in frame.index:
        raise DataError(f"change must be a month of the history (got change={change!r})")
    pos = frame.index.get_loc(change)
    after = frame.iloc[pos:] >= code
    delays = {}
    for name in frame.columns:
        hits = np.flatnonzero(after[name].to_numpy())
        delays[name] = float(hits[0]) if hits.size else np.nan
    anyhit = np.flatnonzero(after.any(axis=1).to_numpy())
    delays["any"] = float(anyhit[0]) if anyhit.size else np.nan
    return pd.Series(delays, name="detection_delay")


def loss_events(rates: pd.Series, *, baseline_months: int = 12, excess: float = 0.5, skip: int = 0) -> pd.Series:
    """Months with excess realised losses: the rate above ``(1 + excess)`` x its baseline mean.

    Parameters
    ----------
    rates
        Realised loss rate by month (e.g. ``delinquency_rates(...)["chargeoff_rate"]``).
    baseline_months
        Months (after ``skip``) whose mean is the normal loss rate.
    excess
        Relative excess over the baseline mean that counts as a loss event (0.5 = 50% above).
    skip
        First months left out of the baseline (the book's seasoning).

    Returns
    -------
    pandas.Series
        Boolean per month (False during the skipped and baseline months).

    Raises
    ------
    DataError
        When the series is shorter than ``skip + baseline_months``.
    """
    if not isinstance(rates, pd.Series):
        raise DataError(f"rates must be a Series by month (got {short_repr(rates)})")
    n = check_positive_int(baseline_months, "baseline_months", minimum=2, hint="e.g. 12")
    s = check_positive_int(skip, "skip", minimum=0, hint="e.g. 12 to leave out the seasoning months")
    x = check_in_range(excess, "excess", 0.0, 100.0, low_open=True, hint="a relative excess such as 0.5")
    if len(rates) < s + n:
        raise DataError(f"rates has {len(rates)} months; need at least skip + baseline_months = {s + n}")
    base = float(rates.iloc[s:s + n].mean())
    event = (rates > (1.0 + x) * base).fillna(False).astype(bool)
    event.iloc[: s + n] = False
    return event.rename("loss_event")


def evaluate_warnings(
    history: pd.DataFrame,
    losses: pd.Series,
    charts: Mapping[str, DynamicThreshold] | EarlyWarning,
    *,
    directions: Mapping[str, str] | None = None,
    horizon: int = 6,
    min_level: str = "red",
) -> pd.DataFrame:
    """Hit rate, false-alarm rate, detection rate, noise-to-signal and lead time of the warnings.

    The levels and rates come from :meth:`riskkit.grading.EarlyWarning.evaluate_history` (a
    breach at t is a hit when a loss event occurs in t+1 .. t+horizon; noise-to-signal of
    Kaminsky, Lizondo and Reinhart 1998). Lead time: for each loss episode (a run of loss
    months), the months between the first warning in the ``horizon`` months before its start
    and the start; ``lead_time`` is its mean over detected episodes.

    Parameters
    ----------
    history
        Indicators by month, oldest first.
    losses
        Boolean loss events on the same index (see :func:`loss_events`).
    charts
        Indicator name -> dynamic chart, or an :class:`~riskkit.grading.EarlyWarning` whose
        indicators (static thresholds and dynamic charts) are evaluated on the columns of
        ``history`` they name.
    directions
        Indicator name -> direction (default ``above``; ignored for an EarlyWarning).
    horizon
        Months a warning looks ahead.
    min_level
        Lowest level counted as a warning.

    Returns
    -------
    pandas.DataFrame
        One row per indicator plus ``any``: signals, hits, false_alarms, missed, quiet,
        hit_rate, false_alarm_rate, detection_rate, noise_to_signal, episodes,
        episodes_detected, lead_time.

    Raises
    ------
    DataError
        For misaligned inputs.
    """
    frame = _frame(history)
    if not isinstance(losses, pd.Series) or not losses.index.equals(frame.index):
        raise DataError("losses must be a Series on the index of history (one flag per month)")
    if min_level not in LEVELS:
        raise ParameterError(f"min_level must be one of {list(LEVELS)} (got min_level={min_level!r})")
    if isinstance(charts, EarlyWarning):
        warning = charts
        items = warning.indicators.values() if isinstance(warning.indicators, Mapping) else warning.indicators
        names = [i.name for i in items if i.name in frame.columns]
    else:
        dirs = dict(directions or {})
        warning = EarlyWarning([Indicator(name=n, direction=dirs.get(n, "above"), thresholds={}, dynamic=c)
                                for n, c in charts.items()])
        names = list(charts)
    if not names:
        raise DataError(f"history has no column of any indicator to evaluate (got columns {list(frame.columns)})")
    result = warning.evaluate_history(frame[names], losses.astype(bool), horizon=horizon, min_level=min_level)
    table = result.table.copy()
    signal = result.levels >= level_code(min_level)
    event = losses.astype(bool).to_numpy()
    starts = np.flatnonzero(event & ~np.r_[False, event[:-1]])
    table["episodes"] = len(starts)
    for name in table.index:
        s = signal[name].to_numpy()
        leads = []
        for t0 in starts:
            window = np.flatnonzero(s[max(0, t0 - horizon):t0])
            if window.size:
                leads.append(t0 - (max(0, t0 - horizon) + window[0]))
        table.loc[name, "episodes_detected"] = len(leads)
        table.loc[name, "lead_time"] = float(np.mean(leads)) if leads else np.nan
    return table
