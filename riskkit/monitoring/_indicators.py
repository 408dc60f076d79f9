"""Monthly key risk indicators of a loan book, with stable names for MLflow and the early warning."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import check_positive_int
from riskkit.monitoring._cohort import concentration_by_month, stability_by_month
from riskkit.monitoring._portfolio import delinquency_rates, roll_rates

__all__ = ["INDICATORS", "monthly_indicators"]

#: Indicator name -> (direction, description). Names are stable: notebooks log them as metrics
#: ``monitoring.<name>`` and the early-warning configuration refers to them.
INDICATORS: dict[str, tuple[str, str]] = {
    "dq30_rate": ("above", "share of the active balance 30+ days past due"),
    "dq90_rate": ("above", "share of the active balance 90+ days past due"),
    "roll_current_to_1_29": ("above", "share of current loans rolling to 1-29 dpd this month"),
    "roll_current_to_1_29_young": ("above", "the same for loans at most 6 months on book (new bookings)"),
    "roll_young_excess": ("above", "young minus seasoned current -> 1-29 roll rate (the economy moves both, "
                                   "a worse intake only the young)"),
    "roll_30_to_60": ("above", "share of 30-59 dpd loans rolling to 60-89 dpd"),
    "default_rate": ("above", "new defaults over loans active the month before"),
    "chargeoff_rate": ("above", "charged-off balance over the active balance of the month before"),
    "score_psi_new": ("above", "PSI of the score of new bookings against the development sample"),
    "hhi_region": ("above", "Herfindahl-Hirschman index of the balance across regions"),
}


def monthly_indicators(
    performance: pd.DataFrame,
    origination: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    young_months: int = 6,
    bins: int = 10,
) -> pd.DataFrame:
    """All monitoring indicators of :data:`INDICATORS`, one row per snapshot month.

    Parameters
    ----------
    performance, origination
        The loan book.
    reference
        Development sample of the origination table (for ``score_psi_new``).
    young_months
        Months on book of the "young" roll rate.
    bins
        Quantile bins of the PSI.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``snapshot_month``, one column per indicator (the first month's flow-based
        indicators are NaN).

    Raises
    ------
    DataError
        For tables that break the schema.
    """
    young = check_positive_int(young_months, "young_months", hint="e.g. 6")
    dq = delinquency_rates(performance)
    out = dq[["dq30_rate", "dq90_rate", "default_rate", "chargeoff_rate"]].copy()
    every = roll_rates(performance)
    young_rolls = roll_rates(performance, max_months_on_book=young)
    out["roll_current_to_1_29"] = _roll(every, "current", "1-29", out.index)
    out["roll_current_to_1_29_young"] = _roll(young_rolls, "current", "1-29", out.index)
    n_all, d_all = _counts(every, "current", "1-29", out.index)
    n_young, d_young = _counts(young_rolls, "current", "1-29", out.index)
    seasoned = (d_all - d_young) / np.where(n_all - n_young > 0, n_all - n_young, np.nan)
    out["roll_young_excess"] = out["roll_current_to_1_29_young"].to_numpy() - seasoned
    out["roll_30_to_60"] = _roll(every, "30-59", "60-89", out.index)
    psi = stability_by_month(origination, reference, bins=bins)["psi_score"]
    out["score_psi_new"] = psi.reindex(out.index).to_numpy()
    out["hhi_region"] = concentration_by_month(performance, "region")["hhi"].reindex(out.index).to_numpy()
    return out[list(INDICATORS)]


def _counts(table: pd.DataFrame, a: str, b: str, index: Any) -> tuple[np.ndarray, np.ndarray]:
    """Loans in ``a`` at the start of each month and those of them in ``b`` at its end (0 when none)."""
    sel = table[table["from"] == a]
    n_from = sel.groupby("snapshot_month")["n_from"].first()
    n_to = sel[sel["to"] == b].groupby("snapshot_month")["n"].sum().reindex(n_from.index, fill_value=0.0)
    return n_from.reindex(index, fill_value=0.0).to_numpy(), n_to.reindex(index, fill_value=0.0).to_numpy()


def _roll(table: pd.DataFrame, a: str, b: str, index: Any) -> np.ndarray:
    n_from, n_to = _counts(table, a, b, index)
    return n_to / np.where(n_from > 0, n_from, np.nan)
