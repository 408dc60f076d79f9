"""Liveness records on MLflow runs, and the repair of runs whose owner process is gone.

SIGKILL cannot be caught, so a run cannot always end itself. Each run the runner starts carries
tags naming the process that owns it (host, pid and that process's start time, so a recycled
pid is not mistaken for the owner). :func:`reap_ghost_runs` ends RUNNING runs whose owner on this
host no longer exists as KILLED ("owner process gone"); ``riskkit run`` and ``riskkit runs`` call
it before they look at a store. Runs owned by another host are left alone (their pid means
nothing here).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any

__all__ = ["OWNER_GONE", "is_alive", "owner_tags", "process_start", "reap_ghost_runs"]

OWNER_HOST, OWNER_PID, OWNER_START = "riskkit.owner_host", "riskkit.owner_pid", "riskkit.owner_start"
OWNER_GONE = "owner process gone"


def process_start(pid: int) -> str | None:
    """An opaque, stable start stamp of process ``pid`` (``None`` when there is no such process).

    Linux: field 22 of ``/proc/<pid>/stat`` (clock ticks since boot). Elsewhere (macOS):
    ``ps -o lstart=``.

    Parameters
    ----------
    pid : int
        Process id.

    Returns
    -------
    str or None
        The stamp, equal for the same process and different for a later process with the same pid.
    """
    if pid <= 0:
        return None
    stat = f"/proc/{pid}/stat"
    if os.path.exists("/proc/self/stat"):
        try:
            with open(stat, encoding="ascii", errors="replace") as handle:
                text = handle.read()
        except OSError:
            return None
        # the command name (field 2) may hold spaces and parentheses: split after the last ')'
        fields = text[text.rfind(")") + 2:].split()
        return fields[19] if len(fields) > 19 else None
    try:
        out = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def owner_tags(pid: int | None = None) -> dict[str, str]:
    """The liveness tags of a run owned by process ``pid`` (this process by default)."""
    pid = pid or os.getpid()
    return {OWNER_HOST: socket.gethostname(), OWNER_PID: str(pid), OWNER_START: process_start(pid) or ""}


def is_alive(tags: dict[str, str]) -> bool | None:
    """Whether the owner recorded in ``tags`` still runs: ``None`` when it cannot be told here
    (no liveness record, or another host)."""
    host, pid, start = tags.get(OWNER_HOST), tags.get(OWNER_PID), tags.get(OWNER_START)
    if not host or not pid or host != socket.gethostname():
        return None
    try:
        number = int(pid)
    except ValueError:
        return None
    now = process_start(number)
    if now is None:
        return False
    return not start or now == start


def reap_ghost_runs(uri: str, experiment_ids: list[str] | None = None, *, stream: Any = None) -> list[str]:
    """End RUNNING runs whose owner process on this host is gone as KILLED; return their ids.

    Parameters
    ----------
    uri : str
        Tracking URI.
    experiment_ids : list of str, optional
        Experiments to look at; every active experiment by default.
    stream : file-like, optional
        Where to print one line per repaired run (``sys.stderr`` by default).

    Returns
    -------
    list of str
        Ids of the runs marked KILLED.
    """
    from riskkit.app import tracking  # lazy: keeps this module importable without mlflow

    mlflow_client = tracking.client(uri)
    if experiment_ids is None:
        experiment_ids = [e.experiment_id for e in mlflow_client.search_experiments()]
    if not experiment_ids:
        return []
    host = socket.gethostname().replace("'", "")
    runs = mlflow_client.search_runs(
        experiment_ids,
        filter_string=f"attributes.status = 'RUNNING' and tags.`{OWNER_HOST}` = '{host}'",
        max_results=1000,
    )
    reaped = []
    for run in runs:
        if is_alive(run.data.tags) is not False:
            continue
        run_id = run.info.run_id
        message = f"{OWNER_GONE} (pid {run.data.tags.get(OWNER_PID)} on {run.data.tags.get(OWNER_HOST)})"
        try:
            if "riskkit.error" not in run.data.tags:
                mlflow_client.set_tag(run_id, "riskkit.error", message)
            mlflow_client.set_terminated(run_id, status="KILLED")
        except Exception as exc:  # noqa: BLE001 (repair is best effort; the next look tries again)
            print(f"riskkit: could not mark run {run_id} KILLED ({type(exc).__name__}: {exc})",
                  file=stream or sys.stderr)
            continue
        reaped.append(run_id)
        print(f"riskkit: run {run_id} was RUNNING but its {message}: marked KILLED", file=stream or sys.stderr)
    return reaped
