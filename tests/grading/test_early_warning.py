"""EarlyWarning: configuration, graded evaluation, missing values and the history evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit.exceptions import ConfigError, DataError, MissingIndicatorWarning, ParameterError
from riskkit.grading import LEVELS, Alert, EarlyWarning, Indicator

REPO = Path(__file__).resolve().parents[2]

# the configuration quoted in the issue, as a dict
ISSUE_CONFIG = {
    "indicators": {
        "score_psi": {"direction": "above", "thresholds": {"yellow": 0.10, "orange": 0.20, "red": 0.25}},
        "capital_ratio": {"direction": "below", "thresholds": {"yellow": 0.12, "orange": 0.105, "red": 0.08}},
    },
    "channels": [
        {"type": "log", "min_level": "blue"},
        {"type": "email", "host": "smtp.example.com", "port": 587, "sender": "risk@example.com",
         "recipients": ["cro@example.com"], "min_level": "orange"},
        {"type": "webhook", "url": "https://hooks.example.com/risk", "min_level": "red"},
    ],
}


def test_issue_config_is_read_by_the_pure_evaluation() -> None:
    # the delivery keys (channels, ledger, escalation) are allowed and left to riskkit.app.alerts
    ew = EarlyWarning.from_dict(ISSUE_CONFIG | {"ledger": "x.sqlite", "escalation": {"after_minutes": 5, "channel": "c"}})
    assert list(ew.indicator_table().index) == ["score_psi", "capital_ratio"]
    assert not hasattr(ew, "notify") and not hasattr(ew, "channels")


def test_alert_round_trips_through_a_dict() -> None:
    alert = EarlyWarning.from_dict(ISSUE_CONFIG).evaluate({"score_psi": 0.3, "capital_ratio": 0.2})[0]
    assert Alert.from_dict(alert.to_dict()) == alert
    with pytest.raises(DataError, match=r"alert record is incomplete or malformed \(KeyError: 'level'\)"):
        Alert.from_dict({k: v for k, v in alert.to_dict().items() if k != "level"})
    with pytest.raises(DataError, match=r"alert record has an unknown level \(got level='amber'\)"):
        Alert.from_dict(alert.to_dict() | {"level": "amber"})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"score_psi": 0.05, "capital_ratio": 0.15}, {}),
        ({"score_psi": 0.10, "capital_ratio": 0.15}, {"score_psi": ("yellow", 0.10)}),  # at the threshold
        ({"score_psi": 0.22, "capital_ratio": 0.11}, {"score_psi": ("orange", 0.20), "capital_ratio": ("yellow", 0.12)}),
        ({"score_psi": 0.30, "capital_ratio": 0.09}, {"score_psi": ("red", 0.25), "capital_ratio": ("orange", 0.105)}),
        ({"score_psi": 0.0, "capital_ratio": 0.05}, {"capital_ratio": ("red", 0.08)}),
    ],
)
def test_evaluate_most_severe_level(values: dict[str, float], expected: dict[str, tuple[str, float]]) -> None:
    alerts = EarlyWarning.from_dict(ISSUE_CONFIG).evaluate(values)
    assert {a.indicator: (a.level, a.threshold) for a in alerts} == expected
    assert [a.level_code for a in alerts] == sorted((a.level_code for a in alerts), reverse=True)
    for a in alerts:
        assert a.value == values[a.indicator] and a.indicator in a.message and a.level in a.message
        assert a.subject.startswith(a.level.upper()) and a.indicator in a.subject


def test_level_matches_brute_force_for_any_subset_of_levels() -> None:
    rng = np.random.default_rng(0)
    for direction in ("above", "below"):
        for mask in range(1, 16):
            levels = [lvl for k, lvl in enumerate(LEVELS) if mask >> k & 1]
            cuts = np.sort(rng.uniform(0, 1, len(levels)))
            cuts = cuts if direction == "above" else cuts[::-1]
            ind = Indicator("x", direction, dict(zip(levels, cuts.tolist(), strict=True)))
            ind.validate()
            for v in rng.uniform(-0.1, 1.1, 40):
                breached = [lvl for lvl, c in zip(levels, cuts, strict=True)
                            if (v >= c if direction == "above" else v <= c)]
                hit = ind.breached(float(v))
                assert (hit[0] if hit else None) == (breached[-1] if breached else None)
                assert ind.codes(np.array([v]))[0] == (LEVELS.index(breached[-1]) + 1 if breached else 0)


def test_missing_indicator_value_warns_and_others_still_evaluated() -> None:
    ew = EarlyWarning.from_dict(ISSUE_CONFIG)
    with pytest.warns(MissingIndicatorWarning, match=r"indicator 'capital_ratio' has no value \(got capital_ratio=None\)"):
        alerts = ew.evaluate({"score_psi": 0.3})
    assert [a.indicator for a in alerts] == ["score_psi"]
    with pytest.warns(MissingIndicatorWarning, match=r"indicator 'score_psi' has no value \(got score_psi=nan\)"):
        ew.evaluate({"score_psi": float("nan"), "capital_ratio": 0.2})
    with pytest.raises(ParameterError, match=r"indicator values must be numbers \(got score_psi='high'\)"):
        ew.evaluate({"score_psi": "high", "capital_ratio": 0.2})


def _config(indicators: dict, channels: list | None = None) -> dict:
    return {"indicators": indicators, "channels": channels or []}


@pytest.mark.parametrize(
    ("indicators", "pattern"),
    [
        ({"psi": {"direction": "above", "thresholds": {"yellow": 0.2, "orange": 0.1}}},
         r"indicator 'psi': thresholds must increase from mild to severe for direction 'above' \(got yellow=0\.2, orange=0\.1\)"),
        ({"cap": {"direction": "below", "thresholds": {"yellow": 0.08, "red": 0.12}}},
         r"indicator 'cap': thresholds must decrease from mild to severe for direction 'below' \(got yellow=0\.08, red=0\.12\)"),
        ({"psi": {"direction": "above", "thresholds": {"yellow": 0.1, "purple": 0.3}}},
         r"indicator 'psi': unknown level name\(s\) \['purple'\]; levels are \['blue', 'yellow', 'orange', 'red'\]"),
        ({"psi": {"direction": "up", "thresholds": {"red": 0.3}}},
         r"indicator 'psi': direction must be 'above' or 'below' \(got direction='up'\)"),
        ({"psi": {"direction": "above", "thresholds": {"red": "high"}}},
         r"indicator 'psi': threshold red must be a finite number \(got red='high'\)"),
        ({"psi": {"direction": "above", "thresholds": {}}}, r"indicator 'psi': thresholds must map levels to numbers"),
        ({"psi": {"direction": "above", "thresholds": {"red": 1}, "colour": "x"}},
         r"indicator 'psi' has unknown key\(s\) \['colour'\]"),
        ({}, r"indicators must be a non-empty mapping"),
    ],
)
def test_bad_indicator_configuration(indicators: dict, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        EarlyWarning.from_dict(_config(indicators))


OK_IND = {"psi": {"direction": "above", "thresholds": {"red": 0.25}}}


def test_yaml_loading_and_errors(tmp_path: Path) -> None:
    ew = EarlyWarning.from_yaml(REPO / "data" / "early_warning.yaml")
    table = ew.indicator_table()
    assert {"score_psi", "auc_decay", "var_exceptions", "traffic_light_zone"} <= set(table.index)
    assert table.loc["score_psi", "red"] == 0.25 and np.isnan(table.loc["score_psi", "blue"])
    bad = tmp_path / "ew.yaml"
    bad.write_text("indicators:\n  psi: {direction: above, thresholds: {red: 0.25}\nchannels: []\n")
    with pytest.raises(ConfigError, match=r"ew\.yaml is not valid YAML \(.* at line \d+, column \d+\)"):
        EarlyWarning.from_yaml(bad)
    with pytest.raises(ConfigError, match=r"path does not exist or is not a file \(got path='.*missing\.yaml'\)"):
        EarlyWarning.from_yaml(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match=r"config has unknown key\(s\) \['indicator'\]"):
        EarlyWarning.from_dict({"indicator": OK_IND})


def test_history_hit_and_false_alarm_rates_by_hand() -> None:
    ew = EarlyWarning.from_dict(_config({"psi": {"direction": "above", "thresholds": {"yellow": 0.1, "red": 0.25}},
                                         "cap": {"direction": "below", "thresholds": {"red": 0.08}}}))
    idx = pd.date_range("2024-01-31", periods=6, freq="ME")
    history = pd.DataFrame({"psi": [0.05, 0.30, 0.05, 0.12, 0.30, 0.05],
                            "cap": [0.10, 0.10, 0.07, 0.10, 0.10, 0.10]}, index=idx)
    losses = pd.Series([0, 0, 1, 0, 0, 1], index=idx)  # losses in periods 2 and 5
    res = ew.evaluate_history(history, losses, horizon=1, min_level="yellow")
    assert res.levels["psi"].tolist() == [0, 4, 0, 2, 4, 0]
    assert res.levels["any"].tolist() == [0, 4, 4, 2, 4, 0]
    # psi signals at 1, 3, 4; a loss follows 1 and 4; quiet at 0 and 2; the last period is left out
    # noise-to-signal (Kaminsky, Lizondo and Reinhart 1998) = [1 / (1 + 2)] / [2 / (2 + 0)] = 1/3
    row = res.table.loc["psi"]
    assert (row["signals"], row["hits"], row["false_alarms"], row["missed"], row["quiet"]) == (3, 2, 1, 0, 2)
    assert row["hit_rate"] == pytest.approx(2 / 3) and row["false_alarm_rate"] == pytest.approx(1 / 3)
    assert row["detection_rate"] == pytest.approx(1.0) and row["noise_to_signal"] == pytest.approx(1 / 3)
    # cap signals only at 2, not followed by a loss at 3
    cap = res.table.loc["cap"]
    assert (cap["hits"], cap["false_alarms"], cap["missed"]) == (0, 1, 2) and np.isnan(cap["noise_to_signal"])
    # red only: psi signals at 1 and 4, both hits
    red = ew.evaluate_history(history, [idx[2], idx[5]], min_level="red").table.loc["psi"]
    assert (red["signals"], red["hits"], red["hit_rate"]) == (2, 2, 1.0)
    assert "hit" not in ew.evaluate_history(history).table.columns  # no loss data: breach counts only
    assert "HistoryEvaluation: 6 periods" in str(res)


def test_history_bad_input() -> None:
    ew = EarlyWarning.from_dict(_config(OK_IND | {"cap": {"direction": "below", "thresholds": {"red": 0.08}}}))
    history = pd.DataFrame({"psi": [0.1, 0.3, 0.2]})
    with pytest.warns(MissingIndicatorWarning, match=r"indicator 'cap' has no column in history"):
        ew.evaluate_history(history)
    with pytest.raises(DataError, match=r"losses has periods not in history \(first 7\)"):
        ew.evaluate_history(history[["psi"]].assign(cap=0.1), pd.Series([1], index=[7]))
    with pytest.raises(DataError, match=r"history is too short for horizon=3 \(got 3 periods\)"):
        ew.evaluate_history(history.assign(cap=0.1), [0], horizon=3)
    with pytest.raises(ParameterError, match=r"min_level must be one of .* \(got min_level='amber'\)"):
        ew.evaluate_history(history.assign(cap=0.1), min_level="amber")
    with pytest.raises(DataError, match=r"history has no column of any indicator"):
        with pytest.warns(MissingIndicatorWarning):
            ew.evaluate_history(pd.DataFrame({"x": [1.0]}))
