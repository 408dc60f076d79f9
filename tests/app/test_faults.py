"""Fault injection for unattended runs (issue 10): real signals to real process groups, timeouts,
cancel, big grids, broken stores and servers, early exits.

Each test starts ``python -m riskkit.cli run ...`` as an operator's scheduler would (its own session,
so ``os.killpg`` reaches the runner and its workers but not pytest), waits until the run is RUNNING
in the store and the kernel is executing, then injects the fault.

Read-only stores: the tests run as root, and root ignores file permissions (``os.access`` says
yes, writes succeed). ``chattr +i`` (immutable) binds root too, so the read-only cases make the
store folder and file immutable; they are skipped where ``chattr`` is not available or not
permitted (e.g. a filesystem without attributes).
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from riskkit.app.pipeline import RunStopped, load_experiment
from riskkit.app.pipeline._lifecycle import RunLocks
from riskkit.app.pipeline._liveness import OWNER_GONE, owner_tags, reap_ghost_runs
from riskkit.exceptions import ConfigError
from tests.conftest import REPO, run_cli, write_experiment

STUCK = str(REPO / "tests" / "notebooks" / "stuck.ipynb")
EARLY = str(REPO / "tests" / "notebooks" / "early_exit.ipynb")
PROBE = str(REPO / "tests" / "notebooks" / "probe.ipynb")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


# --------------------------------------------------------------------------- helpers
class Runner:
    """A ``riskkit run`` in its own session (process group), as cron or systemd starts it."""

    def __init__(self, args: list[str], tmp: Path, env: dict[str, str] | None = None, cwd: Path = REPO) -> None:
        self.out = tmp / "runner.out"
        self.err = tmp / "runner.err"
        self.marks = tmp / "marks"
        self.marks.mkdir(exist_ok=True)
        full_env = {**os.environ, "RISKKIT_TEST_OUT": str(self.marks), **(env or {})}
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "riskkit.cli", "run", *args], stdout=out,
                                         stderr=err, env=full_env, cwd=cwd, start_new_session=True)

    def wait_executing(self, uri: str, experiment: str, count: int = 1, limit: float = 150) -> list[str]:
        """Wait until ``count`` runs are RUNNING in the store and their kernels execute a cell."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"runner ended early ({self.proc.returncode}): {self.text()}"
            started = sorted(p.stem for p in self.marks.glob("*.started"))
            if len(started) >= count:
                running = {r.info.run_id for r in _runs(uri, experiment) if r.info.status == "RUNNING"}
                assert set(started) <= running, f"kernel executing but run not RUNNING: {started} {running}"
                return started
            time.sleep(0.3)
        raise AssertionError(f"no executing kernel after {limit} s: {self.text()}")

    def kernel_pids(self) -> list[int]:
        return [int(p.read_text()) for p in self.marks.glob("*.started")]

    def wait(self, limit: float = 120) -> int:
        return self.proc.wait(timeout=limit)

    def text(self) -> str:
        return self.out.read_text() + self.err.read_text()


def _runs(uri: str, experiment: str) -> list[Any]:
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    return [] if exp is None else client.search_runs([exp.experiment_id], max_results=100)


def _gone(pids: list[int], limit: float = 15) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                with open(f"/proc/{pid}/stat") as handle:  # a zombie is gone for our purpose
                    if handle.read().rsplit(")", 1)[-1].split()[0] != "Z":
                        alive.append(pid)
            except (ProcessLookupError, FileNotFoundError):
                pass
        if not alive:
            return True
        time.sleep(0.2)
    return False


def _group_members(pgid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,pgid="], capture_output=True, text=True, check=True).stdout
    return [int(a) for a, b in (line.split() for line in out.splitlines()) if int(b) == pgid]


def _notebook_attached(uri: str, run_id: str) -> bool:
    return any(a.path.endswith(".ipynb") for a in MlflowClient(uri).list_artifacts(run_id, "notebook"))


def _stuck(tmp: Path, name: str, **doc: Any) -> Path:
    return write_experiment(tmp / f"{name}.yaml", experiment=name, notebook=STUCK, **doc)


# --------------------------------------------------------------------------- 1. signals
@pytest.mark.parametrize(("sig", "code", "whole_group"), [(signal.SIGTERM, 143, True), (signal.SIGTERM, 143, False),
                                                       (signal.SIGHUP, 129, False)])
def test_sigterm_sighup_end_runs_killed(store: dict[str, str], tmp_path: Path, sig: int, code: int,
                                        whole_group: bool) -> None:
    exp = _stuck(tmp_path, f"sig-{sig}")
    runner = Runner([str(exp)], tmp_path)
    (run_id,) = runner.wait_executing(store["uri"], f"sig-{sig}")
    kernels = runner.kernel_pids()
    if whole_group:
        os.killpg(runner.proc.pid, sig)  # systemd stop, `timeout`: the whole group
    else:
        os.kill(runner.proc.pid, sig)  # the runner only: it forwards the stop to its workers
    assert runner.wait() == code, runner.text()
    (run,) = _runs(store["uri"], f"sig-{sig}")
    assert run.info.status == "KILLED"
    assert run.data.tags["riskkit.error"] == f"killed by {signal.Signals(sig).name}"
    assert run.data.tags["riskkit.failed_cell"] == "2"  # the sleep (no parameters: papermill injects no cell)
    assert _notebook_attached(store["uri"], run_id)
    assert "1 killed" in runner.text()
    assert _gone(kernels + _group_members(runner.proc.pid)), "a worker or kernel outlived the runner"


def test_sigkill_runner_only_leaves_no_orphans(store: dict[str, str], tmp_path: Path) -> None:
    exp = _stuck(tmp_path, "kill-runner")
    runner = Runner([str(exp)], tmp_path)
    runner.wait_executing(store["uri"], "kill-runner")
    kernels = runner.kernel_pids()
    os.kill(runner.proc.pid, signal.SIGKILL)
    runner.wait()
    # the worker sees its runner gone, kills the kernel and ends its run
    assert _gone(kernels + _group_members(runner.proc.pid), limit=40), "orphans left behind"
    (run,) = _runs(store["uri"], "kill-runner")
    assert run.info.status == "KILLED"
    assert run.data.tags["riskkit.error"] == "runner process gone"
    # every process of the run has exited, so the lock is free again: the same file runs at once
    quick = write_experiment(tmp_path / "kill-runner.yaml", experiment="kill-runner", notebook=STUCK,
                             parameters={"seconds": 0.0})
    again = run_cli("run", str(quick), "--wait", "--wait-timeout", "60")
    assert again.returncode == 0, again.stderr


def test_sigkill_group_ghost_is_repaired_by_next_look(store: dict[str, str], tmp_path: Path) -> None:
    exp = _stuck(tmp_path, "kill-group")
    runner = Runner([str(exp)], tmp_path)
    runner.wait_executing(store["uri"], "kill-group")
    kernels = runner.kernel_pids()
    os.killpg(runner.proc.pid, signal.SIGKILL)  # the OOM killer: nothing can clean up
    runner.wait()
    assert _gone(kernels, limit=20), "the kernel outlived its worker"
    (run,) = _runs(store["uri"], "kill-group")
    assert run.info.status == "RUNNING"  # nobody could end it ...
    assert run.data.tags["riskkit.owner_pid"]
    listed = run_cli("runs", "kill-group")
    assert listed.returncode == 0, listed.stderr
    assert OWNER_GONE in listed.stderr  # ... until the next look
    (run,) = _runs(store["uri"], "kill-group")
    assert run.info.status == "KILLED"
    assert run.data.tags["riskkit.error"].startswith(OWNER_GONE)


def test_reap_leaves_live_owners_alone(store: dict[str, str]) -> None:
    client = MlflowClient(store["uri"])
    exp_id = client.create_experiment("reap")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    ghost = client.create_run(exp_id, tags=owner_tags(dead.pid)).info.run_id
    live = client.create_run(exp_id, tags=owner_tags()).info.run_id
    foreign = client.create_run(exp_id, tags={**owner_tags(dead.pid), "riskkit.owner_host": "elsewhere"}).info.run_id
    reaped = reap_ghost_runs(store["uri"], [exp_id], stream=open(os.devnull, "w"))  # noqa: SIM115
    assert reaped == [ghost]
    assert client.get_run(ghost).info.status == "KILLED"
    assert client.get_run(live).info.status == "RUNNING"
    assert client.get_run(foreign).info.status == "RUNNING"  # another host's pid means nothing here


def test_lock_held_while_a_process_of_the_run_lives(tmp_path: Path) -> None:
    """A kernel (or worker) of a dead runner keeps the members lock: no second run meanwhile."""
    locks = RunLocks(tmp_path, "exp", "exp.yaml")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time\n"
        f"h = open({str(locks.members_path)!r}, 'a+'); fcntl.flock(h, fcntl.LOCK_SH)\n"
        "print('held', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match="processes of the previous run"):
            locks.acquire(False, None, open(os.devnull, "w"), ConfigError)  # noqa: SIM115
    finally:
        holder.kill()
        holder.wait()
    locks.acquire(False, None, open(os.devnull, "w"), ConfigError)  # noqa: SIM115
    locks.release()


# --------------------------------------------------------------------------- 2. timeouts
def test_timeout_stops_sleeping_and_c_bound_kernels(store: dict[str, str], tmp_path: Path) -> None:
    exp = _stuck(tmp_path, "timeouts", grid={"mode": ["sleep", "regex"]}, timeout=600)
    started = time.monotonic()
    result = run_cli("run", str(exp), "--timeout", "4", "--parallel", "2",
                     env={"RISKKIT_TEST_OUT": str(tmp_path)}, timeout=200)
    assert result.returncode == 1, result.stdout + result.stderr
    assert time.monotonic() - started < 190
    runs = _runs(store["uri"], "timeouts")
    assert sorted(r.info.status for r in runs) == ["FAILED", "FAILED"]
    for run in runs:
        assert run.data.tags["riskkit.error"] == "timed out after 4 s"
        assert _notebook_attached(store["uri"], run.info.run_id)
    kernels = [int(p.read_text()) for p in tmp_path.glob("*.started")]
    assert len(kernels) == 2 and _gone(kernels)


def test_timeout_key_in_experiment_file(tmp_path: Path) -> None:
    exp = load_experiment(_stuck(tmp_path, "t", timeout=30))
    assert exp.timeout == 30.0
    for bad in (0, -1, "10", True):
        with pytest.raises(ConfigError, match="key 'timeout' must be a positive number"):
            load_experiment(_stuck(tmp_path, "t", timeout=bad))
    listed = run_cli("run", str(_stuck(tmp_path, "t", timeout=30)), "--dry-run")
    assert "each bounded to 30 s" in listed.stdout


def test_wait_says_whom_and_gives_up(store: dict[str, str], tmp_path: Path) -> None:
    exp = _stuck(tmp_path, "queued", parameters={"seconds": 0.0})
    locks = RunLocks(Path(store["home"]) / "runs" / ".locks", "queued", "queued.yaml")
    locks.acquire(False, None, open(os.devnull, "w"), ConfigError)  # noqa: SIM115 (another run holds it)
    try:
        result = run_cli("run", str(exp), "--wait", "--wait-timeout", "2", timeout=60)
    finally:
        locks.release()
    assert result.returncode == 3, result.stderr
    assert f"waiting for pid {os.getpid()} since" in result.stdout
    assert "gave up waiting" in result.stderr and "--wait-timeout" in result.stderr


# --------------------------------------------------------------------------- 3. cancel
def test_ctrl_c_stops_the_whole_grid(store: dict[str, str], tmp_path: Path) -> None:
    exp = _stuck(tmp_path, "cancel", grid={"seconds": [300, 301, 302]})
    runner = Runner([str(exp)], tmp_path)
    runner.wait_executing(store["uri"], "cancel")
    os.killpg(runner.proc.pid, signal.SIGINT)  # Ctrl-C reaches the foreground group
    assert runner.wait() == 130, runner.text()
    runs = _runs(store["uri"], "cancel")
    assert [r.info.status for r in runs] == ["KILLED"], "a point not yet started must never start"
    text = runner.text()
    assert "0 finished, 0 failed, 1 killed, 2 not started" in text
    assert text.count("NOT STARTED") == 2


def test_second_ctrl_c_forces_immediate_stop(store: dict[str, str], tmp_path: Path) -> None:
    exp = _stuck(tmp_path, "force")
    runner = Runner([str(exp)], tmp_path)
    runner.wait_executing(store["uri"], "force")
    (kernel,) = runner.kernel_pids()
    with open(f"/proc/{kernel}/stat") as handle:
        worker = int(handle.read().rsplit(")", 1)[-1].split()[1])  # the kernel's parent
    os.kill(worker, signal.SIGSTOP)  # a worker too busy to end its run: only a forced stop ends it
    os.kill(runner.proc.pid, signal.SIGINT)
    deadline = time.monotonic() + 60
    while "stopping every run" not in runner.text() and time.monotonic() < deadline:
        time.sleep(0.2)
    os.kill(runner.proc.pid, signal.SIGINT)
    assert runner.wait(60) == 130, runner.text()
    assert "second Ctrl-C: killing every worker and kernel now" in runner.text()
    assert _gone([kernel, worker])
    (run,) = _runs(store["uri"], "force")
    assert run.info.status == "KILLED"
    assert run.data.tags["riskkit.error"] == "killed by SIGINT"


# --------------------------------------------------------------------------- 4. big grids
def test_dry_run_and_max_runs(store: dict[str, str], tmp_path: Path) -> None:
    exp = _stuck(tmp_path, "big", grid={"seconds": list(range(101))})
    db = Path(store["uri"].removeprefix("sqlite:///"))
    db.unlink()  # no store yet: neither a refused grid nor a dry run may create one
    refused = run_cli("run", str(exp))
    assert refused.returncode == 2
    assert "expands to 101 runs, more than --max-runs 100" in refused.stderr
    listed = run_cli("run", str(exp), "--dry-run", "--max-runs", "200")
    assert listed.returncode == 0, listed.stderr
    assert "101 run(s) of stuck.ipynb (dry run: nothing started)" in listed.stdout
    assert "[101/101] stuck seconds=100: seconds=100" in listed.stdout
    assert not db.exists(), "a dry run must not touch the store"
    with pytest.raises(ConfigError, match="--max-runs must be an integer >= 1"):
        from riskkit.app.pipeline import run_experiment

        run_experiment(load_experiment(exp), max_runs=0)


# --------------------------------------------------------------------------- 5. stores and servers
@pytest.mark.parametrize("existing", [False, True], ids=["new-experiment", "existing-experiment"])
def test_relative_sqlite_uri_is_resolved_once(store: dict[str, str], tmp_path: Path, existing: bool) -> None:
    work = tmp_path / "work"
    work.mkdir()
    exp = write_experiment(tmp_path / "rel.yaml", experiment="rel", notebook=PROBE)
    if existing:  # the experiment is already in rel.db: the kernel must log into that same file
        from mlflow.tracking import MlflowClient

        MlflowClient(f"sqlite:///{work / 'rel.db'}").create_experiment("rel")
    result = subprocess.run([sys.executable, "-m", "riskkit.cli", "run", str(exp)], capture_output=True, text=True,
                            cwd=work, env={**os.environ, "MLFLOW_TRACKING_URI": "sqlite:///rel.db"}, timeout=200,
                            check=False)
    assert result.returncode == 0, result.stderr
    (run,) = _runs(f"sqlite:///{work / 'rel.db'}", "rel")
    assert run.info.status == "FINISHED"
    assert run.data.metrics["reached_end"] == 1  # the kernel (cwd elsewhere) logged into the same store


@contextlib.contextmanager
def _immutable(*paths: Path) -> Iterator[None]:
    if shutil.which("chattr") is None:
        pytest.skip("chattr not available: cannot make a store read-only for root")
    done = []
    try:
        for path in paths:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode != 0:
                pytest.skip("chattr +i not permitted here: cannot make a store read-only for root")
            done.append(path)
        yield
    finally:
        for path in reversed(done):
            subprocess.run(["chattr", "-i", str(path)], check=False)


@pytest.mark.parametrize("existing", [True, False], ids=["existing-store", "empty-folder"])
def test_read_only_store_exits_2_in_one_line(tmp_path: Path, existing: bool) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "mlflow.db"
    uri = f"sqlite:///{db}"
    if existing:
        from riskkit.app import tracking

        tracking.init_store(uri)
        tracking.ensure_experiment("ro", uri)
    exp = _stuck(tmp_path, "ro", parameters={"seconds": 0.0})
    env = {"MLFLOW_TRACKING_URI": uri, "RISKKIT_HOME": str(tmp_path)}
    with _immutable(*([db, folder] if existing else [folder])):
        started = time.monotonic()
        result = run_cli("run", str(exp), env=env, timeout=60)
        elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not writable" in lines[0], result.stderr
    assert elapsed < 30  # 10 s asked; generous for a loaded CI machine (import time included)


class _HangingAPI(http.server.BaseHTTPRequestHandler):
    """An MLflow stand-in: /health answers, every API call hangs."""

    release = threading.Event()

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/health":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"OK")
            return
        self.release.wait(120)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hanging_api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HangingAPI)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _HangingAPI.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_tcp() -> Iterator[str]:
    """A TCP server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(sock.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    sock.close()


def test_server_whose_api_hangs_exits_2(tmp_path: Path, hanging_api: str) -> None:
    exp = _stuck(tmp_path, "hang", parameters={"seconds": 0.0})
    started = time.monotonic()
    result = run_cli("run", str(exp), env={"MLFLOW_TRACKING_URI": hanging_api, "RISKKIT_HOME": str(tmp_path)},
                     timeout=90)
    assert result.returncode == 2, result.stderr
    assert "API does not answer" in result.stderr
    assert time.monotonic() - started < 45  # 30 s asked; generous for a loaded machine
    # a reviewer's command against the same server: one line and exit 2 too, not a traceback
    # after MLflow's retries
    listed = run_cli("runs", "hang", env={"MLFLOW_TRACKING_URI": hanging_api, "RISKKIT_HOME": str(tmp_path)},
                     timeout=90)
    assert listed.returncode == 2 and "API does not answer" in listed.stderr, listed.stderr[-2000:]
    assert len(listed.stderr.strip().splitlines()) == 1, listed.stderr[-2000:]


def test_server_that_never_answers_exits_2(tmp_path: Path, silent_tcp: str) -> None:
    exp = _stuck(tmp_path, "silent", parameters={"seconds": 0.0})
    result = run_cli("run", str(exp), env={"MLFLOW_TRACKING_URI": silent_tcp, "RISKKIT_HOME": str(tmp_path)},
                     timeout=90)
    assert result.returncode == 2, result.stderr
    assert "tracking server is unreachable" in result.stderr


@pytest.mark.parametrize("name", ["..", ".", "/abs/olute", "a/b", "a\\b"])
def test_unsafe_experiment_names_refused(tmp_path: Path, name: str) -> None:
    exp = write_experiment(tmp_path / "bad.yaml", experiment=name, notebook=STUCK)
    with pytest.raises(ConfigError, match="is not a safe name"):
        load_experiment(exp)


def test_unsafe_experiment_name_exit_2(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "bad.yaml", experiment="..", notebook=STUCK)
    result = run_cli("run", str(exp))
    assert result.returncode == 2
    assert "is not a safe name" in result.stderr
    assert not (Path(store["home"]) / "runs").exists()


# --------------------------------------------------------------------------- 6. early exits
def test_sys_exit_is_tagged_and_warned(store: dict[str, str], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "early.yaml", experiment="early", notebook=EARLY)
    result = run_cli("run", str(exp), timeout=200)
    assert result.returncode == 0, result.stderr
    assert "warning: early_exit: notebook stopped early at cell 2 (SystemExit: 0); 1 later code cell(s) not run" \
        in result.stdout
    (run,) = _runs(store["uri"], "early")
    assert run.data.tags["riskkit.early_exit_cell"] == "2"
    assert "before_exit" in run.data.metrics and "after_exit" not in run.data.metrics


def test_run_stopped_carries_exit_code() -> None:
    assert RunStopped(signal.SIGTERM, []).exit_code == 143
    assert RunStopped(signal.SIGHUP, []).exit_code == 129
    assert RunStopped(signal.SIGINT, []).exit_code == 130


def test_tracking_helpers_resolve_and_refuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from riskkit.app import tracking
    from riskkit.exceptions import TrackingError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///sub/rel.db")
    assert tracking.tracking_uri() == f"sqlite:///{tmp_path.resolve() / 'sub' / 'rel.db'}"
    with pytest.raises(TrackingError, match="experiment name '..' is not a safe name"):
        tracking.ensure_experiment("..", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")
    tracking.bound_http_requests()
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "10"
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "5"  # the operator's value is kept
