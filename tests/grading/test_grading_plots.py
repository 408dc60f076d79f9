"""Grading figures: returned (never shown), drawn from the data they are given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from riskkit.exceptions import ParameterError
from riskkit.grading import MasterScale, RiskMatrix, RiskRegister, plots

REPO = Path(__file__).resolve().parents[2]


def test_register_heatmaps_show_every_risk() -> None:
    reg = RiskRegister.from_csv(REPO / "data" / "risk_register.csv")
    table = reg.table()
    for which, cols in (("inherent", ["probability", "impact"]), ("residual", ["residual_probability", "residual_impact"])):
        fig = reg.heatmap(which=which)
        assert isinstance(fig, Figure)
        counts = [int(t.get_text().split("\n")[0]) for t in fig.axes[0].texts]
        assert sum(counts) == len(table) and len(counts) == len(table.groupby(cols))
    fig = plots.residual_vs_inherent(reg)
    assert len([t for t in fig.axes[0].texts if t.get_text()]) == len(table)
    with pytest.raises(ParameterError, match=r"which must be one of \['inherent', 'residual'\] \(got which='both'\)"):
        reg.heatmap(which="both")
    assert len(plots.matrix_heatmap(RiskMatrix()).axes[0].texts) == 25


def test_scale_figures() -> None:
    scale = MasterScale()
    pds = np.random.default_rng(0).uniform(0, 0.3, 500)
    fig = plots.grade_distribution(scale, pds, exposure=np.ones(500))
    bars = fig.axes[0].patches
    assert len(bars) == 2 * scale.n_grades
    heights = [b.get_height() for b in bars[: scale.n_grades]]
    assert sum(heights) == pytest.approx(1.0)
    mig = scale.migration_matrix(pds, np.clip(pds * 1.5, 0, 1))
    fig = plots.migration_heatmap(mig)
    assert isinstance(fig, Figure) and len(fig.axes) == 2  # matrix and colour bar
    fig.savefig(Path("/dev/null"), format="png")


def test_indicator_dashboard_marks_values_and_missing() -> None:
    from riskkit.grading import EarlyWarning

    ew = EarlyWarning.from_yaml(REPO / "data" / "early_warning.yaml")
    fig = plots.indicator_dashboard(ew, {"score_psi": 0.3, "var_exceptions": 3.0})
    n = len(ew.indicator_table())
    assert len(fig.axes) == n
    missing = [ax for ax in fig.axes if any(t.get_text() == "no value" for t in ax.texts)]
    assert len(missing) == n - 2
    psi_ax = next(ax for ax in fig.axes if ax.get_ylabel() == "score_psi")
    assert psi_ax.lines[-1].get_xdata()[0] == 0.3
