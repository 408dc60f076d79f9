"""MLflow "models from code" definition of a riskkit scorecard.

MLflow logs this file itself (not a pickled object) as the model's code, with the scorecard's
JSON document (:meth:`riskkit.credit.Scorecard.to_json`) as the artifact ``scorecard``::

    mlflow.pyfunc.log_model(
        name="model",
        python_model=riskkit.app.serving.SCORECARD_PYFUNC_PATH,   # path of this file
        artifacts={"scorecard": "scorecard.json"},
        signature=..., input_example=...,
    )

or simply :func:`riskkit.app.serving.log_scorecard`. ``predict`` takes raw applicant frames
(category, object or string columns as loaded; see :func:`riskkit.app.serving.applicant_signature`)
and returns a DataFrame with columns ``pd`` (probability of bad) and ``score`` (points,
higher = safer), one row per applicant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext

from riskkit.credit import Scorecard
from riskkit.exceptions import ConfigError
from riskkit.app.serving._predict import as_frame, scorecard_output

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
        return scorecard_output(self.scorecard, as_frame(model_input, "scorecard"))

mlflow.models.set_model(ScorecardPyfunc())
