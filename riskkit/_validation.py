"""Shared input checks used by every public entry point.

Each check raises a :mod:`riskkit.exceptions` error whose message names the argument, the value
received and a hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sized
from typing import Any

import numpy as np
import pandas as pd

from riskkit import exceptions
from riskkit.exceptions import DataError, ParameterError

__all__ = [
    "check_alpha",
    "check_binary_target",
    "check_choice",
    "check_finite_series",
    "check_fitted",
    "check_frame",
    "check_in_range",
    "check_positive_int",
    "check_probability",
    "is_text_column",
    "check_same_length",
    "short_repr",
]


def short_repr(value: Any, limit: int = 60) -> str:
    """A repr cut to ``limit`` characters, for error messages.

    Parameters
    ----------
    value : object
        Anything.
    limit : int, default 60
        Longest result, ``...`` included.

    Returns
    -------
    str

    Examples
    --------
    >>> short_repr(list(range(100)), 20)
    '[0, 1, 2, 3, 4, ...'
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """Tail probability in (0, 0.5]: ``alpha=0.01`` is 99% VaR.

    Parameters
    ----------
    alpha : float
        The value to check.
    name : str, default "alpha"
        Argument name used in the error message.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        When ``alpha`` is not a number in (0, 0.5] (a confidence level such as 0.99 is refused).
    """
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a number in (0, 0.5] (got {name}={short_repr(alpha)}); "
            "use the tail probability, e.g. 0.01 for 99% VaR"
        ) from None
    if not (0.0 < value <= 0.5) or np.isnan(value):
        raise ParameterError(
            f"{name} must be in (0, 0.5] (got {name}={alpha!r}); "
            "use the tail probability, e.g. 0.01 for 99% VaR, not the confidence level 0.99"
        )
    return value


def check_probability(p: Any, name: str, *, open_left: bool = False, open_right: bool = False) -> float:
    """A scalar probability in [0, 1] (optionally open at either end).

    Parameters
    ----------
    p : float
        The value to check.
    name : str
        Argument name used in the error message.
    open_left, open_right : bool, default False
        Exclude 0 or 1.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        When ``p`` is not a number inside the interval.
    """
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a probability (got {name}={short_repr(p)})") from None
    lo_ok = value > 0 if open_left else value >= 0
    hi_ok = value < 1 if open_right else value <= 1
    if not (lo_ok and hi_ok):
        lo = "(" if open_left else "["
        hi = ")" if open_right else "]"
        raise ParameterError(
            f"{name} must be in {lo}0, 1{hi} (got {name}={p!r}); give a probability, not a percentage"
        )
    return value


def check_in_range(
    value: Any,
    name: str,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> float:
    """A real number inside an interval.

    Parameters
    ----------
    value : float
        The value to check.
    name : str
        Argument name used in the error message.
    low, high : float
        Interval bounds.
    low_open, high_open : bool, default False
        Exclude the bound.
    hint : str, default ""
        Appended to the error message (how to fix the value).

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        When ``value`` is not a number inside the interval (NaN included).
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number (got {name}={short_repr(value)})") from None
    ok_low = v > low if low_open else v >= low
    ok_high = v < high if high_open else v <= high
    if not (ok_low and ok_high) or np.isnan(v):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        msg = f"{name} must be in {lo}{low}, {high}{hi} (got {name}={value!r})"
        raise ParameterError(msg + (f"; {hint}" if hint else ""))
    return v


def check_positive_int(value: Any, name: str, *, minimum: int = 1, hint: str = "") -> int:
    """An integer at least ``minimum`` (bools refused).

    Parameters
    ----------
    value : int
        The value to check.
    name : str
        Argument name used in the error message.
    minimum : int, default 1
        Smallest accepted value.
    hint : str, default ""
        Appended to the error message.

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        When ``value`` is not an integer (or is a bool) or is below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(
            f"{name} must be an integer >= {minimum} (got {name}={short_repr(value)})"
            + (f"; {hint}" if hint else "")
        )
    if value < minimum:
        raise ParameterError(
            f"{name} must be >= {minimum} (got {name}={value})" + (f"; {hint}" if hint else "")
        )
    return int(value)


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """``value`` must be one of ``choices``.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in the error message.
    choices : iterable
        Accepted values.

    Returns
    -------
    object
        ``value``.

    Raises
    ------
    ParameterError
        When ``value`` is not among ``choices``.
    """
    options = list(choices)
    if value not in options:
        raise ParameterError(
            f"{name} must be one of {options} (got {name}={short_repr(value)})"
        )
    return value


def check_frame(X: Any, name: str = "X") -> pd.DataFrame:
    """A non-empty DataFrame with string column names.

    Parameters
    ----------
    X : pd.DataFrame or pd.Series
        The table (a Series becomes a one-column frame).
    name : str, default "X"
        Argument name used in the error message.

    Returns
    -------
    pd.DataFrame

    Raises
    ------
    DataError
        When ``X`` is not a DataFrame or has no row or no column.
    """
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"{name} must be a pandas DataFrame (got {type(X).__name__}); "
            "wrap arrays with pd.DataFrame(values, columns=names)"
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(
            f"{name} is empty (got shape {X.shape}); pass at least one row and one column"
        )
    return X


def check_binary_target(y: Any, name: str = "y") -> np.ndarray:
    """A 0/1 target (1 = bad) with both classes and no missing values.

    Parameters
    ----------
    y : array-like
        The labels.
    name : str, default "y"
        Argument name used in the error message.

    Returns
    -------
    np.ndarray of int
        The labels as 0/1.

    Raises
    ------
    DataError
        When ``y`` is not one-dimensional, is empty, has missing or non-0/1 values, or lacks a
        class.
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional (got shape {arr.shape})")
    if arr.size == 0:
        raise DataError(f"{name} is empty; pass one 0/1 label per row")
    if arr.dtype == bool:
        arr = arr.astype(np.int8)
    if not np.issubdtype(arr.dtype, np.number):
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            raise DataError(
                f"{name} must be numeric 0/1 with 1 = bad (got dtype {arr.dtype}, "
                f"values such as {short_repr(list(pd.unique(arr))[:3])}); map labels to 0/1 first"
            ) from None
    if np.isnan(arr.astype(float)).any():
        n = int(np.isnan(arr.astype(float)).sum())
        raise DataError(f"{name} has {n} missing values; drop those rows or impute the label")
    values = set(np.unique(arr).tolist())
    if not values <= {0, 1}:
        raise DataError(
            f"{name} must be binary 0/1 with 1 = bad (got values {sorted(values)[:5]}); "
            "map the target to 0 = good, 1 = bad"
        )
    if len(values) < 2:
        raise DataError(
            f"{name} has a single class (got only {sorted(values)}); "
            "a model needs both goods (0) and bads (1)"
        )
    return arr.astype(np.int8)


def check_same_length(a: Sized, b: Sized, name_a: str, name_b: str) -> None:
    """Two inputs must have the same number of rows.

    Parameters
    ----------
    a, b : sized
        The two inputs.
    name_a, name_b : str
        Their argument names, for the error message.

    Raises
    ------
    DataError
        When the lengths differ.
    """
    if len(a) != len(b):
        raise DataError(
            f"{name_a} and {name_b} must have the same length (got {len(a)} and {len(b)}); "
            "align them on the same rows"
        )


def check_finite_series(values: Any, name: str = "returns") -> pd.Series:
    """A non-empty numeric Series with no NaN or infinite values.

    A datetime index must be strictly increasing with no duplicates.

    Parameters
    ----------
    values : pd.Series, one-column pd.DataFrame or array-like
        The values.
    name : str, default "returns"
        Argument name used in the error message.

    Returns
    -------
    pd.Series

    Raises
    ------
    DataError
        When the values are empty, not numeric, not finite, or their dates are unordered or
        duplicated.
    """
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise DataError(
                f"{name} must be a single series (got a DataFrame with {values.shape[1]} columns); "
                "select one column"
            )
        values = values.iloc[:, 0]
    s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=float))
    if s.empty:
        raise DataError(f"{name} is empty; pass at least one observation")
    try:
        s = s.astype(float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be numeric (got dtype {s.dtype})") from None
    arr = s.to_numpy()
    bad = ~np.isfinite(arr)
    if bad.any():
        first = s.index[int(np.argmax(bad))]
        raise DataError(
            f"{name} contains {int(bad.sum())} NaN or infinite values (first at {first!r}, "
            f"value {arr[np.argmax(bad)]}); drop or fill them before use"
        )
    idx = s.index
    if idx.has_duplicates:
        dup = idx[idx.duplicated()][0]
        raise DataError(f"{name} has duplicated dates (first duplicate {dup!r}); keep one row per date")
    if isinstance(idx, pd.DatetimeIndex) and not idx.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(idx.asi8) <= 0)) + 1
        raise DataError(
            f"{name} dates must be increasing (got {idx[pos]!r} after {idx[pos - 1]!r}); "
            "sort the series by date"
        )
    return s


def check_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`NotFittedError` when ``attribute`` is not set on ``estimator``.

    Parameters
    ----------
    estimator : object
        The estimator.
    attribute : str
        A fitted attribute (e.g. ``"coef_"``).

    Raises
    ------
    NotFittedError
        When the attribute is missing or None.
    """
    if getattr(estimator, attribute, None) is None:
        name = type(estimator).__name__
        raise exceptions.NotFittedError(
            f"{name} is not fitted yet (no {attribute}); call {name}.fit(X, y) first"
        )


def is_text_column(column: pd.Series) -> bool:
    """Whether a column holds categories or text (pandas category, object or string dtype).

    Parameters
    ----------
    column : pd.Series
        The column.

    Returns
    -------
    bool
    """
    dtype = column.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )
