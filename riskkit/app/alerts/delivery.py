"""Alert delivery as an outbox: record first, deliver after, retry what is left, escalate once.

:meth:`Notifier.notify` writes every alert of an evaluation to the ledger in one transaction (as
``pending``) before any delivery, then drains the ledger's outbox: the new alerts and any alert a
previous run left ``pending`` (a process killed mid-delivery) or ``undelivered`` whose backoff has
passed. Each alert is claimed, sent through each channel that takes its level and has not
delivered it yet, and its state updated; a channel that has delivered an alert is never used for it
again. The delivery rounds of an alert back off exponentially (the failing channels' ``backoff``
times 2 per round, at most ``max_backoff``). Delivery is at least once: a process killed between a
server's acceptance and the ledger's record sends that one message again on the next round (e-mails
carry a stable ``Message-ID`` so a receiver can drop the copy).

Escalation: with ``escalation: {after_minutes: N, channel: NAME}`` a red alert still ``new`` (not
acknowledged) N minutes after it was created is sent once to the channel named NAME, and the
escalation is written to the audit trail; checked by :meth:`Notifier.notify`,
:meth:`Notifier.redeliver` and :meth:`Notifier.escalate` (``riskkit alerts escalate``).

:meth:`notify` and :meth:`redeliver` never raise because of a delivery problem.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit._validation import short_repr
from riskkit.app import tracking
from riskkit.app.alerts.channels import Channel, channel_from_dict
from riskkit.app.alerts.ledger import AlertLedger, owner_id
from riskkit.exceptions import ConfigError, DeliveryError, RiskkitError
from riskkit._results import Result
from riskkit.grading import Alert, load_config

__all__ = ["DEFAULT_LEDGER_ENV", "Escalation", "NotificationReport", "Notifier", "default_ledger_path"]

logger = logging.getLogger(__name__)

DEFAULT_LEDGER_ENV = "RISKKIT_ALERT_LEDGER"
_COLUMNS = ["alert_id", "indicator", "level", "channel", "kind", "ok", "attempts", "error"]


def default_ledger_path() -> Path:
    """The ledger used when none is given: ``$RISKKIT_ALERT_LEDGER``, else
    ``runs/alerts/alert_ledger.sqlite`` under the repo root (``$RISKKIT_HOME`` or the checkout),
    the file the early-warning notebook writes."""
    env = os.environ.get(DEFAULT_LEDGER_ENV, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    return tracking.repo_root() / "runs" / "alerts" / "alert_ledger.sqlite"


@dataclass(frozen=True)
class Escalation:
    """Escalate a red alert not acknowledged within ``after_minutes`` to the channel ``channel``.

    Parameters
    ----------
    after_minutes : float
        Minutes a red alert may stay unacknowledged.
    channel : str
        Name of the channel that receives the escalation.
    """

    after_minutes: float
    channel: str


@dataclass(frozen=True, repr=False)
class NotificationReport(Result):
    """Outcome of :meth:`Notifier.notify` / :meth:`Notifier.redeliver`: one row per attempt series.

    Attributes
    ----------
    deliveries : pd.DataFrame
        Columns alert_id, indicator, level, channel, kind (alert / escalation), ok, attempts, error.
    n_alerts : int
        Alerts handed to this call (notify) or found due in the ledger (redeliver).
    """

    deliveries: pd.DataFrame
    """Columns alert_id, indicator, level, channel, kind (alert / escalation), ok, attempts, error."""
    n_alerts: int
    """Alerts handed to this call (notify) or found due in the ledger (redeliver)."""

    @classmethod
    def empty(cls) -> NotificationReport:
        """A report of no delivery (e.g. a run with notification switched off)."""
        return cls(deliveries=pd.DataFrame([], columns=_COLUMNS), n_alerts=0)

    @property
    def n_delivered(self) -> int:
        """Successful deliveries."""
        return int(self.deliveries["ok"].sum()) if len(self.deliveries) else 0

    @property
    def n_failed(self) -> int:
        """Deliveries that failed after their retries."""
        return int((~self.deliveries["ok"].astype(bool)).sum()) if len(self.deliveries) else 0

    @property
    def failed(self) -> pd.DataFrame:
        """Deliveries that failed after their retries (the alerts stay in the ledger)."""
        return self.deliveries[~self.deliveries["ok"].astype(bool)] if len(self.deliveries) else self.deliveries

    @property
    def escalations(self) -> pd.DataFrame:
        """The escalation deliveries of this call."""
        return self.deliveries[self.deliveries["kind"] == "escalation"]

    def summary(self) -> pd.DataFrame:
        """Headline counts as a DataFrame.

        Returns
        -------
        DataFrame
            One row: n_alerts, n_delivered, n_failed, n_escalations.
        """
        return pd.DataFrame({"n_alerts": [self.n_alerts], "n_delivered": [self.n_delivered],
                             "n_failed": [self.n_failed], "n_escalations": [len(self.escalations)]},
                            index=pd.Index(["notification"], name="report"))

    def to_frame(self) -> pd.DataFrame:
        """One row per alert, channel and kind of delivery (a copy of ``deliveries``)."""
        return self.deliveries.copy()

    def _headline(self) -> str:
        return f"{self.n_alerts} alert(s); {self.n_delivered} delivery(ies) succeeded, {self.n_failed} failed"


class Notifier:
    """Delivers alerts through channels with the SQLite ledger as outbox.

    Parameters
    ----------
    channels : sequence of Channel
        Delivery channels, each with its own ``min_level``.
    ledger : AlertLedger, str or Path, optional
        The ledger (default :func:`default_ledger_path`).
    escalation : Escalation, optional
        Escalation of unacknowledged red alerts.
    max_backoff : float, default 3600
        Longest wait, in seconds, between two delivery rounds of an alert.

    Raises
    ------
    ConfigError
        When a channel is invalid, two channels share a name, or the escalation names no channel.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from riskkit.grading import EarlyWarning
    >>> from riskkit.app.alerts import LogChannel, Notifier
    >>> ew = EarlyWarning.from_dict({"indicators": {"psi": {"direction": "above", "thresholds": {"red": 0.25}}}})
    >>> ledger = pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite"
    >>> report = Notifier([LogChannel()], ledger=ledger).notify(ew.evaluate({"psi": 0.3}))
    >>> report.n_delivered
    1
    """

    def __init__(
        self,
        channels: Sequence[Channel] = (),
        *,
        ledger: AlertLedger | str | Path | None = None,
        escalation: Escalation | None = None,
        max_backoff: float = 3600.0,
    ) -> None:
        self.channels = list(channels)
        for position, channel in enumerate(self.channels):
            try:
                channel.validate()
            except RiskkitError as exc:
                raise ConfigError(f"channels[{position}] ({channel.kind} {channel.name!r}): {exc}") from None
        names = [c.name for c in self.channels]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ConfigError(f"channels have duplicated names {duplicated}; give each a distinct `name:`")
        if escalation is not None:
            if not (isinstance(escalation.after_minutes, (int, float)) and not isinstance(escalation.after_minutes, bool)
                    and math.isfinite(escalation.after_minutes) and escalation.after_minutes >= 0):
                raise ConfigError(f"escalation.after_minutes must be a number >= 0 "
                                  f"(got after_minutes={short_repr(escalation.after_minutes)})")
            if escalation.channel not in names:
                raise ConfigError(f"escalation.channel must name a channel (got channel={escalation.channel!r}); "
                                  f"channels are {names}; add `name: {escalation.channel}` to one")
        if isinstance(max_backoff, bool) or not isinstance(max_backoff, (int, float)) or not max_backoff > 0:
            raise ConfigError(f"max_backoff must be a positive number of seconds (got max_backoff={short_repr(max_backoff)})")
        self.escalation = escalation
        self.max_backoff = float(max_backoff)
        self.ledger = ledger if isinstance(ledger, AlertLedger) else AlertLedger(
            ledger if ledger is not None else default_ledger_path())

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, config: Mapping[str, Any], *, ledger: AlertLedger | str | Path | None = None) -> Notifier:
        """From the early-warning configuration (``channels``, ``ledger``, ``escalation``).

        Parameters
        ----------
        config : mapping
            The early-warning YAML as a dict; ``indicators`` is ignored here.
        ledger : AlertLedger, str or Path, optional
            Overrides the configured ledger.

        Returns
        -------
        Notifier

        Raises
        ------
        ConfigError
            Naming the channel and the key of a bad channel, or a bad escalation block.
        """
        if not isinstance(config, Mapping):
            raise ConfigError(f"config must be a mapping (got {short_repr(config)})")
        raw = config.get("channels") or []
        if not isinstance(raw, list):
            raise ConfigError(f"channels must be a list (got channels={short_repr(raw)})")
        channels = [channel_from_dict(spec, i) for i, spec in enumerate(raw)]
        return cls(channels, ledger=ledger if ledger is not None else config.get("ledger"),
                   escalation=_parse_escalation(config.get("escalation")))

    @classmethod
    def from_yaml(cls, path: str | Path, *, ledger: AlertLedger | str | Path | None = None) -> Notifier:
        """From the early-warning YAML file (same file as :meth:`EarlyWarning.from_yaml`).

        Parameters
        ----------
        path : str or Path
        ledger : AlertLedger, str or Path, optional

        Returns
        -------
        Notifier

        Raises
        ------
        ConfigError
            When the file is missing, not YAML, or a channel is invalid.
        """
        return cls.from_dict(load_config(path), ledger=ledger)

    def channel(self, name: str) -> Channel:
        """The channel with this name.

        Parameters
        ----------
        name : str

        Returns
        -------
        Channel

        Raises
        ------
        ConfigError
            When no channel has this name.
        """
        for ch in self.channels:
            if ch.name == name:
                return ch
        raise ConfigError(f"no channel is named {name!r}; channels are {[c.name for c in self.channels]}")

    # -- delivery -------------------------------------------------------------------------------
    def notify(self, alerts: Sequence[Alert]) -> NotificationReport:
        """Record the alerts (one transaction, before any delivery), then deliver every due alert.

        Parameters
        ----------
        alerts : sequence of Alert
            The alerts of one evaluation (may be empty: the outbox is still drained).

        Returns
        -------
        NotificationReport
            One row per (alert, channel) delivered or attempted in this call, earlier alerts
            redelivered and escalations included.

        Raises
        ------
        DataError
            Only when the ledger itself cannot be written (the alerts could not be recorded);
            never because of a delivery problem.
        """
        items = list(alerts)
        self.ledger.enqueue(items, {a.alert_id: any(c.accepts(a) for c in self.channels) for a in items})
        rows = self._drain(force=False)
        rows += self._escalate()
        return NotificationReport(deliveries=pd.DataFrame(rows, columns=_COLUMNS), n_alerts=len(items))

    def run(self, early_warning: Any, values: Mapping[str, Any]) -> tuple[list[Alert], NotificationReport]:
        """``early_warning.evaluate(values)`` then :meth:`notify`.

        Parameters
        ----------
        early_warning : EarlyWarning
            The pure evaluation.
        values : mapping of str to number
            Indicator values.

        Returns
        -------
        (list of Alert, NotificationReport)
        """
        alerts = early_warning.evaluate(values)
        return alerts, self.notify(alerts)

    def redeliver(self, *, force: bool = False) -> NotificationReport:
        """Deliver what the ledger still holds: ``pending`` alerts (a run killed mid-delivery) and
        ``undelivered`` ones whose backoff has passed, each only on the channels that have not
        delivered it; then escalate.

        Parameters
        ----------
        force : bool, default False
            Ignore the backoff between rounds.

        Returns
        -------
        NotificationReport
        """
        due = len(self.ledger.due(force=force))
        rows = self._drain(force=force)
        rows += self._escalate()
        return NotificationReport(deliveries=pd.DataFrame(rows, columns=_COLUMNS), n_alerts=due)

    def escalate(self) -> NotificationReport:
        """Send each red alert not acknowledged in time to the escalation channel, once.

        Returns
        -------
        NotificationReport
            The escalation deliveries (empty without an ``escalation`` block).
        """
        rows = self._escalate()
        return NotificationReport(deliveries=pd.DataFrame(rows, columns=_COLUMNS), n_alerts=len(rows))

    # -- internals ------------------------------------------------------------------------------
    def _drain(self, *, force: bool) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        me = owner_id()
        for alert in self.ledger.due(force=force):
            routed = [c for c in self.channels if c.accepts(alert)]
            lease = sum((c.retries + 1) * (float(c.timeout) + c.backoff * 2 ** c.retries) for c in routed) + 60.0
            if not self.ledger.claim(alert.alert_id, owner=me, lease=lease):
                continue  # another live process is delivering it
            try:
                done = self.ledger.delivered_channels(alert.alert_id)
                todo = [c for c in routed if c.name not in done]
                outcome = [self._send(alert, c, "alert") for c in todo]
                rows.extend(outcome)
                failed = [c for c, r in zip(todo, outcome, strict=True) if not r["ok"]]
                if not routed:
                    state = "not_routed"
                elif failed:
                    state = "undelivered"
                else:
                    state = "delivered"
                rounds = int((self.ledger.get(alert.alert_id) or {}).get("rounds") or 0)
                base = max((c.backoff for c in failed), default=0.0)
                wait = min(self.max_backoff, base * 2 ** rounds)
                self.ledger.finish_round(alert.alert_id, state, retry_in=wait, owner=me)
            except BaseException:
                self.ledger.release(alert.alert_id, owner=me)
                raise
        return rows

    def _escalate(self) -> list[dict[str, Any]]:
        if self.escalation is None:
            return []
        channel = self.channel(self.escalation.channel)
        rows = []
        me = owner_id()
        for alert in self.ledger.escalation_candidates(self.escalation.after_minutes):
            lease = (channel.retries + 1) * (float(channel.timeout) + channel.backoff * 2 ** channel.retries) + 60
            if not self.ledger.claim(alert.alert_id, owner=me, lease=lease):
                continue
            try:
                if channel.name in self.ledger.delivered_channels(alert.alert_id, kind="escalation"):
                    # sent before a crash, not yet marked: mark now, never send twice
                    self.ledger.mark_escalated(alert.alert_id, channel.name,
                                               comment=f"escalated to {channel.name} (recorded late)")
                    continue
                after = self.escalation.after_minutes
                text = f"ESCALATED, not acknowledged after {after:g} min: {alert.subject}"
                row = self._send(alert, channel, "escalation", text)
                rows.append(row)
                if row["ok"]:
                    self.ledger.mark_escalated(
                        alert.alert_id, channel.name,
                        comment=f"red alert not acknowledged after {after:g} min; sent to {channel.name}")
            finally:
                self.ledger.release(alert.alert_id, owner=me)
        return rows

    def _send(self, alert: Alert, channel: Channel, kind: str, text: str | None = None) -> dict[str, Any]:
        attempts, error = 0, None
        try:
            attempts = channel.send(alert, text)
        except DeliveryError as exc:
            attempts, error = 1 + int(channel.retries), str(exc)
        except RiskkitError as exc:  # e.g. a password_env that is not set: no attempt made
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - notify() never raises because of a delivery problem
            error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            logger.warning("alert %s (%s) not delivered via %s: %s", alert.alert_id, alert.subject, channel.name, error)
        self.ledger.record_delivery(alert.alert_id, channel.name, ok=error is None, attempts=attempts, error=error,
                                    kind=kind)
        return {"alert_id": alert.alert_id, "indicator": alert.indicator, "level": alert.level,
                "channel": channel.name, "kind": kind, "ok": error is None, "attempts": attempts, "error": error}


def _parse_escalation(raw: Any) -> Escalation | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"escalation must be a mapping {{after_minutes: N, channel: NAME}} (got {short_repr(raw)})")
    unknown = sorted(set(raw) - {"after_minutes", "channel"})
    if unknown:
        raise ConfigError(f"escalation has unknown key(s) {unknown}; allowed: after_minutes, channel")
    after, channel = raw.get("after_minutes"), raw.get("channel")
    if isinstance(after, bool) or not isinstance(after, (int, float)) or not math.isfinite(after) or after < 0:
        raise ConfigError(f"escalation.after_minutes must be a number of minutes >= 0 (got after_minutes={short_repr(after)})")
    if not isinstance(channel, str) or not channel:
        raise ConfigError(f"escalation.channel must name a channel (got channel={short_repr(channel)})")
    return Escalation(after_minutes=float(after), channel=channel)
