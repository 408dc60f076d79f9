"""Shared pieces of the ``riskkit`` command line: exit codes and error handling."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from riskkit.exceptions import ConfigError, RiskkitError

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_LOCKED", "EXIT_OK", "EXIT_USAGE", "Handler", "guarded"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

Handler = Callable[[argparse.Namespace], int]


def guarded(command: str, func: Handler) -> Handler:
    """Run ``func``; a riskkit error becomes one line on stderr and exit 2 (1 for a refused check)."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except RiskkitError as exc:
            print(f"riskkit {command}: {exc}", file=sys.stderr)
            return EXIT_USAGE if not isinstance(exc, ConfigError) else EXIT_FAILED
        except Exception as exc:
            if not _from_the_store(exc):
                raise
            # a tracking store that fails mid-command (a hanging API after its bounded retries, a
            # 5xx, a dropped connection): one line, not MLflow's traceback
            from riskkit.app import tracking  # lazy: the command line starts without the app layer

            print(f"riskkit {command}: {tracking.store_error(exc)}", file=sys.stderr)
            return EXIT_USAGE

    return wrapped


def _from_the_store(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by the MLflow client or the HTTP stack beneath it."""
    return type(exc).__module__.split(".")[0] in {"mlflow", "requests", "urllib3", "sqlalchemy"}
