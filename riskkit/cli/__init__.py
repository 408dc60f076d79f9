"""The ``riskkit`` command line: run experiments, list and compare runs, promote models, handle alerts.

Exit codes: 0 success; 1 a run failed, or a check refused (failed gate, missing model or metric);
2 usage error (bad file, undeclared or secret-looking parameter, unknown run or experiment,
unreachable server, refused credentials (401) or permission (403), promoting one's own run);
3 the experiment file is already running (see ``--wait``); 130 interrupted (Ctrl-C).

One module per command group registers its subcommands (``register(sub)``).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from riskkit import __version__
from riskkit.cli import _alerts, _review, _riskreport, _run, _score, _team

__all__ = ["build_parser", "main"]

_GROUPS = (_run, _review, _alerts, _score, _riskreport, _team)


def build_parser() -> argparse.ArgumentParser:
    """The ``riskkit`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="riskkit", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--version", action="version", version=f"riskkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in _GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``riskkit`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args))
