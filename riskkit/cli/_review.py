"""``riskkit runs | compare | promote | promotions | report``: the reviewers' commands."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from riskkit.app import tracking
from riskkit.app.experiments import load_experiment
from riskkit.app.pipeline import reap_ghost_runs
from riskkit.app.report import build_report
from riskkit.app.review import (
    compare_runs,
    experiment_file_of,
    fit_columns,
    format_table,
    get_run,
    parse_gates,
    promote,
    promotions,
    runs_table,
)
from riskkit.cli._common import EXIT_OK, guarded

__all__ = ["register"]


WIDTH = 120  # columns a terminal table fits (text format)
MAX_CELL = 36


def _cmd_runs(args: argparse.Namespace) -> int:
    tracking.bound_http_requests()
    uri = tracking.tracking_uri()
    tracking.check_reachable(uri)
    found = tracking.client(uri).get_experiment_by_name(args.experiment)
    if found is not None:  # runs whose owner process is gone end KILLED before anyone reads them
        reap_ghost_runs(uri, [found.experiment_id])
    metrics: list[str] | str | None = None
    if args.metrics == "all":
        metrics = "all"
    elif args.metrics:
        metrics = [m.strip() for m in args.metrics.split(",")]
    frame = runs_table(args.experiment, sort_by=args.sort, ascending=args.ascending, max_results=args.limit,
                       metrics=metrics)
    if args.format != "text":
        print(format_table(frame, args.format), end="")
        return EXIT_OK
    frame = frame.assign(run_id=frame["run_id"].str[:12], start=frame["start"].str[5:])
    for column in frame.columns[5:]:  # metrics: 4 significant digits on a terminal
        frame[column] = frame[column].map(lambda v: float(f"{v:.4g}") if isinstance(v, float) else v)
    # room for the headline metrics: an aliased run is marked "*" (the aliases are listed below),
    # and the status column only appears when a run did not finish
    aliased = {rid: alias for rid, alias in zip(frame["run_id"], frame["alias"], strict=True) if alias}
    frame = frame.assign(run_id=[f"{rid}*" if rid in aliased else rid for rid in frame["run_id"]]).drop(columns="alias")
    all_finished = bool(len(frame)) and bool((frame["status"] == "FINISHED").all())
    if all_finished:
        frame = frame.drop(columns="status")
    frame = _short_names(frame)
    wrap = False
    if metrics != "all":
        fitted, dropped = fit_columns(frame, WIDTH, keep=3, max_cell=MAX_CELL)
        if dropped:  # headers on two or three lines when that shows more of the metrics
            wrapped, fewer = fit_columns(frame, WIDTH, keep=3, max_cell=MAX_CELL, wrap_headers=True)
            if len(fewer) < len(dropped):
                fitted, dropped, wrap = wrapped, fewer, True
        frame = fitted
    else:
        dropped = []
    print(format_table(frame, "text", max_cell=MAX_CELL, wrap_headers=wrap), end="")
    notes = [f"* {alias}: {rid}" for rid, alias in aliased.items()]
    if all_finished:
        notes.append(f"all {len(frame)} run(s) FINISHED")
    if notes:
        print(textwrap.fill("; ".join(notes), WIDTH))
    if dropped:
        note = (f"(+{len(dropped)} not shown to fit {WIDTH} columns: {', '.join(dropped)}; "
                "--metrics all or --metrics A,B to choose, --format csv for everything)")
        print(textwrap.fill(note, WIDTH))
    return EXIT_OK


def _short_names(frame: Any) -> Any:
    """When every run comes from one notebook, the name column is headed by the notebook and shows
    only what differs (``seed=7 test_size=0.25``), so the distinguishing part is never cut."""
    names = [str(n) for n in frame["name"]]
    stems = {n.split(" ", 1)[0] for n in names}
    if len(stems) != 1 or not any(" " in n for n in names):
        return frame
    stem = stems.pop()
    shown = [n.split(" ", 1)[1] if " " in n else "(file defaults)" for n in names]
    return frame.assign(name=shown).rename(columns={"name": stem})


def _cmd_compare(args: argparse.Namespace) -> int:
    frame = compare_runs(args.run_a, args.run_b)
    if args.only_differences:
        frame = frame[frame["differs"] == "*"]
    frame = frame.rename(columns={"run_a": args.run_a[:12], "run_b": args.run_b[:12]})
    # kind + name + two values + marker fit WIDTH when each cell is at most 32 characters
    print(format_table(frame, args.format, max_cell=32 if args.format == "text" else None), end="")
    return EXIT_OK


def _cmd_promote(args: argparse.Namespace) -> int:
    result = promote(args.run_id, args.alias, reason=args.reason, experiment_file=args.experiment_file,
                     model_name=args.model_name)
    for gate in result.gates:
        print(f"gate {gate.gate}: {gate.value:.6g} PASS")
    moved = f" (previous version {result.previous_version} is now @previous-{result.alias})" if result.previous_version else ""
    print(f"models:/{result.model_name}@{result.alias} -> version {result.version}{moved}")
    print(f"recorded: promoted by {result.promoted_by} at {result.promoted_at} (run by {result.run_author or 'unknown'}); "
          f"reason: {result.reason}")
    return EXIT_OK


def _cmd_promotions(args: argparse.Namespace) -> int:
    frame = promotions(args.model)
    if frame.empty:
        print(f"no promotions recorded for {args.model!r}")
        return EXIT_OK
    if args.format == "text":
        frame = frame.assign(run_id=frame["run_id"].str[:12])
    print(format_table(frame, args.format), end="")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    run = get_run(args.run_id)
    run_id = run.info.run_id
    path = experiment_file_of(run, args.experiment_file)
    gates = parse_gates(load_experiment(path).gates) if path and Path(path).is_file() else []
    out = Path(args.output or f"report_{run_id[:8]}.html")
    out.write_text(build_report(run_id, gates), encoding="utf-8")
    print(f"wrote {out.resolve()}")
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``runs``, ``compare``, ``promote``, ``promotions`` and ``report`` to the ``riskkit`` subcommands."""
    runs = sub.add_parser("runs", help="table of the latest runs of an experiment with their headline metrics; "
                                       "the alias column marks the champion")
    runs.add_argument("experiment", help="MLflow experiment name, e.g. credit-scorecard")
    runs.add_argument("--sort", metavar="METRIC", help="sort by this metric (descending unless --ascending)")
    runs.add_argument("--ascending", action="store_true")
    runs.add_argument("--metrics", metavar="A,B,...|all",
                      help="metric columns: these, or 'all' (default: the family's headline metrics, as many as fit 120 columns)")
    runs.add_argument("--limit", type=int, default=20, help="latest N runs (default 20)")
    runs.add_argument("--format", choices=["text", "csv", "markdown"], default="text")
    runs.set_defaults(func=guarded("runs", _cmd_runs))

    compare = sub.add_parser("compare", help="parameters and metrics of two runs side by side")
    compare.add_argument("run_a")
    compare.add_argument("run_b")
    compare.add_argument("--only-differences", action="store_true")
    compare.add_argument("--format", choices=["text", "csv", "markdown"], default="text")
    compare.set_defaults(func=guarded("compare", _cmd_compare))

    prom = sub.add_parser("promote", help="point a registry alias at a run's model after its gates pass")
    prom.add_argument("run_id")
    prom.add_argument("--alias", default="champion")
    prom.add_argument("--experiment-file", help="gates from this file (default: the run's own)")
    prom.add_argument("--model-name", help="registered model name (default: the experiment file's register_model)")
    prom.add_argument("--reason", required=True, help="why this model is promoted (recorded on the model version)")
    prom.set_defaults(func=guarded("promote", _cmd_promote))

    trail = sub.add_parser("promotions", help="audit trail of a registered model: who promoted which version, when, why")
    trail.add_argument("model", help="registered model name")
    trail.add_argument("--format", choices=["text", "csv", "markdown"], default="text")
    trail.set_defaults(func=guarded("promotions", _cmd_promotions))

    report = sub.add_parser("report", help="write a run's self-contained HTML validation report")
    report.add_argument("run_id")
    report.add_argument("-o", "--output", help="file to write (default report_<run>.html)")
    report.add_argument("--experiment-file", help="gates from this file (default: the run's own)")
    report.set_defaults(func=guarded("report", _cmd_report))
