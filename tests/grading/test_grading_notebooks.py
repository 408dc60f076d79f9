"""The early-warning notebook end to end through the runner on a temp store, with a webhook and
calm monitoring history (the risk-register run is checked in tests/test_notebooks.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlflow.tracking import MlflowClient

from riskkit.app.alerts import AlertLedger
from tests.conftest import REPO, run_cli, write_experiment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One temp SQLite store and RISKKIT_HOME for the notebook runs of this module."""
    tmp = tmp_path_factory.mktemp("grading_nb")
    home = tmp / "home"
    home.mkdir()
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.setenv("RISKKIT_HOME", str(home))
        for var in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"):
            mp.delenv(var, raising=False)
        yield {"uri": uri, "home": str(home)}


def _latest(uri: str, experiment: str) -> Any:
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    (run,) = client.search_runs([exp.experiment_id], max_results=10)
    return run


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server hook)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/risk", received
    finally:
        server.shutdown()
        server.server_close()


def test_early_warning_notebook(
    shared_store: dict[str, str], tmp_path: Path, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    store = shared_store
    # model runs for two experiments; credit-xgboost has none: graded, ledgered, red alert sent to the webhook
    url, received = webhook
    client = MlflowClient(store["uri"])
    for name, metrics in {"credit-scorecard": {"psi_train_test": 0.27, "auc_train": 0.80, "auc_test": 0.77},
                          "market-var": {"n_exceptions": 6.0, "traffic_light_zone_code": 1.0,
                                         # calm market conditions, as the market notebook logs them
                                         "liquidity_amihud_pctile": 0.5, "sentiment_vix_zscore": 0.2}}.items():
        run = client.create_run(client.create_experiment(name))
        for key, value in metrics.items():
            client.log_metric(run.info.run_id, key, value)
        client.set_terminated(run.info.run_id, "FINISHED")
    # a monitoring run as notebooks/portfolio_monitoring.ipynb logs it: one step per month, 30 calm months
    # ending at the series' mean (no dynamic chart fires), stock indicators under their static thresholds
    calm = {"roll_current_to_1_29_young": 0.03, "roll_young_excess": 0.005, "roll_current_to_1_29": 0.025,
            "roll_30_to_60": 0.3, "score_psi_new": 0.02, "dq30_rate": 0.04, "hhi_region": 0.2}
    wave = [0.01 * ((i % 5) - 2) for i in range(29)] + [0.0]
    # (artifacts under tmp_path: the risk report is attached to this run, never into the checkout's ./mlruns)
    exp_id = client.create_experiment("portfolio-monitoring", artifact_location=(tmp_path / "artifacts").as_uri())
    monitoring = client.create_run(exp_id, tags={"snapshot_month": "2024-12"})
    for name, level in calm.items():
        for step, w in enumerate(wave):
            client.log_metric(monitoring.info.run_id, f"monitoring.{name}", level * (1 + w), step=step)
    client.set_terminated(monitoring.info.run_id, "FINISHED")
    config = yaml.safe_load((REPO / "data" / "early_warning.yaml").read_text())
    config["channels"].append({"type": "webhook", "url": url, "min_level": "red", "retries": 0})
    (tmp_path / "ew.yaml").write_text(yaml.safe_dump(config))
    ledger = tmp_path / "ledger.sqlite"
    exp = write_experiment(tmp_path / "ew_exp.yaml", experiment="early-warning-test",
                           notebook=str(REPO / "notebooks" / "early_warning.ipynb"),
                           parameters={"config_path": str(tmp_path / "ew.yaml"), "ledger_path": str(ledger)})
    result = run_cli("run", str(exp))
    assert result.returncode == 0, result.stdout + result.stderr
    data = _latest(store["uri"], "early-warning-test").data
    m = data.metrics
    # credit-xgboost has no run (warned); the worst of the available models is graded
    assert m["n_alerts"] == 4 and m["n_alerts_red"] == 1 and m["n_alerts_yellow"] == 2 and m["n_alerts_blue"] == 1
    assert m["max_level_code"] == 4 and m["level_code.score_psi"] == 4
    assert m["level_code.auc_decay"] == 1 and m["n_missing_indicators"] == 0
    # the loan-book indicators were read with their 29 months of history and graded calm
    assert m["n_history_months"] == 29 and m["value.dq30_rate"] == pytest.approx(0.04)
    assert all(m[f"level_code.{name}"] == 0 for name in calm)
    # the monthly risk report of the monitoring month is attached to the monitoring run and to this one
    page = client.download_artifacts(monitoring.info.run_id, "report/risk_report.html", str(tmp_path))
    text = Path(page).read_text()
    assert "Monthly risk report 2024-12" in text and "Open alerts and their handling" in text
    assert "score_psi" in text and data.tags["risk_report_month"] == "2024-12"
    assert data.tags["alert.score_psi"] == "red" and data.tags["max_level"] == "red"
    assert m["n_delivery_failures"] == 0
    assert [(b["indicator"], b["level"]) for b in received] == [("score_psi", "red")]
    assert sorted(AlertLedger(ledger).alerts()["level"]) == ["blue", "red", "yellow", "yellow"]
    # the missing experiment was reported in the executed notebook, not raised
    kept = next(p for p in (Path(store["home"]) / "runs").rglob("*.ipynb") if "early" in str(p)).read_text()
    assert "MissingIndicatorWarning" in kept and "credit-xgboost" in kept
