"""``riskkit risk-report --month YYYY-MM [-o FILE]``: the monthly risk report as one HTML file.

Credit portfolio (the month's portfolio-monitoring run), credit models (champions and gates),
market risk (VaR backtest), operational, compliance and technology risk (the register) and the
open alerts with their handling; see :mod:`riskkit.app.risk_report`. A missing source is a
section that says so, not an error. A malformed month or output folder prints one line and
exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from riskkit.app.risk_report import parse_month, write_risk_report
from riskkit.cli._common import EXIT_OK, guarded

__all__ = ["register"]


def _risk_report(args: argparse.Namespace) -> int:
    month = parse_month(args.month)
    out = Path(args.output) if args.output else Path(f"risk_report_{month}.html")
    written = write_risk_report(month, out, ledger=args.ledger, register_path=args.register)
    print(f"risk report {month} written to {written.resolve()}", file=sys.stdout)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``risk-report`` subcommand."""
    p = sub.add_parser("risk-report", help="write the monthly risk report (one self-contained HTML file)",
                       description=(__doc__ or "").splitlines()[0])
    p.add_argument("--month", required=True, help="report month YYYY-MM (the portfolio-monitoring snapshot month)")
    p.add_argument("-o", "--output", help="HTML file to write (default risk_report_YYYY-MM.html)")
    p.add_argument("--ledger", help="alert ledger (default $RISKKIT_ALERT_LEDGER or runs/alerts/alert_ledger.sqlite)")
    p.add_argument("--register", help="risk register CSV/YAML used when there is no risk-register run")
    p.set_defaults(func=guarded("risk-report", _risk_report))
