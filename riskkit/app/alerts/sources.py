"""Key risk indicators wired to the models: read from the metrics of their latest runs.

Application layer. :func:`indicators_from_metrics` takes already-fetched metrics per experiment;
:func:`indicators_from_mlflow` fetches the latest finished run of each experiment through
``riskkit.app.tracking``.

Indicators, per experiment (``"<experiment>/<indicator>"``) and the worst over experiments:

- credit experiments: ``score_psi`` (metric ``psi_train_test``) and ``auc_decay``
  (``auc_train - auc_test``, or ``reference - auc_test`` when a reference AUC is given);
- market experiments: ``var_exceptions`` (metric ``traffic_light_exceptions``, the exceptions of
  the last 250 days that the Basel zones are defined on; else ``n_exceptions``) and ``traffic_light_zone`` (metric ``traffic_light_zone_code``:
  0 green, 1 yellow, 2 red), and, when the run logged them, the market conditions
  :data:`MARKET_CONDITIONS`: ``liquidity_amihud_pctile`` (the latest 21-day Amihud illiquidity as a
  percentile of its sample; absent for a series without volume) and ``sentiment_vix_zscore`` (VIX
  against its past 252 days; high = fear);
- monitoring experiments (``portfolio-monitoring``): every metric ``monitoring.<name>`` of the run
  (the loan-book indicators of :data:`riskkit.monitoring.INDICATORS`), as ``<name>``.

:func:`monitoring_history_from_mlflow` reads the month-by-month history of the monitoring
indicators (the metric history of the latest run, one step per month, or the latest values of
earlier monthly runs), which :meth:`riskkit.grading.EarlyWarning.evaluate` takes as ``history=``
for the indicators graded by dynamic thresholds.

A missing experiment, run or metric gives a :class:`MissingIndicatorWarning`, not an error.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from riskkit._validation import short_repr
from riskkit.app import tracking
from riskkit.exceptions import MissingIndicatorWarning, ParameterError, RiskkitError

__all__ = [
    "DEFAULT_EXPERIMENTS",
    "MARKET_CONDITIONS",
    "MONITORING_EXPERIMENT",
    "MONITORING_PREFIX",
    "indicators_from_metrics",
    "indicators_from_mlflow",
    "monitoring_history_from_mlflow",
]

DEFAULT_EXPERIMENTS: dict[str, str] = {
    "credit-scorecard": "credit",
    "credit-xgboost": "credit",
    "market-var": "market",
    "portfolio-monitoring": "monitoring",
}
"""Experiment name -> kind (``credit``, ``market`` or ``monitoring``)."""

MONITORING_EXPERIMENT = "portfolio-monitoring"
"""The MLflow experiment of the monthly loan-book monitoring (experiments/portfolio_monitoring.yaml)."""
MONITORING_PREFIX = "monitoring."
"""Metric prefix of the monitoring indicators: ``monitoring.<indicator>``, one step per month."""

MARKET_CONDITIONS = ("liquidity_amihud_pctile", "sentiment_vix_zscore")
"""Market-wide indicators the market notebook logs, passed through by name when present."""

_KINDS = ("credit", "market", "monitoring")


def _metric(metrics: Mapping[str, Any], names: tuple[str, ...], experiment: str, indicator: str) -> float | None:
    for name in names:
        value = metrics.get(name)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return float(value)
    warnings.warn(MissingIndicatorWarning(
        f"experiment {experiment!r}: no metric {' or '.join(names)} in its latest run; "
        f"indicator {indicator!r} is missing"), stacklevel=4)
    return None


def _credit(metrics: Mapping[str, Any], experiment: str, reference: float | None) -> dict[str, float]:
    out: dict[str, float] = {}
    psi = _metric(metrics, ("psi_train_test",), experiment, "score_psi")
    if psi is not None:
        out["score_psi"] = psi
    auc_test = _metric(metrics, ("auc_test",), experiment, "auc_decay")
    if auc_test is not None:
        base = reference if reference is not None else _metric(metrics, ("auc_train",), experiment, "auc_decay")
        if base is not None:
            out["auc_decay"] = base - auc_test
    return out


def _market(metrics: Mapping[str, Any], experiment: str) -> dict[str, float]:
    out: dict[str, float] = {}
    exc = _metric(metrics, ("traffic_light_exceptions", "n_exceptions"), experiment, "var_exceptions")
    if exc is not None:
        out["var_exceptions"] = exc
    zone = _metric(metrics, ("traffic_light_zone_code",), experiment, "traffic_light_zone")
    if zone is not None:
        out["traffic_light_zone"] = zone
    # Market-wide liquidity and sentiment (market notebook): passed through when logged. A series
    # of prices only has no volume, hence no liquidity; its absence is not a missing model metric.
    for name in MARKET_CONDITIONS:
        value = metrics.get(name)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            out[name] = float(value)
    return out


def _monitoring(metrics: Mapping[str, Any], experiment: str) -> dict[str, float]:
    out = {}
    for key, value in metrics.items():
        if key.startswith(MONITORING_PREFIX) and value is not None and not math.isnan(float(value)):
            out[key[len(MONITORING_PREFIX):]] = float(value)
    if not out:
        warnings.warn(MissingIndicatorWarning(
            f"experiment {experiment!r}: no metric {MONITORING_PREFIX}<indicator> in its latest run; "
            "its monitoring indicators are missing"), stacklevel=4)
    return out


def _check_kinds(experiments: Mapping[str, str]) -> None:
    if not isinstance(experiments, Mapping) or not experiments:
        raise ParameterError(
            f"experiments must map experiment names to one of {list(_KINDS)} (got experiments={short_repr(experiments)})"
        )
    for name, kind in experiments.items():
        if kind not in _KINDS:
            raise ParameterError(
                f"experiments[{name!r}] must be one of {list(_KINDS)} (got {short_repr(kind)})"
            )


def indicators_from_metrics(
    metrics: Mapping[str, Mapping[str, Any] | None],
    experiments: Mapping[str, str] | None = None,
    *,
    reference_auc: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Indicator values from the metrics of each experiment's latest run (None = no run).

    Returns ``"<experiment>/<indicator>"`` for each experiment and the worst value over the
    experiments under the bare indicator name (``score_psi``, ``auc_decay``, ``var_exceptions``,
    ``traffic_light_zone``).

    Parameters
    ----------
    metrics : mapping of str to (mapping or None)
        Experiment name to the metrics of its latest run (None when it has none).
    experiments : mapping of str to str, optional
        Experiment name to ``credit`` or ``market`` (default :data:`DEFAULT_EXPERIMENTS`).
    reference_auc : mapping of str to float, optional
        AUC at development per credit experiment; ``auc_decay`` is measured from it (default:
        the run's ``auc_train``).

    Returns
    -------
    dict of str to float
        ``"<experiment>/<indicator>"`` and the bare indicator names (worst over experiments).

    Raises
    ------
    ParameterError
        When an experiment kind is not ``credit`` or ``market``.

    Warns
    -----
    MissingIndicatorWarning
        For an experiment without a run or a metric an indicator needs.
    """
    kinds = DEFAULT_EXPERIMENTS if experiments is None else experiments
    _check_kinds(kinds)
    refs = dict(reference_auc or {})
    out: dict[str, float] = {}
    for experiment, kind in kinds.items():
        run_metrics = metrics.get(experiment)
        if run_metrics is None:
            warnings.warn(MissingIndicatorWarning(
                f"experiment {experiment!r} has no finished run; its {kind} indicators are missing"),
                stacklevel=2)
            continue
        if kind == "credit":
            values = _credit(run_metrics, experiment, refs.get(experiment))
        elif kind == "market":
            values = _market(run_metrics, experiment)
        else:
            values = _monitoring(run_metrics, experiment)
        for indicator, value in values.items():
            out[f"{experiment}/{indicator}"] = value
            out[indicator] = max(out.get(indicator, -math.inf), value)
    return out


def indicators_from_mlflow(
    experiments: dict[str, str] | None = None,
    *,
    reference_auc: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Indicator values from the latest finished MLflow run of each experiment.

    ``experiments`` maps experiment names to ``credit`` or ``market`` (default
    :data:`DEFAULT_EXPERIMENTS`). An experiment without a run, or a store that cannot be read,
    gives a MissingIndicatorWarning.

    Parameters
    ----------
    experiments : dict of str to str, optional
        Experiment name to ``credit`` or ``market`` (default :data:`DEFAULT_EXPERIMENTS`).
    reference_auc : mapping of str to float, optional
        AUC at development per credit experiment; ``auc_decay`` is measured from it (default:
        the run's ``auc_train``).

    Returns
    -------
    dict of str to float
        ``"<experiment>/<indicator>"`` and the bare indicator names (worst over experiments).

    Raises
    ------
    ParameterError
        When an experiment kind is not ``credit`` or ``market``.

    Warns
    -----
    MissingIndicatorWarning
        For an experiment without a run or a metric an indicator needs.
    """
    kinds = DEFAULT_EXPERIMENTS if experiments is None else experiments
    _check_kinds(kinds)
    fetched: dict[str, Mapping[str, Any] | None] = {}
    for name in kinds:
        try:
            run = tracking.latest_run(name)
        except RiskkitError as exc:
            warnings.warn(MissingIndicatorWarning(
                f"experiment {name!r} could not be read ({exc}); its indicators are missing"), stacklevel=2)
            run = None
        if run is None:
            fetched[name] = None
        elif kinds[name] == "monitoring":
            fetched[name] = _current_month_metrics(run, name)
        else:
            fetched[name] = dict(run.data.metrics)
    return indicators_from_metrics(fetched, kinds, reference_auc=reference_auc)


def _current_month_metrics(run: Any, experiment: str) -> dict[str, float]:
    """The run's metrics without the ``monitoring.<name>`` whose last step is before the run's last
    month (the notebook skips a NaN month, and MLflow would report the earlier month as latest)."""
    client = tracking.client()
    metrics = dict(run.data.metrics)
    last: dict[str, int] = {}
    for key in [k for k in metrics if k.startswith(MONITORING_PREFIX)]:
        last[key] = max((int(m.step) for m in client.get_metric_history(run.info.run_id, key)), default=0)
    final = max(last.values(), default=0)
    for key, step in last.items():
        if step < final:
            warnings.warn(MissingIndicatorWarning(
                f"experiment {experiment!r}: metric {key} has no value for the run's last month (last logged at "
                f"step {step} of {final}); indicator {key[len(MONITORING_PREFIX):]!r} is missing"), stacklevel=3)
            del metrics[key]
    return metrics


def _month_index(snapshot: str | None, steps: pd.Index) -> pd.Index:
    """Month labels (YYYY-MM) of the steps, the last step being ``snapshot``; else the steps."""
    if snapshot:
        try:
            end = pd.Period(snapshot, freq="M")
        except (ValueError, TypeError):
            end = None
        if end is not None:
            last = int(steps.max())
            return pd.Index([str(end - (last - int(s))) for s in steps], name="month")
    return pd.Index(steps, name="step")


def monitoring_history_from_mlflow(
    experiment: str = MONITORING_EXPERIMENT,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Month-by-month values of the monitoring indicators, oldest first, from MLflow.

    The latest finished run of ``experiment`` logs each indicator as ``monitoring.<name>`` with
    one step per month (the last step is its snapshot month), so its metric history
    (``MlflowClient.get_metric_history``) is the indicator's history. When that run holds a
    single step (a run that logged only its month), the history is assembled from the earlier
    finished runs of the experiment instead: the latest value of each run, ordered by the run's
    ``snapshot_month`` tag (runs of later months than the latest run's are left out; of two runs
    of one month the later one counts).

    The last row is the current value (what :func:`indicators_from_mlflow` returns for the
    experiment); pass ``frame.iloc[:-1]`` as ``history=`` to
    :meth:`riskkit.grading.EarlyWarning.evaluate`.

    Parameters
    ----------
    experiment : str
        The monitoring experiment (default ``portfolio-monitoring``).
    names : sequence of str, optional
        Indicators to read (default: every ``monitoring.<name>`` metric of the latest run).

    Returns
    -------
    pandas.DataFrame
        One row per month (index ``month`` as ``YYYY-MM`` when the runs carry a
        ``snapshot_month`` tag, else ``step``), one column per indicator. Empty (no rows) when
        the experiment has no finished run; a MissingIndicatorWarning says so.

    Raises
    ------
    ParameterError
        When ``experiment`` is not a non-empty string or ``names`` is not a list of strings.
    """
    if not isinstance(experiment, str) or not experiment.strip():
        raise ParameterError(f"experiment must be a non-empty experiment name (got experiment={short_repr(experiment)})")
    if names is not None and (isinstance(names, str) or not all(isinstance(n, str) for n in names)):
        raise ParameterError(f"names must be a list of indicator names (got names={short_repr(names)}); "
                             "e.g. ['dq30_rate', 'roll_30_to_60']")
    try:
        run = tracking.latest_run(experiment)
    except RiskkitError as exc:
        warnings.warn(MissingIndicatorWarning(
            f"experiment {experiment!r} could not be read ({exc}); no monitoring history"), stacklevel=2)
        run = None
    if run is None:
        warnings.warn(MissingIndicatorWarning(
            f"experiment {experiment!r} has no finished run; no monitoring history"), stacklevel=2)
        return pd.DataFrame(columns=list(names or []), dtype=float)
    keys = [f"{MONITORING_PREFIX}{n}" for n in names] if names is not None else sorted(
        k for k in run.data.metrics if k.startswith(MONITORING_PREFIX))
    client = tracking.client()
    columns: dict[str, pd.Series] = {}
    for key in keys:
        points = client.get_metric_history(run.info.run_id, key)
        by_step: dict[int, float] = {}
        for m in sorted(points, key=lambda m: (m.step, m.timestamp)):
            by_step[int(m.step)] = float(m.value)  # a re-logged step keeps its latest value
        columns[key[len(MONITORING_PREFIX):]] = pd.Series(by_step, dtype=float)
    n_steps = max((len(c) for c in columns.values()), default=0)
    snapshot = run.data.tags.get("snapshot_month")
    if n_steps > 1:
        frame = pd.DataFrame(columns).sort_index()  # a step a metric skipped (NaN) is NaN
        frame = frame.reindex(pd.RangeIndex(int(frame.index.min()), int(frame.index.max()) + 1))
        frame.index = _month_index(snapshot, frame.index)
        return frame
    return _history_from_runs(client, run, list(columns) or list(names or []), snapshot)


def _history_from_runs(client: Any, latest: Any, names: list[str], snapshot: str | None) -> pd.DataFrame:
    """One row per earlier monthly run (latest value of each metric), ordered by snapshot month."""
    runs = client.search_runs([latest.info.experiment_id], filter_string="attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time ASC"], max_results=5000)
    rows: dict[str, dict[str, float]] = {}
    for r in runs:
        month = r.data.tags.get("snapshot_month")
        if not month or (snapshot and month > snapshot):
            continue
        rows[month] = {n: float(r.data.metrics.get(f"{MONITORING_PREFIX}{n}", math.nan)) for n in names}
    if not rows:  # no month tags: the latest run alone
        frame = pd.DataFrame([{n: float(latest.data.metrics.get(f"{MONITORING_PREFIX}{n}", math.nan)) for n in names}])
        frame.index = pd.RangeIndex(1, name="step")
        return frame
    frame = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    frame.index.name = "month"
    return frame
