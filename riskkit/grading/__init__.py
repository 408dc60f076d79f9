"""Risk grading: master scale, risk matrix and register, graded early warning with delivery.

Models only: nothing here imports MLflow. :func:`indicators_from_mlflow` imports
``riskkit.app.tracking`` lazily when called (application layer).
"""

from riskkit.grading._channels import LEVELS, Channel, EmailChannel, LogChannel, WebhookChannel, level_code
from riskkit.grading._ledger import AlertLedger
from riskkit.grading._master_scale import CalibrationResult, MasterScale, MigrationResult, default_bounds
from riskkit.grading._matrix import CATEGORIES, SEED_CATEGORIES, Control, Risk, RiskMatrix, RiskRegister, check_categories
from riskkit.grading._sources import DEFAULT_EXPERIMENTS, indicators_from_metrics, indicators_from_mlflow
from riskkit.grading._thresholds import DynamicThreshold
from riskkit.grading._warning import Alert, EarlyWarning, HistoryEvaluation, Indicator, NotificationReport

__all__ = [
    "Alert",
    "AlertLedger",
    "CATEGORIES",
    "CalibrationResult",
    "Channel",
    "Control",
    "DEFAULT_EXPERIMENTS",
    "DynamicThreshold",
    "EarlyWarning",
    "EmailChannel",
    "HistoryEvaluation",
    "Indicator",
    "LEVELS",
    "LogChannel",
    "MasterScale",
    "MigrationResult",
    "NotificationReport",
    "Risk",
    "RiskMatrix",
    "RiskRegister",
    "SEED_CATEGORIES",
    "WebhookChannel",
    "check_categories",
    "default_bounds",
    "indicators_from_metrics",
    "indicators_from_mlflow",
    "level_code",
]
