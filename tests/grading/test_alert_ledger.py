"""AlertLedger: SQLite persistence, status workflow and its bad transitions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from riskkit.exceptions import ParameterError
from riskkit.grading import Alert, AlertLedger


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
    ledger.resolve(a.alert_id)
    with pytest.raises(ParameterError, match=rf"only a new alert can be acknowledged \(got alert_id='{a.alert_id}' with status 'resolved'\)"):
        ledger.acknowledge(a.alert_id)
    with pytest.raises(ParameterError, match=rf"alert is already resolved \(got alert_id='{a.alert_id}'\)"):
        ledger.resolve(a.alert_id)
    with pytest.raises(ParameterError, match=r"status must be one of \['new', 'acknowledged', 'resolved'\] \(got status='open'\)"):
        ledger.alerts(status="open")
    with pytest.raises(ParameterError, match=r"state must be one of .* \(got state='lost'\)"):
        ledger.set_delivery(a.alert_id, "lost")
