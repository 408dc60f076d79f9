"""Credit decisions: cut-offs, credit limits, risk-based pricing, IRB capital, EL and concentration.

Basel IRB retail risk-weight functions (BCBS, *International Convergence of Capital Measurement
and Capital Standards*, June 2006, paras 328-330)::

    other retail:           R = 0.03 * w + 0.16 * (1 - w),  w = (1 - exp(-35 PD)) / (1 - exp(-35))
    residential mortgage:   R = 0.15
    qualifying revolving:   R = 0.04
    K   = LGD * N[(G(PD) + sqrt(R) * G(0.999)) / sqrt(1 - R)] - PD * LGD
    RWA = 12.5 * K * EAD

with N the standard normal CDF and G its inverse. Retail functions have no maturity adjustment.
A defaulted exposure (PD = 1) gets K = 0 here (Basel: max(0, LGD - best-estimate EL), which
needs an input this module does not take). PDs are floored at ``pd_floor`` (0.03%, Basel II
para 331; Basel III uses 0.05% for most retail exposures).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from riskkit._results import Result
from riskkit._validation import check_choice, check_in_range, short_repr
from riskkit.exceptions import DataError, ParameterError
from riskkit.grading import MasterScale

__all__ = [
    "ASSET_CLASSES",
    "ConcentrationResult",
    "annuity_factor",
    "concentration",
    "credit_limit",
    "decide_by_grade",
    "decide_by_score",
    "decision_table",
    "expected_loss",
    "irb_capital",
    "irb_correlation",
    "portfolio_summary",
    "risk_based_price",
    "risk_weight",
    "risk_weighted_assets",
]

ASSET_CLASSES = ("other_retail", "residential_mortgage", "qualifying_revolving")
DECISIONS = ("approve", "refer", "decline")
_Q999 = float(stats.norm.ppf(0.999))


# -- input checks ---------------------------------------------------------------------------------
def _array(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be numeric (got {name}={short_repr(values)})") from None
    if arr.size == 0:
        raise DataError(f"{name} is empty; pass at least one value")
    return arr


def _unit(values: Any, name: str) -> np.ndarray:
    arr = _array(values, name)
    bad = ~((arr >= 0) & (arr <= 1))
    if bad.any():
        raise ParameterError(
            f"{name} must be in [0, 1] (got {name}={float(arr[bad].ravel()[0])!r}, {int(bad.sum())} value(s) outside); "
            "give probabilities and loss rates as fractions, not percentages"
        )
    return arr


def _nonneg(values: Any, name: str) -> np.ndarray:
    arr = _array(values, name)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        raise ParameterError(
            f"{name} must be finite and >= 0 (got {name}={float(arr[bad].ravel()[0])!r}); fix or drop those rows"
        )
    return arr


def _wrap(result: np.ndarray, *templates: Any, name: str | None = None) -> Any:
    """Scalar in -> float out; a Series in -> Series on its index; else an array."""
    for t in templates:
        if isinstance(t, pd.Series):
            return pd.Series(np.broadcast_to(result, t.shape), index=t.index, name=name)
    return float(result) if np.ndim(result) == 0 else result


# -- decisions ------------------------------------------------------------------------------------
def decide_by_score(scores: Any, *, approve_at: float, decline_below: float) -> Any:
    """Approve when ``score >= approve_at``, decline when ``score < decline_below``, else refer.

    Scores are points where higher = safer; ``decline_below <= approve_at``.

    Parameters
    ----------
    scores : float, array-like or pd.Series
        Scorecard points.
    approve_at : float
        Lowest approved score.
    decline_below : float
        Scores below it are declined.

    Returns
    -------
    str, np.ndarray or pd.Series
        ``"approve"``, ``"refer"`` or ``"decline"`` per score (a categorical Series for a
        Series input).

    Raises
    ------
    DataError
        When a score is missing.
    ParameterError
        When the scores are not numeric or ``decline_below > approve_at``.

    Examples
    --------
    >>> decide_by_score([650, 590, 520], approve_at=600, decline_below=550).tolist()
    ['approve', 'refer', 'decline']
    """
    arr = _array(scores, "scores")
    if np.isnan(arr).any():
        raise DataError(f"scores has {int(np.isnan(arr).sum())} missing values; score every applicant first")
    hi = check_in_range(approve_at, "approve_at", -np.inf, np.inf)
    lo = check_in_range(decline_below, "decline_below", -np.inf, np.inf)
    if lo > hi:
        raise ParameterError(
            f"decline_below must not exceed approve_at (got decline_below={decline_below!r}, "
            f"approve_at={approve_at!r}); the refer band is [decline_below, approve_at)"
        )
    out = np.where(arr >= hi, "approve", np.where(arr < lo, "decline", "refer")).astype(object)
    return _categorical(out, scores)


def decide_by_grade(
    grades: Any,
    *,
    approve_up_to: str,
    refer_up_to: str | None = None,
    scale: MasterScale | None = None,
) -> Any:
    """Approve grades up to ``approve_up_to`` (inclusive), refer up to ``refer_up_to``, decline
    the rest; the default grade is always declined. Grades are labels of ``scale``.

    Parameters
    ----------
    grades : str, array-like or pd.Series
        Grade labels of ``scale``.
    approve_up_to : str
        Worst approved grade.
    refer_up_to : str, optional
        Worst referred grade (default: no refer band).
    scale : MasterScale, optional
        The master scale (default :class:`~riskkit.grading.MasterScale`).

    Returns
    -------
    str, np.ndarray or pd.Series
        ``"approve"``, ``"refer"`` or ``"decline"`` per grade.

    Raises
    ------
    ParameterError
        When a grade is not on the scale or ``refer_up_to`` is better than ``approve_up_to``.
    """
    ms = scale or MasterScale()
    ranks = ms.rank(np.asarray(grades, dtype=object))
    a = int(ms.rank([approve_up_to])[0])
    r = a if refer_up_to is None else int(ms.rank([refer_up_to])[0])
    default_rank = ms.n_grades - 1
    if r < a:
        raise ParameterError(
            f"refer_up_to must not be a better grade than approve_up_to (got refer_up_to={refer_up_to!r}, "
            f"approve_up_to={approve_up_to!r})"
        )
    if a == default_rank or r == default_rank:
        raise ParameterError(
            f"the default grade {ms.default_label!r} cannot be approved or referred "
            f"(got approve_up_to={approve_up_to!r}, refer_up_to={refer_up_to!r})"
        )
    out = np.where(ranks <= a, "approve", np.where(ranks <= r, "refer", "decline")).astype(object)
    return _categorical(out, grades)


def _categorical(out: np.ndarray, template: Any) -> Any:
    if np.ndim(template) == 0:
        return str(out[0]) if out.ndim else str(out)
    if isinstance(template, pd.Series):
        return pd.Series(pd.Categorical(out, categories=list(DECISIONS)), index=template.index, name="decision")
    return out


def decision_table(decisions: Any, bad: Any = None) -> pd.DataFrame:
    """Count and share per decision (and observed bad rate when ``bad`` is given), Totals row.

    Parameters
    ----------
    decisions : array-like of str
        ``"approve"``, ``"refer"`` or ``"decline"`` per applicant.
    bad : array-like of 0/1, optional
        Observed outcome (1 = bad) per applicant.

    Returns
    -------
    pd.DataFrame
        One row per decision and a ``Totals`` row: count, share (and bads, bad_rate).

    Raises
    ------
    ParameterError
        When a decision is unknown or ``bad`` is outside [0, 1].
    DataError
        When ``bad`` has another length than ``decisions``.
    """
    d = pd.Series(np.asarray(decisions, dtype=object))
    unknown = sorted(set(d) - set(DECISIONS))
    if unknown:
        raise ParameterError(f"decisions must be approve / refer / decline (got {short_repr(unknown)})")
    frame = pd.DataFrame({"count": d.value_counts().reindex(list(DECISIONS), fill_value=0)})
    frame["share"] = frame["count"] / frame["count"].sum()
    if bad is not None:
        y = _unit(bad, "bad")
        if len(y) != len(d):
            raise DataError(f"decisions and bad must have the same length (got {len(d)} and {len(y)})")
        frame["bads"] = pd.Series(y).groupby(d.to_numpy()).sum().reindex(frame.index, fill_value=0.0)
        frame["bad_rate"] = frame["bads"] / frame["count"].where(frame["count"] > 0)
    totals = frame.sum(numeric_only=True)
    if bad is not None:
        totals["bad_rate"] = totals["bads"] / totals["count"]
    frame.index.name = "decision"
    return pd.concat([frame, totals.to_frame("Totals").T])


# -- credit limits --------------------------------------------------------------------------------
def annuity_factor(rate: float, n_periods: int) -> float:
    """Payment per unit of principal of an annuity: ``r / (1 - (1 + r)^-n)`` (``1/n`` at r = 0).

    Parameters
    ----------
    rate : float
        Periodic interest rate, in [0, 1].
    n_periods : int
        Number of payments (>= 1).

    Returns
    -------
    float
        Payment per unit borrowed.

    Raises
    ------
    ParameterError
        When ``rate`` is outside [0, 1] or ``n_periods`` is not an integer >= 1.

    Examples
    --------
    >>> round(annuity_factor(0.01, 12), 5)
    0.08885
    """
    r = check_in_range(rate, "rate", 0.0, 1.0, hint="give the periodic rate, e.g. 0.01 per month")
    if isinstance(n_periods, bool) or not isinstance(n_periods, (int, np.integer)) or n_periods < 1:
        raise ParameterError(f"n_periods must be an integer >= 1 (got n_periods={short_repr(n_periods)})")
    return 1.0 / n_periods if r == 0 else r / (1.0 - (1.0 + r) ** (-int(n_periods)))


def credit_limit(
    grades: Any,
    income: Any,
    *,
    limits_by_grade: Mapping[str, float],
    existing_debt_service: Any = 0.0,
    max_debt_service_ratio: float = 0.35,
    payment_per_unit: float = 0.03,
    rounding: float = 100.0,
) -> pd.DataFrame:
    """Credit limit = min(grade cap, affordability), rounded down to ``rounding``.

    Affordability: the largest limit whose periodic payment (``payment_per_unit`` x limit, e.g.
    3% a month on a card or :func:`annuity_factor` for a loan) keeps total debt service within
    ``max_debt_service_ratio`` x income. Grades missing from ``limits_by_grade`` get 0.

    Parameters
    ----------
    grades : array-like of str
        Grade of each applicant.
    income : array-like of float or pd.Series
        Periodic income, in the period of the payments.
    limits_by_grade : mapping of str to float
        Largest limit per grade.
    existing_debt_service : float or array-like, default 0.0
        Payments already due per period.
    max_debt_service_ratio : float, default 0.35
        Largest share of income that may go to debt service, in (0, 1].
    payment_per_unit : float, default 0.03
        Periodic payment per unit of limit, in (0, 1].
    rounding : float, default 100.0
        Limits are rounded down to a multiple of it.

    Returns
    -------
    pd.DataFrame
        One row per applicant: grade, grade_cap, affordability, limit.

    Raises
    ------
    DataError
        When ``grades`` and ``income`` differ in length.
    ParameterError
        When an amount is negative or a ratio is outside its range.
    """
    g = np.asarray(grades, dtype=object).astype(str)
    inc = _nonneg(income, "income")
    debt = np.broadcast_to(_nonneg(existing_debt_service, "existing_debt_service"), inc.shape)
    if g.shape != inc.shape:
        raise DataError(f"grades and income must have the same length (got {g.size} and {inc.size})")
    dsr = check_in_range(max_debt_service_ratio, "max_debt_service_ratio", 0.0, 1.0, low_open=True)
    pay = check_in_range(payment_per_unit, "payment_per_unit", 0.0, 1.0, low_open=True,
                         hint="the periodic payment per unit of limit, e.g. 0.03")
    step = check_in_range(rounding, "rounding", 0.0, np.inf, low_open=True)
    caps = {str(k): float(_nonneg(v, f"limits_by_grade[{k!r}]")) for k, v in limits_by_grade.items()}
    cap = np.array([caps.get(x, 0.0) for x in g], dtype=float)
    afford = np.maximum(0.0, dsr * inc - debt) / pay
    limit = np.floor(np.minimum(cap, afford) / step) * step
    index = income.index if isinstance(income, pd.Series) else None
    return pd.DataFrame({"grade": g, "grade_cap": cap, "affordability": afford, "limit": limit}, index=index)


# -- Basel IRB ------------------------------------------------------------------------------------
def irb_correlation(pd_values: Any, asset_class: str = "other_retail") -> Any:
    """Asset correlation R of the Basel IRB retail risk-weight function.

    Parameters
    ----------
    pd_values : float, array-like or pd.Series
        Probabilities of default, in [0, 1].
    asset_class : {"other_retail", "residential_mortgage", "qualifying_revolving"}, default "other_retail"
        Basel retail asset class: 0.15 for mortgages, 0.04 for qualifying revolving, between
        0.03 and 0.16 (falling with PD) for other retail.

    Returns
    -------
    float, np.ndarray or pd.Series
        The correlation (a float for scalar input, a Series on the index of a Series input).

    Raises
    ------
    ParameterError
        When a PD or LGD is outside [0, 1], an EAD is negative, or ``asset_class`` / ``pd_floor``
        is invalid.
    """
    check_choice(asset_class, "asset_class", ASSET_CLASSES)
    p = _unit(pd_values, "pd")
    if asset_class == "residential_mortgage":
        r = np.full(p.shape, 0.15)
    elif asset_class == "qualifying_revolving":
        r = np.full(p.shape, 0.04)
    else:
        w = (1.0 - np.exp(-35.0 * p)) / (1.0 - np.exp(-35.0))
        r = 0.03 * w + 0.16 * (1.0 - w)
    return _wrap(r, pd_values, name="correlation")


def _capital(p: np.ndarray, lgd: np.ndarray, asset_class: str, pd_floor: float) -> np.ndarray:
    floor = check_in_range(pd_floor, "pd_floor", 0.0, 1.0, high_open=True, hint="e.g. 0.0003 (Basel II)")
    pf = np.maximum(p, floor)
    live = pf < 1.0
    safe = np.where(live, np.clip(pf, 1e-300, None), 0.5)
    r = np.asarray(irb_correlation(safe, asset_class))
    z = (stats.norm.ppf(safe) + np.sqrt(r) * _Q999) / np.sqrt(1.0 - r)
    k = lgd * stats.norm.cdf(z) - safe * lgd
    return np.where(live, np.maximum(k, 0.0), 0.0)


def irb_capital(pd_values: Any, lgd: Any, *, asset_class: str = "other_retail", pd_floor: float = 0.0003) -> Any:
    """Capital requirement K per unit of EAD (Basel IRB retail formula).

    Parameters
    ----------
    pd_values : float, array-like or pd.Series
        Probabilities of default, in [0, 1].
    lgd : float or array-like
        Loss given default, in [0, 1].
    asset_class : {"other_retail", "residential_mortgage", "qualifying_revolving"}, default "other_retail"
        Basel retail asset class (fixes the correlation).
    pd_floor : float, default 0.0003
        PD floor applied before the formula (Basel II: 3 bp).

    Returns
    -------
    float, np.ndarray or pd.Series
        K per unit of EAD (a float for scalar input, a Series on the index of a Series input).

    Raises
    ------
    ParameterError
        When a PD or LGD is outside [0, 1], an EAD is negative, or ``asset_class`` / ``pd_floor``
        is invalid.

    Examples
    --------
    >>> round(irb_capital(0.01, 0.45), 4), round(risk_weight(0.01, 0.45), 4)
    (0.0366, 0.4577)
    """
    check_choice(asset_class, "asset_class", ASSET_CLASSES)
    p, g = np.broadcast_arrays(_unit(pd_values, "pd"), _unit(lgd, "lgd"))
    return _wrap(_capital(p, g, asset_class, pd_floor), pd_values, lgd, name="capital")


def risk_weight(pd_values: Any, lgd: Any, *, asset_class: str = "other_retail", pd_floor: float = 0.0003) -> Any:
    """Risk weight 12.5 x K (1.0 = 100%).

    Parameters
    ----------
    pd_values : float, array-like or pd.Series
        Probabilities of default, in [0, 1].
    lgd : float or array-like
        Loss given default, in [0, 1].
    asset_class : {"other_retail", "residential_mortgage", "qualifying_revolving"}, default "other_retail"
        Basel retail asset class (fixes the correlation).
    pd_floor : float, default 0.0003
        PD floor applied before the formula (Basel II: 3 bp).

    Returns
    -------
    float, np.ndarray or pd.Series
        Risk weights (a float for scalar input, a Series on the index of a Series input).

    Raises
    ------
    ParameterError
        When a PD or LGD is outside [0, 1], an EAD is negative, or ``asset_class`` / ``pd_floor``
        is invalid.
    """
    k = irb_capital(pd_values, lgd, asset_class=asset_class, pd_floor=pd_floor)
    return k * 12.5


def risk_weighted_assets(pd_values: Any, lgd: Any, ead: Any, *, asset_class: str = "other_retail",
                         pd_floor: float = 0.0003) -> Any:
    """RWA = 12.5 x K x EAD.

    Parameters
    ----------
    pd_values : float, array-like or pd.Series
        Probabilities of default, in [0, 1].
    lgd : float or array-like
        Loss given default, in [0, 1].
    ead : float or array-like
        Exposure at default (>= 0).
    asset_class : {"other_retail", "residential_mortgage", "qualifying_revolving"}, default "other_retail"
        Basel retail asset class (fixes the correlation).
    pd_floor : float, default 0.0003
        PD floor applied before the formula (Basel II: 3 bp).

    Returns
    -------
    float, np.ndarray or pd.Series
        Risk-weighted assets (a float for scalar input, a Series on the index of a Series input).

    Raises
    ------
    ParameterError
        When a PD or LGD is outside [0, 1], an EAD is negative, or ``asset_class`` / ``pd_floor``
        is invalid.
    """
    e = _nonneg(ead, "ead")
    k = np.asarray(irb_capital(pd_values, lgd, asset_class=asset_class, pd_floor=pd_floor))
    return _wrap(12.5 * k * e, pd_values, lgd, ead, name="rwa")


def expected_loss(pd_values: Any, lgd: Any, ead: Any) -> Any:
    """Expected loss PD x LGD x EAD per exposure (sum it for the portfolio).

    Parameters
    ----------
    pd_values : float, array-like or pd.Series
        Probabilities of default, in [0, 1].
    lgd : float or array-like
        Loss given default, in [0, 1].
    ead : float or array-like
        Exposure at default (>= 0).

    Returns
    -------
    float, np.ndarray or pd.Series
        Expected loss (a float for scalar input, a Series on the index of a Series input).

    Raises
    ------
    ParameterError
        When a PD or LGD is outside [0, 1], an EAD is negative.

    Examples
    --------
    >>> round(expected_loss(0.02, 0.45, 10_000), 2)
    90.0
    """
    p, g, e = np.broadcast_arrays(_unit(pd_values, "pd"), _unit(lgd, "lgd"), _nonneg(ead, "ead"))
    return _wrap(p * g * e, pd_values, lgd, ead, name="expected_loss")


# -- pricing --------------------------------------------------------------------------------------
def risk_based_price(
    pd_values: Any,
    lgd: Any,
    *,
    funding_cost: float,
    cost_of_capital: float,
    operating_cost: float = 0.0,
    margin: float = 0.0,
    capital_ratio: float = 0.08,
    asset_class: str = "other_retail",
    pd_floor: float = 0.0003,
) -> pd.DataFrame:
    """Annual rate = funding cost + PD x LGD + capital x cost of capital + operating cost + margin.

    ``capital`` is the equity held per unit of EAD: ``capital_ratio`` x risk weight, i.e. the
    IRB K when ``capital_ratio = 0.08`` (raise it to price buffers). Returns one row per exposure
    with every component.

    Parameters
    ----------
    pd_values : float, array-like or pd.Series
        Probabilities of default, in [0, 1].
    lgd : float or array-like
        Loss given default, in [0, 1].
    funding_cost : float
        Annual funding rate.
    cost_of_capital : float
        Annual hurdle rate on equity, in [0, 1].
    operating_cost : float, default 0.0
        Annual operating cost per unit of EAD.
    margin : float, default 0.0
        Annual profit margin.
    capital_ratio : float, default 0.08
        Equity held per unit of risk-weighted assets.
    asset_class : {"other_retail", "residential_mortgage", "qualifying_revolving"}, default "other_retail"
        Basel retail asset class (fixes the correlation).
    pd_floor : float, default 0.0003
        PD floor applied before the formula (Basel II: 3 bp).

    Returns
    -------
    pd.DataFrame
        One row per exposure: pd, lgd, funding_cost, expected_loss, capital, capital_charge,
        operating_cost, margin and the total ``rate``.

    Raises
    ------
    ParameterError
        When a PD, LGD or rate is outside its range.
    """
    rates = {n: check_in_range(v, n, -0.05, 1.0, hint="give annual rates as fractions, e.g. 0.03")
             for n, v in (("funding_cost", funding_cost), ("operating_cost", operating_cost), ("margin", margin))}
    coc = check_in_range(cost_of_capital, "cost_of_capital", 0.0, 1.0, hint="e.g. 0.12 for a 12% hurdle rate")
    ratio = check_in_range(capital_ratio, "capital_ratio", 0.0, 1.0, low_open=True, hint="0.08 is the Basel minimum")
    p, g = np.broadcast_arrays(np.atleast_1d(_unit(pd_values, "pd")), np.atleast_1d(_unit(lgd, "lgd")))
    k = _capital(p, g, check_choice(asset_class, "asset_class", ASSET_CLASSES), pd_floor)
    capital = k * 12.5 * ratio
    frame = pd.DataFrame({"pd": p, "lgd": g, "funding_cost": rates["funding_cost"], "expected_loss": p * g,
                          "capital": capital, "capital_charge": capital * coc,
                          "operating_cost": rates["operating_cost"], "margin": rates["margin"]})
    frame["rate"] = frame[["funding_cost", "expected_loss", "capital_charge", "operating_cost", "margin"]].sum(axis=1)
    if isinstance(pd_values, pd.Series):
        frame.index = pd_values.index
    return frame


def portfolio_summary(
    frame: pd.DataFrame,
    *,
    pd_col: str = "pd",
    lgd_col: str = "lgd",
    ead_col: str = "ead",
    segment: str | None = None,
    asset_class: str = "other_retail",
    pd_floor: float = 0.0003,
) -> pd.DataFrame:
    """EAD, expected loss, RWA and capital by segment (or for the whole book), with a Totals row.

    Parameters
    ----------
    frame : pd.DataFrame
        One row per exposure.
    pd_col, lgd_col, ead_col : str
        Columns holding PD, LGD and EAD (default ``"pd"``, ``"lgd"``, ``"ead"``).
    segment : str, optional
        Column to group by (default: the whole book, one row).
    asset_class : {"other_retail", "residential_mortgage", "qualifying_revolving"}, default "other_retail"
        Basel retail asset class (fixes the correlation).
    pd_floor : float, default 0.0003
        PD floor applied before the formula (Basel II: 3 bp).

    Returns
    -------
    pd.DataFrame
        Per segment: n, ead, expected_loss, rwa, el_rate, risk_weight, capital (8% of RWA).

    Raises
    ------
    DataError
        When ``frame`` is empty or lacks a column.
    ParameterError
        When a PD, LGD or EAD is out of range.
    """
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise DataError(f"frame must be a non-empty DataFrame (got {short_repr(frame)})")
    need = [c for c in (pd_col, lgd_col, ead_col, segment) if c is not None]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"frame has no column(s) {missing} (got columns {list(frame.columns)})")
    ead = _nonneg(frame[ead_col], "ead")
    el = np.asarray(expected_loss(frame[pd_col].to_numpy(), frame[lgd_col].to_numpy(), ead))
    rwa = np.asarray(risk_weighted_assets(frame[pd_col].to_numpy(), frame[lgd_col].to_numpy(), ead,
                                          asset_class=asset_class, pd_floor=pd_floor))
    work = pd.DataFrame({"segment": frame[segment].astype(str).to_numpy() if segment else "portfolio",
                         "n": 1, "ead": ead, "expected_loss": el, "rwa": rwa})
    table = work.groupby("segment").sum()
    totals = table.sum().to_frame("Totals").T
    table = pd.concat([table, totals]) if segment else table
    table["el_rate"] = table["expected_loss"] / table["ead"].where(table["ead"] > 0)
    table["risk_weight"] = table["rwa"] / table["ead"].where(table["ead"] > 0)
    table["capital"] = table["rwa"] * 0.08
    table["n"] = table["n"].astype(int)
    table.index.name = segment or "segment"
    return table


# -- concentration --------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class ConcentrationResult(Result):
    """Herfindahl-Hirschman concentration of exposure across segments.

    ``summary()`` is one row (hhi, normalized_hhi, effective_number, n_segments);
    ``to_frame()`` the exposure and share per segment. Built by :func:`concentration`.

    Attributes
    ----------
    shares : pd.DataFrame
        Exposure and share per segment, largest first.
    """

    shares: pd.DataFrame
    """Exposure and share per segment, largest first."""

    @property
    def hhi(self) -> float:
        """HHI = sum of squared shares, in (0, 1] (x 10,000 for the antitrust scale)."""
        return float((self.shares["share"] ** 2).sum())

    @property
    def normalized_hhi(self) -> float:
        """(HHI - 1/N) / (1 - 1/N): 0 for equal shares, 1 for a single segment (0 when N = 1)."""
        n = len(self.shares)
        return 0.0 if n == 1 else (self.hhi - 1.0 / n) / (1.0 - 1.0 / n)

    @property
    def effective_number(self) -> float:
        """1 / HHI: the number of equal-sized segments with the same concentration."""
        return 1.0 / self.hhi

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row: hhi, normalized_hhi, effective_number, n_segments.
        """
        return pd.DataFrame({"hhi": [self.hhi], "normalized_hhi": [self.normalized_hhi],
                             "effective_number": [self.effective_number],
                             "n_segments": [len(self.shares)]},
                            index=pd.Index(["concentration"], name="measure"))

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            Exposure and share per segment, largest first (a copy of ``shares``).
        """
        return self.shares.copy()

    def _headline(self) -> str:
        top = self.shares.index[0]
        return (f"HHI {self.hhi:.4f} over {len(self.shares)} segments (effective number "
                f"{self.effective_number:.2f}); largest {top!r} holds {self.shares['share'].iloc[0]:.1%}")


def concentration(exposure: Any, segments: Any) -> ConcentrationResult:
    """HHI of exposure by segment (sector, region, product, single name, ...).

    Parameters
    ----------
    exposure : array-like of float
        Exposure of each position (>= 0).
    segments : array-like
        Segment of each position.

    Returns
    -------
    ConcentrationResult
        Shares per segment with ``hhi``, ``normalized_hhi`` and ``effective_number``.

    Raises
    ------
    DataError
        When the lengths differ or the total exposure is not positive.
    ParameterError
        When an exposure is negative or not finite.

    Examples
    --------
    >>> round(concentration([50, 30, 20], ["retail", "sme", "corporate"]).hhi, 2)
    0.38
    """
    e = _nonneg(exposure, "exposure")
    s = np.asarray(segments, dtype=object)
    if s.shape != e.shape:
        raise DataError(f"exposure and segments must have the same length (got {e.size} and {s.size})")
    total = float(e.sum())
    if total <= 0:
        raise DataError(f"exposure sums to {total!r}; concentration needs a positive total exposure")
    by = pd.Series(e).groupby(s.astype(str)).sum().sort_values(ascending=False)
    shares = pd.DataFrame({"exposure": by, "share": by / total})
    shares.index.name = "segment"
    return ConcentrationResult(shares=shares)
