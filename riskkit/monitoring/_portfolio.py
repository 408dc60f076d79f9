"""Portfolio performance of a loan book: vintages, roll and flow rates, delinquency by month.

Every function takes the performance table of :mod:`riskkit.data` (one row per loan per month;
see :func:`riskkit.data.validate_performance`) and returns a tidy DataFrame.

Severity of a status, used for "ever 30+" style flags: current and paid_off 0, 1-29 1, 30-59 2,
60-89 3, 90+ 4, default and charged_off 5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import check_choice, check_positive_int, short_repr
from riskkit.data._loanbook import DPD_BUCKETS, PERFORMANCE_COLUMNS, STATUSES
from riskkit.exceptions import DataError

__all__ = [
    "ACTIVE_STATUSES",
    "SEVERITY",
    "delinquency_rates",
    "flow_rates",
    "months_on_book",
    "roll_rate_matrix",
    "roll_rates",
    "vintage_curves",
]

SEVERITY: dict[str, int] = {"current": 0, "paid_off": 0, "1-29": 1, "30-59": 2, "60-89": 3, "90+": 4,
                            "default": 5, "charged_off": 5}
#: Statuses of a loan still on the book at month end.
ACTIVE_STATUSES: tuple[str, ...] = DPD_BUCKETS + ("default",)
#: Vintage metrics: name -> minimum severity.
VINTAGE_METRICS: dict[str, int] = {"30+": 2, "90+": 4, "default": 5}
_WEIGHTS = ("count", "amount", "balance")


def _month_number(values: pd.Series) -> np.ndarray:
    return (values.dt.year * 12 + values.dt.month - 1).to_numpy()


def _check_performance(performance: Any, needed: tuple[str, ...] = PERFORMANCE_COLUMNS) -> pd.DataFrame:
    if not isinstance(performance, pd.DataFrame) or performance.empty:
        raise DataError(
            f"performance must be a non-empty DataFrame, one row per loan per month (got {short_repr(performance)}); "
            "load it with riskkit.data.load_loan_book"
        )
    missing = [c for c in needed if c not in performance.columns]
    if missing:
        raise DataError(
            f"performance is missing column(s) {missing} (got columns {short_repr(list(performance.columns), 160)}); "
            "validate it with riskkit.data.validate_performance"
        )
    for column in ("snapshot_month", "origination_month"):
        if column in needed and not pd.api.types.is_datetime64_any_dtype(performance[column]):
            raise DataError(
                f"performance column {column!r} must be datetime months (got dtype {performance[column].dtype}); "
                "validate it with riskkit.data.validate_performance"
            )
    if "status" in needed:
        unknown = sorted(set(performance["status"].unique()) - set(STATUSES))
        if unknown:
            raise DataError(f"performance column 'status' has unknown value(s) {short_repr(unknown)}; allowed: {list(STATUSES)}")
    return performance


def months_on_book(performance: pd.DataFrame) -> pd.Series:
    """Months between origination and snapshot (0 in the origination month).

    Parameters
    ----------
    performance
        Performance table with ``snapshot_month`` and ``origination_month``.

    Returns
    -------
    pandas.Series
        Integers on the index of ``performance``, named ``months_on_book``.

    Raises
    ------
    DataError
        When the table lacks the month columns.
    """
    frame = _check_performance(performance, ("snapshot_month", "origination_month"))
    mob = _month_number(frame["snapshot_month"]) - _month_number(frame["origination_month"])
    return pd.Series(mob, index=frame.index, name="months_on_book")


def vintage_curves(performance: pd.DataFrame, *, weight: str = "count", max_months: int | None = None) -> pd.DataFrame:
    """Cumulative 30+, 90+ and default rates by months on book, per origination cohort.

    A loan counts as "ever 30+" at months on book ``k`` when it has had a status of severity
    30-59 or worse at any month up to ``k`` (likewise 90+ and default; a charged-off loan has
    defaulted). The denominator is the whole cohort (loans that left the book keep their flag),
    so each curve is non-decreasing. A cohort's curve stops at the last month observed.

    Parameters
    ----------
    performance
        Performance table (see :func:`riskkit.data.validate_performance`).
    weight
        ``"count"`` (share of loans) or ``"amount"`` (share of the amount lent).
    max_months
        Keep months on book ``<= max_months`` (None keeps all).

    Returns
    -------
    pandas.DataFrame
        One row per cohort and month on book: ``origination_month``, ``months_on_book``,
        ``n_loans``, ``amount``, ``rate_30plus``, ``rate_90plus``, ``rate_default``.

    Raises
    ------
    DataError
        For a table that breaks the schema.
    ParameterError
        For an unknown ``weight`` or a bad ``max_months``.

    Examples
    --------
    >>> from riskkit.data import simulate_loan_book
    >>> from riskkit.monitoring import vintage_curves
    >>> book = simulate_loan_book(n_loans=500, n_months=36, seed=1, drift_month=None)
    >>> curves = vintage_curves(book.performance)
    >>> first = curves[curves["origination_month"] == "2021-01-01"].set_index("months_on_book")
    >>> first.loc[[6, 12, 24], ["n_loans", "rate_30plus", "rate_90plus"]].round(3)
                    n_loans  rate_30plus  rate_90plus
    months_on_book
    6                    14        0.000        0.000
    12                   14        0.071        0.000
    24                   14        0.286        0.214
    """
    frame = _check_performance(performance)
    check_choice(weight, "weight", ("count", "amount"))
    if max_months is not None:
        check_positive_int(max_months, "max_months", minimum=0, hint="e.g. 24")
    mob = months_on_book(frame).to_numpy()
    severity = frame["status"].map(SEVERITY).to_numpy()
    loans = frame.assign(_mob=mob, _sev=severity)
    per_loan = loans.groupby("loan_id", sort=False).agg(
        origination_month=("origination_month", "first"), amount=("amount", "first"))
    for name, level in VINTAGE_METRICS.items():
        hit = loans[loans["_sev"] >= level].groupby("loan_id", sort=False)["_mob"].min()
        per_loan[f"first_{name}"] = hit.reindex(per_loan.index).to_numpy()
    last = frame["snapshot_month"].max()
    rows = []
    for cohort, group in per_loan.groupby("origination_month", sort=True):
        horizon = int(_month_number(pd.Series([last]))[0] - _month_number(pd.Series([cohort]))[0])
        if max_months is not None:
            horizon = min(horizon, int(max_months))
        k = np.arange(horizon + 1)
        w = np.ones(len(group)) if weight == "count" else group["amount"].to_numpy(dtype=float)
        total = float(w.sum())
        out = {"origination_month": np.full(k.size, cohort), "months_on_book": k,
               "n_loans": np.full(k.size, len(group)), "amount": np.full(k.size, float(group["amount"].sum()))}
        for name in VINTAGE_METRICS:
            first = group[f"first_{name}"].to_numpy(dtype=float)
            reached = (first[None, :] <= k[:, None]) & ~np.isnan(first)[None, :]
            out[f"rate_{_slug(name)}"] = (reached * w[None, :]).sum(axis=1) / total
        rows.append(pd.DataFrame(out))
    return pd.concat(rows, ignore_index=True)


def _slug(name: str) -> str:
    return name.replace("+", "plus")


def _transitions(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairs (status at t-1, status at t) of the same loan in consecutive months."""
    ordered = frame.sort_values(["loan_id", "snapshot_month"], kind="stable")
    month = _month_number(ordered["snapshot_month"])
    ids = ordered["loan_id"].to_numpy()
    same = np.r_[False, (ids[1:] == ids[:-1]) & (np.diff(month) == 1)]
    status = ordered["status"].to_numpy()
    balance = ordered["balance"].to_numpy(dtype=float)
    prev = np.r_[0, np.arange(len(ordered) - 1)]
    return pd.DataFrame({
        "snapshot_month": ordered["snapshot_month"].to_numpy()[same],
        "from": status[prev][same], "to": status[same],
        "balance_from": balance[prev][same],
        "months_on_book": (month - _month_number(ordered["origination_month"]))[same],
    })


def roll_rates(performance: pd.DataFrame, *, weight: str = "count", max_months_on_book: int | None = None) -> pd.DataFrame:
    """Month-over-month transitions of each loan between statuses (roll rates).

    Parameters
    ----------
    performance
        Performance table.
    weight
        ``"count"`` (loans) or ``"balance"`` (balance at the start of the month).
    max_months_on_book
        Keep only transitions of loans at most this many months on book at the end of the
        month (young loans: a fast signal of a change in new bookings). None keeps all.

    Returns
    -------
    pandas.DataFrame
        One row per snapshot month, from-status (active statuses only) and to-status:
        ``snapshot_month``, ``from``, ``to``, ``n`` (weight of the transitions), ``n_from``
        (weight in the from-status at the start of the month) and ``rate = n / n_from``.

    Raises
    ------
    DataError
        For a table that breaks the schema.
    ParameterError
        For an unknown ``weight``.
    """
    frame = _check_performance(performance)
    check_choice(weight, "weight", ("count", "balance"))
    pairs = _transitions(frame)
    if max_months_on_book is not None:
        check_positive_int(max_months_on_book, "max_months_on_book", hint="e.g. 6")
        pairs = pairs[pairs["months_on_book"] <= max_months_on_book]
    pairs = pairs[pairs["from"].isin(ACTIVE_STATUSES)]
    pairs = pairs.assign(w=1.0 if weight == "count" else pairs["balance_from"])
    table = pairs.groupby(["snapshot_month", "from", "to"], sort=False)["w"].sum().rename("n").reset_index()
    table["n_from"] = table.groupby(["snapshot_month", "from"])["n"].transform("sum")
    table["rate"] = table["n"] / table["n_from"]
    order = {s: i for i, s in enumerate(STATUSES)}
    return table.sort_values(["snapshot_month", "from", "to"], key=lambda c: c.map(order) if c.name != "snapshot_month" else c,
                             kind="stable").reset_index(drop=True)


def roll_rate_matrix(performance: pd.DataFrame, *, months: Any = None, weight: str = "count") -> pd.DataFrame:
    """Roll-rate matrix pooled over ``months``: rows = status at t-1, columns = status at t.

    Parameters
    ----------
    performance
        Performance table.
    months
        Snapshot months to pool (anything ``pd.to_datetime`` reads); None pools every month.
    weight
        ``"count"`` or ``"balance"``.

    Returns
    -------
    pandas.DataFrame
        Row-normalised transition rates over the active statuses (rows) and every status
        (columns); rows sum to 1.

    Raises
    ------
    DataError
        When no transition falls in ``months``.

    Examples
    --------
    >>> from riskkit.data import simulate_loan_book
    >>> from riskkit.monitoring import roll_rate_matrix
    >>> book = simulate_loan_book(n_loans=500, n_months=36, seed=1, drift_month=None)
    >>> matrix = roll_rate_matrix(book.performance)
    >>> matrix.loc["30-59", ["current", "30-59", "60-89"]].round(3).to_dict()
    {'current': 0.098, '30-59': 0.361, '60-89': 0.533}
    >>> bool((matrix.sum(axis=1).round(12) == 1).all())
    True
    """
    table = roll_rates(performance, weight=weight)
    if months is not None:
        wanted = pd.to_datetime(pd.Index(np.atleast_1d(months))).to_period("M").to_timestamp()
        table = table[table["snapshot_month"].isin(wanted)]
        if table.empty:
            raise DataError(f"no transition in months={short_repr(list(np.atleast_1d(months)))}; pick snapshot months of the book")
    counts = table.pivot_table(index="from", columns="to", values="n", aggfunc="sum", fill_value=0.0)
    counts = counts.reindex(index=[s for s in ACTIVE_STATUSES if s in counts.index], columns=list(STATUSES), fill_value=0.0)
    matrix = counts.div(counts.sum(axis=1), axis=0)
    matrix.index.name, matrix.columns.name = "from", "to"
    return matrix


def flow_rates(performance: pd.DataFrame, *, weight: str = "balance") -> pd.DataFrame:
    """Flow rates: the amount in bucket ``k + 1`` at month t over the amount in bucket ``k`` at t-1.

    Aggregate ratios (no loan tracking), the classic collections view: current -> 1-29 ->
    30-59 -> 60-89 -> 90+ -> default (the last flow: new defaults at t over 90+ at t-1).

    Parameters
    ----------
    performance
        Performance table.
    weight
        ``"balance"`` or ``"count"``.

    Returns
    -------
    pandas.DataFrame
        One row per month (from the second) and flow: ``snapshot_month``, ``from``, ``to``,
        ``amount_from`` (t-1), ``amount_to`` (t), ``rate``.

    Raises
    ------
    DataError
        For a table that breaks the schema or with a single month.
    """
    frame = _check_performance(performance)
    check_choice(weight, "weight", ("count", "balance"))
    w = np.ones(len(frame)) if weight == "count" else frame["balance"].to_numpy(dtype=float)
    sums = pd.Series(w).groupby([frame["snapshot_month"].to_numpy(), frame["status"].to_numpy()]).sum().unstack(fill_value=0)
    sums = sums.reindex(columns=list(STATUSES), fill_value=0.0).sort_index()
    if len(sums) < 2:
        raise DataError(f"performance holds a single month ({sums.index[0]:%Y-%m}); flow rates need two or more")
    chain = list(ACTIVE_STATUSES)
    rows = []
    for a, b in zip(chain[:-1], chain[1:], strict=True):
        prev, now = sums[a].shift(1).iloc[1:], sums[b].iloc[1:]
        rows.append(pd.DataFrame({"snapshot_month": now.index, "from": a, "to": b, "amount_from": prev.to_numpy(),
                                  "amount_to": now.to_numpy()}))
    out = pd.concat(rows, ignore_index=True)
    out["rate"] = out["amount_to"] / out["amount_from"].where(out["amount_from"] > 0)
    return out.sort_values(["snapshot_month"], kind="stable").reset_index(drop=True)


def delinquency_rates(performance: pd.DataFrame) -> pd.DataFrame:
    """Delinquency, default and charge-off rates by snapshot month.

    Parameters
    ----------
    performance
        Performance table.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``snapshot_month``: ``n_active`` and ``balance_active`` (loans on the book at
        month end: current to default), ``dq30_rate`` and ``dq90_rate`` (share of active balance
        30+ / 90+ dpd, default included), ``dq30_count_rate``, ``new_defaults`` (loans entering
        default this month), ``default_rate`` (new defaults over loans active the month before),
        ``chargeoff_amount`` and ``chargeoff_rate`` (charged-off balance over the active balance
        of the month before). The first month has no previous month (NaN rates).

    Raises
    ------
    DataError
        For a table that breaks the schema.
    """
    frame = _check_performance(performance)
    sev = frame["status"].map(SEVERITY).to_numpy()
    active = frame["status"].isin(ACTIVE_STATUSES).to_numpy()
    bal = frame["balance"].to_numpy(dtype=float)
    month = frame["snapshot_month"].to_numpy()
    work = pd.DataFrame({
        "month": month, "active": active, "bal_active": bal * active,
        "bal30": bal * (active & (sev >= 2)), "bal90": bal * (active & (sev >= 4)),
        "n30": active & (sev >= 2), "new_default": frame["status"].to_numpy() == "default",
        "chargeoff": bal * (frame["status"].to_numpy() == "charged_off"),
    })
    g = work.groupby("month").sum()
    out = pd.DataFrame(index=pd.DatetimeIndex(g.index, name="snapshot_month"))
    out["n_active"] = g["active"].astype(int)
    out["balance_active"] = g["bal_active"]
    out["dq30_rate"] = g["bal30"] / g["bal_active"].where(g["bal_active"] > 0)
    out["dq90_rate"] = g["bal90"] / g["bal_active"].where(g["bal_active"] > 0)
    out["dq30_count_rate"] = g["n30"] / g["active"].where(g["active"] > 0)
    out["new_defaults"] = g["new_default"].astype(int)
    # a default at t was active at t-1; the previous row is the previous month only when consecutive
    months = _month_number(pd.Series(out.index))
    consecutive = np.r_[False, np.diff(months) == 1]
    prev_n = out["n_active"].shift(1).where(consecutive)
    prev_b = out["balance_active"].shift(1).where(consecutive)
    out["default_rate"] = out["new_defaults"] / prev_n
    out["chargeoff_amount"] = g["chargeoff"]
    out["chargeoff_rate"] = out["chargeoff_amount"] / prev_b
    return out
