"""One validation of a credit PD model, shared by every credit notebook: metrics under the family's
names, figures, tables and texts. Pure: nothing is logged here; :func:`riskkit.app.validation.
log_credit_validation` records a result in MLflow.

Metric names (identical across models so runs compare side by side): ``auc``, ``gini``, ``ks``,
``brier``, ``bad_rate`` and ``n`` with ``_train`` and ``_test``; ``psi_train_test`` (score
stability), ``hl_pvalue_test`` (Hosmer-Lemeshow), ``auc_gap_train_test`` (overfitting),
``n_features``, ``n_sparse_bins`` (bins whose WoE rests on a handful of bads or goods) and
``adverse_impact_ratio_min`` (the lowest approval-rate ratio among protected groups).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskkit._results import Result
from riskkit.credit import metrics, plots
from riskkit.credit._sanity import SPARSE_MIN_COUNT, sparse_bins
from riskkit.credit.fairness import disparity_table
from riskkit.exceptions import DataError

__all__ = ["HEADLINE_FIGURES", "HEADLINE_METRICS", "CreditValidation", "validate_credit_model"]

#: Metrics a reviewer looks at first (``riskkit runs`` shows these by default).
HEADLINE_METRICS = ("auc_test", "gini_test", "ks_test", "psi_train_test", "auc_gap_train_test",
                    "hl_pvalue_test", "adverse_impact_ratio_min")
#: Figures MLflow's compare view shows side by side (logged at the artifact root).
HEADLINE_FIGURES = ("roc", "score_distribution", "calibration")


@dataclass(repr=False)
class CreditValidation(Result):
    """What :func:`validate_credit_model` found: metrics, figures, tables and texts by name."""

    metrics: dict[str, float]
    figures: dict[str, Figure]
    tables: dict[str, pd.DataFrame]
    texts: dict[str, str] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The metrics as a one-column frame (``value``) indexed by name.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.Series(self.metrics, name="value").to_frame()

    def findings(self) -> list[str]:
        """Plain-language findings a validator would raise (empty when there are none).

        Returns
        -------
        list of str
        """
        out = []
        m = self.metrics
        if m.get("auc_gap_train_test", 0.0) > 0.05:
            out.append(f"train AUC exceeds test AUC by {m['auc_gap_train_test']:.3f}: the model may be overfitted")
        if m.get("hl_pvalue_test", 1.0) < 0.05:
            out.append(f"Hosmer-Lemeshow rejects calibration on the test set (p = {m['hl_pvalue_test']:.3g})")
        if m.get("psi_train_test", 0.0) > 0.1:
            out.append(f"score distribution shifted between train and test (PSI {m['psi_train_test']:.3f})")
        if m.get("n_sparse_bins", 0) > 0:
            out.append(f"{int(m['n_sparse_bins'])} bin(s) rest on a handful of bads or goods (see sparse_bins)")
        air = m.get("adverse_impact_ratio_min")
        if air is not None and not math.isnan(air) and air < 0.8:
            out.append(f"a protected group's approval rate is {air:.2f} of the best group's (four-fifths rule)")
        return out

    def to_frame(self) -> pd.DataFrame:
        """The metrics, one row per name (the same table as :meth:`summary`).

        Returns
        -------
        pandas.DataFrame
        """
        return self.summary()

    def _headline(self) -> str:
        found = self.findings()
        return f"{len(self.features)} features; " + (f"{len(found)} finding(s): " + "; ".join(found) if found
                                                     else "no findings")

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(f)}</li>" for f in self.findings()) or "<li>none</li>"
        return (f"<b>Credit validation</b> ({len(self.features)} features)"
                f"<p>Findings:</p><ul>{items}</ul>" + self.summary().to_html(float_format=lambda x: f"{x:.4g}"))


def _split_metrics(y: np.ndarray, p: np.ndarray, suffix: str) -> dict[str, float]:
    return {f"auc_{suffix}": metrics.auc(y, p), f"gini_{suffix}": metrics.gini(y, p), f"ks_{suffix}": metrics.ks(y, p),
            f"brier_{suffix}": metrics.brier(y, p), f"bad_rate_{suffix}": float(np.mean(y)), f"n_{suffix}": len(y)}


def validate_credit_model(
    X_train: pd.DataFrame,
    X_test: pd.DataFrame,
    y_train: Any,
    y_test: Any,
    pd_train: Any,
    pd_test: Any,
    *,
    score_train: Any,
    score_test: Any,
    features: Sequence[str],
    binner: Any = None,
    woe_features: Sequence[str] | None = None,
    groups_test: pd.DataFrame | None = None,
    approval_rate: float = 0.7,
    min_bads: int = SPARSE_MIN_COUNT,
) -> CreditValidation:
    """Validate a credit PD model on its train and test samples.

    Parameters
    ----------
    X_train, X_test : pandas.DataFrame
        The model's input samples (for characteristic stability, CSI).
    y_train, y_test : array-like of {0, 1}
        Outcomes, 1 = bad.
    pd_train, pd_test : array-like
        The model's probability of bad.
    score_train, score_test : array-like
        Points (higher = safer), for the score distribution, KS table and PSI.
    features : sequence of str
        The features the model uses (recorded, and checked for sparse bins).
    binner : WoEBinner, optional
        A fitted binner: its tables are logged, its bins are sanity-checked
        (:func:`riskkit.credit._sanity.sparse_bins`) and ``woe_features`` are drawn.
    woe_features : sequence of str, optional
        Features for the WoE bar chart (default: none drawn).
    groups_test : pandas.DataFrame, optional
        Protected group labels of the test rows (:func:`riskkit.credit.fairness.protected_groups`),
        for the disparity table; without it ``adverse_impact_ratio_min`` is NaN.
    approval_rate : float
        Share approved overall in the disparity table (default 0.7).
    min_bads : int
        Least bads (and goods) a bin needs to pass the sanity check (default 3, the least the WoE binner's automatic sizes give a bin).

    Returns
    -------
    CreditValidation

    Raises
    ------
    DataError
        When samples are misaligned or a target is not binary.
    ParameterError
        When an option is out of range.
    """
    y_tr, p_tr = metrics._check_pair(y_train, pd_train)
    y_te, p_te = metrics._check_pair(y_test, pd_test)
    if len(X_train) != len(y_tr) or len(X_test) != len(y_te):
        raise DataError(f"X_train/X_test have {len(X_train)}/{len(X_test)} rows but y_train/y_test "
                        f"{len(y_tr)}/{len(y_te)}; pass the samples the model was scored on")
    s_tr, s_te = np.asarray(score_train, dtype=float), np.asarray(score_test, dtype=float)
    hl = metrics.hosmer_lemeshow(y_te, p_te)
    values: dict[str, float] = {}
    train, test = _split_metrics(y_tr, p_tr, "train"), _split_metrics(y_te, p_te, "test")
    for name in ("auc", "gini", "ks"):
        values[f"{name}_train"], values[f"{name}_test"] = train[f"{name}_train"], test[f"{name}_test"]
    values["psi_train_test"] = metrics.psi(s_tr, s_te)
    values["brier_train"], values["brier_test"] = train["brier_train"], test["brier_test"]
    values["hl_pvalue_test"] = hl.pvalue
    values["auc_gap_train_test"] = values["auc_train"] - values["auc_test"]
    for name in ("bad_rate", "n"):
        values[f"{name}_train"], values[f"{name}_test"] = train[f"{name}_train"], test[f"{name}_test"]
    values["n_features"] = len(features)

    calibration = metrics.calibration_table(y_te, p_te)
    figures: dict[str, Figure] = {
        "roc": plots.roc_curves({"train": (y_tr, p_tr), "test": (y_te, p_te)}),
        "score_distribution": plots.score_distribution(s_te, y_te),
        "calibration": plots.calibration_plot(calibration),
        "ks_curve": plots.ks_curve(y_te, p_te),
    }
    tables: dict[str, pd.DataFrame] = {
        "calibration_test": calibration,
        "ks_table_test": metrics.ks_table(y_te, s_te, higher_is_riskier=False),
        "score_psi": metrics.psi_table(s_tr, s_te),
        "csi": metrics.csi(X_train, X_test).rename("csi").sort_values(ascending=False).to_frame(),
    }
    sparse = pd.DataFrame()
    if binner is not None:
        checked = [f for f in features if f in set(binner.features_)]
        sparse = sparse_bins(binner, checked, min_bads=min_bads, min_goods=min_bads)
        tables["sparse_bins"] = sparse
        if woe_features:
            figures["woe_bars"] = plots.woe_bars(binner, list(woe_features))
        binning = pd.concat({f: binner.table(f) for f in binner.features_}, names=["feature", "row"])
        tables["binning_tables"] = binning.reset_index(level="row", drop=True)
        tables["binning_summary"] = binner.summary()
    values["n_sparse_bins"] = len(sparse)
    if groups_test is not None:
        disparity = disparity_table(y_te, p_te, groups_test, approval_rate=approval_rate)
        tables["disparity"] = disparity
        judged = disparity.loc[disparity["flag"] != "small", "adverse_impact_ratio"]
        values["adverse_impact_ratio_min"] = float(judged.min()) if len(judged) else float("nan")
    else:
        values["adverse_impact_ratio_min"] = float("nan")
    return CreditValidation(values, figures, tables, {"hosmer_lemeshow_test": str(hl)}, list(features))
