"""``riskkit run``: experiment files -> Papermill -> MLflow runs."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from riskkit.app.pipeline import (
    DEFAULT_MAX_RUNS,
    ExperimentLockedError,
    RunStopped,
    load_experiment,
    parse_overrides,
    run_experiment,
)
from riskkit.app.pipeline._lifecycle import skip_unused_schema_formats
from riskkit.cli._common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE
from riskkit.exceptions import RiskkitError

__all__ = ["register"]


def _cmd_run(args: argparse.Namespace) -> int:
    skip_unused_schema_formats()  # this process imports papermill; the command owns the process
    # MLflow's INFO lines ("Creating initial MLflow database tables...") are noise in a cron log and
    # in the kernels the runs start (they inherit it); its warnings and errors still show
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    # a scheduled job sends no usage telemetry out (and without MLflow's telemetry thread the runner
    # can fork its workers: see riskkit.app.pipeline._lifecycle.worker_start_method)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        experiment = load_experiment(args.experiment_file)
        overrides = parse_overrides(args.param)
    except RiskkitError as exc:
        print(f"riskkit run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        results = run_experiment(
            experiment, overrides, parallel=args.parallel, wait=args.wait or args.wait_timeout is not None,
            wait_timeout=args.wait_timeout,
            timeout=args.timeout, max_runs=args.max_runs, dry_run=args.dry_run,
        )
    except ExperimentLockedError as exc:
        print(f"riskkit run: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except RiskkitError as exc:
        print(f"riskkit run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunStopped as exc:
        return exc.exit_code
    except KeyboardInterrupt:  # Ctrl-C before any run started
        print("riskkit run: interrupted before any run started", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK if all(r.status == "FINISHED" for r in results) else EXIT_FAILED


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds (got {text!r})") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds (got {text!r})")
    return value


def register(sub: Any) -> None:
    """Add ``run`` to the ``riskkit`` subcommands."""
    run = sub.add_parser(
        "run", help="run an experiment file's notebook(s) and log them to MLflow",
        description="Exit codes: 0 every run finished; 1 a run failed or timed out; 2 usage error "
                    "(bad file, undeclared parameter, grid over --max-runs, unusable store); 3 the file is "
                    "already running; 130 Ctrl-C; 143 SIGTERM; 129 SIGHUP (runs then end KILLED).",
    )
    run.add_argument("experiment_file", help="experiments/<name>.yaml")
    run.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                     help="override a parameter (value parsed like a YAML scalar); repeatable")
    run.add_argument("--parallel", type=int, default=1, metavar="N",
                     help="run up to N grid points at once, each in its own process")
    run.add_argument("--timeout", type=_positive, default=None, metavar="SECONDS",
                     help="bound each run's wall time (overrides the file's 'timeout:'); a run over it is "
                          "stopped, kernel and all, and ends FAILED")
    run.add_argument("--dry-run", action="store_true",
                     help="list the grid points and their parameters, run nothing")
    run.add_argument("--max-runs", type=int, default=DEFAULT_MAX_RUNS, metavar="N",
                     help=f"refuse a grid of more than N points (default {DEFAULT_MAX_RUNS})")
    run.add_argument("--wait", action="store_true",
                     help="if the same experiment file is already running, wait for it instead of exiting")
    run.add_argument("--wait-timeout", type=_positive, default=None, metavar="SECONDS",
                     help="wait (as --wait) at most SECONDS, then give up with exit 3")
    run.set_defaults(func=_cmd_run)
