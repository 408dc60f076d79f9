"""A real MLflow tracking server on loopback: a parallel grid lands whole, artifacts included."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from riskkit.app.server import start_server, stop_server
from tests.conftest import REPO, run_cli, write_experiment

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_parallel_grid_against_tracking_server(tmp_path: Path) -> None:
    process, uri = start_server(tmp_path, port=_free_port(), timeout=240)
    try:
        # the server's process group holds the server and its web workers, not MLflow's job runner
        group = subprocess.run(["ps", "-o", "args=", "-g", str(process.pid)], capture_output=True, text=True,
                               check=False).stdout
        assert "huey" not in group and "_job_runner" not in group, group
        exp = write_experiment(tmp_path / "grid.yaml", experiment="server-grid",
                               notebook=str(REPO / "tests" / "notebooks" / "probe.ipynb"),
                               grid={"factor": [1.0, 2.0, 3.0, 4.0]})
        env = {"MLFLOW_TRACKING_URI": uri, "RISKKIT_HOME": str(tmp_path)}
        result = run_cli("run", str(exp), "--parallel", "4", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        client = MlflowClient(uri)
        experiment = client.get_experiment_by_name("server-grid")
        runs = client.search_runs([experiment.experiment_id])
        assert len(runs) == 4
        assert sorted(r.data.metrics["factor_metric"] for r in runs) == [2.0, 4.0, 6.0, 8.0]
        assert {r.info.status for r in runs} == {"FINISHED"}
        for run in runs:
            names = {a.path for a in client.list_artifacts(run.info.run_id, "notebook")}
            assert any(n.endswith(".ipynb") for n in names) and any(n.endswith(".html") for n in names)
            assert "params.json" in {a.path for a in client.list_artifacts(run.info.run_id)}
        default = client.get_experiment_by_name("Default")
        assert default is None or not client.search_runs([default.experiment_id])
        # artifacts went through the server into its own artifact root, not the client's disk
        assert list((tmp_path / "server" / "artifacts").rglob("*.ipynb"))
    finally:
        stop_server(process)
