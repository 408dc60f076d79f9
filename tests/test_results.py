"""The results protocol: every result class shares riskkit._results.Result.

``summary()`` returns a DataFrame everywhere, ``to_frame()`` (where tabular) a DataFrame, the
repr is a headline plus the summary table (no raw Series dumps), and ``_repr_html_`` renders
an HTML table for JupyterLab.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from riskkit._results import Result
from riskkit.credit import Scorecard, WoEBinner, decision, metrics, select_features
from riskkit.grading import EarlyWarning, MasterScale, RiskRegister
from riskkit.app.alerts import NotificationReport
from riskkit.credit.validation import CreditValidation
from riskkit.market import backtest, historical_var, panel_backtest, portfolio_var

REPO = Path(__file__).resolve().parents[1]
MODEL_PACKAGES = ("riskkit.credit", "riskkit.market", "riskkit.grading", "riskkit.monitoring", "riskkit.app.alerts")


def _returns(n: int = 600, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-01-01", periods=n)
    return pd.Series(0.01 * rng.standard_t(5, n) / np.sqrt(5 / 3), index=idx, name="r")


def _hosmer_lemeshow() -> Result:
    rng = np.random.default_rng(1)
    p = rng.uniform(0.02, 0.5, 2000)
    return metrics.hosmer_lemeshow((rng.uniform(size=p.size) < p).astype(int), p)


def _concentration() -> Result:
    return decision.concentration([50.0, 30.0, 20.0, 5.0], ["retail", "sme", "corporate", "retail"])


def _feature_selection() -> Result:
    rng = np.random.default_rng(2)
    x = rng.normal(size=3000)
    X = pd.DataFrame({"a": x, "a_copy": x + rng.normal(scale=0.01, size=x.size),
                      "b": rng.normal(size=x.size), "noise": rng.normal(size=x.size)})
    y = (rng.uniform(size=x.size) < 1 / (1 + np.exp(2 - x - 0.5 * X["b"]))).astype(int)
    binner = WoEBinner().fit(X, y)
    return select_features(binner.transform(X), binner.iv_)


def _migration() -> Result:
    return MasterScale().migration_matrix(np.array([0.001, 0.01, 0.05, 0.2]), np.array([0.002, 0.01, 0.02, 0.5]))


def _calibration() -> Result:
    rng = np.random.default_rng(3)
    pds = rng.uniform(0.001, 0.2, 4000)
    return MasterScale().calibration(pds, (rng.uniform(size=pds.size) < pds).astype(int), reference="mean")


def _notification(empty: bool) -> Callable[[], Result]:
    def build() -> Result:
        rows = [] if empty else [{"alert_id": "a1", "indicator": "psi", "level": "red", "channel": "log",
                                  "kind": "alert", "ok": True, "attempts": 1, "error": ""}]
        cols = ["alert_id", "indicator", "level", "channel", "kind", "ok", "attempts", "error"]
        return NotificationReport(deliveries=pd.DataFrame(rows, columns=cols), n_alerts=0 if empty else 1)
    return build


def _history() -> Result:
    ew = EarlyWarning.from_dict({"indicators": {"psi": {"direction": "above",
                                                         "thresholds": {"yellow": 0.1, "red": 0.25}}}})
    idx = pd.RangeIndex(6)
    history = pd.DataFrame({"psi": [0.05, 0.3, 0.05, 0.15, 0.4, 0.05]}, index=idx)
    return ew.evaluate_history(history, [idx[2], idx[5]], horizon=1, min_level="yellow")


def _register() -> Result:
    return RiskRegister.from_file(REPO / "data" / "risk_register.csv")


def _report() -> backtest.VaRBacktestReport:
    r = _returns()
    var = pd.Series(0.025, index=r.index)
    return backtest.backtest_var(r, var, 0.01, es=var * 1.2)


BUILDERS: dict[str, Callable[[], Result]] = {
    "HosmerLemeshowResult": _hosmer_lemeshow,
    "ConcentrationResult": _concentration,
    "FeatureSelection": _feature_selection,
    "MigrationResult": _migration,
    "CalibrationResult": _calibration,
    "NotificationReport": _notification(empty=False),
    "NotificationReport-empty": _notification(empty=True),
    "HistoryEvaluation": _history,
    "RiskRegister": _register,
    "TestResult": lambda: backtest.kupiec_pof(5, 250, 0.01),
    "TrafficLightResult": lambda: backtest.traffic_light(7, 250, 0.01),
    "Z2Result": lambda: _report().z2,  # type: ignore[return-value]
    "VaRBacktestReport": _report,
    "CreditValidation": lambda: CreditValidation(
        {"auc_test": 0.78, "auc_gap_train_test": 0.09, "n_sparse_bins": 1}, {}, {}, features=["age", "amount"]),
    "PanelBacktest": lambda: panel_backtest(
        pd.DataFrame({"a": _returns(seed=6), "b": _returns(seed=7)}), 0.05, model="normal", dist="normal",
        window=100, n_jobs=1),
    "VaREstimate": lambda: historical_var(_returns(), 0.01),
    "PortfolioVaR": lambda: portfolio_var(pd.DataFrame({"a": _returns(seed=4), "b": _returns(seed=5)}),
                                          [0.6, 0.4], 0.01),
}


def _result_classes() -> set[type]:
    """Every class in the model packages with a summary() that is not an estimator."""
    found: set[type] = set()
    for package in MODEL_PACKAGES:
        pkg = importlib.import_module(package)
        names = [package] + [info.name for info in pkgutil.walk_packages(pkg.__path__, package + ".")]
        for name in names:
            module = importlib.import_module(name)
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if obj.__module__.startswith("riskkit.") and hasattr(obj, "summary") \
                        and not issubclass(obj, BaseEstimator) and obj is not Result:
                    found.add(obj)
    return found


def test_every_result_class_shares_the_protocol_and_is_tested() -> None:
    classes = _result_classes()
    assert all(issubclass(c, Result) for c in classes), sorted(c.__name__ for c in classes if not issubclass(c, Result))
    assert {c.__name__ for c in classes} == {k.split("-")[0] for k in BUILDERS}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_result_protocol(name: str) -> None:
    result = BUILDERS[name]()
    assert type(result).__name__ == name.split("-")[0]
    summary = result.summary()
    assert isinstance(summary, pd.DataFrame) and len(summary) >= 1
    html = result._repr_html_()
    assert isinstance(html, str) and "<table" in html and "</table>" in html
    text = repr(result)
    assert text == str(result)
    # a headline line, then the summary table; never pandas' raw Series/array dump
    assert "dtype:" not in text and "Name:" not in text and "array(" not in text
    assert summary.columns[0] in text
    if hasattr(result, "to_frame"):
        assert isinstance(result.to_frame(), pd.DataFrame)


def test_backtest_report_repr_is_readable_and_frames_are_consistent() -> None:
    rep = _report()
    head = repr(rep).splitlines()[0]
    assert head.startswith("VaRBacktestReport: 99% VaR") and f"{rep.n_exceptions} exceptions in 600 days" in head
    frame = rep.to_frame()
    assert list(frame.columns) == ["hit", "var", "es"] and int(frame["hit"].sum()) == rep.n_exceptions
    pd.testing.assert_frame_equal(rep.summary(), rep.table())
    assert "Kupiec POF" in rep._repr_html_()


def test_summary_is_a_dataframe_for_estimators_too() -> None:
    """The fitted estimators' summary() is the same type as every result's."""
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    y = (X["a"] + rng.normal(size=500) > 0.5).astype(int)
    assert isinstance(WoEBinner().fit(X, y).summary(), pd.DataFrame)
    assert isinstance(Scorecard().fit(X, y).summary(), pd.DataFrame)


def test_html_escapes_the_headline() -> None:
    class Odd(Result):
        def summary(self) -> pd.DataFrame:
            return pd.DataFrame({"x": [1.0]})

        def _headline(self) -> str:
            return "<b>not bold</b> & co"

    html = Odd()._repr_html_()
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in html
