"""Signatures of raw applicant frames: what MLflow's schema enforcement accepts (measured)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature, validate_schema

from riskkit.exceptions import DataError
from riskkit.app.serving import applicant_signature, plain_dtypes


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "purpose": pd.Categorical(["car", "tv", None, "car"]),
            "job": pd.Series(["a", "b", "a", "b"], dtype=object),
            "age": np.array([30, 41, 25, 60], dtype="int64"),
            "ratio": [0.1, 0.5, np.nan, 0.2],
        }
    )


def test_string_schema_refuses_categories_applicant_signature_accepts() -> None:
    X = _frame()
    # What MLflow itself infers (category as string) refuses the frame as loaded ...
    with pytest.raises(MlflowException, match="Can not safely convert category"):
        validate_schema(X, infer_signature(plain_dtypes(X)).inputs)
    # ... the applicant signature accepts it, and the object / str forms of the same columns.
    signature = applicant_signature(X, pd.DataFrame({"pd": [0.1, 0.2, 0.3, 0.4]}))
    types = {c["name"]: c["type"] for c in signature.inputs.to_dict()}
    assert types == {"purpose": "any", "job": "any", "age": "long", "ratio": "double"}
    validate_schema(X, signature.inputs)
    validate_schema(plain_dtypes(X), signature.inputs)
    validate_schema(X.astype({"purpose": "string", "job": "string"}), signature.inputs)
    # Numeric columns stay enforced: floats in an integer column are refused.
    with pytest.raises(MlflowException, match="age"):
        validate_schema(X.astype({"age": float}), signature.inputs)


def test_plain_dtypes_keeps_values_and_missing() -> None:
    X = _frame()
    plain = plain_dtypes(X)
    assert plain["purpose"].dtype == object and X["purpose"].dtype == "category"
    assert plain["purpose"].tolist()[:2] == ["car", "tv"] and pd.isna(plain["purpose"].iloc[2])
    pd.testing.assert_frame_equal(plain.drop(columns="purpose"), X.drop(columns="purpose"))


def test_optional_outputs_and_params() -> None:
    X = _frame()
    out = pd.DataFrame({"pd": [0.1] * 4, "reason_1": ["age", None, "job", "age"]})
    signature = applicant_signature(X, out, params={"reason_codes": 3}, optional_outputs=["reason_1"])
    required = {c["name"]: c["required"] for c in signature.outputs.to_dict()}
    assert required == {"pd": True, "reason_1": False}
    assert signature.params.params[0].default == 3


def test_applicant_signature_rejects_non_frames() -> None:
    with pytest.raises(DataError, match="input_example must be a pandas DataFrame"):
        applicant_signature(np.zeros((2, 2)), pd.DataFrame({"pd": [0.1, 0.2]}))
    with pytest.raises(DataError, match="output is empty"):
        applicant_signature(_frame(), pd.DataFrame())
