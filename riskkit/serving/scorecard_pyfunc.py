"""MLflow "models from code" definition of a riskkit scorecard.

MLflow logs this file itself (not a pickled object) as the model's code, with the scorecard's
JSON document (:meth:`riskkit.credit.Scorecard.to_json`) as the artifact ``scorecard``::

    mlflow.pyfunc.log_model(
        name="model",
        python_model=riskkit.serving.SCORECARD_PYFUNC_PATH,   # path of this file
        artifacts={"scorecard": "scorecard.json"},
        signature=..., input_example=...,
    )

or simply :func:`riskkit.serving.log_scorecard`. ``predict`` returns a DataFrame with columns
``pd`` (probability of bad) and ``score`` (points, higher = safer), one row per applicant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext

from riskkit.credit import Scorecard
from riskkit.exceptions import ConfigError, DataError

__all__ = ["OUTPUT_COLUMNS", "ScorecardPyfunc"]

#: Columns of the prediction frame.
OUTPUT_COLUMNS = ("pd", "score")


class ScorecardPyfunc(PythonModel):  # type: ignore[misc]
    """Pyfunc wrapper: loads the scorecard JSON artifact, predicts PD and points."""

    def load_context(self, context: PythonModelContext) -> None:
        artifacts = context.artifacts or {}
        if "scorecard" not in artifacts:
            raise ConfigError(
                f"the model has no 'scorecard' artifact (got artifacts {sorted(artifacts)}); "
                "log it with artifacts={'scorecard': <path of Scorecard.to_json() output>}"
            )
        self.scorecard = Scorecard.from_json(Path(artifacts["scorecard"]).read_text())

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame):
            try:
                model_input = pd.DataFrame(model_input)
            except (TypeError, ValueError):
                raise DataError(
                    f"model_input must be a table of applicants (got {type(model_input).__name__}); "
                    "pass a pandas DataFrame with the scorecard's feature columns"
                ) from None
        proba = self.scorecard.predict_proba(model_input)[:, 1]
        points = self.scorecard.score(model_input).to_numpy()
        return pd.DataFrame({"pd": proba, "score": points}, index=model_input.index)


mlflow.models.set_model(ScorecardPyfunc())
