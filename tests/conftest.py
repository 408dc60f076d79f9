"""Shared fixtures: an isolated MLflow store and repo home for tests that run notebooks."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Files that tooling (not tests) may leave in the checkout.
_TOOLING = (".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", "riskkit.egg-info", "__pycache__",
            ".ipynb_checkpoints")


def _checkout_files() -> set[str]:
    """Untracked and ignored paths in the checkout, minus tooling caches."""
    proc = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return set()
    paths = {line[3:].strip() for line in proc.stdout.splitlines() if line[:2] in ("??", "!!")}
    return {p for p in paths if not any(part in _TOOLING for part in Path(p).parts)}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config._riskkit_checkout_before = _checkout_files()  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No test writes into the checkout: anything new there after the run fails the session."""
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller checks
        return
    before = getattr(session.config, "_riskkit_checkout_before", None)
    if before is None:
        return
    new = sorted(_checkout_files() - before)
    if new:
        print(f"\nERROR: tests wrote into the checkout: {new[:20]}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Modules whose tests share one heavy module fixture run on one xdist worker (``xdist_group``);
# they start first, longest first, so the lighter tests fill the other workers meanwhile instead
# of a long group starting last and running alone at the end.
_HEAVY_GROUPS = ("notebooks", "governance", "spark", "reviewer_view")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> tuple[int, int]:
        mark = item.get_closest_marker("xdist_group")
        if mark is not None:
            name = str(mark.args[0] if mark.args else mark.kwargs.get("name", ""))
            return 0, _HEAVY_GROUPS.index(name) if name in _HEAVY_GROUPS else len(_HEAVY_GROUPS)
        return (1, 0) if item.get_closest_marker("slow") is not None else (2, 0)

    items.sort(key=rank)  # stable: the order within a module is kept


@pytest.fixture(scope="session")
def _empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store, created once per test process: MLflow builds its schema (about 0.7
    CPU-s) when the first process opens a new file; each ``store`` starts from a copy instead."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("empty-store") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()  # the schema and the Default experiment
    return path


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _empty_store: Path) -> Iterator[dict[str, str]]:
    """A fresh SQLite store and a RISKKIT_HOME of its own (runs/ lands there, not in the repo).

    The store is a copy of an empty one, its Default experiment's artifacts under this test's
    folder, as if MLflow had created it here.
    """
    import shutil
    import sqlite3

    home = tmp_path / "home"
    home.mkdir()
    db = tmp_path / "mlflow.db"
    shutil.copyfile(_empty_store, db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                     (str(tmp_path / "mlruns" / "0"),))
    uri = f"sqlite:///{db}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("RISKKIT_HOME", str(home))
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    # MLflow puts the artifacts of experiments it creates itself under ./mlruns: never the checkout
    monkeypatch.chdir(tmp_path)
    _reset_mlflow_globals()
    yield {"uri": uri, "home": str(home), "tmp": str(tmp_path)}
    _reset_mlflow_globals()


def _reset_mlflow_globals() -> None:
    """Forget the active run and experiment an earlier test in this process left in MLflow's
    fluent API (``mlflow.set_experiment``), so each test starts as a fresh process would."""
    import mlflow
    from mlflow.tracking import fluent

    while mlflow.active_run() is not None:
        mlflow.end_run()
    fluent._active_experiment_id = None


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``riskkit`` in a subprocess, as a user or cron would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "riskkit.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )


def cli_inproc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``riskkit.cli.main(args)`` in this process, as :func:`run_cli` would report it.

    For the review commands (runs, compare, promote, promotions, report) in tests that call them
    many times: a subprocess spends about 2.8 CPU-s starting Python and importing MLflow per call.
    Each of these commands also runs as a real subprocess somewhere in the suite, where exit code
    and a one-line stderr are what a user sees. ``riskkit run`` always runs as a subprocess.
    Environment overrides apply for the call only, and MLflow's process-wide tracking and registry
    URIs are cleared before and after, so the command resolves its store as a fresh process would.
    """
    import io

    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    from riskkit.app import tracking
    from riskkit.cli import main

    assert args and args[0] != "run", "riskkit run owns signals, locks and workers: use run_cli"
    out, err = io.StringIO(), io.StringIO()
    with tracking.environment(env):
        tracking_utils._tracking_uri = registry_utils._registry_uri = None
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exc:  # argparse's usage errors
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            tracking_utils._tracking_uri = registry_utils._registry_uri = None
    return subprocess.CompletedProcess(["riskkit", *args], code, out.getvalue(), err.getvalue())


def write_experiment(path: Path, **doc: object) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# ``RISKKIT_TEST_CPU=FILE``: append each test's CPU seconds (its own process and every child process
# it waited for: runners, kernels, servers), its xdist worker and its wall start and end to FILE, to
# find where the suite's CPU goes and which worker sits idle at the end.
_CPU_LOG = os.path.abspath(os.environ["RISKKIT_TEST_CPU"]) if os.environ.get("RISKKIT_TEST_CPU") else None


def _cpu_seconds() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if _CPU_LOG:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        import time

        before, start = _cpu_seconds(), time.time()
        yield
        with open(_CPU_LOG, "a") as log:  # CPU s, test, then worker, wall start and end (epoch s)
            log.write(f"{_cpu_seconds() - before:.2f}\t{item.nodeid}\t{os.environ.get('PYTEST_XDIST_WORKER', '-')}"
                      f"\t{start:.1f}\t{time.time():.1f}\n")
