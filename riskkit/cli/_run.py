"""``riskkit run``: experiment files -> Papermill -> MLflow runs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from riskkit.app.pipeline import ExperimentLockedError, load_experiment, parse_overrides, run_experiment
from riskkit.cli._common import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE
from riskkit.exceptions import RiskkitError

__all__ = ["register"]


def _cmd_run(args: argparse.Namespace) -> int:
    try:
        experiment = load_experiment(args.experiment_file)
        overrides = parse_overrides(args.param)
    except RiskkitError as exc:
        print(f"riskkit run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        results = run_experiment(experiment, overrides, parallel=args.parallel, wait=args.wait)
    except ExperimentLockedError as exc:
        print(f"riskkit run: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except RiskkitError as exc:
        print(f"riskkit run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if all(r.status == "FINISHED" for r in results) else EXIT_FAILED


def register(sub: Any) -> None:
    """Add ``run`` to the ``riskkit`` subcommands."""
    run = sub.add_parser("run", help="run an experiment file's notebook(s) and log them to MLflow")
    run.add_argument("experiment_file", help="experiments/<name>.yaml")
    run.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                     help="override a parameter (value parsed like a YAML scalar); repeatable")
    run.add_argument("--parallel", type=int, default=1, metavar="N",
                     help="run up to N grid points at once, each in its own process")
    run.add_argument("--wait", action="store_true",
                     help="if the same experiment file is already running, wait for it instead of exiting")
    run.set_defaults(func=_cmd_run)
