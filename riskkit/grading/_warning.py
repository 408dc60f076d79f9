"""Graded early warning on key risk indicators (KRIs).

Each indicator has a direction (``above``: higher is worse, ``below``: lower is worse) and
thresholds for any subset of the levels blue < yellow < orange < red, and/or a dynamic threshold
(:class:`~riskkit.grading.DynamicThreshold`: EWMA, CUSUM or rolling quantile on the indicator's
own history, the ``dynamic:`` key in YAML). Its level is the most severe one breached.
:meth:`EarlyWarning.evaluate` turns values into :class:`Alert` objects and
:meth:`EarlyWarning.evaluate_history` measures how often breaches were followed by a loss.

Pure model code: delivery (channels, the SQLite ledger, retries, escalation) is the application
layer's job, :class:`riskkit.app.alerts.Notifier`, built from the same YAML file.
"""

from __future__ import annotations

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
from riskkit.exceptions import ConfigError, DataError, MissingIndicatorWarning, ParameterError
from riskkit.grading._levels import LEVELS, level_code
from riskkit.grading._thresholds import DynamicThreshold

__all__ = ["Alert", "DELIVERY_KEYS", "EarlyWarning", "HistoryEvaluation", "Indicator", "load_config"]

DIRECTIONS = ("above", "below")
DELIVERY_KEYS = ("channels", "ledger", "escalation")
"""Top-level keys of the early-warning YAML that belong to delivery (read by the application layer)."""


@dataclass(frozen=True)
class Indicator:
    """A key risk indicator with its direction, static thresholds per level and/or a dynamic chart.

    ``thresholds`` are fixed numbers; ``dynamic`` (a :class:`DynamicThreshold`) derives levels
    from the indicator's own history (EWMA, CUSUM or rolling quantile). With both, the most
    severe level of the two applies; an indicator needs at least one of them.

    Parameters
    ----------
    name : str
        Indicator name (the key of the values passed to :meth:`EarlyWarning.evaluate`).
    direction : {"above", "below"}
        Which side is worse.
    thresholds : mapping of str to float
        Level name (blue, yellow, orange, red) to its threshold, mild to severe.
    description : str, default ""
        Free text shown in alerts.
    dynamic : DynamicThreshold, optional
        Chart that derives levels from the indicator's history.
    """

    name: str
    direction: str
    thresholds: Mapping[str, float]
    description: str = ""
    dynamic: DynamicThreshold | None = None

    def validate(self) -> None:
        """Known levels, numeric thresholds, ordered for the direction (raises ConfigError).

        Raises
        ------
        ConfigError
            Naming the indicator, when the direction, a level name, a threshold or the dynamic
            chart is invalid, or the thresholds are not ordered from mild to severe.
        """
        where = f"indicator {self.name!r}"
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"{where}: direction must be 'above' or 'below' (got direction={self.direction!r})")
        if self.dynamic is not None:
            if not isinstance(self.dynamic, DynamicThreshold):
                raise ConfigError(f"{where}: dynamic must be a DynamicThreshold (got {short_repr(self.dynamic)})")
            self.dynamic.validate(f"{where} dynamic")
            if isinstance(self.thresholds, Mapping) and not self.thresholds:
                return
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
        """Most severe (level, threshold) breached by ``value``, or None.

        Parameters
        ----------
        value : float
            Current indicator value.

        Returns
        -------
        (str, float) or None
            The breached level and its threshold.
        """
        for lvl in reversed(LEVELS):
            if lvl in self.thresholds:
                t = float(self.thresholds[lvl])
                if (value >= t) if self.direction == "above" else (value <= t):
                    return lvl, t
        return None

    def history_codes(self, history: Any) -> np.ndarray:
        """Level code at every period of ``history`` (a Series, oldest first): the most severe of
        the static thresholds and the dynamic chart evaluated on the history up to that period.

        Parameters
        ----------
        history : pd.Series or array-like
            The indicator's values, oldest first.

        Returns
        -------
        np.ndarray of int
            0 none, 1 blue ... 4 red, one per period.

        Raises
        ------
        DataError
            When the dynamic chart cannot be evaluated on the history (too short, not numeric).
        """
        values = np.asarray(history, dtype=float)
        out = self.codes(values)
        if self.dynamic is not None:
            out = np.maximum(out, self.dynamic.level_codes(history, self.direction))
        return out

    def dynamic_breach(self, history: Any) -> tuple[str, float, float] | None:
        """(level, limit, statistic) of the dynamic chart at the last period of ``history``, or None.

        Parameters
        ----------
        history : pd.Series or array-like
            The indicator's values, oldest first, the current value last.

        Returns
        -------
        (str, float, float) or None
            Level breached, its limit and the chart statistic; None without a chart or breach.

        Raises
        ------
        DataError
            When the chart cannot be evaluated on the history.
        """
        if self.dynamic is None:
            return None
        frame = self.dynamic.evaluate(history, self.direction)
        code = int(frame["level_code"].iloc[-1])
        if code == 0:
            return None
        level = LEVELS[code - 1]
        return level, float(frame[f"limit_{level}"].iloc[-1]), float(frame["statistic"].iloc[-1])

    def codes(self, values: np.ndarray) -> np.ndarray:
        """Level code (0 none, 1 blue ... 4 red) of the static thresholds for an array of values (NaN gives 0).

        Parameters
        ----------
        values : np.ndarray of float
            Indicator values.

        Returns
        -------
        np.ndarray of int
            One code per value.
        """
        out = np.zeros(values.shape, dtype=int)
        for lvl in LEVELS:
            if lvl in self.thresholds:
                t = float(self.thresholds[lvl])
                hit = values >= t if self.direction == "above" else values <= t
                out = np.where(hit & ~np.isnan(values), level_code(lvl), out)
        return out


@dataclass(frozen=True)
class Alert:
    """One breached indicator.

    Parameters
    ----------
    indicator : str
        Indicator name.
    value : float
        Value that breached.
    level : str
        Level breached (blue, yellow, orange, red).
    threshold : float
        Threshold (or chart limit) that was crossed.
    direction : {"above", "below"}
        Which side is worse.
    message : str
        Human-readable text of the alert.
    created_at : str, optional
        ISO timestamp (UTC); default now.
    alert_id : str, optional
        Unique id; default a random UUID.
    """

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

    @classmethod
    def from_dict(cls, rec: Mapping[str, Any]) -> Alert:
        """Rebuild an alert from :meth:`to_dict` output or a ledger row.

        Parameters
        ----------
        rec : mapping
            With indicator, value, level, threshold, direction, message, created_at, alert_id.

        Returns
        -------
        Alert

        Raises
        ------
        DataError
            When a field is missing or the level is unknown.
        """
        try:
            alert = cls(indicator=str(rec["indicator"]), value=float(rec["value"]), level=str(rec["level"]),
                        threshold=float(rec["threshold"]), direction=str(rec["direction"]),
                        message=str(rec["message"]), created_at=str(rec["created_at"]),
                        alert_id=str(rec["alert_id"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"alert record is incomplete or malformed ({type(exc).__name__}: {exc}); "
                            f"got keys {sorted(rec)}") from None
        if alert.level not in LEVELS:
            raise DataError(f"alert record has an unknown level (got level={alert.level!r}); levels are {list(LEVELS)}")
        return alert

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the webhook body)."""
        return {
            "alert_id": self.alert_id, "created_at": self.created_at, "indicator": self.indicator,
            "value": self.value, "level": self.level, "level_code": self.level_code,
            "threshold": self.threshold, "direction": self.direction, "message": self.message,
        }


@dataclass(frozen=True, repr=False)
class HistoryEvaluation(Result):
    """Breaches over a history of indicator values and, with loss data, their hit rates.

    ``table`` has one row per indicator plus ``any``: ``signals`` (breaches at or above
    ``min_level``), and with losses ``hits`` (breach followed by a loss within ``horizon``
    periods), ``false_alarms``, ``missed`` (loss window without a breach), ``quiet``,
    ``hit_rate`` = hits / signals, ``false_alarm_rate`` = false_alarms / signals,
    ``detection_rate`` = hits / (hits + missed), and the noise-to-signal ratio of Kaminsky,
    Lizondo and Reinhart (1998): [false_alarms / (false_alarms + quiet)] / detection_rate.

    Attributes
    ----------
    levels : pd.DataFrame
        Level code per period (rows) and indicator (columns), 0 = no alert, plus ``any``.
    table : pd.DataFrame
        One row per indicator plus ``any``, columns as above.
    min_level : str
        Lowest level counted as a signal.
    horizon : int
        Periods a warning looks ahead.
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
    """Key risk indicators with graded thresholds (pure evaluation, no delivery).

    Parameters
    ----------
    indicators : sequence of Indicator or mapping of name to Indicator
        The key risk indicators to grade.

    Raises
    ------
    ConfigError
        From :meth:`evaluate` and friends when the indicators are empty or invalid.

    Examples
    --------
    >>> ew = EarlyWarning.from_dict({"indicators": {"score_psi": {
    ...     "direction": "above", "thresholds": {"yellow": 0.1, "red": 0.25}}}})
    >>> [a.subject for a in ew.evaluate({"score_psi": 0.3})]
    ['RED score_psi=0.3 (above 0.25)']
    """

    def __init__(self, indicators: Sequence[Indicator] | Mapping[str, Indicator]) -> None:
        self.indicators = indicators

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> EarlyWarning:
        """From ``{indicators: {name: {direction, thresholds, description}}, ...}``.

        Parameters
        ----------
        config : mapping
            The early-warning configuration. The delivery keys (``channels``, ``ledger``,
            ``escalation``) are allowed and left to :class:`riskkit.app.alerts.Notifier`.

        Returns
        -------
        EarlyWarning

        Raises
        ------
        ConfigError
            When the mapping has unknown keys or an indicator is malformed.
        """
        if not isinstance(config, Mapping):
            raise ConfigError(f"config must be a mapping with 'indicators' (got {short_repr(config)})")
        allowed = {"indicators", *DELIVERY_KEYS}
        unknown = sorted(set(config) - allowed)
        if unknown:
            raise ConfigError(f"config has unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        return cls(_parse_indicators(config.get("indicators")))

    @classmethod
    def from_yaml(cls, path: str | Path) -> EarlyWarning:
        """From a YAML file with the same layout as :meth:`from_dict`.

        Parameters
        ----------
        path : str or Path
            The YAML file.

        Returns
        -------
        EarlyWarning

        Raises
        ------
        ConfigError
            When the file is missing, is not valid YAML or is malformed.
        """
        return cls.from_dict(load_config(path))

    def _indicators(self) -> dict[str, Indicator]:
        items = list(self.indicators.values()) if isinstance(self.indicators, Mapping) else list(self.indicators)
        if not items:
            raise ConfigError("indicators is empty; define at least one key risk indicator")
        for item in items:
            item.validate()
        return {i.name: i for i in items}

    def indicator_table(self) -> pd.DataFrame:
        """The validated indicators: direction, description, one threshold column per level and the dynamic method."""
        rows = [{"indicator": i.name, "direction": i.direction, "description": i.description,
                 **{lvl: i.thresholds.get(lvl, np.nan) for lvl in LEVELS},
                 "dynamic": "" if i.dynamic is None else i.dynamic.method} for i in self._indicators().values()]
        return pd.DataFrame(rows).set_index("indicator")

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, values: Mapping[str, Any], *, history: pd.DataFrame | Mapping[str, Any] | None = None) -> list[Alert]:
        """Alerts for the breached indicators, most severe first.

        An indicator with no value (absent, None or NaN) gives a MissingIndicatorWarning;
        values of names that are not indicators are ignored.

        Parameters
        ----------
        values : mapping of str to number
            Indicator name -> current value.
        history : DataFrame or mapping of str to Series, optional
            Earlier values per indicator, oldest first (a DataFrame with one column per
            indicator, or a mapping name -> Series). A dynamic indicator is evaluated on its
            history followed by the current value; without a history only its static
            thresholds apply (a MissingIndicatorWarning says so).

        Returns
        -------
        list of Alert
            One per breached indicator, most severe first.

        Raises
        ------
        ParameterError
            When ``values`` is not a mapping or a value is not a number.
        """
        if not isinstance(values, Mapping):
            raise ParameterError(f"values must be a mapping indicator -> number (got {short_repr(values)})")
        alerts = []
        for name, ind in self._indicators().items():
            value = _value_or_none(values, name)
            if value is None:
                continue
            candidates = []
            hit = ind.breached(value) if ind.thresholds else None
            if hit is not None:
                candidates.append(_make_alert(ind, value, *hit))
            if ind.dynamic is not None:
                past = _past(history, name)
                if past is None:
                    warnings.warn(MissingIndicatorWarning(
                        f"indicator {name!r} has a dynamic threshold but no history (got history=None or no "
                        f"{name!r} in it); only its static thresholds are evaluated"), stacklevel=2)
                else:
                    series = pd.concat([past, pd.Series([value])], ignore_index=True)
                    dyn = ind.dynamic_breach(series)
                    if dyn is not None:
                        candidates.append(_make_dynamic_alert(ind, value, *dyn))
            if candidates:
                alerts.append(max(candidates, key=lambda a: a.level_code))
        return sorted(alerts, key=lambda a: -a.level_code)

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

        Parameters
        ----------
        history : pd.DataFrame
            One row per period (oldest first) and one column per indicator.
        losses : pd.Series or collection of index labels, optional
            Loss events; without them only the signals are counted.
        horizon : int, default 1
            Periods after a breach in which a loss makes it a hit.
        min_level : str, default "yellow"
            Lowest level counted as a signal.

        Returns
        -------
        HistoryEvaluation
            Levels per period and the signal / hit-rate table.

        Raises
        ------
        DataError
            When ``history`` is not a DataFrame or has no column of any indicator.
        ParameterError
            When ``horizon`` is not a positive integer or ``min_level`` is unknown.

        Warns
        -----
        MissingIndicatorWarning
            For each indicator without a column in ``history``.
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
        codes = pd.DataFrame({n: inds[n].history_codes(frame[n].reset_index(drop=True)) for n in used},
                             index=frame.index)
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
        unknown = sorted(set(spec) - {"direction", "thresholds", "description", "dynamic"})
        if unknown:
            raise ConfigError(
                f"indicator {name!r} has unknown key(s) {unknown}; allowed: direction, thresholds, description, dynamic")
        direction = spec.get("direction")
        if direction not in DIRECTIONS:
            raise ConfigError(f"indicator {name!r}: direction must be 'above' or 'below' (got direction={direction!r})")
        dynamic = None
        if spec.get("dynamic") is not None:
            dynamic = DynamicThreshold.from_dict(spec["dynamic"], f"indicator {name!r} dynamic")
        ind = Indicator(name=str(name), direction=str(direction), thresholds=dict(spec.get("thresholds") or {}),
                        description=str(spec.get("description", "")), dynamic=dynamic)
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


def _make_dynamic_alert(ind: Indicator, value: float, level: str, limit: float, statistic: float) -> Alert:
    dyn = ind.dynamic
    assert dyn is not None
    side = "above" if ind.direction == "above" else "below"
    message = (f"{ind.name} = {value:.6g}: {dyn.method} statistic {statistic:.4g} is {side} its {level} limit "
               f"{limit:.4g} (dynamic threshold from the indicator's history)")
    if ind.description:
        message += f"; {ind.description}"
    return Alert(indicator=ind.name, value=value, level=level, threshold=limit, direction=ind.direction,
                 message=message)


def _past(history: Any, name: str) -> pd.Series | None:
    if history is None:
        return None
    if isinstance(history, pd.DataFrame):
        if name not in history.columns:
            return None
        col = history[name]
    elif isinstance(history, Mapping):
        if name not in history:
            return None
        col = history[name]
    else:
        raise ParameterError(f"history must be a DataFrame or a mapping name -> values (got {short_repr(history)})")
    try:
        return pd.Series(np.asarray(col, dtype=float))
    except (TypeError, ValueError):
        raise DataError(f"history of {name!r} must be numeric (got {short_repr(col)})") from None


def load_config(path: str | Path) -> dict[str, Any]:
    """Read an early-warning YAML file into a dict.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    dict
        The document (a mapping; checked by the callers).

    Raises
    ------
    ConfigError
        When the file does not exist or is not valid YAML.
    """
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
    if not isinstance(doc, Mapping):
        raise ConfigError(f"{file.name} must hold a mapping with 'indicators' (got {short_repr(doc)})")
    return dict(doc)


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
