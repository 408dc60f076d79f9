"""The only module that talks to MLflow.

It resolves where runs go, prepares the store before parallel work, creates experiments without
races, and offers the few helpers notebooks need.

Where runs go (see ``design.md``):

* ``MLFLOW_TRACKING_URI`` when set;
* otherwise the embedded store ``sqlite:///<repo root>/mlflow.db`` with artifacts under
  ``<repo root>/mlartifacts``. Paths are absolute, so a notebook kernel's working directory never
  changes where runs land.

Inside a notebook run by ``riskkit run`` the kernel's environment carries ``MLFLOW_TRACKING_URI``
and ``MLFLOW_RUN_ID``: the helpers below log into the runner's run. In an interactive session with
no run id they start a run in the experiment ``riskkit-interactive``.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import logging
import math
import os
import subprocess
import tempfile
import urllib.error
import warnings
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from riskkit.exceptions import TrackingError

if TYPE_CHECKING:  # pragma: no cover
    import mlflow.entities
    from matplotlib.figure import Figure
    from mlflow.tracking import MlflowClient

__all__ = [
    "INTERACTIVE_EXPERIMENT",
    "artifact_root",
    "bound_http_requests",
    "check_experiment_name",
    "check_reachable",
    "check_writable",
    "client",
    "current_run_id",
    "ensure_experiment",
    "environment",
    "git_state",
    "init_store",
    "latest_run",
    "log_artifact",
    "log_dataset_digest",
    "log_dict",
    "log_figure",
    "log_metrics",
    "log_params",
    "log_run_params",
    "log_table",
    "log_text",
    "project_root",
    "quiet",
    "repo_root",
    "set_tags",
    "store_error",
    "tracking_uri",
    "tracking_user",
]

logger = logging.getLogger(__name__)

INTERACTIVE_EXPERIMENT = "riskkit-interactive"
_HTTP_TIMEOUT_S = 5.0
_API_TIMEOUT_S = 10.0


# --------------------------------------------------------------------------- where runs go
def project_root() -> Path:
    """The checkout holding riskkit's code, notebooks and data: the folder with ``pyproject.toml``
    above this package, else the current directory. Notebooks run with it as working directory."""
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").is_file():
        return here
    return Path.cwd().resolve()


def repo_root() -> Path:
    """Where runs go (``mlflow.db``, ``mlartifacts/``, ``runs/``): ``RISKKIT_HOME`` when set,
    else :func:`project_root`."""
    env = os.environ.get("RISKKIT_HOME")
    if env:
        return Path(env).resolve()
    return project_root()


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` when set, else the embedded SQLite store under the repo root.

    A relative SQLite URI (``sqlite:///rel.db``) is resolved against the current directory, so
    the runner hands kernels (whose working directory differs) an absolute one.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if uri:
        return _absolute_sqlite(uri)
    return f"sqlite:///{repo_root() / 'mlflow.db'}"


def _absolute_sqlite(uri: str) -> str:
    if not uri.startswith("sqlite:///"):
        return uri
    path, sep, query = uri.removeprefix("sqlite:///").partition("?")
    if not path or path == ":memory:" or Path(path).is_absolute():
        return uri
    return f"sqlite:///{(Path.cwd() / path).resolve()}{sep}{query}"


def artifact_root() -> Path:
    """Folder holding the artifacts of the embedded store (``<repo>/mlartifacts``)."""
    return repo_root() / "mlartifacts"


def _is_local_sqlite(uri: str) -> bool:
    return uri.startswith("sqlite:///")


def _is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def check_reachable(uri: str | None = None, timeout: float = _HTTP_TIMEOUT_S, api_timeout: float = _API_TIMEOUT_S) -> None:
    """Raise :class:`TrackingError` within ``timeout`` seconds when an HTTP server does not answer:
    neither ``/health`` nor one real API call (``/health`` may answer while the API hangs).

    Local stores (SQLite, file) are always reachable.

    Parameters
    ----------
    uri : str, optional
        Tracking URI (default :func:`tracking_uri`).
    timeout : float, optional
        Seconds to wait for ``/health``.
    api_timeout : float, optional
        Seconds to wait for the API call once ``/health`` answered.

    Raises
    ------
    TrackingError
        When the server does not answer 200 within ``timeout``, or its API not within ``api_timeout``.
    """
    uri = uri or tracking_uri()
    if not _is_http(uri):
        return
    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http only)
            if response.status != 200:
                raise TrackingError(
                    f"tracking server answered {response.status} on {url} "
                    f"(MLFLOW_TRACKING_URI={uri!r}); check the server's log"
                )
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TrackingError(
            f"tracking server is unreachable (MLFLOW_TRACKING_URI={uri!r}: {exc}); "
            "start it (make server) or unset MLFLOW_TRACKING_URI to use the embedded store"
        ) from None
    _probe_api(uri, api_timeout)


def check_experiment_name(name: object) -> str:
    """Return ``name`` stripped, or raise :class:`TrackingError` when it is not a safe experiment name.

    Experiment names become folder names (``runs/<name>/``, ``mlartifacts/<name>/``), so ``.``,
    ``..``, absolute paths and names holding a path separator or a NUL are refused.

    Parameters
    ----------
    name : str
        The MLflow experiment name.

    Returns
    -------
    str
        The name without surrounding whitespace.

    Raises
    ------
    TrackingError
        When the name is empty, not a string, or not a safe path segment.
    """
    if not isinstance(name, str) or not name.strip():
        raise TrackingError(f"experiment name must be a non-empty string (got {name!r})")
    clean = name.strip()
    if clean in {".", ".."} or any(c in clean for c in ("/", "\\", "\0")) or Path(clean).is_absolute():
        raise TrackingError(
            f"experiment name {name!r} is not a safe name: it must not be '.' or '..' nor hold '/', "
            "'\\' or NUL (it names folders under runs/ and mlartifacts/); use e.g. 'credit-scorecard'"
        )
    return clean


def bound_http_requests(timeout: float = 10.0, retries: int = 2) -> None:
    """Bound MLflow's HTTP calls in this process (and the processes it starts).

    MLflow waits 120 s per request and retries 7 times by default, so a server whose API hangs
    blocks for minutes. Values the operator set (``MLFLOW_HTTP_REQUEST_TIMEOUT``,
    ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``) are kept.

    Parameters
    ----------
    timeout : float
        Seconds per request.
    retries : int
        Retries after the first attempt.
    """
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(int(timeout)))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(int(retries)))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")


def _probe_api(uri: str, timeout: float) -> None:
    """One real API call with a hard timeout: ``/health`` may answer while the API hangs."""
    url = uri.rstrip("/") + "/api/2.0/mlflow/experiments/search?max_results=1"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http only)
            response.read(1)
    except urllib.error.HTTPError:
        return  # the API answered (an error status still means it is alive; mlflow reports it properly)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TrackingError(
            f"tracking server API does not answer within {timeout:g} s (MLFLOW_TRACKING_URI={uri!r}: "
            f"{getattr(exc, 'reason', exc)}); /health may answer while the API hangs: check the server's log"
        ) from None


def check_writable(uri: str | None = None) -> None:
    """Raise :class:`TrackingError` at once when a local store cannot be written.

    Checks the folder (create and delete a file: ``os.access`` alone says yes to root even on an
    immutable folder), the artifact folder beside the store, and the SQLite file itself (open it
    and take the write lock). HTTP stores are checked by :func:`check_reachable`.

    Parameters
    ----------
    uri : str, optional
        Tracking URI; the resolved one by default.

    Raises
    ------
    TrackingError
        Naming the path that is not writable.
    """
    uri = uri or tracking_uri()
    if not _is_local_sqlite(uri):
        return
    db = Path(uri.removeprefix("sqlite:///").partition("?")[0])
    folder = db.parent
    hint = "make it writable or point MLFLOW_TRACKING_URI at a writable store"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".riskkit-write-check-", delete=True):
            pass
    except OSError as exc:
        raise TrackingError(f"tracking store folder {str(folder)!r} is not writable ({exc.strerror}); {hint}") from None
    artifacts = folder / "mlartifacts"
    if artifacts.exists() and not (os.access(artifacts, os.W_OK) and _can_create_in(artifacts)):
        raise TrackingError(f"artifact folder {str(artifacts)!r} is not writable; {hint}")
    if db.exists():
        import sqlite3  # lazy: only local stores need it

        try:
            with open(db, "r+b"):
                pass
            connection = sqlite3.connect(str(db), timeout=5)
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.rollback()
            finally:
                connection.close()
        except (OSError, sqlite3.Error) as exc:
            raise TrackingError(f"tracking store {str(db)!r} is not writable ({exc}); {hint}") from None


def _can_create_in(folder: Path) -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".riskkit-write-check-", delete=True):
            return True
    except OSError:
        return False


def tracking_user() -> str:
    """Who is acting on the store: ``MLFLOW_TRACKING_USERNAME`` (the user an authenticated server
    knows), else the login name (``$USER``)."""
    name = os.environ.get("MLFLOW_TRACKING_USERNAME", "").strip()
    if name:
        return name
    try:
        return os.environ.get("USER", "").strip() or getpass.getuser()
    except Exception:  # noqa: BLE001 (no login name in some containers)
        return "unknown"


def store_error(exc: BaseException, uri: str | None = None, who: str | None = None,
                hint: str | None = None) -> TrackingError:
    """One line for an MLflow failure: a 401 names the credentials, a 403 the missing permission.

    Parameters
    ----------
    exc : BaseException
        What MLflow raised (``MlflowException`` / ``RestException`` carry the HTTP status).
    uri : str, optional
        The tracking URI (default: the resolved one).
    who : str, optional
        The user, for the message (default :func:`tracking_user`).
    hint : str, optional
        What to check after a 401 (default: the ``MLFLOW_TRACKING_*`` variables).

    Returns
    -------
    TrackingError
        To raise ``from None`` (no traceback reaches the command line).
    """
    uri = uri or tracking_uri()
    who = who or f"user {tracking_user()!r}"
    getter = getattr(exc, "get_http_status_code", None)
    status = getter() if callable(getter) else None
    code = str(getattr(exc, "error_code", ""))
    if status == 401 or code == "UNAUTHENTICATED":
        return TrackingError(
            f"401 unauthenticated: the tracking server {uri} refused the credentials of {who}; "
            + (hint or "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD in the environment to a valid user")
        )
    if status == 403 or code == "PERMISSION_DENIED":
        return TrackingError(
            f"403 permission denied: {who} may not do this on the tracking server {uri}; "
            "ask the server's admin for the permission (riskkit team apply)"
        )
    first = " ".join(str(exc).split())[:300]
    return TrackingError(f"cannot use the tracking store (MLFLOW_TRACKING_URI={uri!r}: {type(exc).__name__}: "
                         f"{first}); check the URI and that the store is writable")


@contextlib.contextmanager
def _file_lock(name: str) -> Iterator[None]:
    """An exclusive inter-process lock on a file under the system temp folder."""
    digest = hashlib.sha1(name.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"riskkit-{digest}.lock"
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def client(uri: str | None = None) -> MlflowClient:
    """An ``MlflowClient`` on the resolved tracking URI.

    Parameters
    ----------
    uri : str, optional
        Tracking URI (default :func:`tracking_uri`).

    Returns
    -------
    mlflow.tracking.MlflowClient
    """
    _import_mlflow()
    from mlflow.tracking import MlflowClient  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    return MlflowClient(tracking_uri=uri or tracking_uri())


def init_store(uri: str | None = None) -> str:
    """Create or migrate the store once, under a lock, before any parallel work.

    Several processes creating a fresh SQLite store at once all fail on schema migration
    (MLflow 3.x); calling this first makes later clients find a ready schema. Returns the URI.

    Parameters
    ----------
    uri : str, optional
        Tracking URI (default :func:`tracking_uri`); a relative SQLite path is made absolute.

    Returns
    -------
    str
        The absolute URI.

    Raises
    ------
    TrackingError
        When an HTTP server is unreachable or a local store cannot be written.
    """
    uri = _absolute_sqlite(uri or tracking_uri())
    check_reachable(uri)
    check_writable(uri)
    # the lock only guards a local schema migration; it is never held across a network wait
    lock = _file_lock(f"init:{uri}") if not _is_http(uri) else contextlib.nullcontext()
    with lock:
        try:
            client(uri).search_experiments(max_results=1)
        except Exception as exc:  # mlflow raises many kinds here; a 401 names the credentials
            raise store_error(exc, uri) from None
    return uri


def ensure_experiment(name: str, uri: str | None = None) -> str:
    """Return the id of experiment ``name``, creating it (by id, under a lock) when missing.

    Two processes calling ``mlflow.set_experiment`` on a new name at once can send a run to
    "Default"; creating the experiment here, once, and passing its id avoids that.

    Parameters
    ----------
    name : str
        Experiment name (see :func:`check_experiment_name`).
    uri : str, optional
        Tracking URI (default :func:`tracking_uri`).

    Returns
    -------
    str
        The experiment id.

    Raises
    ------
    TrackingError
        When the name is unsafe or the store refuses the request.
    """
    name = check_experiment_name(name)
    uri = _absolute_sqlite(uri or tracking_uri())
    mlflow_client = client(uri)
    # a server creates experiments atomically (a race is handled below): no lock across the network
    lock = _file_lock(f"experiment:{uri}:{name}") if not _is_http(uri) else contextlib.nullcontext()
    with lock:
        existing = mlflow_client.get_experiment_by_name(name)
        if existing is not None:
            if existing.lifecycle_stage == "deleted":
                mlflow_client.restore_experiment(existing.experiment_id)
            return str(existing.experiment_id)
        location = None
        if _is_local_sqlite(uri):
            # beside the store, one folder per experiment: <store folder>/mlartifacts/<experiment>/;
            # for the embedded store that is artifact_root()
            base = Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts"
            slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.strip())
            location = (base / slug).as_uri()
        try:
            return str(mlflow_client.create_experiment(name, artifact_location=location))
        except Exception:
            # Another client (outside this lock, e.g. another machine) created it first.
            again = mlflow_client.get_experiment_by_name(name)
            if again is None:
                raise
            return str(again.experiment_id)


def git_state(path: Path | None = None) -> dict[str, str]:
    """The git commit of the repository and whether its tree is dirty ('true'/'false').

    Parameters
    ----------
    path : Path, optional
        Folder inside the repository (default :func:`project_root`).

    Returns
    -------
    dict of str to str
        ``commit`` and ``dirty``; both ``"unknown"`` when git cannot run.
    """
    root = path or project_root()

    def _git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
        return out.stdout.strip() if out.returncode == 0 else ""

    try:
        commit = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": "unknown"}
    return {"commit": commit or "unknown", "dirty": "true" if dirty else "false"}


def latest_run(experiment_name: str, *, status: str = "FINISHED") -> mlflow.entities.Run | None:
    """The latest run of an experiment with the given status, or ``None`` when there is none.

    Parameters
    ----------
    experiment_name : str
        MLflow experiment name.
    status : str, default "FINISHED"
        Run status to look for (``RUNNING``, ``FAILED``, ``KILLED``, ...).

    Returns
    -------
    mlflow.entities.Run or None
    """
    mlflow_client = client()
    experiment = mlflow_client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return None
    runs = mlflow_client.search_runs(
        [experiment.experiment_id],
        filter_string=f"attributes.status = '{status}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return runs[0] if runs else None


def _import_mlflow() -> Any:
    """``import mlflow`` without tqdm's "IProgress not found" warning (MLflow imports
    ``tqdm.auto``, which warns in a kernel without ipywidgets; riskkit draws no bar through it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"IProgress not found")
        import mlflow  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used
    return mlflow


# --------------------------------------------------------------------------- quiet logging
@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence MLflow's chatter while riskkit logs on a user's behalf, so executed notebooks stay
    clean: the integer-column schema hint (riskkit's signatures declare their types on purpose),
    tqdm's "IProgress not found" warning when MLflow imports ``tqdm.auto`` without ipywidgets,
    MLflow's INFO lines ("Validating input example ...") and its artifact progress bars.
    Warnings and log records of other origins pass through."""
    mlflow_logger = logging.getLogger("mlflow")
    level = mlflow_logger.level
    with warnings.catch_warnings(), environment({"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}):
        warnings.filterwarnings("ignore", message=r"Hint: Inferred schema contains integer column", category=UserWarning)
        warnings.filterwarnings("ignore", message=r"IProgress not found")
        mlflow_logger.setLevel(max(level, logging.WARNING))
        try:
            yield
        finally:
            mlflow_logger.setLevel(level)


@contextlib.contextmanager
def environment(values: Mapping[str, str] | None) -> Iterator[None]:
    """Set environment variables inside a block; on exit restore them, or remove those that were unset.

    Parameters
    ----------
    values : mapping of str to str, or None
        The variables to set (None or empty: nothing changes).

    Yields
    ------
    None

    Examples
    --------
    >>> import os
    >>> with environment({"RISKKIT_EXAMPLE_VAR": "1"}):
    ...     os.environ["RISKKIT_EXAMPLE_VAR"]
    '1'
    >>> "RISKKIT_EXAMPLE_VAR" in os.environ
    False
    """
    saved = {name: os.environ.get(name) for name in (values or {})}
    os.environ.update(values or {})
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


# --------------------------------------------------------------------------- notebook helpers
def _active_run() -> mlflow.ActiveRun:
    """The run to log into: the active one, the runner's (``MLFLOW_RUN_ID``), or a new one."""
    mlflow = _import_mlflow()

    run = mlflow.active_run()
    if run is not None:
        return run
    mlflow.set_tracking_uri(tracking_uri())
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if run_id:
        # an experiment chosen earlier in this session (mlflow.set_experiment) must not refuse the
        # runner's run: resume it in its own experiment
        experiment_id = mlflow.MlflowClient(tracking_uri()).get_run(run_id).info.experiment_id
        mlflow.set_experiment(experiment_id=experiment_id)
        return mlflow.start_run(run_id=run_id)
    init_store()
    experiment_id = ensure_experiment(INTERACTIVE_EXPERIMENT)
    return mlflow.start_run(experiment_id=experiment_id)


def current_run_id() -> str:
    """The id of the run the helpers log into (starting or resuming it)."""
    return str(_active_run().info.run_id)


def _param_value(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)[:6000]
    return str(value)[:6000]


def _existing_typed_params(mlflow_client: MlflowClient, run_id: str) -> dict[str, Any]:
    if "params.json" not in {a.path for a in mlflow_client.list_artifacts(run_id)}:
        return {}
    with tempfile.TemporaryDirectory() as tmp, quiet():
        path = mlflow_client.download_artifacts(run_id, "params.json", tmp)
        loaded: dict[str, Any] = json.loads(Path(path).read_text())
    return loaded


def log_run_params(run_id: str, params: Mapping[str, Any], uri: str | None = None) -> None:
    """Log a run's parameters as strings, and their values and Python types in ``params.json``
    (name -> {value, type}), merged with what the run already recorded there.

    Parameters
    ----------
    run_id : str
        The run.
    params : mapping of str to object
        Parameter names and values (long values are cut to 6,000 characters).
    uri : str, optional
        Tracking URI (default :func:`tracking_uri`).
    """
    _import_mlflow()
    from mlflow.entities import Param  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    mlflow_client = client(uri)
    if params:
        mlflow_client.log_batch(run_id, params=[Param(k, _param_value(v)) for k, v in params.items()])
    typed = _existing_typed_params(mlflow_client, run_id)
    typed.update(json.loads(json.dumps({k: {"value": v, "type": type(v).__name__} for k, v in params.items()},
                                       default=str)))
    mlflow_client.log_dict(run_id, typed, "params.json")


def log_params(params: Mapping[str, Any]) -> None:
    """Log parameters into the current run (see :func:`log_run_params`).

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    params : mapping of str to object
        Parameter names and values.
    """
    log_run_params(current_run_id(), params)


def log_metrics(metrics: Mapping[str, Any], step: int | None = None) -> None:
    """Log numeric metrics; ``None`` and NaN values are skipped (MLflow cannot compare them).

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    metrics : mapping of str to float
        Metric names (the same across runs: ``auc_test``, ``kupiec_pvalue``, ...) and values.
    step : int, optional
        Step of a metric series.

    Raises
    ------
    TypeError, ValueError
        When a value is not a number.
    """

    mlflow = _import_mlflow()

    _active_run()
    clean: dict[str, float] = {}
    for key, value in metrics.items():
        if value is None:
            continue
        number = float(value)
        if math.isnan(number):
            continue
        clean[key] = number
    if clean:
        mlflow.log_metrics(clean, step=step)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set run tags (values converted to strings).

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    tags : mapping of str to object
        Tag names and values.
    """
    mlflow = _import_mlflow()

    _active_run()
    mlflow.set_tags({k: str(v) for k, v in tags.items()})


def log_figure(fig: Figure, artifact_file: str, *, close: bool = True) -> None:
    """Log a matplotlib figure as an image artifact (and close it unless ``close=False``).

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    artifact_file : str
        Path of the artifact inside the run (e.g. ``"figures/roc.png"``).
    close : bool, default True
        Close the figure after logging.
    """
    mlflow = _import_mlflow()

    _active_run()
    mlflow.log_figure(fig, artifact_file)
    if close:
        import matplotlib.pyplot as plt  # lazy: pyplot is needed only to close a figure after logging it

        plt.close(fig)


def log_table(frame: pd.DataFrame, artifact_file: str, *, index: bool | None = None) -> None:
    """Log a DataFrame as CSV, with an HTML rendering beside it for the MLflow UI.

    The index is written unless it is a plain 0..n-1 range (``index=None``, the default).

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    frame : pd.DataFrame
        The table.
    artifact_file : str
        Artifact path; ``.csv`` and ``.html`` files are written with its stem.
    index : bool, optional
        Whether to write the index (default: unless it is a plain range).
    """
    mlflow = _import_mlflow()

    _active_run()
    if index is None:
        index = not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
    stem = artifact_file.rsplit(".", 1)[0] if artifact_file.endswith(".csv") else artifact_file
    mlflow.log_text(frame.to_csv(index=index), f"{stem}.csv")
    mlflow.log_text(frame.to_html(index=index, border=0, float_format=lambda x: f"{x:.6g}"), f"{stem}.html")


def log_dict(obj: Any, artifact_file: str) -> None:
    """Log a dict or list as a JSON (or YAML, by extension) artifact.

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    obj : dict or list
        JSON-serialisable content.
    artifact_file : str
        Path of the artifact inside the run (e.g. ``"figures/roc.png"``).
    """
    mlflow = _import_mlflow()

    _active_run()
    mlflow.log_dict(obj, artifact_file)


def log_text(text: Any, artifact_file: str) -> None:
    """Log a text artifact.

    ``text`` may also be a riskkit result (logged as ``str(result)``: its headline and summary)
    or a DataFrame such as ``result.summary()`` (logged in full with ``to_string()``).

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    text : str, riskkit result or pd.DataFrame
        The content.
    artifact_file : str
        Path of the artifact inside the run (e.g. ``"figures/roc.png"``).
    """
    mlflow = _import_mlflow()

    _active_run()
    if isinstance(text, pd.DataFrame):
        text = text.to_string()
    mlflow.log_text(text if isinstance(text, str) else str(text), artifact_file)


def log_artifact(local_path: str | Path, artifact_path: str | None = None) -> None:
    """Log a local file (or folder) as an artifact.

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    local_path : str or Path
        File or folder to upload.
    artifact_path : str, optional
        Folder inside the run's artifacts (default: the root).
    """
    mlflow = _import_mlflow()

    _active_run()
    path = Path(local_path)
    if path.is_dir():
        mlflow.log_artifacts(str(path), artifact_path)
    else:
        mlflow.log_artifact(str(path), artifact_path)


def log_dataset_digest(frame: pd.DataFrame, name: str, *, context: str = "training", source: str | None = None) -> str:
    """Record the data a run used: ``mlflow.log_input`` with a pandas dataset and a
    ``data_digest`` tag (so reviewers see at a glance whether two runs saw the same data).
    Returns the digest.

    The helper logs into the active run, the runner's run (``MLFLOW_RUN_ID``) or, outside the
    runner, a new run of the interactive experiment.

    Parameters
    ----------
    frame : pd.DataFrame
        The data set (index included in the digest).
    name : str
        Data set name shown in MLflow.
    context : str, default "training"
        MLflow input context (``training``, ``test``, ...).
    source : str, optional
        Where the data came from (a path or URL).

    Returns
    -------
    str
        The first 16 hex digits of the SHA-256 of the rows.
    """
    mlflow = _import_mlflow()
    # mlflow.data.from_pandas is attached at import time by setattr; this is the same function
    from mlflow.data.pandas_dataset import from_pandas  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    _active_run()
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).hexdigest()[:16]
    with quiet():
        # mlflow annotates source as str | DatasetSource but defaults it to None and handles None
        dataset = from_pandas(frame, name=name, digest=digest, source=source)  # type: ignore[arg-type]
        mlflow.log_input(dataset, context=context)
    mlflow.set_tags({"data_digest": digest, "data_name": name})
    return digest
