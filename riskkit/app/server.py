"""A real MLflow tracking server for a team: ``make server`` / ``python -m riskkit.app.server``.

Starts ``mlflow server`` on 127.0.0.1 with a SQLite backend and an artifact root under the repo
(``server/mlflow.db``, ``server/artifacts``), waits for its health endpoint, and prints the
``MLFLOW_TRACKING_URI`` to export. Artifacts are proxied by the server (``--serve-artifacts``), so
clients need no access to the server's disk. The same command takes a PostgreSQL URI and an
object store for a team that outgrows one machine (see the README).

``--auth`` starts MLflow's basic-auth app (``--app-name basic-auth``): every request needs a user
and password, and permissions are per experiment and per registered model (see
``riskkit team apply``). It also turns MLflow's workspaces on (one workspace, ``default``): there,
creating an experiment or a registered model needs ``USE`` on the workspace, which ``riskkit team
apply`` gives only developers and the service account. The admin password comes from ``RISKKIT_ADMIN_PASSWORD`` or from a file
readable only by its owner (``--admin-password-file`` / ``RISKKIT_ADMIN_PASSWORD_FILE``), never
from the command line or the repository: it reaches the server process through its environment
only. The auth configuration (``basic_auth.ini``, without any password) and the user database live
in a private runtime folder (``server/auth``, mode 0700). Binding to anything but loopback without
``--auth`` needs ``--insecure`` and prints a warning.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskkit.app import tracking
from riskkit.exceptions import ConfigError

__all__ = [
    "ADMIN_PASSWORD_ENV",
    "ADMIN_PASSWORD_FILE_ENV",
    "AuthSettings",
    "is_loopback",
    "main",
    "read_admin_password",
    "server_command",
    "start_server",
    "write_auth_config",
]

ADMIN_PASSWORD_ENV = "RISKKIT_ADMIN_PASSWORD"
ADMIN_PASSWORD_FILE_ENV = "RISKKIT_ADMIN_PASSWORD_FILE"
_MIN_PASSWORD = 12  # MLflow's basic-auth password policy


@dataclass(frozen=True)
class AuthSettings:
    """What the basic-auth app needs: the admin account and where its user database lives.

    ``admin_password`` is passed to the server process in its environment only; it is never
    written to the runtime folder.

    Parameters
    ----------
    admin_password : str
        The administrator's password (never shown in the repr).
    admin_username : str, default "admin"
        The administrator's login.
    database_uri : str, optional
        Users and permissions database (default ``sqlite:///<repo>/server/auth/auth.db``).
    default_permission : str, default "READ"
        Permission a user has on resources nobody granted explicitly.
    auth_cache_seconds : int, default 30
        How long the server remembers a verified login (MLflow's ``auth_cache_ttl_seconds``). MLflow
        checks every request's password against its scrypt hash, about 0.1 s of CPU each, and a run
        makes hundreds of requests; with the cache only the first request of a login pays it. A
        changed password or a removed user takes effect within this time; 0 turns the cache off.
    """

    admin_password: str = field(repr=False)
    admin_username: str = "admin"
    database_uri: str | None = None
    default_permission: str = "READ"
    auth_cache_seconds: int = 30


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost`` (reachable from this machine only).

    Parameters
    ----------
    host : str
        Host name or IP address (IPv6 may be bracketed).

    Returns
    -------
    bool

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("[::1]"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_admin_password(password_file: str | Path | None = None, environ: dict[str, str] | None = None) -> str:
    """The admin password: ``password_file`` (or ``RISKKIT_ADMIN_PASSWORD_FILE``), else
    ``RISKKIT_ADMIN_PASSWORD``.

    Parameters
    ----------
    password_file : str or Path, optional
        A file holding the password on its first line; it must belong to the current user and
        be readable by nobody else (mode 0600 or 0400).
    environ : dict, optional
        Environment to read (default ``os.environ``).

    Returns
    -------
    str
        The password (at least 12 characters, MLflow's policy).

    Raises
    ------
    ConfigError
        No password given, a group- or world-readable file, a file of another user, or a password
        shorter than 12 characters.
    """
    env = os.environ if environ is None else environ
    password_file = password_file or env.get(ADMIN_PASSWORD_FILE_ENV) or None
    if password_file:
        path = Path(password_file)
        if not path.is_file():
            raise ConfigError(f"admin password file not found (got {str(path)!r}); create it with mode 0600")
        info = path.stat()
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"admin password file {str(path)!r} is readable by others (mode {stat.S_IMODE(info.st_mode):04o}); "
                f"run `chmod 600 {path}` so only its owner can read it"
            )
        if info.st_uid != os.getuid():
            raise ConfigError(f"admin password file {str(path)!r} belongs to another user (uid {info.st_uid}); "
                              "use a file you own with mode 0600")
        lines = path.read_text(encoding="utf-8").splitlines()
        password = lines[0].strip() if lines else ""
        source = f"file {str(path)!r}"
    else:
        password = env.get(ADMIN_PASSWORD_ENV, "")
        source = f"${ADMIN_PASSWORD_ENV}"
        if not password:
            raise ConfigError(
                f"--auth needs the admin password: set {ADMIN_PASSWORD_ENV} or point --admin-password-file "
                f"(or {ADMIN_PASSWORD_FILE_ENV}) at a file readable only by you; it is never taken from the "
                "command line"
            )
    if len(password) < _MIN_PASSWORD:
        raise ConfigError(f"admin password from {source} is too short ({len(password)} characters); "
                          f"MLflow needs at least {_MIN_PASSWORD}")
    return password


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_auth_config(runtime_dir: Path, auth: AuthSettings) -> Path:
    """Write MLflow's ``basic_auth.ini`` into ``runtime_dir`` (mode 0700; the file 0600).

    The file names the admin user, the default permission and the user database
    (``auth.db`` beside it unless ``auth.database_uri`` is given); it holds no password.

    Parameters
    ----------
    runtime_dir : Path
        Private folder for the auth configuration and database; created when missing.
    auth : AuthSettings
        Admin user name, database URI and default permission.

    Returns
    -------
    Path
        The ini file, to pass to the server as ``MLFLOW_AUTH_CONFIG_PATH``.

    Raises
    ------
    ConfigError
        An unknown default permission or an admin user name that is not a plain word.
    """
    if auth.default_permission not in {"READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"}:
        raise ConfigError(f"default_permission must be READ, USE, EDIT, MANAGE or NO_PERMISSIONS "
                          f"(got {auth.default_permission!r})")
    if not auth.admin_username or not all(c.isalnum() or c in "-_.@" for c in auth.admin_username):
        raise ConfigError(f"admin user name must be letters, digits and -_.@ (got {auth.admin_username!r})")
    if isinstance(auth.auth_cache_seconds, bool) or not isinstance(auth.auth_cache_seconds, int) \
            or not 0 <= auth.auth_cache_seconds <= 3600:
        raise ConfigError(f"auth_cache_seconds must be a whole number of seconds from 0 to 3600 "
                          f"(got {auth.auth_cache_seconds!r}); 0 checks the password on every request")
    folder = _private_dir(runtime_dir)
    database_uri = auth.database_uri or f"sqlite:///{folder / 'auth.db'}"
    ini = folder / "basic_auth.ini"
    text = (
        "# Written by riskkit.app.server --auth; no password here (it reaches the server through\n"
        "# MLFLOW_AUTH_ADMIN_PASSWORD in its environment, on the first start only).\n"
        "[mlflow]\n"
        f"default_permission = {auth.default_permission}\n"
        f"database_uri = {database_uri}\n"
        f"admin_username = {auth.admin_username}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        "grant_default_workspace_access = false\n"
        f"auth_cache_ttl_seconds = {auth.auth_cache_seconds}\n"
    )
    fd = os.open(ini, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    ini.chmod(0o600)
    return ini


def server_command(host: str, port: int, backend_uri: str, artifacts: str, workers: int = 1,
                   auth: bool = False) -> list[str]:
    """The ``mlflow server`` command line riskkit uses (with ``--enable-workspaces --app-name basic-auth``
    when ``auth``).

    It never carries a password: the admin password reaches the server in its environment.

    Parameters
    ----------
    host : str
        Interface to listen on.
    port : int
        TCP port.
    backend_uri : str
        Backend store URI (runs, experiments, registry).
    artifacts : str
        Artifact destination (a folder or ``s3://...``).
    workers : int, default 1
        Server worker processes.
    auth : bool, default False
        Serve MLflow's basic-auth app, with workspaces on (everything lives in the ``default``
        workspace; only users granted ``USE`` on it may create experiments and registered models).

    Returns
    -------
    list of str
        The argument vector.
    """
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", host, "--port", str(port),
        "--backend-store-uri", backend_uri,
        "--artifacts-destination", artifacts,
        "--serve-artifacts",
        "--workers", str(workers),
    ]
    if auth:
        # with workspaces on, creating an experiment or a registered model needs USE on the
        # workspace, which riskkit team apply gives developers and the service account only
        command += ["--enable-workspaces", "--app-name", "basic-auth"]
    return command


def start_server(
    root: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    backend_uri: str | None = None,
    artifacts: str | None = None,
    timeout: float = 180.0,
    log_file: Path | None = None,
    auth: AuthSettings | None = None,
    insecure: bool = False,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server, wait until ``/health`` answers, return ``(process, tracking_uri)``.

    Parameters
    ----------
    root : Path, optional
        Folder holding ``server/`` (database, artifacts, log, ``auth/``); default the repo root.
    host, port : str, int
        Where to listen. A host other than loopback needs ``auth`` or ``insecure=True``.
    backend_uri, artifacts : str, optional
        Tracking store and artifact destination (default SQLite and a folder under ``server/``).
    timeout : float
        Seconds to wait for ``/health``.
    log_file : Path, optional
        Server log (default ``server/server.log``).
    auth : AuthSettings, optional
        Start MLflow's basic-auth app with this admin account.
    insecure : bool
        Allow a non-loopback host without ``auth``.

    Returns
    -------
    tuple
        The server process (its own process group) and the tracking URI.

    Raises
    ------
    ConfigError
        A non-loopback host without ``auth`` or ``insecure``.
    RuntimeError
        The server exited or did not answer within ``timeout``.
    """
    if auth is None and not insecure and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve without authentication on {host!r} (reachable from other machines); "
            "pass --auth (see README, Team server) or, knowingly, --insecure"
        )
    base = (root or tracking.repo_root()) / "server"
    base.mkdir(parents=True, exist_ok=True)
    backend_uri = backend_uri or f"sqlite:///{base / 'mlflow.db'}"
    artifacts = artifacts or str(base / "artifacts")
    uri = f"http://{host}:{port}"
    log = open(log_file or base / "server.log", "ab")  # noqa: SIM115 (kept open for the child)
    env = {**os.environ}
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                 ADMIN_PASSWORD_ENV, ADMIN_PASSWORD_FILE_ENV):
        env.pop(name, None)
    # MLflow's job runner (huey consumers for GenAI jobs and trace roll-ups, which riskkit does not
    # use) would start with every server: 8 more processes, about 1.9 GB resident between them.
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    if auth is not None:
        env["MLFLOW_AUTH_CONFIG_PATH"] = str(write_auth_config(base / "auth", auth))
        env["MLFLOW_AUTH_ADMIN_USERNAME"] = auth.admin_username
        env["MLFLOW_AUTH_ADMIN_PASSWORD"] = auth.admin_password
        # signs the UI's CSRF tokens; a fresh one per start (UI sessions end with the server)
        env.setdefault("MLFLOW_FLASK_SERVER_SECRET_KEY", secrets.token_hex(32))
    process = subprocess.Popen(
        server_command(host, port, backend_uri, artifacts, auth=auth is not None), stdout=log,
        stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with code {process.returncode}; see {log.name}")
            try:
                tracking.check_reachable(uri, timeout=2.0)
                return process, uri
            except Exception:  # not up yet
                time.sleep(1.0)
    except BaseException:  # Ctrl-C or a stop signal while waiting: the server must not outlive us
        stop_server(process)
        raise
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
    """``python -m riskkit.app.server``: start the team tracking server and wait for Ctrl-C.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default ``sys.argv[1:]``); ``--help`` lists them.

    Returns
    -------
    int
        Exit status: 0 after a clean stop, 2 for a configuration error (e.g. a non-loopback
        host without ``--auth`` or ``--insecure``).
    """
    parser = argparse.ArgumentParser(prog="python -m riskkit.app.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--backend-store-uri", help="default: sqlite:///<repo>/server/mlflow.db")
    parser.add_argument("--artifacts-destination", help="default: <repo>/server/artifacts (or s3://bucket/path)")
    parser.add_argument("--auth", action="store_true",
                        help=f"require a user and password (MLflow basic-auth app); admin password from "
                             f"${ADMIN_PASSWORD_ENV} or --admin-password-file")
    parser.add_argument("--admin-user", default="admin", help="admin user name (default admin)")
    parser.add_argument("--admin-password-file", metavar="PATH",
                        help=f"file (mode 0600) holding the admin password (or ${ADMIN_PASSWORD_FILE_ENV})")
    parser.add_argument("--auth-database-uri", metavar="URI",
                        help="users and permissions database (default sqlite:///<repo>/server/auth/auth.db)")
    parser.add_argument("--auth-cache-seconds", type=int, default=30, metavar="N",
                        help="remember a verified login for N seconds (default 30; 0 checks the password "
                             "hash on every request)")
    parser.add_argument("--insecure", action="store_true",
                        help="allow a non-loopback --host without --auth (anyone reaching the port can read and write)")
    args = parser.parse_args(argv)
    auth = None
    try:
        if args.auth:
            auth = AuthSettings(read_admin_password(args.admin_password_file), args.admin_user,
                                args.auth_database_uri, auth_cache_seconds=args.auth_cache_seconds)
        elif not is_loopback(args.host):
            if not args.insecure:
                raise ConfigError(
                    f"refusing to serve without authentication on {args.host!r} (reachable from other machines); "
                    "pass --auth (see README, Team server) or, knowingly, --insecure"
                )
            print(f"WARNING: serving on {args.host} WITHOUT authentication: anyone who reaches port {args.port} "
                  "can read every run, log into any experiment and move model aliases. Use --auth.",
                  file=sys.stderr, flush=True)
    except ConfigError as exc:
        print(f"riskkit server: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    print(f"starting mlflow server on http://{args.host}:{args.port}{' with authentication' if auth else ''} "
          "(takes about a minute) ...", flush=True)
    # The server runs in a process group of its own (stop_server signals the group), so a SIGTERM
    # (systemd, kill) or SIGHUP (the terminal closed) to this launcher would leave it running:
    # both become a stop request, as Ctrl-C is (the previous handlers are put back on return).
    previous = {sig: signal.signal(sig, _stop_request) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return _serve(args, auth, started)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(args: argparse.Namespace, auth: AuthSettings | None, started: float) -> int:
    """Start the server, wait until it exits or a stop request comes, and stop it."""
    try:
        process, uri = start_server(host=args.host, port=args.port, backend_uri=args.backend_store_uri,
                                    artifacts=args.artifacts_destination, auth=auth, insecure=args.insecure)
    except KeyboardInterrupt:
        print("stopped before the server was ready", flush=True)
        return 0
    login = ("  export MLFLOW_TRACKING_USERNAME=<you>  # and MLFLOW_TRACKING_PASSWORD in your environment\n"
             if auth else "")
    print(f"ready after {time.monotonic() - started:.0f} s. In another shell:\n"
          f"  export MLFLOW_TRACKING_URI={uri}\n{login}  .venv/bin/riskkit run experiments/data_profile.yaml\n"
          "Ctrl-C stops the server.", flush=True)
    try:
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_server(process)
    print("server stopped", flush=True)
    return 0


def _stop_request(signum: int, frame: Any) -> None:
    """SIGTERM/SIGHUP handler of the launcher: stop the server as Ctrl-C does."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
