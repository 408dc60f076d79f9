"""The loan-book schema, its loader and the generator's documented properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from riskkit import monitoring as mon
from riskkit.data import (
    STATUSES,
    LoanBook,
    dpd_bucket,
    load_loan_book,
    simulate_loan_book,
    validate_origination,
    validate_performance,
)
from riskkit.data._loanbook import BASE_CURE, BASE_ROLL, SCORE_BETA
from riskkit.exceptions import DataError, ParameterError
from tests.monitoring.conftest import tiny_frames


@pytest.fixture(scope="module")
def book() -> LoanBook:
    return simulate_loan_book(n_loans=12_000, n_months=48, seed=7)


# -- schema and loader ------------------------------------------------------------------------
def test_dpd_bucket_edges() -> None:
    assert dpd_bucket([0, 1, 29, 30, 59, 60, 89, 90, 400]).tolist() == [
        "current", "1-29", "1-29", "30-59", "30-59", "60-89", "60-89", "90+", "90+"]
    with pytest.raises(DataError, match="dpd must be >= 0"):
        dpd_bucket([3, -1])


def test_load_csv_and_parquet_round_trip(tmp_path: Path) -> None:
    perf, orig = tiny_frames()
    perf.to_csv(tmp_path / "perf.csv", index=False)
    orig.to_csv(tmp_path / "orig.csv", index=False)
    loaded = load_loan_book(tmp_path / "perf.csv", tmp_path / "orig.csv")
    assert len(loaded.performance) == len(perf) and loaded.performance["snapshot_month"].dtype.kind == "M"
    assert loaded.performance["snapshot_month"].min() == pd.Timestamp("2024-01-01")
    loaded.performance.to_parquet(tmp_path / "perf.parquet")
    loaded.origination.to_parquet(tmp_path / "orig.parquet")
    again = load_loan_book(tmp_path / "perf.parquet", tmp_path / "orig.parquet")
    pd.testing.assert_frame_equal(again.performance, loaded.performance)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: p.drop(columns="dpd_bucket"), r"performance is missing column\(s\) \['dpd_bucket'\]"),
    (lambda p: p.assign(status=p["status"].where(p.index != 5, "late")), r"column 'status' row 5: unknown value 'late'"),
    (lambda p: p.assign(dpd=p["dpd"].where(p.index != 1, 45)), r"column 'dpd_bucket' row 1: '1-29' contradicts dpd=45"),
    (lambda p: p.assign(balance=p["balance"].where(p.index != 2, -5.0)), r"column 'balance' row 2: must be a number >= 0"),
    (lambda p: p.assign(snapshot_month=p["snapshot_month"].where(p.index != 3, "March")),
     r"column 'snapshot_month' row 3: not a month"),
    (lambda p: p.assign(snapshot_month=p["snapshot_month"].where(p.index != 8, "2023-12")),
     r"column 'snapshot_month' row 8: 2023-12 is before the origination month 2024-02"),
    (lambda p: pd.concat([p, p.iloc[[0]]], ignore_index=True), r"loan 'A' appears twice in 2024-01"),
    (lambda p: p.assign(status=p["status"].where(p.index != 13, "90+"), dpd=p["dpd"].where(p.index != 13, 50),
                        dpd_bucket=p["dpd_bucket"].where(p.index != 13, "30-59")),
     r"column 'status' row 13: status '90\+' needs dpd_bucket '90\+' \(got '30-59'\)"),
])
def test_loader_names_column_and_row(tmp_path: Path, edit, message) -> None:
    perf, orig = tiny_frames()
    edit(perf).to_csv(tmp_path / "perf.csv", index=False)
    orig.to_csv(tmp_path / "orig.csv", index=False)
    with pytest.raises(DataError, match=message):
        load_loan_book(tmp_path / "perf.csv", tmp_path / "orig.csv")


def test_origination_checks(tmp_path: Path) -> None:
    perf, orig = tiny_frames()
    with pytest.raises(DataError, match=r"origination column 'pd' row 2: must be a number in \[0, 1\]"):
        validate_origination(orig.assign(pd=orig["pd"].where(orig.index != 2, 1.5)))
    with pytest.raises(DataError, match="origination column 'loan_id' row 3: loan 'A' appears twice"):
        validate_origination(orig.assign(loan_id=["A", "B", "C", "A"]))
    perf.to_csv(tmp_path / "perf.csv", index=False)
    orig[orig["loan_id"] != "C"].to_csv(tmp_path / "orig.csv", index=False)
    with pytest.raises(DataError, match="performance column 'loan_id' row 8: loan 'C' has no origination row"):
        load_loan_book(tmp_path / "perf.csv", tmp_path / "orig.csv")
    orig.assign(origination_month="2024-01").to_csv(tmp_path / "orig2.csv", index=False)
    with pytest.raises(DataError, match="differs from the origination table"):
        load_loan_book(tmp_path / "perf.csv", tmp_path / "orig2.csv")
    with pytest.raises(DataError, match="performance_path does not name a file"):
        load_loan_book(tmp_path / "nope.csv", tmp_path / "orig.csv")
    (tmp_path / "perf.txt").write_text("x")
    with pytest.raises(DataError, match=r"must end in .csv or .parquet"):
        load_loan_book(tmp_path / "perf.txt", tmp_path / "orig.csv")


# -- generator ----------------------------------------------------------------------------------
def test_generator_is_deterministic_and_valid(book: LoanBook) -> None:
    again = simulate_loan_book(n_loans=12_000, n_months=48, seed=7)
    pd.testing.assert_frame_equal(book.performance, again.performance)
    pd.testing.assert_frame_equal(book.origination, again.origination)
    other = simulate_loan_book(n_loans=12_000, n_months=48, seed=8)
    assert not other.origination["score"].equals(book.origination["score"])
    # the generator writes what the schema accepts
    pd.testing.assert_frame_equal(validate_performance(book.performance), book.performance, check_dtype=False)
    validate_origination(book.origination)
    assert set(book.performance["status"]) == set(STATUSES)
    assert book.performance["snapshot_month"].nunique() == 48 and len(book.origination) == 12_000
    assert book.drift_month == pd.Timestamp("2024-01-01")
    # grades are the default master scale's
    from riskkit.grading import MasterScale

    np.testing.assert_array_equal(book.origination["grade"].to_numpy(),
                                  np.asarray(MasterScale().grade(book.origination["pd"].to_numpy())))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_months": 24}, "n_months must be >= 36"),
    ({"drift_month": 60}, r"drift_month must be None or an integer month index in \[1, 47\]"),
    ({"macro_sd": -1}, r"macro_sd must be in \[0.0, 2.0\]"),
    ({"start": "June"}, "start must be a month YYYY-MM"),
    ({"n_loans": 10}, "n_loans must be >= 100"),
])
def test_generator_arguments_are_checked(kwargs, message) -> None:
    with pytest.raises(ParameterError, match=message):
        simulate_loan_book(**kwargs)


def _expected_roll(book: LoanBook, state: str, target: str) -> tuple[float, float, int]:
    """Observed and expected number of (state -> target) transitions, and the number of trials.

    The expectation uses the documented model: logit q = logit BASE_ROLL[m] - SCORE_BETA[m] * s
    + macro_t + drift_shift * drifted, with s = (score - 650) / 50 and the prepayment / cure splits.
    """
    perf = book.performance.merge(book.origination[["loan_id", "score"]], on="loan_id")
    perf = perf.sort_values(["loan_id", "snapshot_month"])
    prev = perf.groupby("loan_id")["status"].shift(1)
    trials = perf[prev == state]
    m = ["current", "1-29", "30-59", "60-89", "90+"].index(state)
    s = (trials["score"].to_numpy() - 650.0) / 50.0
    macro = book.macro.reindex(trials["snapshot_month"]).to_numpy()
    drifted = (trials["origination_month"] >= book.drift_month).to_numpy() if book.drift_month is not None else 0
    q = expit(logit(BASE_ROLL[m]) - SCORE_BETA[m] * s + macro + book.params["drift_shift"] * drifted)
    if target == "roll":
        p = q * (1 - book.params["prepay_rate"]) if m == 0 else q
        observed = (trials["status"] != state) & (trials["status"] != "current") & (trials["status"] != "paid_off")
    else:  # cure
        p = BASE_CURE[m] * (1 - q)
        observed = trials["status"] == "current"
    return float(observed.sum()), float(p.sum()), float((p * (1 - p)).sum())


@pytest.mark.parametrize(("state", "target"), [("current", "roll"), ("1-29", "roll"), ("30-59", "roll"),
                                               ("60-89", "roll"), ("90+", "roll"), ("1-29", "cure")])
def test_roll_rates_recover_the_documented_model(book: LoanBook, state: str, target: str) -> None:
    observed, expected, variance = _expected_roll(book, state, target)
    # binomial sum: tolerance 4 standard deviations (plus the rounding of scores to whole points)
    assert abs(observed - expected) < 4 * np.sqrt(variance) + 0.01 * expected, (observed, expected, np.sqrt(variance))


def test_roll_rate_matrix_matches_base_rates_in_a_flat_book() -> None:
    """No macro, no drift: the pooled matrix of the analytics against the documented base rates.

    The pooled current -> 1-29 rate averages expit(logit 2.5% - 0.7 s) over the scores on the book
    (which shift as risky loans leave current), so only bounds are exact; the late buckets are
    checked against their cure and roll probabilities averaged over the same scores.
    """
    flat = simulate_loan_book(n_loans=8_000, n_months=36, seed=1, drift_month=None, macro_sd=0.0)
    m = mon.roll_rate_matrix(flat.performance)
    assert BASE_ROLL[0] < m.loc["current", "1-29"] < 0.04  # Jensen: the average over scores exceeds the base
    for state, nxt in (("1-29", "30-59"), ("30-59", "60-89"), ("60-89", "90+"), ("90+", "default")):
        observed, expected, variance = _expected_roll(flat, state, "roll")
        n = (flat.performance.sort_values(["loan_id", "snapshot_month"]).groupby("loan_id")["status"].shift(1) == state).sum()
        assert m.loc[state, nxt] == pytest.approx(expected / n, abs=4 * np.sqrt(variance) / n + 0.01)


def test_origination_pd_is_calibrated_without_macro_or_drift() -> None:
    flat = simulate_loan_book(n_loans=15_000, n_months=36, seed=2, drift_month=None, macro_sd=0.0)
    flags = mon.default_flags(flat.performance, flat.origination, horizon=12)
    n, d, p = len(flags), int(flags["bad"].sum()), float(flags["pd"].mean())
    # the PD is the chain's exact 12-month absorption probability: observed within 4 binomial sd
    sd = np.sqrt((flags["pd"] * (1 - flags["pd"])).sum())
    assert abs(d - n * p) < 4 * sd


def test_drift_month_is_recovered_by_the_analytics(book: LoanBook) -> None:
    psi = mon.stability_by_month(book.origination, book.development_sample(12))["psi_score"]
    # documented: new bookings' score falls by 0.5 sd from the drift month; PSI of N(-0.5, 1) vs N(0, 1)
    # is about 0.25 (= 0.5^2, the normal approximation), far above the sampling noise of ~250 loans
    assert psi.index[psi > 0.15][0] == book.drift_month
    assert psi[psi.index < book.drift_month].max() < 0.1
    assert psi[psi.index >= book.drift_month].min() > 0.15
    clean = simulate_loan_book(n_loans=12_000, n_months=48, seed=7, drift_month=None)
    assert mon.stability_by_month(clean.origination, clean.development_sample(12))["psi_score"].max() < 0.1


def test_drifted_cohorts_are_underpredicted(book: LoanBook) -> None:
    """Post-drift cohorts carry risk the score does not see: calibration fails for them only."""
    perf = mon.cohort_performance(book.performance, book.origination, horizon=6)
    after = perf[perf.index >= book.drift_month]
    before = perf[perf.index < book.drift_month]
    assert after["default_rate"].sum() / after["mean_pd"].sum() > before["default_rate"].sum() / before["mean_pd"].sum()
    vint = mon.vintage_curves(book.performance).query("months_on_book == 6").set_index("origination_month")
    pre = vint[vint.index < book.drift_month]["rate_30plus"]
    post = vint[vint.index >= book.drift_month]["rate_30plus"]
    assert post.mean() > pre.mean() + 3 * pre.std() / np.sqrt(len(post))
