"""Credit risk: WoE binning, feature selection, scorecards, an XGBoost PD model and validation.

Conventions: a binary target has 1 = bad (default); ``predict_proba`` returns shape (n, 2) with
the probability of bad in column 1; scorecard points are higher = safer. Models here never
import MLflow (log them from the application layer, e.g. :mod:`riskkit.app.serving`).
"""

from riskkit.credit import decision, metrics, plots
from riskkit.credit._binning import WoEBinner
from riskkit.credit._boosting import GradientBoostingPD
from riskkit.credit._scorecard import Scorecard
from riskkit.credit._selection import FeatureSelection, select_features

__all__ = [
    "FeatureSelection",
    "GradientBoostingPD",
    "Scorecard",
    "WoEBinner",
    "decision",
    "metrics",
    "plots",
    "select_features",
]
