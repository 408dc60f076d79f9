"""Risk grading: master scale, risk matrix and register, graded early warning (pure evaluation).

Models only: nothing here imports MLflow, SQLite, SMTP or HTTP. Alert delivery (channels, the
alert ledger, retries and escalation) and reading indicators from MLflow live in the application
layer, :mod:`riskkit.app.alerts`.
"""

from riskkit.grading._levels import LEVELS, level_code
from riskkit.grading._master_scale import CalibrationResult, MasterScale, MigrationResult, default_bounds
from riskkit.grading._matrix import CATEGORIES, SEED_CATEGORIES, Control, Risk, RiskMatrix, RiskRegister, check_categories
from riskkit.grading._thresholds import DynamicThreshold
from riskkit.grading._warning import Alert, EarlyWarning, HistoryEvaluation, Indicator, load_config

__all__ = [
    "Alert",
    "CATEGORIES",
    "CalibrationResult",
    "Control",
    "DynamicThreshold",
    "EarlyWarning",
    "HistoryEvaluation",
    "Indicator",
    "LEVELS",
    "MasterScale",
    "MigrationResult",
    "Risk",
    "RiskMatrix",
    "RiskRegister",
    "SEED_CATEGORIES",
    "check_categories",
    "default_bounds",
    "level_code",
    "load_config",
]
