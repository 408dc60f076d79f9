"""Alert delivery: channels (log, e-mail, webhook, SMS), the SQLite ledger (outbox and audit trail),
the :class:`Notifier` that records, delivers, retries and escalates, and the indicator values read
from MLflow.

The evaluation itself is pure and lives in :mod:`riskkit.grading` (``EarlyWarning``, ``Alert``);
both read the same YAML file::

    ew = EarlyWarning.from_yaml("data/early_warning.yaml")
    notifier = Notifier.from_yaml("data/early_warning.yaml", ledger="runs/alerts/alert_ledger.sqlite")
    history = monitoring_history_from_mlflow().iloc[:-1]   # for the dynamic thresholds
    report = notifier.notify(ew.evaluate(indicators_from_mlflow(), history=history))
"""

from riskkit.app.alerts.channels import (
    Channel,
    EmailChannel,
    LogChannel,
    SmsChannel,
    WebhookChannel,
    channel_from_dict,
    run_with_deadline,
)
from riskkit.app.alerts.delivery import (
    DEFAULT_LEDGER_ENV,
    Escalation,
    NotificationReport,
    Notifier,
    default_ledger_path,
)
from riskkit.app.alerts.gsm import gsm7_text, septets, sms_segments
from riskkit.app.alerts.ledger import DELIVERY_STATES, STATUSES, AlertLedger
from riskkit.app.alerts.sources import (
    DEFAULT_EXPERIMENTS,
    MARKET_CONDITIONS,
    MONITORING_EXPERIMENT,
    indicators_from_metrics,
    indicators_from_mlflow,
    monitoring_history_from_mlflow,
)

__all__ = [
    "DEFAULT_EXPERIMENTS",
    "DEFAULT_LEDGER_ENV",
    "DELIVERY_STATES",
    "MARKET_CONDITIONS",
    "MONITORING_EXPERIMENT",
    "STATUSES",
    "AlertLedger",
    "Channel",
    "EmailChannel",
    "Escalation",
    "LogChannel",
    "NotificationReport",
    "Notifier",
    "SmsChannel",
    "WebhookChannel",
    "channel_from_dict",
    "default_ledger_path",
    "gsm7_text",
    "indicators_from_metrics",
    "indicators_from_mlflow",
    "monitoring_history_from_mlflow",
    "run_with_deadline",
    "septets",
    "sms_segments",
]
