"""Prediction frames of the riskkit pyfunc models (MLflow models from code).

Shared by the pyfunc files (what a loaded model returns) and the loggers (the output example the
signature is inferred from), so both always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from riskkit.exceptions import DataError

__all__ = ["as_frame", "boosting_output", "scorecard_output"]


def as_frame(model_input: Any, what: str) -> pd.DataFrame:
    """``model_input`` as a DataFrame (a served request may arrive as records or a dict)."""
    if isinstance(model_input, pd.DataFrame):
        return model_input
    try:
        return pd.DataFrame(model_input)
    except (TypeError, ValueError):
        raise DataError(
            f"model_input must be a table of applicants (got {type(model_input).__name__}); "
            f"pass a pandas DataFrame with the {what}'s feature columns"
        ) from None


def scorecard_output(scorecard: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns ``pd`` and ``score`` of a :class:`~riskkit.credit.Scorecard`, one row per applicant."""
    return pd.DataFrame(
        {"pd": scorecard.predict_proba(frame)[:, 1], "score": scorecard.points(frame).to_numpy()},
        index=frame.index,
    )


def boosting_output(model: Any, frame: pd.DataFrame, scaling: Mapping[str, float], k: int) -> pd.DataFrame:
    """Columns ``pd``, ``score`` (points with ``scaling``: pdo, base_score, base_odds) and
    ``reason_1 .. reason_k`` of a :class:`~riskkit.credit.GradientBoostingPD`."""
    out = model.explain(frame, k, **scaling)  # one pass: checked and encoded once
    return out[["pd", "score", *[f"reason_{j + 1}" for j in range(k)]]]
