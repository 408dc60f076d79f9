"""The ``riskkit`` command line: run experiments, list and compare runs, promote models.

Exit codes: 0 success, 1 a run failed (or a check refused), 2 usage error (bad file, undeclared
parameter, unknown run), 3 the experiment file is already running (see ``--wait``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from riskkit import __version__
from riskkit.exceptions import RiskkitError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


def _cmd_run(args: argparse.Namespace) -> int:
    from riskkit.pipeline import ExperimentLockedError, load_experiment, parse_overrides, run_experiment

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="riskkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"riskkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run an experiment file's notebook(s) and log them to MLflow")
    run.add_argument("experiment_file", help="experiments/<name>.yaml")
    run.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                     help="override a parameter (value parsed like a YAML scalar); repeatable")
    run.add_argument("--parallel", type=int, default=1, metavar="N",
                     help="run up to N grid points at once, each in its own process")
    run.add_argument("--wait", action="store_true",
                     help="if the same experiment file is already running, wait for it instead of exiting")
    run.set_defaults(func=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
