"""SQLite alert ledger: every alert is recorded before delivery, so no alert is ever lost.

Each alert has a workflow status (``new`` -> ``acknowledged`` -> ``resolved``, or ``new`` ->
``resolved``) and a delivery state (``pending`` until notified, then ``delivered``,
``undelivered`` when a channel failed after its retries, or ``not_routed`` when no channel takes
its level). Every delivery attempt per channel is kept in a second table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from riskkit._validation import short_repr
from riskkit.exceptions import ParameterError

if TYPE_CHECKING:
    from riskkit.grading._warning import Alert

__all__ = ["AlertLedger", "DELIVERY_STATES", "STATUSES"]

STATUSES = ("new", "acknowledged", "resolved")
DELIVERY_STATES = ("pending", "delivered", "undelivered", "not_routed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    indicator TEXT NOT NULL,
    value REAL,
    level TEXT NOT NULL,
    level_code INTEGER NOT NULL,
    threshold REAL,
    direction TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'resolved')),
    delivery TEXT NOT NULL DEFAULT 'pending'
        CHECK (delivery IN ('pending', 'delivered', 'undelivered', 'not_routed')),
    acknowledged_at TEXT, acknowledged_by TEXT,
    resolved_at TEXT, resolved_by TEXT,
    note TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL REFERENCES alerts(alert_id),
    channel TEXT NOT NULL,
    ok INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT,
    at TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AlertLedger:
    """Alert ledger in a SQLite file (created with its parent directory on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        file = Path(self.path)
        file.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(file, timeout=30)
        try:
            con.executescript(_SCHEMA)
            with con:
                yield con
        finally:
            con.close()

    def append(self, alert: Alert) -> str:
        """Record an alert (status ``new``, delivery ``pending``); returns its id."""
        with self._connect() as con:
            con.execute(
                "INSERT INTO alerts (alert_id, created_at, indicator, value, level, level_code, "
                "threshold, direction, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (alert.alert_id, alert.created_at, alert.indicator, alert.value, alert.level,
                 alert.level_code, alert.threshold, alert.direction, alert.message),
            )
        return alert.alert_id

    def record_delivery(self, alert_id: str, channel: str, *, ok: bool, attempts: int,
                        error: str | None = None) -> None:
        """Record one channel's delivery outcome for an alert."""
        self._require(alert_id)
        with self._connect() as con:
            con.execute(
                "INSERT INTO deliveries (alert_id, channel, ok, attempts, error, at) VALUES (?, ?, ?, ?, ?, ?)",
                (alert_id, channel, int(ok), int(attempts), error, _now()),
            )

    def set_delivery(self, alert_id: str, state: str) -> None:
        """Set an alert's delivery state (pending / delivered / undelivered / not_routed)."""
        if state not in DELIVERY_STATES:
            raise ParameterError(f"state must be one of {list(DELIVERY_STATES)} (got state={state!r})")
        self._require(alert_id)
        with self._connect() as con:
            con.execute("UPDATE alerts SET delivery = ? WHERE alert_id = ?", (state, alert_id))

    def _require(self, alert_id: str) -> dict[str, Any]:
        row = self.get(alert_id)
        if row is None:
            raise ParameterError(
                f"alert_id is not in the ledger (got alert_id={short_repr(alert_id)}); "
                f"list ids with AlertLedger({str(self.path)!r}).alerts()"
            )
        return row

    def get(self, alert_id: str) -> dict[str, Any] | None:
        """One alert as a dict, or None."""
        with self._connect() as con:
            con.row_factory = sqlite3.Row
            row = con.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
        return dict(row) if row is not None else None

    def acknowledge(self, alert_id: str, *, by: str = "", note: str | None = None) -> None:
        """Move a ``new`` alert to ``acknowledged``."""
        row = self._require(alert_id)
        if row["status"] != "new":
            raise ParameterError(
                f"only a new alert can be acknowledged (got alert_id={alert_id!r} with status "
                f"{row['status']!r}); resolve it instead"
            )
        with self._connect() as con:
            con.execute(
                "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, "
                "note = COALESCE(?, note) WHERE alert_id = ?",
                (_now(), by, note, alert_id),
            )

    def resolve(self, alert_id: str, *, by: str = "", note: str | None = None) -> None:
        """Move a ``new`` or ``acknowledged`` alert to ``resolved``."""
        row = self._require(alert_id)
        if row["status"] == "resolved":
            raise ParameterError(f"alert is already resolved (got alert_id={alert_id!r})")
        with self._connect() as con:
            con.execute(
                "UPDATE alerts SET status = 'resolved', resolved_at = ?, resolved_by = ?, "
                "note = COALESCE(?, note) WHERE alert_id = ?",
                (_now(), by, note, alert_id),
            )

    def alerts(self, *, status: str | None = None, delivery: str | None = None) -> pd.DataFrame:
        """Alerts as a DataFrame (oldest first), optionally filtered by status and delivery."""
        if status is not None and status not in STATUSES:
            raise ParameterError(f"status must be one of {list(STATUSES)} (got status={status!r})")
        if delivery is not None and delivery not in DELIVERY_STATES:
            raise ParameterError(
                f"delivery must be one of {list(DELIVERY_STATES)} (got delivery={delivery!r})"
            )
        query, args = "SELECT * FROM alerts WHERE 1=1", list[str]()
        if status is not None:
            query, args = query + " AND status = ?", [*args, status]
        if delivery is not None:
            query, args = query + " AND delivery = ?", [*args, delivery]
        with self._connect() as con:
            return pd.read_sql_query(query + " ORDER BY created_at, rowid", con, params=args)

    def undelivered(self) -> pd.DataFrame:
        """Alerts that a channel failed to deliver after its retries."""
        return self.alerts(delivery="undelivered")

    def deliveries(self, alert_id: str | None = None) -> pd.DataFrame:
        """Delivery attempts per alert and channel."""
        query, args = "SELECT * FROM deliveries", list[str]()
        if alert_id is not None:
            query, args = query + " WHERE alert_id = ?", [alert_id]
        with self._connect() as con:
            return pd.read_sql_query(query + " ORDER BY id", con, params=args)
