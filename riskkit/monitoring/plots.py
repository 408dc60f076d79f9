"""Figures for portfolio monitoring, one per analytic.

Every function takes the tidy table its analytic returns, builds a
:class:`matplotlib.figure.Figure` directly (Agg canvas, no pyplot state, no backend switch) and
returns it; nothing is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from riskkit._figures import new_figure
from riskkit._validation import check_choice, short_repr
from riskkit.exceptions import DataError

__all__ = [
    "calibration_by_grade",
    "cohort_performance",
    "concentration",
    "control_chart",
    "delinquency",
    "flow_rates",
    "roll_rate_heatmap",
    "stability",
    "vintage_curves",
]

_LEVEL_COLOURS = {"blue": "#1e88e5", "yellow": "#fdd835", "orange": "#fb8c00", "red": "#d32f2f"}


def _figure(width: float = 7.0, height: float = 4.5) -> Figure:
    # a RiskFigure shows itself as a cell's last expression or through display() in Jupyter
    return new_figure(width, height)


def _need(frame: Any, columns: Sequence[str], name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise DataError(f"{name} must be a non-empty DataFrame (got {short_repr(frame)})")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{name} lacks column(s) {missing}; pass the table the matching riskkit.monitoring function returns")
    return frame


def vintage_curves(table: pd.DataFrame, *, metric: str = "rate_30plus", every: int = 3) -> Figure:
    """Cumulative bad rate by months on book, one line per cohort (every ``every``-th cohort).

    Parameters
    ----------
    table
        Output of :func:`riskkit.monitoring.vintage_curves`.
    metric
        ``rate_30plus``, ``rate_90plus`` or ``rate_default``.
    every
        Plot one cohort in ``every`` (colour from early = light to late = dark).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    DataError
        When the table lacks the columns.
    """
    check_choice(metric, "metric", ("rate_30plus", "rate_90plus", "rate_default"))
    frame = _need(table, ["origination_month", "months_on_book", metric], "table")
    fig = _figure()
    ax = fig.add_subplot()
    cohorts = sorted(frame["origination_month"].unique())[:: max(1, int(every))]
    cmap = colormaps["viridis"]
    colours = [cmap(i / max(1, len(cohorts) - 1)) for i in range(len(cohorts))]
    for colour, cohort in zip(colours, cohorts, strict=True):
        g = frame[frame["origination_month"] == cohort]
        ax.plot(g["months_on_book"], g[metric], color=colour, lw=1.2, label=f"{pd.Timestamp(cohort):%Y-%m}")
    ax.set_xlabel("months on book")
    ax.set_ylabel(metric.replace("rate_", "cumulative ").replace("plus", "+") + " rate")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.legend(title="cohort", fontsize=7, ncol=2, loc="upper left", frameon=False)
    ax.set_title("Vintage curves")
    return fig


def roll_rate_heatmap(matrix: pd.DataFrame) -> Figure:
    """Roll-rate matrix as a heat map with the rate in each cell.

    Parameters
    ----------
    matrix
        Output of :func:`riskkit.monitoring.roll_rate_matrix`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    DataError
        When the matrix is empty.
    """
    if not isinstance(matrix, pd.DataFrame) or matrix.empty:
        raise DataError(f"matrix must be a non-empty roll-rate matrix (got {short_repr(matrix)})")
    fig = _figure(8.0, 4.5)
    ax = fig.add_subplot()
    values = matrix.to_numpy(dtype=float)
    im = ax.imshow(values, cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(values.shape[1]), list(matrix.columns), rotation=30, ha="right")
    ax.set_yticks(range(values.shape[0]), list(matrix.index))
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if values[i, j] > 0:
                ax.text(j, i, f"{values[i, j]:.1%}", ha="center", va="center", fontsize=7,
                        color="white" if values[i, j] > 0.5 else "black")
    ax.set_xlabel("status this month")
    ax.set_ylabel("status last month")
    fig.colorbar(im, ax=ax, label="share of loans")
    ax.set_title("Roll rates")
    return fig


def flow_rates(table: pd.DataFrame) -> Figure:
    """Flow rates by month, one line per step of the delinquency chain.

    Parameters
    ----------
    table
        Output of :func:`riskkit.monitoring.flow_rates`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _need(table, ["snapshot_month", "from", "to", "rate"], "table")
    fig = _figure()
    ax = fig.add_subplot()
    for (a, b), g in frame.groupby(["from", "to"], sort=False):
        ax.plot(g["snapshot_month"], g["rate"], lw=1.2, label=f"{a} -> {b}")
    ax.set_ylabel("flow rate")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Flow rates (balance)")
    return fig


def delinquency(table: pd.DataFrame) -> Figure:
    """Delinquency (30+, 90+) and monthly charge-off rates by month.

    Parameters
    ----------
    table
        Output of :func:`riskkit.monitoring.delinquency_rates`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _need(table, ["dq30_rate", "dq90_rate", "chargeoff_rate"], "table")
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(frame.index, frame["dq30_rate"], label="30+ dpd (balance)")
    ax.plot(frame.index, frame["dq90_rate"], label="90+ dpd (balance)")
    ax.plot(frame.index, frame["chargeoff_rate"], label="charge-off (monthly)")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.1%}")
    ax.legend(frameon=False)
    ax.set_title("Delinquency and charge-off rates")
    return fig


def stability(table: pd.DataFrame, *, warn: float = 0.1, alarm: float = 0.25) -> Figure:
    """PSI of the score (and CSI of features) by month, with the 0.1 / 0.25 rule-of-thumb lines.

    Parameters
    ----------
    table
        Output of :func:`riskkit.monitoring.stability_by_month`.
    warn, alarm
        Reference lines.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _need(table, ["psi_score"], "table")
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(frame.index, frame["psi_score"], lw=2, color="black", label="PSI score")
    for column in [c for c in frame.columns if c.startswith("csi_")]:
        ax.plot(frame.index, frame[column], lw=1, alpha=0.7, label=column.replace("csi_", "CSI "))
    ax.axhline(warn, color=_LEVEL_COLOURS["yellow"], ls="--", lw=1)
    ax.axhline(alarm, color=_LEVEL_COLOURS["red"], ls="--", lw=1)
    ax.legend(fontsize=7, ncol=2, frameon=False)
    ax.set_title("Population stability against the development sample")
    return fig


def cohort_performance(table: pd.DataFrame) -> Figure:
    """Observed against predicted default rate per cohort (top) and AUC / KS (bottom).

    Parameters
    ----------
    table
        Output of :func:`riskkit.monitoring.cohort_performance`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _need(table, ["default_rate", "mean_pd", "auc", "ks", "binomial_pvalue"], "table")
    fig = _figure(7.0, 6.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(frame.index, frame["mean_pd"], label="predicted (mean PD)", color="grey")
    top.plot(frame.index, frame["default_rate"], label="observed", color="black", marker="o", ms=3)
    rejected = frame["binomial_pvalue"] < 0.05
    top.scatter(frame.index[rejected], frame["default_rate"][rejected], color=_LEVEL_COLOURS["red"], zorder=3,
                label="binomial test rejects (5%)")
    top.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    top.legend(fontsize=8, frameon=False)
    top.set_title("Realised default within the horizon, by cohort")
    bottom.plot(frame.index, frame["auc"], label="AUC")
    bottom.plot(frame.index, frame["ks"], label="KS")
    bottom.legend(fontsize=8, frameon=False)
    return fig


def calibration_by_grade(table: pd.DataFrame) -> Figure:
    """Predicted PD and observed default rate per grade (log scale), rejected grades marked.

    Parameters
    ----------
    table
        ``CalibrationResult.table`` from :func:`riskkit.monitoring.grade_calibration`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _need(table, ["pd", "default_rate", "binomial_pvalue", "n"], "table")
    fig = _figure()
    ax = fig.add_subplot()
    x = np.arange(len(frame))
    ax.bar(x - 0.2, frame["pd"], width=0.4, color="grey", label="predicted PD")
    colours = [_LEVEL_COLOURS["red"] if p < 0.05 else "black" for p in frame["binomial_pvalue"]]
    ax.bar(x + 0.2, frame["default_rate"], width=0.4, color=colours, label="observed (red: binomial test rejects)")
    ax.set_xticks(x, [f"{g}\n(n={n})" for g, n in zip(frame.index, frame["n"], strict=True)], fontsize=7)
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("grade")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Calibration per grade")
    return fig


def concentration(table: pd.DataFrame) -> Figure:
    """Share per segment against its limit, one panel per dimension.

    Parameters
    ----------
    table
        Output of :func:`riskkit.monitoring.concentration_table`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _need(table, ["dimension", "segment", "share", "limit", "breach", "hhi"], "table")
    dims = list(dict.fromkeys(frame["dimension"]))
    fig = _figure(4.0 * len(dims), 4.0)
    axes = np.atleast_1d(fig.subplots(1, len(dims)))
    for ax, dim in zip(axes, dims, strict=True):
        g = frame[frame["dimension"] == dim]
        x = np.arange(len(g))
        ax.bar(x, g["share"], color=[_LEVEL_COLOURS["red"] if b else "#607d8b" for b in g["breach"]])
        ax.scatter(x, g["limit"], marker="_", s=400, color="black", label="limit")
        ax.set_xticks(x, list(g["segment"]), rotation=30, ha="right")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_title(f"{dim}: HHI {g['hhi'].iloc[0]:.3f}")
    return fig


def control_chart(evaluation: pd.DataFrame, *, method: str = "ewma", title: str = "", change: Any = None) -> Figure:
    """An indicator, its chart statistic and the limits per level, with the red months marked.

    Parameters
    ----------
    evaluation
        Output of :meth:`riskkit.grading.DynamicThreshold.evaluate`.
    method
        The chart's method (``ewma``, ``cusum``, ``quantile``): a CUSUM statistic is drawn on its
        own axis (sd units).
    title
        Figure title (e.g. the indicator).
    change
        Optional index label of a known change (drawn as a vertical line).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    DataError
        When the table lacks the columns.
    """
    check_choice(method, "method", ("ewma", "cusum", "quantile"))
    frame = _need(evaluation, ["value", "statistic", "level_code"], "evaluation")
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(frame.index, frame["value"], color="grey", lw=1, label="indicator")
    limits = [c for c in frame.columns if c.startswith("limit_")]
    target = ax
    if method == "cusum":
        target = ax.twinx()
        target.set_ylabel("CUSUM statistic (sd)")
    if method != "quantile":
        target.plot(frame.index, frame["statistic"], color="black", lw=1.5, label=f"{method} statistic")
    for c in limits:
        target.plot(frame.index, frame[c], color=_LEVEL_COLOURS[c[6:]], ls="--", lw=1, label=f"{c[6:]} limit")
    red = (frame["level_code"] >= 4).to_numpy()
    ax.scatter(frame.index[red], frame["value"][red], color=_LEVEL_COLOURS["red"], zorder=3, label="red month")
    if change is not None:
        ax.axvline(change, color="purple", lw=1, ls=":")
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    if method == "cusum":
        target.legend(fontsize=7, frameon=False, loc="upper right")
    ax.set_title(title or f"{method} control chart")
    return fig
