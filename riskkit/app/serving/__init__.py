"""Serving: log riskkit credit models to MLflow without pickle (application layer; imports MLflow).

:func:`log_scorecard` and :func:`log_gradient_boosting` log a fitted
:class:`~riskkit.credit.Scorecard` or :class:`~riskkit.credit.GradientBoostingPD` as an MLflow
pyfunc "model from code": the code is :data:`SCORECARD_PYFUNC_PATH` or
:data:`XGBOOST_PYFUNC_PATH`, the model is the scorecard's JSON document or XGBoost's native file
with the riskkit sidecar. A scoring job needs only MLflow and the registry alias::

    import mlflow  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used
    from riskkit.data import german_credit

    X, y = german_credit()                      # raw applicants, category dtypes included
    model = mlflow.pyfunc.load_model("models:/credit-xgboost@champion")
    out = model.predict(X)                      # pd, score (+ reason_1..3 for XGBoost)

The signatures (:func:`applicant_signature`) declare category / text columns as MLflow's
``AnyType``, since MLflow's ``string`` type refuses pandas ``category`` columns; numeric
columns keep their enforced types (an integer column must arrive as integers).
"""

from __future__ import annotations

from riskkit.app.serving._log import (
    SCORECARD_PYFUNC_PATH,
    XGBOOST_PYFUNC_PATH,
    gradient_boosting_requirements,
    log_gradient_boosting,
    log_scorecard,
    scorecard_requirements,
)
from riskkit.app.serving._schema import applicant_signature, plain_dtypes

__all__ = [
    "SCORECARD_PYFUNC_PATH",
    "XGBOOST_PYFUNC_PATH",
    "applicant_signature",
    "gradient_boosting_requirements",
    "log_gradient_boosting",
    "log_scorecard",
    "plain_dtypes",
    "scorecard_requirements",
]
