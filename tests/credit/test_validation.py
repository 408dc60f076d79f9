"""Shared credit validation, fairness checks and the bin sanity check, against independent
computations (scikit-learn's AUC, numpy counts, the delta-method WoE standard error)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from riskkit._figures import RiskFigure
from riskkit.credit import WoEBinner, fairness
from riskkit.credit._sanity import sparse_bins
from riskkit.credit.validation import HEADLINE_FIGURES, CreditValidation, validate_credit_model
from riskkit.data import german_credit
from riskkit.exceptions import DataError, NotFittedError, ParameterError


@pytest.fixture(scope="module")
def credit() -> tuple[pd.DataFrame, pd.Series, WoEBinner]:
    X, y = german_credit()
    return X, y, WoEBinner().fit(X, y)


def test_sparse_bins_flags_bins_with_few_bads(credit: tuple) -> None:
    X, y, binner = credit
    table = binner.table("credit_amount")
    body = table[(table["bin"] != "Totals") & (table["count"] > 0)]
    few = body[body["n_bad"] < 6]
    assert len(few) >= 1  # German credit amounts have a low-risk pocket: [3556, 3914), 48 rows, 3 bads
    flagged = sparse_bins(binner, "credit_amount", min_bads=6, min_goods=1)
    assert list(flagged["bin"]) == list(few["bin"].astype(str))
    row = flagged.iloc[0]
    # delta-method standard error of a log odds ratio: sqrt(1/n_bad + 1/n_good)
    assert row["woe_se"] == pytest.approx(math.sqrt(1 / row["n_bad"] + 1 / row["n_good"]), rel=1e-12)
    assert "bad(s) < 6" in row["reason"]
    assert sparse_bins(binner, "credit_amount", min_bads=1, min_goods=1).empty


def test_sparse_bins_validates_input(credit: tuple) -> None:
    _, _, binner = credit
    with pytest.raises(NotFittedError, match="fitted WoEBinner"):
        sparse_bins(WoEBinner())
    with pytest.raises(ParameterError, match="min_bads"):
        sparse_bins(binner, min_bads=0)
    with pytest.raises(ParameterError, match="unknown"):
        sparse_bins(binner, ["no_such_feature"])


def test_protected_groups_of_german_credit(credit: tuple) -> None:
    X, _, _ = credit
    groups = fairness.protected_groups(X)
    assert list(groups.columns) == list(fairness.GERMAN_CREDIT_PROTECTED)
    assert set(groups["personal_status_and_sex"]) == {"male", "female"}
    assert (groups["personal_status_and_sex"] == "female").sum() == 310  # Statlog: 310 female applicants
    assert groups.loc[X["age_in_years"] < 25, "age_in_years"].eq("<25").all()
    assert groups.loc[X["age_in_years"] >= 50, "age_in_years"].eq("50+").all()
    with pytest.raises(DataError, match="not in X"):
        fairness.protected_groups(X.drop(columns="foreign_worker"))


def test_disparity_table_against_independent_counts() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    group = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.38, 0.02])
    p = np.clip(rng.beta(2, 5, n) + np.where(group == "b", 0.1, 0.0), 0, 1)
    y = (rng.uniform(size=n) < p).astype(int)
    table = fairness.disparity_table(y, p, pd.DataFrame({"g": group}), approval_rate=0.7, min_group_size=50)
    cutoff = np.quantile(p, 0.7)
    rates = {g: float(np.mean(p[group == g] <= cutoff)) for g in "abc"}
    best = max(rates["a"], rates["b"])  # group c is below min_group_size
    for _, row in table.iterrows():
        g = row["group"]
        assert row["n"] == (group == g).sum()
        assert row["approval_rate"] == pytest.approx(rates[g], abs=1e-12)
        assert row["auc"] == pytest.approx(roc_auc_score(y[group == g], p[group == g]), abs=1e-9)
        assert row["adverse_impact_ratio"] == pytest.approx(rates[g] / best, abs=1e-12)
    flags = dict(zip(table["group"], table["flag"], strict=True))
    assert flags["c"] == "small"
    assert flags["b"] == ("adverse impact" if rates["b"] / best < 0.8 else "")
    with pytest.raises(ParameterError, match="approval_rate"):
        fairness.disparity_table(y, p, pd.DataFrame({"g": group}), approval_rate=70)
    with pytest.raises(DataError, match="rows"):
        fairness.disparity_table(y, p, pd.DataFrame({"g": group[:10]}))


def test_validate_credit_model_metrics_figures_tables(credit: tuple) -> None:
    X, y, binner = credit
    rng = np.random.default_rng(0)
    # a model-free PD: the binner's WoE summed (lower WoE = riskier), squashed to (0, 1)
    woe = binner.transform(X).sum(axis=1).to_numpy()
    pd_all = 1 / (1 + np.exp(woe + rng.normal(0, 0.01, len(X)) + 0.85))
    train = np.arange(len(X)) % 10 < 7
    test = ~train
    score = pd.Series(600 - 20 / np.log(2) * np.log(pd_all / (1 - pd_all)), index=X.index)
    result = validate_credit_model(
        X[train], X[test], y[train], y[test], pd_all[train], pd_all[test], score_train=score[train],
        score_test=score[test], features=list(binner.features_), binner=binner, woe_features=["credit_amount"],
        groups_test=fairness.protected_groups(X[test]))
    assert isinstance(result, CreditValidation)
    m = result.metrics
    assert m["auc_test"] == pytest.approx(roc_auc_score(y[test], pd_all[test]), abs=1e-9)
    assert m["auc_train"] == pytest.approx(roc_auc_score(y[train], pd_all[train]), abs=1e-9)
    assert m["gini_test"] == pytest.approx(2 * m["auc_test"] - 1, abs=1e-12)
    assert m["brier_test"] == pytest.approx(brier_score_loss(y[test], pd_all[test]), abs=1e-12)
    assert m["auc_gap_train_test"] == pytest.approx(m["auc_train"] - m["auc_test"], abs=1e-12)
    assert m["n_test"] == test.sum() and m["n_features"] == len(binner.features_)
    assert m["n_sparse_bins"] == len(result.tables["sparse_bins"])
    judged = result.tables["disparity"].query("flag != 'small'")["adverse_impact_ratio"]
    assert m["adverse_impact_ratio_min"] == pytest.approx(judged.min())
    assert set(HEADLINE_FIGURES) <= set(result.figures)
    assert all(isinstance(f, RiskFigure) for f in result.figures.values())
    # the ROC chart carries both samples
    labels = [t.get_text() for t in result.figures["roc"].axes[0].get_legend().get_texts()]
    assert any(t.startswith("train") for t in labels) and any(t.startswith("test") for t in labels)
    assert {"calibration_test", "ks_table_test", "score_psi", "csi", "disparity", "sparse_bins"} <= set(result.tables)
    assert "Hosmer" in result.texts["hosmer_lemeshow_test"]
    assert "Credit validation" in result._repr_html_()


def test_validate_credit_model_rejects_misaligned_samples(credit: tuple) -> None:
    X, y, _ = credit
    p = np.full(len(X), 0.3)
    with pytest.raises(DataError, match="rows"):
        validate_credit_model(X.head(10), X, y, y, p, p, score_train=p, score_test=p, features=[])
