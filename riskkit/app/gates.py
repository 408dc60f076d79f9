"""Promotion gates: conditions on a run's metrics, e.g. ``auc_test >= 0.75``.

Parsed from an experiment file's ``gates:`` and checked by ``riskkit promote``, the runner and the
validation report. Pure: no MLflow.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from riskkit.exceptions import ConfigError

__all__ = ["Gate", "GateResult", "check_gates", "parse_gates"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
_GATE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)?\s*(>=|<=|==|!=|>|<)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Gate:
    """A condition a run's metric must meet before promotion, e.g. ``auc_test >= 0.75``.

    Parameters
    ----------
    metric : str
        Metric name of the run.
    op : str
        Comparison: ``>=``, ``>``, ``<=``, ``<``, ``==`` or ``!=``.
    threshold : float
        Value compared against.
    """

    metric: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class GateResult:
    """The verdict of one gate on one run.

    Parameters
    ----------
    gate : Gate
        The gate.
    value : float
        The run's metric value.
    passed : bool
        Whether the value meets the gate (False for NaN).
    """

    gate: Gate
    value: float
    passed: bool


def parse_gates(spec: Mapping[str, Any] | Iterable[str] | None) -> list[Gate]:
    """Gates from an experiment file: a mapping ``{auc_test: ">= 0.75"}`` or a list of
    expressions ``["auc_test >= 0.75", ...]``.

    Parameters
    ----------
    spec : mapping, iterable of str or None
        The ``gates`` entry of an experiment file.

    Returns
    -------
    list of Gate
        Empty when ``spec`` is empty.

    Raises
    ------
    ConfigError
        When an expression is not ``metric op number``.

    Examples
    --------
    >>> [str(g) for g in parse_gates({"auc_test": ">= 0.75", "psi_train_test": "< 0.1"})]
    ['auc_test >= 0.75', 'psi_train_test < 0.1']
    """
    if not spec:
        return []
    items: list[tuple[str | None, str]]
    if isinstance(spec, Mapping):
        items = [(str(k), str(v)) for k, v in spec.items()]
    else:
        items = [(None, str(v)) for v in spec]
    gates = []
    for metric, text in items:
        match = _GATE.match(text)
        if not match or (metric is None and not match.group(1)):
            raise ConfigError(
                f"gate {text!r} is not understood; write it as 'auc_test >= 0.75' "
                "(or auc_test: '>= 0.75' in a mapping)"
            )
        name = match.group(1) if metric is None else metric
        gates.append(Gate(name, match.group(2), float(match.group(3))))
    return gates


def check_gates(metrics: Mapping[str, float], gates: Iterable[Gate]) -> list[GateResult]:
    """Evaluate gates; a gate naming a metric the run does not have is a :class:`ConfigError`.

    Parameters
    ----------
    metrics : mapping of str to float
        The run's metrics.
    gates : iterable of Gate
        The gates to check.

    Returns
    -------
    list of GateResult
        One verdict per gate, in order.

    Raises
    ------
    ConfigError
        When a gate names a metric the run does not have.

    Examples
    --------
    >>> gates = parse_gates(["auc_test >= 0.75", "psi_train_test < 0.1"])
    >>> [r.passed for r in check_gates({"auc_test": 0.78, "psi_train_test": 0.12}, gates)]
    [True, False]
    """
    results = []
    for gate in gates:
        if gate.metric not in metrics:
            raise ConfigError(
                f"gate '{gate}' names metric {gate.metric!r} that the run does not have; "
                f"the run has {sorted(metrics)[:12]}"
            )
        value = float(metrics[gate.metric])
        passed = (not math.isnan(value)) and _OPS[gate.op](value, gate.threshold)
        results.append(GateResult(gate, value, passed))
    return results
