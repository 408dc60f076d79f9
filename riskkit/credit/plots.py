"""Figures for credit model validation.

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas (no pyplot
state) that displays itself as a PNG in Jupyter (last expression of a cell or ``display(fig)``),
so it can be saved, logged (``tracking.log_figure``) or shown in a notebook. Conventions follow :mod:`riskkit.credit.metrics`: ``y`` is 1 = bad and ``p`` the
probability of bad (or any score where higher is riskier, unless ``higher_is_riskier=False``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskkit._figures import new_figure
from riskkit._validation import check_positive_int, short_repr
from riskkit.credit import metrics
from riskkit.exceptions import DataError, NotFittedError, ParameterError

__all__ = ["calibration_plot", "ks_curve", "roc_curve", "roc_curves", "score_distribution", "woe_bars"]

BAD_COLOUR = "#c0392b"
GOOD_COLOUR = "#2e86c1"


def _figure(width: float = 6.0, height: float = 4.5, nrows: int = 1, ncols: int = 1) -> tuple[Figure, Any]:
    fig = new_figure(width, height)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _oriented_pair(y: Any, p: Any, higher_is_riskier: bool) -> tuple[np.ndarray, np.ndarray]:
    target, scores = metrics._check_pair(y, p)
    return target, metrics._oriented(scores, higher_is_riskier)


def roc_curve(y: Any, p: Any, *, higher_is_riskier: bool = True, label: str | None = None) -> Figure:
    """ROC curve (bads caught against goods rejected) with AUC and Gini in the legend.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Probability of bad, or any score ordered by risk.
    higher_is_riskier : bool, default True
        Orientation of ``p``; False for scorecard points.
    label : str, optional
        Model name shown in the legend.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (it displays itself in Jupyter; no global pyplot state is touched).

    Raises
    ------
    DataError
        When ``y`` is not binary or ``p`` is not a finite array of the same length.
    """
    target, scores = _oriented_pair(y, p, higher_is_riskier)
    _, bad_share, good_share = metrics._cumulative_shares(target, scores)
    area = metrics.auc(target, scores)
    fig, axes = _figure()
    ax = axes[0, 0]
    name = f"{label}: " if label else ""
    ax.plot(np.r_[0.0, good_share], np.r_[0.0, bad_share], color=BAD_COLOUR,
            label=f"{name}AUC {area:.3f}, Gini {2 * area - 1:.3f}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="random")
    ax.set(xlabel="false positive rate (share of goods)", ylabel="true positive rate (share of bads)",
           xlim=(0, 1), ylim=(0, 1.01), title="ROC curve")
    ax.legend(loc="lower right")
    return fig


def roc_curves(curves: Mapping[str, tuple[Any, Any]], *, higher_is_riskier: bool = True) -> Figure:
    """ROC curves of several samples on one chart, e.g. ``{"train": (y_train, p_train), "test": ...}``,
    each with its AUC and Gini in the legend, so overfitting shows as a gap between the curves.

    Parameters
    ----------
    curves : mapping of str to (y, p)
        Label -> outcomes (1 = bad) and probabilities of bad (or riskier-is-higher scores).
    higher_is_riskier : bool
        False when ``p`` are points where higher is safer.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        When ``curves`` is empty.
    DataError
        When a pair is not a binary target with scores of the same length.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ParameterError(f"curves must be a non-empty mapping label -> (y, p) (got {short_repr(curves)})")
    fig, axes = _figure()
    ax = axes[0, 0]
    colours = [GOOD_COLOUR, BAD_COLOUR, "#7d3c98", "#229954", "#b7950b"]
    for i, (label, (y, p)) in enumerate(curves.items()):
        target, scores = _oriented_pair(y, p, higher_is_riskier)
        _, bad_share, good_share = metrics._cumulative_shares(target, scores)
        area = metrics.auc(target, scores)
        ax.plot(np.r_[0.0, good_share], np.r_[0.0, bad_share], color=colours[i % len(colours)],
                label=f"{label}: AUC {area:.3f}, Gini {2 * area - 1:.3f}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="random")
    ax.set(xlabel="false positive rate (share of goods)", ylabel="true positive rate (share of bads)",
           xlim=(0, 1), ylim=(0, 1.01), title="ROC curve")
    ax.legend(loc="lower right")
    return fig


def ks_curve(y: Any, p: Any, *, higher_is_riskier: bool = True) -> Figure:
    """Cumulative shares of bads and goods from the riskiest score down, with the KS gap.

    Parameters
    ----------
    y : array-like of 0/1
        Target, 1 = bad.
    p : array-like of float
        Probability of bad, or any score ordered by risk.
    higher_is_riskier : bool, default True
        Orientation of ``p``; False for scorecard points.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (it displays itself in Jupyter; no global pyplot state is touched).

    Raises
    ------
    DataError
        When ``y`` is not binary or ``p`` is not a finite array of the same length.
    """
    target, scores = _oriented_pair(y, p, higher_is_riskier)
    thresholds, bad_share, good_share = metrics._cumulative_shares(target, scores)
    population = np.r_[0.0, np.cumsum(np.unique(-scores, return_counts=True)[1]) / scores.size]
    gap = np.abs(bad_share - good_share)
    best = int(np.argmax(gap))
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.plot(population, np.r_[0.0, bad_share], color=BAD_COLOUR, label="bads")
    ax.plot(population, np.r_[0.0, good_share], color=GOOD_COLOUR, label="goods")
    x = population[best + 1]
    ax.vlines(x, good_share[best], bad_share[best], color="black", linestyle=":",
              label=f"KS {gap[best]:.3f}")
    ax.set(xlabel="share of applicants, riskiest first", ylabel="cumulative share",
           xlim=(0, 1), ylim=(0, 1.01), title="KS curve")
    ax.legend(loc="lower right")
    return fig


def score_distribution(scores: Any, y: Any, *, bins: int = 30) -> Figure:
    """Histograms (densities) of the scores of goods and bads on shared bins.

    Parameters
    ----------
    scores : array-like of float
        Score (or PD) of each row.
    y : array-like of 0/1
        Target, 1 = bad.
    bins : int, default 30
        Number of histogram bins (>= 2).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (it displays itself in Jupyter; no global pyplot state is touched).

    Raises
    ------
    DataError
        When ``y`` is not binary or ``p`` is not a finite array of the same length.
    ParameterError
        When ``bins`` is not an integer >= 2.
    """
    check_positive_int(bins, "bins", minimum=2, hint="use e.g. 30")
    target, values = metrics._check_pair(y, scores)
    edges = np.histogram_bin_edges(values, bins=bins)
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.hist(values[target == 0], bins=edges, density=True, alpha=0.55, color=GOOD_COLOUR,
            label=f"goods (n={int((target == 0).sum())})")
    ax.hist(values[target == 1], bins=edges, density=True, alpha=0.55, color=BAD_COLOUR,
            label=f"bads (n={int(target.sum())})")
    ax.set(xlabel="score", ylabel="density", title="Score distribution by class")
    ax.legend()
    return fig


def _bin_table(binner: Any, feature: str) -> pd.DataFrame:
    table = binner.table(feature)
    missing = {"bin", "woe"} - set(table.columns)
    if missing:
        raise DataError(
            f"binner.table({feature!r}) lacks columns {sorted(missing)}; pass a fitted WoEBinner"
        )
    rows = table[(table["bin"].astype(str) != "Totals") & (table.index.astype(str) != "Totals")]
    return rows


def _woe_features(binner: Any, features: str | Sequence[str] | None, top: int) -> list[str]:
    iv = getattr(binner, "iv_", None)
    if iv is None:
        raise NotFittedError(
            f"{type(binner).__name__} is not fitted yet (no iv_); call fit(X, y) before woe_bars"
        )
    if features is None:
        return list(pd.Series(iv).sort_values(ascending=False).index[:top])
    names = [features] if isinstance(features, str) else list(features)
    unknown = [f for f in names if f not in pd.Series(iv).index]
    if unknown:
        raise ParameterError(
            f"features must be binned features (got unknown {short_repr(unknown)}); "
            f"choose from {short_repr(list(pd.Series(iv).index), 120)}"
        )
    if not names:
        raise ParameterError("features is empty; give at least one feature name or None for the top ones")
    return names


def woe_bars(binner: Any, features: str | Sequence[str] | None = None, *, top: int = 6) -> Figure:
    """Weight of evidence per bin, one panel per feature (default: the ``top`` features by IV).

    ``binner`` is a fitted :class:`~riskkit.credit.WoEBinner` (anything with ``iv_`` and
    ``table(feature)`` returning ``bin`` and ``woe`` columns and a Totals row). WoE is
    ``ln(good share / bad share)``, so bars are coloured by sign: negative WoE (riskier than
    average) in red, positive (safer) in blue.

    Parameters
    ----------
    binner : WoEBinner
        A fitted binner.
    features : str or sequence of str, optional
        Features to show (default: the ``top`` by IV).
    top : int, default 6
        Number of features when ``features`` is None.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per feature.

    Raises
    ------
    NotFittedError
        When ``binner`` is not fitted.
    ParameterError
        When a feature was not binned or ``top`` is not a positive integer.
    """
    check_positive_int(top, "top", hint="show e.g. the 6 strongest features")
    names = _woe_features(binner, features, top)
    ncols = min(2, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = _figure(6.0 * ncols, 3.6 * nrows, nrows, ncols)
    iv = pd.Series(binner.iv_)
    for ax, name in zip(axes.ravel(), names, strict=False):
        table = _bin_table(binner, name)
        woe = table["woe"].astype(float).to_numpy()
        labels = [str(b) for b in table["bin"]]
        colours = [BAD_COLOUR if w < 0 else GOOD_COLOUR for w in woe]
        ax.bar(np.arange(len(woe)), woe, color=colours)
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xticks(np.arange(len(woe)), labels, rotation=35, ha="right", fontsize=7)
        ax.set(title=f"{name} (IV {float(iv[name]):.3f})", ylabel="WoE")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    return fig


def _calibration_input(table_or_y: Any, p: Any, bins: Any) -> pd.DataFrame:
    if isinstance(table_or_y, pd.DataFrame):
        if p is not None:
            raise ParameterError(
                "p must be None when a calibration table is given (got both); "
                "pass either calibration_table(y, p) or y and p"
            )
        needed = {"band", "mean_pd", "bad_rate", "count"}
        if needed - set(table_or_y.columns):
            raise DataError(
                f"table lacks columns {sorted(needed - set(table_or_y.columns))}; "
                "build it with metrics.calibration_table(y, p)"
            )
        table = table_or_y
    else:
        if p is None:
            raise ParameterError("p is missing (got y only); pass calibration_plot(y, p) or a table")
        table = metrics.calibration_table(table_or_y, p, bins=bins)
    return table[table["band"].astype(str) != "Totals"]


def calibration_plot(table_or_y: Any, p: Any = None, *, bins: int = 10) -> Figure:
    """Observed bad rate against mean predicted PD per band, with the diagonal.

    Pass a table from :func:`riskkit.credit.metrics.calibration_table` or ``y`` and ``p``
    (then ``bins`` quantile bands of ``p`` are used). Error bars are 95% normal-approximation
    intervals of the observed rate.

    Parameters
    ----------
    table_or_y : pd.DataFrame or array-like of 0/1
        A calibration table, or the target (1 = bad).
    p : array-like of float, optional
        Probability of bad, when ``table_or_y`` is the target.
    bins : int, default 10
        Number of quantile bands of ``p``.

    Returns
    -------
    matplotlib.figure.Figure
        The calibration chart.

    Raises
    ------
    ParameterError
        When ``p`` is given with a table, or missing with a target.
    DataError
        When the table lacks a column or ``y`` and ``p`` are invalid.
    """
    table = _calibration_input(table_or_y, p, bins)
    mean_pd = table["mean_pd"].astype(float).to_numpy()
    rate = table["bad_rate"].astype(float).to_numpy()
    count = table["count"].astype(float).to_numpy()
    half_width = 1.96 * np.sqrt(np.clip(mean_pd * (1 - mean_pd), 0, None) / count)
    fig, axes = _figure()
    ax = axes[0, 0]
    top = float(max(mean_pd.max(), rate.max(), 1e-3)) * 1.1
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    ax.errorbar(mean_pd, rate, yerr=half_width, fmt="o", color=BAD_COLOUR, capsize=3,
                label="observed bad rate (95% band)")
    ax.set(xlabel="mean predicted PD", ylabel="observed bad rate", xlim=(0, top), ylim=(0, top),
           title="Calibration by PD band")
    ax.legend(loc="upper left")
    return fig
