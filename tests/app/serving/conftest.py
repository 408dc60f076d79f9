"""Fitted credit models shared by the serving tests (fitted once per session: fitting dominates)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from riskkit.credit import GradientBoostingPD, Scorecard
from riskkit.data import german_credit


@pytest.fixture(scope="session")
def applicants() -> tuple[pd.DataFrame, pd.Series]:
    """German credit as riskkit.data returns it: 13 category columns, 7 int64 columns."""
    X, y = german_credit()
    assert sum(isinstance(X[c].dtype, pd.CategoricalDtype) for c in X.columns) == 13
    return X, y


@pytest.fixture(scope="session")
def fitted(applicants: tuple[pd.DataFrame, pd.Series]) -> dict[str, Any]:
    X, y = applicants
    return {
        "credit-scorecard": Scorecard().fit(X, y),
        "credit-xgboost": GradientBoostingPD(400, random_state=0).fit(X, y),
    }
