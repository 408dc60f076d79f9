"""The portfolio-monitoring notebook end to end through the runner, on a temp store."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import REPO, run_cli, write_experiment

pytestmark = pytest.mark.slow


def test_portfolio_monitoring_notebook(store: dict[str, str], tmp_path: Path) -> None:
    # a small book, two snapshot months: before the documented drift (2024-01) and after it
    exp = write_experiment(tmp_path / "pm.yaml", experiment="portfolio-monitoring-test",
                           notebook=str(REPO / "notebooks" / "portfolio_monitoring.ipynb"),
                           parameters={"n_loans": 6000, "seed": 0}, grid={"month": ["2023-12", "2024-12"]})
    result = run_cli("run", str(exp), "--parallel", "1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    client = MlflowClient(store["uri"])
    runs = client.search_runs([client.get_experiment_by_name("portfolio-monitoring-test").experiment_id])
    by_month = {r.data.tags["snapshot_month"]: r for r in runs}
    assert set(by_month) == {"2023-12", "2024-12"}
    before, after = by_month["2023-12"].data.metrics, by_month["2024-12"].data.metrics
    from riskkit.monitoring import INDICATORS

    for name in INDICATORS:
        assert f"monitoring.{name}" in after
    # the history is logged month by month: 48 months minus the 6 seasoning months
    history = client.get_metric_history(by_month["2024-12"].info.run_id, "monitoring.score_psi_new")
    assert len(history) == 42 and max(m.step for m in history) == 41
    # the documented drift: new bookings shifted (red after it, not before), calibration and warnings measured
    assert before["level_code.score_psi_new"] < 4 <= after["level_code.score_psi_new"]
    assert after["monitoring.score_psi_new"] > 0.25 > before["monitoring.score_psi_new"]
    assert after["max_level_code"] == 4
    for key in ("auc_cohort_latest", "n_grades_rejected", "approval_rate_new", "mean_rate_new", "hhi_region",
                "n_limit_breaches", "expected_loss_rate", "warn_lead_time", "warn_hit_rate", "n_loss_months"):
        assert key in after, key
    assert 0.5 < after["auc_cohort_latest"] <= 1.0
    artifacts = {a.path for a in client.list_artifacts(by_month["2024-12"].info.run_id, "figures")}
    assert {"figures/vintage_30plus.png", "figures/roll_rates.png", "figures/stability.png",
            "figures/cohort_performance.png", "figures/calibration_by_grade.png", "figures/concentration.png",
            "figures/control_chart_roll_current_to_1_29_young.png", "figures/control_chart_roll_young_excess.png"} <= artifacts
