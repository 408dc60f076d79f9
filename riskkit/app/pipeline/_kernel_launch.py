"""Start an IPython kernel that never outlives the runner worker that started it.

Run as a script (``python .../_kernel_launch.py -f CONNECTION_FILE ...``, from the kernelspec the
runner writes), so it imports nothing of riskkit. Before handing over to ``ipykernel_launcher`` it:

* writes its pid to ``RISKKIT_KERNEL_PIDFILE`` (the kernel leads its own process group, so the
  worker, or the runner, stops it and its children with ``killpg``: timeouts, signals);
* takes a shared lock on ``RISKKIT_MEMBERS_LOCK``: the experiment stays locked until this
  process has exited, whatever happened to the runner;
* on Linux asks for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``) and, on every platform,
  starts a watchdog thread that kills its process group once its parent is gone;
* drops ipykernel's "KeyboardInterrupt caught in kernel" log record (:func:`quiet_shutdown_interrupt`).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import runpy
import signal
import sys
import threading
import time

_POLL_S = 0.5


def _set_parent_death_signal(parent: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(_POLL_S)
        if os.getppid() != parent:
            with contextlib.suppress(OSError):
                os.killpg(os.getpgrp(), signal.SIGKILL)
            os._exit(1)


class _ShutdownInterrupt(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("KeyboardInterrupt caught in kernel")


def quiet_shutdown_interrupt() -> None:
    """Drop ipykernel's ERROR record "KeyboardInterrupt caught in kernel." from the kernel's log.

    jupyter_client interrupts every kernel before shutting it down
    (``KernelManager.shutdown_kernel``); when that SIGINT lands while the kernel is still inside
    a message handler, ipykernel logs the record at ERROR on stderr, which a scheduled run's log
    then carries after a notebook that finished normally. The run's outcome is the runner's to
    record (FINISHED, FAILED, KILLED), so the record says nothing; the kernel's other log
    records are kept.
    """
    logging.getLogger("IPKernelApp").addFilter(_ShutdownInterrupt())


def main() -> None:
    parent = os.getppid()
    _set_parent_death_signal(parent)
    pidfile = os.environ.pop("RISKKIT_KERNEL_PIDFILE", "")
    if pidfile:
        with contextlib.suppress(OSError):
            with open(pidfile + ".tmp", "w") as handle:
                handle.write(str(os.getpid()))
            os.replace(pidfile + ".tmp", pidfile)
    members = os.environ.pop("RISKKIT_MEMBERS_LOCK", "")
    if members:
        with contextlib.suppress(OSError):
            handle = open(members, "a+")  # noqa: SIM115 (held for the life of the kernel)
            fcntl.flock(handle, fcntl.LOCK_SH)
            os.set_inheritable(handle.fileno(), False)
            globals()["_members_handle"] = handle
    threading.Thread(target=_watch_parent, args=(parent,), name="riskkit-parent-watch", daemon=True).start()
    quiet_shutdown_interrupt()
    sys.argv[0] = "ipykernel_launcher"
    sys.path[0] = os.getcwd()  # as under `python -m ipykernel_launcher`, not this script's folder
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
