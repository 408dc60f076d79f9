"""riskkit.app.tracking: URI resolution, store initialisation under concurrency, experiments by id."""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from riskkit.app import tracking
from riskkit.exceptions import TrackingError


def test_uri_defaults_to_embedded_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("RISKKIT_HOME", str(tmp_path))
    assert tracking.tracking_uri() == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    assert tracking.artifact_root() == tmp_path.resolve() / "mlartifacts"
    assert tracking.tracking_uri().startswith("sqlite:////"), "path must be absolute"


def test_uri_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert tracking.tracking_uri() == "http://127.0.0.1:5999"


def test_repo_root_is_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RISKKIT_HOME", raising=False)
    assert (tracking.repo_root() / "pyproject.toml").is_file()


def test_unreachable_server_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import time

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(TrackingError, match="unreachable"):
        tracking.init_store(f"http://127.0.0.1:{port}")
    assert time.monotonic() - start < 30  # a clear error, not a hang (generous bound: shared machine)


def _create(args: tuple[str, str]) -> str:
    uri, name = args
    tracking.init_store(uri)
    return tracking.ensure_experiment(name, uri)


def test_concurrent_init_and_experiment_creation(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'fresh.db'}"
    with mp.get_context("spawn").Pool(4) as pool:
        ids = pool.map(_create, [(uri, "same-name")] * 4)
    assert len(set(ids)) == 1
    client = MlflowClient(uri)
    assert client.get_experiment(ids[0]).name == "same-name"
    assert client.get_experiment(ids[0]).artifact_location.startswith("file://")


def test_helpers_log_into_given_run(store: dict[str, str], tmp_path: Path) -> None:
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    import pandas as pd

    tracking.init_store()
    exp_id = tracking.ensure_experiment("helpers")
    run = MlflowClient(store["uri"]).create_run(exp_id)
    tracking.log_run_params(run.info.run_id, {"window": 250, "grid": [1, 2]})  # as the runner does
    os.environ["MLFLOW_RUN_ID"] = run.info.run_id
    try:
        tracking.log_params({"a": 1, "b": "x"})
        tracking.log_metrics({"m": 0.5, "skip": float("nan"), "none": None})
        fig, ax = plt.subplots()
        ax.plot([1, 2])
        tracking.log_figure(fig, "figures/f.png")
        frame = pd.DataFrame({"x": [1.0, 2.0]})
        tracking.log_table(frame, "tables/t.csv")
        digest = tracking.log_dataset_digest(frame, name="tiny")
        assert tracking.current_run_id() == run.info.run_id
    finally:
        mlflow.end_run()
        os.environ.pop("MLFLOW_RUN_ID", None)
    got = MlflowClient(store["uri"]).get_run(run.info.run_id)
    assert got.data.metrics == {"m": 0.5}
    assert got.data.params == {"a": "1", "b": "x", "window": "250", "grid": "[1, 2]"}
    typed = json.loads(Path(MlflowClient(store["uri"]).download_artifacts(run.info.run_id, "params.json", str(tmp_path)))
                       .read_text())
    # the notebook's parameters are merged into the runner's record, not written over it
    assert typed == {"window": {"value": 250, "type": "int"}, "grid": {"value": [1, 2], "type": "list"},
                     "a": {"value": 1, "type": "int"}, "b": {"value": "x", "type": "str"}}
    assert got.data.tags["data_digest"] == digest
    paths = {a.path for a in MlflowClient(store["uri"]).list_artifacts(run.info.run_id, "tables")}
    assert paths == {"tables/t.csv", "tables/t.html"}
    assert tracking.latest_run("helpers") is not None
    assert tracking.latest_run("no-such-experiment") is None
