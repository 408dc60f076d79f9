"""``riskkit alerts list | show | ack | assign | resolve | redeliver | escalate``: the alert ledger
from a shell.

The ledger is ``--ledger PATH``, else ``$RISKKIT_ALERT_LEDGER``, else the early-warning notebook's
``runs/alerts/alert_ledger.sqlite`` under the repo root. Who acts is ``--user`` or ``$USER``.
A change that is not allowed (acknowledging a resolved alert, resolving twice, an unknown id)
prints one line and exits 2, leaving the ledger unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pandas as pd

import riskkit
from riskkit.app.alerts import (
    DEFAULT_LEDGER_ENV,
    AlertLedger,
    Notifier,
    default_ledger_path,
)
from riskkit.cli._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from riskkit.exceptions import ParameterError, RiskkitError
from riskkit.grading import LEVELS, load_config

__all__ = ["parse_age", "register"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_LIST_COLUMNS = ["alert_id", "created_at", "level", "indicator", "value", "status", "delivery", "assignee"]


def parse_age(text: str) -> float:
    """Seconds in an age such as ``90s``, ``30m``, ``2h``, ``1d`` or ``1w``.

    Parameters
    ----------
    text : str

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        When the text is not a number followed by one of s, m, h, d, w.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(text))
    if not match:
        raise ParameterError(f"--older-than must be a number with a unit s, m, h, d or w (got {text!r}); e.g. 2h")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _user(args: argparse.Namespace) -> str:
    user = args.user or os.environ.get("USER") or os.environ.get("LOGNAME") or ""
    if not user.strip():
        raise ParameterError("no user to record in the audit trail (got --user unset and $USER empty); pass --user NAME")
    return user.strip()


def _ledger_path(args: argparse.Namespace, config: dict[str, Any] | None = None) -> Path:
    if args.ledger:
        return Path(args.ledger)
    if os.environ.get(DEFAULT_LEDGER_ENV, "").strip():
        return default_ledger_path()
    if config and config.get("ledger"):
        return Path(str(config["ledger"]))
    return default_ledger_path()


def _open(args: argparse.Namespace) -> AlertLedger:
    return AlertLedger(_ledger_path(args), create=False)


def _config_path(text: str) -> Path:
    path = Path(text)
    if path.is_absolute() or path.exists():
        return path
    return Path(riskkit.__file__).resolve().parents[1] / path


def _print_frame(frame: pd.DataFrame, fmt: str, empty: str) -> None:
    if fmt == "csv":
        print(frame.to_csv(index=False), end="")
    elif fmt == "json":
        print(json.dumps(json.loads(frame.to_json(orient="records")), indent=2))
    elif frame.empty:
        print(empty)
    else:
        print(frame.to_string(index=False))


def _cmd_list(args: argparse.Namespace) -> int:
    age = parse_age(args.older_than) if args.older_than else None
    frame = _open(args).alerts(status=args.status, level=args.level, delivery=args.delivery, older_than=age)
    frame = frame[_LIST_COLUMNS].tail(args.limit) if args.limit else frame[_LIST_COLUMNS]
    if args.format == "text":
        frame = frame.assign(alert_id=frame["alert_id"].str[:12], assignee=frame["assignee"].fillna("-"))
    _print_frame(frame, args.format, "no alerts match")
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    ledger = _open(args)
    alert_id = ledger.resolve_id(args.alert_id)
    row = ledger.get(alert_id) or {}
    deliveries = ledger.deliveries(alert_id).drop(columns=["id", "alert_id"])
    trail = ledger.audit(alert_id).drop(columns=["id", "alert_id"])
    if args.format == "json":
        doc = {"alert": row, "deliveries": json.loads(deliveries.to_json(orient="records")),
               "audit": json.loads(trail.to_json(orient="records"))}
        print(json.dumps(doc, indent=2, default=str))
        return EXIT_OK
    width = max(len(k) for k in row)
    for key, value in row.items():
        if key in ("claimed_by", "claimed_until"):
            continue
        print(f"{key:<{width}}  {'' if value is None else value}")
    print("\ndeliveries:")
    print(deliveries.to_string(index=False) if len(deliveries) else "  none")
    print("\naudit trail:")
    print(trail.fillna("").to_string(index=False) if len(trail) else "  none")
    return EXIT_OK


def _cmd_ack(args: argparse.Namespace) -> int:
    ledger = _open(args)
    user = _user(args)
    alert_id = ledger.resolve_id(args.alert_id)
    ledger.acknowledge(alert_id, by=user, note=args.comment)
    print(f"alert {alert_id} acknowledged by {user}")
    return EXIT_OK


def _cmd_assign(args: argparse.Namespace) -> int:
    ledger = _open(args)
    user = _user(args)
    alert_id = ledger.resolve_id(args.alert_id)
    ledger.assign(alert_id, args.assignee, by=user, note=args.comment)
    print(f"alert {alert_id} assigned to {args.assignee} by {user}")
    return EXIT_OK


def _cmd_resolve(args: argparse.Namespace) -> int:
    ledger = _open(args)
    user = _user(args)
    alert_id = ledger.resolve_id(args.alert_id)
    ledger.resolve(alert_id, by=user, note=args.comment)
    print(f"alert {alert_id} resolved by {user}")
    return EXIT_OK


def _notifier(args: argparse.Namespace) -> Notifier:
    config = load_config(_config_path(args.config))
    ledger = AlertLedger(_ledger_path(args, config), create=False)
    return Notifier.from_dict(config, ledger=ledger)


def _report(report: Any) -> int:
    head = f"{report.n_alerts} alert(s); {report.n_delivered} delivery(ies) succeeded, {report.n_failed} failed"
    print(head if not len(report.deliveries) else head + "\n" + report.deliveries.to_string(index=False))
    return EXIT_FAILED if report.n_failed else EXIT_OK


def _cmd_redeliver(args: argparse.Namespace) -> int:
    return _report(_notifier(args).redeliver(force=args.force))


def _cmd_escalate(args: argparse.Namespace) -> int:
    notifier = _notifier(args)
    if notifier.escalation is None:
        raise ParameterError(f"{args.config} has no escalation block; add escalation: {{after_minutes: N, channel: NAME}}")
    return _report(notifier.escalate())


def _guard(command: str, func: Any) -> Any:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except RiskkitError as exc:
            print(f"riskkit alerts {command}: {exc}", file=sys.stderr)
            return EXIT_USAGE

    return wrapped


def register(sub: Any) -> None:
    """Add ``alerts`` and its subcommands to the ``riskkit`` subcommands.

    Parameters
    ----------
    sub : argparse subparsers action
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ledger", metavar="PATH",
                        help=f"alert ledger (default ${DEFAULT_LEDGER_ENV}, else runs/alerts/alert_ledger.sqlite "
                             "under the repo root)")
    acting = argparse.ArgumentParser(add_help=False)
    acting.add_argument("--user", help="who acts, for the audit trail (default $USER)")
    acting.add_argument("-m", "--comment", help="comment kept in the audit trail")
    configured = argparse.ArgumentParser(add_help=False)
    configured.add_argument("--config", default="data/early_warning.yaml",
                            help="early-warning YAML with the channels (default data/early_warning.yaml)")

    alerts = sub.add_parser("alerts", help="list and handle the alerts of the ledger")
    group = alerts.add_subparsers(dest="alerts_command", required=True)

    lst = group.add_parser("list", parents=[common], help="alerts, oldest first, with filters")
    lst.add_argument("--status", choices=["new", "acknowledged", "resolved", "open"],
                     help="open = new or acknowledged")
    lst.add_argument("--level", choices=list(LEVELS))
    lst.add_argument("--delivery", choices=["pending", "delivered", "undelivered", "not_routed"])
    lst.add_argument("--older-than", metavar="AGE", help="only alerts older than AGE, e.g. 30m, 2h, 1d")
    lst.add_argument("--limit", type=int, default=0, help="only the latest N")
    lst.add_argument("--format", choices=["text", "csv", "json"], default="text")
    lst.set_defaults(func=_guard("list", _cmd_list))

    show = group.add_parser("show", parents=[common], help="one alert with its deliveries and audit trail")
    show.add_argument("alert_id", help="id or a unique prefix (at least 6 characters)")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(func=_guard("show", _cmd_show))

    ack = group.add_parser("ack", parents=[common, acting], help="acknowledge a new alert")
    ack.add_argument("alert_id")
    ack.set_defaults(func=_guard("ack", _cmd_ack))

    assign = group.add_parser("assign", parents=[common, acting], help="give an open alert to someone")
    assign.add_argument("alert_id")
    assign.add_argument("assignee")
    assign.set_defaults(func=_guard("assign", _cmd_assign))

    resolve = group.add_parser("resolve", parents=[common, acting], help="close an alert")
    resolve.add_argument("alert_id")
    resolve.set_defaults(func=_guard("resolve", _cmd_resolve))

    redeliver = group.add_parser("redeliver", parents=[common, configured],
                                 help="deliver pending and undelivered alerts (exit 1 if any still fails)")
    redeliver.add_argument("--force", action="store_true", help="ignore the backoff between delivery rounds")
    redeliver.set_defaults(func=_guard("redeliver", _cmd_redeliver))

    escalate = group.add_parser("escalate", parents=[common, configured],
                                help="escalate unacknowledged red alerts older than the configured time, once")
    escalate.set_defaults(func=_guard("escalate", _cmd_escalate))
