"""Log fitted riskkit credit models to the active MLflow run as pyfunc models from code.

Both models score raw applicant frames (category columns included) and are stored without
pickle: the code is a file of this package, the model is its JSON (scorecard) or XGBoost's native
format plus the riskkit sidecar (gradient boosting).
"""

from __future__ import annotations

import math
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit._validation import (
    check_choice,
    check_fitted,
    check_frame,
    check_in_range,
    check_positive_int,
    short_repr,
)
from riskkit.app import tracking
from riskkit.credit import GradientBoostingPD, Scorecard
from riskkit.exceptions import NotFittedError, ParameterError
from riskkit.app.serving._predict import boosting_output, scorecard_output
from riskkit.app.serving._schema import applicant_signature, plain_dtypes

__all__ = [
    "SCORECARD_PYFUNC_PATH",
    "XGBOOST_PYFUNC_PATH",
    "gradient_boosting_requirements",
    "log_gradient_boosting",
    "log_scorecard",
    "scorecard_requirements",
]

_HERE = Path(__file__).resolve().parent
#: The models-from-code file MLflow logs for a scorecard.
SCORECARD_PYFUNC_PATH = _HERE / "scorecard_pyfunc.py"
#: The models-from-code file MLflow logs for a :class:`~riskkit.credit.GradientBoostingPD`.
XGBOOST_PYFUNC_PATH = _HERE / "xgboost_pyfunc.py"

_REQUIREMENTS = ("mlflow", "numpy", "pandas", "scipy", "scikit-learn")


def _pinned(names: tuple[str, ...]) -> list[str]:
    return [f"{name}=={metadata.version(name)}" for name in names]


def scorecard_requirements() -> list[str]:
    """Pinned pip requirements of the scorecard pyfunc (the installed versions), so MLflow need
    not infer them by loading the model in a subprocess."""
    return _pinned(_REQUIREMENTS)


def gradient_boosting_requirements() -> list[str]:
    """Pinned pip requirements of the XGBoost pyfunc (the scorecard's plus xgboost)."""
    return _pinned((*_REQUIREMENTS, "xgboost"))


def log_scorecard(scorecard: Any, input_example: pd.DataFrame, *, name: str = "model", **kwargs: Any) -> Any:
    """Log a fitted scorecard to the active MLflow run as a pyfunc model from code.

    ``input_example`` is a few applicant rows as loaded (category dtypes allowed); the signature
    comes from :func:`applicant_signature` and the output columns ``pd`` and ``score``, so the
    loaded model accepts raw applicant frames. Extra keyword arguments go to
    ``mlflow.pyfunc.log_model`` (e.g. ``registered_model_name``). Returns MLflow's ``ModelInfo``.

    Parameters
    ----------
    scorecard : Scorecard
        A fitted scorecard.
    input_example : pd.DataFrame
        A few applicant rows as loaded.
    name : str, default "model"
        Artifact name of the model in the run.
    **kwargs
        Passed to ``mlflow.pyfunc.log_model``.

    Returns
    -------
    mlflow.models.model.ModelInfo

    Raises
    ------
    ParameterError
        When ``scorecard`` is not a riskkit Scorecard.
    NotFittedError
        When it is not fitted.
    DataError
        When ``input_example`` is not a non-empty DataFrame.
    """
    import mlflow  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used


    if not isinstance(scorecard, Scorecard):
        raise ParameterError(
            f"scorecard must be a riskkit Scorecard (got {short_repr(scorecard)}); "
            "fit riskkit.credit.Scorecard first"
        )
    if getattr(scorecard, "coef_", None) is None:
        raise NotFittedError("Scorecard is not fitted yet (no coef_); call Scorecard.fit(X, y) first")
    example = check_frame(input_example, "input_example")
    output = scorecard_output(scorecard, example)
    with tempfile.TemporaryDirectory() as tmp, tracking.quiet():
        document = Path(tmp) / "scorecard.json"
        document.write_text(scorecard.to_json(indent=2))
        kwargs.setdefault("pip_requirements", scorecard_requirements())
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(SCORECARD_PYFUNC_PATH),
            artifacts={"scorecard": str(document)},
            signature=applicant_signature(example, output),
            input_example=plain_dtypes(example),
            **kwargs,
        )


def _boosting_config(model: Any, pdo: Any, base_score: Any, base_odds: Any, reason_codes: Any) -> dict[str, Any]:
    check_in_range(pdo, "pdo", 0, math.inf, low_open=True, hint="e.g. 20 points to double the odds")
    check_in_range(base_odds, "base_odds", 0, math.inf, low_open=True, hint="good:bad odds, e.g. 50")
    check_in_range(base_score, "base_score", -math.inf, math.inf, hint="e.g. 600")
    k = check_positive_int(reason_codes, "reason_codes", minimum=0, hint="e.g. 3 reasons, or 0 for none")
    if k > len(model.feature_names_):
        raise ParameterError(
            f"reason_codes must be at most the number of model features (got reason_codes={k} for "
            f"{len(model.feature_names_)} features); ask for fewer reasons"
        )
    return {"pdo": float(pdo), "base_score": float(base_score), "base_odds": float(base_odds), "reason_codes": k}


def log_gradient_boosting(
    model: Any,
    input_example: pd.DataFrame,
    *,
    name: str = "model",
    model_format: str = "json",
    pdo: float = 20.0,
    base_score: float = 600.0,
    base_odds: float = 50.0,
    reason_codes: int = 3,
    **kwargs: Any,
) -> Any:
    """Log a fitted :class:`~riskkit.credit.GradientBoostingPD` as a pyfunc model from code.

    The artifacts are the files :meth:`GradientBoostingPD.save` writes: the booster in XGBoost's
    native ``model_format`` (``"json"`` or ``"ubj"``) and its ``.riskkit.json`` sidecar. The
    loaded model's ``predict`` takes raw applicant frames (category dtypes allowed) and returns
    ``pd``, ``score`` (points with ``pdo``, ``base_score``, ``base_odds``) and ``reason_1 ..
    reason_k`` (``k = reason_codes``; override per call with ``params={"reason_codes": k}``).
    ``input_example`` is a few applicant rows as loaded. Extra keyword arguments go to
    ``mlflow.pyfunc.log_model``. Returns MLflow's ``ModelInfo``.

    Parameters
    ----------
    model : GradientBoostingPD
        A fitted model.
    input_example : pd.DataFrame
        A few applicant rows as loaded.
    name : str, default "model"
        Artifact name of the model in the run.
    model_format : {"json", "ubj"}, default "json"
        XGBoost's native format of the booster.
    pdo, base_score, base_odds : float
        Points scale of the ``score`` output (defaults 20, 600, 50).
    reason_codes : int, default 3
        Reason codes returned per applicant.
    **kwargs
        Passed to ``mlflow.pyfunc.log_model``.

    Returns
    -------
    mlflow.models.model.ModelInfo

    Raises
    ------
    ParameterError
        When ``model`` is not a riskkit GradientBoostingPD or an option is out of range.
    NotFittedError
        When it is not fitted.
    DataError
        When ``input_example`` is not a non-empty DataFrame.
    """
    import mlflow  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used


    if not isinstance(model, GradientBoostingPD):
        raise ParameterError(
            f"model must be a riskkit GradientBoostingPD (got {short_repr(model)}); "
            "fit riskkit.credit.GradientBoostingPD first"
        )
    check_fitted(model, "booster_")
    check_choice(model_format, "model_format", ("json", "ubj"))
    config = _boosting_config(model, pdo, base_score, base_odds, reason_codes)
    example = check_frame(input_example, "input_example")
    scaling = {key: config[key] for key in ("pdo", "base_score", "base_odds")}
    output = boosting_output(model, example, scaling, config["reason_codes"])
    with tracking.quiet():
        signature = applicant_signature(
            example,
            output,
            params={"reason_codes": config["reason_codes"]},
            optional_outputs=[c for c in output.columns if c.startswith("reason_")],
        )
    with tempfile.TemporaryDirectory() as tmp, tracking.quiet():
        booster = model.save(Path(tmp) / f"gradient_boosting_pd.{model_format}")
        kwargs.setdefault("pip_requirements", gradient_boosting_requirements())
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(XGBOOST_PYFUNC_PATH),
            artifacts={"booster": str(booster), "sidecar": str(booster.with_name(booster.stem + ".riskkit.json"))},
            model_config=config,
            signature=signature,
            input_example=plain_dtypes(example),
            **kwargs,
        )
