"""The reviewers' workflow: tables of runs, side-by-side comparison, gates, registry aliases.

Application layer (talks to MLflow through :mod:`riskkit.app.tracking`). Used by ``riskkit runs``,
``riskkit compare``, ``riskkit promote`` and ``riskkit promotions``.

Four eyes on the champion: :func:`promote` refuses when the promoting user is the user who created
the run (unless the experiment file says ``allow_self_promotion: true``), and records who
promoted, when, why and the gate results on the model version (tags and description);
:func:`promotions` reads that audit trail back.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit.app import tracking
from riskkit.app.describe import headline_metrics
from riskkit.app.experiments import load_experiment
from riskkit.app.gates import Gate, GateResult, check_gates, parse_gates
from riskkit.exceptions import AuthorizationError, ConfigError, ParameterError, RiskkitError, TrackingError

__all__ = [
    "AmbiguousRunIdError",
    "Gate",
    "GateResult",
    "PromotionResult",
    "check_gates",
    "compare_runs",
    "experiment_file_of",
    "fit_columns",
    "format_table",
    "get_run",
    "parse_gates",
    "promote",
    "promotions",
    "register_run_model",
    "runs_table",
]

# --------------------------------------------------------------------------- runs
class AmbiguousRunIdError(TrackingError):
    """A short run id matches more than one run."""


MIN_PREFIX = 6


def get_run(run_id: str) -> Any:
    """The MLflow run with this id; an unknown id is a :class:`TrackingError`.

    Parameters
    ----------
    run_id : str
        Run id: the 32 hex digits, or a unique prefix of at least 6 (``riskkit runs EXPERIMENT`` prints 12).

    Returns
    -------
    mlflow.entities.Run

    Raises
    ------
    TrackingError
        When the store is unreachable or the run does not exist.
    """
    tracking.check_reachable()
    text = (run_id or "").strip().lower()
    if not re.fullmatch(rf"[0-9a-f]{{{MIN_PREFIX},32}}", text):
        raise TrackingError(f"unknown run id {run_id!r}; give the 32 hex digits of a run id or a unique prefix "
                            f"of at least {MIN_PREFIX} (see `riskkit runs EXPERIMENT`)")
    client = tracking.client()
    if len(text) == 32:
        try:
            return client.get_run(text)
        except Exception as exc:  # mlflow raises MlflowException / RestException
            raise TrackingError(f"unknown run id {run_id!r} in {tracking.tracking_uri()} ({type(exc).__name__}); "
                                "list runs with `riskkit runs EXPERIMENT`") from None
    matches = _runs_with_prefix(client, text)
    if not matches:
        raise TrackingError(f"unknown run id {run_id!r}: no run id starts with it in {tracking.tracking_uri()}; "
                            "list runs with `riskkit runs EXPERIMENT`")
    if len(matches) > 1:
        listed = "; ".join(f"{r.info.run_id} ({r.info.run_name})" for r in matches[:10])
        raise AmbiguousRunIdError(f"run id prefix {run_id!r} matches {len(matches)} runs: {listed}; "
                                  "give more digits")
    return matches[0]


def _runs_with_prefix(client: Any, prefix: str) -> list[Any]:
    from mlflow.entities import ViewType  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    found: list[Any] = []
    token = None
    while ids:
        page = client.search_runs(ids, run_view_type=ViewType.ALL, max_results=5000, page_token=token)
        found += [r for r in page if r.info.run_id.startswith(prefix)]
        token = page.token
        if not token:
            break
    return found


def runs_table(
    experiment: str,
    *,
    sort_by: str | None = None,
    ascending: bool = False,
    max_results: int = 20,
    metrics: list[str] | str | None = None,
) -> pd.DataFrame:
    """The latest runs of an experiment: name, status, start, key metrics; sortable by a metric.

    Parameters
    ----------
    experiment : str
        Experiment name.
    sort_by : str, optional
        Metric to sort by (default: newest first).
    ascending : bool, default False
        Sort order for ``sort_by``.
    max_results : int, default 20
        Runs fetched, newest first.
    metrics : list of str, optional
        Metric columns to show (default: every metric logged).

    Returns
    -------
    pd.DataFrame
        One row per run: run_id, name, status, start and the metrics.

    Raises
    ------
    TrackingError
        When the store is unreachable or the experiment is unknown.
    ConfigError
        When a requested or ``sort_by`` metric was not logged.
    """
    tracking.check_reachable()
    client = tracking.client()
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        known = [e.name for e in client.search_experiments(max_results=50)]
        raise TrackingError(f"unknown experiment {experiment!r}; known experiments: {known}")
    runs = client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"], max_results=max_results)
    aliases = _aliases_by_run(client, [r.info.run_id for r in runs])
    fixed = ["run_id", "name", "status", "start", "alias"]
    rows = []
    for run in runs:
        row: dict[str, Any] = {
            "run_id": run.info.run_id,
            "name": run.info.run_name,
            "status": run.info.status,
            "start": pd.Timestamp(run.info.start_time, unit="ms").strftime("%Y-%m-%d %H:%M"),
            "alias": aliases.get(run.info.run_id, ""),
        }
        row.update(run.data.metrics)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=fixed)
    logged = sorted(c for c in frame.columns if c not in fixed)
    if metrics == "all":
        metric_cols = logged
    elif metrics:
        metric_cols = list(metrics)
    else:
        metric_cols = headline_metrics(logged)
    missing = [m for m in metric_cols if m not in frame.columns]
    if missing:
        raise ConfigError(f"metric(s) {missing} not logged by any run of {experiment!r}; "
                          f"it logged {logged[:12]}{' ...' if len(logged) > 12 else ''}")
    if sort_by is not None:
        if sort_by not in frame.columns:
            raise ConfigError(f"--sort {sort_by!r} is not a metric of {experiment!r}; choose one of {logged[:12]}")
        frame = frame.sort_values(sort_by, ascending=ascending, na_position="last")
    return frame[fixed + metric_cols].reset_index(drop=True)


def _aliases_by_run(client: Any, run_ids: list[str]) -> dict[str, str]:
    """Registry aliases of the model versions registered from these runs: run id -> ``"champion"``."""
    if not run_ids:
        return {}
    found: dict[str, set[str]] = {}
    quoted = ", ".join(f"'{r}'" for r in run_ids)
    try:
        versions = client.search_model_versions(f"run_id IN ({quoted})")
    except Exception:  # a store without a registry: no aliases to show
        return {}
    # search results carry no aliases (SQL store); the registered model maps alias -> version
    run_of = {(v.name, str(v.version)): v.run_id for v in versions}
    for name in sorted({v.name for v in versions}):
        try:
            aliases = client.get_registered_model(name).aliases or {}
        except Exception:  # deleted meanwhile
            continue
        for alias, version in aliases.items():
            run = run_of.get((name, str(version)))
            if run is not None:
                found.setdefault(run, set()).add(alias)
    return {run: ",".join(sorted(names)) for run, names in found.items()}


def compare_runs(run_a: str, run_b: str) -> pd.DataFrame:
    """Parameters, metrics and key tags of two runs side by side, differences marked.

    Parameters
    ----------
    run_a, run_b : str
        Run ids.

    Returns
    -------
    pd.DataFrame
        Columns kind (param / metric / tag), name, run_a, run_b and differs (``*``).

    Raises
    ------
    TrackingError
        When a run does not exist.
    """
    a, b = get_run(run_a), get_run(run_b)
    rows = []
    for kind, left, right in (
        ("param", a.data.params, b.data.params),
        ("metric", a.data.metrics, b.data.metrics),
        ("tag", _key_tags(a.data.tags), _key_tags(b.data.tags)),
    ):
        for name in sorted(set(left) | set(right)):
            va, vb = left.get(name), right.get(name)
            rows.append({"kind": kind, "name": name, "run_a": va, "run_b": vb, "differs": "*" if va != vb else ""})
    frame = pd.DataFrame(rows, columns=["kind", "name", "run_a", "run_b", "differs"])
    frame.attrs["run_a"], frame.attrs["run_b"] = run_a, run_b
    return frame


_KEY_TAGS = ("riskkit.notebook", "riskkit.git_commit", "riskkit.git_dirty", "riskkit.version", "data_digest",
             "traffic_light_zone", "mlflow.runName")


def _key_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if k in _KEY_TAGS}


def fit_columns(frame: pd.DataFrame, width: int = 120, *, keep: int = 1, max_cell: int = 36,
                wrap_headers: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Drop trailing columns until the text rendering of ``frame`` fits ``width`` characters.

    Parameters
    ----------
    frame : pandas.DataFrame
    width : int
        Terminal width to fit.
    keep : int
        Leading columns never dropped.
    max_cell : int
        Longest cell in the text rendering (longer ones end in ``...``).
    wrap_headers : bool
        Measure long snake_case headers as wrapped on two or three lines (see :func:`format_table`).

    Returns
    -------
    (pandas.DataFrame, list of str)
        The frame that fits and the names of the columns dropped.
    """
    columns = list(frame.columns)
    dropped: list[str] = []
    while len(columns) > keep and _text_width(frame[columns], max_cell, wrap_headers) > width:
        dropped.insert(0, str(columns.pop()))
    return frame[columns], dropped


def _text_width(frame: pd.DataFrame, max_cell: int, wrap_headers: bool = False) -> int:
    """Width of ``frame`` as :func:`format_table` renders it (its dashed rule spans every column)."""
    text = format_table(frame, "text", max_cell=max_cell, wrap_headers=wrap_headers)
    return max(len(line) for line in text.splitlines())


def _fitted_header(name: str, cells: list[str], wrap: bool) -> list[str]:
    """The header's lines: wrapped only where the header, not the cells, sets the column's width."""
    widest = max((len(v) for v in cells), default=0)
    return _header_lines(name, wrap) if wrap and len(name) > widest else [name]


def _header_lines(name: str, wrap: bool = True, limit: int = 8) -> list[str]:
    """A long snake_case header on two or three lines, split at underscores: the fewest lines
    whose longest is at most ``limit``, else the three most balanced ones
    (``traffic_light_zone_code_99`` -> ``traffic_`` / ``light_zone_`` / ``code_99``)."""
    if not wrap or len(name) <= limit or "_" not in name:
        return [name]
    cuts = [i + 1 for i, ch in enumerate(name) if ch == "_" and 0 < i < len(name) - 1]
    if not cuts:
        return [name]
    two = [[name[:c], name[c:]] for c in cuts]
    three = [[name[:a], name[a:b], name[b:]] for a in cuts for b in cuts if a < b]
    best = min(two, key=lambda parts: max(map(len, parts)))
    if max(map(len, best)) <= limit or not three:
        return best
    return min(three, key=lambda parts: max(map(len, parts)))


def format_table(frame: pd.DataFrame, fmt: str = "text", *, max_cell: int | None = None,
                 wrap_headers: bool = False) -> str:
    """Render a table for a terminal (``text``), a spreadsheet (``csv``) or a document (``markdown``).

    Parameters
    ----------
    frame : pd.DataFrame
        The table (the index is not shown).
    fmt : {"text", "csv", "markdown"}, default "text"
        Output format.
    max_cell : int, optional
        Text format: cut longer cells to this many characters (with an ellipsis).
    wrap_headers : bool, default False
        Text format: break long snake_case column headers onto up to three lines, where the
        header, not the cells, sets the column's width.

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        When ``fmt`` is not one of the three formats.

    Examples
    --------
    >>> import pandas as pd
    >>> print(format_table(pd.DataFrame({"run": ["a", "b"], "auc_test": [0.81, 0.79]})), end="")
    run  auc_test
    ---  --------
    a    0.81
    b    0.79
    """
    if fmt == "csv":
        return frame.to_csv(index=False)
    cells = [[_cell(v, max_cell if fmt == "text" else None) for v in row] for row in frame.itertuples(index=False)]
    header = [str(c) for c in frame.columns]
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines) + "\n"
    if fmt != "text":
        raise ConfigError(f"--format must be one of ['text', 'csv', 'markdown'] (got {fmt!r})")
    split = [_fitted_header(h, [r[i] for r in cells], wrap_headers) for i, h in enumerate(header)]
    widths = [max([max(len(p) for p in parts)] + [len(r[i]) for r in cells]) for i, parts in enumerate(split)]
    depth = max(len(parts) for parts in split)
    # long headers wrap onto up to three lines (top-aligned), so numbers, not names, set the widths
    lines = ["  ".join((parts[k] if k < len(parts) else "").ljust(w) for parts, w in zip(split, widths, strict=True)).rstrip()
             for k in range(depth)]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines) + "\n"


def _cell(value: Any, max_cell: int | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    if max_cell is not None and len(text) > max_cell:
        text = text[: max_cell - 3] + "..."
    return text


# --------------------------------------------------------------------------- registry
def _registered_model_exists(name: str) -> bool:
    from mlflow.exceptions import MlflowException  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    try:
        tracking.client().get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return False
        raise
    return True


def _denied(exc: BaseException) -> bool:
    """Whether the store refused ``exc``'s request for lack of permission (a 403)."""
    return "PERMISSION_DENIED" in str(getattr(exc, "error_code", "")) + str(exc)


def _hidden_or_missing(client: Any, model_name: str, exc: Exception) -> bool:
    """Whether a 403 on ``model_name`` means "no such model" to this user: a search by name finds none."""
    if not _denied(exc) or "'" in model_name:
        return False
    try:
        return not client.search_registered_models(filter_string=f"name='{model_name}'", max_results=1)
    except Exception:  # noqa: BLE001 (the 403 is then reported as it is)
        return False


def register_run_model(run_id: str, name: str) -> str | None:
    """Register the model a run logged under ``name``; returns the version, or None without a model.

    Parameters
    ----------
    run_id : str
        The run that logged the model.
    name : str
        Registered model name.

    Returns
    -------
    str or None
        The model version (an existing one when the run's model is already registered).

    Raises
    ------
    mlflow.exceptions.MlflowException
        When the registry refuses the registration.
    """
    import mlflow  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    mlflow.set_tracking_uri(tracking.tracking_uri())
    existing = tracking.client().search_model_versions(f"run_id='{run_id}'")
    for version in existing:
        if version.name == name:
            return str(version.version)
    experiment_id = tracking.client().get_run(run_id).info.experiment_id
    models = mlflow.search_logged_models(experiment_ids=[experiment_id], filter_string=f"source_run_id='{run_id}'",
                                         output_format="list")
    if not models:
        return None
    model = sorted(models, key=lambda m: (m.name != "model", m.creation_timestamp))[0]
    try:
        if _registered_model_exists(name):
            # mlflow.register_model first tries to create the registered model and expects "already
            # exists"; on the team server a user who may not create (a validator) gets 403 there
            # instead, so a new version of an existing model is created directly, then linked on
            # the logged model as register_model does.
            client = tracking.client()
            number = str(client.create_model_version(name, model.model_uri, run_id=run_id,
                                                     model_id=model.model_id).version)
            links = json.loads(model.tags.get("mlflow.modelVersions") or "[]") + [{"name": name, "version": number}]
            client.set_logged_model_tags(model.model_id, {"mlflow.modelVersions": json.dumps(links)})
        else:
            # MLflow prints "Successfully registered model ..." on stderr itself; riskkit reports the
            # version (summary, version description), so a scheduled run's log stays one line per state
            with contextlib.redirect_stderr(io.StringIO()):
                number = str(mlflow.register_model(model.model_uri, name).version)
    except Exception as exc:
        # After creating the version, the version is linked on the logged model, which needs EDIT
        # on the run's experiment; a validator (READ on experiments, MANAGE on the model) gets a 403
        # there although the version exists. Only that cosmetic link is missing then.
        created = [v for v in tracking.client().search_model_versions(f"run_id='{run_id}'") if v.name == name]
        if not created or not _denied(exc):
            raise
        number = str(created[0].version)
    tracking.client().set_model_version_tag(name, number, "riskkit.run_id", run_id)
    return number


@dataclass(frozen=True)
class PromotionResult:
    """What :func:`promote` did: the alias now points at ``model_name`` version ``version``.

    Parameters
    ----------
    model_name : str
        Registered model.
    version : str
        Version that now holds the alias.
    alias : str
        The alias (e.g. ``champion``).
    previous_version : str or None
        Version that held it before.
    gates : list of GateResult
        The gate verdicts checked before promoting.
    promoted_by, promoted_at, reason, run_author : str
        Audit trail: who promoted, when (UTC), why, and who produced the run.
    """

    model_name: str
    version: str
    alias: str
    previous_version: str | None
    gates: list[GateResult]
    promoted_by: str = ""
    promoted_at: str = ""
    reason: str = ""
    run_author: str = ""


PROMOTION_TAG_PREFIX = "riskkit.promotion."
_UNKNOWN_AUTHORS = {"", "unknown"}


def experiment_file_of(run: Any, experiment_file: str | Path | None = None) -> Path | None:
    """The experiment file a run came from (its ``riskkit.experiment_path`` tag), unless
    ``experiment_file`` overrides it; ``None`` when neither is known.

    Parameters
    ----------
    run : mlflow.entities.Run
        The run.
    experiment_file : str or Path, optional
        Explicit experiment file.

    Returns
    -------
    Path or None
    """
    if experiment_file:
        return Path(experiment_file)
    rel = run.data.tags.get("riskkit.experiment_path")
    if not rel:
        return None
    path = Path(rel)
    return path if path.is_absolute() else tracking.project_root() / path


def promote(run_id: str, alias: str = "champion", *, reason: str, experiment_file: str | Path | None = None,
            model_name: str | None = None, user: str | None = None) -> PromotionResult:
    """Point ``alias`` at the run's model version after its gates pass, with four eyes.

    Parameters
    ----------
    run_id : str
        The run whose model becomes the alias holder.
    alias : str
        Registry alias (default ``champion``); the previous holder keeps ``previous-<alias>``.
    reason : str
        Why (required, recorded on the model version).
    experiment_file : str or Path, optional
        Gates and ``allow_self_promotion`` from this file (default: the run's own); self-promotion
        needs ``allow_self_promotion: true`` in both this file and the run's own.
    model_name : str, optional
        Registered model (default: the experiment file's ``register_model``, else the experiment).
    user : str, optional
        The promoting user (default: ``MLFLOW_TRACKING_USERNAME``, else ``$USER``).

    Returns
    -------
    PromotionResult
        Model, version, alias, previous holder, gate results and the audit fields.

    Raises
    ------
    ParameterError
        An empty ``reason``.
    AuthorizationError
        The promoting user created the run (or the run's author is not recorded) and the
        experiment file does not say ``allow_self_promotion: true``.
    ConfigError
        The run did not finish, fails a gate, or logged no model.
    TrackingError
        The server refuses (401/403) or the run is unknown.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ParameterError("promote needs a reason (got an empty --reason); say why this model should be the "
                             f"{alias}, e.g. --reason 'annual revalidation passed, memo VAL-2026-14'")
    promoter = (user or tracking.tracking_user()).strip()
    run = get_run(run_id)
    run_id = run.info.run_id
    path = experiment_file_of(run, experiment_file)
    gates: list[Gate] = []
    client = tracking.client()
    experiment_name = client.get_experiment(run.info.experiment_id).name
    registered = None
    allow_self = False
    if path is not None:
        exp = load_experiment(path)
        gates = parse_gates(exp.gates)
        registered = exp.register_model
        allow_self = exp.allow_self_promotion
        # an --experiment-file override cannot switch four eyes off: the run's own file must agree
        own = experiment_file_of(run)
        if allow_self and own is not None and own.resolve() != Path(path).resolve():
            allow_self = own.is_file() and load_experiment(own).allow_self_promotion
    author = (run.info.user_id or run.data.tags.get("mlflow.user") or "").strip()
    if not allow_self and author in _UNKNOWN_AUTHORS:
        raise AuthorizationError(
            f"run {run_id} does not record who created it, so four eyes cannot be checked; not promoted "
            "(rerun it with riskkit run, or set allow_self_promotion: true in the experiment file of a one-person store)"
        )
    if not allow_self and author == promoter:
        raise AuthorizationError(
            f"user {promoter!r} created run {run_id} and cannot promote it (four eyes): a validator must run "
            "`riskkit promote`; a one-person store may set allow_self_promotion: true in the experiment file"
        )
    if run.info.status != "FINISHED":
        raise ConfigError(f"run {run_id} ended {run.info.status}; only a FINISHED run can be promoted")
    results = check_gates(run.data.metrics, gates)
    failed = [r for r in results if not r.passed]
    if failed:
        detail = "; ".join(f"{r.gate} (got {r.value:.6g})" for r in failed)
        raise ConfigError(f"run {run_id} fails gate(s): {detail}; not promoted")
    name = model_name or registered or experiment_name
    try:
        version = register_run_model(run_id, name)
        if version is None:
            raise ConfigError(f"run {run_id} logged no model, so alias {alias!r} cannot point at it; "
                              "promote a run of a notebook that logs a model")
        previous = None
        try:
            previous = str(client.get_model_version_by_alias(name, alias).version)
        except Exception:  # noqa: BLE001 (no holder yet)
            previous = None
        if previous is not None and previous != version:
            client.set_registered_model_alias(name, f"previous-{alias}", previous)
        client.set_registered_model_alias(name, alias, version)
        at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        _record_promotion(client, name, version, {
            "alias": alias, "by": promoter, "at": at, "reason": reason, "run_id": run_id, "run_author": author,
            "previous_version": previous, "self_promotion": author == promoter,
            "gates": [{"gate": r.gate, "value": r.value, "passed": r.passed} for r in results],
        })
    except RiskkitError:
        raise
    except Exception as exc:  # noqa: BLE001 (401/403 from the server become one line)
        raise tracking.store_error(exc, who=f"user {promoter!r}") from None
    return PromotionResult(name, version, alias, previous, results, promoter, at, reason, author)


def _record_promotion(client: Any, name: str, version: str, event: dict[str, Any]) -> None:
    """One tag per promotion event (``riskkit.promotion.<UTC time>``, JSON), the latest event as
    plain tags, and a line in the version's description."""
    stamp = event["at"].replace("-", "").replace(":", "")
    gates = "; ".join(f"{g['gate']} = {g['value']:.6g} PASS" for g in event["gates"]) or "no gates"
    tags = {
        f"{PROMOTION_TAG_PREFIX}{stamp}.{_tag_safe(event['alias'])}": json.dumps(event, default=str)[:7900],
        "riskkit.promoted_by": event["by"],
        "riskkit.promoted_at": event["at"],
        "riskkit.promotion_alias": event["alias"],
        "riskkit.promotion_reason": event["reason"][:5000],
        "riskkit.promotion_gates": gates[:5000],
        "riskkit.run_author": event["run_author"],
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    current = client.get_model_version(name, version).description or ""
    line = (f"Promoted to @{event['alias']} by {event['by']} at {event['at']} (run {event['run_id']} by "
            f"{event['run_author'] or 'unknown'}). Reason: {event['reason']}. Gates: {gates}.")
    client.update_model_version(name, version, description=(current + "\n\n" + line).strip()[:50000])


def _tag_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:100]


def promotions(model_name: str) -> pd.DataFrame:
    """The audit trail of a registered model: every promotion recorded by :func:`promote`.

    Parameters
    ----------
    model_name : str
        Registered model name.

    Returns
    -------
    pandas.DataFrame
        One row per promotion, oldest first: ``at``, ``alias``, ``version``, ``run_id``,
        ``promoted_by``, ``run_author``, ``reason``, ``gates``, ``previous_version``.

    Raises
    ------
    TrackingError
        Unknown model, or the server refuses (401/403).
    """
    if not isinstance(model_name, str) or not model_name.strip():
        raise ParameterError(f"model name must be a non-empty string (got {model_name!r})")
    tracking.check_reachable()
    client = tracking.client()
    try:
        client.get_registered_model(model_name)
    except Exception as exc:  # noqa: BLE001
        if "RESOURCE_DOES_NOT_EXIST" in str(exc):
            raise TrackingError(f"unknown registered model {model_name!r} in {tracking.tracking_uri()}; "
                                "promote a run first (riskkit promote RUN --reason ...)") from None
        if _hidden_or_missing(client, model_name, exc):
            # the team server (workspaces on) answers 403, not 404, for a model that does not exist
            raise TrackingError(f"unknown registered model {model_name!r} in {tracking.tracking_uri()} "
                                "(or one you may not read); check the name, or promote a run first "
                                "(riskkit promote RUN --reason ...)") from None
        raise tracking.store_error(exc) from None
    rows = []
    for version in client.search_model_versions(f"name='{model_name}'"):
        for key, value in (version.tags or {}).items():
            if not key.startswith(PROMOTION_TAG_PREFIX):
                continue
            try:
                event = json.loads(value)
            except ValueError:
                continue
            rows.append({
                "at": event.get("at", ""), "alias": event.get("alias", ""), "version": str(version.version),
                "run_id": event.get("run_id", ""), "promoted_by": event.get("by", ""),
                "run_author": event.get("run_author", ""), "reason": event.get("reason", ""),
                "gates": "; ".join(f"{g['gate']} = {g['value']:.6g}" for g in event.get("gates", [])),
                "previous_version": event.get("previous_version") or "",
            })
    columns = ["at", "alias", "version", "run_id", "promoted_by", "run_author", "reason", "gates", "previous_version"]
    return pd.DataFrame(rows, columns=columns).sort_values("at", kind="stable").reset_index(drop=True)
