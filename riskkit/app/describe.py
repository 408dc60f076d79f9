"""What tells runs apart for a reviewer: run names that say what differs, an MLflow description
(``mlflow.note.content``) with the headline metrics and gate results, and registered model
versions that carry the same, plus the data digest.

Called from one place in the runner (:func:`annotate_run`, after a run succeeded) and from
:mod:`riskkit.app.experiments` (:func:`run_name`).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from riskkit.app import tracking
from riskkit.app.gates import Gate, check_gates
from riskkit.exceptions import ConfigError

__all__ = ["HEADLINE_METRICS", "annotate_run", "experiment_description", "gate_results", "headline_metrics", "run_description", "run_name"]

#: Headline metrics of each family, in the order a reviewer reads them.
HEADLINE_METRICS: dict[str, tuple[str, ...]] = {
    # the same as riskkit.credit.validation.HEADLINE_METRICS (a test keeps them equal; not imported
    # here so that the command line does not load matplotlib to name a run)
    "credit": ("auc_test", "gini_test", "ks_test", "psi_train_test", "auc_gap_train_test", "hl_pvalue_test",
               "adverse_impact_ratio_min"),
    "market": ("hit_rate_99", "traffic_light_zone_code_99", "kupiec_pvalue_99", "cc_pvalue_99", "hit_rate_95",
               "kupiec_pvalue_95", "cc_pvalue_95"),
    "data": ("n_rows", "n_columns", "target_rate", "missing_share"),
}
_MAX_VALUE_CHARS = 24


def _label(value: Any) -> str:
    text = str(value).replace(" ", "")
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def run_name(notebook: str, changed: Mapping[str, Any]) -> str:
    """The run's name: the notebook and the parameters that differ from the experiment file's
    defaults, e.g. ``credit_scorecard seed=7 test_size=0.25``.

    Parameters
    ----------
    notebook : str
        The notebook's stem.
    changed : mapping
        Overridden parameters and grid axes, in the order to show them.

    Returns
    -------
    str
    """
    return " ".join([notebook, *(f"{k}={_label(v)}" for k, v in changed.items())])


def headline_metrics(available: Iterable[str], limit: int = 7) -> list[str]:
    """The headline metrics among ``available``: those of the family with the most of its
    headline metrics logged, else the first ``limit`` names alphabetically.

    Parameters
    ----------
    available : iterable of str
        Metric names a run (or a set of runs) logged.
    limit : int
        Most names returned when no family matches.

    Returns
    -------
    list of str
    """
    names = set(available)
    best = max(HEADLINE_METRICS.values(), key=lambda h: sum(m in names for m in h))
    chosen = [m for m in best if m in names]
    return chosen if chosen else sorted(names)[:limit]


def gate_results(metrics: Mapping[str, float], gates: Sequence[Gate]) -> list[tuple[str, str, bool]]:
    """Each gate as ``(gate, value text, passed)``; a metric the run lacks fails its gate.

    Parameters
    ----------
    metrics : mapping
        The run's metrics.
    gates : sequence of Gate

    Returns
    -------
    list of tuple
    """
    out = []
    for gate in gates:
        try:
            (result,) = check_gates(metrics, [gate])
        except ConfigError:
            out.append((str(gate), "not logged", False))
            continue
        out.append((str(gate), f"{result.value:.4g}", result.passed))
    return out


def _fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4g}"


def run_description(metrics: Mapping[str, float], gates: Sequence[Gate], *, data_digest: str | None = None,
                    findings: Sequence[str] = ()) -> str:
    """Markdown for MLflow's description box: headline metrics, gate results, data, findings.

    Parameters
    ----------
    metrics : mapping
        The run's metrics.
    gates : sequence of Gate
        The experiment file's gates.
    data_digest : str, optional
        The digest of the data the run used.
    findings : sequence of str
        Validation findings to list.

    Returns
    -------
    str
    """
    results = gate_results(metrics, gates)
    failed = [g for g, _, ok in results if not ok]
    if not results:
        verdict = "no gates defined"
    elif failed:
        verdict = f"FAILS {len(failed)} of {len(results)} gates ({'; '.join(failed)})"
    else:
        verdict = f"passes all {len(results)} gates"
    lines = [f"**{verdict}**", ""]
    headline = headline_metrics(metrics)
    if headline:
        lines.append("Headline metrics: " + ", ".join(f"{m} {_fmt(metrics[m])}" for m in headline))
        lines.append("")
    if results:
        lines.append("Gates: " + "; ".join(f"{g}: {v} {'PASS' if ok else 'FAIL'}" for g, v, ok in results))
        lines.append("")
    if data_digest:
        lines.append(f"Data digest: {data_digest}")
    if findings:
        lines += ["", "Findings:", *(f"- {f}" for f in findings)]
    return "\n".join(lines).strip() + "\n"


def experiment_description(path: str | Path) -> str:
    """What an experiment file says about itself: its ``description:`` key, else the comment lines
    at its top (without the ``#``).

    Parameters
    ----------
    path : str or pathlib.Path
        The experiment file.

    Returns
    -------
    str
        Empty when the file says nothing.
    """
    import yaml  # lazy: only when an experiment is described

    text = Path(path).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    if isinstance(doc, dict) and isinstance(doc.get("description"), str) and doc["description"].strip():
        return str(doc["description"]).strip()
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines).strip()


def annotate_run(run_id: str, gates: Sequence[Gate], model_version: tuple[str, str] | None = None,
                 uri: str | None = None, experiment_file: str | Path | None = None) -> str:
    """Write the run's description (``mlflow.note.content``) and, when a model version was
    registered, its description and tags (``gates``, ``gate.<metric>``, ``data_digest``).

    Parameters
    ----------
    run_id : str
        A run that has finished logging.
    gates : sequence of Gate
        The experiment file's gates.
    model_version : (name, version), optional
        The version registered from this run.
    uri : str, optional
        Tracking URI (default: :func:`riskkit.app.tracking.tracking_uri`).
    experiment_file : str or pathlib.Path, optional
        The experiment file; its description (:func:`experiment_description`) becomes the MLflow
        experiment's description.

    Returns
    -------
    str
        The description written.
    """
    client = tracking.client(uri)
    run = client.get_run(run_id)
    metrics = run.data.metrics
    digest = run.data.tags.get("data_digest")
    findings = _findings(client, run_id)
    text = run_description(metrics, gates, data_digest=digest, findings=findings)
    client.set_tag(run_id, "mlflow.note.content", text)
    if experiment_file is not None:
        about = experiment_description(experiment_file)
        if about:
            client.set_experiment_tag(run.info.experiment_id, "mlflow.note.content", about)
    if model_version is not None:
        name, version = model_version
        client.update_model_version(name, version, description=f"From run {run.info.run_name} ({run_id}).\n\n{text}")
        summary = gate_results(metrics, gates)
        for gate, value, ok in summary:
            client.set_model_version_tag(name, version, f"gate.{gate.split()[0]}", f"{'PASS' if ok else 'FAIL'} {value} ({gate})")
        if summary:
            client.set_model_version_tag(name, version, "gates", "PASS" if all(ok for _, _, ok in summary) else "FAIL")
        if digest:
            client.set_model_version_tag(name, version, "data_digest", digest)
    return text


def _findings(client: Any, run_id: str) -> list[str]:
    if "reports/findings.txt" not in {a.path for a in client.list_artifacts(run_id, "reports")}:
        return []
    with tempfile.TemporaryDirectory() as tmp, tracking.quiet():
        path = client.download_artifacts(run_id, "reports/findings.txt", tmp)
        return [line for line in Path(path).read_text().splitlines() if line.strip()]
