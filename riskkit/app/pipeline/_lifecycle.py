"""Process lifecycle of ``riskkit run``: workers, kernels, signals, timeouts, cancel and locks.

Process tree of one ``riskkit run``::

    runner (the CLI process)          holds the experiment lock; schedules grid points
      worker (one per running point)  owns one MLflow run; same process group as the runner
        kernel                        own process group (started by jupyter_client); pid in a pidfile

Rules kept here:

* SIGTERM, SIGHUP or SIGINT to the runner (or to its whole process group) stops scheduling,
  forwards the signal to every worker, and each worker kills its kernel's process group and ends
  its run KILLED with the notebook executed so far and ``riskkit.error`` naming the signal. The
  runner exits 128 + the signal number (143, 129, 130). A second SIGINT forces an immediate stop.
* A timeout (``timeout:`` or ``--timeout``) is enforced by the runner: SIGUSR1 to the worker, which
  kills the kernel's process group (a kernel sleeping or stuck in C code cannot refuse) and ends
  the run FAILED "timed out after N s". A worker that does not end within a grace period is
  killed with its kernel and the runner ends the run itself.
* Workers and kernels never outlive the runner: each watches its parent (a thread polling the
  parent pid; on Linux also ``PR_SET_PDEATHSIG``) and stops when it is gone.
* The experiment lock has two parts: the *gate* (held by the runner) and the *members* lock
  (shared by the runner, its workers and its kernels). A new run of the same file needs both, so
  it cannot start while any process of the previous run is still alive.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

__all__ = ["GRACE_S", "RunLocks", "RunStopped", "Scheduler", "signal_name"]

GRACE_S = 20.0  # how long a worker may take to end its run after being told to stop
_WATCH_S = 0.5

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def signal_name(signum: int) -> str:
    """``15`` -> ``'SIGTERM'``."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class RunStopped(Exception):
    """``riskkit run`` was stopped by a signal; ``results`` are the runs as they ended.

    Parameters
    ----------
    signum : int
        The signal that stopped the run (e.g. ``signal.SIGINT``).
    results : list of RunResult
        The runs as they ended (KILLED for those interrupted).
    """

    def __init__(self, signum: int, results: list[Any]) -> None:
        super().__init__(f"stopped by {signal_name(signum)}")
        self.signum = signum
        self.results = results

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process ended by that signal."""
        return 128 + self.signum


# --------------------------------------------------------------------------- locks
def _holder(handle: Any) -> str:
    handle.seek(0)
    return handle.read().strip() or "another process"


class RunLocks:
    """The gate and members locks of one experiment file (see the module docstring)."""

    def __init__(self, lock_dir: Path, slug: str, label: str) -> None:
        lock_dir.mkdir(parents=True, exist_ok=True)
        self.gate_path = lock_dir / f"{slug}.lock"
        self.members_path = lock_dir / f"{slug}.members"
        self.label = label
        self._gate: Any = None
        self._members: Any = None

    def acquire(self, wait: bool, wait_timeout: float | None, stream: TextIO, locked_error: type[Exception]) -> None:
        """Take both locks, waiting (``wait=True``, at most ``wait_timeout`` seconds) or refusing."""
        deadline = None if wait_timeout is None else time.monotonic() + wait_timeout
        self._gate = open(self.gate_path, "a+")  # noqa: SIM115 (held until release)
        self._take(self._gate, fcntl.LOCK_EX, wait, deadline, stream, locked_error,
                   lambda: f"{_holder(self._gate)}")
        self._members = open(self.members_path, "a+")  # noqa: SIM115 (held until release)
        self._take(self._members, fcntl.LOCK_EX, wait, deadline, stream, locked_error,
                   lambda: "processes of the previous run (workers or kernels) that have not exited yet")
        # nobody else can want the members lock while we hold the gate: downgrading is safe
        fcntl.flock(self._members, fcntl.LOCK_SH)
        self._gate.seek(0)
        self._gate.truncate()
        self._gate.write(f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        self._gate.flush()

    def _take(self, handle: Any, mode: int, wait: bool, deadline: float | None, stream: TextIO,
              locked_error: type[Exception], holder: Any) -> None:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        who = holder()
        if not wait:
            self.release()
            raise locked_error(
                f"experiment file {self.label!r} is already running ({who}); "
                "wait for it to finish or pass --wait to queue behind it"
            )
        limit = "" if deadline is None else f" (at most {max(0.0, deadline - time.monotonic()):.0f} s)"
        print(f"waiting for {who} to finish experiment file {self.label!r}{limit}", file=stream, flush=True)
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                self.release()
                raise locked_error(
                    f"gave up waiting for experiment file {self.label!r} after --wait-timeout "
                    f"({who} still holds it)"
                )
            time.sleep(0.2)
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                continue

    def release(self) -> None:
        """Release the members lock, then the gate."""
        for attr in ("_members", "_gate"):
            handle = getattr(self, attr)
            if handle is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
                setattr(self, attr, None)


# --------------------------------------------------------------------------- worker side
class _Stopped(BaseException):
    """Raised in a worker told to stop before its kernel exists."""


@dataclass
class _WorkerState:
    reason: str = ""           # "" | "SIGTERM" | ... | "timeout" | "runner gone"
    status: str = ""           # KILLED | FAILED
    message: str = ""
    phase: str = "setup"       # setup | executing | finishing
    pidfile: str = ""
    members: str = ""
    timeout: float | None = None
    members_handle: Any = None
    start: str = ""            # fork | spawn: how this worker was started


_STATE = _WorkerState()


def _kernel_pid(pidfile: str) -> int | None:
    try:
        return int(Path(pidfile).read_text().strip())
    except (OSError, ValueError):
        return None


def kill_kernel(pidfile: str) -> None:
    """SIGKILL the process group of the kernel whose pid is in ``pidfile`` (if it still runs)."""
    pid = _kernel_pid(pidfile) if pidfile else None
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _request_stop(reason: str, status: str, message: str) -> None:
    if _STATE.reason:
        return  # the first reason wins; a repeated signal changes nothing
    _STATE.reason, _STATE.status, _STATE.message = reason, status, message
    if _STATE.phase == "finishing":
        return  # the notebook ran to its end: let the run finish normally
    if _STATE.phase == "executing" and _kernel_pid(_STATE.pidfile) is not None:
        kill_kernel(_STATE.pidfile)  # papermill then raises DeadKernelError within about a second
        return
    raise _Stopped(reason)


def _on_signal(signum: int, _frame: Any) -> None:
    if signum == signal.SIGUSR1:
        seconds = f"{_STATE.timeout:g}" if _STATE.timeout else "?"
        _request_stop("timeout", "FAILED", f"timed out after {seconds} s")
    elif signum == signal.SIGUSR2:
        _request_stop("runner gone", "KILLED", "runner process gone")
    else:
        _request_stop(signal_name(signum), "KILLED", f"killed by {signal_name(signum)}")


def _watch_runner(runner: int) -> None:
    while True:
        time.sleep(_WATCH_S)
        if os.getppid() != runner:
            with contextlib.suppress(ProcessLookupError):
                os.kill(os.getpid(), signal.SIGUSR2)  # handled in the main thread
            time.sleep(GRACE_S)
            kill_kernel(_STATE.pidfile)
            os._exit(1)


def _set_parent_death_signal(sig: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(sig), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


def skip_unused_schema_formats() -> None:
    """In a process riskkit owns (the ``riskkit`` command, a run's worker): keep jsonschema from
    importing ``rfc3987_syntax``, which compiles 38 Lark grammars at import (about 1.2 s of CPU in
    every process that imports nbformat, i.e. papermill). It serves jsonschema's optional ``iri``
    format check, which the notebook schema does not use; jsonschema skips it when the import fails."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def worker_setup(runner: int, pidfile: str, members: str, timeout: float | None) -> None:
    """Install the worker's signal handlers, parent watch and members lock (in the worker)."""
    skip_unused_schema_formats()
    _STATE.pidfile, _STATE.members, _STATE.timeout = pidfile, members, timeout
    for sig in (*_STOP_SIGNALS, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, _on_signal)
    _set_parent_death_signal(signal.SIGUSR2)
    threading.Thread(target=_watch_runner, args=(runner,), name="riskkit-runner-watch", daemon=True).start()
    if members:
        handle = open(members, "a+")  # noqa: SIM115 (held for the life of the worker)
        fcntl.flock(handle, fcntl.LOCK_SH)
        _STATE.members_handle = handle
    if os.getppid() != runner:
        _request_stop("runner gone", "KILLED", "runner process gone")


def worker_start() -> str:
    """``fork`` or ``spawn``: how the runner started this worker (``""`` outside a worker)."""
    return _STATE.start


def kernel_environment() -> dict[str, str]:
    """Environment the kernel launcher reads: where to write its pid, which lock to share."""
    env = {}
    if _STATE.pidfile:
        env["RISKKIT_KERNEL_PIDFILE"] = _STATE.pidfile
    if _STATE.members:
        env["RISKKIT_MEMBERS_LOCK"] = _STATE.members
    return env


def begin_execution() -> None:
    """Called right before the notebook starts: raise when a stop already came."""
    if _STATE.reason:
        raise _Stopped(_STATE.reason)
    _STATE.phase = "executing"


def end_execution() -> None:
    """Called when the notebook has ended (by itself or killed)."""
    _STATE.phase = "finishing"


def stop_outcome() -> tuple[str, str] | None:
    """``(status, message)`` when this worker was told to stop while its notebook ran."""
    if _STATE.reason:
        return _STATE.status, _STATE.message
    return None


def is_stop(exc: BaseException) -> bool:
    """Whether ``exc`` is this module's stop exception."""
    return isinstance(exc, _Stopped)


# --------------------------------------------------------------------------- runner side
class _Events:
    """``put`` onto a one-way pipe: what ``execute_run`` expects of its events queue."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def put(self, item: Any) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(item)


def _worker_main(conn: Any, runner: int, pidfile: str, members: str, timeout: float | None,
                 target: Any, args: tuple[Any, ...], forked: bool = False) -> None:
    worker_setup(runner, pidfile, members, timeout)  # first: the runner's signal handlers go at once
    _STATE.start = "fork" if forked else "spawn"
    events = _Events(conn)
    try:
        if forked:
            _forget_inherited_connections()
        result = target(*args, events)
    except _Stopped:
        events.put(("STOPPED", _STATE.status, _STATE.message))
        return
    except Exception as exc:  # noqa: BLE001 (reported to the runner, which records it)
        events.put(("ERROR", f"{type(exc).__name__}: {exc}"))
        return
    events.put(("RESULT", result))


def worker_start_method() -> str:
    """How the runner starts its workers: ``fork`` when that is safe, else ``spawn``.

    A forked worker starts with what the runner already imported (MLflow, its store, papermill,
    riskkit: about 3 s of CPU per run that a spawned worker pays again). Fork is safe on Linux
    when only the calling (main) thread is alive: a fork copies no other thread, and a lock some
    other thread held at that moment would stay locked in the child. So a runner called from a
    Jupyter kernel or a server thread, or with MLflow's telemetry thread alive, spawns.
    ``RISKKIT_WORKER_START=spawn`` forces spawn.
    """
    if os.environ.get("RISKKIT_WORKER_START", "fork") == "spawn":
        return "spawn"
    if sys.platform.startswith("linux") and threading.active_count() == 1 \
            and threading.current_thread() is threading.main_thread():
        return "fork"
    return "spawn"


def _forget_inherited_connections() -> None:
    """In a forked worker: leave the runner's pooled database connections to the runner.

    A SQLite or PostgreSQL connection must not be used by two processes; SQLAlchemy's documented
    remedy for a forked child is ``Engine.dispose(close=False)``: the child's pools forget the
    inherited connections without closing them, and open their own on first use.
    """
    engine_module = sys.modules.get("sqlalchemy.engine")
    if engine_module is None:
        return
    import gc  # lazy: only a forked worker walks the heap, once

    for obj in gc.get_objects():
        if isinstance(obj, engine_module.Engine):
            obj.dispose(close=False)


@dataclass
class _Point:
    spec: Any
    process: Any
    conn: Any
    pidfile: str
    started: float
    run_id: str = ""
    output: str = ""
    result: Any = None
    error: str = ""
    told: float | None = None        # when the worker was told to stop (signal or timeout)
    told_status: str = ""
    told_message: str = ""
    ended_at: float | None = None


@dataclass
class Scheduler:
    """Run grid points in worker processes under the rules of the module docstring.

    ``target(*args, spec, events)`` runs one point in a worker and returns its ``RunResult``;
    ``finish(run_id, output, status, message)`` ends a run from the runner when its worker could
    not; ``make_result(spec, run_id, status, error, elapsed, output)`` builds a result.
    """

    target: Any
    args: tuple[Any, ...]
    specs: list[Any]
    parallel: int
    timeout: float | None
    pid_dir: Path
    members: str
    display: Any
    finish: Any
    make_result: Any
    stream: TextIO = sys.stdout
    signals: list[int] = field(default_factory=list)

    def run(self) -> tuple[list[Any], int | None]:
        """Run every point; return the results in grid order and the stopping signal (or None)."""
        pending = deque(self.specs)
        active: list[_Point] = []
        results: dict[int, Any] = {}
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        # signal handlers can only be installed from the main thread (a library caller in another
        # thread keeps its own handling; timeouts and parent watches still apply)
        in_main = threading.current_thread() is threading.main_thread()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _STOP_SIGNALS} if in_main else {}
        forced = False
        try:
            while pending or active:
                stop = self.signals[0] if self.signals else None
                if stop is not None and pending:
                    for spec in pending:
                        results[id(spec)] = self.make_result(spec, "", "NOT STARTED", "", 0.0, "")
                    pending.clear()
                while stop is None and pending and len(active) < self.parallel:
                    active.append(self._start(mp.get_context(worker_start_method()), pending.popleft()))
                self._drain(active, 0.2)
                now = time.monotonic()
                if stop is not None:
                    forced = forced or (stop == signal.SIGINT and self.signals.count(signal.SIGINT) > 1)
                for point in active:
                    if stop is not None and point.told is None:
                        self._tell(point, stop, "KILLED", f"killed by {signal_name(stop)}")
                    elif (self.timeout is not None and point.told is None and point.run_id
                          and now - point.started > self.timeout):
                        self._tell(point, signal.SIGUSR1, "FAILED", f"timed out after {self.timeout:g} s")
                    if point.told is not None and (forced or now - point.told > GRACE_S):
                        self._force(point)
                for point in [p for p in active if not p.process.is_alive()]:
                    self._drain([point], 0.0)
                    point.process.join()
                    kill_kernel(point.pidfile)  # a kernel whose worker died goes with it
                    results[id(point.spec)] = self._result_of(point)
                    active.remove(point)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for point in active:  # only on an unexpected error in this loop
                self._force(point)
        self._wait_kernels_gone()
        ordered = [results[id(s)] for s in self.specs]
        return ordered, (self.signals[0] if self.signals else None)

    # -- pieces
    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.signals.append(signum)
        if len(self.signals) == 1:
            print(f"\nriskkit run: {signal_name(signum)} received: stopping every run (a second Ctrl-C "
                  "forces an immediate stop)", file=self.stream, flush=True)
        elif signum == signal.SIGINT and self.signals.count(signal.SIGINT) == 2:
            print("riskkit run: second Ctrl-C: killing every worker and kernel now", file=self.stream, flush=True)

    def _start(self, ctx: Any, spec: Any) -> _Point:
        reader, writer = ctx.Pipe(duplex=False)
        pidfile = str(self.pid_dir / f"kernel-{os.getpid()}-{id(spec)}.pid")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pidfile)
        process = ctx.Process(
            target=_worker_main,
            args=(writer, os.getpid(), pidfile, self.members, self.timeout, self.target, (*self.args, spec),
                  ctx.get_start_method() == "fork"),
            name=f"riskkit-worker-{spec.name}",
        )
        process.start()
        writer.close()
        return _Point(spec, process, reader, pidfile, time.monotonic())

    def _drain(self, points: list[_Point], timeout: float) -> None:
        conns = {p.conn: p for p in points if p.conn is not None}
        if not conns:
            time.sleep(timeout)
            return
        ready: list[Any] = mp_connection.wait(list(conns), timeout=timeout)
        for conn in ready:
            point = conns[conn]
            while True:
                try:
                    if not conn.poll(0):
                        break
                    event = conn.recv()
                except (EOFError, OSError):
                    point.conn = None
                    break
                self._event(point, event)

    def _event(self, point: _Point, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "RUNNING":
            point.run_id = event[2]
            point.started = time.monotonic()
            self.display.running(event[1])
        elif kind == "OUTPUT":
            point.output = event[1]
        elif kind == "RESULT":
            point.result = event[1]
        elif kind == "ERROR":
            point.error = event[1]
        elif kind == "STOPPED" and point.told is None:
            point.told_status, point.told_message = event[1], event[2]

    def _tell(self, point: _Point, sig: int, status: str, message: str) -> None:
        point.told, point.told_status, point.told_message = time.monotonic(), status, message
        with contextlib.suppress(ProcessLookupError):
            os.kill(point.process.pid, sig)

    def _force(self, point: _Point) -> None:
        kill_kernel(point.pidfile)
        with contextlib.suppress(ProcessLookupError):
            os.kill(point.process.pid, signal.SIGKILL)
        point.process.join(timeout=5)

    def _result_of(self, point: _Point) -> Any:
        elapsed = time.monotonic() - point.started
        if point.result is not None:
            result = point.result
        else:
            status = point.told_status or "FAILED"
            if point.told_status:
                message = point.told_message
            else:
                code = point.process.exitcode
                message = point.error or f"the worker process died (exit code {code})"
            if point.run_id:
                with contextlib.suppress(Exception):
                    self.finish(point.run_id, point.output, status, message)
            result = self.make_result(point.spec, point.run_id, status, message, elapsed, point.output)
        self.display.ended(result)
        return result

    def _wait_kernels_gone(self) -> None:
        """Kernels exit with their workers; make sure before the lock is released."""
        deadline = time.monotonic() + 10
        for pidfile in self.pid_dir.glob(f"kernel-{os.getpid()}-*.pid"):
            pid = _kernel_pid(str(pidfile))
            while pid is not None and _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if pid is not None and _alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(FileNotFoundError):
                pidfile.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of someone else still answers kill(0); treat a reaped-or-zombie as gone
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True
