"""Experiment file -> papermill runs -> MLflow runs.

The runner owns each MLflow run: it creates it, logs the parameters, executes the notebook with
``MLFLOW_TRACKING_URI`` and ``MLFLOW_RUN_ID`` in the kernel's environment, keeps the executed
notebook under ``runs/`` and attaches it as ``.ipynb`` and ``.html``, and ends the run FINISHED or
FAILED (with the error and the failing cell). A notebook left to itself would end its run
FINISHED from the kernel's exit hook even when a cell raised; the runner sets the final status
after the kernel is gone, so that cannot happen here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import multiprocessing as mp
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from riskkit import __version__
from riskkit.app import describe, report, review, tracking
from riskkit.exceptions import ConfigError, RiskkitError
from riskkit.app.experiments import Experiment, RunSpec, load_experiment
from riskkit.app.pipeline._progress import Progress as _Progress

__all__ = ["ExperimentLockedError", "RunResult", "check_parameters", "run_experiment", "run_experiment_file"]

KERNEL_NAME = "riskkit-python"


class ExperimentLockedError(RiskkitError):
    """Another run of the same experiment file is still going."""


@dataclass(frozen=True)
class RunResult:
    """What one notebook run ended with."""

    name: str
    run_id: str
    status: str  # FINISHED | FAILED
    elapsed: float
    output_notebook: str
    error: str = ""
    failed_cell: int | None = None


# --------------------------------------------------------------------------- parameters
def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """Refuse parameters the notebook's ``parameters`` cell does not declare (papermill only warns)."""
    import papermill  # lazy: papermill is heavy; imported only in the worker that runs a notebook

    declared = papermill.inspect_notebook(str(notebook))
    if not declared and parameters:
        raise ConfigError(
            f"notebook {notebook.name!r} has no cell tagged 'parameters' but got parameters "
            f"{sorted(parameters)}; tag the cell holding its defaults 'parameters'"
        )
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ConfigError(
            f"undeclared parameter(s) {unknown} for notebook {notebook.name!r}; "
            f"it declares {sorted(declared)}"
        )


# --------------------------------------------------------------------------- kernel
def _kernel_dir() -> Path:
    """A kernelspec pointing at this interpreter, so notebooks always run in riskkit's environment
    (a user-level 'python3' kernelspec elsewhere cannot hijack the run)."""
    base = tracking.repo_root() / "runs" / ".jupyter"
    spec_dir = base / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        # log_level ERROR: ipykernel warns on every start that loopback TCP is unencrypted, which
        # is noise in scheduled run logs (the kernel listens on 127.0.0.1 only).
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--IPKernelApp.log_level=ERROR"],
        "display_name": "riskkit",
        "language": "python",
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    }
    target = spec_dir / "kernel.json"
    text = json.dumps(spec, indent=1)
    if not target.is_file() or target.read_text() != text:
        tmp = spec_dir / f"kernel.json.{os.getpid()}"
        tmp.write_text(text)
        tmp.replace(target)
    return base


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


# --------------------------------------------------------------------------- one run
def _relative(path: Path) -> str:
    root = tracking.project_root()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")[:80]


def _failure_details(exc: BaseException) -> tuple[str, int | None]:
    from papermill.exceptions import PapermillExecutionError  # lazy: papermill is heavy; imported only in the worker that runs a notebook

    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}", int(exc.cell_index)
    name = type(exc).__name__
    if "DeadKernel" in name:
        return f"{name}: the kernel died ({exc})", None
    return f"{name}: {exc}", None


def _to_html(notebook_path: Path) -> Path | None:
    try:
        import nbformat  # lazy: notebook tooling is heavy; needed only after a run
        from nbconvert import HTMLExporter  # lazy: notebook tooling is heavy; needed only after a run

        body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook_path, as_version=4))
    except Exception:  # a broken notebook still keeps its .ipynb
        return None
    html = notebook_path.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    return html


def execute_run(
    uri: str, experiment_id: str, experiment: Experiment, spec: RunSpec, events: Any = None
) -> RunResult:
    """Create the MLflow run, execute the notebook into it, attach it, and end the run."""
    import papermill  # lazy: papermill is heavy; imported only in the worker that runs a notebook

    started = time.monotonic()
    mlflow_client = tracking.client(uri)
    git = tracking.git_state()
    tags = {
        "mlflow.runName": spec.name,
        "mlflow.source.name": _relative(experiment.notebook),
        "mlflow.source.type": "NOTEBOOK",
        "mlflow.source.git.commit": git["commit"],
        "riskkit.notebook": experiment.notebook.name,
        "riskkit.experiment_file": experiment.path.name,
        "riskkit.experiment_path": _relative(experiment.path),
        "riskkit.git_commit": git["commit"],
        "riskkit.git_dirty": git["dirty"],
        "riskkit.version": __version__,
        **experiment.tags,
    }
    run = mlflow_client.create_run(experiment_id, tags=tags, run_name=spec.name)
    run_id = run.info.run_id
    if events is not None:
        events.put(("RUNNING", spec.name, run_id, 0.0))
    tracking.log_run_params(run_id, spec.parameters, uri)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = tracking.repo_root() / "runs" / _slug(experiment.experiment)
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{stamp}_{_slug(spec.name)}_{run_id[:8]}.ipynb"
    error, failed_cell = "", None
    env = {"MLFLOW_TRACKING_URI": uri, "MLFLOW_RUN_ID": run_id, "JUPYTER_PATH": str(_kernel_dir()),
           # no "Downloading artifacts" bars in executed notebooks (MLflow draws them on stderr)
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    try:
        with _environment(env):
            papermill.execute_notebook(
                str(experiment.notebook),
                str(output),
                parameters=spec.parameters,
                kernel_name=KERNEL_NAME,
                cwd=str(tracking.project_root()),
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,
            )
    except BaseException as exc:  # noqa: BLE001 (a run must always end; KeyboardInterrupt too)
        error, failed_cell = _failure_details(exc)
        if isinstance(exc, KeyboardInterrupt):
            _finish(mlflow_client, run_id, output, "KILLED", error, failed_cell)
            raise
    status = "FAILED" if error else "FINISHED"
    if not error:
        _after_success(mlflow_client, run_id, experiment)
    _finish(mlflow_client, run_id, output, status, error, failed_cell)
    return RunResult(spec.name, run_id, status, time.monotonic() - started, str(output), error, failed_cell)


def _after_success(mlflow_client: Any, run_id: str, experiment: Experiment) -> None:
    """Register the run's model (when the experiment names one) and attach the validation report.

    Neither may turn a good run into a failed one: problems are recorded as tags.
    """
    registered = None
    if experiment.register_model:
        try:
            version = review.register_run_model(run_id, experiment.register_model)
            if version is not None:
                registered = (experiment.register_model, version)
                mlflow_client.set_tag(run_id, "riskkit.model_version", f"{experiment.register_model}/{version}")
        except Exception as exc:  # noqa: BLE001
            mlflow_client.set_tag(run_id, "riskkit.register_error", f"{type(exc).__name__}: {exc}"[:5000])
    try:
        describe.annotate_run(run_id, review.parse_gates(experiment.gates), registered, experiment_file=experiment.path)
    except Exception as exc:  # noqa: BLE001
        mlflow_client.set_tag(run_id, "riskkit.describe_error", f"{type(exc).__name__}: {exc}"[:5000])
    try:
        html = report.build_report(run_id, gates=review.parse_gates(experiment.gates))
        mlflow_client.log_text(run_id, html, report.REPORT_PATH)
    except Exception as exc:  # noqa: BLE001
        mlflow_client.set_tag(run_id, "riskkit.report_error", f"{type(exc).__name__}: {exc}"[:5000])


def _finish(mlflow_client: Any, run_id: str, output: Path, status: str, error: str, failed_cell: int | None) -> None:
    """Attach the executed notebook, record the error, then set the final status."""
    try:
        if output.is_file():
            mlflow_client.log_artifact(run_id, str(output), "notebook")
            html = _to_html(output)
            if html is not None:
                mlflow_client.log_artifact(run_id, str(html), "notebook")
        if error:
            mlflow_client.set_tag(run_id, "riskkit.error", error[:5000])
            if failed_cell is not None:
                mlflow_client.set_tag(run_id, "riskkit.failed_cell", str(failed_cell))
            mlflow_client.log_text(run_id, error, "error.txt")
    finally:
        mlflow_client.set_terminated(run_id, status=status)


# --------------------------------------------------------------------------- many runs
@contextlib.contextmanager
def experiment_lock(experiment: Experiment, wait: bool) -> Iterator[None]:
    """One run of an experiment file at a time: a second one waits (``wait=True``) or is refused."""
    lock_dir = tracking.repo_root() / "runs" / ".locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{_slug(experiment.path.stem)}.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ExperimentLockedError(
                f"experiment file {experiment.path.name!r} is already running ({holder}); "
                "wait for it to finish or pass --wait to queue behind it"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_experiment(
    experiment: Experiment,
    overrides: dict[str, Any] | None = None,
    *,
    parallel: int = 1,
    wait: bool = False,
    stream: TextIO | None = None,
) -> list[RunResult]:
    """Run every point of ``experiment``; a failing run never stops the others."""
    if parallel < 1:
        raise ConfigError(f"--parallel must be >= 1 (got {parallel})")
    specs = experiment.runs(overrides)
    for spec in specs:
        check_parameters(experiment.notebook, spec.parameters)
    uri = tracking.init_store()
    experiment_id = tracking.ensure_experiment(experiment.experiment, uri)
    display = _Progress(specs, stream or sys.stdout)
    with experiment_lock(experiment, wait):
        ctx = mp.get_context("spawn")
        manager = ctx.Manager()
        events = manager.Queue()
        listener = threading.Thread(target=display.listen, args=(events,), daemon=True)
        listener.start()
        workers = max(1, min(parallel, len(specs)))
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(execute_run, uri, experiment_id, experiment, s, events): s for s in specs}
            done = {id(futures[f]): _collect(f, futures[f], events) for f in as_completed(futures)}
        results = [done[id(s)] for s in specs]
        events.put(None)
        listener.join(timeout=5)
        manager.shutdown()
    display.summary(results, experiment.experiment, uri)
    return results


def _collect(future: Any, spec: RunSpec, events: Any) -> RunResult:
    try:
        result: RunResult = future.result()
    except Exception as exc:  # the worker process itself died
        result = RunResult(spec.name, "", "FAILED", 0.0, "", f"{type(exc).__name__}: {exc}")
    events.put((result.status, spec.name, result.run_id, result.elapsed))
    return result


def run_experiment_file(path: str | Path, overrides: dict[str, Any] | None = None, **kwargs: Any) -> list[RunResult]:
    """Load an experiment file and run it (see :func:`run_experiment`)."""
    return run_experiment(load_experiment(path), overrides, **kwargs)
