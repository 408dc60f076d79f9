"""A real MLflow tracking server for a team: ``make server`` / ``python -m riskkit.app.server``.

Starts ``mlflow server`` on 127.0.0.1 with a SQLite backend and an artifact root under the repo
(``server/mlflow.db``, ``server/artifacts``), waits for its health endpoint, and prints the
``MLFLOW_TRACKING_URI`` to export. Artifacts are proxied by the server (``--serve-artifacts``), so
clients need no access to the server's disk. The same command takes a PostgreSQL URI and an
object store for a team that outgrows one machine (see the README).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from riskkit.app import tracking

__all__ = ["main", "server_command", "start_server"]


def server_command(host: str, port: int, backend_uri: str, artifacts: str, workers: int = 1) -> list[str]:
    """The ``mlflow server`` command line riskkit uses."""
    return [
        sys.executable, "-m", "mlflow", "server",
        "--host", host, "--port", str(port),
        "--backend-store-uri", backend_uri,
        "--artifacts-destination", artifacts,
        "--serve-artifacts",
        "--workers", str(workers),
    ]


def start_server(
    root: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    backend_uri: str | None = None,
    artifacts: str | None = None,
    timeout: float = 180.0,
    log_file: Path | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server, wait until ``/health`` answers, return ``(process, tracking_uri)``."""
    base = (root or tracking.repo_root()) / "server"
    base.mkdir(parents=True, exist_ok=True)
    backend_uri = backend_uri or f"sqlite:///{base / 'mlflow.db'}"
    artifacts = artifacts or str(base / "artifacts")
    uri = f"http://{host}:{port}"
    log = open(log_file or base / "server.log", "ab")  # noqa: SIM115 (kept open for the child)
    env = {**os.environ}
    env.pop("MLFLOW_TRACKING_URI", None)
    process = subprocess.Popen(
        server_command(host, port, backend_uri, artifacts), stdout=log, stderr=subprocess.STDOUT, env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited with code {process.returncode}; see {log.name}")
        try:
            tracking.check_reachable(uri, timeout=2.0)
            return process, uri
        except Exception:  # not up yet
            time.sleep(1.0)
    stop_server(process)
    raise RuntimeError(f"mlflow server did not answer on {uri}/health within {timeout:.0f} s; see {log.name}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m riskkit.app.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--backend-store-uri", help="default: sqlite:///<repo>/server/mlflow.db")
    parser.add_argument("--artifacts-destination", help="default: <repo>/server/artifacts (or s3://bucket/path)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    print(f"starting mlflow server on http://{args.host}:{args.port} (takes about a minute) ...", flush=True)
    process, uri = start_server(host=args.host, port=args.port, backend_uri=args.backend_store_uri,
                                artifacts=args.artifacts_destination)
    print(f"ready after {time.monotonic() - started:.0f} s. In another shell:\n"
          f"  export MLFLOW_TRACKING_URI={uri}\n  .venv/bin/riskkit run experiments/data_profile.yaml\n"
          "Ctrl-C stops the server.", flush=True)
    try:
        process.wait()
    except KeyboardInterrupt:
        stop_server(process)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
