"""Alert delivery against real servers on loopback: SMTP (aiosmtpd), HTTP webhook, refused port."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from riskkit.app.alerts import AlertLedger, EmailChannel, Notifier
from riskkit.exceptions import ConfigError, DeliveryError
from riskkit.grading import Alert, EarlyWarning

HOST = "127.0.0.1"
INDICATORS = {
    "score_psi": {"direction": "above", "thresholds": {"yellow": 0.10, "orange": 0.20, "red": 0.25}},
    "capital_ratio": {"direction": "below", "thresholds": {"yellow": 0.12, "orange": 0.105, "red": 0.08}},
    "auc_decay": {"direction": "above", "thresholds": {"blue": 0.02, "yellow": 0.05}},
}
# score_psi red, capital_ratio orange, auc_decay blue
VALUES = {"score_psi": 0.31, "capital_ratio": 0.09, "auc_decay": 0.03}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    controller = Controller(inbox, hostname=HOST, port=_free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    fail_first: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.fail_first and self.fail_first[0] > 0:
            self.fail_first[0] -= 1
            self.send_response(503)
            self.end_headers()
            return
        self.received.append({"content_type": self.headers["Content-Type"], "json": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    received: list[dict[str, Any]] = []
    fail_first = [0]
    handler = type("Hook", (_Hook,), {"received": received, "fail_first": fail_first})
    server = HTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}/risk", received, fail_first
    finally:
        server.shutdown()
        server.server_close()


class _Warning:
    """The pure evaluation and the delivery, built from one configuration."""

    def __init__(self, channels: list[dict[str, Any]], ledger: Path) -> None:
        config = {"indicators": INDICATORS, "channels": channels}
        self.ew = EarlyWarning.from_dict(config)
        self.notifier = Notifier.from_dict(config, ledger=ledger)

    def run(self, values: dict[str, float]) -> Any:
        return self.notifier.run(self.ew, values)

    def redeliver(self, **kw: Any) -> Any:
        return self.notifier.redeliver(**kw)


def _warning(channels: list[dict[str, Any]], ledger: Path) -> _Warning:
    return _Warning(channels, ledger)


def test_email_gets_exactly_the_alerts_at_or_above_its_level(
    smtp: tuple[int, _Inbox], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port, inbox = smtp
    ew = _warning([
        {"type": "log", "min_level": "blue"},
        {"type": "email", "host": HOST, "port": port, "sender": "risk@example.com",
         "recipients": ["cro@example.com", "risk-team@example.com"], "min_level": "orange", "backoff": 0.01},
    ], tmp_path / "ledger.sqlite")
    with caplog.at_level(logging.INFO, logger="riskkit.alerts"):
        alerts, report = ew.run(VALUES)
    assert sorted(a.level for a in alerts) == ["blue", "orange", "red"]
    subjects = sorted(msg["Subject"] for _, msg in inbox.messages)
    assert subjects == ["[riskkit] ORANGE capital_ratio=0.09 (below 0.105)", "[riskkit] RED score_psi=0.31 (above 0.25)"]
    for rcpts, msg in inbox.messages:
        assert rcpts == ["cro@example.com", "risk-team@example.com"] and msg["From"] == "risk@example.com"
        payload = msg.get_payload()
        body = json.loads(payload[payload.index("{"):])
        assert body["indicator"] in msg["Subject"] and body["level"].upper() in msg["Subject"]
    # the log channel got all three, at their logging levels
    logged = {r.getMessage().split()[1].split("=")[0]: r.levelname for r in caplog.records if r.name == "riskkit.alerts"}
    assert logged == {"score_psi": "ERROR", "capital_ratio": "WARNING", "auc_decay": "INFO"}
    assert report.n_failed == 0 and report.n_delivered == 3 + 2
    ledger = AlertLedger(tmp_path / "ledger.sqlite").alerts()
    assert len(ledger) == 3 and set(ledger["delivery"]) == {"delivered"} and set(ledger["status"]) == {"new"}


def test_email_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    inbox = _Inbox()
    controller = Controller(inbox, hostname=HOST, port=_free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        monkeypatch.setenv("RISKKIT_TEST_SMTP_PASSWORD", "s3cret")
        ew = _warning([{"type": "email", "host": HOST, "port": controller.port, "sender": "risk@example.com",
                        "recipients": ["cro@example.com"], "min_level": "red", "username": "risk",
                        "password_env": "RISKKIT_TEST_SMTP_PASSWORD", "retries": 0}], tmp_path / "l.sqlite")
        _, report = ew.run(VALUES)
        assert report.n_delivered == 1 and seen == [(b"risk", b"s3cret")] and len(inbox.messages) == 1
        monkeypatch.delenv("RISKKIT_TEST_SMTP_PASSWORD")
        _, report = ew.run(VALUES)
        assert "password_env names an unset environment variable (got password_env='RISKKIT_TEST_SMTP_PASSWORD')" in report.failed["error"].iloc[0]
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_webhook_receives_json(webhook: tuple[str, list[dict[str, Any]], list[int]], tmp_path: Path) -> None:
    url, received, fail_first = webhook
    fail_first[0] = 1  # the first POST gets a 503: retried once
    ew = _warning([{"type": "webhook", "url": url, "min_level": "orange", "retries": 2, "backoff": 0.01}],
                  tmp_path / "l.sqlite")
    alerts, report = ew.run(VALUES)
    bodies = sorted((r["json"] for r in received), key=lambda b: b["indicator"])
    assert [(b["indicator"], b["level"], b["level_code"]) for b in bodies] == [("capital_ratio", "orange", 3),
                                                                                 ("score_psi", "red", 4)]
    assert {r["content_type"] for r in received} == {"application/json"}
    red = next(a for a in alerts if a.level == "red")
    sent = next(b for b in bodies if b["level"] == "red")
    assert sent == red.to_dict() and sent["value"] == 0.31 and sent["threshold"] == 0.25
    assert sorted(report.deliveries["attempts"].tolist()) == [1, 2] and report.n_failed == 0


def test_refused_connection_keeps_alert_undelivered_and_run_going(
    webhook: tuple[str, list[dict[str, Any]], list[int]], tmp_path: Path
) -> None:
    url, received, _ = webhook
    closed = _free_port()  # nothing listens there: the connection is refused
    path = tmp_path / "ledger.sqlite"
    ew = _warning([
        {"type": "email", "host": HOST, "port": closed, "sender": "risk@example.com",
         "recipients": ["cro@example.com"], "min_level": "orange", "retries": 2, "backoff": 0.01, "timeout": 2},
        {"type": "webhook", "url": url, "min_level": "red", "retries": 0},
    ], path)
    alerts, report = ew.run(VALUES)  # does not raise
    assert len(alerts) == 3 and report.n_failed == 2
    assert set(report.failed["attempts"]) == {3}  # 1 + 2 retries, bounded
    assert f"host='{HOST}', port={closed}" in report.failed["error"].iloc[0]
    assert len(received) == 1  # the webhook still got the red alert after the email failure
    ledger = AlertLedger(path)
    states = dict(zip(ledger.alerts()["indicator"], ledger.alerts()["delivery"], strict=True))
    assert states == {"score_psi": "undelivered", "capital_ratio": "undelivered", "auc_decay": "not_routed"}
    tries = ledger.deliveries()
    assert set(zip(tries["channel"], tries["ok"], strict=True)) == {(f"email:{HOST}:{closed}", 0), (f"webhook:{url}", 1)}
    # once the mail server is back, redeliver sends only what failed, on the channel that failed
    inbox = _Inbox()
    controller = Controller(inbox, hostname=HOST, port=closed)
    controller.start()
    try:
        # force: this test is about *what* is redelivered; the backoff schedule has its own test
        # (test_faults.py::test_undelivered_alert_backs_off_between_rounds), and a loaded machine must not decide this one
        again = ew.redeliver(force=True)
    finally:
        controller.stop()
    assert again.n_delivered == 2, (again.deliveries, ledger.alerts()[["indicator", "delivery", "rounds", "next_attempt_at"]])
    assert len(inbox.messages) == 2 and len(received) == 1
    assert ledger.undelivered().empty


def test_unreachable_mail_host_error_names_host_and_port() -> None:
    closed = _free_port()
    channel = EmailChannel(HOST, closed, sender="a@example.com", recipients=["b@example.com"], retries=1,
                           backoff=0.0, timeout=2)
    alert = Alert(indicator="score_psi", value=0.3, level="red", threshold=0.25, direction="above", message="m")
    with pytest.raises(DeliveryError, match=rf"email channel \(host='127\.0\.0\.1', port={closed}\) could not deliver the red alert on 'score_psi' after 2 attempt\(s\): ConnectionRefusedError"):
        channel.send(alert)


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself (cryptography ships with the dev environment)."""
    import datetime as dt
    import ipaddress

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "riskkit test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_starttls_with_login(tmp_path: Path) -> None:
    import ssl

    cert_file, key_file = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_file, key_file)
    logins: list[bytes] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        logins.append(auth_data.login)
        return AuthResult(success=auth_data.password == b"pw")

    inbox = _Inbox()
    # the server refuses mail and login before STARTTLS
    controller = Controller(inbox, hostname=HOST, port=_free_port(), tls_context=server_ctx, require_starttls=True,
                            authenticator=authenticator)
    controller.start()
    try:
        base = {"type": "email", "host": HOST, "port": controller.port, "sender": "risk@example.com",
                "recipients": ["cro@example.com"], "min_level": "red", "retries": 0}
        plain = _warning([base], tmp_path / "l1.sqlite")
        _, report = plain.run(VALUES)
        assert report.n_failed == 1 and "STARTTLS" in report.failed["error"].iloc[0] and not inbox.messages
        tls = _warning([base | {"starttls": True, "cafile": str(cert_file), "username": "risk", "password": "pw"}],
                       tmp_path / "l2.sqlite")
        _, report = tls.run(VALUES)
        assert report.n_delivered == 1 and logins == [b"risk"] and len(inbox.messages) == 1
        # without the private CA the server certificate is not trusted: undelivered, not raised
        untrusted = _warning([base | {"starttls": True}], tmp_path / "l3.sqlite")
        _, report = untrusted.run(VALUES)
        assert "CERTIFICATE_VERIFY_FAILED" in report.failed["error"].iloc[0] and len(inbox.messages) == 1
    finally:
        controller.stop()
    with pytest.raises(ConfigError, match=r"channels\[0\] \(email\): cafile must be a PEM file \(got cafile='.*nope\.pem', not found\)"):
        _warning([base | {"cafile": str(tmp_path / "nope.pem")}], tmp_path / "l4.sqlite")
