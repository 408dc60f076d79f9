"""The XGBoost pyfunc (MLflow model from code): reason codes, parameters, loading, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.pyfunc import PythonModelContext

from riskkit.credit import GradientBoostingPD
from riskkit.exceptions import ConfigError, NotFittedError, ParameterError
from riskkit.app.serving import XGBOOST_PYFUNC_PATH, log_gradient_boosting


def test_ubj_model_reason_codes_and_scaling(
    store: dict[str, str], applicants: tuple[pd.DataFrame, pd.Series], fitted: dict[str, Any]
) -> None:
    X, _ = applicants
    gbm = fitted["credit-xgboost"]
    mlflow.set_tracking_uri(store["uri"])
    mlflow.set_experiment("serving-xgb")
    with mlflow.start_run():
        info = log_gradient_boosting(
            gbm, X.head(5), model_format="ubj", pdo=40.0, base_score=500.0, base_odds=20.0, reason_codes=2
        )
    model = mlflow.pyfunc.load_model(info.model_uri)
    sample = X.iloc[100:160]
    out = model.predict(sample)
    assert list(out.columns) == ["pd", "score", "reason_1", "reason_2"]
    np.testing.assert_allclose(out["pd"], gbm.predict_proba(sample)[:, 1], rtol=0, atol=1e-9)
    # Points by hand (scorecard scaling): offset - factor * log-odds, factor = pdo / ln 2. XGBoost
    # returns PDs in float32 (relative precision 6e-8), so log-odds recovered from them are off
    # by about 1e-7, i.e. 1e-5 points at factor 57.7: tolerance 1e-4 points.
    factor = 40.0 / np.log(2.0)
    by_hand = 500.0 - factor * np.log(20.0) - factor * np.log(out["pd"] / (1.0 - out["pd"]))
    np.testing.assert_allclose(out["score"], by_hand, rtol=0, atol=1e-4)
    np.testing.assert_allclose(out["score"], gbm.points(sample, pdo=40.0, base_score=500.0, base_odds=20.0), atol=1e-9)
    expected = gbm.reason_codes(sample, k=2)
    pd.testing.assert_frame_equal(out[["reason_1", "reason_2"]], expected[["reason_1", "reason_2"]])
    assert set(out["reason_1"].dropna()) <= set(gbm.feature_names_)
    # Per-call parameter: no reasons, or more of them.
    assert list(model.predict(sample, params={"reason_codes": 0}).columns) == ["pd", "score"]
    assert list(model.predict(sample, params={"reason_codes": 4}).columns)[-1] == "reason_4"
    with pytest.raises(ParameterError, match="reason_codes must be >= 0"):
        model.predict(sample, params={"reason_codes": -1})
    local = Path(mlflow.artifacts.download_artifacts(info.model_uri))
    assert (local / "artifacts" / "gradient_boosting_pd.ubj").is_file()


def _load(module: Any, artifacts: dict[str, str]) -> Any:
    wrapper = module.GradientBoostingPyfunc()
    wrapper.load_context(PythonModelContext(artifacts=artifacts, model_config={"reason_codes": 1}))
    return wrapper


def test_load_context_sidecar_stored_apart_and_missing(
    tmp_path: Path, applicants: tuple[pd.DataFrame, pd.Series], fitted: dict[str, Any]
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("riskkit_xgb_pyfunc_test", XGBOOST_PYFUNC_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, _ = applicants
    gbm = fitted["credit-xgboost"]
    saved = gbm.save(tmp_path / "m.json")
    apart = tmp_path / "elsewhere"
    apart.mkdir()
    sidecar = shutil.copy(saved.with_name("m.riskkit.json"), apart / "renamed.json")
    wrapper = _load(module, {"booster": str(saved), "sidecar": str(sidecar)})
    out = wrapper.predict(None, X.head(20))
    assert list(out.columns) == ["pd", "score", "reason_1"]
    np.testing.assert_allclose(out["pd"], gbm.predict_proba(X.head(20))[:, 1], rtol=0, atol=1e-9)
    with pytest.raises(ConfigError, match=r"lacks the artifact\(s\) \['sidecar'\]"):
        _load(module, {"booster": str(saved)})


def test_log_gradient_boosting_rejects_bad_input(fitted: dict[str, Any]) -> None:
    gbm = fitted["credit-xgboost"]
    X = pd.DataFrame({"a": [1, 2]})
    assert XGBOOST_PYFUNC_PATH.is_file()
    with pytest.raises(ParameterError, match="model must be a riskkit GradientBoostingPD"):
        log_gradient_boosting(object(), X)
    with pytest.raises(NotFittedError, match="GradientBoostingPD is not fitted yet"):
        log_gradient_boosting(GradientBoostingPD(), X)
    with pytest.raises(ParameterError, match="model_format must be one of"):
        log_gradient_boosting(gbm, X, model_format="pkl")
    with pytest.raises(ParameterError, match="reason_codes must be at most the number of model features"):
        log_gradient_boosting(gbm, X, reason_codes=99)
    with pytest.raises(ParameterError, match="pdo"):
        log_gradient_boosting(gbm, X, pdo=0.0)
