"""Users and permissions of a risk team on an authenticated tracking server (``riskkit team apply``).

A small YAML file names the team's experiments and registered models and, for each member, a
role. Each role maps onto MLflow basic-auth permissions (READ, EDIT, MANAGE) like this:

=============  ===========================================  ===========================
role           experiments                                  registered models
=============  ===========================================  ===========================
developer      EDIT on the experiments listed for them,     READ (cannot register a
               READ on the team's other experiments;        version or move an alias)
               may create experiments of their own
validator      READ on every experiment; creates none       MANAGE on every team model,
                                                            READ on the others
reviewer       READ on every experiment; creates none       READ on every model
service        EDIT on the experiments listed for it        READ
               (scheduled runs), READ on the others;
               may create experiments of its own
=============  ===========================================  ===========================

Who may create experiments and registered models is MLflow's workspace grant: the team server runs
with workspaces on (``riskkit.app.server --auth`` passes ``--enable-workspaces``), and there only a
user holding ``USE`` on the workspace can create an experiment or a registered model (and so own
one, and log runs into it). ``apply_team`` keeps two MLflow roles in the default workspace:
``riskkit-creators`` (``USE`` on the workspace: developers and the service account) and
``riskkit-readers`` (``READ`` on every experiment and registered model, no workspace grant:
validators and reviewers). A reviewer therefore gets 403 on creating an experiment, a run or a
registered model anywhere; a validator too, except new versions of the team's models (MANAGE).

The admin creates the experiments and registered models first, so no developer owns (MANAGEs) a
registered model by having created it: moving the ``champion`` alias needs a validator. Passwords
never appear in the file: each member names the environment variable holding theirs
(``password_env``). Applying twice is harmless: existing users get their password reset from the
environment and their permissions set again.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from riskkit.app import tracking
from riskkit.exceptions import ConfigError, TrackingError

__all__ = ["CREATORS_ROLE", "READERS_ROLE", "ROLES", "SERVER_ROLES", "Grant", "Member", "Team", "apply_team",
           "describe_server_role", "load_team", "plan_grants", "plan_server_roles"]

ROLES = ("developer", "validator", "reviewer", "service")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_MIN_PASSWORD = 12  # MLflow's basic-auth password policy
_TOP_KEYS = {"admin", "experiments", "registered_models", "members"}
_MEMBER_KEYS = {"username", "role", "password_env", "experiments"}

CREATORS_ROLE = "riskkit-creators"
READERS_ROLE = "riskkit-readers"
#: MLflow roles ``apply_team`` keeps in the default workspace: description and
#: (resource type, resource pattern, permission) rows. Creating an experiment or a registered model
#: needs ``USE`` on the workspace when the server runs with workspaces on; a user without it can
#: still read what a grant or a role lets them read.
SERVER_ROLES: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    CREATORS_ROLE: ("riskkit team: may create experiments and registered models (developers, service account)",
                    (("workspace", "*", "USE"),)),
    READERS_ROLE: ("riskkit team: reads every experiment and registered model, creates none (validators, reviewers)",
                   (("experiment", "*", "READ"), ("registered_model", "*", "READ"))),
}
_SERVER_ROLE_OF = {"developer": CREATORS_ROLE, "service": CREATORS_ROLE,
                   "validator": READERS_ROLE, "reviewer": READERS_ROLE}


@dataclass(frozen=True)
class Member:
    """One user of the team server.

    Parameters
    ----------
    username : str
        Login name.
    role : str
        One of :data:`ROLES` (developer, validator, reviewer, service).
    password_env : str
        Environment variable holding the password (the team file holds no secret).
    experiments : tuple of str, default ()
        Experiments this member edits (developer and service roles); READ on the others.
    """

    username: str
    role: str
    password_env: str
    experiments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Team:
    """A parsed, validated team file (built by :func:`load_team`).

    Parameters
    ----------
    path : Path
        The team file.
    experiments : tuple of str
        Experiments the team works on.
    registered_models : tuple of str
        Registered models the team promotes.
    members : tuple of Member
        The users.
    admin_username : str, default "admin"
        The server's administrator.
    admin_password_env : str, default "RISKKIT_ADMIN_PASSWORD"
        Environment variable holding the administrator's password.
    """

    path: Path
    experiments: tuple[str, ...]
    registered_models: tuple[str, ...]
    members: tuple[Member, ...]
    admin_username: str = "admin"
    admin_password_env: str = "RISKKIT_ADMIN_PASSWORD"


@dataclass(frozen=True)
class Grant:
    """One permission: ``username`` gets ``permission`` on ``resource`` (an experiment or model name).

    Parameters
    ----------
    username : str
        The user.
    resource_type : {"experiment", "registered_model"}
        Kind of resource.
    resource : str
        Experiment or registered model name.
    permission : {"READ", "EDIT", "MANAGE"}
        MLflow permission.
    """

    username: str
    resource_type: str  # "experiment" | "registered_model"
    resource: str
    permission: str  # READ | EDIT | MANAGE


@dataclass
class ApplyReport:
    """What :func:`apply_team` did, one line per action."""

    actions: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.actions.append(text)


def _fail(path: Path, message: str) -> ConfigError:
    return ConfigError(f"team file {str(path)!r}: {message}")


def _names(path: Path, value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, f"{key} must be a list of names (got {value!r})")
    return tuple(dict.fromkeys(v.strip() for v in value))


def load_team(path: str | Path) -> Team:
    """Read and validate a team file (see ``data/team_roles.example.yaml``).

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    Team
        Experiments, registered models and members.

    Raises
    ------
    ConfigError
        Missing file, invalid YAML, unknown key or role, a duplicated user, a bad environment
        variable name, or a password written into the file.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"team file not found (got {str(file)!r}); start from data/team_roles.example.yaml")
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(file, f"is not valid YAML ({exc})") from None
    if not isinstance(doc, dict):
        raise _fail(file, f"must be a mapping with key 'members' (got {type(doc).__name__})")
    if _mentions_password(doc):
        raise _fail(file, "holds a 'password' key; passwords never go into the file: name the environment "
                          "variable holding each one with 'password_env'")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise _fail(file, f"unknown key(s) {unknown}; allowed keys are {sorted(_TOP_KEYS)}")
    admin = doc.get("admin") or {}
    if not isinstance(admin, dict) or set(admin) - {"username", "password_env"}:
        raise _fail(file, f"admin must be a mapping with 'username' and 'password_env' (got {admin!r})")
    admin_username = str(admin.get("username", "admin"))
    admin_env = str(admin.get("password_env", "RISKKIT_ADMIN_PASSWORD"))
    if not _ENV.match(admin_env):
        raise _fail(file, f"admin.password_env must be an environment variable name (got {admin_env!r})")
    experiments = _names(file, doc.get("experiments"), "experiments")
    models = _names(file, doc.get("registered_models"), "registered_models")
    raw_members = doc.get("members")
    if not isinstance(raw_members, list) or not raw_members:
        raise _fail(file, f"members must be a non-empty list (got {raw_members!r})")
    members: list[Member] = []
    for i, raw in enumerate(raw_members):
        if not isinstance(raw, dict):
            raise _fail(file, f"members[{i}] must be a mapping (got {raw!r})")
        bad = sorted(set(raw) - _MEMBER_KEYS)
        if bad:
            raise _fail(file, f"members[{i}] has unknown key(s) {bad}; allowed keys are {sorted(_MEMBER_KEYS)}")
        username = str(raw.get("username", ""))
        if not _NAME.match(username):
            raise _fail(file, f"members[{i}].username must be letters, digits and _.@- (got {username!r})")
        if username == admin_username:
            raise _fail(file, f"members[{i}].username {username!r} is the admin; give team members their own users")
        role = raw.get("role")
        if role not in ROLES:
            raise _fail(file, f"members[{i}] ({username}) has role {role!r}; choose one of {list(ROLES)}")
        env = str(raw.get("password_env", ""))
        if not _ENV.match(env):
            raise _fail(file, f"members[{i}] ({username}) needs password_env, the name of the environment variable "
                              f"holding the password (got {env!r})")
        own = _names(file, raw.get("experiments"), f"members[{i}].experiments")
        if own and role not in ("developer", "service"):
            raise _fail(file, f"members[{i}] ({username}) is a {role}; only developers and the service account "
                              "have experiments of their own")
        missing = [e for e in own if e not in experiments]
        if missing:
            raise _fail(file, f"members[{i}] ({username}) lists experiment(s) {missing} that are not in the "
                              f"team's experiments {list(experiments)}")
        members.append(Member(username, role, env, own))
    seen: set[str] = set()
    for m in members:
        if m.username in seen:
            raise _fail(file, f"user {m.username!r} appears twice; give each user one role")
        seen.add(m.username)
    return Team(file.resolve(), experiments, models, tuple(members), admin_username, admin_env)


def _mentions_password(node: Any) -> bool:
    if isinstance(node, dict):
        return any((isinstance(k, str) and k.lower() in {"password", "passwd", "secret"}) or _mentions_password(v)
                   for k, v in node.items())
    if isinstance(node, list):
        return any(_mentions_password(v) for v in node)
    return False


def plan_grants(team: Team) -> list[Grant]:
    """The permissions each member gets (see the module docstring for the table).

    Parameters
    ----------
    team : Team
        A loaded team file.

    Returns
    -------
    list of Grant
        One entry per user, resource and permission, experiments before models.
    """
    grants: list[Grant] = []
    for m in team.members:
        for exp in team.experiments:
            edit = m.role in ("developer", "service") and exp in m.experiments
            grants.append(Grant(m.username, "experiment", exp, "EDIT" if edit else "READ"))
        for model in team.registered_models:
            grants.append(Grant(m.username, "registered_model", model, "MANAGE" if m.role == "validator" else "READ"))
    return grants


def describe_server_role(name: str) -> str:
    """The permissions of one of :data:`SERVER_ROLES`, e.g. ``"USE on workspace '*'"``.

    Parameters
    ----------
    name : str
        A key of :data:`SERVER_ROLES`.

    Returns
    -------
    str
    """
    return ", ".join(f"{perm} on {rtype} {pattern!r}" for rtype, pattern, perm in SERVER_ROLES[name][1])


def plan_server_roles(team: Team) -> list[tuple[str, str]]:
    """The MLflow role each member is assigned (see :data:`SERVER_ROLES`).

    Parameters
    ----------
    team : Team
        A loaded team file.

    Returns
    -------
    list of (str, str)
        ``(username, role name)``, one per member: ``riskkit-creators`` for developers and the
        service account, ``riskkit-readers`` for validators and reviewers.
    """
    return [(m.username, _SERVER_ROLE_OF[m.role]) for m in team.members]


def _credentials(username: str, password: str) -> Any:
    return tracking.environment({"MLFLOW_TRACKING_USERNAME": username, "MLFLOW_TRACKING_PASSWORD": password})


def _password(env: Mapping[str, str], name: str, who: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"environment variable {name} (password of {who}) is not set; export it before "
                          "`riskkit team apply` (passwords never go into the team file)")
    if len(value) < _MIN_PASSWORD:
        raise ConfigError(f"password of {who} in {name} is too short ({len(value)} characters); "
                          f"MLflow needs at least {_MIN_PASSWORD}")
    return value


def _status(exc: Exception) -> int | None:
    getter = getattr(exc, "get_http_status_code", None)
    code = getter() if callable(getter) else None
    return int(code) if isinstance(code, int) else None


def _workspaces_enabled(uri: str) -> bool:
    """Whether the server runs with workspaces on (its unauthenticated ``server-info`` answer)."""
    from mlflow.utils.credentials import get_default_host_creds  # lazy: mlflow takes ~1.5 s to import; only for team apply
    from mlflow.utils.rest_utils import http_request  # lazy: mlflow takes ~1.5 s to import; only for team apply

    try:
        response = http_request(get_default_host_creds(uri), "/api/3.0/mlflow/server-info", "GET")
        return bool(response.json().get("workspaces_enabled", False)) if response.status_code == 200 else False
    except Exception:  # noqa: BLE001 (an older server without server-info has no workspaces)
        return False


def _apply_server_roles(auth: Any, team: Team, report: ApplyReport) -> None:
    """Create or correct the roles of :data:`SERVER_ROLES` and assign each member theirs.

    A role row that is not in :data:`SERVER_ROLES` is removed and a member whose role changed loses
    the other riskkit role, so applying the file again leaves exactly what it says.
    """
    from mlflow.utils.workspace_utils import DEFAULT_WORKSPACE_NAME  # lazy: mlflow takes ~1.5 s to import; only for team apply

    roles = {role.name: role for role in auth.list_roles(DEFAULT_WORKSPACE_NAME)}
    role_ids: dict[str, int] = {}
    for name, (description, rows) in SERVER_ROLES.items():
        role = roles.get(name)
        if role is None:
            role = auth.create_role(DEFAULT_WORKSPACE_NAME, name, description)
            report.add(f"created role {name!r} in workspace {DEFAULT_WORKSPACE_NAME!r}")
        role_ids[name] = int(role.id)
        have = {(p.resource_type, p.resource_pattern): p for p in auth.list_role_permissions(role.id)}
        for resource_type, pattern, permission in rows:
            current = have.pop((resource_type, pattern), None)
            if current is None:
                auth.add_role_permission(role.id, resource_type, pattern, permission)
            elif current.permission != permission:
                auth.update_role_permission(current.id, permission)
        for stray in have.values():
            auth.remove_role_permission(stray.id)
        report.add(f"  role {name}: {describe_server_role(name)}")
    for username, wanted in plan_server_roles(team):
        assigned = {role.name for role in auth.list_user_roles(username)}
        if wanted not in assigned:
            auth.assign_role(username, role_ids[wanted])
        for other in SERVER_ROLES:
            if other != wanted and other in assigned:
                auth.unassign_role(username, role_ids[other])
                report.add(f"  {username}: no longer in role {other!r}")
        report.add(f"  {username}: role {wanted!r}")


def apply_team(team: Team, uri: str | None = None, *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Create the team's experiments, registered models and users on an authenticated server and
    set every member's permissions.

    Parameters
    ----------
    team : Team
        A loaded team file.
    uri : str, optional
        The server (default: ``MLFLOW_TRACKING_URI``); must be ``http(s)://``.
    environ : mapping, optional
        Where the passwords are read (default ``os.environ``).

    Returns
    -------
    list of str
        One line per action taken (never a password).

    Raises
    ------
    ConfigError
        A password variable is unset or too short.
    TrackingError
        The server is not an authenticated MLflow server, is unreachable, or refuses the admin.
    """
    with warnings.catch_warnings():  # mlflow.server imports starlette's deprecated WSGI middleware
        warnings.simplefilter("ignore")
        from mlflow.server import get_app_client  # lazy: mlflow takes ~1.5 s to import

    env = os.environ if environ is None else environ
    uri = uri or tracking.tracking_uri()
    if not uri.startswith(("http://", "https://")):
        raise TrackingError(f"team apply needs the team server's http(s) URI (got {uri!r}); "
                            "set MLFLOW_TRACKING_URI or pass --server")
    admin_password = _password(env, team.admin_password_env, f"admin {team.admin_username!r}")
    passwords = {m.username: _password(env, m.password_env, f"{m.role} {m.username!r}") for m in team.members}
    tracking.check_reachable(uri)
    report = ApplyReport()
    admin_hint = f"check ${team.admin_password_env} (the admin's password) and admin.username in {team.path.name}"
    with _credentials(team.admin_username, admin_password):
        with warnings.catch_warnings():  # loading the client imports the auth app's modules
            warnings.simplefilter("ignore")
            auth = get_app_client("basic-auth", tracking_uri=uri)
        client = tracking.client(uri)
        try:
            client.search_experiments(max_results=1)
        except Exception as exc:  # noqa: BLE001 (turned into one riskkit line)
            raise tracking.store_error(exc, uri, f"admin {team.admin_username!r}", hint=admin_hint) from None
        try:
            auth.get_user(team.admin_username)
        except Exception as exc:  # noqa: BLE001 (a server without the auth app has no users API)
            raise TrackingError(
                f"{uri} does not answer MLflow's users API as admin {team.admin_username!r} "
                f"({type(exc).__name__}: {' '.join(str(exc).split())[:160]}); is it running with authentication "
                "(python -m riskkit.app.server --auth)?"
            ) from None
        if not _workspaces_enabled(uri):
            report.add("warning: the server runs without workspaces, so MLflow lets every user create "
                       "experiments and registered models (and log runs into them), reviewers included; "
                       "start it with python -m riskkit.app.server --auth (or mlflow server --enable-workspaces)")
        experiment_ids: dict[str, str] = {}
        for name in team.experiments:
            existing = client.get_experiment_by_name(name)
            if existing is None:
                experiment_ids[name] = str(client.create_experiment(name))
                report.add(f"created experiment {name!r} (id {experiment_ids[name]})")
            else:
                experiment_ids[name] = str(existing.experiment_id)
        for model in team.registered_models:
            try:
                client.get_registered_model(model)
            except Exception as exc:  # noqa: BLE001
                if _status(exc) not in (404, None) and "RESOURCE_DOES_NOT_EXIST" not in str(exc):
                    raise tracking.store_error(exc, uri, f"admin {team.admin_username!r}", hint=admin_hint) from None
                client.create_registered_model(model, description="Created by riskkit team apply; "
                                               "its champion alias is moved by validators only.")
                report.add(f"created registered model {model!r}")
        for member in team.members:
            try:
                auth.get_user(member.username)
                auth.update_user_password(member.username, passwords[member.username])
                report.add(f"user {member.username!r} ({member.role}): password reset from ${member.password_env}")
            except Exception as exc:  # noqa: BLE001
                if "RESOURCE_DOES_NOT_EXIST" not in str(exc) and _status(exc) != 404:
                    raise tracking.store_error(exc, uri, f"admin {team.admin_username!r}", hint=admin_hint) from None
                auth.create_user(member.username, passwords[member.username])
                report.add(f"user {member.username!r} ({member.role}): created, password from ${member.password_env}")
        try:
            _apply_server_roles(auth, team, report)
        except Exception as exc:  # noqa: BLE001
            raise tracking.store_error(exc, uri, f"admin {team.admin_username!r}", hint=admin_hint) from None
        for grant in plan_grants(team):
            resource_id = experiment_ids[grant.resource] if grant.resource_type == "experiment" else grant.resource
            try:
                auth.grant_user_permission(grant.username, grant.resource_type, resource_id, grant.permission)
            except Exception as exc:  # noqa: BLE001
                if "RESOURCE_ALREADY_EXISTS" not in str(exc):
                    raise tracking.store_error(exc, uri, f"admin {team.admin_username!r}", hint=admin_hint) from None
                # applied before: replace the grant so the file stays the record
                auth.revoke_user_permission(grant.username, grant.resource_type, resource_id)
                auth.grant_user_permission(grant.username, grant.resource_type, resource_id, grant.permission)
            report.add(f"  {grant.username}: {grant.permission} on {grant.resource_type} {grant.resource!r}")
    return report.actions
