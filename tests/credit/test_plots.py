"""riskkit.credit.plots: every figure draws the numbers it claims to (checked against sklearn and
the metrics module), on the Agg canvas, without pyplot state."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve as sk_roc_curve

from riskkit.credit import WoEBinner, metrics, plots
from riskkit.data import german_credit
from riskkit.exceptions import DataError, NotFittedError, ParameterError


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    p = np.round(rng.beta(1.5, 5.0, 800), 3)
    y = (rng.uniform(size=p.size) < p).astype(int)
    return y, p


@pytest.fixture(scope="module")
def binner() -> WoEBinner:
    X, y = german_credit()
    return WoEBinner().fit(X, y)


def _check_figure(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert isinstance(fig.canvas, FigureCanvasAgg)
    fig.canvas.draw()  # renders without error


def test_no_pyplot_figures_are_created(sample: tuple[np.ndarray, np.ndarray]) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    y, p = sample
    plots.roc_curve(y, p)
    plots.calibration_plot(y, p)
    assert plt.get_fignums() == before
    assert matplotlib.get_backend()  # a backend is configured; figures never call show()


def test_roc_curve_matches_sklearn(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    fig = plots.roc_curve(y, p, label="test")
    _check_figure(fig)
    line = fig.axes[0].lines[0]
    # Reference: sklearn.metrics.roc_curve without dropping collinear points.
    fpr, tpr, _ = sk_roc_curve(y, p, drop_intermediate=False)
    np.testing.assert_allclose(line.get_xdata(), fpr, atol=1e-12)
    np.testing.assert_allclose(line.get_ydata(), tpr, atol=1e-12)
    assert f"AUC {metrics.auc(y, p):.3f}" in line.get_label()
    # points where higher = safer draw the same curve
    flipped = plots.roc_curve(y, -p, higher_is_riskier=False).axes[0].lines[0]
    np.testing.assert_allclose(flipped.get_ydata(), tpr, atol=1e-12)


def test_ks_curve_marks_the_ks_gap(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    fig = plots.ks_curve(y, p)
    _check_figure(fig)
    ax = fig.axes[0]
    bads, goods = ax.lines[0], ax.lines[1]
    gap = np.max(np.abs(np.asarray(bads.get_ydata()) - np.asarray(goods.get_ydata())))
    assert gap == pytest.approx(metrics.ks(y, p), abs=1e-12)
    assert f"KS {metrics.ks(y, p):.3f}" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert bads.get_xdata()[-1] == pytest.approx(1.0)


def test_score_distribution_histograms(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    scores = 600 - 28.85 * np.log(p / (1 - p))
    fig = plots.score_distribution(scores, y, bins=20)
    _check_figure(fig)
    patches = fig.axes[0].patches
    assert len(patches) == 40  # 20 bars per class
    widths = np.array([r.get_width() for r in patches[:20]])
    heights = np.array([r.get_height() for r in patches[:20]])
    assert float(np.sum(widths * heights)) == pytest.approx(1.0, abs=1e-9)  # density of goods
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [f"goods (n={int((y == 0).sum())})", f"bads (n={int(y.sum())})"]


def test_woe_bars_show_binner_woe(binner: WoEBinner) -> None:
    fig = plots.woe_bars(binner, top=3)
    _check_figure(fig)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    top3 = list(binner.iv_.sort_values(ascending=False).index[:3])
    assert [ax.get_title().split(" (IV")[0] for ax in visible] == top3
    table = binner.table(top3[0])
    woe = table.loc[table["bin"] != "Totals", "woe"].to_numpy()
    heights = np.array([r.get_height() for r in visible[0].patches])
    np.testing.assert_allclose(heights, woe, atol=1e-12)
    # riskier-than-average bins (negative WoE = ln(good share / bad share)) are drawn red
    red = np.array([r.get_facecolor()[:3] == matplotlib.colors.to_rgb(plots.BAD_COLOUR) for r in visible[0].patches])
    np.testing.assert_array_equal(red, woe < 0)
    one = plots.woe_bars(binner, "age_in_years")
    assert [ax.get_title().split(" (IV")[0] for ax in one.axes if ax.get_visible()] == ["age_in_years"]


def test_calibration_plot_from_table_or_data(sample: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = sample
    table = metrics.calibration_table(y, p, bins=5)
    fig = plots.calibration_plot(table)
    _check_figure(fig)
    points = fig.axes[0].lines[1]  # after the diagonal
    body = table[table["band"] != "Totals"]
    np.testing.assert_allclose(points.get_xdata(), body["mean_pd"].to_numpy(dtype=float))
    np.testing.assert_allclose(points.get_ydata(), body["bad_rate"].to_numpy(dtype=float))
    direct = plots.calibration_plot(y, p, bins=5).axes[0].lines[1]
    np.testing.assert_allclose(direct.get_ydata(), points.get_ydata())


def test_bad_input(sample: tuple[np.ndarray, np.ndarray], binner: WoEBinner) -> None:
    y, p = sample
    with pytest.raises(DataError, match="y and p must have the same length"):
        plots.roc_curve(y[:-1], p)
    with pytest.raises(DataError, match="single class"):
        plots.ks_curve(np.zeros_like(y), p)
    with pytest.raises(ParameterError, match=r"bins must be >= 2 \(got bins=1\)"):
        plots.score_distribution(p, y, bins=1)
    with pytest.raises(ParameterError, match=r"features must be binned features \(got unknown \['nope'\]"):
        plots.woe_bars(binner, ["nope"])
    with pytest.raises(NotFittedError, match="WoEBinner is not fitted yet"):
        plots.woe_bars(WoEBinner())
    with pytest.raises(ParameterError, match="p must be None when a calibration table is given"):
        plots.calibration_plot(metrics.calibration_table(y, p), p)
    with pytest.raises(ParameterError, match="p is missing"):
        plots.calibration_plot(y)
    with pytest.raises(DataError, match="table lacks columns"):
        plots.calibration_plot(pd.DataFrame({"band": [1]}))
    with pytest.raises(DataError, match=r"p must hold probabilities in \[0, 1\]"):
        plots.calibration_plot(y, p * 10)
