"""Credit data loaders: the bundled German credit set and a user's CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from riskkit._validation import short_repr
from riskkit.exceptions import DataError, ParameterError

__all__ = ["DATA_DIR", "german_credit", "load_credit_csv"]

#: The repository's ``data/`` folder (bundled data sets live there).
DATA_DIR = Path(__file__).resolve().parents[2] / "data"

GERMAN_TARGET = "creditability"


def german_credit(*, path: str | Path | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """The Statlog German credit data: 1,000 applicants, 20 attributes, target 1 = bad.

    Returns ``(X, y)``: numeric attributes as integers, the 13 categorical attributes as pandas
    ``category`` dtype, and ``y`` named ``bad`` (300 bads, 700 goods).
    Source: UCI Machine Learning Repository (Hofmann, 1994), CC BY 4.0; see ``data/README.md``.

    Parameters
    ----------
    path : str or Path, optional
        Another copy of ``german_credit.csv`` (default: the bundled file).

    Returns
    -------
    X : pd.DataFrame
        1,000 rows, 20 attributes.
    y : pd.Series
        Named ``bad``, 1 = bad.

    Raises
    ------
    DataError
        When the file is missing or empty.

    Examples
    --------
    >>> from riskkit.data import german_credit
    >>> X, y = german_credit()
    >>> X.shape, int(y.sum()), y.name
    ((1000, 20), 300, 'bad')
    """
    file = Path(path) if path is not None else DATA_DIR / "german_credit.csv"
    return load_credit_csv(file, target=GERMAN_TARGET, bad_value="bad")


def load_credit_csv(
    path: str | Path,
    *,
    target: str,
    bad_value: Any = 1,
    categorical: list[str] | None = None,
    **read_csv_kwargs: Any,
) -> tuple[pd.DataFrame, pd.Series]:
    """Load a credit data set from a CSV as a tidy ``(X, y)`` pair with ``y`` 1 = bad.

    ``target`` names the label column and ``bad_value`` the label meaning bad/default (any
    other label is good). Text columns (and those listed in ``categorical``) become
    ``category`` dtype; numeric columns keep their dtype.

    Parameters
    ----------
    path : str or Path
        The CSV file, one row per applicant.
    target : str
        Name of the label column.
    bad_value : object, default 1
        Label value that means bad (default); every other value is good.
    categorical : list of str, optional
        Numeric-looking columns to treat as categories as well.
    **read_csv_kwargs
        Passed to :func:`pandas.read_csv` (``sep``, ``encoding``, ...).

    Returns
    -------
    X : pd.DataFrame
        The attributes (every column but ``target``).
    y : pd.Series
        Named ``bad``, 1 = bad.

    Raises
    ------
    DataError
        When the file is missing or empty, or the label has missing values.
    ParameterError
        When ``target`` is not a column of the file or ``bad_value`` does not occur in it.
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(
            f"path does not name a CSV file (got path={str(file)!r}); "
            "give the path of a CSV file with one row per applicant"
        )
    frame = pd.read_csv(file, **read_csv_kwargs)
    if frame.empty:
        raise DataError(f"path {str(file)!r} holds no rows; give a CSV with data rows")
    if target not in frame.columns:
        raise ParameterError(
            f"target column not found (got target={target!r}; columns are "
            f"{short_repr(list(frame.columns), 120)}); name the label column"
        )
    labels = frame.pop(target)
    if labels.isna().any():
        raise DataError(
            f"target column {target!r} has {int(labels.isna().sum())} missing labels; "
            "drop those rows first"
        )
    y = _to_bad_flag(labels, bad_value, target)
    for column in frame.columns:
        if column in (categorical or []) or not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype("category")
    y.name = "bad"
    return frame, y


def _to_bad_flag(labels: pd.Series, bad_value: Any, target: str) -> pd.Series:
    values = set(labels.unique().tolist())
    if bad_value not in values and str(bad_value) not in {str(v) for v in values}:
        raise ParameterError(
            f"bad_value does not occur in the target column (got bad_value={bad_value!r}; "
            f"{target!r} holds {short_repr(sorted(map(str, values)))}); "
            "give the label that marks a bad (defaulted) applicant"
        )
    is_bad = labels.astype(str) == str(bad_value)
    return is_bad.astype("int8")
