"""Governance: an authenticated team server, roles, four eyes on the champion, no secrets in runs.

The fast tests check the pieces (password sources, the auth config, secret-looking names, the
team file). The slow ones run against ONE real MLflow server started with its basic-auth app on
loopback for the whole test session (it takes 30-60 s to start), with a team applied by
``riskkit team apply``: a developer, a validator, a reviewer and the scheduled-runs account.
"""

from __future__ import annotations

import json
import socket
import stat
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from riskkit.app import server as server_mod
from riskkit.app import tracking
from riskkit.app.experiments import load_experiment, looks_like_secret
from riskkit.app.pipeline import check_parameters
from riskkit.app.review import promote
from riskkit.app.server import AuthSettings, is_loopback, read_admin_password, server_command, write_auth_config
from riskkit.app.team import SERVER_ROLES, load_team, plan_grants, plan_server_roles
from riskkit.exceptions import ConfigError, ParameterError
from tests.conftest import REPO, cli_inproc, run_cli, write_experiment

# One worker runs the module: its server / runs are built once in a shared fixture.
pytestmark = pytest.mark.xdist_group("governance")

PROBE = str(REPO / "tests" / "notebooks" / "probe.ipynb")
MODEL_NB = str(REPO / "tests" / "notebooks" / "model.ipynb")
EXAMPLE_TEAM = REPO / "data" / "team_roles.example.yaml"


# --------------------------------------------------------------------------- secrets in parameters
@pytest.mark.parametrize("name", ["password", "db_password", "dbPassword", "api_key", "apiKey", "key", "API_KEY",
                                  "access_token", "token", "client_secret", "aws_secret_access_key",
                                  "credentials", "smtp_credential", "private-key"])
def test_secret_looking_names_are_recognised(name: str) -> None:
    assert looks_like_secret(name)


@pytest.mark.parametrize("name", ["keyword", "monkey", "keys", "join_keys", "sort_key", "primary_key",
                                  "max_tokens", "tokenizer", "secretary", "alpha", "window", "quality",
                                  "n_estimators", "passenger"])
def test_harmless_names_are_not_secrets(name: str) -> None:
    assert not looks_like_secret(name)


def test_runner_refuses_secret_parameters() -> None:
    with pytest.raises(ConfigError, match=r"\['api_key', 'db_password'\] look like credentials.*environment variable"):
        check_parameters(Path(PROBE), {"value": "x", "db_password": "hunter2", "api_key": "abc"})
    check_parameters(Path(PROBE), {"value": "keyword"})  # a harmless name passes


def test_experiment_file_refuses_secret_parameters_and_tags(tmp_path: Path) -> None:
    bad = write_experiment(tmp_path / "bad.yaml", experiment="x", notebook=PROBE, parameters={"token": "abc"})
    with pytest.raises(ConfigError, match=r"bad.yaml.*\['token'\] look like credentials"):
        load_experiment(bad)
    tag = write_experiment(tmp_path / "tag.yaml", experiment="x", notebook=PROBE, tags={"smtp_password": "abc"})
    with pytest.raises(ConfigError, match=r"tag\(s\) \['smtp_password'\]"):
        load_experiment(tag)
    flag = write_experiment(tmp_path / "flag.yaml", experiment="x", notebook=PROBE, allow_self_promotion="yes")
    with pytest.raises(ConfigError, match="allow_self_promotion' must be true or false"):
        load_experiment(flag)
    ok = write_experiment(tmp_path / "ok.yaml", experiment="x", notebook=PROBE, allow_self_promotion=True)
    assert load_experiment(ok).allow_self_promotion is True


def test_cli_refuses_a_secret_override(tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "probe.yaml", experiment="x", notebook=PROBE)
    # refused before any store is contacted (this URI would not answer)
    result = run_cli("run", str(exp), "-p", "api_key=abc", env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"})
    assert result.returncode == 2
    assert "look like credentials" in result.stderr and "environment variable" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- server launcher
def test_admin_password_from_environment_or_private_file(tmp_path: Path) -> None:
    assert read_admin_password(environ={"RISKKIT_ADMIN_PASSWORD": "a-long-password-1"}) == "a-long-password-1"
    with pytest.raises(ConfigError, match="set RISKKIT_ADMIN_PASSWORD or point --admin-password-file"):
        read_admin_password(environ={})
    with pytest.raises(ConfigError, match="too short"):
        read_admin_password(environ={"RISKKIT_ADMIN_PASSWORD": "short"})
    secret = tmp_path / "admin.pw"
    secret.write_text("file-password-123\n")
    secret.chmod(0o600)
    assert read_admin_password(secret, environ={}) == "file-password-123"
    assert read_admin_password(environ={"RISKKIT_ADMIN_PASSWORD_FILE": str(secret)}) == "file-password-123"
    for mode in (0o640, 0o604, 0o644):
        secret.chmod(mode)
        with pytest.raises(ConfigError, match=rf"readable by others \(mode 0{mode:o}\).*chmod 600"):
            read_admin_password(secret, environ={})
    with pytest.raises(ConfigError, match="admin password file not found"):
        read_admin_password(tmp_path / "missing", environ={})


def test_auth_config_is_private_and_holds_no_password(tmp_path: Path) -> None:
    ini = write_auth_config(tmp_path / "auth", AuthSettings("never-on-disk-123", "boss"))
    assert stat.S_IMODE(ini.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    text = ini.read_text()
    assert "never-on-disk-123" not in text
    assert f"database_uri = sqlite:///{tmp_path / 'auth' / 'auth.db'}" in text
    assert "admin_username = boss" in text and "default_permission = READ" in text
    assert "auth_cache_ttl_seconds = 30" in text  # a login's scrypt check once per 30 s, not per request
    for bad in (-1, 3601, "30", True):
        with pytest.raises(ConfigError, match="auth_cache_seconds must be a whole number"):
            write_auth_config(tmp_path / "y", AuthSettings("never-on-disk-123", auth_cache_seconds=bad))  # type: ignore[arg-type]
    assert "never-on-disk-123" not in repr(AuthSettings("never-on-disk-123"))
    with pytest.raises(ConfigError, match="default_permission must be"):
        write_auth_config(tmp_path / "x", AuthSettings("never-on-disk-123", default_permission="ALL"))
    command = server_command("127.0.0.1", 5000, "sqlite:///x.db", "/tmp/a", auth=True)
    assert command[-2:] == ["--app-name", "basic-auth"]
    assert "--enable-workspaces" in command  # creating needs USE on the workspace (riskkit team apply)
    assert "--enable-workspaces" not in server_command("127.0.0.1", 5000, "sqlite:///x.db", "/tmp/a")
    assert "never-on-disk-123" not in " ".join(command)


def test_non_loopback_needs_auth_or_insecure(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3") and not is_loopback("mlflow.example.com")
    with pytest.raises(ConfigError, match=r"refusing to serve without authentication on '0.0.0.0'.*--auth"):
        server_mod.start_server(tmp_path, host="0.0.0.0")
    assert server_mod.main(["--host", "0.0.0.0"]) == 2
    assert "--insecure" in capsys.readouterr().err

    started: dict[str, Any] = {}

    class _Done:
        def wait(self) -> int:
            return 0

        def poll(self) -> int:
            return 0

    def fake_start(**kwargs: Any) -> tuple[_Done, str]:
        started.update(kwargs)
        return _Done(), "http://0.0.0.0:5000"

    monkeypatch.setattr(server_mod, "start_server", fake_start)
    assert server_mod.main(["--host", "0.0.0.0", "--insecure"]) == 0
    assert "WITHOUT authentication" in capsys.readouterr().err
    assert started["insecure"] is True and started["auth"] is None
    monkeypatch.setenv("RISKKIT_ADMIN_PASSWORD", "env-password-1234")
    assert server_mod.main(["--host", "0.0.0.0", "--auth"]) == 0
    assert "WITHOUT" not in capsys.readouterr().err
    assert started["auth"].admin_password == "env-password-1234"


# --------------------------------------------------------------------------- team file
def test_example_team_file_and_its_permissions() -> None:
    team = load_team(EXAMPLE_TEAM)
    roles = {m.username: m.role for m in team.members}
    assert roles == {"alice": "developer", "bob": "developer", "victor": "validator", "rita": "reviewer",
                     "svc-scheduler": "service"}
    grants = {(g.username, g.resource_type, g.resource): g.permission for g in plan_grants(team)}
    assert grants[("alice", "experiment", "credit-scorecard")] == "EDIT"
    assert grants[("alice", "experiment", "market-var")] == "READ"
    assert grants[("alice", "registered_model", "credit-scorecard")] == "READ"
    assert grants[("victor", "registered_model", "credit-xgboost")] == "MANAGE"
    assert {p for (u, kind, _), p in grants.items() if u == "victor" and kind == "experiment"} == {"READ"}
    assert {p for (u, _kind, _), p in grants.items() if u == "rita"} == {"READ"}
    assert grants[("svc-scheduler", "experiment", "market-var")] == "EDIT"
    assert grants[("svc-scheduler", "registered_model", "credit-scorecard")] == "READ"
    assert "password:" not in EXAMPLE_TEAM.read_text()
    # who may create experiments and registered models: the workspace grant, creators only
    assert dict(plan_server_roles(team)) == {"alice": "riskkit-creators", "bob": "riskkit-creators",
                                             "victor": "riskkit-readers", "rita": "riskkit-readers",
                                             "svc-scheduler": "riskkit-creators"}
    assert SERVER_ROLES["riskkit-creators"][1] == (("workspace", "*", "USE"),)
    assert all(perm == "READ" and kind != "workspace" for kind, _, perm in SERVER_ROLES["riskkit-readers"][1])


@pytest.mark.parametrize(("change", "message"), [
    ({"members": [{"username": "a", "role": "developer", "password_env": "A_PW", "password": "x"}]},
     "passwords never go into the file"),
    ({"members": [{"username": "a", "role": "boss", "password_env": "A_PW"}]}, "has role 'boss'"),
    ({"members": [{"username": "a", "role": "developer", "password_env": "not a var"}]}, "needs password_env"),
    ({"members": [{"username": "a", "role": "developer", "password_env": "A_PW", "experiments": ["nope"]}]},
     r"lists experiment\(s\) \['nope'\]"),
    ({"members": [{"username": "a", "role": "reviewer", "password_env": "A_PW", "experiments": ["e"]}]},
     "only developers and the service account"),
    ({"members": [{"username": "a", "role": "reviewer", "password_env": "A_PW"},
                  {"username": "a", "role": "validator", "password_env": "B_PW"}]}, "appears twice"),
    ({"members": []}, "members must be a non-empty list"),
    ({"teams": 1}, r"unknown key\(s\) \['teams'\]"),
])
def test_team_file_problems_are_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    doc = {"experiments": ["e"], "registered_models": ["m"],
           "members": [{"username": "a", "role": "developer", "password_env": "A_PW"}], **change}
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=message):
        load_team(path)


def test_promote_needs_a_reason() -> None:
    with pytest.raises(ParameterError, match="promote needs a reason"):
        promote("0" * 32, reason="  ")


# --------------------------------------------------------------------------- the real server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PASSWORDS = {
    "admin": "admin-secret-0001",
    "dora": "dora-secret-0002",       # developer
    "val": "val-secret-0003",         # validator
    "rev": "rev-secret-0004",         # reviewer
    "svc": "svc-secret-0005",         # scheduled runs
}
EXPERIMENT = "gov-credit"
MODEL = "gov-credit"


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """ONE authenticated server for the session, with the team applied by ``riskkit team apply``."""
    root = tmp_path_factory.mktemp("auth-server")
    process, uri = server_mod.start_server(root, port=_free_port(), timeout=300,
                                           auth=AuthSettings(PASSWORDS["admin"]))
    try:
        team = root / "team.yaml"
        team.write_text(yaml.safe_dump({
            "experiments": [EXPERIMENT, "gov-other"],
            "registered_models": [MODEL],
            "members": [
                {"username": "dora", "role": "developer", "password_env": "PW_DORA", "experiments": [EXPERIMENT]},
                {"username": "val", "role": "validator", "password_env": "PW_VAL"},
                {"username": "rev", "role": "reviewer", "password_env": "PW_REV"},
                {"username": "svc", "role": "service", "password_env": "PW_SVC", "experiments": ["gov-other"]},
            ],
        }))
        env = {"RISKKIT_ADMIN_PASSWORD": PASSWORDS["admin"], "PW_DORA": PASSWORDS["dora"],
               "PW_VAL": PASSWORDS["val"], "PW_REV": PASSWORDS["rev"], "PW_SVC": PASSWORDS["svc"],
               "MLFLOW_TRACKING_URI": uri}
        applied = run_cli("team", "apply", str(team), env=env)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "user 'dora' (developer): created" in applied.stdout
        assert "rev: role 'riskkit-readers'" in applied.stdout and "warning" not in applied.stdout
        again = cli_inproc("team", "apply", str(team), env=env)  # applying twice is harmless
        assert again.returncode == 0 and "password reset" in again.stdout, again.stdout + again.stderr
        assert "created role" not in again.stdout and "no longer in role" not in again.stdout
        yield {"uri": uri, "root": root, "team": team}
    finally:
        server_mod.stop_server(process)


def _as(user: str, uri: str, home: Path | str) -> dict[str, str]:
    return {"MLFLOW_TRACKING_URI": uri, "MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": PASSWORDS[user],
            "RISKKIT_HOME": str(home)}


class _Login:
    """An MlflowClient logged in as one user (credentials set only while it is used)."""

    def __init__(self, user: str, uri: str, password: str | None = None) -> None:
        self.env = {"MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": password or PASSWORDS[user]}
        self.uri = uri

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        from mlflow import MlflowClient

        with tracking.environment(self.env):
            return getattr(MlflowClient(self.uri), method)(*args, **kwargs)


@pytest.fixture(scope="module")
def developer_run(auth_server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The developer runs the model notebook into their experiment (gates in the file)."""
    tmp = tmp_path_factory.mktemp("dev")
    exp = write_experiment(tmp / "gov.yaml", experiment=EXPERIMENT, notebook=MODEL_NB, register_model=MODEL,
                           gates=["auc_test >= 0.75"])
    result = run_cli("run", str(exp), env=_as("dora", auth_server["uri"], tmp / "home"))
    assert result.returncode == 0, result.stdout + result.stderr
    admin = _Login("admin", auth_server["uri"])
    experiment_id = admin("get_experiment_by_name", EXPERIMENT).experiment_id
    run = admin("search_runs", [experiment_id])[0]
    return {"run_id": run.info.run_id, "home": tmp / "home", "experiment_id": experiment_id, "file": exp}


@pytest.mark.slow
def test_unauthenticated_and_wrong_credentials_get_401(auth_server: dict[str, Any]) -> None:
    url = auth_server["uri"] + "/api/2.0/mlflow/experiments/search?max_results=5"
    with pytest.raises(urllib.error.HTTPError, match="401") as anonymous:
        urllib.request.urlopen(url, timeout=10)  # noqa: S310 (loopback test server)
    assert anonymous.value.code == 401
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException, match="401"):
        _Login("dora", auth_server["uri"], password="not-her-password")("search_experiments")


@pytest.mark.slow
def test_wrong_credentials_from_riskkit_run_are_one_line(auth_server: dict[str, Any], tmp_path: Path) -> None:
    exp = write_experiment(tmp_path / "probe.yaml", experiment=EXPERIMENT, notebook=PROBE)
    env = {**_as("dora", auth_server["uri"], tmp_path), "MLFLOW_TRACKING_PASSWORD": "not-her-password"}
    result = run_cli("run", str(exp), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "401 unauthenticated: the tracking server" in lines[0] and "user 'dora'" in lines[0]
    assert "MLFLOW_TRACKING_PASSWORD" in lines[0]
    assert "not-her-password" not in result.stderr + result.stdout


@pytest.mark.slow
def test_reviewer_reads_but_cannot_log_a_run_or_move_an_alias(auth_server: dict[str, Any],
                                                              developer_run: dict[str, Any]) -> None:
    from mlflow.exceptions import MlflowException

    rev = _Login("rev", auth_server["uri"])
    assert rev("get_run", developer_run["run_id"]).info.run_id == developer_run["run_id"]  # READ
    with pytest.raises(MlflowException, match="403"):
        rev("create_run", developer_run["experiment_id"])
    with pytest.raises(MlflowException, match="403"):
        rev("log_metric", developer_run["run_id"], "auc_test", 0.99)
    with pytest.raises(MlflowException, match="403"):
        rev("set_registered_model_alias", MODEL, "champion", "1")
    ran = run_cli("run", str(developer_run["file"]), env=_as("rev", auth_server["uri"], developer_run["home"]))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "403 permission denied: user 'rev' may not do this" in ran.stdout, ran.stdout
    refused = cli_inproc("promote", developer_run["run_id"], "--reason", "looks fine to me",
                      env=_as("rev", auth_server["uri"], developer_run["home"]))
    assert refused.returncode == 2
    assert "403 permission denied: user 'rev'" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.slow
def test_only_developers_and_the_service_account_create(auth_server: dict[str, Any]) -> None:
    """Reviewers and validators create no experiment, run or registered model anywhere (MLflow's
    basic auth alone lets every user create and own them); developers and the service account do."""
    from mlflow.exceptions import MlflowException

    for user in ("rev", "val"):
        login = _Login(user, auth_server["uri"])
        assert login("get_experiment_by_name", "gov-other") is not None  # READ on every experiment
        with pytest.raises(MlflowException, match="403"):
            login("create_experiment", f"{user}-own")
        with pytest.raises(MlflowException, match="403"):
            login("create_registered_model", f"{user}-own-model")
        with pytest.raises(MlflowException, match="403"):
            login("create_run", "0")  # the Default experiment: READ like every other
        assert login("get_experiment_by_name", f"{user}-own") is None
    for user in ("dora", "svc"):
        login = _Login(user, auth_server["uri"])
        own = login("create_experiment", f"{user}-scratch")
        login("set_terminated", login("create_run", own).info.run_id)
    assert _Login("rev", auth_server["uri"])("get_experiment", own).name == "svc-scratch"  # and reads them


@pytest.mark.slow
def test_developer_cannot_promote_own_run(auth_server: dict[str, Any], developer_run: dict[str, Any]) -> None:
    from mlflow.exceptions import MlflowException

    run = _Login("dora", auth_server["uri"])("get_run", developer_run["run_id"])
    assert run.info.user_id == "dora" and run.data.tags["mlflow.user"] == "dora"
    # the runner could not register the version: developers only READ the registered model
    assert "403" in run.data.tags.get("riskkit.register_error", "")
    refused = cli_inproc("promote", developer_run["run_id"], "--reason", "my model is great",
                      env=_as("dora", auth_server["uri"], developer_run["home"]))
    assert refused.returncode == 2
    assert "user 'dora' created run" in refused.stderr and "four eyes" in refused.stderr
    assert "Traceback" not in refused.stderr
    # nor around riskkit, straight at the registry
    with pytest.raises(MlflowException, match="403"):
        _Login("dora", auth_server["uri"])("create_model_version", MODEL, "models:/whatever",
                                           run_id=developer_run["run_id"])


@pytest.mark.slow
def test_service_account_logs_only_into_its_experiments(auth_server: dict[str, Any],
                                                        developer_run: dict[str, Any]) -> None:
    from mlflow.exceptions import MlflowException

    svc = _Login("svc", auth_server["uri"])
    other = svc("get_experiment_by_name", "gov-other").experiment_id
    run = svc("create_run", other)
    svc("set_terminated", run.info.run_id)
    with pytest.raises(MlflowException, match="403"):
        svc("create_run", developer_run["experiment_id"])
    with pytest.raises(MlflowException, match="403"):
        svc("set_registered_model_alias", MODEL, "champion", "1")


@pytest.mark.slow
def test_validator_promotes_and_the_audit_trail_shows_it(auth_server: dict[str, Any],
                                                         developer_run: dict[str, Any]) -> None:
    env = _as("val", auth_server["uri"], developer_run["home"])
    reason = "independent validation VAL-2026-07 passed; memo in the model file"
    done = run_cli("promote", developer_run["run_id"], "--reason", reason, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"models:/{MODEL}@champion" in done.stdout and "promoted by val" in done.stdout

    val = _Login("val", auth_server["uri"])
    version = val("get_model_version_by_alias", MODEL, "champion")
    assert version.run_id == developer_run["run_id"]
    tags = version.tags
    assert tags["riskkit.promoted_by"] == "val" and tags["riskkit.run_author"] == "dora"
    assert tags["riskkit.promotion_reason"] == reason
    assert tags["riskkit.promotion_gates"] == "auc_test >= 0.75 = 0.9 PASS"
    events = [json.loads(v) for k, v in tags.items() if k.startswith("riskkit.promotion.")]
    assert len(events) == 1 and events[0]["by"] == "val" and events[0]["alias"] == "champion"
    assert "Promoted to @champion by val" in version.description and reason in version.description

    trail = cli_inproc("promotions", MODEL, "--format", "csv", env=env)
    assert trail.returncode == 0, trail.stderr
    lines = trail.stdout.strip().splitlines()
    assert lines[0] == "at,alias,version,run_id,promoted_by,run_author,reason,gates,previous_version"
    assert len(lines) == 2
    row = lines[1].split(",")
    assert row[1:6] == ["champion", version.version, developer_run["run_id"], "val", "dora"]
    # a reviewer reads the trail too
    assert cli_inproc("promotions", MODEL, env=_as("rev", auth_server["uri"], developer_run["home"])).returncode == 0
    unknown = cli_inproc("promotions", "no-such-model", env=env)
    assert unknown.returncode == 2 and "unknown registered model 'no-such-model'" in unknown.stderr


@pytest.mark.slow
def test_no_credentials_in_the_run(auth_server: dict[str, Any], developer_run: dict[str, Any]) -> None:
    """The developer's password appears in no parameter, tag, logged file or executed notebook."""
    secret = PASSWORDS["dora"]
    admin = _Login("admin", auth_server["uri"])
    run = admin("get_run", developer_run["run_id"])
    for name, value in {**run.data.params, **run.data.tags}.items():
        assert secret not in name and secret not in value, name
    assert not any(looks_like_secret(name) for name in run.data.params)
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(admin("download_artifacts", developer_run["run_id"], "", tmp))
        files = [p for p in local.rglob("*") if p.is_file()]
        assert any(p.suffix == ".ipynb" for p in files) and any(p.name == "params.json" for p in files)
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
    executed = list(Path(developer_run["home"], "runs").rglob("*.ipynb"))
    assert executed
    for path in executed:
        assert secret not in path.read_text(encoding="utf-8"), path


def test_four_eyes_on_a_local_store(store: dict[str, str], tmp_path: Path) -> None:
    """Self-promotion is refused; an --experiment-file override cannot switch it off; another user
    passes the check (and then meets the next one: this run logged no model)."""
    from mlflow import MlflowClient

    from riskkit.exceptions import AuthorizationError

    strict = write_experiment(tmp_path / "strict.yaml", experiment="four-eyes", notebook=PROBE)
    lenient = write_experiment(tmp_path / "lenient.yaml", experiment="four-eyes", notebook=PROBE,
                               allow_self_promotion=True)
    client = MlflowClient(store["uri"])
    experiment_id = client.create_experiment("four-eyes")

    def finished_run(author: str, experiment_file: Path) -> str:
        run = client.create_run(experiment_id, tags={"mlflow.user": author,
                                                     "riskkit.experiment_path": str(experiment_file)})
        client.set_terminated(run.info.run_id)
        return str(run.info.run_id)

    mine = finished_run("dora", strict)
    with pytest.raises(AuthorizationError, match=r"user 'dora' created run .* cannot promote it \(four eyes\)"):
        promote(mine, reason="mine is best", user="dora")
    with pytest.raises(AuthorizationError, match="four eyes"):
        promote(mine, reason="mine is best", user="dora", experiment_file=lenient)
    with pytest.raises(ConfigError, match="logged no model"):
        promote(mine, reason="validated", user="val")
    unknown = finished_run("unknown", strict)
    with pytest.raises(AuthorizationError, match="does not record who created it"):
        promote(unknown, reason="validated", user="val")
    allowed = finished_run("dora", lenient)
    with pytest.raises(ConfigError, match="logged no model"):  # past four eyes: the file allows it
        promote(allowed, reason="one-person store", user="dora")
