"""Figures for grading: risk heat map, inherent vs residual, grade distribution, migration matrix.

Every function builds a :class:`matplotlib.figure.Figure` directly (Agg canvas, no pyplot state)
and returns it; it displays itself as a PNG in Jupyter (last expression of a cell or ``display``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from riskkit._figures import new_figure
from riskkit._validation import check_choice
from riskkit.grading._levels import LEVELS

if TYPE_CHECKING:
    from riskkit.grading._master_scale import MasterScale, MigrationResult
    from riskkit.grading._matrix import RiskMatrix, RiskRegister
    from riskkit.grading._warning import EarlyWarning

__all__ = ["grade_distribution", "indicator_dashboard", "matrix_heatmap", "migration_heatmap",
           "residual_vs_inherent", "risk_heatmap"]

_LEVEL_COLOURS = ["#7cb342", "#fdd835", "#fb8c00", "#d32f2f", "#6a1b9a", "#212121"]


def _figure(width: float = 6.0, height: float = 5.0) -> Figure:
    return new_figure(width, height)


def _grid(fig: Figure, matrix: RiskMatrix) -> Any:
    codes = matrix.level_code(*np.meshgrid(np.arange(1, matrix._size() + 1), np.arange(1, matrix._size() + 1),
                                           indexing="ij"))
    levels = matrix.level_names
    ax = fig.add_subplot()
    cmap = ListedColormap(_LEVEL_COLOURS[: len(levels)])
    ax.imshow(codes, origin="lower", cmap=cmap, vmin=-0.5, vmax=len(levels) - 0.5,
              extent=(0.5, matrix._size() + 0.5, 0.5, matrix._size() + 0.5))
    ax.set_xticks(range(1, matrix._size() + 1))
    ax.set_yticks(range(1, matrix._size() + 1))
    ax.set_xlabel("impact")
    ax.set_ylabel("probability")
    ax.set_xlim(0.5, matrix._size() + 0.5)
    ax.set_ylim(0.5, matrix._size() + 0.5)
    handles = [Patch(color=_LEVEL_COLOURS[i], label=name) for i, name in enumerate(levels)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="level", frameon=False)
    return ax


def matrix_heatmap(matrix: RiskMatrix) -> Figure:
    """The risk matrix coloured by level, with the score in each cell."""
    fig = _figure()
    ax = _grid(fig, matrix)
    for p in range(1, matrix._size() + 1):
        for i in range(1, matrix._size() + 1):
            ax.text(i, p, str(p * i), ha="center", va="center", fontsize=9)
    ax.set_title("Risk matrix (probability x impact)")
    return fig


def risk_heatmap(register: RiskRegister, *, which: str = "residual") -> Figure:
    """Heat map: the matrix coloured by level, with the count and ids of the register's risks."""
    check_choice(which, "which", ["inherent", "residual"])
    table = register.table()
    matrix = register._matrix()
    p_col, i_col = ("probability", "impact") if which == "inherent" else ("residual_probability", "residual_impact")
    fig = _figure(7.0, 5.5)
    ax = _grid(fig, matrix)
    for (p, i), grp in table.groupby([p_col, i_col]):
        ids = list(grp["id"])
        label = f"{len(ids)}\n" + "\n".join(ids[:3]) + ("\n..." if len(ids) > 3 else "")
        ax.text(i, p, label, ha="center", va="center", fontsize=7)
    ax.set_title(f"Risk heat map ({which}, {len(table)} risks)")
    return fig


def residual_vs_inherent(register: RiskRegister) -> Figure:
    """Arrows from each risk's inherent to its residual position (controls' effect)."""
    table = register.table()
    matrix = register._matrix()
    fig = _figure(7.0, 5.5)
    ax = _grid(fig, matrix)
    rng = np.random.default_rng(0)  # fixed jitter so overlapping risks stay readable
    jitter = rng.uniform(-0.25, 0.25, size=(len(table), 2))
    for k, row in enumerate(table.itertuples(index=False)):
        x0, y0 = row.impact + jitter[k, 0], row.probability + jitter[k, 1]
        x1, y1 = row.residual_impact + jitter[k, 0], row.residual_probability + jitter[k, 1]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "#333333"})
        ax.plot([x0], [y0], "o", color="#333333", ms=3)
        ax.text(x1, y1, row.id, fontsize=6, ha="left", va="bottom")
    ax.set_title("Inherent (dot) to residual (arrow head) after controls")
    return fig


def grade_distribution(scale: MasterScale, values: Any, *, exposure: Any = None) -> Figure:
    """Bar chart of the share of obligors (and exposure) per grade."""
    dist = scale.distribution(values, exposure=exposure).drop(index="Totals")
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot()
    x = np.arange(len(dist))
    width = 0.4 if exposure is not None else 0.8
    ax.bar(x - (width / 2 if exposure is not None else 0), dist["share"], width, label="obligors")
    if exposure is not None:
        ax.bar(x + width / 2, dist["exposure_share"], width, label="exposure")
    ax.set_xticks(x, [str(g) for g in dist.index])
    ax.set_xlabel("grade")
    ax.set_ylabel("share")
    ax.legend(frameon=False)
    ax.set_title("Grade distribution")
    return fig


def migration_heatmap(result: MigrationResult) -> Figure:
    """Row-normalised migration matrix as a heat map with the rates in the cells."""
    rates = result.rates.fillna(0.0)
    fig = _figure(6.5, 5.5)
    ax = fig.add_subplot()
    im = ax.imshow(rates.to_numpy(), cmap="Blues", vmin=0.0, vmax=1.0)
    labels = [str(g) for g in rates.index]
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("grade at second snapshot")
    ax.set_ylabel("grade at first snapshot")
    for r in range(len(labels)):
        for c in range(len(labels)):
            v = float(rates.to_numpy()[r, c])
            if v > 0:
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if v > 0.5 else "black")
    fig.colorbar(im, ax=ax, label="migration rate")
    ax.set_title("Grade migration matrix")
    return fig


_WARNING_COLOURS = {"blue": "#1e88e5", "yellow": "#fdd835", "orange": "#fb8c00", "red": "#d32f2f"}


def indicator_dashboard(early_warning: EarlyWarning, values: dict[str, float]) -> Figure:
    """One panel per indicator: its value (dot) against its thresholds (coloured lines).

    Indicators without a value are drawn empty with "no value"; an indicator with a dynamic
    threshold is labelled with its method (its limits depend on its history and are not drawn).
    """
    indicators = early_warning._indicators()
    fig = _figure(7.0, 1.1 * len(indicators) + 0.8)
    axes = fig.subplots(len(indicators), 1, squeeze=False)[:, 0]
    for ax, (name, ind) in zip(axes, indicators.items(), strict=True):
        value = values.get(name)
        cuts = [float(ind.thresholds[lvl]) for lvl in LEVELS if lvl in ind.thresholds]
        has_value = value is not None and np.isfinite(value)
        points = cuts + ([float(value)] if has_value else [])  # type: ignore[arg-type]
        if not points:  # a dynamic-only indicator without a value: nothing to place
            points = [0.0, 1.0]
        pad = 0.15 * (max(points) - min(points) or abs(max(points)) or 1.0)
        ax.set_xlim(min(points) - pad, max(points) + pad)
        for lvl in LEVELS:
            if lvl in ind.thresholds:
                ax.axvline(float(ind.thresholds[lvl]), color=_WARNING_COLOURS[lvl], lw=3, label=lvl)
        if has_value:
            ax.plot([value], [0.5], "o", color="#212121", ms=9)
        else:
            ax.text(0.5, 0.5, "no value", transform=ax.transAxes, ha="center", va="center", color="#757575")
        if ind.dynamic is not None:  # its limits come from its history, not drawn here
            ax.text(0.99, 0.8, f"dynamic: {ind.dynamic.method}", transform=ax.transAxes, ha="right", va="center",
                    fontsize=7, color="#555555")
        ax.set_yticks([])
        ax.set_ylim(0, 1)
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Key risk indicators against their thresholds")
    return fig
