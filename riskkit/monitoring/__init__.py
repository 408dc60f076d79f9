"""Post-loan monitoring: vintages, roll and flow rates, delinquency, stability, cohort
performance, concentration, dynamic thresholds and the evaluation of warnings.

Models only: nothing here imports MLflow, talks to a network or writes files. Every analytic takes
the loan-book tables of :mod:`riskkit.data` and returns a tidy DataFrame; figures are in
:mod:`riskkit.monitoring.plots`.
"""

from riskkit.monitoring import plots, thresholds
from riskkit.monitoring._cohort import (
    cohort_performance,
    concentration_by_month,
    concentration_table,
    default_flags,
    grade_calibration,
    stability_by_month,
)
from riskkit.monitoring._indicators import INDICATORS, monthly_indicators
from riskkit.monitoring._portfolio import (
    ACTIVE_STATUSES,
    SEVERITY,
    delinquency_rates,
    flow_rates,
    months_on_book,
    roll_rate_matrix,
    roll_rates,
    vintage_curves,
)

__all__ = [
    "ACTIVE_STATUSES",
    "INDICATORS",
    "SEVERITY",
    "cohort_performance",
    "concentration_by_month",
    "concentration_table",
    "default_flags",
    "delinquency_rates",
    "flow_rates",
    "grade_calibration",
    "monthly_indicators",
    "months_on_book",
    "plots",
    "roll_rate_matrix",
    "roll_rates",
    "stability_by_month",
    "thresholds",
    "vintage_curves",
]
