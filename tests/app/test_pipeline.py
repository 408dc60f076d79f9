"""The Papermill -> MLflow runner and the `riskkit run` command, end to end on a temp store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from riskkit.exceptions import ConfigError
from riskkit.app.pipeline import load_experiment, parse_overrides
from tests.conftest import REPO, run_cli, write_experiment

PROBE = str(REPO / "tests" / "notebooks" / "probe.ipynb")

pytestmark = pytest.mark.slow


def _runs(uri: str, experiment: str) -> list[mlflow.entities.Run]:
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"experiment {experiment!r} was not created"
    return client.search_runs([exp.experiment_id], max_results=100)


def test_success_path_logs_everything(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "probe.yaml", experiment="probe-ok", notebook=PROBE,
                           parameters={"value": "hello", "factor": 2.5})
    result = run_cli("run", str(exp))
    assert result.returncode == 0, result.stderr
    assert "FINISHED" in result.stdout and "1 finished, 0 failed" in result.stdout
    (run,) = _runs(store["uri"], "probe-ok")
    assert run.info.status == "FINISHED"
    # a plain mlflow.log_metric in the notebook landed in the runner's run
    assert run.data.metrics["factor_metric"] == pytest.approx(5.0)
    assert run.data.metrics["reached_end"] == 1
    assert run.data.params["value"] == "hello"
    for tag in ("riskkit.notebook", "riskkit.experiment_file", "riskkit.git_commit", "riskkit.version", "riskkit.git_dirty"):
        assert tag in run.data.tags
    # the command line forks its worker (imports inherited); see test_hostile_string_parameter_is_data for spawn
    assert run.data.tags["riskkit.worker_start"] == ("fork" if sys.platform.startswith("linux") else "spawn")
    artifacts = {a.path for a in MlflowClient(store["uri"]).list_artifacts(run.info.run_id, "notebook")}
    assert any(p.endswith(".ipynb") for p in artifacts) and any(p.endswith(".html") for p in artifacts)
    typed = json.loads(Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="params.json",
                                                               tracking_uri=store["uri"])).read_text())
    assert typed["factor"] == {"value": 2.5, "type": "float"}
    kept = list((Path(store["home"]) / "runs").rglob("*.ipynb"))
    assert len(kept) == 1


def test_failing_run_is_failed_and_others_go_on(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "mixed.yaml", experiment="probe-mixed", notebook=PROBE,
                           grid={"fail": [False, True, False]})
    result = run_cli("run", str(exp))
    assert result.returncode == 1
    assert "2 finished, 1 failed" in result.stdout
    runs = _runs(store["uri"], "probe-mixed")
    by_status = sorted(r.info.status for r in runs)
    assert by_status == ["FAILED", "FINISHED", "FINISHED"]
    (failed,) = [r for r in runs if r.info.status == "FAILED"]
    assert "deliberate failure" in failed.data.tags["riskkit.error"]
    assert failed.data.tags["riskkit.failed_cell"] == "3"  # cell 0 is papermill's injected parameters
    assert "reached_end" not in failed.data.metrics
    names = {a.path for a in MlflowClient(store["uri"]).list_artifacts(failed.info.run_id, "notebook")}
    assert any(n.endswith(".ipynb") for n in names), "the executed notebook of a failed run is kept"


def test_dead_kernel_is_failed(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "dead.yaml", experiment="probe-dead", notebook=PROBE,
                           parameters={"exit_kernel": True})
    result = run_cli("run", str(exp))
    assert result.returncode == 1
    (run,) = _runs(store["uri"], "probe-dead")
    assert run.info.status == "FAILED"
    assert run.data.tags["riskkit.error"]


def test_parallel_grid_lands_in_right_experiment(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "grid.yaml", experiment="probe-grid", notebook=PROBE,
                           grid={"factor": [1.0, 2.0, 3.0, 4.0]})
    result = run_cli("run", str(exp), "--parallel", "4")
    assert result.returncode == 0, result.stdout + result.stderr
    runs = _runs(store["uri"], "probe-grid")
    assert len(runs) == 4
    assert sorted(r.data.metrics["factor_metric"] for r in runs) == [2.0, 4.0, 6.0, 8.0]
    assert all(r.info.status == "FINISHED" for r in runs)
    client = MlflowClient(store["uri"])
    default = client.get_experiment_by_name("Default")
    if default is not None:
        assert client.search_runs([default.experiment_id]) == []


def test_hostile_string_parameter_is_data(store: dict[str, str], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f'x"); import os; os.system("touch {marker}") #'
    out = tmp_path / "out"
    out.mkdir()
    exp = write_experiment(tmp_path / "hostile.yaml", experiment="probe-hostile", notebook=PROBE,
                           parameters={"value": hostile})
    # a spawned worker (what a runner inside a Jupyter kernel uses) runs the same way
    result = run_cli("run", str(exp), env={"RISKKIT_TEST_OUT": str(out), "RISKKIT_WORKER_START": "spawn"})
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "a string parameter was executed as code"
    (written,) = out.glob("*.txt")
    assert written.read_text() == hostile
    (run,) = _runs(store["uri"], "probe-hostile")
    assert run.info.status == "FINISHED" and run.data.tags["riskkit.worker_start"] == "spawn"


def test_hostile_override_is_data(store: dict[str, str], tmp_path: Path) -> None:
    marker = tmp_path / "pwned2"
    exp = write_experiment(tmp_path / "hostile2.yaml", experiment="probe-hostile2", notebook=PROBE)
    result = run_cli("run", str(exp), "-p", f"value=x\"); import os; os.system('touch {marker}')")
    assert result.returncode == 0, result.stderr
    assert not marker.exists()


def test_undeclared_parameter_refused(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "bad.yaml", experiment="probe-bad", notebook=PROBE,
                           parameters={"valeu": "typo"})
    result = run_cli("run", str(exp))
    assert result.returncode == 2
    assert "valeu" in result.stderr and "undeclared" in result.stderr
    result = run_cli("run", str(exp), "-p", "nope=1")
    assert result.returncode == 2 and "nope" in result.stderr


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"notebook": PROBE}, "missing key 'experiment'"),
        ({"experiment": "x"}, "missing key 'notebook'"),
        ({"experiment": 3, "notebook": PROBE}, "key 'experiment' must be a non-empty string"),
        ({"experiment": "x", "notebook": "notebooks/nope.ipynb"}, "notebook not found"),
        ({"experiment": "x", "notebook": PROBE, "parameters": [1, 2]}, "key 'parameters' must be a mapping"),
        ({"experiment": "x", "notebook": PROBE, "grid": {"factor": 3}}, "grid key 'factor' must be a non-empty list"),
        ({"experiment": "x", "notebook": PROBE, "paramters": {}}, "unknown key"),
    ],
)
def test_malformed_experiment_file(tmp_path: Path, doc: dict[str, object], message: str) -> None:
    path = write_experiment(tmp_path / "bad.yaml", **doc)
    with pytest.raises(ConfigError, match=message):
        load_experiment(path)


def test_malformed_experiment_file_cli_exit_2(store: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("experiment: [unclosed\n")
    result = run_cli("run", str(path))
    assert result.returncode == 2 and "broken.yaml" in result.stderr
    result = run_cli("run", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2 and "experiment file not found" in result.stderr


def test_notebook_without_parameters_cell_refuses_parameters(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "np.yaml", experiment="np", notebook=str(REPO / "tests/notebooks/no_parameters.ipynb"),
                           parameters={"a": 1})
    result = run_cli("run", str(exp))
    assert result.returncode == 2 and "no cell tagged 'parameters'" in result.stderr


def test_overrides_parse_like_yaml_scalars() -> None:
    parsed = parse_overrides(["a=3", "b=0.5", "c=true", "d=hello", "e=", "f=[1, 2]", "g=null"])
    assert parsed == {"a": 3, "b": 0.5, "c": True, "d": "hello", "e": "", "f": [1, 2], "g": None}
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["novalue"])


def test_grid_expansion_and_override_wins(tmp_path: Path) -> None:
    path = write_experiment(tmp_path / "g.yaml", experiment="g", notebook=PROBE,
                            parameters={"value": "v"}, grid={"factor": [1, 2], "fail": [False]})
    exp = load_experiment(path)
    specs = exp.runs()
    assert [s.parameters["factor"] for s in specs] == [1, 2]
    assert len({s.name for s in specs}) == 2
    (single,) = exp.runs({"factor": 9})
    assert single.parameters == {"value": "v", "factor": 9, "fail": False}


def test_kernel_that_dies_before_answering_is_started_again(store: dict[str, str], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two kernels starting at once can race for a TCP port (jupyter/jupyter_client#487): the loser
    dies with "Address already in use" before running a cell. Its run starts the kernel again
    instead of failing; any other failure, or a third such death, still fails the run."""
    import papermill

    from riskkit.app import tracking
    from riskkit.app.pipeline import _runner

    real = papermill.execute_notebook
    calls: list[int] = []

    def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    experiment = load_experiment(write_experiment(tmp_path / "race.yaml", experiment="probe-race", notebook=PROBE))
    uri = tracking.init_store()
    experiment_id = tracking.ensure_experiment("probe-race", uri)
    (spec,) = experiment.runs({})
    result = _runner.execute_run(uri, experiment_id, experiment, spec)
    assert result.status == "FINISHED" and len(calls) == 2
    assert _runs(store["uri"], "probe-race")[0].data.metrics["reached_end"] == 1

    def always(*args: object, **kwargs: object) -> object:
        calls.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", always)
    calls.clear()
    (spec,) = experiment.runs({"value": "again"})
    result = _runner.execute_run(uri, experiment_id, experiment, spec)
    assert result.status == "FAILED" and len(calls) == _runner.KERNEL_START_ATTEMPTS
    assert "Kernel died before replying" in result.error
