"""The ``riskkit`` command line: run experiments, list and compare runs, promote models.

Exit codes: 0 success; 1 a run failed, or a check refused (failed gate, missing model or metric);
2 usage error (bad file, undeclared parameter, unknown run or experiment, unreachable server);
3 the experiment file is already running (see ``--wait``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from riskkit import __version__
from riskkit.exceptions import ConfigError, RiskkitError

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


def _review_errors(command: str, func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except RiskkitError as exc:
            print(f"riskkit {command}: {exc}", file=sys.stderr)
            return EXIT_USAGE if not isinstance(exc, ConfigError) else EXIT_FAILED
    return wrapped



def _cmd_runs(args: argparse.Namespace) -> int:
    from riskkit.review import format_table, runs_table

    metrics = [m.strip() for m in args.metrics.split(",")] if args.metrics else None
    frame = runs_table(args.experiment, sort_by=args.sort, ascending=args.ascending, max_results=args.limit,
                       metrics=metrics)
    if args.format == "text":
        frame = frame.assign(run_id=frame["run_id"].str[:12])
    print(format_table(frame, args.format), end="")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from riskkit.review import compare_runs, format_table

    frame = compare_runs(args.run_a, args.run_b)
    if args.only_differences:
        frame = frame[frame["differs"] == "*"]
    frame = frame.rename(columns={"run_a": args.run_a[:12], "run_b": args.run_b[:12]})
    print(format_table(frame, args.format), end="")
    return EXIT_OK


def _cmd_promote(args: argparse.Namespace) -> int:
    from riskkit.review import promote

    result = promote(args.run_id, args.alias, experiment_file=args.experiment_file, model_name=args.model_name)
    for gate in result.gates:
        print(f"gate {gate.gate}: {gate.value:.6g} PASS")
    moved = f" (previous version {result.previous_version} is now @previous-{result.alias})" if result.previous_version else ""
    print(f"models:/{result.model_name}@{result.alias} -> version {result.version}{moved}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from riskkit.pipeline import load_experiment
    from riskkit.report import build_report
    from riskkit.review import experiment_file_of, get_run, parse_gates

    run = get_run(args.run_id)
    path = experiment_file_of(run, args.experiment_file)
    gates = parse_gates(load_experiment(path).gates) if path and Path(path).is_file() else []
    out = Path(args.output or f"report_{args.run_id[:8]}.html")
    out.write_text(build_report(args.run_id, gates), encoding="utf-8")
    print(f"wrote {out.resolve()}")
    return EXIT_OK


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

    runs = sub.add_parser("runs", help="table of the latest runs of an experiment with their metrics")
    runs.add_argument("experiment", help="MLflow experiment name, e.g. credit-scorecard")
    runs.add_argument("--sort", metavar="METRIC", help="sort by this metric (descending unless --ascending)")
    runs.add_argument("--ascending", action="store_true")
    runs.add_argument("--metrics", metavar="A,B,...", help="only these metric columns")
    runs.add_argument("--limit", type=int, default=20, help="latest N runs (default 20)")
    runs.add_argument("--format", choices=["text", "csv", "markdown"], default="text")
    runs.set_defaults(func=_review_errors("runs", _cmd_runs))

    compare = sub.add_parser("compare", help="parameters and metrics of two runs side by side")
    compare.add_argument("run_a")
    compare.add_argument("run_b")
    compare.add_argument("--only-differences", action="store_true")
    compare.add_argument("--format", choices=["text", "csv", "markdown"], default="text")
    compare.set_defaults(func=_review_errors("compare", _cmd_compare))

    promote = sub.add_parser("promote", help="point a registry alias at a run's model after its gates pass")
    promote.add_argument("run_id")
    promote.add_argument("--alias", default="champion")
    promote.add_argument("--experiment-file", help="gates from this file (default: the run's own)")
    promote.add_argument("--model-name", help="registered model name (default: the experiment file's register_model)")
    promote.set_defaults(func=_review_errors("promote", _cmd_promote))

    report = sub.add_parser("report", help="write a run's self-contained HTML validation report")
    report.add_argument("run_id")
    report.add_argument("-o", "--output", help="file to write (default report_<run>.html)")
    report.add_argument("--experiment-file", help="gates from this file (default: the run's own)")
    report.set_defaults(func=_review_errors("report", _cmd_report))
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
