"""A loan book with monthly performance: schema, loader and a documented, seeded generator.

Schema
------
**Performance table** (one row per loan per month on book, from the origination month to the
month the loan leaves the book, that month included):

=====================  ==========================================================================
column                 meaning
=====================  ==========================================================================
``loan_id``            loan identifier (string), key into the origination table
``snapshot_month``     month-end of the snapshot (datetime64, normalised to the first of the month)
``origination_month``  month the loan was booked (same normalisation); ``<= snapshot_month``
``product``            product name (string)
``region``             region name (string)
``amount``             amount lent (> 0)
``balance``            outstanding principal (>= 0); for ``charged_off`` the amount written off,
                       for ``paid_off`` 0
``dpd``                days past due (integer >= 0)
``dpd_bucket``         ``current`` (0), ``1-29``, ``30-59``, ``60-89``, ``90+``; consistent with dpd
``status``             ``current``, ``1-29``, ``30-59``, ``60-89``, ``90+``, ``default``,
                       ``paid_off``, ``charged_off``
=====================  ==========================================================================

A ``default`` or ``charged_off`` row has the bucket ``90+``; a ``paid_off`` row ``current``. Any
other status equals its dpd bucket.

**Origination table** (one row per loan): ``loan_id``, ``origination_month``, ``product``,
``region``, ``amount``, ``term`` (months), ``score`` (points, higher = safer), ``pd`` (the
origination model's 12-month probability of default), ``grade`` (master-scale grade of ``pd``)
and the application features (numeric columns; the generator writes ``income``, ``age``,
``debt_to_income``, ``utilisation``, ``employment_years``, ``n_inquiries``).

Generator
---------
:func:`simulate_loan_book` is a monthly Markov chain on the number of missed payments
``m`` (0 current, 1 -> ``1-29``, 2 -> ``30-59``, 3 -> ``60-89``, 4 -> ``90+``, 5 -> ``default``;
the month after default the loan is ``charged_off`` and leaves the book). Each month a loan in
state ``m < 5`` rolls forward to ``m + 1`` with probability ``q_m``, cures to current with
probability ``c_m`` (``m >= 1``) or stays; a current loan prepays (``paid_off``) with probability
``prepay_rate`` and is paid off at maturity. The roll-forward probability is::

    logit q_m(i, t) = logit BASE_ROLL[m] - score_beta[m] * s_i + macro_beta * z_t + drift_shift * 1{cohort_i >= drift_month}

with ``s_i`` the standardised origination score of loan ``i`` (higher = safer), ``z_t`` a
macro factor (AR(1): ``z_t = 0.9 z_{t-1} + sqrt(1 - 0.81) * macro_sd * e_t``, stationary sd
``macro_sd``; higher = worse economy) and ``drift_shift`` the extra risk of the loans booked
from ``drift_month`` on, which the score does not see (a loosened policy admits applicants with
unobserved risk). From ``drift_month`` the applicant population also shifts: the latent features
move by ``score_shift`` standard deviations along the score direction, so the score of new
bookings falls by ``score_shift`` sd (PSI and CSI of new bookings rise). Cure probabilities are
``BASE_CURE[m]`` and do not move. The origination ``pd`` is the exact 12-month probability of
reaching ``default`` under the chain with ``z = 0`` and no drift: the development-time model is
calibrated in a neutral economy before the policy change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from riskkit._validation import check_in_range, check_positive_int, short_repr
from riskkit.exceptions import DataError, ParameterError

__all__ = [
    "BASE_CURE",
    "BASE_ROLL",
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
]

DPD_BUCKETS: tuple[str, ...] = ("current", "1-29", "30-59", "60-89", "90+")
STATUSES: tuple[str, ...] = DPD_BUCKETS + ("default", "paid_off", "charged_off")
PERFORMANCE_COLUMNS: tuple[str, ...] = (
    "loan_id", "snapshot_month", "origination_month", "product", "region", "amount", "balance",
    "dpd", "dpd_bucket", "status",
)
ORIGINATION_COLUMNS: tuple[str, ...] = (
    "loan_id", "origination_month", "product", "region", "amount", "term", "score", "pd", "grade",
)
#: Monthly roll-forward probability from each state (current, 1-29, 30-59, 60-89, 90+) at an
#: average score, neutral economy and no drift.
BASE_ROLL: tuple[float, ...] = (0.025, 0.30, 0.45, 0.60, 0.75)
#: Monthly cure-to-current probability of each state (current has none).
BASE_CURE: tuple[float, ...] = (0.0, 0.45, 0.25, 0.15, 0.05)
#: Score sensitivity of the roll-forward logit per state (per standard deviation of score).
SCORE_BETA: tuple[float, ...] = (0.7, 0.4, 0.3, 0.2, 0.1)

PRODUCTS: dict[str, tuple[float, int, float]] = {
    # name: (share of bookings, term in months, median amount)
    "personal": (0.55, 36, 8_000.0),
    "auto": (0.30, 48, 18_000.0),
    "sme": (0.15, 24, 30_000.0),
}
REGIONS: dict[str, float] = {"north": 0.30, "south": 0.25, "east": 0.20, "west": 0.15, "central": 0.10}
_ANNUAL_RATE = 0.12
_DEFAULT_STATE = 5
_PD_HORIZON = 12
# feature name: weight of its latent normal in the score (higher latent = safer)
_FEATURE_WEIGHTS: dict[str, float] = {
    "income": 0.45, "age": 0.20, "debt_to_income": 0.45, "utilisation": 0.50,
    "employment_years": 0.30, "n_inquiries": 0.35,
}


@dataclass(frozen=True)
class LoanBook:
    """A loan book: monthly performance, origination table and (when simulated) its truth.

    Attributes
    ----------
    performance
        One row per loan per month (see the module docstring for the schema).
    origination
        One row per loan with score, PD, grade and application features.
    macro
        The macro factor per month (simulated books only; higher = worse economy).
    drift_month
        First origination month of the drifted cohorts (simulated books only; None without drift).
    params
        The generator's arguments (simulated books only).
    """

    performance: pd.DataFrame
    origination: pd.DataFrame
    macro: pd.Series | None = None
    drift_month: pd.Timestamp | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def months(self) -> pd.DatetimeIndex:
        """The snapshot months, in order."""
        return pd.DatetimeIndex(sorted(self.performance["snapshot_month"].unique()), name="snapshot_month")

    def development_sample(self, n_months: int = 12) -> pd.DataFrame:
        """The origination rows of the first ``n_months`` cohorts (the reference for PSI/CSI).

        Parameters
        ----------
        n_months : int, default 12
            Number of first origination months kept.

        Returns
        -------
        pd.DataFrame
            The matching rows of :attr:`origination`.

        Raises
        ------
        ParameterError
            When ``n_months`` is not a positive integer.
        """
        n = check_positive_int(n_months, "n_months", hint="the number of first cohorts used as reference, e.g. 12")
        cohorts = sorted(self.origination["origination_month"].unique())[:n]
        return self.origination[self.origination["origination_month"].isin(cohorts)]

    def summary(self) -> str:
        """Loans, snapshot months, rows, the documented drift and the rows per status.

        Returns
        -------
        str
            A few lines of text (also what ``print(book)`` shows).
        """
        perf = self.performance
        lines = [
            f"Loan book: {len(self.origination):,} loans, {perf['snapshot_month'].nunique()} monthly snapshots "
            f"({perf['snapshot_month'].min():%Y-%m} to {perf['snapshot_month'].max():%Y-%m}), {len(perf):,} rows",
        ]
        if self.drift_month is not None:
            lines.append(f"  documented drift from cohort {self.drift_month:%Y-%m}")
        lines.append(perf["status"].value_counts().reindex(list(STATUSES), fill_value=0).to_string())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# -- schema helpers --------------------------------------------------------------------------------
def dpd_bucket(dpd: Any) -> np.ndarray:
    """The delinquency bucket of days past due: current (0), 1-29, 30-59, 60-89, 90+.

    Parameters
    ----------
    dpd
        Days past due, integers >= 0.

    Returns
    -------
    numpy.ndarray
        Bucket labels (object dtype).

    Raises
    ------
    DataError
        When a value is negative or missing.
    """
    arr = np.asarray(dpd, dtype=float)
    bad = ~(arr >= 0)
    if bad.any():
        raise DataError(f"dpd must be >= 0 with no missing values (got dpd={arr[bad].ravel()[0]!r})")
    idx = np.searchsorted(np.array([1, 30, 60, 90]), arr, side="right")
    return np.array(DPD_BUCKETS, dtype=object)[idx]


def _as_month(values: pd.Series, column: str, table: str) -> pd.Series:
    """Parse a month column ("2024-03", a date, or a datetime) to the first day of its month."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        parsed = pd.to_datetime(values.astype("string"), errors="coerce", format="ISO8601")
    bad = parsed.isna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"{table} column {column!r} row {row}: not a month (got {short_repr(values.iloc[row])}); "
            "write months as YYYY-MM or a date"
        )
    return parsed.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")


def _read(path: str | Path, name: str) -> pd.DataFrame:
    file = Path(path)
    if not file.is_file():
        raise DataError(f"{name} does not name a file (got {name}={str(path)!r}); give a CSV or Parquet file")
    suffix = file.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(file, dtype={"loan_id": str})
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(file)
    else:
        raise DataError(f"{name} must end in .csv or .parquet (got {name}={str(path)!r})")
    if frame.empty:
        raise DataError(f"{name} {str(file)!r} holds no rows; give a file with one row per loan (per month)")
    return frame


def _require(frame: pd.DataFrame, columns: tuple[str, ...], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{table} is missing column(s) {missing} (got columns {short_repr(list(frame.columns), 160)}); "
            f"required: {list(columns)}"
        )


def _numeric(frame: pd.DataFrame, column: str, table: str, *, low: float, low_open: bool = False,
             integer: bool = False, high: float | None = None) -> None:
    values = pd.to_numeric(frame[column], errors="coerce")
    ok = values > low if low_open else values >= low
    if high is not None:
        ok &= values <= high
    if integer:
        ok &= values == np.round(values)
    bad = ~ok.fillna(False).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.argmax(bad))
        side = f"> {low:g}" if low_open else f">= {low:g}"
        rng = side if high is None else f"in [{low:g}, {high:g}]"
        kind = "an integer " if integer else "a number "
        raise DataError(
            f"{table} column {column!r} row {row}: must be {kind}{rng} (got {short_repr(frame[column].iloc[row])})"
        )
    frame[column] = values.astype("int64") if integer else values.astype(float)


def _check_choice_column(frame: pd.DataFrame, column: str, table: str, choices: tuple[str, ...]) -> None:
    values = frame[column].astype("string")
    bad = ~values.isin(choices).fillna(False).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{table} column {column!r} row {row}: unknown value {short_repr(frame[column].iloc[row])}; "
            f"allowed: {list(choices)}"
        )
    frame[column] = values.astype(str).to_numpy(dtype=object)


def _check_text(frame: pd.DataFrame, column: str, table: str) -> None:
    values = frame[column]
    bad = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(f"{table} column {column!r} row {row}: missing value; every row needs a {column}")
    frame[column] = values.astype(str).to_numpy(dtype=object)


def validate_performance(frame: pd.DataFrame) -> pd.DataFrame:
    """Check a performance table against the schema; return a normalised copy.

    Parameters
    ----------
    frame
        One row per loan per month with the columns of :data:`PERFORMANCE_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        The columns of the schema (extra columns kept after them), months normalised to the first
        of the month, sorted by loan and month.

    Raises
    ------
    DataError
        Naming the column and the (0-based) row of the first bad value: a missing column, an
        unknown status or bucket, a negative dpd or balance, a bucket that contradicts dpd, a
        snapshot before origination, or a duplicated (loan_id, snapshot_month).
    """
    table = "performance"
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise DataError(f"{table} must be a non-empty DataFrame (got {short_repr(frame)})")
    _require(frame, PERFORMANCE_COLUMNS, table)
    out = frame.reset_index(drop=True).copy()
    for column in ("loan_id", "product", "region"):
        _check_text(out, column, table)
    out["snapshot_month"] = _as_month(out["snapshot_month"], "snapshot_month", table)
    out["origination_month"] = _as_month(out["origination_month"], "origination_month", table)
    _numeric(out, "amount", table, low=0.0, low_open=True)
    _numeric(out, "balance", table, low=0.0)
    _numeric(out, "dpd", table, low=0.0, integer=True)
    _check_choice_column(out, "dpd_bucket", table, DPD_BUCKETS)
    _check_choice_column(out, "status", table, STATUSES)
    expected = dpd_bucket(out["dpd"].to_numpy())
    wrong = expected != out["dpd_bucket"].to_numpy()
    if wrong.any():
        row = int(np.argmax(wrong))
        raise DataError(
            f"{table} column 'dpd_bucket' row {row}: {out['dpd_bucket'].iloc[row]!r} contradicts "
            f"dpd={out['dpd'].iloc[row]} (expected {expected[row]!r})"
        )
    status, bucket = out["status"].to_numpy(), out["dpd_bucket"].to_numpy()
    need = np.where(np.isin(status, ("default", "charged_off")), "90+",
                    np.where(status == "paid_off", "current", status))
    wrong = need != bucket
    if wrong.any():
        row = int(np.argmax(wrong))
        raise DataError(
            f"{table} column 'status' row {row}: status {status[row]!r} needs dpd_bucket {need[row]!r} "
            f"(got {bucket[row]!r})"
        )
    early = (out["snapshot_month"] < out["origination_month"]).to_numpy()
    if early.any():
        row = int(np.argmax(early))
        raise DataError(
            f"{table} column 'snapshot_month' row {row}: {out['snapshot_month'].iloc[row]:%Y-%m} is before the "
            f"origination month {out['origination_month'].iloc[row]:%Y-%m}"
        )
    dup = out.duplicated(["loan_id", "snapshot_month"]).to_numpy()
    if dup.any():
        row = int(np.argmax(dup))
        raise DataError(
            f"{table} column 'loan_id' row {row}: loan {out['loan_id'].iloc[row]!r} appears twice in "
            f"{out['snapshot_month'].iloc[row]:%Y-%m}; keep one row per loan per month"
        )
    cols = list(PERFORMANCE_COLUMNS) + [c for c in out.columns if c not in PERFORMANCE_COLUMNS]
    return out[cols].sort_values(["loan_id", "snapshot_month"], kind="stable").reset_index(drop=True)


def validate_origination(frame: pd.DataFrame) -> pd.DataFrame:
    """Check an origination table against the schema; return a normalised copy.

    Parameters
    ----------
    frame
        One row per loan with the columns of :data:`ORIGINATION_COLUMNS` and any numeric
        application features.

    Returns
    -------
    pandas.DataFrame
        A copy with months normalised and ``grade`` as strings.

    Raises
    ------
    DataError
        Naming the column and the row of the first bad value (missing column, duplicated loan_id,
        PD outside [0, 1], a non-positive amount or term, a missing score).
    """
    table = "origination"
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise DataError(f"{table} must be a non-empty DataFrame (got {short_repr(frame)})")
    _require(frame, ORIGINATION_COLUMNS, table)
    out = frame.reset_index(drop=True).copy()
    for column in ("loan_id", "product", "region", "grade"):
        _check_text(out, column, table)
    out["origination_month"] = _as_month(out["origination_month"], "origination_month", table)
    _numeric(out, "amount", table, low=0.0, low_open=True)
    _numeric(out, "term", table, low=1.0, integer=True)
    _numeric(out, "score", table, low=-np.inf, low_open=True)
    _numeric(out, "pd", table, low=0.0, high=1.0)
    dup = out["loan_id"].duplicated().to_numpy()
    if dup.any():
        row = int(np.argmax(dup))
        raise DataError(f"{table} column 'loan_id' row {row}: loan {out['loan_id'].iloc[row]!r} appears twice")
    return out


def load_loan_book(performance_path: str | Path, origination_path: str | Path) -> LoanBook:
    """Load and validate a loan book from CSV or Parquet files.

    Parameters
    ----------
    performance_path
        CSV or Parquet file with one row per loan per month (schema in the module docstring).
    origination_path
        CSV or Parquet file with one row per loan (score, pd, grade, features).

    Returns
    -------
    LoanBook
        The validated tables (``macro`` and ``drift_month`` are None).

    Raises
    ------
    DataError
        When a file is missing or unreadable, or a value breaks the schema; the message names
        the table, the column and the row. Every loan of the performance table must have an
        origination row, with the same origination month.
    """
    perf = validate_performance(_read(performance_path, "performance_path"))
    orig = validate_origination(_read(origination_path, "origination_path"))
    return _linked(perf, orig)


def _linked(perf: pd.DataFrame, orig: pd.DataFrame) -> LoanBook:
    known = pd.Index(orig["loan_id"])
    unknown = ~perf["loan_id"].isin(known).to_numpy()
    if unknown.any():
        row = int(np.argmax(unknown))
        raise DataError(
            f"performance column 'loan_id' row {row}: loan {perf['loan_id'].iloc[row]!r} has no origination row"
        )
    booked = perf["loan_id"].map(orig.set_index("loan_id")["origination_month"])
    wrong = (booked != perf["origination_month"]).to_numpy()
    if wrong.any():
        row = int(np.argmax(wrong))
        raise DataError(
            f"performance column 'origination_month' row {row}: {perf['origination_month'].iloc[row]:%Y-%m} "
            f"differs from the origination table ({booked.iloc[row]:%Y-%m}) for loan {perf['loan_id'].iloc[row]!r}"
        )
    return LoanBook(performance=perf, origination=orig)


# -- generator -------------------------------------------------------------------------------------
def _transition_matrices(roll: np.ndarray, prepay: float) -> np.ndarray:
    """Per-loan 7 x 7 monthly transition matrices over states 0..5 and paid_off (6).

    ``roll`` has shape (n, 5). Default (5) and paid_off (6) are absorbing here (the 12-month PD
    only needs the probability of having reached default).
    """
    n = roll.shape[0]
    p = np.zeros((n, 7, 7))
    p[:, 0, 1] = roll[:, 0] * (1.0 - prepay)
    p[:, 0, 6] = prepay
    p[:, 0, 0] = 1.0 - p[:, 0, 1] - prepay
    for m in range(1, 5):
        p[:, m, m + 1] = roll[:, m]
        cure = BASE_CURE[m] * (1.0 - roll[:, m])
        p[:, m, 0] = cure
        p[:, m, m] = 1.0 - roll[:, m] - cure
    p[:, 5, 5] = 1.0
    p[:, 6, 6] = 1.0
    return p


def _roll_probabilities(s: np.ndarray, macro: float | np.ndarray, shift: np.ndarray | float) -> np.ndarray:
    base = logit(np.asarray(BASE_ROLL))
    beta = np.asarray(SCORE_BETA)
    z = base[None, :] - beta[None, :] * s[:, None] + np.asarray(macro).reshape(-1, 1) \
        + np.asarray(shift, dtype=float).reshape(-1, 1)
    return expit(z)


def _twelve_month_pd(s: np.ndarray, prepay: float) -> np.ndarray:
    """Exact probability of reaching default within 12 months (z = 0, no drift)."""
    p = _transition_matrices(_roll_probabilities(s, 0.0, 0.0), prepay)
    dist = np.zeros((len(s), 7))
    dist[:, 0] = 1.0
    for _ in range(_PD_HORIZON):
        dist = np.einsum("ni,nij->nj", dist, p)
    return np.clip(dist[:, 5], 0.0, 1.0)


def _master_grade(pd12: np.ndarray) -> np.ndarray:
    """Grade on the default master scale of riskkit.grading (10 geometric grades from 0.03%).

    The data layer does not import the model layer; tests check this equals
    ``MasterScale().grade(pd)``.
    """
    edges = np.geomspace(0.0003, 1.0, 11)
    idx = np.clip(np.searchsorted(edges, pd12, side="right") - 1, 0, 9)
    labels = np.array([str(k) for k in range(1, 11)] + ["D"], dtype=object)
    return labels[np.where(pd12 >= 1.0, 10, idx)]


def _features(latent: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Application features on natural scales from latent normals (higher latent = safer)."""
    z = dict(zip(_FEATURE_WEIGHTS, latent.T, strict=True))
    return pd.DataFrame({
        "income": np.round(np.exp(10.4 + 0.45 * z["income"]), 0),
        "age": np.clip(np.round(40 + 11 * z["age"]), 18, 85).astype(int),
        "debt_to_income": np.round(np.clip(0.32 - 0.12 * z["debt_to_income"], 0.0, 1.5), 3),
        "utilisation": np.round(expit(-0.2 - 1.1 * z["utilisation"]), 3),
        "employment_years": np.round(np.maximum(0.0, 6.0 + 4.0 * z["employment_years"]), 1),
        "n_inquiries": rng.poisson(np.exp(0.4 - 0.6 * z["n_inquiries"])),
    })


def _check_month_arg(value: Any, name: str, n_months: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value < n_months:
        raise ParameterError(
            f"{name} must be None or an integer month index in [1, {n_months - 1}] (got {name}={short_repr(value)}); "
            "e.g. drift_month=30 for a change 30 months after the first snapshot"
        )
    return int(value)


def simulate_loan_book(
    n_loans: int = 20_000,
    n_months: int = 48,
    seed: int = 0,
    *,
    drift_month: int | None = 36,
    drift_shift: float = 0.7,
    score_shift: float = 0.5,
    macro_sd: float = 0.15,
    prepay_rate: float = 0.015,
    start: str = "2021-01",
) -> LoanBook:
    """Simulate a loan book with monthly performance (the ground truth monitoring is tested on).

    Loans are booked evenly over the ``n_months`` months (multinomial split), with product and
    region drawn from fixed shares (``PRODUCTS``, ``REGIONS``), an amount lognormal around the
    product median and the product's term; they then follow the Markov chain of the module
    docstring until they are paid off, charged off or the last snapshot is reached.

    Parameters
    ----------
    n_loans
        Number of loans booked over the whole period (>= 100).
    n_months
        Number of monthly snapshots (>= 36).
    seed
        Seed of the single :class:`numpy.random.Generator`; equal arguments give equal books.
    drift_month
        Month index (0 = ``start``) from which booked loans carry ``drift_shift`` extra logit of
        roll-forward risk and the applicant score falls by ``score_shift`` sd; None for no drift.
    drift_shift
        Extra roll-forward log-odds of the drifted cohorts (not seen by the score), >= 0.
    score_shift
        Fall of the new bookings' latent score, in standard deviations, from ``drift_month`` (>= 0).
    macro_sd
        Stationary standard deviation of the AR(1) macro factor added to every roll logit (>= 0).
    prepay_rate
        Monthly prepayment probability of a current loan, in [0, 0.2].
    start
        First snapshot month, ``YYYY-MM``.

    Returns
    -------
    LoanBook
        ``performance``, ``origination``, ``macro`` (per month), ``drift_month`` (a Timestamp or
        None) and ``params``.

    Raises
    ------
    ParameterError
        For an argument outside its range.

    Examples
    --------
    A small book without drift (equal arguments give equal books):

    >>> from riskkit.data import simulate_loan_book
    >>> book = simulate_loan_book(n_loans=500, n_months=36, seed=1, drift_month=None)
    >>> print(book.summary().splitlines()[0])
    Loan book: 500 loans, 36 monthly snapshots (2021-01 to 2023-12), 7,622 rows
    >>> book.origination[["score", "pd", "grade"]].shape
    (500, 3)
    """
    n_loans = check_positive_int(n_loans, "n_loans", minimum=100, hint="simulate at least 100 loans")
    n_months = check_positive_int(n_months, "n_months", minimum=36, hint="the book needs at least 36 monthly snapshots")
    seed = check_positive_int(seed, "seed", minimum=0, hint="use a non-negative integer seed")
    drift = _check_month_arg(drift_month, "drift_month", n_months)
    drift_shift = check_in_range(drift_shift, "drift_shift", 0.0, 5.0, hint="extra log-odds of roll, e.g. 0.7")
    score_shift = check_in_range(score_shift, "score_shift", 0.0, 5.0, hint="score fall in sd, e.g. 0.5")
    macro_sd = check_in_range(macro_sd, "macro_sd", 0.0, 2.0, hint="sd of the macro factor in logit units, e.g. 0.15")
    prepay = check_in_range(prepay_rate, "prepay_rate", 0.0, 0.2, hint="monthly prepayment probability, e.g. 0.015")
    first = pd.to_datetime(str(start), format="%Y-%m", errors="coerce")
    if pd.isna(first):
        raise ParameterError(f"start must be a month YYYY-MM (got start={short_repr(start)}); e.g. start='2021-01'")
    months = pd.date_range(first, periods=n_months, freq="MS")
    rng = np.random.default_rng(seed)

    # macro factor: AR(1) with stationary sd macro_sd
    macro = np.zeros(n_months)
    macro[0] = rng.normal(0.0, macro_sd)
    for t in range(1, n_months):
        macro[t] = 0.9 * macro[t - 1] + np.sqrt(1 - 0.81) * macro_sd * rng.normal()

    # origination
    cohort = np.repeat(np.arange(n_months), rng.multinomial(n_loans, np.full(n_months, 1.0 / n_months)))
    drifted = np.zeros(n_loans, dtype=bool) if drift is None else cohort >= drift
    weights = np.array(list(_FEATURE_WEIGHTS.values()))
    direction = weights / np.linalg.norm(weights)
    latent = rng.normal(size=(n_loans, len(weights))) - np.outer(drifted * score_shift, direction)
    s = latent @ direction  # N(0, 1) before drift, N(-score_shift, 1) after
    product_names = list(PRODUCTS)
    product = rng.choice(len(product_names), size=n_loans, p=[v[0] for v in PRODUCTS.values()])
    region_names = list(REGIONS)
    region = rng.choice(len(region_names), size=n_loans, p=list(REGIONS.values()))
    term = np.array([PRODUCTS[product_names[k]][1] for k in product])
    median = np.array([PRODUCTS[product_names[k]][2] for k in product])
    amount = np.round(median * np.exp(rng.normal(0.0, 0.4, n_loans)) / 100.0) * 100.0
    pd12 = _twelve_month_pd(s, prepay)
    features = _features(latent, rng)
    loan_id = np.array([f"L{i:07d}" for i in range(n_loans)], dtype=object)

    # performance: Markov chain in calendar time
    r = _ANNUAL_RATE / 12.0
    payment = amount * r / (1.0 - (1.0 + r) ** (-term.astype(float)))
    due_offset = rng.integers(1, 30, n_loans)  # days past due within the first missed month
    shift = np.where(drifted, drift_shift, 0.0)
    state = np.full(n_loans, -1)  # -1 not yet booked, 0..5 on book, 6 paid off, 7 charged off (gone)
    paid = np.zeros(n_loans, dtype=int)  # instalments paid
    rows: list[dict[str, np.ndarray]] = []
    for t in range(n_months):
        active = np.flatnonzero((state >= 0) & (state <= _DEFAULT_STATE))
        new_status = np.full(active.size, "", dtype=object)
        if active.size:
            st = state[active]
            roll = _roll_probabilities(s[active], macro[t], shift[active])
            q = roll[np.arange(active.size), np.minimum(st, 4)]
            u = rng.random(active.size)
            nxt = st.copy()
            current = st == 0
            # current: prepay, roll to 1-29, else pay an instalment
            prepaid = current & (u < prepay)
            rolled0 = current & ~prepaid & (u < prepay + q * (1.0 - prepay))
            nxt[rolled0] = 1
            cure = np.array(BASE_CURE)[np.minimum(st, 4)] * (1.0 - q)
            late = (st >= 1) & (st <= 4)
            rolled = late & (u < q)
            cured = late & ~rolled & (u < q + cure)
            nxt[rolled] = st[rolled] + 1
            nxt[cured] = 0
            charged = st == _DEFAULT_STATE
            # instalments: a current loan that stays current pays one; a cured loan pays its arrears too
            pays = (current & ~prepaid & ~rolled0) | cured | (late & ~rolled & ~cured)
            paid[active] += np.where(cured, st + 1, pays.astype(int))
            matured = (nxt == 0) & (paid[active] >= term[active])
            new_status[:] = np.array(DPD_BUCKETS + ("default",), dtype=object)[np.minimum(nxt, 5)]
            new_status[prepaid | matured] = "paid_off"
            new_status[charged] = "charged_off"
            nxt[prepaid | matured] = 6
            nxt[charged] = 7
            state[active] = nxt
        booked = np.flatnonzero(cohort == t)
        state[booked] = 0
        idx = np.concatenate([active, booked])
        status = np.concatenate([new_status, np.full(booked.size, "current", dtype=object)])
        rows.append({"i": idx, "t": np.full(idx.size, t), "status": status, "paid": paid[idx].copy()})
    perf = _performance_frame(rows, loan_id, months, cohort, product, region, product_names, region_names,
                              amount, payment, r, due_offset)
    orig = pd.DataFrame({
        "loan_id": loan_id, "origination_month": months[cohort], "product": np.array(product_names, dtype=object)[product],
        "region": np.array(region_names, dtype=object)[region], "amount": amount, "term": term,
        "score": np.round(650.0 + 50.0 * s).astype(int), "pd": pd12,
    })
    orig["grade"] = _master_grade(pd12)
    orig = pd.concat([orig, features], axis=1)
    params = {"n_loans": n_loans, "n_months": n_months, "seed": seed, "drift_month": drift,
              "drift_shift": drift_shift, "score_shift": score_shift, "macro_sd": macro_sd,
              "prepay_rate": prepay, "start": f"{first:%Y-%m}"}
    return LoanBook(performance=perf, origination=orig, macro=pd.Series(macro, index=pd.Index(months, name="month"),
                                                                          name="macro"),
                    drift_month=None if drift is None else months[drift], params=params)


def _performance_frame(rows: list[dict[str, np.ndarray]], loan_id: np.ndarray, months: pd.DatetimeIndex,
                       cohort: np.ndarray, product: np.ndarray, region: np.ndarray, product_names: list[str],
                       region_names: list[str], amount: np.ndarray, payment: np.ndarray, r: float,
                       due_offset: np.ndarray) -> pd.DataFrame:
    i = np.concatenate([x["i"] for x in rows])
    t = np.concatenate([x["t"] for x in rows])
    status = np.concatenate([x["status"] for x in rows])
    paid = np.concatenate([x["paid"] for x in rows]).astype(float)
    missed = np.select(
        [status == "current", status == "1-29", status == "30-59", status == "60-89", status == "90+",
         status == "default", status == "charged_off"], [0, 1, 2, 3, 4, 5, 5], default=0)
    dpd = np.where(missed > 0, 30 * (missed - 1) + due_offset[i], 0).astype(np.int64)
    dpd = np.where(status == "paid_off", 0, dpd)
    # scheduled balance after the instalments paid
    growth = (1.0 + r) ** paid
    balance = amount[i] * growth - payment[i] * (growth - 1.0) / r
    balance = np.where(status == "paid_off", 0.0, np.round(np.clip(balance, 0.0, None), 2))
    frame = pd.DataFrame({
        "loan_id": loan_id[i], "snapshot_month": months[t], "origination_month": months[cohort[i]],
        "product": np.array(product_names, dtype=object)[product[i]],
        "region": np.array(region_names, dtype=object)[region[i]],
        "amount": amount[i], "balance": balance, "dpd": dpd, "dpd_bucket": dpd_bucket(dpd), "status": status,
    })
    return frame.sort_values(["loan_id", "snapshot_month"], kind="stable").reset_index(drop=True)
