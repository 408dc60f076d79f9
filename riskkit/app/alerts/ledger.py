"""SQLite alert ledger: the outbox of alert delivery and the audit trail of their handling.

Every alert of an evaluation is written in one transaction, as ``pending``, before any delivery
(:meth:`AlertLedger.enqueue`); delivery then moves it to ``delivered``, ``undelivered`` (a
channel failed after its retries; retried later with backoff) or ``not_routed`` (no channel takes
its level). Each attempt per channel is kept in ``deliveries``; a channel that has delivered an
alert is never used for it again.

The workflow status is ``new`` -> ``acknowledged`` -> ``resolved`` (or ``new`` -> ``resolved``),
with an optional assignee; every change, with who, when and a comment, goes to ``audit``. A change
that is not allowed (acknowledging twice, changing a resolved alert, an unknown id) raises
:class:`~riskkit.exceptions.ParameterError` and leaves the file unchanged.

While a process delivers an alert it holds a claim on it (owner ``host:pid`` and a lease), so two
processes never deliver the same alert at once; a claim whose owner is gone or whose lease has
run out is taken over.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit._validation import short_repr
from riskkit.exceptions import DataError, ParameterError
from riskkit.grading import LEVELS, Alert

__all__ = ["DELIVERY_STATES", "STATUSES", "AlertLedger", "owner_id"]

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
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL REFERENCES alerts(alert_id),
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    comment TEXT
);
"""
# columns added after the first release of the ledger (older files are upgraded in place)
_ADDED_COLUMNS = {
    "alerts": [("assignee", "TEXT"), ("rounds", "INTEGER NOT NULL DEFAULT 0"), ("next_attempt_at", "REAL"),
               ("claimed_by", "TEXT"), ("claimed_until", "REAL"), ("escalated_at", "TEXT"),
               ("escalated_to", "TEXT")],
    "deliveries": [("kind", "TEXT NOT NULL DEFAULT 'alert'")],
}
_ALERT_COLUMNS = ["alert_id", "created_at", "indicator", "value", "level", "level_code", "threshold", "direction",
                  "message", "status", "delivery", "assignee", "acknowledged_at", "acknowledged_by", "resolved_at",
                  "resolved_by", "escalated_at", "escalated_to", "rounds", "next_attempt_at", "note"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def owner_id() -> str:
    """This process as a claim owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another host: trust its lease
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class AlertLedger:
    """Alert ledger in a SQLite file.

    Parameters
    ----------
    path : str or Path
        The SQLite file.
    create : bool, default True
        Create the file (and its folder) on first use; with False a missing file raises.

    Raises
    ------
    ParameterError
        With ``create=False`` when the file does not exist.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not Path(path).is_file():
            raise ParameterError(
                f"ledger does not exist (got ledger={str(path)!r}); pass --ledger PATH or run the "
                "early-warning notebook first"
            )

    # -- plumbing -------------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        file = Path(self.path)
        file.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = sqlite3.connect(file, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise DataError(f"ledger cannot be opened (got ledger={str(file)!r}): {exc}") from None
        try:
            con.row_factory = sqlite3.Row
            try:
                con.executescript(_SCHEMA)
                for table, columns in _ADDED_COLUMNS.items():
                    have = {r["name"] for r in con.execute(f"PRAGMA table_info({table})")}
                    for column, decl in columns:
                        if column not in have:
                            try:
                                con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
                            except sqlite3.OperationalError as exc:
                                # another process upgraded the same file between our look and our ALTER
                                if "duplicate column name" not in str(exc):
                                    raise
            except sqlite3.OperationalError as exc:
                raise self._unusable(exc) from None
            yield con
        finally:
            con.close()

    def _unusable(self, exc: sqlite3.Error) -> DataError:
        return DataError(f"ledger cannot be used (got ledger={str(self.path)!r}): {exc}; "
                         "check that the file and its folder are writable and not locked")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE): all or nothing."""
        with self._connect() as con:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._unusable(exc) from None
            try:
                yield con
            except sqlite3.OperationalError as exc:
                con.execute("ROLLBACK")
                raise self._unusable(exc) from None
            except BaseException:
                con.execute("ROLLBACK")
                raise
            try:
                con.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                con.execute("ROLLBACK")
                raise self._unusable(exc) from None

    @staticmethod
    def _row(con: sqlite3.Connection, alert_id: str) -> dict[str, Any] | None:
        row = con.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
        return dict(row) if row is not None else None

    def _require(self, con: sqlite3.Connection, alert_id: str) -> dict[str, Any]:
        row = self._row(con, alert_id)
        if row is None:
            raise ParameterError(
                f"alert_id is not in the ledger (got alert_id={short_repr(alert_id)}); "
                "list the ids with `riskkit alerts list`"
            )
        return row

    # -- the outbox -----------------------------------------------------------------------------
    def enqueue(self, alerts: Iterable[Alert], routed: Mapping[str, bool] | None = None) -> list[str]:
        """Record alerts in ONE transaction before any delivery.

        Parameters
        ----------
        alerts : iterable of Alert
            The alerts of one evaluation.
        routed : mapping alert_id -> bool, optional
            False for an alert no channel takes (recorded ``not_routed``); default all routed
            (``pending``).

        Returns
        -------
        list of str
            The ids, in order. An id already in the ledger is left as it is.
        """
        items = list(alerts)
        routes = dict(routed or {})
        now = _now()
        with self._transaction() as con:
            for alert in items:
                state = "pending" if routes.get(alert.alert_id, True) else "not_routed"
                cur = con.execute(
                    "INSERT OR IGNORE INTO alerts (alert_id, created_at, indicator, value, level, level_code, "
                    "threshold, direction, message, delivery) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (alert.alert_id, alert.created_at, alert.indicator, alert.value, alert.level,
                     alert.level_code, alert.threshold, alert.direction, alert.message, state),
                )
                if cur.rowcount:
                    con.execute("INSERT INTO audit (alert_id, at, user, action, comment) VALUES (?, ?, ?, ?, ?)",
                                (alert.alert_id, now, "riskkit", "created", alert.subject))
        return [a.alert_id for a in items]

    def append(self, alert: Alert) -> str:
        """Record one alert (status ``new``, delivery ``pending``).

        Parameters
        ----------
        alert : Alert

        Returns
        -------
        str
            Its id.
        """
        return self.enqueue([alert])[0]

    def due(self, *, force: bool = False, now: float | None = None) -> list[Alert]:
        """Alerts still to deliver: ``pending`` or ``undelivered``, not resolved, whose backoff has
        passed (all of them with ``force``), oldest first.

        Parameters
        ----------
        force : bool, default False
            Ignore the backoff between delivery rounds.
        now : float, optional
            Clock in seconds since the epoch (default: now).

        Returns
        -------
        list of Alert
        """
        clock = time.time() if now is None else now
        with self._connect() as con:
            rows = con.execute(
                "SELECT * FROM alerts WHERE delivery IN ('pending', 'undelivered') AND status != 'resolved' "
                "AND (? OR next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY created_at, rowid",
                (int(force), clock),
            ).fetchall()
        return [Alert.from_dict(dict(r)) for r in rows]

    def claim(self, alert_id: str, *, owner: str | None = None, lease: float = 300.0) -> bool:
        """Take the right to deliver an alert; False when another live process holds it.

        Parameters
        ----------
        alert_id : str
        owner : str, optional
            Default :func:`owner_id`.
        lease : float, default 300
            Seconds after which the claim lapses even if its owner seems alive.

        Returns
        -------
        bool
        """
        me = owner or owner_id()
        clock = time.time()
        with self._transaction() as con:
            row = self._require(con, alert_id)
            holder, until = row["claimed_by"], row["claimed_until"]
            if holder and holder != me and until is not None and until > clock and _owner_alive(holder):
                return False
            con.execute("UPDATE alerts SET claimed_by = ?, claimed_until = ? WHERE alert_id = ?",
                        (me, clock + lease, alert_id))
        return True

    def delivered_channels(self, alert_id: str, kind: str = "alert") -> set[str]:
        """Channels that have delivered this alert.

        Parameters
        ----------
        alert_id : str
        kind : str, default "alert"
            ``alert`` (routine delivery) or ``escalation``.

        Returns
        -------
        set of str
        """
        with self._connect() as con:
            rows = con.execute("SELECT DISTINCT channel FROM deliveries WHERE alert_id = ? AND ok = 1 AND kind = ?",
                               (alert_id, kind)).fetchall()
        return {r["channel"] for r in rows}

    def record_delivery(self, alert_id: str, channel: str, *, ok: bool, attempts: int,
                        error: str | None = None, kind: str = "alert") -> None:
        """Record one channel's delivery outcome for an alert.

        Parameters
        ----------
        alert_id : str
        channel : str
            The channel's name.
        ok : bool
            Delivered or not.
        attempts : int
            Attempts made.
        error : str, optional
            The last error.
        kind : str, default "alert"
            ``alert`` or ``escalation``.

        Raises
        ------
        ParameterError
            When the alert is not in the ledger.
        """
        with self._transaction() as con:
            self._require(con, alert_id)
            con.execute(
                "INSERT INTO deliveries (alert_id, channel, ok, attempts, error, at, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (alert_id, channel, int(ok), int(attempts), error, _now(), kind),
            )

    def finish_round(self, alert_id: str, state: str, *, retry_in: float = 0.0, owner: str | None = None) -> None:
        """End a delivery round: set the delivery state, schedule the next round, drop the claim.

        Parameters
        ----------
        alert_id : str
        state : str
            One of :data:`DELIVERY_STATES`.
        retry_in : float, default 0
            Seconds before the next round (for ``undelivered``).
        owner : str, optional
            Only this owner's claim is dropped (default :func:`owner_id`).
        """
        self._check_state(state)
        me = owner or owner_id()
        with self._transaction() as con:
            self._require(con, alert_id)
            con.execute(
                "UPDATE alerts SET delivery = ?, rounds = rounds + 1, next_attempt_at = ?, "
                "claimed_by = CASE WHEN claimed_by = ? THEN NULL ELSE claimed_by END, "
                "claimed_until = CASE WHEN claimed_by = ? THEN NULL ELSE claimed_until END WHERE alert_id = ?",
                (state, time.time() + retry_in if state == "undelivered" else None, me, me, alert_id),
            )

    def release(self, alert_id: str, *, owner: str | None = None) -> None:
        """Drop this owner's claim on an alert without changing it.

        Parameters
        ----------
        alert_id : str
        owner : str, optional
            Default :func:`owner_id`.
        """
        me = owner or owner_id()
        with self._transaction() as con:
            con.execute("UPDATE alerts SET claimed_by = NULL, claimed_until = NULL WHERE alert_id = ? AND claimed_by = ?",
                        (alert_id, me))

    def set_delivery(self, alert_id: str, state: str) -> None:
        """Set an alert's delivery state.

        Parameters
        ----------
        alert_id : str
        state : str
            ``pending``, ``delivered``, ``undelivered`` or ``not_routed``.

        Raises
        ------
        ParameterError
            On an unknown state or id.
        """
        self._check_state(state)
        with self._transaction() as con:
            self._require(con, alert_id)
            con.execute("UPDATE alerts SET delivery = ? WHERE alert_id = ?", (state, alert_id))

    @staticmethod
    def _check_state(state: str) -> None:
        if state not in DELIVERY_STATES:
            raise ParameterError(f"state must be one of {list(DELIVERY_STATES)} (got state={state!r})")

    # -- escalation -----------------------------------------------------------------------------
    def escalation_candidates(self, after_minutes: float, *, now: datetime | None = None) -> list[Alert]:
        """Red alerts still ``new`` (not acknowledged), never escalated, older than ``after_minutes``.

        Parameters
        ----------
        after_minutes : float
            Age from which an unacknowledged red alert is escalated.
        now : datetime, optional
            Clock (default: now, UTC).

        Returns
        -------
        list of Alert
        """
        clock = now or datetime.now(UTC)
        with self._connect() as con:
            rows = con.execute("SELECT * FROM alerts WHERE level = 'red' AND status = 'new' AND escalated_at IS NULL "
                               "ORDER BY created_at, rowid").fetchall()
        out = []
        for row in rows:
            created = pd.Timestamp(row["created_at"])
            created = created.tz_localize("UTC") if created.tzinfo is None else created
            if (clock - created.to_pydatetime()).total_seconds() >= 60.0 * after_minutes:
                out.append(Alert.from_dict(dict(row)))
        return out

    def mark_escalated(self, alert_id: str, channel: str, *, comment: str) -> bool:
        """Record that an alert was escalated, in the alert and the audit trail, once.

        Parameters
        ----------
        alert_id : str
        channel : str
            The escalation channel's name.
        comment : str
            Kept in the audit trail.

        Returns
        -------
        bool
            False when the alert was already escalated (nothing written).
        """
        now = _now()
        with self._transaction() as con:
            self._require(con, alert_id)
            cur = con.execute("UPDATE alerts SET escalated_at = ?, escalated_to = ? "
                              "WHERE alert_id = ? AND escalated_at IS NULL", (now, channel, alert_id))
            if not cur.rowcount:
                return False
            con.execute("INSERT INTO audit (alert_id, at, user, action, comment) VALUES (?, ?, ?, ?, ?)",
                        (alert_id, now, "riskkit", "escalated", comment))
        return True

    # -- people's actions -----------------------------------------------------------------------
    def resolve_id(self, alert_id: str) -> str:
        """The full id of an alert given its id or a unique prefix of at least 6 characters.

        Parameters
        ----------
        alert_id : str
            Full id or a prefix of at least 6 characters.

        Returns
        -------
        str
            The full alert id.

        Raises
        ------
        ParameterError
            When no alert or more than one matches.
        """
        if not isinstance(alert_id, str) or not alert_id.strip():
            raise ParameterError(f"alert_id must be an alert id (got alert_id={short_repr(alert_id)})")
        key = alert_id.strip()
        with self._connect() as con:
            if self._row(con, key) is not None:
                return key
            hits = [] if len(key) < 6 else [r["alert_id"] for r in con.execute(
                "SELECT alert_id FROM alerts WHERE alert_id LIKE ? ESCAPE '\\' LIMIT 2",
                (key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",))]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ParameterError(f"alert_id prefix matches several alerts (got alert_id={key!r}); give more characters")
        raise ParameterError(
            f"alert_id is not in the ledger (got alert_id={key!r}); list the ids with `riskkit alerts list`"
        )

    def _change(self, alert_id: str, action: str, by: str, comment: str | None, allowed: tuple[str, ...],
                hint: str, sql: str, args: tuple[Any, ...]) -> None:
        if not isinstance(by, str) or not by.strip():
            raise ParameterError(f"by must name who {action} the alert (got by={short_repr(by)})")
        now = _now()
        with self._transaction() as con:
            row = self._require(con, alert_id)
            if row["status"] not in allowed:
                raise ParameterError(
                    f"alert {alert_id} is {row['status']}: it cannot be {action} "
                    f"(allowed from {' or '.join(allowed)}); {hint}"
                )
            con.execute(sql, (*args, alert_id))
            con.execute("INSERT INTO audit (alert_id, at, user, action, comment) VALUES (?, ?, ?, ?, ?)",
                        (alert_id, now, by, action, comment))

    def acknowledge(self, alert_id: str, *, by: str = "riskkit", note: str | None = None) -> None:
        """Move a ``new`` alert to ``acknowledged``.

        Parameters
        ----------
        alert_id : str
        by : str
            Who acknowledges.
        note : str, optional
            Comment kept in the audit trail.

        Raises
        ------
        ParameterError
            Unknown id, or the alert is not ``new`` (nothing is written).
        """
        self._change(alert_id, "acknowledged", by, note, ("new",), "resolve it instead, or leave it",
                     "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, "
                     "note = COALESCE(?, note) WHERE alert_id = ?", (_now(), by, note))

    def assign(self, alert_id: str, assignee: str, *, by: str = "riskkit", note: str | None = None) -> None:
        """Give an open alert to someone.

        Parameters
        ----------
        alert_id : str
        assignee : str
            Who handles the alert.
        by : str
            Who assigns.
        note : str, optional
            Comment kept in the audit trail.

        Raises
        ------
        ParameterError
            Unknown id, an empty assignee, or a resolved alert (nothing is written).
        """
        if not isinstance(assignee, str) or not assignee.strip():
            raise ParameterError(f"assignee must be a name (got assignee={short_repr(assignee)})")
        comment = f"to {assignee}" + (f": {note}" if note else "")
        self._change(alert_id, "assigned", by, comment, ("new", "acknowledged"), "a resolved alert is closed",
                     "UPDATE alerts SET assignee = ?, note = COALESCE(?, note) WHERE alert_id = ?", (assignee, note))

    def resolve(self, alert_id: str, *, by: str = "riskkit", note: str | None = None) -> None:
        """Move a ``new`` or ``acknowledged`` alert to ``resolved``.

        Parameters
        ----------
        alert_id : str
        by : str
            Who resolves.
        note : str, optional
            Comment kept in the audit trail.

        Raises
        ------
        ParameterError
            Unknown id, or the alert is already resolved (nothing is written).
        """
        self._change(alert_id, "resolved", by, note, ("new", "acknowledged"), "it is closed already",
                     "UPDATE alerts SET status = 'resolved', resolved_at = ?, resolved_by = ?, "
                     "note = COALESCE(?, note) WHERE alert_id = ?", (_now(), by, note))

    # -- reading --------------------------------------------------------------------------------
    def get(self, alert_id: str) -> dict[str, Any] | None:
        """One alert as a dict.

        Parameters
        ----------
        alert_id : str
            The full id.

        Returns
        -------
        dict or None
            None when the id is unknown.
        """
        with self._connect() as con:
            return self._row(con, alert_id)

    def alerts(self, *, status: str | None = None, delivery: str | None = None, level: str | None = None,
               older_than: float | None = None) -> pd.DataFrame:
        """Alerts as a DataFrame (oldest first), optionally filtered.

        Parameters
        ----------
        status : str, optional
            ``new``, ``acknowledged``, ``resolved``, or ``open`` (new or acknowledged).
        delivery : str, optional
            One of :data:`DELIVERY_STATES`.
        level : str, optional
            One of ``blue``, ``yellow``, ``orange``, ``red``.
        older_than : float, optional
            Only alerts created more than this many seconds ago.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ParameterError
            On an unknown status, delivery state or level, or a negative age.
        """
        if status is not None and status not in (*STATUSES, "open"):
            raise ParameterError(f"status must be one of {[*STATUSES, 'open']} (got status={status!r})")
        if delivery is not None and delivery not in DELIVERY_STATES:
            raise ParameterError(f"delivery must be one of {list(DELIVERY_STATES)} (got delivery={delivery!r})")
        if level is not None and level not in LEVELS:
            raise ParameterError(f"level must be one of {list(LEVELS)} (got level={level!r})")
        if older_than is not None and (isinstance(older_than, bool) or not older_than >= 0):
            raise ParameterError(f"older_than must be a number of seconds >= 0 (got older_than={short_repr(older_than)})")
        query, args = f"SELECT {', '.join(_ALERT_COLUMNS)} FROM alerts WHERE 1=1", list[Any]()
        if status == "open":
            query += " AND status IN ('new', 'acknowledged')"
        elif status is not None:
            query, args = query + " AND status = ?", [*args, status]
        if delivery is not None:
            query, args = query + " AND delivery = ?", [*args, delivery]
        if level is not None:
            query, args = query + " AND level = ?", [*args, level]
        with self._connect() as con:
            frame = pd.read_sql_query(query + " ORDER BY created_at, rowid", con, params=args)
        if older_than is not None and len(frame):
            created = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
            frame = frame[created <= pd.Timestamp.now(tz="UTC") - pd.Timedelta(seconds=float(older_than))]
            frame = frame.reset_index(drop=True)
        return frame

    def undelivered(self) -> pd.DataFrame:
        """Alerts that a channel failed to deliver after its retries.

        Returns
        -------
        pandas.DataFrame
        """
        return self.alerts(delivery="undelivered")

    def deliveries(self, alert_id: str | None = None) -> pd.DataFrame:
        """Delivery attempts per alert and channel.

        Parameters
        ----------
        alert_id : str, optional
            Only this alert's.

        Returns
        -------
        pandas.DataFrame
            Columns id, alert_id, channel, kind (alert / escalation), ok, attempts, error, at.
        """
        query, args = "SELECT id, alert_id, channel, kind, ok, attempts, error, at FROM deliveries", list[str]()
        if alert_id is not None:
            query, args = query + " WHERE alert_id = ?", [alert_id]
        with self._connect() as con:
            return pd.read_sql_query(query + " ORDER BY id", con, params=args)

    def audit(self, alert_id: str | None = None) -> pd.DataFrame:
        """The audit trail: who did what to which alert, when, with which comment.

        Parameters
        ----------
        alert_id : str, optional
            Only this alert's.

        Returns
        -------
        pandas.DataFrame
            Columns id, alert_id, at, user, action, comment, oldest first.
        """
        query, args = "SELECT id, alert_id, at, user, action, comment FROM audit", list[str]()
        if alert_id is not None:
            query, args = query + " WHERE alert_id = ?", [alert_id]
        with self._connect() as con:
            return pd.read_sql_query(query + " ORDER BY id", con, params=args)
