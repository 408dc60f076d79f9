"""Graded early warning on key risk indicators (KRIs).

Each indicator has a direction (``above``: higher is worse, ``below``: lower is worse) and
thresholds for any subset of the levels blue < yellow < orange < red. Its level is the most
severe one breached. :meth:`EarlyWarning.evaluate` turns values into :class:`Alert` objects,
:meth:`EarlyWarning.notify` records them in the ledger and delivers them through the channels,
and :meth:`EarlyWarning.evaluate_history` measures how often breaches were followed by a loss.
"""

from __future__ import annotations

import logging
import math
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from riskkit._results import Result
from riskkit._validation import check_positive_int, short_repr
from riskkit.exceptions import ConfigError, DataError, DeliveryError, MissingIndicatorWarning, ParameterError, RiskkitError
from riskkit.grading._channels import LEVELS, Channel, channel_from_dict, level_code
from riskkit.grading._ledger import AlertLedger

__all__ = ["Alert", "EarlyWarning", "HistoryEvaluation", "Indicator", "NotificationReport"]

logger = logging.getLogger(__name__)
DIRECTIONS = ("above", "below")


@dataclass(frozen=True)
class Indicator:
    """A key risk indicator with its direction and thresholds per level."""

    name: str
    direction: str
    thresholds: Mapping[str, float]
    description: str = ""

    def validate(self) -> None:
        """Known levels, numeric thresholds, ordered for the direction (raises ConfigError)."""
        where = f"indicator {self.name!r}"
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"{where}: direction must be 'above' or 'below' (got direction={self.direction!r})")
        if not isinstance(self.thresholds, Mapping) or not self.thresholds:
            raise ConfigError(
                f"{where}: thresholds must map levels to numbers (got thresholds={short_repr(self.thresholds)}); "
                "e.g. {yellow: 0.1, red: 0.25}"
            )
        unknown = [k for k in self.thresholds if k not in LEVELS]
        if unknown:
            raise ConfigError(f"{where}: unknown level name(s) {unknown}; levels are {list(LEVELS)}")
        for lvl, value in self.thresholds.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{where}: threshold {lvl} must be a finite number (got {lvl}={value!r})")
        self._check_order(where)

    def _check_order(self, where: str) -> None:
        ordered = [(lvl, float(self.thresholds[lvl])) for lvl in LEVELS if lvl in self.thresholds]
        for (lo_lvl, lo), (hi_lvl, hi) in zip(ordered, ordered[1:], strict=False):
            ok = hi > lo if self.direction == "above" else hi < lo
            if not ok:
                word = "increase" if self.direction == "above" else "decrease"
                raise ConfigError(
                    f"{where}: thresholds must {word} from mild to severe for direction "
                    f"{self.direction!r} (got {lo_lvl}={lo:g}, {hi_lvl}={hi:g})"
                )

    def breached(self, value: float) -> tuple[str, float] | None:
        """Most severe (level, threshold) breached by ``value``, or None."""
        for lvl in reversed(LEVELS):
            if lvl in self.thresholds:
                t = float(self.thresholds[lvl])
                if (value >= t) if self.direction == "above" else (value <= t):
                    return lvl, t
        return None

    def codes(self, values: np.ndarray) -> np.ndarray:
        """Level code (0 none, 1 blue ... 4 red) for an array of values (NaN gives 0)."""
        out = np.zeros(values.shape, dtype=int)
        for lvl in LEVELS:
            if lvl in self.thresholds:
                t = float(self.thresholds[lvl])
                hit = values >= t if self.direction == "above" else values <= t
                out = np.where(hit & ~np.isnan(values), level_code(lvl), out)
        return out


@dataclass(frozen=True)
class Alert:
    """One breached indicator."""

    indicator: str
    value: float
    level: str
    threshold: float
    direction: str
    message: str
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    alert_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def level_code(self) -> int:
        """1 blue, 2 yellow, 3 orange, 4 red."""
        return level_code(self.level)

    @property
    def subject(self) -> str:
        """One line with level and indicator, e.g. ``RED score_psi=0.31 (above 0.25)``."""
        return f"{self.level.upper()} {self.indicator}={self.value:.4g} ({self.direction} {self.threshold:g})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the webhook body)."""
        return {
            "alert_id": self.alert_id, "created_at": self.created_at, "indicator": self.indicator,
            "value": self.value, "level": self.level, "level_code": self.level_code,
            "threshold": self.threshold, "direction": self.direction, "message": self.message,
        }


@dataclass(frozen=True, repr=False)
class NotificationReport(Result):
    """Outcome of :meth:`EarlyWarning.notify`: one row per alert and routed channel.

    ``summary()`` is one row (n_alerts, n_delivered, n_failed); ``to_frame()`` the deliveries.
    """

    deliveries: pd.DataFrame
    """Columns alert_id, indicator, level, channel, ok, attempts, error."""
    n_alerts: int

    @property
    def n_delivered(self) -> int:
        return int(self.deliveries["ok"].sum()) if len(self.deliveries) else 0

    @property
    def n_failed(self) -> int:
        return int((~self.deliveries["ok"].astype(bool)).sum()) if len(self.deliveries) else 0

    @property
    def failed(self) -> pd.DataFrame:
        """Deliveries that failed after their retries (the alerts stay in the ledger)."""
        return self.deliveries[~self.deliveries["ok"].astype(bool)] if len(self.deliveries) else self.deliveries

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row: n_alerts, n_delivered, n_failed.
        """
        return pd.DataFrame({"n_alerts": [self.n_alerts], "n_delivered": [self.n_delivered],
                             "n_failed": [self.n_failed]}, index=pd.Index(["notification"], name="report"))

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            One row per alert and channel (a copy of ``deliveries``).
        """
        return self.deliveries.copy()

    def _headline(self) -> str:
        return (f"{self.n_alerts} alert(s); {self.n_delivered} delivery(ies) succeeded, "
                f"{self.n_failed} failed")


@dataclass(frozen=True, repr=False)
class HistoryEvaluation(Result):
    """Breaches over a history of indicator values and, with loss data, their hit rates.

    ``table`` has one row per indicator plus ``any``: ``signals`` (breaches at or above
    ``min_level``), and with losses ``hits`` (breach followed by a loss within ``horizon``
    periods), ``false_alarms``, ``missed`` (loss window without a breach), ``quiet``,
    ``hit_rate`` = hits / signals, ``false_alarm_rate`` = false_alarms / signals,
    ``detection_rate`` = hits / (hits + missed), and the noise-to-signal ratio of Kaminsky,
    Lizondo and Reinhart (1998): [false_alarms / (false_alarms + quiet)] / detection_rate.
    """

    levels: pd.DataFrame
    """Level code per period (rows) and indicator (columns), 0 = no alert, plus ``any``."""
    table: pd.DataFrame
    min_level: str
    horizon: int

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row per indicator (and ``any``): signals and, with losses, hit rates.
        """
        return self.table.copy()

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            Level code per period and indicator (a copy of ``levels``).
        """
        return self.levels.copy()

    def _headline(self) -> str:
        head = f"{len(self.levels)} periods, breaches at or above {self.min_level}"
        if "hit_rate" in self.table:
            head += f", loss within {self.horizon} period(s)"
        return head


class EarlyWarning:
    """Key risk indicators with graded thresholds, delivery channels and an alert ledger.

    Parameters
    ----------
    indicators
        :class:`Indicator` objects (or a mapping name -> Indicator).
    channels
        Delivery channels, each with its own ``min_level``.
    ledger
        :class:`AlertLedger` or a path to its SQLite file; every notified alert is appended
        to it before delivery.
    """

    def __init__(
        self,
        indicators: Sequence[Indicator] | Mapping[str, Indicator],
        *,
        channels: Sequence[Channel] = (),
        ledger: AlertLedger | str | Path | None = None,
    ) -> None:
        self.indicators = indicators
        self.channels = channels
        self.ledger = ledger

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, config: Mapping[str, Any], *, ledger: AlertLedger | str | Path | None = None) -> EarlyWarning:
        """From ``{indicators: {name: {direction, thresholds}}, channels: [...], ledger: path}``."""
        if not isinstance(config, Mapping):
            raise ConfigError(f"config must be a mapping with 'indicators' (got {short_repr(config)})")
        unknown = sorted(set(config) - {"indicators", "channels", "ledger"})
        if unknown:
            raise ConfigError(f"config has unknown key(s) {unknown}; allowed: indicators, channels, ledger")
        indicators = _parse_indicators(config.get("indicators"))
        raw_channels = config.get("channels") or []
        if not isinstance(raw_channels, list):
            raise ConfigError(f"channels must be a list (got channels={short_repr(raw_channels)})")
        channels = [channel_from_dict(spec, i) for i, spec in enumerate(raw_channels)]
        return cls(indicators, channels=channels, ledger=ledger if ledger is not None else config.get("ledger"))

    @classmethod
    def from_yaml(cls, path: str | Path, *, ledger: AlertLedger | str | Path | None = None) -> EarlyWarning:
        """From a YAML file with the same layout as :meth:`from_dict`."""
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"path does not exist or is not a file (got path={str(path)!r})")
        try:
            doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise ConfigError(
                f"{file.name} is not valid YAML ({getattr(exc, 'problem', None) or exc}{where}); fix the syntax"
            ) from None
        return cls.from_dict(doc, ledger=ledger)

    def _indicators(self) -> dict[str, Indicator]:
        items = list(self.indicators.values()) if isinstance(self.indicators, Mapping) else list(self.indicators)
        if not items:
            raise ConfigError("indicators is empty; define at least one key risk indicator")
        for item in items:
            item.validate()
        return {i.name: i for i in items}

    def indicator_table(self) -> pd.DataFrame:
        """The validated indicators: direction, description and one threshold column per level."""
        rows = [{"indicator": i.name, "direction": i.direction, "description": i.description,
                 **{lvl: i.thresholds.get(lvl, np.nan) for lvl in LEVELS}} for i in self._indicators().values()]
        return pd.DataFrame(rows).set_index("indicator")

    def open_ledger(self) -> AlertLedger:
        """The configured alert ledger (ConfigError when there is none)."""
        ledger = self._ledger()
        if ledger is None:
            raise ConfigError("this EarlyWarning has no ledger (got ledger=None); pass ledger=path")
        return ledger

    def _ledger(self) -> AlertLedger | None:
        if self.ledger is None or isinstance(self.ledger, AlertLedger):
            return self.ledger
        return AlertLedger(self.ledger)

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, values: Mapping[str, Any]) -> list[Alert]:
        """Alerts for the breached indicators, most severe first.

        An indicator with no value (absent, None or NaN) gives a MissingIndicatorWarning;
        values of names that are not indicators are ignored.
        """
        if not isinstance(values, Mapping):
            raise ParameterError(f"values must be a mapping indicator -> number (got {short_repr(values)})")
        alerts = []
        for name, ind in self._indicators().items():
            value = _value_or_none(values, name)
            if value is None:
                continue
            hit = ind.breached(value)
            if hit is not None:
                alerts.append(_make_alert(ind, value, *hit))
        return sorted(alerts, key=lambda a: -a.level_code)

    # -- delivery -------------------------------------------------------------------------------
    def notify(self, alerts: Sequence[Alert]) -> NotificationReport:
        """Append every alert to the ledger, then deliver it through each channel that takes its
        level. Failures are retried, logged, reported and marked ``undelivered``; they never raise."""
        channels = list(self.channels)
        for ch in channels:
            ch.validate()
        ledger = self._ledger()
        rows: list[dict[str, Any]] = []
        for alert in alerts:
            if ledger is not None:
                ledger.append(alert)
            outcome = [self._deliver(alert, ch, ledger) for ch in channels if ch.accepts(alert)]
            rows.extend(outcome)
            if ledger is not None:
                state = "not_routed" if not outcome else (
                    "delivered" if all(r["ok"] for r in outcome) else "undelivered")
                ledger.set_delivery(alert.alert_id, state)
        frame = pd.DataFrame(rows, columns=["alert_id", "indicator", "level", "channel", "ok", "attempts", "error"])
        return NotificationReport(deliveries=frame, n_alerts=len(alerts))

    @staticmethod
    def _deliver(alert: Alert, channel: Channel, ledger: AlertLedger | None) -> dict[str, Any]:
        attempts, error = 0, None
        try:
            attempts = channel.send(alert)
        except DeliveryError as exc:
            attempts, error = 1 + int(channel.retries), str(exc)
            logger.warning("alert %s (%s) not delivered: %s", alert.alert_id, alert.subject, exc)
        except RiskkitError as exc:  # e.g. a password_env that is not set: no attempt made
            error = str(exc)
            logger.warning("alert %s (%s) not delivered: %s", alert.alert_id, alert.subject, exc)
        if ledger is not None:
            ledger.record_delivery(alert.alert_id, channel.name, ok=error is None, attempts=attempts, error=error)
        return {"alert_id": alert.alert_id, "indicator": alert.indicator, "level": alert.level,
                "channel": channel.name, "ok": error is None, "attempts": attempts, "error": error}

    def run(self, values: Mapping[str, Any]) -> tuple[list[Alert], NotificationReport]:
        """``evaluate`` then ``notify``."""
        alerts = self.evaluate(values)
        return alerts, self.notify(alerts)

    def redeliver(self) -> NotificationReport:
        """Retry the undelivered alerts of the ledger on the channels that failed them."""
        ledger = self.open_ledger()
        by_name = {ch.name: ch for ch in self.channels}
        rows: list[dict[str, Any]] = []
        pending = ledger.undelivered()
        for rec in pending.to_dict("records"):
            alert = _alert_from_row(rec)
            tries = ledger.deliveries(alert.alert_id)
            last_ok = tries.groupby("channel")["ok"].last()
            failed = [by_name[c] for c, ok in last_ok.items() if not ok and c in by_name]
            outcome = [self._deliver(alert, ch, ledger) for ch in failed]
            rows.extend(outcome)
            if outcome and all(r["ok"] for r in outcome):
                ledger.set_delivery(alert.alert_id, "delivered")
        frame = pd.DataFrame(rows, columns=["alert_id", "indicator", "level", "channel", "ok", "attempts", "error"])
        return NotificationReport(deliveries=frame, n_alerts=len(pending))

    # -- history --------------------------------------------------------------------------------
    def evaluate_history(
        self,
        history: pd.DataFrame,
        losses: Any = None,
        *,
        horizon: int = 1,
        min_level: str = "yellow",
    ) -> HistoryEvaluation:
        """Level per period for every indicator and, given losses, hit and false-alarm rates.

        ``history`` has one row per period and one column per indicator. ``losses`` is a
        Series on the same index (a loss event where it is > 0 or True) or a collection of
        index labels with a loss. A breach at period t is a hit when a loss occurs in
        t+1 .. t+horizon; the last ``horizon`` periods (window not yet observed) are left out of
        the rates.
        """
        frame = _check_history(history)
        check_positive_int(horizon, "horizon", hint="the number of periods a warning looks ahead, e.g. 1")
        threshold = level_code(min_level, "min_level")
        inds = self._indicators()
        missing = [n for n in inds if n not in frame.columns]
        for name in missing:
            warnings.warn(MissingIndicatorWarning(
                f"indicator {name!r} has no column in history (got columns {list(frame.columns)}); "
                "it is left out of the evaluation"), stacklevel=2)
        used = [n for n in inds if n in frame.columns]
        if not used:
            raise DataError(f"history has no column of any indicator (got columns {list(frame.columns)}; "
                            f"indicators: {list(inds)})")
        codes = pd.DataFrame({n: inds[n].codes(frame[n].to_numpy(dtype=float)) for n in used}, index=frame.index)
        codes["any"] = codes.max(axis=1)
        table = pd.DataFrame({"signals": (codes >= threshold).sum()})
        if losses is not None:
            table = _rates(codes >= threshold, _loss_window(losses, frame.index, horizon), horizon)
        table.index.name = "indicator"
        return HistoryEvaluation(levels=codes, table=table, min_level=min_level, horizon=horizon)


# -- helpers ---------------------------------------------------------------------------------------
def _parse_indicators(raw: Any) -> list[Indicator]:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(
            f"indicators must be a non-empty mapping name -> {{direction, thresholds}} (got indicators={short_repr(raw)})"
        )
    out = []
    for name, spec in raw.items():
        if not isinstance(spec, Mapping):
            raise ConfigError(f"indicator {name!r} must be a mapping with direction and thresholds (got {short_repr(spec)})")
        unknown = sorted(set(spec) - {"direction", "thresholds", "description"})
        if unknown:
            raise ConfigError(f"indicator {name!r} has unknown key(s) {unknown}; allowed: direction, thresholds, description")
        direction = spec.get("direction")
        if direction not in DIRECTIONS:
            raise ConfigError(f"indicator {name!r}: direction must be 'above' or 'below' (got direction={direction!r})")
        ind = Indicator(name=str(name), direction=str(direction), thresholds=dict(spec.get("thresholds") or {}),
                        description=str(spec.get("description", "")))
        ind.validate()
        out.append(ind)
    return out


def _value_or_none(values: Mapping[str, Any], name: str) -> float | None:
    raw = values.get(name)
    if raw is None:
        warnings.warn(MissingIndicatorWarning(
            f"indicator {name!r} has no value (got {name}=None); it is not evaluated"), stacklevel=3)
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ParameterError(f"indicator values must be numbers (got {name}={short_repr(raw)})") from None
    if math.isnan(value):
        warnings.warn(MissingIndicatorWarning(
            f"indicator {name!r} has no value (got {name}=nan); it is not evaluated"), stacklevel=3)
        return None
    return value


def _make_alert(ind: Indicator, value: float, level: str, threshold: float) -> Alert:
    side = "at or above" if ind.direction == "above" else "at or below"
    message = f"{ind.name} = {value:.6g} is {side} the {level} threshold {threshold:g}"
    if ind.description:
        message += f"; {ind.description}"
    return Alert(indicator=ind.name, value=value, level=level, threshold=threshold,
                 direction=ind.direction, message=message)


def _alert_from_row(rec: Mapping[Any, Any]) -> Alert:
    return Alert(indicator=rec["indicator"], value=float(rec["value"]), level=rec["level"],
                 threshold=float(rec["threshold"]), direction=rec["direction"], message=rec["message"],
                 created_at=rec["created_at"], alert_id=rec["alert_id"])


def _check_history(history: Any) -> pd.DataFrame:
    if not isinstance(history, pd.DataFrame) or history.empty:
        raise DataError(f"history must be a non-empty DataFrame, one column per indicator (got {short_repr(history)})")
    if history.index.has_duplicates:
        raise DataError("history has duplicated periods in its index; keep one row per period")
    return history


def _loss_window(losses: Any, index: pd.Index, horizon: int) -> np.ndarray:
    """True at t when a loss occurs in t+1 .. t+horizon."""
    if isinstance(losses, pd.Series):
        extra = losses.index.difference(index)
        if len(extra):
            raise DataError(f"losses has periods not in history (first {_plain(extra[0])!r}); align losses on history's index")
        event = losses.reindex(index).fillna(0).astype(float).to_numpy() > 0
    else:
        labels = pd.Index(list(losses))
        extra = labels.difference(index)
        if len(extra):
            raise DataError(f"losses has periods not in history (first {_plain(extra[0])!r}); align losses on history's index")
        event = index.isin(labels)
    ahead = np.zeros(len(index), dtype=bool)
    for k in range(1, horizon + 1):
        ahead[:-k] |= event[k:]
    return ahead


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _rates(signal: pd.DataFrame, ahead: np.ndarray, horizon: int) -> pd.DataFrame:
    keep = len(signal) - horizon
    if keep <= 0:
        raise DataError(f"history is too short for horizon={horizon} (got {len(signal)} periods)")
    s, y = signal.to_numpy()[:keep], ahead[:keep, None]
    hits, false_alarms = (s & y).sum(0), (s & ~y).sum(0)
    missed, quiet = (~s & y).sum(0), (~s & ~y).sum(0)
    table = pd.DataFrame({"signals": s.sum(0), "hits": hits, "false_alarms": false_alarms,
                          "missed": missed, "quiet": quiet}, index=signal.columns)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["hit_rate"] = hits / table["signals"].where(table["signals"] > 0)
        table["false_alarm_rate"] = false_alarms / table["signals"].where(table["signals"] > 0)
        table["detection_rate"] = hits / pd.Series(hits + missed, index=signal.columns).where(hits + missed > 0)
        noise = false_alarms / pd.Series(false_alarms + quiet, index=signal.columns).where(false_alarms + quiet > 0)
        table["noise_to_signal"] = noise / table["detection_rate"].where(table["detection_rate"] > 0)
    return table
