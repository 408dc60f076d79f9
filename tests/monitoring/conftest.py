"""A tiny hand-made loan book (4 loans, 4 months) whose every rate is computed by hand in the tests."""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.data import validate_origination, validate_performance

# loan, month, status, dpd, balance
_ROWS = [
    ("A", "2024-01", "current", 0, 1000.0), ("A", "2024-02", "1-29", 15, 1000.0),
    ("A", "2024-03", "30-59", 45, 1000.0), ("A", "2024-04", "current", 0, 900.0),
    ("B", "2024-01", "current", 0, 2000.0), ("B", "2024-02", "current", 0, 1800.0),
    ("B", "2024-03", "current", 0, 1600.0), ("B", "2024-04", "paid_off", 0, 0.0),
    ("C", "2024-02", "current", 0, 1000.0), ("C", "2024-03", "1-29", 10, 1000.0),
    ("C", "2024-04", "30-59", 40, 1000.0),
    ("D", "2024-01", "current", 0, 500.0), ("D", "2024-02", "1-29", 20, 500.0),
    ("D", "2024-03", "default", 95, 500.0), ("D", "2024-04", "charged_off", 125, 500.0),
]
_LOANS = {  # origination month, amount, region, product, score, pd
    "A": ("2024-01", 1000.0, "north", "personal", 600, 0.10),
    "B": ("2024-01", 2000.0, "south", "personal", 700, 0.05),
    "C": ("2024-02", 1000.0, "north", "auto", 650, 0.10),
    "D": ("2024-01", 500.0, "south", "auto", 500, 0.30),
}
_BUCKET = {"current": "current", "paid_off": "current", "1-29": "1-29", "30-59": "30-59", "60-89": "60-89",
           "90+": "90+", "default": "90+", "charged_off": "90+"}


def tiny_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    perf = pd.DataFrame([{
        "loan_id": loan, "snapshot_month": month, "origination_month": _LOANS[loan][0],
        "product": _LOANS[loan][3], "region": _LOANS[loan][2], "amount": _LOANS[loan][1], "balance": bal,
        "dpd": dpd, "dpd_bucket": _BUCKET[status], "status": status,
    } for loan, month, status, dpd, bal in _ROWS])
    orig = pd.DataFrame([{
        "loan_id": k, "origination_month": v[0], "product": v[3], "region": v[2], "amount": v[1], "term": 12,
        "score": v[4], "pd": v[5], "grade": "5", "income": 1000.0 * (i + 1),
    } for i, (k, v) in enumerate(_LOANS.items())])
    return perf, orig


@pytest.fixture
def tiny() -> tuple[pd.DataFrame, pd.DataFrame]:
    perf, orig = tiny_frames()
    return validate_performance(perf), validate_origination(orig)
