"""Bundled data sets and loaders. Targets follow the riskkit convention: 1 = bad."""

from riskkit.data._credit import DATA_DIR, german_credit, load_credit_csv
from riskkit.data._loanbook import (
    DPD_BUCKETS,
    ORIGINATION_COLUMNS,
    PERFORMANCE_COLUMNS,
    STATUSES,
    LoanBook,
    dpd_bucket,
    load_loan_book,
    simulate_loan_book,
    validate_origination,
    validate_performance,
)
from riskkit.data._market import load_prices_csv, nasdaq, sp500, vix, wti
from riskkit.data._paths import resolve_path
from riskkit.data._synthetic import synthetic_credit

__all__ = [
    "DATA_DIR",
    "DPD_BUCKETS",
    "LoanBook",
    "ORIGINATION_COLUMNS",
    "PERFORMANCE_COLUMNS",
    "STATUSES",
    "dpd_bucket",
    "load_loan_book",
    "simulate_loan_book",
    "validate_origination",
    "validate_performance",
    "german_credit",
    "load_credit_csv",
    "load_prices_csv",
    "nasdaq",
    "resolve_path",
    "sp500",
    "synthetic_credit",
    "vix",
    "wti",
]
