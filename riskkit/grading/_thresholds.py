"""Dynamic thresholds: levels derived from an indicator's own history.

Three charts, each evaluated on a history Series (oldest first) and pure (no state, no I/O):

* **EWMA** (Roberts 1959; Lucas & Saccucci 1990): ``z_t = lam * x_t + (1 - lam) * z_{t-1}``,
  ``z_0 = mu``, on the indicator standardised by an in-control mean ``mu`` and sd ``sigma``;
  a level is breached when ``z_t`` crosses ``mu + k * sigma * sqrt(lam / (2 - lam))`` (the
  steady-state limit) for that level's ``k``.
* **CUSUM** (Page 1954; tabular form of Montgomery): ``C+_t = max(0, x_t - k + C+_{t-1})`` and
  ``C-_t = max(0, -x_t - k + C-_{t-1})`` on the standardised indicator, ``C_0 = 0``; a level is
  breached when the statistic exceeds that level's ``h``. Accumulates small persistent shifts:
  the chart for slow drifts.
* **Rolling quantile**: the limit of a level at month t is ``m_t + inflate * (Q_p,t - m_t)``,
  with ``Q_p,t`` the ``p``-quantile and ``m_t`` the median of the ``window`` values before t
  (t excluded). With ``inflate = 1`` a month breaches the ``p`` level with probability about
  ``1 - p`` in control, but no better than ``1 / (window + 1)``: a 24-month window cannot give a
  1% false-alarm rate unless ``inflate > 1``. It follows slow changes of the level (an economic
  cycle) instead of alarming on them, and by the same token absorbs a sustained shift once the
  shifted months fill its window: it flags the onset of a change, CUSUM its persistence.

The in-control mean and sd come from the first ``warmup`` values of the history unless given
(``mean``, ``sd``). ``direction`` ``above`` alarms on upward moves only, ``below`` on downward
moves only, ``both`` on either (the two-sided charts of the published ARL tables; a one-sided
chart has about twice their in-control ARL).

Configuration (the ``dynamic:`` key of an indicator in the early-warning YAML)::

    dynamic: {method: ewma, lam: 0.2, warmup: 12, levels: {yellow: 2.0, red: 2.962}}
    dynamic: {method: cusum, k: 0.5, warmup: 12, levels: {orange: 4.0, red: 5.0}}
    dynamic: {method: quantile, window: 24, inflate: 1.5, levels: {yellow: 0.9, red: 0.99}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import short_repr
from riskkit.exceptions import ConfigError, DataError

__all__ = ["METHODS", "DynamicThreshold", "cusum_statistic", "ewma_statistic"]

METHODS = ("ewma", "cusum", "quantile")
_LEVELS = ("blue", "yellow", "orange", "red")
_KEYS = {
    "ewma": {"method", "levels", "lam", "warmup", "mean", "sd"},
    "cusum": {"method", "levels", "k", "warmup", "mean", "sd"},
    "quantile": {"method", "levels", "window", "inflate"},
}


def ewma_statistic(x: Any, lam: float, start: float = 0.0) -> np.ndarray:
    """EWMA ``z_t = lam * x_t + (1 - lam) * z_{t-1}`` with ``z_{-1} = start`` (NaN values carry z forward).

    Parameters
    ----------
    x
        Values, oldest first, along the last axis (a 2-D array holds one series per row).
    lam
        Smoothing weight in (0, 1].
    start
        The value before the first observation (the in-control mean).

    Returns
    -------
    numpy.ndarray
        The statistic, same shape as ``x``.
    """
    arr = np.asarray(x, dtype=float)
    out = np.empty(arr.shape)
    z = np.full(arr.shape[:-1], float(start))
    for t in range(arr.shape[-1]):
        v = arr[..., t]
        z = np.where(np.isnan(v), z, lam * v + (1.0 - lam) * z)
        out[..., t] = z
    return out


def cusum_statistic(x: Any, k: float) -> tuple[np.ndarray, np.ndarray]:
    """Tabular CUSUM of standardised values: ``(C+, C-)``, both starting at 0 (NaN carries forward).

    Parameters
    ----------
    x
        Standardised values, oldest first, along the last axis (2-D: one series per row).
    k
        Reference value (allowance) in sd units, typically half the shift to detect.

    Returns
    -------
    tuple of numpy.ndarray
        Upper and lower statistics, each the shape of ``x``.
    """
    arr = np.asarray(x, dtype=float)
    hi, lo = np.empty(arr.shape), np.empty(arr.shape)
    cp = np.zeros(arr.shape[:-1])
    cm = np.zeros(arr.shape[:-1])
    for t in range(arr.shape[-1]):
        v = arr[..., t]
        nan = np.isnan(v)
        cp = np.where(nan, cp, np.maximum(0.0, v - k + cp))
        cm = np.where(nan, cm, np.maximum(0.0, -v - k + cm))
        hi[..., t], lo[..., t] = cp, cm
    return hi, lo


@dataclass(frozen=True)
class DynamicThreshold:
    """A chart that turns an indicator's history into levels (see the module docstring).

    Parameters
    ----------
    method
        ``ewma``, ``cusum`` or ``quantile``.
    levels
        Level name -> ``k`` (EWMA limit in sd of the EWMA statistic), ``h`` (CUSUM decision
        interval in sd) or ``p`` (quantile probability); increasing from mild to severe.
    lam
        EWMA weight in (0, 1] (default 0.2).
    k
        CUSUM reference value in sd (default 0.5: tuned to a 1-sd shift).
    warmup
        Number of first values giving the in-control mean and sd (EWMA, CUSUM; default 12).
    mean, sd
        In-control mean and sd; given, they replace the warm-up estimates.
    window
        Rolling-quantile window (default 24).
    inflate
        Rolling-quantile distance multiplier (>= 1, default 1).

    Raises
    ------
    ConfigError
        From :meth:`from_dict` and :meth:`validate` when a key or value is invalid.
    DataError
        From :meth:`evaluate` when the history is too short, constant or not numeric.

    Examples
    --------
    An EWMA chart on a monthly indicator that drifts up after 18 stable months:

    >>> import numpy as np, pandas as pd
    >>> from riskkit.grading import DynamicThreshold
    >>> chart = DynamicThreshold.from_dict({"method": "ewma", "lam": 0.2,
    ...                                     "levels": {"yellow": 2.0, "red": 3.0}})
    >>> stable = np.random.default_rng(1).normal(1.0, 0.1, 18)
    >>> x = pd.Series(np.r_[stable, 1.3, 1.5, 1.6], index=pd.period_range("2024-01", periods=21, freq="M"))
    >>> chart.evaluate(x).round(3).tail(3)
             value  statistic  limit_yellow  limit_red  level_code
    2025-07    1.3      1.059         1.064      1.085           0
    2025-08    1.5      1.147         1.064      1.085           4
    2025-09    1.6      1.238         1.064      1.085           4
    """

    method: str
    levels: Mapping[str, float]
    lam: float = 0.2
    k: float = 0.5
    warmup: int = 12
    mean: float | None = None
    sd: float | None = None
    window: int = 24
    inflate: float = 1.0

    @classmethod
    def from_dict(cls, spec: Any, where: str = "dynamic") -> DynamicThreshold:
        """From the ``dynamic:`` mapping of an indicator (raises ConfigError naming ``where``).

        Parameters
        ----------
        spec : mapping
            ``method``, ``levels`` and the method's optional keys (see the class parameters).
        where : str, default "dynamic"
            Where the mapping sits in the configuration, for error messages.

        Returns
        -------
        DynamicThreshold
            The validated chart.

        Raises
        ------
        ConfigError
            When ``spec`` is not a mapping, names an unknown method or key, or has a bad value.
        """
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where} must be a mapping with method and levels (got {short_repr(spec)}); "
                              "e.g. {method: ewma, lam: 0.2, levels: {red: 2.962}}")
        method = spec.get("method")
        if method not in METHODS:
            raise ConfigError(f"{where}: method must be one of {list(METHODS)} (got method={method!r})")
        unknown = sorted(set(spec) - _KEYS[method])
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown} for method {method!r}; allowed: {sorted(_KEYS[method])}")
        kwargs = {k: v for k, v in spec.items() if k != "method"}
        out = cls(method=str(method), **kwargs)
        out.validate(where)
        return out

    def validate(self, where: str = "dynamic") -> None:
        """Check the parameters (raises ConfigError naming ``where``, the key and the value).

        Parameters
        ----------
        where : str, default "dynamic"
            Where the chart sits in the configuration, for error messages.

        Raises
        ------
        ConfigError
            When the method, a level or a numeric parameter is invalid, or the levels do not
            increase from mild to severe.
        """
        if self.method not in METHODS:
            raise ConfigError(f"{where}: method must be one of {list(METHODS)} (got method={self.method!r})")
        if not isinstance(self.levels, Mapping) or not self.levels:
            raise ConfigError(f"{where}: levels must map level names to numbers (got levels={short_repr(self.levels)}); "
                              "e.g. {yellow: 2.0, red: 3.0}")
        unknown = [lvl for lvl in self.levels if lvl not in _LEVELS]
        if unknown:
            raise ConfigError(f"{where}: unknown level name(s) {unknown}; levels are {list(_LEVELS)}")
        values = []
        for lvl in _LEVELS:
            if lvl not in self.levels:
                continue
            v = self.levels[lvl]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"{where}: level {lvl} must be a finite number (got {lvl}={v!r})")
            if self.method == "quantile" and not 0.5 < v < 1.0:
                raise ConfigError(f"{where}: quantile level {lvl} must be a probability in (0.5, 1) (got {lvl}={v!r})")
            if self.method != "quantile" and v <= 0:
                raise ConfigError(f"{where}: level {lvl} must be > 0 (got {lvl}={v!r}); give the limit in sd units")
            values.append((lvl, float(v)))
        for (a, va), (b, vb) in zip(values, values[1:], strict=False):
            if not vb > va:
                raise ConfigError(f"{where}: levels must increase from mild to severe (got {a}={va:g}, {b}={vb:g})")
        _check(self.lam, "lam", 0.0, 1.0, where, low_open=True)
        _check(self.k, "k", 0.0, 10.0, where)
        _check_int(self.warmup, "warmup", 3, where)
        _check_int(self.window, "window", 3, where)
        _check(self.inflate, "inflate", 1.0, 100.0, where)
        if self.sd is not None:
            _check(self.sd, "sd", 0.0, math.inf, where, low_open=True)
        if self.mean is not None:
            _check(self.mean, "mean", -math.inf, math.inf, where)

    @property
    def min_history(self) -> int:
        """Number of values (earlier ones and the current one) the chart needs to grade at all:
        ``warmup`` for EWMA and CUSUM unless ``mean`` and ``sd`` are given, else 1 (a rolling
        quantile gives no level during its first ``window`` months but never fails)."""
        if self.method in ("ewma", "cusum") and (self.mean is None or self.sd is None):
            return int(self.warmup)
        return 1

    # -- evaluation -----------------------------------------------------------------------------
    def baseline(self, history: pd.Series) -> tuple[float, float]:
        """In-control (mean, sd): the given ones or those of the first ``warmup`` values.

        Parameters
        ----------
        history : pd.Series
            The indicator's values, oldest first.

        Returns
        -------
        (float, float)
            The in-control mean and standard deviation.

        Raises
        ------
        DataError
            When fewer than ``warmup`` values are given or they are constant.
        """
        values = history.dropna().to_numpy(dtype=float)
        if self.mean is not None and self.sd is not None:
            return float(self.mean), float(self.sd)
        if len(values) < self.warmup:
            raise DataError(
                f"history has {len(values)} value(s) but the chart needs warmup={self.warmup} to estimate its "
                "in-control mean and sd; give a longer history, a smaller warmup, or mean and sd"
            )
        head = values[: self.warmup]
        mu = float(head.mean()) if self.mean is None else float(self.mean)
        sd = float(head.std(ddof=1)) if self.sd is None else float(self.sd)
        if not sd > 0:
            raise DataError(f"the first {self.warmup} values of the history are constant (sd 0); give sd explicitly")
        return mu, sd

    def evaluate(self, history: Any, direction: str = "above") -> pd.DataFrame:
        """Statistic, limit per level and level code at every point of ``history``.

        Parameters
        ----------
        history
            The indicator's values, oldest first (a Series keeps its index). NaN values are
            skipped by the statistics and get level 0.
        direction
            ``above`` (higher is worse), ``below`` or ``both``.

        Returns
        -------
        pandas.DataFrame
            Columns ``value``, ``statistic`` (EWMA value, CUSUM max(C+, C-) on the alarmed side,
            or the value itself for quantiles), ``limit_<level>`` (on the statistic's scale) and
            ``level_code`` (0 none, 1 blue ... 4 red). During the warm-up (EWMA, CUSUM) and the
            first ``window`` months (quantile) no level is given.

        Raises
        ------
        DataError
            When the history is too short or not numeric.
        """
        series = _as_series(history)
        if direction not in ("above", "below", "both"):
            raise DataError(f"direction must be 'above', 'below' or 'both' (got direction={direction!r})")
        self.validate()
        x = series.to_numpy(dtype=float)
        out = pd.DataFrame({"value": x}, index=series.index)
        ordered = [(lvl, float(self.levels[lvl])) for lvl in _LEVELS if lvl in self.levels]
        codes = np.zeros(len(x), dtype=int)
        if self.method in ("ewma", "cusum"):
            mu, sd = self.baseline(series)
            skip = 0 if (self.mean is not None and self.sd is not None) else self.warmup
            score = self.scores((x - mu) / sd, direction)
            if self.method == "ewma":
                scale = math.sqrt(self.lam / (2.0 - self.lam))
                out["statistic"] = mu + sd * ewma_statistic((x - mu) / sd, float(self.lam))
                for lvl, k in ordered:
                    out[f"limit_{lvl}"] = (mu + k * sd * scale) if direction != "below" else (mu - k * sd * scale)
            else:
                out["statistic"] = score
                for lvl, h in ordered:
                    out[f"limit_{lvl}"] = h
            for lvl, k in ordered:
                codes = np.where(score > k, _LEVELS.index(lvl) + 1, codes)
            codes[:skip] = 0
        else:
            out["statistic"] = x
            w = int(self.window)
            past = series.shift(1).rolling(w, min_periods=w)
            med = past.median().to_numpy()
            for lvl, p in ordered:
                hi = med + self.inflate * (past.quantile(p).to_numpy() - med)
                lo = med + self.inflate * (past.quantile(1.0 - p).to_numpy() - med)
                out[f"limit_{lvl}"] = lo if direction == "below" else hi
                hit = (x > hi) if direction == "above" else (x < lo) if direction == "below" else ((x > hi) | (x < lo))
                codes = np.where(hit & ~np.isnan(hi), _LEVELS.index(lvl) + 1, codes)
        codes = np.where(np.isnan(x), 0, codes)
        out["level_code"] = codes
        return out

    def scores(self, z: Any, direction: str = "both") -> np.ndarray:
        """Chart score of standardised values (EWMA in sd of its statistic, CUSUM statistic).

        The score is compared with each level's number: a level is breached where the score
        exceeds it. Works along the last axis, so a 2-D array simulates many series at once
        (used to pin the charts against published average run lengths).

        Parameters
        ----------
        z
            Standardised values ``(x - mean) / sd``, oldest first along the last axis.
        direction
            ``above``, ``below`` or ``both``.

        Returns
        -------
        numpy.ndarray
            The score, same shape as ``z``.

        Raises
        ------
        DataError
            For the quantile method (it has no standardised score) or a bad direction.
        """
        if self.method == "quantile":
            raise DataError("the quantile method has no standardised score; use evaluate(history)")
        if direction not in ("above", "below", "both"):
            raise DataError(f"direction must be 'above', 'below' or 'both' (got direction={direction!r})")
        if self.method == "ewma":
            stat = ewma_statistic(z, float(self.lam)) / math.sqrt(self.lam / (2.0 - self.lam))
            up, down = stat, -stat
        else:
            up, down = cusum_statistic(z, float(self.k))
        return np.maximum(up, down) if direction == "both" else (up if direction == "above" else down)

    def level_codes(self, history: Any, direction: str = "above") -> np.ndarray:
        """Level code (0 none ... 4 red) at every point of ``history``.

        Parameters
        ----------
        history : pd.Series or array-like
            The indicator's values, oldest first.
        direction : {"above", "below", "both"}, default "above"
            Which side is worse.

        Returns
        -------
        np.ndarray of int
            The ``level_code`` column of :meth:`evaluate`.

        Raises
        ------
        DataError
            As :meth:`evaluate`.
        """
        return self.evaluate(history, direction)["level_code"].to_numpy()

    def to_dict(self) -> dict[str, Any]:
        """The configuration mapping (inverse of :meth:`from_dict`)."""
        keys = sorted(_KEYS[self.method] - {"method", "levels"})
        out: dict[str, Any] = {"method": self.method, "levels": dict(self.levels)}
        out.update({k: getattr(self, k) for k in keys if getattr(self, k) is not None})
        return out


def _as_series(history: Any) -> pd.Series:
    if isinstance(history, pd.DataFrame):
        if history.shape[1] != 1:
            raise DataError(f"history must be one indicator's values (got a DataFrame with {history.shape[1]} columns)")
        history = history.iloc[:, 0]
    series = history if isinstance(history, pd.Series) else pd.Series(np.asarray(history))
    if series.empty:
        raise DataError("history is empty; pass the indicator's values, oldest first")
    try:
        series = series.astype(float)
    except (TypeError, ValueError):
        raise DataError(f"history must be numeric (got dtype {series.dtype})") from None
    if np.isinf(series.to_numpy()).any():
        raise DataError("history has infinite values; replace them with NaN (skipped) or finite numbers")
    return series


def _check(value: Any, name: str, low: float, high: float, where: str, *, low_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (value > low if low_open else value >= low) \
        and value <= high
    if not ok:
        lo = "(" if low_open else "["
        raise ConfigError(f"{where}: {name} must be a number in {lo}{low:g}, {high:g}] (got {name}={value!r})")


def _check_int(value: Any, name: str, minimum: int, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{where}: {name} must be an integer >= {minimum} (got {name}={value!r})")
