"""``riskkit score MODEL_URI INPUT OUTPUT``: batch scoring on pandas (streamed) or Spark."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from riskkit.app.scoring import ENGINES, score_file
from riskkit.cli._common import EXIT_OK, EXIT_USAGE
from riskkit.exceptions import RiskkitError

__all__ = ["register"]


def _cmd_score(args: argparse.Namespace) -> int:
    keys = [k.strip() for k in args.keys.split(",") if k.strip()] if args.keys else None
    try:
        summary = score_file(args.model_uri, args.input, args.output, engine=args.engine, master=args.master,
                             batch_rows=args.batch_rows, keys=keys, progress=sys.stderr.isatty())
    except RiskkitError as exc:
        print(f"riskkit score: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(summary.summary())
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``score`` to the ``riskkit`` subcommands."""
    score = sub.add_parser("score", help="score a Parquet/CSV file or folder with an MLflow model")
    score.add_argument("model_uri", help="e.g. models:/credit-xgboost@champion")
    score.add_argument("input", help="a .parquet or .csv file, or a folder of them")
    score.add_argument("output", help="where the scores go (.parquet or .csv; a folder with --engine spark)")
    score.add_argument("--engine", choices=ENGINES, default="pandas",
                       help="pandas: stream batches in this process (default); spark: mlflow spark_udf")
    score.add_argument("--master", help="Spark master URL (default local[*]); with --engine spark")
    score.add_argument("--batch-rows", type=int, default=100_000, metavar="N",
                       help="rows per batch of the pandas engine (default 100000)")
    score.add_argument("--keys", metavar="A,B", help="input columns to carry into the output "
                       "(default: every column the model does not use)")
    score.set_defaults(func=_cmd_score)
