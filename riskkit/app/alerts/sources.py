"""Key risk indicators wired to the models: read from the metrics of their latest runs.

Application layer. :func:`indicators_from_metrics` takes already-fetched metrics per experiment;
:func:`indicators_from_mlflow` fetches the latest finished run of each experiment through
``riskkit.app.tracking``.

Indicators, per experiment (``"<experiment>/<indicator>"``) and the worst over experiments:

- credit experiments: ``score_psi`` (metric ``psi_train_test``) and ``auc_decay``
  (``auc_train - auc_test``, or ``reference - auc_test`` when a reference AUC is given);
- market experiments: ``var_exceptions`` (metric ``traffic_light_exceptions``, the exceptions of
  the last 250 days that the Basel zones are defined on; else ``n_exceptions``) and ``traffic_light_zone`` (metric ``traffic_light_zone_code``:
  0 green, 1 yellow, 2 red).

A missing experiment, run or metric gives a :class:`MissingIndicatorWarning`, not an error.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from riskkit._validation import short_repr
from riskkit.app import tracking
from riskkit.exceptions import MissingIndicatorWarning, ParameterError, RiskkitError

__all__ = ["DEFAULT_EXPERIMENTS", "indicators_from_metrics", "indicators_from_mlflow"]

DEFAULT_EXPERIMENTS: dict[str, str] = {
    "credit-scorecard": "credit",
    "credit-xgboost": "credit",
    "market-var": "market",
}
"""Experiment name -> kind (``credit`` or ``market``)."""

_KINDS = ("credit", "market")


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
    return out


def _check_kinds(experiments: Mapping[str, str]) -> None:
    if not isinstance(experiments, Mapping) or not experiments:
        raise ParameterError(
            f"experiments must map experiment names to 'credit' or 'market' (got experiments={short_repr(experiments)})"
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
        values = (_credit(run_metrics, experiment, refs.get(experiment)) if kind == "credit"
                  else _market(run_metrics, experiment))
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
        fetched[name] = None if run is None else dict(run.data.metrics)
    return indicators_from_metrics(fetched, kinds, reference_auc=reference_auc)
