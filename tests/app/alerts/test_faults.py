"""Alert delivery under real faults: SIGTERM to a real process group mid-delivery, a mail server
that drips one byte at a time, a TCP server that accepts and never answers, bad timeouts.

Issue 10, item 7: an outbox, not a loop. Wall-clock bounds here are functional deadlines (the
server would otherwise hold the call for minutes), with generous slack, not benchmarks.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from riskkit.app.alerts import AlertLedger, Notifier
from riskkit.app.alerts.ledger import owner_id
from riskkit.exceptions import ConfigError
from riskkit.grading import Alert, EarlyWarning

REPO = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"
THREE_RED = {f"kri_{k}": {"direction": "above", "thresholds": {"red": 1.0}} for k in range(3)}
ONE_RED = {"kri_0": THREE_RED["kri_0"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class _Inbox:
    """aiosmtpd handler; ``delays[k]`` seconds before accepting the k-th message (last one repeats)."""

    def __init__(self, *delays: float) -> None:
        self.delays = list(delays) or [0.0]
        self.ids: list[str] = []
        self.seen = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        delay = self.delays[min(self.seen, len(self.delays) - 1)]
        self.seen += 1
        if delay:
            await asyncio.sleep(delay)
        msg = message_from_bytes(envelope.content)
        self.ids.append(str(msg["Message-ID"]).strip("<>").split(".")[0])
        return "250 Message accepted for delivery"


def _email(port: int, **extra: Any) -> dict[str, Any]:
    return {"type": "email", "host": HOST, "port": port, "sender": "risk@example.com",
            "recipients": ["cro@example.com"], "min_level": "blue", **extra}


_CHILD = textwrap.dedent("""
    import sys
    from riskkit.app.alerts import Notifier
    from riskkit.grading import EarlyWarning
    indicators = {f"kri_{k}": {"direction": "above", "thresholds": {"red": 1.0}} for k in range(3)}
    ew = EarlyWarning.from_dict({"indicators": indicators})
    channel = {"type": "email", "host": "127.0.0.1", "port": int(sys.argv[2]), "sender": "risk@example.com",
               "recipients": ["cro@example.com"], "min_level": "blue", "timeout": 30, "retries": 0}
    notifier = Notifier.from_dict({"channels": [channel]}, ledger=sys.argv[1])
    notifier.notify(ew.evaluate({f"kri_{k}": 2.0 + k for k in range(3)}))
    print("finished")
""")


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _states(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    frame = AlertLedger(path).alerts()
    return dict(zip(frame["alert_id"], frame["delivery"], strict=True))


def test_sigterm_mid_delivery_loses_nothing_and_redeliver_sends_each_once(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    port = _free_port()
    slow = _Inbox(1.0, 60.0)  # the first message takes 1 s, the next ones a minute
    controller = Controller(slow, hostname=HOST, port=port)
    controller.start()
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(ledger), str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        # the first alert is delivered, the second is on the wire: stop the whole group
        _wait_for(lambda: "delivered" in _states(ledger).values(), 60, "the first delivery")
        os.killpg(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        controller.stop()
    assert proc.returncode == -signal.SIGTERM, err.decode()[-2000:]
    assert b"finished" not in out
    states = _states(ledger)
    assert len(states) == 3  # all three were recorded before the first delivery began
    delivered = {a for a, s in states.items() if s == "delivered"}
    left = {a for a, s in states.items() if s == "pending"}
    assert len(delivered) >= 1 and len(left) >= 1 and delivered | left == set(states)

    # the mail server is back (fast now): the next run delivers what was left, exactly once
    fast = _Inbox()
    controller = Controller(fast, hostname=HOST, port=port)
    controller.start()
    try:
        notifier = Notifier.from_dict({"channels": [_email(port, retries=0, timeout=10)]}, ledger=ledger)
        report = notifier.redeliver()
        again = notifier.redeliver(force=True)
    finally:
        controller.stop()
    assert sorted(fast.ids) == sorted(left)  # never an alert already recorded as delivered
    assert report.n_delivered == len(left) and report.n_failed == 0
    assert again.n_delivered == 0 and again.n_alerts == 0
    assert set(_states(ledger).values()) == {"delivered"}
    ok = AlertLedger(ledger).deliveries().query("ok == 1")
    assert sorted(ok["alert_id"]) == sorted(states)  # one successful delivery per alert


@pytest.fixture
def drip_server() -> Iterator[int]:
    """Accepts SMTP clients and sends an endless greeting, one byte every 0.5 s."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, 0))
    server.listen()
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        line = b"220-slow.example.com ESMTP, one byte at a time\r\n"
        k = 0
        with conn:
            while not stop.is_set():
                try:
                    conn.sendall(line[k % len(line):k % len(line) + 1])
                except OSError:
                    return
                k += 1
                time.sleep(0.5)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        server.close()


def test_dripping_smtp_server_is_cut_at_the_overall_deadline(drip_server: int, tmp_path: Path) -> None:
    ew = EarlyWarning.from_dict({"indicators": ONE_RED})
    notifier = Notifier.from_dict({"channels": [_email(drip_server, timeout=2, retries=0)]},
                                  ledger=tmp_path / "l.sqlite")
    alerts = ew.evaluate({"kri_0": 5.0})
    start = time.monotonic()
    report = notifier.notify(alerts)  # a per-read timeout of 2 s would never fire: a byte comes every 0.5 s
    elapsed = time.monotonic() - start
    assert elapsed < 2 + 3.0, f"notify took {elapsed:.1f} s with a 2 s deadline"
    assert report.n_failed == 1
    assert "TimeoutError: no complete answer within the 2 s deadline of one attempt" in report.failed["error"].iloc[0]
    assert set(_states(tmp_path / "l.sqlite").values()) == {"undelivered"}


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never sends a byte."""
    server = socket.socket()
    server.bind((HOST, 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        server.close()
        for conn in held:
            conn.close()


def test_server_that_never_answers_gives_bounded_attempts_and_no_exception(silent_server: int, tmp_path: Path) -> None:
    ew = EarlyWarning.from_dict({"indicators": ONE_RED})
    channels = [_email(silent_server, timeout=1, retries=1, backoff=0),
                {"type": "webhook", "url": f"http://{HOST}:{silent_server}/hook", "timeout": 1, "retries": 0}]
    notifier = Notifier.from_dict({"channels": channels}, ledger=tmp_path / "l.sqlite")
    start = time.monotonic()
    _, report = notifier.run(ew, {"kri_0": 5.0})
    elapsed = time.monotonic() - start
    assert elapsed < (2 * 1 + 1) + 4.0, f"notify took {elapsed:.1f} s"
    assert report.n_failed == 2 and sorted(report.failed["attempts"]) == [1, 2]
    for error in report.failed["error"]:
        assert "no complete answer within the 1 s deadline" in error
    tries = AlertLedger(tmp_path / "l.sqlite").deliveries()
    assert len(tries) == 2 and set(tries["ok"]) == {0}


@pytest.mark.parametrize(("timeout", "shown"), [(None, "None"), ("10", "'10'"), (-1, "-1"), (0, "0"),
                                                 (True, "True"), (float("nan"), "nan")])
def test_timeout_must_be_a_positive_number(timeout: Any, shown: str, tmp_path: Path) -> None:
    for position, channel in ((0, _email(25, timeout=timeout)),
                              (1, {"type": "webhook", "url": "http://x", "timeout": timeout, "name": "hook"})):
        channels = [{"type": "log"}] * position + [channel]
        kind = channel["type"] + (" 'hook'" if position else "")
        with pytest.raises(ConfigError, match=rf"channels\[{position}\] \({kind}\): timeout must be a positive "
                                              rf"number of seconds \(got timeout={shown}\)"):
            Notifier.from_dict({"channels": channels}, ledger=tmp_path / "l.sqlite")
    assert not (tmp_path / "l.sqlite").exists()


def test_undelivered_alert_backs_off_between_rounds(tmp_path: Path) -> None:
    closed = _free_port()
    path = tmp_path / "l.sqlite"
    notifier = Notifier.from_dict({"channels": [_email(closed, timeout=2, retries=0, backoff=30)]}, ledger=path)
    report = notifier.notify(EarlyWarning.from_dict({"indicators": ONE_RED}).evaluate({"kri_0": 5.0}))
    assert report.n_failed == 1
    row = AlertLedger(path).alerts().iloc[0]
    assert row["delivery"] == "undelivered" and row["rounds"] == 1
    assert 25 < row["next_attempt_at"] - time.time() <= 30  # backoff * 2**0 after the first round
    assert notifier.redeliver().n_alerts == 0  # not due yet: nothing is tried
    assert len(AlertLedger(path).deliveries()) == 1
    forced = notifier.redeliver(force=True)  # still refused: the next wait doubles
    assert forced.n_failed == 1
    row = AlertLedger(path).alerts().iloc[0]
    assert row["rounds"] == 2 and 55 < row["next_attempt_at"] - time.time() <= 60


def test_alert_claimed_by_a_live_process_is_left_to_it(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = AlertLedger(path)
    alert = Alert(indicator="kri_0", value=5.0, level="red", threshold=1.0, direction="above", message="m")
    ledger.append(alert)
    parent = f"{owner_id().rpartition(':')[0]}:{os.getppid()}"  # alive
    assert ledger.claim(alert.alert_id, owner=parent, lease=600)
    notifier = Notifier.from_dict({"channels": [{"type": "log"}]}, ledger=path)
    assert notifier.redeliver().n_delivered == 0 and ledger.get(alert.alert_id)["delivery"] == "pending"
    # an owner that is gone (a pid that does not exist) loses its claim at once
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    gone = f"{owner_id().rpartition(':')[0]}:{int(dead.stdout)}"
    with ledger._transaction() as con:
        con.execute("UPDATE alerts SET claimed_by = ? WHERE alert_id = ?", (gone, alert.alert_id))
    assert notifier.redeliver().n_delivered == 1 and ledger.get(alert.alert_id)["delivery"] == "delivered"


def test_next_notify_delivers_what_a_killed_run_left_pending(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "l.sqlite"
    left = Alert(indicator="kri_1", value=3.0, level="red", threshold=1.0, direction="above", message="left")
    AlertLedger(path).enqueue([left])  # recorded, never delivered: the run was killed here
    notifier = Notifier.from_dict({"channels": [{"type": "log", "min_level": "blue"}]}, ledger=path)
    fresh = EarlyWarning.from_dict({"indicators": ONE_RED}).evaluate({"kri_0": 5.0})
    with caplog.at_level("INFO", logger="riskkit.alerts"):
        report = notifier.notify(fresh)
    assert sorted(report.deliveries["alert_id"]) == sorted([left.alert_id, fresh[0].alert_id])
    assert sorted(r.getMessage() for r in caplog.records if r.name == "riskkit.alerts") == [
        "RED kri_0=5 (above 1)", "RED kri_1=3 (above 1)"]
    assert set(_states(path).values()) == {"delivered"}
    assert notifier.notify([]).n_delivered == 0  # never twice
