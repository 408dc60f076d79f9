"""Serving: log riskkit models to MLflow without pickle (application layer; imports MLflow).

:func:`log_scorecard` logs a fitted :class:`~riskkit.credit.Scorecard` as an MLflow pyfunc
"model from code": the code is :data:`SCORECARD_PYFUNC_PATH` and the model is its JSON document.
"""

from __future__ import annotations

import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit._validation import check_frame, short_repr
from riskkit.exceptions import NotFittedError, ParameterError

__all__ = ["SCORECARD_PYFUNC_PATH", "log_scorecard", "scorecard_requirements"]

#: The models-from-code file MLflow logs for a scorecard.
SCORECARD_PYFUNC_PATH = Path(__file__).resolve().with_name("scorecard_pyfunc.py")

_REQUIREMENTS = ("mlflow", "numpy", "pandas", "scipy", "scikit-learn")


def scorecard_requirements() -> list[str]:
    """Pinned pip requirements of the scorecard pyfunc (the installed versions), so MLflow need
    not infer them by loading the model in a subprocess."""
    return [f"{name}=={metadata.version(name)}" for name in _REQUIREMENTS]


def _plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Category columns as plain strings: MLflow schemas have no categorical type, and served
    requests arrive as JSON strings anyway (the scorecard bins strings like categories)."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object)
    return out


def log_scorecard(scorecard: Any, input_example: pd.DataFrame, *, name: str = "model", **kwargs: Any) -> Any:
    """Log a fitted scorecard to the active MLflow run as a pyfunc model from code.

    ``input_example`` is a few applicant rows (the signature is inferred from it and from the
    model's output columns ``pd`` and ``score``; category columns are logged as strings). Extra keyword arguments go to
    ``mlflow.pyfunc.log_model`` (e.g. ``registered_model_name``). Returns MLflow's ``ModelInfo``.
    """
    import mlflow
    from mlflow.models import infer_signature

    from riskkit.credit import Scorecard

    if not isinstance(scorecard, Scorecard):
        raise ParameterError(
            f"scorecard must be a riskkit Scorecard (got {short_repr(scorecard)}); "
            "fit riskkit.credit.Scorecard first"
        )
    if getattr(scorecard, "coef_", None) is None:
        raise NotFittedError("Scorecard is not fitted yet (no coef_); call Scorecard.fit(X, y) first")
    example = _plain_dtypes(check_frame(input_example, "input_example"))
    output = pd.DataFrame(
        {"pd": scorecard.predict_proba(example)[:, 1], "score": scorecard.score(example).to_numpy()}
    )
    with tempfile.TemporaryDirectory() as tmp:
        document = Path(tmp) / "scorecard.json"
        document.write_text(scorecard.to_json(indent=2))
        kwargs.setdefault("pip_requirements", scorecard_requirements())
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(SCORECARD_PYFUNC_PATH),
            artifacts={"scorecard": str(document)},
            signature=infer_signature(example, output),
            input_example=example,
            **kwargs,
        )
