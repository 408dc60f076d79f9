"""AlertLedger: SQLite persistence, status workflow and its bad transitions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from riskkit.app.alerts import AlertLedger
from riskkit.exceptions import ParameterError
from riskkit.grading import Alert


def _alert(level: str = "red", indicator: str = "score_psi") -> Alert:
    return Alert(indicator=indicator, value=0.3, level=level, threshold=0.25, direction="above",
                 message=f"{indicator} breached")


def test_append_persists_and_workflow(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "alerts.sqlite"
    ledger = AlertLedger(path)
    a, b = _alert(), _alert("yellow", "auc_decay")
    ledger.append(a)
    ledger.append(b)
    # a second instance on the same file sees the same alerts (it is a file, not memory)
    again = AlertLedger(path)
    frame = again.alerts()
    assert frame["alert_id"].tolist() == [a.alert_id, b.alert_id]
    assert set(frame["status"]) == {"new"} and set(frame["delivery"]) == {"pending"}
    assert frame.loc[0, "level_code"] == 4 and frame.loc[1, "level"] == "yellow"
    again.acknowledge(a.alert_id, by="cro", note="looking into it")
    again.resolve(a.alert_id, by="cro")
    again.resolve(b.alert_id, by="analyst", note="false alarm")
    row = ledger.get(a.alert_id)
    assert row is not None and row["status"] == "resolved" and row["acknowledged_by"] == "cro"
    assert row["note"] == "looking into it" and row["resolved_at"]
    trail = ledger.audit(a.alert_id)
    assert trail[["user", "action", "comment"]].fillna("").values.tolist() == [
        ["riskkit", "created", a.subject], ["cro", "acknowledged", "looking into it"], ["cro", "resolved", ""]]
    assert len(ledger.alerts(status="resolved")) == 2 and ledger.alerts(status="new").empty
    # raw SQL view of the same file
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 2


def test_deliveries_and_delivery_state(tmp_path: Path) -> None:
    ledger = AlertLedger(tmp_path / "a.sqlite")
    a = _alert()
    ledger.append(a)
    ledger.record_delivery(a.alert_id, "email:h:25", ok=False, attempts=3, error="refused")
    ledger.set_delivery(a.alert_id, "undelivered")
    assert ledger.undelivered()["alert_id"].tolist() == [a.alert_id]
    d = ledger.deliveries(a.alert_id)
    assert d[["channel", "ok", "attempts", "error"]].values.tolist() == [["email:h:25", 0, 3, "refused"]]


def test_bad_transitions_and_ids(tmp_path: Path) -> None:
    ledger = AlertLedger(tmp_path / "a.sqlite")
    a = _alert()
    ledger.append(a)
    with pytest.raises(ParameterError, match=r"alert_id is not in the ledger \(got alert_id='nope'\)"):
        ledger.acknowledge("nope")
    ledger.acknowledge(a.alert_id, by="cro")
    with pytest.raises(ParameterError, match=rf"alert {a.alert_id} is acknowledged: it cannot be acknowledged \(allowed from new\)"):
        ledger.acknowledge(a.alert_id, by="cro")
    ledger.resolve(a.alert_id, by="cro")
    before = (ledger.alerts().to_dict("records"), ledger.audit().to_dict("records"))
    with pytest.raises(ParameterError, match=rf"alert {a.alert_id} is resolved: it cannot be acknowledged"):
        ledger.acknowledge(a.alert_id, by="cro")
    with pytest.raises(ParameterError, match=rf"alert {a.alert_id} is resolved: it cannot be resolved \(allowed from new or acknowledged\)"):
        ledger.resolve(a.alert_id, by="cro")
    with pytest.raises(ParameterError, match=rf"alert {a.alert_id} is resolved: it cannot be assigned"):
        ledger.assign(a.alert_id, "ana", by="cro")
    assert (ledger.alerts().to_dict("records"), ledger.audit().to_dict("records")) == before  # unchanged
    with pytest.raises(ParameterError, match=r"status must be one of \['new', 'acknowledged', 'resolved', 'open'\] \(got status='opened'\)"):
        ledger.alerts(status="opened")
    with pytest.raises(ParameterError, match=r"state must be one of .* \(got state='lost'\)"):
        ledger.set_delivery(a.alert_id, "lost")


def test_enqueue_is_one_transaction_and_ids_resolve_by_prefix(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    ledger = AlertLedger(path)
    a, b = _alert(), _alert("yellow", "auc_decay")
    bad = Alert(indicator="x", value=float("nan"), level="red", threshold=1.0, direction="above", message="m",
                alert_id=a.alert_id)  # same id as a: the second insert is ignored, not duplicated
    ledger.enqueue([a, b, bad], {b.alert_id: False})
    frame = ledger.alerts()
    assert frame["alert_id"].tolist() == [a.alert_id, b.alert_id]
    assert frame["delivery"].tolist() == ["pending", "not_routed"]
    assert ledger.resolve_id(a.alert_id[:8]) == a.alert_id
    with pytest.raises(ParameterError, match=r"alert_id is not in the ledger \(got alert_id='ffffffffff'\)"):
        ledger.resolve_id("ffffffffff")
    # a trigger that fails on the second row rolls back the whole batch: all or nothing
    with sqlite3.connect(path) as con:
        con.execute("CREATE TRIGGER no_orange BEFORE INSERT ON alerts WHEN NEW.level = 'orange' "
                    "BEGIN SELECT RAISE(ABORT, 'orange refused'); END")
    c, d = _alert("red", "c"), _alert("orange", "d")
    with pytest.raises(sqlite3.IntegrityError, match="orange refused"):
        ledger.enqueue([c, d])
    assert ledger.get(c.alert_id) is None and len(ledger.alerts()) == 2


def test_missing_ledger_is_refused_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"ledger does not exist \(got ledger='.*nope\.sqlite'\)"):
        AlertLedger(tmp_path / "nope.sqlite", create=False)
    assert not (tmp_path / "nope.sqlite").exists()


def test_read_only_ledger_gives_a_riskkit_error(tmp_path: Path) -> None:
    import os
    import stat

    from riskkit.exceptions import DataError

    path = tmp_path / "ro" / "a.sqlite"
    AlertLedger(path).append(_alert())
    os.chmod(path, stat.S_IRUSR)
    os.chmod(path.parent, stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(path, os.W_OK):
            pytest.skip("running as a user that ignores file permissions")
        with pytest.raises(DataError, match=r"ledger cannot be used \(got ledger='.*a\.sqlite'\): .*readonly"):
            AlertLedger(path).append(_alert("yellow", "auc_decay"))
        assert len(AlertLedger(path).alerts()) == 1  # reading still works
    finally:
        os.chmod(path.parent, stat.S_IRWXU)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


_OLD_SCHEMA = """
CREATE TABLE alerts (alert_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, indicator TEXT NOT NULL, value REAL,
    level TEXT NOT NULL, level_code INTEGER NOT NULL, threshold REAL, direction TEXT NOT NULL, message TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new', delivery TEXT NOT NULL DEFAULT 'pending', acknowledged_at TEXT,
    acknowledged_by TEXT, resolved_at TEXT, resolved_by TEXT, note TEXT);
CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, channel TEXT NOT NULL,
    ok INTEGER NOT NULL, attempts INTEGER NOT NULL, error TEXT, at TEXT NOT NULL);
INSERT INTO alerts (alert_id, created_at, indicator, value, level, level_code, threshold, direction, message, delivery)
    VALUES ('0123456789abcdef', '2026-01-31T00:00:00+00:00', 'score_psi', 0.3, 'red', 4, 0.25, 'above', 'm', 'undelivered');
INSERT INTO deliveries (alert_id, channel, ok, attempts, error, at)
    VALUES ('0123456789abcdef', 'email:h:25', 0, 3, 'refused', '2026-01-31T00:00:01+00:00');
"""


def test_a_ledger_of_the_previous_layout_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(_OLD_SCHEMA)
    ledger = AlertLedger(path)
    assert [a.alert_id for a in ledger.due()] == ["0123456789abcdef"]  # still to deliver
    ledger.assign(ledger.resolve_id("0123456789"), "carol", by="bob")
    row = ledger.get("0123456789abcdef")
    assert row is not None and row["assignee"] == "carol" and row["rounds"] == 0
    assert ledger.deliveries()["kind"].tolist() == ["alert"]
    assert ledger.audit()[["user", "action"]].values.tolist() == [["bob", "assigned"]]
