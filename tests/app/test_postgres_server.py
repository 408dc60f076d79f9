"""A team's tracking store on PostgreSQL: a throwaway PostgreSQL cluster, the tracking server on it
(``python -m riskkit.app.server --backend-store-uri postgresql://...``), a ``--parallel 4`` grid
through it, then a model registered there and scored by the Spark engine from the registry.

PostgreSQL comes from the OS (Debian's ``postgresql``; ``.ci/run`` installs it). It refuses to run
as root, so under root the cluster belongs to the ``postgres`` user (``runuser``). Nothing is
skipped: a machine without PostgreSQL fails here with a pointer to ``.ci/run``.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from riskkit.app import tracking
from riskkit.exceptions import TrackingError
from tests.conftest import REPO, run_cli, write_experiment

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is not installed (looked on PATH and in /usr/lib/postgresql/*/bin); "
                    "run .ci/run, which installs Debian's postgresql package, or install PostgreSQL yourself")
    return found


def _as_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL will not run as root: run its tools as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.fail("running as root needs runuser (util-linux) to start PostgreSQL as the postgres user")
    return [runuser, "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server on a free loopback port with an empty ``mlflow`` database; its URI."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    # pytest's tmp folders are private to root: under root the cluster lives in a folder of its own
    base = Path(tempfile.mkdtemp(prefix="riskkit-pg-")) if os.geteuid() == 0 else tmp_path_factory.mktemp("pg")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, log, port = base / "data", base / "postgres.log", _free_port()
    try:
        subprocess.run(_as_owner([initdb, "-D", str(data), "-U", "riskkit", "--auth=trust", "-E", "UTF8",
                                  "--no-sync"]), check=True, capture_output=True, timeout=300)
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "120",
                                            "start"]), check=False, capture_output=True, text=True, timeout=180)
        assert started.returncode == 0, started.stdout + started.stderr + (log.read_text() if log.exists() else "")
        import psycopg2  # lazy: only this test talks to PostgreSQL directly

        conn = psycopg2.connect(host="127.0.0.1", port=port, user="riskkit", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE mlflow")
        conn.close()
        yield f"postgresql://riskkit@127.0.0.1:{port}/mlflow"
    finally:
        if data.exists():
            subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True,
                           timeout=120, check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def server(postgres: str, tmp_path: Path) -> Iterator[str]:
    """``python -m riskkit.app.server`` on the PostgreSQL store; its tracking URI."""
    port = _free_port()
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; name the driver the dev extra installs
    backend = postgres.replace("postgresql://", "postgresql+psycopg2://", 1)
    env = {**os.environ, "RISKKIT_HOME": str(tmp_path)}
    env.pop("MLFLOW_TRACKING_URI", None)
    log = open(tmp_path / "launcher.log", "wb")  # noqa: SIM115 (the child writes to it)
    process = subprocess.Popen(
        [sys.executable, "-m", "riskkit.app.server", "--port", str(port), "--backend-store-uri", backend,
         "--artifacts-destination", str(tmp_path / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env=env, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, (tmp_path / "launcher.log").read_text()[-3000:]
            try:
                tracking.check_reachable(uri, timeout=2.0)
                break
            except TrackingError:  # not up yet
                assert time.monotonic() < deadline, "tracking server did not answer in 300 s"
                time.sleep(1.0)
        yield uri
        # stopped as `kill PID` or a service manager stops it: SIGTERM to the launcher alone. The
        # MLflow server runs in a process group of its own; the launcher must take it down.
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, (tmp_path / "launcher.log").read_text()[-3000:]
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the MLflow server outlived its launcher"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


def test_grid_and_spark_scoring_on_a_postgres_store(postgres: str, server: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg2  # lazy: only this test talks to PostgreSQL directly

    # 1. a parallel grid through the server: every run, metric and artifact in its experiment
    exp = write_experiment(tmp_path / "grid.yaml", experiment="pg-grid",
                           notebook=str(REPO / "tests" / "notebooks" / "probe.ipynb"),
                           grid={"factor": [1.0, 2.0, 3.0, 4.0]})
    result = run_cli("run", str(exp), "--parallel", "4", env={"MLFLOW_TRACKING_URI": server, "RISKKIT_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    client = MlflowClient(server)
    experiment = client.get_experiment_by_name("pg-grid")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 4 and {r.info.status for r in runs} == {"FINISHED"}
    assert sorted(r.data.metrics["factor_metric"] for r in runs) == [2.0, 4.0, 6.0, 8.0]
    for run in runs:
        names = {a.path for a in client.list_artifacts(run.info.run_id, "notebook")}
        assert any(n.endswith(".ipynb") for n in names) and any(n.endswith(".html") for n in names)
    default = client.get_experiment_by_name("Default")
    assert default is None or not client.search_runs([default.experiment_id])
    # the runs are rows in PostgreSQL (not a file store beside it), in the experiment's id
    conn = psycopg2.connect(postgres)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM runs r JOIN experiments e ON r.experiment_id = e.experiment_id "
                    "WHERE e.name = %s AND r.status = 'FINISHED'", ("pg-grid",))
        assert cur.fetchone()[0] == 4
        cur.execute("SELECT count(*) FROM metrics m JOIN runs r ON m.run_uuid = r.run_uuid "
                    "WHERE r.experiment_id = %s AND m.key = 'factor_metric'", (int(experiment.experiment_id),))
        assert cur.fetchone()[0] == 4
    conn.close()
    assert list((tmp_path / "artifacts").rglob("*.ipynb"))  # proxied into the server's artifact root

    # 2. register a model on that server and score it with the Spark engine from the registry
    from riskkit.app.review import register_run_model
    from riskkit.app.scoring import score_file
    from riskkit.app.serving import log_gradient_boosting
    from riskkit.credit import GradientBoostingPD
    from riskkit.data import german_credit

    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(server)
    X, y = german_credit()
    model = GradientBoostingPD(60, random_state=0).fit(X, y)
    mlflow.set_experiment("credit-xgboost")
    with mlflow.start_run() as run:
        log_gradient_boosting(model, X.head(5), name="model")
    version = register_run_model(run.info.run_id, "credit-xgboost")
    client.set_registered_model_alias("credit-xgboost", "champion", version)
    source, out = tmp_path / "applicants.parquet", tmp_path / "scores.parquet"
    X.assign(applicant_id=np.arange(len(X))).to_parquet(source)
    summary = score_file("models:/credit-xgboost@champion", source, out, engine="spark", master="local[2]")
    assert summary.rows == len(X)
    scores = pd.read_parquet(out).sort_values("applicant_id").reset_index(drop=True)
    # reference: the fitted model in this process, not the registry copy
    np.testing.assert_allclose(scores["pd"], model.predict_proba(X)[:, 1], rtol=0, atol=1e-9)
    with psycopg2.connect(postgres) as conn, conn.cursor() as cur:
        cur.execute("SELECT version FROM model_versions WHERE name = 'credit-xgboost'")
        assert [row[0] for row in cur.fetchall()] == [int(version)]
