"""The scorecard pyfunc (MLflow model from code) reproduces the in-memory scorecard."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from riskkit.credit import Scorecard
from riskkit.data import german_credit
from riskkit.exceptions import NotFittedError, ParameterError
from riskkit.app.serving import SCORECARD_PYFUNC_PATH, log_scorecard


def test_logged_pyfunc_matches_scorecard(store: dict[str, str]) -> None:
    X, y = german_credit()
    card = Scorecard().fit(X, y)
    mlflow.set_tracking_uri(store["uri"])
    mlflow.set_experiment("serving-test")
    with mlflow.start_run():
        info = log_scorecard(card, X.head(5))
    local = mlflow.artifacts.download_artifacts(info.model_uri)
    files = {p.name for p in Path(local).rglob("*")}
    assert "scorecard_pyfunc.py" in files and "scorecard.json" in files
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in files)
    assert "python_model.pkl" not in files
    served = mlflow.pyfunc.load_model(info.model_uri).predict(X)  # category columns as loaded
    assert list(served.columns) == ["pd", "score"]
    np.testing.assert_allclose(served["pd"], card.predict_proba(X)[:, 1], atol=1e-12)
    np.testing.assert_allclose(served["score"], card.points(X), atol=1e-9)
    assert [c["name"] for c in json.loads(info.signature.to_dict()["outputs"])] == ["pd", "score"]


def test_log_scorecard_rejects_bad_input() -> None:
    assert SCORECARD_PYFUNC_PATH.is_file()
    with pytest.raises(ParameterError, match="scorecard must be a riskkit Scorecard"):
        log_scorecard(object(), pd.DataFrame({"a": [1]}))
    with pytest.raises(NotFittedError, match="Scorecard is not fitted yet"):
        log_scorecard(Scorecard(), pd.DataFrame({"a": [1]}))
