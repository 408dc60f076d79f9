"""``riskkit alerts list|show|ack|assign|resolve|redeliver|escalate`` through the real command
(``python -m riskkit.cli`` in a subprocess), including bad input, and escalation once."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from riskkit.app.alerts import AlertLedger, Notifier
from riskkit.grading import Alert
from tests.conftest import run_cli

HOST = "127.0.0.1"


def _ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds")


def _alert(indicator: str, level: str, minutes_ago: float) -> Alert:
    return Alert(indicator=indicator, value=1.0, level=level, threshold=0.5, direction="above",
                 message=f"{indicator} breached", created_at=_ago(minutes_ago))


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, dict[str, Alert]]:
    path = tmp_path / "ledger.sqlite"
    alerts = {"old_red": _alert("score_psi", "red", 180), "new_red": _alert("var_exceptions", "red", 5),
              "old_yellow": _alert("auc_decay", "yellow", 120), "blue": _alert("liquidity", "blue", 1)}
    AlertLedger(path).enqueue(alerts.values())
    return path, alerts


def _cli(*args: str, user: str = "alice") -> Any:
    return run_cli("alerts", *args, env={"USER": user, "RISKKIT_ALERT_LEDGER": ""}, timeout=120)


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def inproc(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The same command in this process (riskkit.cli.main): for the extra cases, to keep the
    suite fast; every subcommand also runs as a real subprocess below."""
    from riskkit.cli import main

    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("RISKKIT_ALERT_LEDGER", "")

    def call(*args: str) -> _Result:
        capsys.readouterr()
        try:
            code = main(["alerts", *args])
        except SystemExit as exc:  # argparse errors
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return _Result(code, out.out, out.err)

    return call


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_list_filters_by_status_level_and_age(seeded: tuple[Path, dict[str, Alert]], inproc: Any) -> None:
    path, alerts = seeded
    out = _cli("list", "--ledger", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [r["alert_id"] for r in json.loads(out.stdout)] == [
        a.alert_id for a in sorted(alerts.values(), key=lambda a: a.created_at)]
    red = json.loads(inproc("list", "--ledger", str(path), "--level", "red", "--format", "json").stdout)
    assert {r["indicator"] for r in red} == {"score_psi", "var_exceptions"}
    old = json.loads(inproc("list", "--ledger", str(path), "--older-than", "1h", "--format", "json").stdout)
    assert {r["indicator"] for r in old} == {"score_psi", "auc_decay"}
    AlertLedger(path).resolve(alerts["old_red"].alert_id, by="bob")
    text = _cli("list", "--ledger", str(path), "--status", "open", "--older-than", "90m")
    assert text.returncode == 0 and "auc_decay" in text.stdout and "score_psi" not in text.stdout
    assert alerts["old_yellow"].alert_id[:12] in text.stdout  # the short id a person types next
    none = inproc("list", "--ledger", str(path), "--status", "resolved", "--level", "blue")
    assert none.returncode == 0 and none.stdout.strip() == "no alerts match"


@pytest.mark.parametrize(("args", "pattern"), [
    (["list", "--older-than", "2"], "riskkit alerts list: --older-than must be a number with a unit s, m, h, d or w (got '2')"),
    (["show", "ffffffffffff"], "riskkit alerts show: alert_id is not in the ledger (got alert_id='ffffffffffff')"),
    (["ack", "abc"], "riskkit alerts ack: alert_id is not in the ledger (got alert_id='abc')"),
])
def test_bad_input_is_one_line_and_exit_2(seeded: tuple[Path, dict[str, Alert]], args: list[str], pattern: str) -> None:
    path, _ = seeded
    before = _digest(path)
    out = _cli(*args, "--ledger", str(path))
    assert out.returncode == 2 and out.stderr.startswith(pattern) and len(out.stderr.strip().splitlines()) == 1
    assert _digest(path) == before


def test_every_acting_command_refuses_bad_input_and_leaves_the_ledger_alone(
        seeded: tuple[Path, dict[str, Alert]], inproc: Any) -> None:
    path, _ = seeded
    no_escalation = Path(__file__).resolve().parents[3] / "data" / "early_warning.yaml"
    before = _digest(path)
    for args, message in [
        (["assign", "abcdef", "dave"], "riskkit alerts assign: alert_id is not in the ledger (got alert_id='abcdef')"),
        (["resolve", "abcdef"], "riskkit alerts resolve: alert_id is not in the ledger (got alert_id='abcdef')"),
        (["redeliver", "--config", "/nonexistent/ew.yaml"],
         "riskkit alerts redeliver: path does not exist or is not a file (got path='/nonexistent/ew.yaml')"),
        (["escalate", "--config", str(no_escalation)],
         f"riskkit alerts escalate: {no_escalation} has no escalation block"),
    ]:
        out = inproc(*args, "--ledger", str(path))
        assert out.returncode == 2 and out.stderr.startswith(message), (args, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1
    assert _digest(path) == before


def test_missing_ledger_exit_2(tmp_path: Path, inproc: Any) -> None:
    out = inproc("list", "--ledger", str(tmp_path / "nope.sqlite"))
    assert out.returncode == 2
    assert out.stderr.startswith("riskkit alerts list: ledger does not exist (got ledger=")
    assert not (tmp_path / "nope.sqlite").exists()
    negative = inproc("list", "--ledger", str(tmp_path / "nope.sqlite"), "--older-than=-1h")
    assert negative.returncode == 2 and "--older-than must be a number with a unit" in negative.stderr
    bad_level = inproc("list", "--ledger", str(tmp_path / "nope.sqlite"), "--level", "purple")
    assert bad_level.returncode == 2 and "invalid choice: 'purple'" in bad_level.stderr


def test_ack_assign_resolve_keep_an_audit_trail(seeded: tuple[Path, dict[str, Alert]], inproc: Any) -> None:
    path, alerts = seeded
    red = alerts["old_red"].alert_id
    out = _cli("ack", red[:10], "--ledger", str(path), "-m", "looking into the March cohort")  # $USER
    assert out.returncode == 0 and out.stdout.strip() == f"alert {red} acknowledged by alice"
    out = _cli("assign", red, "carol", "--ledger", str(path), "--user", "bob", "-m", "owns the scorecard")
    assert out.returncode == 0 and out.stdout.strip() == f"alert {red} assigned to carol by bob"
    out = _cli("resolve", red, "--ledger", str(path), "--user", "carol", "-m", "recalibrated")
    assert out.returncode == 0, out.stderr
    shown = json.loads(inproc("show", red[:8], "--ledger", str(path), "--format", "json").stdout)
    assert shown["alert"]["status"] == "resolved" and shown["alert"]["assignee"] == "carol"
    assert shown["alert"]["acknowledged_by"] == "alice" and shown["alert"]["resolved_by"] == "carol"
    trail = [(r["user"], r["action"], r["comment"]) for r in shown["audit"]]
    assert trail == [("riskkit", "created", alerts["old_red"].subject),
                     ("alice", "acknowledged", "looking into the March cohort"),
                     ("bob", "assigned", "to carol: owns the scorecard"),
                     ("carol", "resolved", "recalibrated")]
    text = _cli("show", red, "--ledger", str(path))
    assert text.returncode == 0 and "audit trail:" in text.stdout and "recalibrated" in text.stdout

    # invalid state changes: one line, exit 2, the file untouched
    before = _digest(path)
    for args, message in [
        (["resolve", red], f"riskkit alerts resolve: alert {red} is resolved: it cannot be resolved"),
        (["ack", red], f"riskkit alerts ack: alert {red} is resolved: it cannot be acknowledged"),
    ]:
        out = _cli(*args, "--ledger", str(path))
        assert out.returncode == 2, out.stdout
        assert out.stderr.startswith(message) and len(out.stderr.strip().splitlines()) == 1
    assigned = inproc("assign", red, "dave", "--ledger", str(path))
    assert assigned.returncode == 2 and assigned.stderr.startswith(
        f"riskkit alerts assign: alert {red} is resolved: it cannot be assigned")
    assert _digest(path) == before
    yellow = alerts["old_yellow"].alert_id
    assert inproc("ack", yellow, "--ledger", str(path)).returncode == 0
    before = _digest(path)
    twice = inproc("ack", yellow, "--ledger", str(path))
    assert twice.returncode == 2 and "is acknowledged: it cannot be acknowledged (allowed from new)" in twice.stderr
    nobody = _cli("ack", alerts["blue"].alert_id, "--ledger", str(path), user="")
    assert nobody.returncode == 2 and "no user to record in the audit trail" in nobody.stderr
    assert _digest(path) == before


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    server = HTTPServer((HOST, 0), type("Hook", (_Hook,), {"received": received}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{HOST}:{server.server_port}/oncall", received
    finally:
        server.shutdown()
        server.server_close()


def _config(tmp_path: Path, url: str, escalation: dict[str, Any] | None = None, name: str = "ew.yaml") -> Path:
    doc: dict[str, Any] = {
        "indicators": {"score_psi": {"direction": "above", "thresholds": {"red": 0.25}}},
        "channels": [{"type": "log", "min_level": "blue"},
                     {"type": "webhook", "url": url, "name": "oncall", "escalation_only": True, "timeout": 5,
                      "retries": 0}],
    }
    if escalation:
        doc["escalation"] = escalation
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


def test_redeliver_sends_pending_alerts_once(seeded: tuple[Path, dict[str, Alert]], tmp_path: Path,
                                             hook: tuple[str, list[dict[str, Any]]], inproc: Any) -> None:
    path, _ = seeded  # all four are pending: a run was killed before delivering them
    config = _config(tmp_path, hook[0])
    out = _cli("redeliver", "--ledger", str(path), "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("4 alert(s); 4 delivery(ies) succeeded, 0 failed")
    assert set(AlertLedger(path).alerts()["delivery"]) == {"delivered"}
    again = inproc("redeliver", "--ledger", str(path), "--config", str(config))
    assert again.returncode == 0 and again.stdout.startswith("0 alert(s); 0 delivery(ies)")
    assert hook[1] == []  # the escalation-only channel got no routine alert
    bad = inproc("redeliver", "--ledger", str(path), "--config", str(tmp_path / "missing.yaml"))
    assert bad.returncode == 2 and "path does not exist or is not a file" in bad.stderr


def test_redeliver_exit_1_when_a_channel_still_fails(tmp_path: Path, inproc: Any) -> None:
    path = tmp_path / "l.sqlite"
    AlertLedger(path).append(_alert("score_psi", "red", 1))
    doc = {"indicators": {"score_psi": {"direction": "above", "thresholds": {"red": 0.25}}},
           "channels": [{"type": "webhook", "url": "http://127.0.0.1:9/x", "timeout": 2, "retries": 0}]}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(doc))
    out = inproc("redeliver", "--ledger", str(path), "--config", str(tmp_path / "c.yaml"))
    assert out.returncode == 1 and "1 failed" in out.stdout and "webhook channel (url='http://127.0.0.1:9/x')" in out.stdout
    assert AlertLedger(path).alerts()["delivery"].tolist() == ["undelivered"]


def test_unacknowledged_red_alert_is_escalated_once(seeded: tuple[Path, dict[str, Alert]], tmp_path: Path,
                                                    hook: tuple[str, list[dict[str, Any]]], inproc: Any) -> None:
    path, alerts = seeded
    url, received = hook
    no_block = inproc("escalate", "--ledger", str(path), "--config", str(_config(tmp_path, url, name="plain.yaml")))
    assert no_block.returncode == 2 and "has no escalation block" in no_block.stderr
    config = _config(tmp_path, url, {"after_minutes": 60, "channel": "oncall"})
    out = _cli("escalate", "--ledger", str(path), "--config", str(config))
    assert out.returncode == 0, out.stderr
    # only the red alert older than 60 minutes and not acknowledged; the 5-minute-old one waits
    assert [r["alert_id"] for r in received] == [alerts["old_red"].alert_id]
    assert received[0]["escalation"].startswith("ESCALATED, not acknowledged after 60 min: RED score_psi=1")
    again = inproc("escalate", "--ledger", str(path), "--config", str(config))
    assert again.returncode == 0 and len(received) == 1  # once
    shown = json.loads(inproc("show", alerts["old_red"].alert_id, "--ledger", str(path), "--format", "json").stdout)
    assert shown["alert"]["escalated_to"] == "oncall" and shown["alert"]["escalated_at"]
    assert ("riskkit", "escalated") in [(r["user"], r["action"]) for r in shown["audit"]]
    assert [(d["channel"], d["kind"], d["ok"]) for d in shown["deliveries"]] == [("oncall", "escalation", 1)]


def test_notify_and_redeliver_trigger_escalation_and_ack_prevents_it(tmp_path: Path,
                                                                    hook: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = hook
    path = tmp_path / "l.sqlite"
    ledger = AlertLedger(path)
    acked, waiting = _alert("a", "red", 200), _alert("b", "red", 200)
    ledger.enqueue([acked, waiting])
    ledger.acknowledge(acked.alert_id, by="alice")
    config = yaml.safe_load(_config(tmp_path, url, {"after_minutes": 30, "channel": "oncall"}).read_text())
    notifier = Notifier.from_dict(config, ledger=path)
    report = notifier.notify([])
    assert [r["alert_id"] for r in received] == [waiting.alert_id]
    assert report.escalations["ok"].tolist() == [True]
    assert notifier.redeliver(force=True).escalations.empty and len(received) == 1
    fresh = _alert("c", "red", 45)
    notifier.notify([fresh])  # recorded and, being older than 30 minutes already, escalated
    assert [r["alert_id"] for r in received] == [waiting.alert_id, fresh.alert_id]


def test_escalation_configuration_errors(tmp_path: Path) -> None:
    from riskkit.exceptions import ConfigError

    base = {"channels": [{"type": "log", "name": "ops"}]}
    with pytest.raises(ConfigError, match=r"escalation.channel must name a channel \(got channel='pager'\); "
                                          r"channels are \['ops'\]"):
        Notifier.from_dict(base | {"escalation": {"after_minutes": 5, "channel": "pager"}}, ledger=tmp_path / "l")
    with pytest.raises(ConfigError, match=r"escalation.after_minutes must be a number of minutes >= 0 "
                                          r"\(got after_minutes='soon'\)"):
        Notifier.from_dict(base | {"escalation": {"after_minutes": "soon", "channel": "ops"}}, ledger=tmp_path / "l")
    with pytest.raises(ConfigError, match=r"escalation has unknown key\(s\) \['to'\]"):
        Notifier.from_dict(base | {"escalation": {"after_minutes": 5, "channel": "ops", "to": "x"}},
                           ledger=tmp_path / "l")
    with pytest.raises(ConfigError, match=r"channels have duplicated names \['ops'\]"):
        Notifier.from_dict({"channels": [{"type": "log", "name": "ops"}, {"type": "log", "name": "ops"}]},
                           ledger=tmp_path / "l")
