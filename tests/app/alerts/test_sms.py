"""SMS channel against a local Twilio-compatible Messages API, and GSM-7 segmentation.

The gateway stand-in checks what Twilio checks: the path with the account SID, HTTP basic auth
``sid:token``, a form-encoded body with To, From and Body. Septet counts follow 3GPP TS 23.038.
"""

from __future__ import annotations

import base64
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from riskkit.app.alerts import (
    AlertLedger,
    Notifier,
    SmsChannel,
    gsm7_text,
    septets,
    sms_segments,
)
from riskkit.app.alerts.gsm import GSM7_BASIC, GSM7_EXTENDED
from riskkit.exceptions import ConfigError, ParameterError
from riskkit.grading import Alert, EarlyWarning

HOST = "127.0.0.1"
SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "tok3n"
LONG = ("population stability of the score between train and test, worst of the credit models; "
        "check the application mix of the last month → see the monitoring run €")


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, str]]
    problems: list[str]
    fail_next: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("ascii")
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if self.path != f"/2010-04-01/Accounts/{SID}/Messages.json":
            self.problems.append(f"path {self.path}")
        if self.headers["Authorization"] != expected:
            self.send_response(401)
            self.end_headers()
            self.problems.append("auth")
            return
        if self.headers["Content-Type"] != "application/x-www-form-urlencoded":
            self.problems.append(f"content type {self.headers['Content-Type']}")
        form = dict(urllib.parse.parse_qsl(body, strict_parsing=True))
        if set(form) != {"To", "From", "Body"}:
            self.problems.append(f"fields {sorted(form)}")
        if self.fail_next and self.fail_next[0] > 0:
            self.fail_next[0] -= 1
            self.send_response(500)
            self.end_headers()
            return
        self.received.append(form)
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"sid": "SM1", "status": "queued"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[dict[str, str]], list[str], list[int]]]:
    received: list[dict[str, str]] = []
    problems: list[str] = []
    fail_next = [0]
    handler = type("Gateway", (_Gateway,), {"received": received, "problems": problems, "fail_next": fail_next})
    server = HTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}", received, problems, fail_next
    finally:
        server.shutdown()
        server.server_close()


INDICATORS = {
    "score_psi": {"direction": "above", "thresholds": {"yellow": 0.1, "red": 0.25}, "description": LONG},
    "auc_decay": {"direction": "above", "thresholds": {"yellow": 0.05}},
}


def _independent_septets(text: str) -> int:
    # the standard's rule, written out again: basic table 1 septet, extension table ESC + code
    return sum(1 if ch in GSM7_BASIC else 2 for ch in text)


def test_sms_posts_form_with_basic_auth_in_gsm7_segments(gateway: Any, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    url, received, problems, fail_next = gateway
    # credentials and the sender from the environment: the YAML holds no secret
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("RISKKIT_SMS_FROM", "+15005550006")
    channel = {"type": "sms", "base_url": url, "recipients": ["+447700900123", "+447700900456"],
               "min_level": "red", "retries": 2, "backoff": 0.01, "timeout": 5}
    ew = EarlyWarning.from_dict({"indicators": INDICATORS})
    notifier = Notifier.from_dict({"channels": [channel]}, ledger=tmp_path / "l.sqlite")
    fail_next[0] = 1  # the gateway fails once: retried, no segment sent twice
    alerts, report = notifier.run(ew, {"score_psi": 0.31, "auc_decay": 0.06})
    assert problems == []
    assert report.n_delivered == 1 and report.n_failed == 0 and report.deliveries["attempts"].tolist() == [2]
    red = next(a for a in alerts if a.level == "red")
    expected = sms_segments(f"riskkit {red.subject}: {red.message}", max_segments=3)
    assert len(expected) == 2  # 229 characters: two numbered messages
    by_number = {n: [f["Body"] for f in received if f["To"] == n] for n in ("+447700900123", "+447700900456")}
    assert by_number["+447700900123"] == expected and by_number["+447700900456"] == expected
    assert {f["From"] for f in received} == {"+15005550006"}
    for form in received:
        body = form["Body"]
        assert set(body) <= GSM7_BASIC | GSM7_EXTENDED and _independent_septets(body) <= 160
    joined = " ".join(b.split(" ", 1)[1] for b in expected)
    assert joined.startswith("riskkit RED score_psi=0.31 (above 0.25): score_psi = 0.31 is at or above")
    assert "? see the monitoring run €" in joined  # "→" is not GSM-7, "€" is (extension table)
    states = AlertLedger(tmp_path / "l.sqlite").alerts().set_index("indicator")["delivery"].to_dict()
    assert states == {"score_psi": "delivered", "auc_decay": "not_routed"}  # same min_level rule


def test_sms_failure_is_recorded_not_raised(gateway: Any, tmp_path: Path) -> None:
    url, received, _, _ = gateway
    channel = {"type": "sms", "base_url": url, "account_sid": SID, "auth_token": "wrong", "sender": "+15005550006",
               "recipients": ["+447700900123"], "retries": 1, "backoff": 0, "timeout": 5}
    notifier = Notifier.from_dict({"channels": [channel]}, ledger=tmp_path / "l.sqlite")
    alert = Alert(indicator="x", value=1.0, level="red", threshold=0.5, direction="above", message="m")
    report = notifier.notify([alert])
    assert received == [] and report.n_failed == 1
    assert "sms channel (url='http://127.0.0.1:" in report.failed["error"].iloc[0]
    assert "OSError: HTTP 401" in report.failed["error"].iloc[0]
    assert AlertLedger(tmp_path / "l.sqlite").get(alert.alert_id)["delivery"] == "undelivered"


@pytest.mark.parametrize(("spec", "pattern"), [
    ({}, r"channels\[0\] \(sms\): sms channel has no account_sid: set it in the channel configuration or "
         r"export \$TWILIO_ACCOUNT_SID"),
    ({"account_sid": SID}, r"sms channel has no auth_token: .* export \$TWILIO_AUTH_TOKEN"),
    ({"account_sid": SID, "auth_token": TOKEN, "sender": "+1500"}, r"sms channel has no recipients: .*\$RISKKIT_SMS_TO"),
    ({"account_sid": SID, "auth_token": TOKEN, "sender": "+1500", "recipients": ["07700 900123"]},
     r"recipients must be phone numbers like \+447700900123 \(got '07700 900123'\)"),
    ({"account_sid": SID, "auth_token": TOKEN, "sender": "+1500", "recipients": "+447700900123"},
     r"recipients must be a list of phone numbers"),
    ({"account_sid": SID, "auth_token": TOKEN, "sender": "+1500", "recipients": ["+447700900123"],
      "base_url": "ftp://x"}, r"base_url must start with http:// or https:// \(got base_url='ftp://x'\)"),
    ({"account_sid": SID, "auth_token": TOKEN, "sender": "+1500", "recipients": ["+447700900123"],
      "max_segments": 0}, r"max_segments must be an integer 1\.\.10 \(got max_segments=0\)"),
    ({"account_sid": SID, "auth_token": TOKEN, "sender": "+1500", "recipients": ["+447700900123"],
      "timeout": "10"}, r"channels\[0\] \(sms\): timeout must be a positive number of seconds \(got timeout='10'\)"),
])
def test_sms_configuration_errors(spec: dict[str, Any], pattern: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "RISKKIT_SMS_FROM", "RISKKIT_SMS_TO", "RISKKIT_SMS_URL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError, match=pattern):
        Notifier.from_dict({"channels": [{"type": "sms", **spec}]}, ledger=tmp_path / "l.sqlite")


def test_recipients_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKKIT_SMS_TO", "+447700900123, +447700900456")
    channel = SmsChannel(account_sid=SID, auth_token=TOKEN, sender="+15005550006")
    channel.validate()
    assert channel._numbers() == ["+447700900123", "+447700900456"]
    assert channel.endpoint() == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"


def test_septets_and_replacements() -> None:
    assert septets("abc") == 3 and septets("{€}") == 6 and septets("") == 0
    with pytest.raises(ParameterError, match=r"text has a character outside GSM-7 \(got '→'\)"):
        septets("a→b")
    assert gsm7_text("PSI ≥ 0.25 – “drift” in Zürich, café, Łódź → ok") == 'PSI >= 0.25 - "drift" in Zürich, café, Lodz ? ok'
    assert len(GSM7_BASIC) == 127 and len(GSM7_EXTENDED) == 10  # 128 codes minus ESC; 9 + form feed


@pytest.mark.parametrize("n", [1, 159, 160, 161, 300, 460, 1000])
def test_segments_cover_the_text_within_160_septets(n: int) -> None:
    text = " ".join(f"w{k}" for k in range(n))[:n]
    parts = sms_segments(text, max_segments=10)
    assert all(_independent_septets(p) <= 160 for p in parts)
    if len(text) <= 160:
        assert parts == [text]
    else:
        total = len(parts)
        assert [p.split(" ", 1)[0] for p in parts] == [f"{k}/{total}" for k in range(1, total + 1)]
        assert " ".join(p.split(" ", 1)[1] for p in parts).split() == text.split()  # nothing lost


def test_segments_truncate_at_max_and_count_extension_characters_twice() -> None:
    parts = sms_segments("x" * 1000, max_segments=2)
    assert len(parts) == 2 and parts[1].endswith("...") and all(len(p) <= 160 for p in parts)
    assert sms_segments("y" * 500, max_segments=1) == ["y" * 157 + "..."]
    euros = sms_segments("€" * 80)  # 160 septets: one message
    assert euros == ["€" * 80]
    more = sms_segments("€" * 81)  # 162 septets: split; each part within 160
    assert len(more) == 2 and all(_independent_septets(p) <= 160 for p in more)
    with pytest.raises(ParameterError, match=r"max_segments must be an integer >= 1 \(got max_segments=0\)"):
        sms_segments("a", max_segments=0)
