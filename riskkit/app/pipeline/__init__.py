"""Experiment files -> papermill runs -> MLflow runs."""

from riskkit.app.experiments import Experiment, RunSpec, load_experiment, parse_overrides
from riskkit.app.pipeline._runner import (
    ExperimentLockedError,
    RunResult,
    check_parameters,
    run_experiment,
    run_experiment_file,
)

__all__ = [
    "Experiment",
    "ExperimentLockedError",
    "RunResult",
    "RunSpec",
    "check_parameters",
    "load_experiment",
    "parse_overrides",
    "run_experiment",
    "run_experiment_file",
]
