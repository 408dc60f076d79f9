"""Dynamic thresholds: hand computations, published average run lengths, early-warning config."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from riskkit.exceptions import ConfigError, DataError, MissingIndicatorWarning
from riskkit.grading import DynamicThreshold, EarlyWarning
from riskkit.monitoring.thresholds import alarm_levels, detection_delay, evaluate_warnings, false_alarm_rate, loss_events


# -- hand computations ---------------------------------------------------------------------------
def test_ewma_by_hand() -> None:
    chart = DynamicThreshold("ewma", {"yellow": 1.5, "red": 2.5}, lam=0.5, mean=0.0, sd=1.0)
    out = chart.evaluate(pd.Series([0.0, 2.0, 2.0]), "above")
    # z = 0, 1, 1.5; sd of the statistic sqrt(0.5 / 1.5) = 0.57735: scores 0, 1.732, 2.598
    np.testing.assert_allclose(out["statistic"], [0.0, 1.0, 1.5])
    np.testing.assert_allclose(out["limit_red"], 2.5 * np.sqrt(0.5 / 1.5))
    assert out["level_code"].tolist() == [0, 2, 4]
    # downward moves do not alarm an 'above' indicator, they do a 'below' one
    assert chart.level_codes(pd.Series([0.0, -2.0, -2.0]), "above").tolist() == [0, 0, 0]
    assert chart.level_codes(pd.Series([0.0, -2.0, -2.0]), "below").tolist() == [0, 2, 4]


def test_cusum_by_hand() -> None:
    chart = DynamicThreshold("cusum", {"red": 1.2}, k=0.5, mean=10.0, sd=2.0)
    out = chart.evaluate([12.0, 12.0, 12.0, 6.0], "above")
    # standardised 1, 1, 1, -2: C+ = 0.5, 1.0, 1.5, 0.0
    np.testing.assert_allclose(out["statistic"], [0.5, 1.0, 1.5, 0.0])
    assert out["level_code"].tolist() == [0, 0, 4, 0]


def test_warmup_estimates_the_baseline_and_gives_no_level() -> None:
    history = pd.Series([1.0, 2.0, 3.0, 2.0, 2.0, 9.0])
    chart = DynamicThreshold("ewma", {"red": 2.0}, lam=1.0, warmup=5)
    assert chart.baseline(history) == (2.0, pytest.approx(np.std([1, 2, 3, 2, 2], ddof=1)))
    codes = chart.level_codes(history)
    assert codes[:5].tolist() == [0] * 5 and codes[5] == 4  # (9 - 2) / 0.707 = 9.9 sd
    with pytest.raises(DataError, match="needs warmup=5"):
        chart.evaluate(history.iloc[:4])
    with pytest.raises(DataError, match="constant"):
        chart.evaluate(pd.Series(np.ones(8)))


def test_rolling_quantile_by_hand() -> None:
    history = pd.Series([1.0, 2.0, 3.0, 2.9])
    chart = DynamicThreshold("quantile", {"red": 0.9}, window=3)
    out = chart.evaluate(history)
    # numpy linear quantile of [1, 2, 3] at 0.9 = 2.8, median 2
    assert out["limit_red"].iloc[3] == pytest.approx(2.8)
    assert out["level_code"].tolist() == [0, 0, 0, 4]
    wide = DynamicThreshold("quantile", {"red": 0.9}, window=3, inflate=2.0).evaluate(history)
    assert wide["limit_red"].iloc[3] == pytest.approx(2.0 + 2.0 * 0.8) and wide["level_code"].iloc[3] == 0


@pytest.mark.parametrize(("spec", "message"), [
    ({"method": "shewhart", "levels": {"red": 3}}, "method must be one of"),
    ({"method": "ewma", "levels": {"red": 3}, "lam": 0}, r"lam must be a number in \(0, 1\]"),
    ({"method": "ewma", "levels": {"red": 3, "yellow": 4}}, "levels must increase from mild to severe"),
    ({"method": "ewma", "levels": {"crimson": 3}}, "unknown level name"),
    ({"method": "cusum", "levels": {"red": 5}, "window": 12}, r"unknown key\(s\) \['window'\] for method 'cusum'"),
    ({"method": "quantile", "levels": {"red": 99}}, r"quantile level red must be a probability in \(0.5, 1\)"),
    ({"method": "ewma", "levels": {}}, "levels must map level names to numbers"),
    ({"method": "cusum", "levels": {"red": 5}, "warmup": 2}, "warmup must be an integer >= 3"),
    ("ewma", "must be a mapping with method and levels"),
])
def test_bad_specs_are_refused(spec, message) -> None:
    with pytest.raises(ConfigError, match=message):
        DynamicThreshold.from_dict(spec, "indicator 'x' dynamic")


def test_spec_round_trips() -> None:
    spec = {"method": "cusum", "levels": {"orange": 4.0, "red": 5.0}, "k": 0.5, "warmup": 12}
    chart = DynamicThreshold.from_dict(spec)
    assert DynamicThreshold.from_dict(chart.to_dict()) == chart


# -- published average run lengths -----------------------------------------------------------------
# Source: /work/shared/references/control-charts.md (Lucas & Saccucci 1990, Table 3; Montgomery, CUSUM
# ARL table). Two-sided charts, zero-state, standard normal in control, 1-sd sustained shift out of
# control. Tolerance: 4 simulation standard errors (sd(run length) / sqrt(runs)) plus 5% of the
# published value, for the Markov-chain approximation the tables were computed with (a plain
# simulation of the EWMA lam=0.2 chart gives ARL(1) 10.5-10.7 against the table's 10.2).
ARL_CASES = [
    ("ewma", {"lam": 0.1}, 2.814, 500.0, 10.3),
    ("ewma", {"lam": 0.2}, 2.962, 500.0, 10.2),
    ("cusum", {"k": 0.5}, 4.0, 168.0, 8.38),
    ("cusum", {"k": 0.5}, 5.0, 465.0, 10.4),
]


def _run_lengths(chart: DynamicThreshold, shift: float, runs: int, length: int, seed: int) -> np.ndarray:
    z = np.random.default_rng(seed).normal(size=(runs, length)) + shift
    alarm = chart.scores(z, "both") > chart.levels["red"]
    return np.where(alarm.any(axis=1), alarm.argmax(axis=1) + 1, length)


@pytest.mark.parametrize(("method", "params", "limit", "arl0", "arl1"), ARL_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in ARL_CASES])
def test_average_run_lengths_match_published_tables(method, params, limit, arl0, arl1) -> None:
    chart = DynamicThreshold(method, {"red": limit}, mean=0.0, sd=1.0, **params)
    rl0 = _run_lengths(chart, 0.0, runs=1500, length=4000, seed=11)
    assert (rl0 < 4000).mean() > 0.995  # censoring negligible at 8 x ARL0
    se0 = rl0.std(ddof=1) / np.sqrt(len(rl0))
    assert abs(rl0.mean() - arl0) < 4 * se0 + 0.05 * arl0, (rl0.mean(), se0)
    rl1 = _run_lengths(chart, 1.0, runs=1500, length=300, seed=12)
    se1 = rl1.std(ddof=1) / np.sqrt(len(rl1))
    assert abs(rl1.mean() - arl1) < 4 * se1 + 0.05 * arl1, (rl1.mean(), se1)


def test_one_sided_chart_ignores_the_other_side() -> None:
    chart = DynamicThreshold("cusum", {"red": 4.0}, k=0.5, mean=0.0, sd=1.0)
    z = np.random.default_rng(3).normal(size=(400, 200)) - 1.0  # downward shift
    assert (chart.scores(z, "above") > 4.0).any(axis=1).mean() < 0.05
    assert (chart.scores(z, "below") > 4.0).any(axis=1).mean() > 0.95
    with pytest.raises(DataError, match="quantile method has no standardised score"):
        DynamicThreshold("quantile", {"red": 0.99}).scores(z)


# -- early-warning configuration --------------------------------------------------------------------
def _config() -> dict:
    return {"indicators": {
        "roll_young": {"direction": "above", "description": "young roll rate",
                       "dynamic": {"method": "ewma", "lam": 0.2, "warmup": 12, "levels": {"yellow": 2.0, "red": 2.962}}},
        "score_psi": {"direction": "above", "thresholds": {"yellow": 0.1, "red": 0.25},
                      "dynamic": {"method": "cusum", "k": 0.5, "warmup": 12, "levels": {"red": 5.0}}},
    }}


def test_yaml_dynamic_indicator_evaluates_on_history(tmp_path) -> None:
    import yaml

    (tmp_path / "ew.yaml").write_text(yaml.safe_dump(_config()))
    ew = EarlyWarning.from_yaml(tmp_path / "ew.yaml")
    assert ew.indicator_table()["dynamic"].to_dict() == {"roll_young": "ewma", "score_psi": "cusum"}
    wiggle = np.tile([1.0, -1.0, 0.5, -0.5], 6)  # an in-control history with mean 0
    history = pd.DataFrame({"roll_young": 0.03 + 0.002 * wiggle, "score_psi": 0.02 + 0.005 * wiggle})
    quiet = ew.evaluate({"roll_young": 0.031, "score_psi": 0.02}, history=history)
    assert quiet == []
    alerts = ew.evaluate({"roll_young": 0.06, "score_psi": 0.02}, history=history)
    assert [(a.indicator, a.level) for a in alerts] == [("roll_young", "red")]
    assert "ewma statistic" in alerts[0].message and alerts[0].threshold == pytest.approx(
        history["roll_young"].iloc[:12].mean() + 2.962 * history["roll_young"].iloc[:12].std() * np.sqrt(0.2 / 1.8))
    # static and dynamic together: the static red wins for a PSI of 0.3
    both = ew.evaluate({"roll_young": 0.03, "score_psi": 0.3}, history=history)
    assert [(a.indicator, a.level) for a in both] == [("score_psi", "red")]
    # no history: dynamic indicators are not evaluated (warned), static thresholds still are
    with pytest.warns(MissingIndicatorWarning, match="has a dynamic threshold but no history"):
        static_only = ew.evaluate({"roll_young": 0.06, "score_psi": 0.12})
    assert [(a.indicator, a.level) for a in static_only] == [("score_psi", "yellow")]


def test_static_indicators_unchanged_and_bad_dynamic_refused() -> None:
    config = _config()
    config["indicators"]["static"] = {"direction": "below", "thresholds": {"red": 1.0}}
    ew = EarlyWarning.from_dict(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingIndicatorWarning)
        assert [a.level for a in ew.evaluate({"static": 0.5, "roll_young": 0.0, "score_psi": 0.0})] == ["red"]
    config["indicators"]["roll_young"]["dynamic"]["lam"] = 2.0
    with pytest.raises(ConfigError, match=r"indicator 'roll_young' dynamic: lam must be a number in \(0, 1\]"):
        EarlyWarning.from_dict(config)
    config["indicators"]["roll_young"] = {"direction": "above"}
    with pytest.raises(ConfigError, match="thresholds must map levels to numbers"):
        EarlyWarning.from_dict(config)


def test_evaluate_history_uses_the_dynamic_levels() -> None:
    ew = EarlyWarning.from_dict(_config())
    rng = np.random.default_rng(1)
    roll = np.r_[0.03 + 0.002 * rng.normal(size=20), np.full(6, 0.05)]
    history = pd.DataFrame({"roll_young": roll, "score_psi": np.full(26, 0.02) + 0.001 * rng.normal(size=26)})
    result = ew.evaluate_history(history, min_level="red")
    assert result.levels["roll_young"].iloc[:20].max() < 4 and result.levels["roll_young"].iloc[21:].min() == 4


# -- evaluation helpers -----------------------------------------------------------------------------
def test_false_alarm_rate_and_detection_delay_by_hand() -> None:
    levels = pd.DataFrame({"a": [0, 4, 0, 0, 0, 4, 4], "b": [0, 0, 0, 0, 2, 2, 4]}, index=range(10, 17))
    far = false_alarm_rate(levels, start=10, end=13)
    assert far["a"] == 0.25 and far["b"] == 0.0 and far["all"] == 0.125
    delay = detection_delay(levels, 14)
    assert delay["a"] == 1.0 and delay["b"] == 2.0 and delay["any"] == 1.0
    assert detection_delay(levels, 14, level="yellow")["b"] == 0.0
    with pytest.raises(DataError, match="change must be a month of the history"):
        detection_delay(levels, 99)


def test_loss_events_by_hand() -> None:
    rates = pd.Series([9.0, 1.0, 1.0, 1.2, 1.0, 1.6, 2.0, 1.1])
    events = loss_events(rates, baseline_months=4, excess=0.5, skip=1)
    # baseline mean of 1.0, 1.0, 1.2, 1.0 = 1.05; events above 1.575 after the baseline
    assert events.tolist() == [False] * 5 + [True, True, False]
    with pytest.raises(DataError, match="need at least skip \\+ baseline_months = 12"):
        loss_events(rates, baseline_months=10, skip=2)


def test_evaluate_warnings_counts_hits_and_lead_time() -> None:
    n = 30
    x = np.zeros(n)
    x[:12] = np.tile([0.1, -0.1], 6)
    x[20:] = 5.0  # shift from month 20
    history = pd.DataFrame({"ind": x})
    losses = pd.Series(np.r_[np.zeros(24), np.ones(6)].astype(bool))  # losses from month 24
    chart = DynamicThreshold("ewma", {"red": 3.0}, lam=1.0, warmup=12)
    table = evaluate_warnings(history, losses, {"ind": chart}, horizon=6)
    row = table.loc["ind"]
    # red from month 20; months 20..23 see the loss within 6 months, later ones sit inside the episode
    assert row["episodes"] == 1 and row["episodes_detected"] == 1
    assert row["lead_time"] == 4.0  # first red at 20, losses start at 24
    # the last 6 months (window not yet observed) are left out: red months 20..23 are the signals
    assert row["signals"] == 4 and row["hits"] == 4
    assert row["false_alarms"] == 0 and row["hit_rate"] == 1.0
    with pytest.raises(DataError, match="losses must be a Series on the index of history"):
        evaluate_warnings(history, losses.iloc[:5], {"ind": chart})


def test_alarm_levels_needs_every_indicator() -> None:
    with pytest.raises(DataError, match=r"no column for indicator\(s\) \['b'\]"):
        alarm_levels(pd.DataFrame({"a": np.arange(20.0)}), {"b": DynamicThreshold("ewma", {"red": 3.0})})


# -- on the simulated book ------------------------------------------------------------------------
def test_configured_thresholds_fire_on_the_drift_and_stay_quiet_without_it() -> None:
    """The shipped configuration on the generator's ground truth: at most 1% of indicator-months red
    without the drift, red within 3 months of it, and the warnings precede the realised losses."""
    from riskkit.data import DATA_DIR, simulate_loan_book
    from riskkit.monitoring import delinquency_rates, monthly_indicators

    ew = EarlyWarning.from_yaml(DATA_DIR / "early_warning_monitoring.yaml")
    names = list(ew.indicator_table().index)
    out = {}
    for drift in (None, 36):  # 60 months: the drifted cohorts' charge-offs come a year after the drift
        book = simulate_loan_book(n_loans=15_000, n_months=60, seed=21, drift_month=drift)
        history = monthly_indicators(book.performance, book.origination, book.development_sample(12)).iloc[6:]
        out[drift] = (book, history, ew.evaluate_history(history[names]).levels)
    _, _, quiet = out[None]
    # judged months 24-47, as in the benchmark (whose 16 seeds give 0.1% +- 0.1%); one book of 7 x 24
    # indicator-months allows at most one red month
    assert false_alarm_rate(quiet.drop(columns="any"), start=quiet.index[18])["all"] <= 0.01
    book, history, levels = out[36]
    delay = detection_delay(levels.drop(columns="any"), book.drift_month)
    assert delay["any"] <= 3
    performance = levels.drop(columns=["any", "score_psi_new"])
    assert detection_delay(performance, book.drift_month)["any"] <= 3
    charges = delinquency_rates(book.performance)["chargeoff_rate"].rolling(3, min_periods=1).mean().reindex(history.index)
    losses = loss_events(charges, baseline_months=12, excess=0.5, skip=18)  # baseline: months 24-35
    assert losses.any() and losses.index[losses.to_numpy()][0] > book.drift_month
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingIndicatorWarning)
        table = evaluate_warnings(history, losses, ew, horizon=12)
    # the red months from the drift on are followed by excess charge-offs within the PD horizon; a
    # chance red month before the drift (about 1% of indicator-months) is the only false alarm allowed
    assert table.loc["any", "episodes_detected"] >= 1 and table.loc["any", "lead_time"] > 0
    assert table.loc["any", "false_alarms"] <= 1 and table.loc["any", "hit_rate"] > 0.8
