"""Each monitoring analytic against a hand computation on the tiny book of conftest.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit import monitoring as mon
from riskkit.exceptions import DataError, ParameterError

M = pd.Timestamp


def test_months_on_book(tiny) -> None:
    perf, _ = tiny
    mob = mon.months_on_book(perf)
    assert mob[(perf["loan_id"] == "A").to_numpy()].tolist() == [0, 1, 2, 3]
    assert mob[(perf["loan_id"] == "C").to_numpy()].tolist() == [0, 1, 2]


def test_vintage_curves_by_hand(tiny) -> None:
    perf, _ = tiny
    v = mon.vintage_curves(perf).set_index(["origination_month", "months_on_book"])
    jan, feb = M("2024-01-01"), M("2024-02-01")
    # January cohort: A, B, D. A reaches 30-59 at mob 2; D defaults at mob 2.
    assert v.loc[jan, "n_loans"].tolist() == [3, 3, 3, 3]
    np.testing.assert_allclose(v.loc[jan, "rate_30plus"], [0, 0, 2 / 3, 2 / 3])
    np.testing.assert_allclose(v.loc[jan, "rate_90plus"], [0, 0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(v.loc[jan, "rate_default"], [0, 0, 1 / 3, 1 / 3])
    # February cohort (C) is observed for mob 0..2 only
    np.testing.assert_allclose(v.loc[feb, "rate_30plus"], [0, 0, 1])
    w = mon.vintage_curves(perf, weight="amount").set_index(["origination_month", "months_on_book"])
    assert w.loc[(jan, 2), "rate_30plus"] == pytest.approx(1500 / 3500)
    assert mon.vintage_curves(perf, max_months=1)["months_on_book"].max() == 1


def test_roll_rate_matrix_by_hand(tiny) -> None:
    perf, _ = tiny
    m = mon.roll_rate_matrix(perf)
    assert m.loc["current", "current"] == pytest.approx(2 / 6)
    assert m.loc["current", "1-29"] == pytest.approx(3 / 6)
    assert m.loc["current", "paid_off"] == pytest.approx(1 / 6)
    assert m.loc["1-29", "30-59"] == pytest.approx(2 / 3)
    assert m.loc["1-29", "default"] == pytest.approx(1 / 3)
    assert m.loc["30-59", "current"] == 1.0
    assert m.loc["default", "charged_off"] == 1.0
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    feb = mon.roll_rate_matrix(perf, months="2024-02")
    assert feb.loc["current", "1-29"] == pytest.approx(2 / 3)
    table = mon.roll_rates(perf)
    mar = table[(table["snapshot_month"] == M("2024-03-01")) & (table["from"] == "1-29")]
    assert sorted(mar["to"]) == ["30-59", "default"] and (mar["n_from"] == 2).all()
    # balance weights: February current -> 1-29 carries A 1000 + D 500 of 3500
    b = mon.roll_rate_matrix(perf, months="2024-02", weight="balance")
    assert b.loc["current", "1-29"] == pytest.approx(1500 / 3500)
    with pytest.raises(DataError, match="no transition"):
        mon.roll_rate_matrix(perf, months="2030-01")


def test_flow_rates_by_hand(tiny) -> None:
    perf, _ = tiny
    f = mon.flow_rates(perf).set_index(["snapshot_month", "from"])
    assert f.loc[(M("2024-02-01"), "current"), "rate"] == pytest.approx(1500 / 3500)
    assert f.loc[(M("2024-03-01"), "current"), "rate"] == pytest.approx(1000 / 2800)
    assert f.loc[(M("2024-04-01"), "current"), "rate"] == 0.0
    assert np.isnan(f.loc[(M("2024-02-01"), "1-29"), "rate"])  # nothing in 1-29 in January
    assert f.loc[(M("2024-03-01"), "1-29"), "rate"] == pytest.approx(1000 / 1500)
    assert f.loc[(M("2024-04-01"), "1-29"), "rate"] == pytest.approx(1.0)
    with pytest.raises(DataError, match="single month"):
        mon.flow_rates(perf[perf["snapshot_month"] == M("2024-01-01")])


def test_delinquency_rates_by_hand(tiny) -> None:
    perf, _ = tiny
    d = mon.delinquency_rates(perf)
    mar, apr = d.loc[M("2024-03-01")], d.loc[M("2024-04-01")]
    assert d["n_active"].tolist() == [3, 4, 4, 2]
    assert mar["balance_active"] == 4100.0
    assert mar["dq30_rate"] == pytest.approx(1500 / 4100)
    assert mar["dq90_rate"] == pytest.approx(500 / 4100)
    assert mar["dq30_count_rate"] == pytest.approx(2 / 4)
    assert mar["new_defaults"] == 1 and mar["default_rate"] == pytest.approx(1 / 4)
    assert apr["dq30_rate"] == pytest.approx(1000 / 1900)
    assert apr["chargeoff_amount"] == 500.0 and apr["chargeoff_rate"] == pytest.approx(500 / 4100)
    assert np.isnan(d["default_rate"].iloc[0])


def test_default_flags_and_cohort_performance_by_hand(tiny) -> None:
    perf, orig = tiny
    flags = mon.default_flags(perf, orig, horizon=2).set_index("loan_id")["bad"]
    assert flags.to_dict() == {"A": 0, "B": 0, "C": 0, "D": 1}
    # horizon 3: only the January cohort is observed 3 months
    assert sorted(mon.default_flags(perf, orig, horizon=3)["loan_id"]) == ["A", "B", "D"]
    with pytest.raises(DataError, match="no cohort has 4 months"):
        mon.default_flags(perf, orig, horizon=4)
    perf_tab = mon.cohort_performance(perf, orig, horizon=2)
    jan = perf_tab.loc[M("2024-01-01")]
    assert jan["n"] == 3 and jan["defaults"] == 1
    assert jan["mean_pd"] == pytest.approx(0.15)
    assert jan["binomial_pvalue"] == pytest.approx(1 - 0.85 ** 3)  # P(X >= 1 | 3, 0.15)
    assert jan["auc"] == 1.0 and jan["ks"] == 1.0  # the defaulter has the lowest score
    assert np.isnan(perf_tab.loc[M("2024-02-01"), "auc"])  # one class only


def test_grade_calibration_uses_the_master_scale_binomial_test(tiny) -> None:
    perf, orig = tiny
    res = mon.grade_calibration(perf, orig, horizon=2)
    from riskkit.grading import MasterScale

    grades = MasterScale().grade(np.array([0.10, 0.05, 0.10, 0.30]))
    assert res.table["n"].sum() == 4
    g = str(grades[3])  # D's grade holds the one default
    assert res.table.loc[g, "defaults"] == 1
    n, p = int(res.table.loc[g, "n"]), float(res.table.loc[g, "pd"])
    assert res.table.loc[g, "binomial_pvalue"] == pytest.approx(stats.binom.sf(0, n, p))
    with pytest.raises(DataError, match="no fully observed loan"):
        mon.grade_calibration(perf, orig, horizon=2, cohorts=["2023-01"])


def test_stability_by_month_reuses_psi(tiny) -> None:
    _, orig = tiny
    ref = pd.DataFrame({"score": np.linspace(450, 750, 40), "income": np.linspace(500, 5000, 40)})
    table = mon.stability_by_month(orig, ref, features=["income"], bins=4)
    from riskkit.credit import metrics

    jan = orig[orig["origination_month"] == M("2024-01-01")]
    assert table.loc[M("2024-01-01"), "n"] == 3
    assert table.loc[M("2024-01-01"), "psi_score"] == pytest.approx(metrics.psi(ref["score"], jan["score"], bins=4))
    assert table.loc[M("2024-01-01"), "csi_income"] == pytest.approx(
        float(metrics.csi(ref[["income"]], jan[["income"]], bins=4).iloc[0]))
    # the book on hand instead of new bookings: in April A and C are active
    perf, _ = tiny
    on_book = mon.stability_by_month(orig, ref, performance=perf, bins=4)
    assert on_book.loc[M("2024-04-01"), "n"] == 2
    with pytest.raises(DataError, match="missing column"):
        mon.stability_by_month(orig, ref, features=["age"])


def test_concentration_by_hand(tiny) -> None:
    perf, _ = tiny
    t = mon.concentration_table(perf, "2024-03", limits={"region": 0.5, "product": {"auto": 0.2}})
    region = t[t["dimension"] == "region"].set_index("segment")
    assert region.loc["south", "share"] == pytest.approx(2100 / 4100)
    assert region.loc["south", "breach"] and not region.loc["north", "breach"]
    assert region["hhi"].iloc[0] == pytest.approx((2100 ** 2 + 2000 ** 2) / 4100 ** 2)
    product = t[t["dimension"] == "product"].set_index("segment")
    assert product.loc["auto", "share"] == pytest.approx(1500 / 4100) and product.loc["auto", "breach"]
    assert np.isnan(product.loc["personal", "limit"]) and not product.loc["personal", "breach"]
    by_month = mon.concentration_by_month(perf, "region")
    assert by_month.loc[M("2024-03-01"), "hhi"] == pytest.approx(region["hhi"].iloc[0])
    assert by_month.loc[M("2024-03-01"), "largest"] == "south"
    with pytest.raises(ParameterError, match="limits"):
        mon.concentration_table(perf, "2024-03", limits={"region": 1.5})
    with pytest.raises(DataError, match="no loan on the book in month=2030-01"):
        mon.concentration_table(perf, "2030-01")
    with pytest.raises(DataError, match="no column 'sector'"):
        mon.concentration_table(perf, "2024-03", dimensions=["sector"])


def test_inputs_are_checked(tiny) -> None:
    perf, _ = tiny
    with pytest.raises(DataError, match="performance must be a non-empty DataFrame"):
        mon.vintage_curves(pd.DataFrame())
    with pytest.raises(DataError, match=r"missing column\(s\) \['status'\]"):
        mon.roll_rates(perf.drop(columns="status"))
    with pytest.raises(ParameterError, match="weight must be one of"):
        mon.vintage_curves(perf, weight="balance")
    bad = perf.assign(status=perf["status"].replace("current", "late"))
    with pytest.raises(DataError, match="unknown value"):
        mon.delinquency_rates(bad)
    with pytest.raises(DataError, match="must be datetime months"):
        mon.vintage_curves(perf.assign(snapshot_month=perf["snapshot_month"].dt.strftime("%Y-%m")))


def test_figures(tiny) -> None:
    from matplotlib.figure import Figure

    from riskkit.grading import DynamicThreshold
    from riskkit.monitoring import plots

    perf, orig = tiny
    ref = pd.DataFrame({"score": np.linspace(450, 750, 40)})
    figs = [
        plots.vintage_curves(mon.vintage_curves(perf), every=1),
        plots.roll_rate_heatmap(mon.roll_rate_matrix(perf)),
        plots.flow_rates(mon.flow_rates(perf)),
        plots.delinquency(mon.delinquency_rates(perf)),
        plots.stability(mon.stability_by_month(orig, ref, bins=4)),
        plots.cohort_performance(mon.cohort_performance(perf, orig, horizon=2)),
        plots.calibration_by_grade(mon.grade_calibration(perf, orig, horizon=2).table),
        plots.concentration(mon.concentration_table(perf, "2024-03", limits={"region": 0.5})),
    ]
    series = pd.Series(np.r_[np.zeros(12) + np.tile([0.1, -0.1], 6), np.full(6, 3.0)])
    for method, levels in (("ewma", {"red": 3.0}), ("cusum", {"red": 4.0}), ("quantile", {"red": 0.9})):
        chart = DynamicThreshold(method, levels, window=6)
        figs.append(plots.control_chart(chart.evaluate(series), method=method, change=12))
    assert all(isinstance(f, Figure) and f.axes for f in figs)
    with pytest.raises(DataError, match="lacks column"):
        plots.delinquency(pd.DataFrame({"x": [1]}))


def test_monthly_indicators_by_hand(tiny) -> None:
    perf, orig = tiny
    ref = pd.DataFrame({"score": np.linspace(450, 750, 40)})
    ind = mon.monthly_indicators(perf, orig, ref, bins=4)
    assert list(ind.columns) == list(mon.INDICATORS)
    feb, mar, apr = (M(f"2024-0{k}-01") for k in (2, 3, 4))
    assert ind.loc[feb, "roll_current_to_1_29"] == pytest.approx(2 / 3)  # A and D of A, B, D
    assert ind.loc[mar, "roll_current_to_1_29"] == pytest.approx(1 / 2)  # C of B, C
    assert ind.loc[apr, "roll_current_to_1_29"] == 0.0  # B repaid
    assert ind.loc[mar, "roll_current_to_1_29_young"] == pytest.approx(1 / 2)  # all loans are young here
    assert ind["roll_young_excess"].isna().all()  # so there is no seasoned loan to compare with
    old = mon.monthly_indicators(perf, orig, ref, young_months=1, bins=4)
    # young = at most 1 month on book: in March C (booked February) rolled, B (seasoned) did not
    assert old.loc[mar, "roll_current_to_1_29_young"] == 1.0 and old.loc[mar, "roll_young_excess"] == 1.0 - 0.0
    assert ind.loc[apr, "roll_30_to_60"] == 0.0 and np.isnan(ind.loc[mar, "roll_30_to_60"])  # A cured
    assert ind.loc[mar, "dq30_rate"] == pytest.approx(1500 / 4100)
    assert ind.loc[mar, "default_rate"] == pytest.approx(1 / 4)
    assert ind.loc[mar, "hhi_region"] == pytest.approx((2100 ** 2 + 2000 ** 2) / 4100 ** 2)
    assert np.isnan(ind.loc[mar, "score_psi_new"])  # nothing booked in March
    assert not np.isnan(ind.loc[feb, "score_psi_new"])
