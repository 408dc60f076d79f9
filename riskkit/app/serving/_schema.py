"""Model signatures for raw applicant frames.

MLflow schemas have no categorical type: a ``string`` column refuses a pandas ``category``
column ("Can not safely convert category to <U0"), and no numeric type accepts both. So the
category (and object / string) columns of an applicant frame are declared as MLflow's
``AnyType``: MLflow passes their values through unchanged (a ``category`` column arrives as
strings, and so does a JSON request to a served model), and the riskkit model checks them
itself. Numeric and boolean columns keep the type MLflow infers (``long``, ``double``,
``boolean``), which MLflow enforces.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from riskkit._validation import check_frame, is_text_column

__all__ = ["applicant_signature", "plain_dtypes"]


def plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``category`` columns as ``object`` (their values, missing stays missing):
    the form MLflow can store as an input example.

    Parameters
    ----------
    frame : pd.DataFrame
        Applicant rows.

    Returns
    -------
    pd.DataFrame
        A copy with the category columns as object.
    """
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object)
    return out




def applicant_signature(
    input_example: pd.DataFrame,
    output: pd.DataFrame,
    params: dict[str, Any] | None = None,
    *,
    optional_outputs: Iterable[str] = (),
) -> Any:
    """The ``ModelSignature`` of a model scoring raw applicant frames.

    Columns of ``input_example`` that are categorical, object or string are declared
    ``AnyType`` (so ``model.predict(X)`` accepts the frame :func:`riskkit.data.german_credit`
    returns, category dtypes included); the other columns and ``output`` keep MLflow's inferred
    types; ``params`` (name -> default) become the signature's inference parameters and the
    ``optional_outputs`` columns may hold missing values (e.g. reason codes).

    Parameters
    ----------
    input_example : pd.DataFrame
        A few applicant rows as loaded.
    output : pd.DataFrame
        The model's output on them.
    params : dict of str to object, optional
        Inference parameters and their defaults.
    optional_outputs : iterable of str, default ()
        Output columns that may be missing.

    Returns
    -------
    mlflow.models.ModelSignature
    """
    from mlflow.models import ModelSignature, infer_signature  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used
    from mlflow.types.schema import AnyType, ColSpec, Schema  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    frame = check_frame(input_example, "input_example")
    inferred = infer_signature(plain_dtypes(frame), check_frame(output, "output"), params=params)
    specs = [
        ColSpec(AnyType(), spec.name) if is_text_column(frame[spec.name]) else spec
        for spec in inferred.inputs.inputs
    ]
    optional = set(optional_outputs)
    outputs = [
        ColSpec(spec.type, spec.name, required=False) if spec.name in optional else spec
        for spec in inferred.outputs.inputs
    ]
    return ModelSignature(inputs=Schema(specs), outputs=Schema(outputs), params=inferred.params)
