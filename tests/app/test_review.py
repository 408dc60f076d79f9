"""Reviewers' workflow: runs table, compare, gates and promotion, validation report, the lock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from riskkit.exceptions import ConfigError
from riskkit.app.review import Gate, check_gates, format_table, parse_gates
from tests.conftest import REPO, cli_inproc, run_cli, write_experiment

MODEL_NB = str(REPO / "tests" / "notebooks" / "model.ipynb")
PROBE = str(REPO / "tests" / "notebooks" / "probe.ipynb")


def test_parse_gates_both_spellings() -> None:
    assert parse_gates(["auc_test >= 0.75", "psi_train_test<=0.1"]) == [
        Gate("auc_test", ">=", 0.75), Gate("psi_train_test", "<=", 0.1)]
    assert parse_gates({"auc_test": ">= 0.75"}) == [Gate("auc_test", ">=", 0.75)]
    with pytest.raises(ConfigError, match="gate 'auc_test about 0.7' is not understood"):
        parse_gates(["auc_test about 0.7"])


def test_check_gates_names_missing_metric() -> None:
    (ok,) = check_gates({"auc_test": 0.8}, parse_gates(["auc_test >= 0.75"]))
    assert ok.passed and ok.value == 0.8
    (bad,) = check_gates({"auc_test": 0.7}, parse_gates(["auc_test >= 0.75"]))
    assert not bad.passed
    with pytest.raises(ConfigError, match="names metric 'ks_test' that the run does not have"):
        check_gates({"auc_test": 0.8}, parse_gates(["ks_test >= 0.3"]))


def test_format_table_markdown_and_csv() -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": [1.23456789, None], "b": ["x|y", "z"]})
    md = format_table(frame, "markdown").splitlines()
    assert md[0] == "| a | b |" and md[2] == "| 1.23457 | x\\|y |"
    assert format_table(frame, "csv").splitlines()[0] == "a,b"
    with pytest.raises(ConfigError, match="--format must be one of"):
        format_table(frame, "xml")


@pytest.mark.slow
def test_runs_compare_promote_report(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "model.yaml", experiment="model-review", notebook=MODEL_NB,
                           grid={"quality": [0.9, 0.6]}, gates=["auc_test >= 0.75", "psi_train_test <= 0.1"],
                           register_model="model-review", allow_self_promotion=True)  # one-person store
    result = run_cli("run", str(exp), "--parallel", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    client = MlflowClient(store["uri"])
    runs = {r.data.params["quality"]: r for r in client.search_runs(
        [client.get_experiment_by_name("model-review").experiment_id])}
    good, weak = runs["0.9"].info.run_id, runs["0.6"].info.run_id

    table = run_cli("runs", "model-review", "--sort", "auc_test", "--format", "csv")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("run_id,name,status,start") and "auc_test" in lines[0]
    assert lines[1].startswith(good), "sorted by auc_test descending"
    text = cli_inproc("runs", "model-review", "--sort", "auc_test", "--ascending").stdout.splitlines()
    first_row = text[next(i for i, line in enumerate(text) if line.startswith("---")) + 1]
    assert first_row.startswith(weak[:12]), text

    cmp = cli_inproc("compare", good, weak, "--format", "markdown")
    assert cmp.returncode == 0, cmp.stderr
    row = next(line for line in cmp.stdout.splitlines() if "| auc_test |" in line)
    assert row.rstrip().endswith("| * |")

    no_reason = cli_inproc("promote", good)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    refused = cli_inproc("promote", weak, "--reason", "test")
    assert refused.returncode == 1 and "auc_test >= 0.75" in refused.stderr and "not promoted" in refused.stderr

    first = cli_inproc("promote", good, "--reason", "first champion")
    assert first.returncode == 0, first.stderr
    assert "models:/model-review@champion" in first.stdout
    champion = client.get_model_version_by_alias("model-review", "champion")
    assert champion.run_id == good
    assert champion.tags["riskkit.promotion_reason"] == "first champion"

    # a second good run takes over; the old champion keeps previous-champion
    again = run_cli("run", str(exp), "-p", "quality=0.95")
    assert again.returncode == 0
    newest = client.search_runs([client.get_experiment_by_name("model-review").experiment_id],
                                filter_string="params.quality = '0.95'")[0].info.run_id
    assert cli_inproc("promote", newest, "--reason", "challenger wins").returncode == 0
    assert client.get_model_version_by_alias("model-review", "champion").run_id == newest
    assert client.get_model_version_by_alias("model-review", "previous-champion").run_id == good
    trail = cli_inproc("promotions", "model-review", "--format", "csv")
    assert trail.returncode == 0, trail.stderr
    assert [line.split(",")[6] for line in trail.stdout.splitlines()[1:]] == ["first champion", "challenger wins"]

    # scoring code loads the champion by alias
    import mlflow
    import pandas as pd

    mlflow.set_tracking_uri(store["uri"])
    model = mlflow.pyfunc.load_model("models:/model-review@champion")
    assert model.predict(pd.DataFrame({"x": [0.0, 1.0]})).shape[0] == 2

    # the report is attached and names the gates
    report = Path(mlflow.artifacts.download_artifacts(run_id=good, artifact_path="report/validation_report.html"))
    text = report.read_text()
    assert "auc_test &gt;= 0.75" in text and "PASS" in text and "data:image/png;base64" in text

    out = tmp_path / "r.html"
    assert run_cli("report", weak, "-o", str(out)).returncode == 0
    assert "FAIL" in out.read_text()


@pytest.mark.slow
def test_review_bad_input(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "probe.yaml", experiment="no-model", notebook=PROBE, allow_self_promotion=True)
    assert run_cli("run", str(exp)).returncode == 0
    client = MlflowClient(store["uri"])
    run_id = client.search_runs([client.get_experiment_by_name("no-model").experiment_id])[0].info.run_id

    unknown = cli_inproc("compare", "0" * 32, run_id)
    assert unknown.returncode == 2 and "unknown run id" in unknown.stderr
    no_model = cli_inproc("promote", run_id, "--reason", "test")
    assert no_model.returncode == 1 and "logged no model" in no_model.stderr
    strict = write_experiment(tmp_path / "strict.yaml", experiment="no-model", notebook=PROBE)
    own = cli_inproc("promote", run_id, "--reason", "test", "--experiment-file", str(strict))
    assert own.returncode == 2 and "cannot promote it (four eyes)" in own.stderr
    gated = write_experiment(tmp_path / "gated.yaml", experiment="no-model", notebook=PROBE, gates=["auc_test >= 0.7"],
                             allow_self_promotion=True)
    missing = cli_inproc("promote", run_id, "--reason", "test", "--experiment-file", str(gated))
    assert missing.returncode == 1 and "names metric 'auc_test'" in missing.stderr
    no_exp = run_cli("runs", "does-not-exist")
    assert no_exp.returncode == 2 and "unknown experiment" in no_exp.stderr


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exp = write_experiment(tmp_path / "p.yaml", experiment="x", notebook=PROBE)
    env = {"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}", "RISKKIT_HOME": str(tmp_path)}
    for args in (("run", str(exp)), ("runs", "x"), ("compare", "a" * 32, "b" * 32)):
        # "within seconds": a refused port must be reported well before a network timeout; the
        # bound is generous for a loaded 2-core machine (interpreter start and imports included)
        result = run_cli(*args, env=env, timeout=90)
        assert result.returncode == 2, (args, result.stderr)
        assert "unreachable" in result.stderr


@pytest.mark.slow
def test_second_run_of_same_file_is_refused_or_waits(store: dict[str, str], tmp_path: Path) -> None:
    slow_nb = REPO / "tests" / "notebooks" / "sleepy.ipynb"
    exp = write_experiment(tmp_path / "sleepy.yaml", experiment="sleepy", notebook=str(slow_nb),
                           parameters={"seconds": 12})
    first = subprocess.Popen([sys.executable, "-m", "riskkit.cli", "run", str(exp)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = Path(store["home"]) / "runs" / ".locks" / "sleepy.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and "pid" in lock.read_text()):
        time.sleep(0.5)
    refused = run_cli("run", str(exp))
    assert refused.returncode == 3 and "already running" in refused.stderr
    waited = run_cli("run", str(exp), "-p", "seconds=0", "--wait")
    assert first.wait(timeout=300) == 0
    assert waited.returncode == 0
    client = MlflowClient(store["uri"])
    runs = client.search_runs([client.get_experiment_by_name("sleepy").experiment_id])
    assert sorted(r.info.status for r in runs) == ["FINISHED", "FINISHED"]
    assert len({r.info.run_id for r in runs}) == 2
    # the queued run started only after the first had ended: runs never overlap
    first_run, second_run = sorted(runs, key=lambda r: r.info.start_time)
    assert second_run.info.start_time >= first_run.info.end_time
