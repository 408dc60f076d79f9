"""The ``riskkit`` command line: run experiments, list and compare runs, promote models, handle alerts.

Exit codes: 0 success; 1 a run failed, or a check refused (failed gate, missing model or metric);
2 usage error (bad file, undeclared or secret-looking parameter, unknown run or experiment,
unreachable server, refused credentials (401) or permission (403), promoting one's own run);
3 the experiment file is already running (see ``--wait``); 130 interrupted (Ctrl-C).

One module per command group registers its subcommands (``register(sub)``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from riskkit import __version__

__all__ = ["COMMANDS", "build_parser", "main"]

#: Each subcommand and the module (``riskkit.cli.<module>``) that registers it. A command imports
#: only its own module, so ``riskkit run`` does not load what ``riskkit alerts`` needs (scipy,
#: matplotlib: about a second per process). ``tests/test_cli.py`` checks this map against the parser.
COMMANDS = {
    "run": "_run",
    "runs": "_review", "compare": "_review", "promote": "_review", "promotions": "_review", "report": "_review",
    "alerts": "_alerts",
    "score": "_score",
    "risk-report": "_riskreport",
    "team": "_team",
}


def _groups(command: str | None = None) -> list[ModuleType]:
    names = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    return [importlib.import_module(f"riskkit.cli.{name}") for name in names]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``riskkit`` argument parser: every subcommand, or only ``command``'s group.

    Parameters
    ----------
    command : str, optional
        A subcommand name; its group alone is registered (faster start). Default: all.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(prog="riskkit", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--version", action="version", version=f"riskkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in _groups(command):
        group.register(sub)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first argument that is not an option)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``riskkit`` command; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command(args_in))
    args = parser.parse_args(args_in)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args))
