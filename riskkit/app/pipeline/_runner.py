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
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from riskkit import __version__
from riskkit.app import describe, report, review, tracking
from riskkit.exceptions import ConfigError, RiskkitError
from riskkit.app.experiments import Experiment, RunSpec, check_no_secrets, load_experiment
from riskkit.app.pipeline import _lifecycle, _liveness
from riskkit.app.pipeline._lifecycle import RunStopped
from riskkit.app.pipeline._progress import Progress as _Progress

__all__ = [
    "DEFAULT_MAX_RUNS",
    "ExperimentLockedError",
    "RunResult",
    "RunStopped",
    "check_parameters",
    "run_experiment",
    "run_experiment_file",
]

DEFAULT_MAX_RUNS = 100

KERNEL_NAME = "riskkit-python"
_log = logging.getLogger(__name__)


class ExperimentLockedError(RiskkitError):
    """Another run of the same experiment file is still going."""


@dataclass(frozen=True)
class RunResult:
    """What one notebook run ended with.

    Parameters
    ----------
    name : str
        Run name (notebook and grid values).
    run_id : str
        MLflow run id (empty when the run never started).
    status : str
        ``FINISHED``, ``FAILED``, ``KILLED`` or ``NOT STARTED``.
    elapsed : float
        Wall time in seconds.
    output_notebook : str
        Path of the executed notebook.
    error : str, default ""
        Why the run failed.
    failed_cell : int, optional
        Index of the cell that raised.
    warning : str, default ""
        A note such as a notebook that stopped early through ``sys.exit``.
    """

    name: str
    run_id: str
    status: str  # FINISHED | FAILED | KILLED | NOT STARTED
    elapsed: float
    output_notebook: str
    error: str = ""
    failed_cell: int | None = None
    warning: str = ""  # e.g. the notebook stopped early through sys.exit


# --------------------------------------------------------------------------- parameters
def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """Refuse parameters the notebook's ``parameters`` cell does not declare (papermill only warns),
    and parameters whose names look like credentials (they would be logged in MLflow and written
    into the executed notebook; a notebook reads secrets from environment variables).

    Parameters
    ----------
    notebook : Path
        The notebook.
    parameters : dict of str to object
        Parameters the run would inject.

    Raises
    ------
    ConfigError
        An undeclared or secret-looking parameter name.
    """
    import papermill  # lazy: papermill is heavy; imported only in the worker that runs a notebook

    check_no_secrets(parameters, "parameter")
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
        # the launcher records the kernel's pid and ends the kernel when its worker is gone
        "argv": [sys.executable, str(Path(__file__).with_name("_kernel_launch.py")), "-f", "{connection_file}",
                 "--IPKernelApp.log_level=ERROR"],
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


# --------------------------------------------------------------------------- one run
def _relative(path: Path) -> str:
    root = tracking.project_root()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")[:80]


KERNEL_START_ATTEMPTS = 3
"""Kernel starts per run: a kernel that dies before answering its first request is started again.

jupyter_client picks a kernel's TCP ports by binding to port 0 and releasing them for the kernel
to bind; another process starting a kernel at the same moment can take one of them in between
(jupyter/jupyter_client#487), and the kernel then dies with "Address already in use" before it
runs a cell. Nothing of the notebook has run then, so starting it again is safe."""


def _kernel_never_started(exc: BaseException) -> bool:
    return "Kernel died before replying to kernel_info" in str(exc) and not _lifecycle.stop_outcome()


def _failure_details(exc: BaseException) -> tuple[str, int | None]:
    from papermill.exceptions import PapermillExecutionError  # lazy: papermill is heavy; imported only in the worker that runs a notebook

    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}", int(exc.cell_index)
    name = type(exc).__name__
    if "DeadKernel" in name:
        return f"{name}: the kernel died ({exc})", None
    return f"{name}: {exc}", None


class _AltTextNotice(logging.Filter):
    """Drops nbconvert's "Alternative text is missing on N image(s)" warning: the exporter gives
    those images its own alt text, and a scheduled run's log keeps one line per state change."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Alternative text is missing")


_html_log = logging.getLogger(__name__ + ".html")
_html_log.addFilter(_AltTextNotice())


def _to_html(notebook_path: Path) -> Path | None:
    try:
        import nbformat  # lazy: notebook tooling is heavy; needed only after a run
        from nbconvert import HTMLExporter  # lazy: notebook tooling is heavy; needed only after a run

        exporter = HTMLExporter(log=_html_log)
        body, _ = exporter.from_notebook_node(nbformat.read(notebook_path, as_version=4))
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
        **_liveness.owner_tags(),
        "riskkit.worker_start": _lifecycle.worker_start() or "in-process",
        **experiment.tags,
        # who ran it (MLFLOW_TRACKING_USERNAME, else $USER): run.info.user_id, checked by promote
        "mlflow.user": tracking.tracking_user(),
    }
    try:
        run = mlflow_client.create_run(experiment_id, tags=tags, run_name=spec.name)
    except Exception as exc:  # a 403 (no EDIT on the experiment) becomes one line in the summary
        raise tracking.store_error(exc, uri) from None
    run_id = run.info.run_id
    if events is not None:
        events.put(("RUNNING", spec.name, run_id, 0.0))
    tracking.log_run_params(run_id, spec.parameters, uri)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = tracking.repo_root() / "runs" / _slug(experiment.experiment)
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{stamp}_{_slug(spec.name)}_{run_id[:8]}.ipynb"
    if events is not None:
        events.put(("OUTPUT", str(output)))
    error, failed_cell = "", None
    env = {"MLFLOW_TRACKING_URI": uri, "MLFLOW_RUN_ID": run_id, "JUPYTER_PATH": str(_kernel_dir()),
           **_lifecycle.kernel_environment(),
           # no "Downloading artifacts" bars in executed notebooks (MLflow draws them on stderr)
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    try:
        _lifecycle.begin_execution()
        with tracking.environment(env):
            for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
                try:
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
                    break
                except RuntimeError as exc:
                    if attempt == KERNEL_START_ATTEMPTS or not _kernel_never_started(exc):
                        raise
                    _log.warning("run %s: the kernel died before it answered (%s); starting it again (%d/%d)",
                                 run_id, exc, attempt + 1, KERNEL_START_ATTEMPTS)
    except BaseException as exc:  # noqa: BLE001 (a run must always end; KeyboardInterrupt too)
        _lifecycle.end_execution()
        error, failed_cell = _failure_details(exc) if not _lifecycle.is_stop(exc) else ("", None)
        if isinstance(exc, KeyboardInterrupt) and _lifecycle.stop_outcome() is None:
            _finish(mlflow_client, run_id, output, "KILLED", error, failed_cell)
            raise
    _lifecycle.end_execution()
    status = "FAILED" if error else "FINISHED"
    stopped = _lifecycle.stop_outcome()
    if stopped is not None:  # a signal or the timeout ended the notebook
        status, error = stopped
        failed_cell = _running_cell(output)
    warning = "" if error else _early_exit(mlflow_client, run_id, output)
    if not error:
        _after_success(mlflow_client, run_id, experiment)
    _finish(mlflow_client, run_id, output, status, error, failed_cell)
    return RunResult(spec.name, run_id, status, time.monotonic() - started, str(output), error, failed_cell, warning)


def _read_cells(output: Path) -> list[dict[str, Any]]:
    try:
        cells: list[dict[str, Any]] = json.loads(output.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return []
    return cells


def _running_cell(output: Path) -> int | None:
    """Index of the cell that was running when the kernel was stopped: the last code cell papermill
    started (it marks a killed cell completed, but never starts the ones after it)."""
    started = [i for i, cell in enumerate(_read_cells(output))
               if cell.get("cell_type") == "code" and cell.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def _early_exit(mlflow_client: Any, run_id: str, output: Path) -> str:
    """Tag a run whose notebook stopped early through ``sys.exit`` (papermill ends it silently).

    Returns the warning for the summary, or ``""``.
    """
    cells = _read_cells(output)
    for index, cell in enumerate(cells):
        exits = [o for o in cell.get("outputs", []) if o.get("output_type") == "error" and o.get("ename") == "SystemExit"]
        if not exits:
            continue
        skipped = sum(1 for c in cells[index + 1:] if c.get("cell_type") == "code")
        warning = (f"notebook stopped early at cell {index} (SystemExit: {exits[0].get('evalue', '')}); "
                   f"{skipped} later code cell(s) not run")
        with contextlib.suppress(Exception):
            mlflow_client.set_tag(run_id, "riskkit.early_exit_cell", str(index))
            mlflow_client.set_tag(run_id, "riskkit.warning", warning)
        return warning
    return ""


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
def _locks(experiment: Experiment) -> _lifecycle.RunLocks:
    return _lifecycle.RunLocks(tracking.repo_root() / "runs" / ".locks", _slug(experiment.path.stem),
                               experiment.path.name)


def _finish_from_runner(uri: str, run_id: str, output: str, status: str, message: str) -> None:
    """End a run whose worker could not (killed after the grace period, or died)."""
    mlflow_client = tracking.client(uri)
    if mlflow_client.get_run(run_id).info.status != "RUNNING":
        return
    _finish(mlflow_client, run_id, Path(output) if output else Path(os.devnull), status, message, None)


def run_experiment(
    experiment: Experiment,
    overrides: dict[str, Any] | None = None,
    *,
    parallel: int = 1,
    wait: bool = False,
    wait_timeout: float | None = None,
    timeout: float | None = None,
    max_runs: int = DEFAULT_MAX_RUNS,
    dry_run: bool = False,
    stream: TextIO | None = None,
) -> list[RunResult]:
    """Run every point of ``experiment``; a failing run never stops the others.

    Parameters
    ----------
    experiment : Experiment
        The loaded experiment file.
    overrides : dict, optional
        Parameter values that win over the file's parameters and grid axes.
    parallel : int
        Grid points run at once, each in its own worker process.
    wait : bool
        Queue behind a running instance of the same experiment file instead of refusing.
    wait_timeout : float, optional
        Give up waiting after this many seconds (:class:`ExperimentLockedError`).
    timeout : float, optional
        Wall-time bound of each run in seconds (default: the file's ``timeout:``, else none).
    max_runs : int
        Refuse a grid with more points than this.
    dry_run : bool
        List the points and their parameters without running anything.
    stream : file-like, optional
        Where progress and the summary go (stdout by default).

    Returns
    -------
    list of RunResult
        One per grid point, in grid order (empty for a dry run).

    Raises
    ------
    ConfigError
        A bad option, an undeclared parameter, or a grid larger than ``max_runs``.
    TrackingError
        The store is unreachable, hangs or is not writable.
    ExperimentLockedError
        The same file is running (and ``wait`` is false, or ``wait_timeout`` expired).
    RunStopped
        A signal stopped the run; its ``results`` and ``exit_code`` tell how the runs ended.
    """
    out = stream or sys.stdout
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise ConfigError(f"--parallel must be an integer >= 1 (got {parallel!r})")
    if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 1:
        raise ConfigError(f"--max-runs must be an integer >= 1 (got {max_runs!r})")
    for name, value in (("--timeout", timeout), ("--wait-timeout", wait_timeout)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise ConfigError(f"{name} must be a positive number of seconds (got {value!r})")
    timeout = timeout if timeout is not None else experiment.timeout
    specs = experiment.runs(overrides)
    if len(specs) > max_runs:
        raise ConfigError(
            f"experiment file {experiment.path.name!r} expands to {len(specs)} runs, more than --max-runs "
            f"{max_runs}; check the grid, or raise --max-runs (see them first with --dry-run)"
        )
    for spec in specs:
        check_parameters(experiment.notebook, spec.parameters)
    if dry_run:
        _print_plan(experiment, specs, timeout, out)
        return []
    tracking.bound_http_requests()
    uri = tracking.init_store()
    os.environ["MLFLOW_TRACKING_URI"] = uri  # resolved once (a relative sqlite path), absolute from here on
    try:
        experiment_id = tracking.ensure_experiment(experiment.experiment, uri)
    except RiskkitError:
        raise
    except Exception as exc:  # a 403 from an authenticated server becomes one line
        raise tracking.store_error(exc, uri) from None
    _liveness.reap_ghost_runs(uri, [experiment_id])
    display = _Progress(specs, out)
    locks = _locks(experiment)
    locks.acquire(wait, wait_timeout, out, ExperimentLockedError)
    try:
        scheduler = _lifecycle.Scheduler(
            target=execute_run,
            args=(uri, experiment_id, experiment),
            specs=specs,
            parallel=max(1, min(parallel, len(specs))),
            timeout=timeout,
            pid_dir=tracking.repo_root() / "runs" / ".pids",
            members=str(locks.members_path),
            display=display,
            finish=lambda run_id, output, status, message: _finish_from_runner(uri, run_id, output, status, message),
            make_result=lambda spec, run_id, status, error, elapsed, output: RunResult(
                spec.name, run_id, status, elapsed, output, error),
            stream=out,
        )
        results, stopped_by = scheduler.run()
    finally:
        locks.release()
    display.summary(results, experiment.experiment, uri)
    if stopped_by is not None:
        raise RunStopped(stopped_by, results)
    return results


def _print_plan(experiment: Experiment, specs: list[RunSpec], timeout: float | None, out: TextIO) -> None:
    bound = f", each bounded to {timeout:g} s" if timeout else ""
    print(f"experiment {experiment.experiment!r}: {len(specs)} run(s) of {experiment.notebook.name}{bound} "
          "(dry run: nothing started)", file=out)
    width = len(str(len(specs)))
    for i, spec in enumerate(specs, 1):
        params = ", ".join(f"{k}={v!r}" for k, v in spec.parameters.items()) or "(defaults)"
        print(f"[{i:>{width}}/{len(specs)}] {spec.name}: {params}", file=out)
    out.flush()


def run_experiment_file(path: str | Path, overrides: dict[str, Any] | None = None, **kwargs: Any) -> list[RunResult]:
    """Load an experiment file and run it (see :func:`run_experiment`).

    Parameters
    ----------
    path : str or Path
        The experiment YAML file.
    overrides : dict of str to object, optional
        Parameters that win over the file's parameters and grid.
    **kwargs
        Passed to :func:`run_experiment` (``parallel``, ``timeout``, ...).

    Returns
    -------
    list of RunResult
        One result per run.

    Raises
    ------
    ConfigError
        When the file or a parameter is invalid.
    """
    return run_experiment(load_experiment(path), overrides, **kwargs)


