"""Experiment files -> papermill runs -> MLflow runs."""

from riskkit.app.experiments import Experiment, RunSpec, load_experiment, parse_overrides
from riskkit.app.pipeline._liveness import reap_ghost_runs
from riskkit.app.pipeline._runner import (
    DEFAULT_MAX_RUNS,
    ExperimentLockedError,
    RunStopped,
    RunResult,
    check_parameters,
    run_experiment,
    run_experiment_file,
)

__all__ = [
    "DEFAULT_MAX_RUNS",
    "Experiment",
    "ExperimentLockedError",
    "RunResult",
    "RunSpec",
    "RunStopped",
    "check_parameters",
    "load_experiment",
    "parse_overrides",
    "reap_ghost_runs",
    "run_experiment",
    "run_experiment_file",
]
