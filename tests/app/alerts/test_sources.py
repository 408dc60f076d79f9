"""Indicators wired to the models: from fetched metrics and from real MLflow runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskkit.app.alerts import indicators_from_metrics, indicators_from_mlflow
from riskkit.exceptions import MissingIndicatorWarning, ParameterError
from riskkit.grading import EarlyWarning

REPO = Path(__file__).resolve().parents[3]

METRICS = {
    "credit-scorecard": {"psi_train_test": 0.04, "auc_train": 0.80, "auc_test": 0.76},
    "credit-xgboost": {"psi_train_test": 0.12, "auc_train": 0.95, "auc_test": 0.78},
    "market-var": {"n_exceptions": 6.0, "traffic_light_zone_code": 1.0},
}


def test_indicators_from_metrics_worst_over_models() -> None:
    out = indicators_from_metrics(METRICS)
    assert out["credit-scorecard/score_psi"] == 0.04 and out["credit-xgboost/score_psi"] == 0.12
    assert out["score_psi"] == 0.12
    assert out["credit-scorecard/auc_decay"] == pytest.approx(0.04)
    assert out["auc_decay"] == pytest.approx(0.17)  # xgboost overfits most
    assert out["var_exceptions"] == 6.0 and out["traffic_light_zone"] == 1.0
    ref = indicators_from_metrics(METRICS, reference_auc={"credit-xgboost": 0.80})
    assert ref["credit-xgboost/auc_decay"] == pytest.approx(0.02)


def test_var_exceptions_prefer_the_250_day_count() -> None:
    # The Basel zones (green 0-4, yellow 5-9, red >= 10) are defined on the last 250 days, not on
    # the exceptions of a 16-year backtest.
    out = indicators_from_metrics({"market-var": {"n_exceptions": 40.0, "traffic_light_exceptions": 3.0,
                                                  "traffic_light_zone_code": 0.0}})
    assert out["var_exceptions"] == 3.0


def test_missing_experiment_and_metric_warn() -> None:
    partial = {"credit-scorecard": {"psi_train_test": 0.3, "auc_test": 0.7}, "market-var": {"traffic_light_exceptions": 11.0}}
    with pytest.warns(MissingIndicatorWarning) as record:
        out = indicators_from_metrics(partial)
    texts = [str(w.message) for w in record]
    assert any("experiment 'credit-xgboost' has no finished run" in t for t in texts)
    assert any("no metric auc_train in its latest run; indicator 'auc_decay' is missing" in t for t in texts)
    assert any("no metric traffic_light_zone_code" in t for t in texts)
    assert out == {"credit-scorecard/score_psi": 0.3, "score_psi": 0.3,
                   "market-var/var_exceptions": 11.0, "var_exceptions": 11.0}
    with pytest.raises(ParameterError, match=r"experiments\['x'\] must be one of \['credit', 'market'\] \(got 'risk'\)"):
        indicators_from_metrics({}, {"x": "risk"})


def test_indicators_from_real_mlflow_runs(store: dict[str, str]) -> None:
    """Runs written to a real (temporary SQLite) MLflow store are read back through riskkit.app.tracking."""
    import mlflow
    from mlflow import MlflowClient

    from riskkit.app import tracking

    client = MlflowClient(tracking.init_store())
    for name in ("credit-scorecard", "market-var"):
        exp = client.create_experiment(name)
        old = client.create_run(exp)
        client.log_metric(old.info.run_id, "psi_train_test", 0.9)
        client.set_terminated(old.info.run_id, "FINISHED")
        run = client.create_run(exp, start_time=old.info.start_time + 1000)
        for key, value in METRICS[name].items():
            client.log_metric(run.info.run_id, key, value)
        client.set_terminated(run.info.run_id, "FINISHED")
        failed = client.create_run(exp, start_time=old.info.start_time + 2000)  # latest, but not FINISHED
        client.log_metric(failed.info.run_id, "psi_train_test", 5.0)
        client.set_terminated(failed.info.run_id, "FAILED")
    with pytest.warns(MissingIndicatorWarning, match=r"experiment 'credit-xgboost' has no finished run"):
        values = indicators_from_mlflow()
    assert values["score_psi"] == 0.04 and values["auc_decay"] == pytest.approx(0.04)
    assert values["var_exceptions"] == 6.0 and values["traffic_light_zone"] == 1.0
    alerts = EarlyWarning.from_yaml(REPO / "data" / "early_warning.yaml").evaluate(values)
    assert {a.indicator: a.level for a in alerts} == {"auc_decay": "blue", "var_exceptions": "yellow",
                                                        "traffic_light_zone": "yellow"}
    assert mlflow.active_run() is None  # reading never starts a run
