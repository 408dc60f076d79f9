"""A scoring job loads ``models:/<name>@champion`` and scores raw applicant frames.

Each credit model is logged the way its notebook logs it, registered by
``riskkit.app.review.register_run_model`` (the same call ``riskkit run`` makes), given the
``champion`` alias, loaded by alias and fed ``german_credit()`` exactly as loaded (pandas
``category`` columns). Reference: the in-memory model's own ``predict_proba`` / ``score`` (and,
for XGBoost, the logged native booster read back by XGBoost itself).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from riskkit.app.review import register_run_model
from riskkit.app.serving import log_gradient_boosting, log_scorecard

LOGGERS = {"credit-scorecard": log_scorecard, "credit-xgboost": log_gradient_boosting}
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".cloudpickle")


def _log_register_promote(name: str, model: Any, X: pd.DataFrame, uri: str) -> str:
    """Log into a run (plus a decoy model, as a notebook might), register, alias champion."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        LOGGERS[name](model, X.head(5), name="model")
    version = register_run_model(run.info.run_id, name)
    assert version == "1"
    mlflow.MlflowClient().set_registered_model_alias(name, "champion", version)
    return run.info.run_id


@pytest.mark.parametrize("name", sorted(LOGGERS))
def test_champion_scores_raw_applicant_frame(
    name: str, store: dict[str, str], applicants: tuple[pd.DataFrame, pd.Series], fitted: dict[str, Any]
) -> None:
    X, _ = applicants
    model = fitted[name]
    _log_register_promote(name, model, X, store["uri"])

    champion = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    out = champion.predict(X)  # category dtypes, exactly as german_credit() returns them

    assert list(out.columns[:2]) == ["pd", "score"]
    assert out.index.equals(X.index)
    # tolerance 1e-9: the same model arithmetic on the same inputs
    np.testing.assert_allclose(out["pd"], model.predict_proba(X)[:, 1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(out["score"], model.points(X), rtol=0, atol=1e-9)
    assert 0.0 < out["pd"].min() and out["pd"].max() < 1.0

    local = Path(mlflow.artifacts.download_artifacts(f"models:/{name}@champion"))
    files = [p.name for p in local.rglob("*") if p.is_file()]
    assert not [f for f in files if f.endswith(PICKLE_SUFFIXES)], files
    assert "python_model.pkl" not in files
    mlmodel = (local / "MLmodel").read_text()
    # a model from code: MLflow loads the .py file (it records cloudpickle's version, pickles nothing)
    assert "python_model.pkl" not in mlmodel and "loader_module: mlflow.pyfunc.loaders.code_model" in mlmodel
    assert (local / "input_example.json").is_file()


def test_xgboost_champion_is_native_booster_with_sidecar(
    store: dict[str, str], applicants: tuple[pd.DataFrame, pd.Series], fitted: dict[str, Any]
) -> None:
    X, _ = applicants
    gbm = fitted["credit-xgboost"]
    _log_register_promote("credit-xgboost", gbm, X, store["uri"])
    local = Path(mlflow.artifacts.download_artifacts("models:/credit-xgboost@champion"))
    artifacts = local / "artifacts"
    assert sorted(p.name for p in artifacts.iterdir()) == [
        "gradient_boosting_pd.json", "gradient_boosting_pd.riskkit.json"
    ]
    sidecar = json.loads((artifacts / "gradient_boosting_pd.riskkit.json").read_text())
    assert sidecar["format"] == "riskkit.GradientBoostingPD"
    # Independent reader: XGBoost itself on the logged native file and riskkit's encoding.
    booster = xgb.Booster()
    booster.load_model(str(artifacts / "gradient_boosting_pd.json"))
    encoded = xgb.DMatrix(gbm.encode(X), feature_types=booster.feature_types, enable_categorical=True)
    served = mlflow.pyfunc.load_model("models:/credit-xgboost@champion").predict(X)
    np.testing.assert_allclose(served["pd"], booster.predict(encoded), rtol=0, atol=1e-9)
    # Signature: category columns declared Any, integer columns long, reason codes a parameter.
    signature = mlflow.models.get_model_info("models:/credit-xgboost@champion").signature
    types = {c["name"]: c["type"] for c in signature.inputs.to_dict()}
    assert types["purpose"] == "any" and types["age_in_years"] == "long"
    assert [p.name for p in signature.params.params] == ["reason_codes"]
