"""Indicators wired to the models: from fetched metrics and from real MLflow runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit.app.alerts import (
    indicators_from_metrics,
    indicators_from_mlflow,
    monitoring_history_from_mlflow,
)
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


def test_market_conditions_pass_through_when_logged() -> None:
    """The market notebook's liquidity and sentiment indicators reach the early warning; a price
    series without volume logs no liquidity, which is not a missing model metric (no warning)."""
    import warnings

    logged = {**METRICS["market-var"], "liquidity_amihud_pctile": 0.97, "sentiment_vix_zscore": 2.1,
              "liquidity_amihud": 3.2, "sentiment_vix": 24.0}
    with pytest.warns(MissingIndicatorWarning, match="portfolio-monitoring"):  # METRICS has no monitoring run
        out = indicators_from_metrics({**METRICS, "market-var": logged})
    assert out["market-var/liquidity_amihud_pctile"] == 0.97 and out["liquidity_amihud_pctile"] == 0.97
    assert out["sentiment_vix_zscore"] == 2.1 and "liquidity_amihud" not in out
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingIndicatorWarning)
        prices_only = indicators_from_metrics({"market-var": {**METRICS["market-var"], "sentiment_vix_zscore": 0.3}},
                                              {"market-var": "market"})
    assert "liquidity_amihud_pctile" not in prices_only and prices_only["sentiment_vix_zscore"] == 0.3
    # graded by the shipped configuration: 97th percentile of illiquidity is orange, z 2.1 orange
    ew = EarlyWarning.from_yaml(REPO / "data" / "early_warning.yaml")
    levels = {a.indicator: a.level for a in ew.evaluate({k: v for k, v in out.items() if "/" not in k
                                                          and k in ew.indicator_table().index})}
    assert levels["liquidity_amihud_pctile"] == "orange" and levels["sentiment_vix_zscore"] == "orange"


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
    with pytest.raises(ParameterError, match=r"experiments\['x'\] must be one of \['credit', 'market', 'monitoring'\] \(got 'risk'\)"):
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
    with pytest.warns(MissingIndicatorWarning, match=r"indicator 'dq30_rate' has no value"):  # no monitoring run
        alerts = EarlyWarning.from_yaml(REPO / "data" / "early_warning.yaml").evaluate(values)
    assert {a.indicator: a.level for a in alerts} == {"auc_decay": "blue", "var_exceptions": "yellow",
                                                        "traffic_light_zone": "yellow"}
    assert mlflow.active_run() is None  # reading never starts a run


def _monitoring_run(client, exp: str, month: str, series: dict[str, list[float]], start: int) -> str:
    """A finished monitoring run logging each indicator with one step per month, as the notebook does."""
    run = client.create_run(exp, start_time=start, tags={"snapshot_month": month})
    for name, values in series.items():
        for step, value in enumerate(values):
            client.log_metric(run.info.run_id, f"monitoring.{name}", value, step=step)
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


def test_monitoring_indicators_and_history_from_mlflow(store: dict[str, str]) -> None:
    """The latest monitoring run's last step is the value; its metric history is the history that a
    dynamic threshold grades, and a step change at the end fires it (checked against the chart run
    directly on the same numbers)."""
    from mlflow import MlflowClient

    from riskkit.app import tracking

    client = MlflowClient(tracking.init_store())
    exp = client.create_experiment("portfolio-monitoring")
    rng = np.random.default_rng(3)
    calm = list(0.02 + 0.001 * rng.standard_normal(29))
    jump = calm + [0.03]  # ten in-control sds above the mean at the last month
    old = _monitoring_run(client, exp, "2024-05", {"roll_30_to_60": calm[:-5], "dq30_rate": [0.05] * 24}, 1_000)
    _monitoring_run(client, exp, "2024-11", {"roll_30_to_60": jump, "dq30_rate": [0.05] * 29 + [0.13]}, 2_000)
    assert old
    with pytest.warns(MissingIndicatorWarning):  # no credit or market runs in this store
        values = indicators_from_mlflow()
    assert values["roll_30_to_60"] == pytest.approx(0.03) and values["dq30_rate"] == pytest.approx(0.13)
    assert values["portfolio-monitoring/roll_30_to_60"] == pytest.approx(0.03)
    frame = monitoring_history_from_mlflow()
    assert list(frame.index[[0, -1]]) == ["2022-06", "2024-11"] and frame.index.name == "month"
    np.testing.assert_allclose(frame["roll_30_to_60"].to_numpy(), jump, rtol=0, atol=1e-12)
    assert frame.iloc[-1]["dq30_rate"] == pytest.approx(values["dq30_rate"])
    config = yaml.safe_load((REPO / "data" / "early_warning.yaml").read_text())
    ew = EarlyWarning.from_dict({"indicators": {k: config["indicators"][k] for k in ("roll_30_to_60", "dq30_rate")}})
    alerts = {a.indicator: a for a in ew.evaluate(values, history=frame.iloc[:-1])}
    expected = ew._indicators()["roll_30_to_60"].dynamic.evaluate(pd.Series(jump), "above")["level_code"].iloc[-1]
    assert expected == 4 and alerts["roll_30_to_60"].level == "red" and "quantile" in alerts["roll_30_to_60"].message
    assert alerts["dq30_rate"].level == "red"
    # without the history only static thresholds apply: the dynamic indicator is not graded
    with pytest.warns(MissingIndicatorWarning, match=r"'roll_30_to_60' has a dynamic threshold but no history"):
        assert [a.indicator for a in ew.evaluate(values)] == ["dq30_rate"]


def test_a_month_the_run_skipped_is_missing_not_stale(store: dict[str, str]) -> None:
    """The notebook skips NaN values: an indicator without a value at the last month is missing (not
    the previous month's value, which MLflow reports as latest), and its history has a NaN there."""
    from mlflow import MlflowClient

    from riskkit.app import tracking

    client = MlflowClient(tracking.init_store())
    exp = client.create_experiment("portfolio-monitoring")
    run = _monitoring_run(client, exp, "2024-12", {"dq30_rate": [0.05, 0.06, 0.07]}, 1_000)
    client.log_metric(run, "monitoring.roll_30_to_60", 0.3, step=0)  # steps 1 and 2 skipped (NaN)
    with pytest.warns(MissingIndicatorWarning, match=r"monitoring.roll_30_to_60 has no value for the run's last month"):
        values = indicators_from_mlflow({"portfolio-monitoring": "monitoring"})
    assert values == {"portfolio-monitoring/dq30_rate": 0.07, "dq30_rate": 0.07}
    frame = monitoring_history_from_mlflow()
    assert list(frame.index) == ["2024-10", "2024-11", "2024-12"]
    assert frame["roll_30_to_60"].iloc[0] == 0.3 and frame["roll_30_to_60"].iloc[1:].isna().all()


def test_monitoring_history_from_earlier_monthly_runs(store: dict[str, str]) -> None:
    """Runs that logged only their own month: the history is their latest values ordered by snapshot
    month; a run of a later month than the latest run's and a FAILED run are left out."""
    from mlflow import MlflowClient

    from riskkit.app import tracking

    client = MlflowClient(tracking.init_store())
    exp = client.create_experiment("portfolio-monitoring")
    for i, (month, value) in enumerate([("2024-03", 0.3), ("2024-01", 0.1), ("2024-02", 0.2), ("2024-04", 0.4)]):
        _monitoring_run(client, exp, month, {"dq30_rate": [value]}, 1_000 * (i + 1))
    late = _monitoring_run(client, exp, "2024-09", {"dq30_rate": [9.0]}, 500)  # started first: not the latest
    failed = client.create_run(exp, start_time=10_000, tags={"snapshot_month": "2024-05"})
    client.log_metric(failed.info.run_id, "monitoring.dq30_rate", 5.0)
    client.set_terminated(failed.info.run_id, "FAILED")
    frame = monitoring_history_from_mlflow(names=["dq30_rate"])
    assert late and list(frame.index) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert frame["dq30_rate"].tolist() == [0.1, 0.2, 0.3, 0.4]


def test_monitoring_history_without_runs_and_bad_input(store: dict[str, str]) -> None:
    with pytest.warns(MissingIndicatorWarning, match=r"experiment 'portfolio-monitoring' has no finished run"):
        frame = monitoring_history_from_mlflow(names=["dq30_rate"])
    assert frame.empty and list(frame.columns) == ["dq30_rate"]
    with pytest.raises(ParameterError, match=r"experiment must be a non-empty experiment name \(got experiment=''\)"):
        monitoring_history_from_mlflow("")
    with pytest.raises(ParameterError, match=r"names must be a list of indicator names \(got names='dq30_rate'\)"):
        monitoring_history_from_mlflow(names="dq30_rate")


def test_merged_configuration_keeps_the_monitoring_thresholds() -> None:
    """data/early_warning.yaml carries the monitoring notebook's indicators unchanged."""
    merged = yaml.safe_load((REPO / "data" / "early_warning.yaml").read_text())["indicators"]
    own = yaml.safe_load((REPO / "data" / "early_warning_monitoring.yaml").read_text())["indicators"]
    assert {k: merged[k] for k in own} == own
    assert EarlyWarning.from_yaml(REPO / "data" / "early_warning.yaml").indicator_table().shape[0] == len(merged)
