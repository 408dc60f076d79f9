"""Fair lending checks: protected attributes, group labels and a disparity table.

A default credit model must not use protected attributes (age, sex and marital status, nationality
in the German credit data; ECOA/Regulation B in the US, the EU's Consumer Credit Directive and
anti-discrimination law in Europe). Excluding them is not enough: proxies can carry them, so the
disparity table compares approval rates and discrimination across the groups they define.
Pure: no MLflow, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import check_frame, check_positive_int, check_probability, short_repr
from riskkit.credit import metrics
from riskkit.exceptions import DataError, ParameterError

__all__ = ["FOUR_FIFTHS", "GERMAN_CREDIT_PROTECTED", "disparity_table", "protected_groups"]

#: Protected attributes of the bundled German credit data (Statlog; Hofmann 1994): age, sex and
#: marital status (one column), and nationality (foreign worker).
GERMAN_CREDIT_PROTECTED: tuple[str, ...] = ("age_in_years", "personal_status_and_sex", "foreign_worker")
#: The "four-fifths rule" (US EEOC Uniform Guidelines, 29 CFR 1607.4(D)): a group's selection rate
#: below 80% of the most favoured group's is evidence of adverse impact.
FOUR_FIFTHS = 0.8
_AGE_BANDS = (0, 25, 35, 50, np.inf)
_AGE_LABELS = ("<25", "25-34", "35-49", "50+")


def protected_groups(X: pd.DataFrame, attributes: Sequence[str] = GERMAN_CREDIT_PROTECTED) -> pd.DataFrame:
    """Group labels of each row for the protected ``attributes``.

    Numeric attributes whose name contains ``age`` become the bands <25, 25-34, 35-49, 50+;
    ``personal_status_and_sex`` becomes the sex before its colon (``"female : divorced"`` ->
    ``female``); anything else is used as it is.

    Parameters
    ----------
    X : pandas.DataFrame
        Applicants, with the attribute columns (before any are dropped for modelling).
    attributes : sequence of str
        Columns to derive groups from (default: German credit's protected attributes).

    Returns
    -------
    pandas.DataFrame
        One column per attribute (string labels), same index as ``X``.

    Raises
    ------
    DataError
        When ``X`` is not a frame or lacks an attribute column.
    """
    frame = check_frame(X)
    missing = [a for a in attributes if a not in frame.columns]
    if missing:
        raise DataError(f"protected attribute column(s) {short_repr(missing)} not in X; "
                        f"X has {short_repr(list(frame.columns), 120)}")
    out = {}
    for name in attributes:
        column = frame[name]
        if "age" in name.lower() and pd.api.types.is_numeric_dtype(column):
            out[name] = pd.cut(column, _AGE_BANDS, right=False, labels=_AGE_LABELS).astype(str)
        elif name == "personal_status_and_sex":
            out[name] = column.astype(str).str.split(":").str[0].str.strip()
        else:
            out[name] = column.astype(str)
    return pd.DataFrame(out, index=frame.index)


def disparity_table(y: Any, p: Any, groups: pd.DataFrame | Mapping[str, Any], *, approval_rate: float = 0.7,
                    min_group_size: int = 30) -> pd.DataFrame:
    """Approval rate, bad rate and AUC per group, and the adverse impact ratio.

    Applicants are approved when their PD is at most the cutoff that approves ``approval_rate`` of
    all applicants. The adverse impact ratio of a group is its approval rate divided by the highest
    approval rate among the attribute's groups of at least ``min_group_size`` rows; below
    :data:`FOUR_FIFTHS` the group is flagged.

    Parameters
    ----------
    y : array-like of {0, 1}
        Outcomes, 1 = bad.
    p : array-like
        Probability of bad for each applicant.
    groups : pandas.DataFrame or mapping
        Group labels by attribute (e.g. from :func:`protected_groups`), aligned with ``y``.
    approval_rate : float
        Share of applicants approved overall (default 0.7, the good rate of German credit).
    min_group_size : int
        Groups smaller than this are reported but flagged ``small`` and left out of the reference
        rate and the flags (their rates are too noisy to judge).

    Returns
    -------
    pandas.DataFrame
        attribute, group, n, bad_rate, approval_rate, auc (NaN when a group has one class),
        adverse_impact_ratio, flag (``adverse impact`` | ``small`` | empty).

    Raises
    ------
    DataError
        When lengths differ or ``y`` is not binary.
    ParameterError
        When ``approval_rate`` is outside (0, 1) or ``min_group_size`` is not a positive integer.
    """
    target, scores = metrics._check_pair(y, p)
    rate = check_probability(approval_rate, "approval_rate", open_left=True, open_right=True)
    check_positive_int(min_group_size, "min_group_size")
    frame = pd.DataFrame(groups)
    if len(frame) != len(target):
        raise DataError(f"groups has {len(frame)} rows but y has {len(target)}; pass labels aligned with y")
    if frame.shape[1] == 0:
        raise ParameterError("groups has no column; pass at least one protected attribute")
    cutoff = float(np.quantile(scores, rate))
    approved = scores <= cutoff
    rows = []
    for attribute in frame.columns:
        labels = frame[attribute].astype(str).to_numpy()
        block = []
        for group in sorted(set(labels)):
            mask = labels == group
            t, s = target[mask], scores[mask]
            area = metrics.auc(t, s) if 0 < t.sum() < t.size else float("nan")
            block.append({"attribute": str(attribute), "group": group, "n": int(mask.sum()),
                          "bad_rate": float(t.mean()), "approval_rate": float(approved[mask].mean()), "auc": area})
        eligible = [r["approval_rate"] for r in block if r["n"] >= min_group_size]
        best = max(eligible) if eligible else float("nan")
        for r in block:
            r["adverse_impact_ratio"] = r["approval_rate"] / best if eligible and best > 0 else float("nan")
            if r["n"] < min_group_size:
                r["flag"] = "small"
            elif r["adverse_impact_ratio"] < FOUR_FIFTHS:
                r["flag"] = "adverse impact"
            else:
                r["flag"] = ""
        rows.extend(block)
    return pd.DataFrame(rows, columns=["attribute", "group", "n", "bad_rate", "approval_rate", "auc",
                                       "adverse_impact_ratio", "flag"])
