"""Market data loaders: arch's bundled S&P 500, NASDAQ, WTI and VIX series, and a user's CSV.

Every loader returns a tidy DataFrame: a tz-naive ``DatetimeIndex`` named ``date``, strictly
increasing and unique, with snake_case float columns. arch's files are parsed by arch; the index
is re-parsed here whenever it did not come back as dates (older pandas/arch pairs returned
strings or integers for some files), and rows with missing prices are dropped.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import short_repr
from riskkit.exceptions import DataError

__all__ = ["load_prices_csv", "nasdaq", "sp500", "vix", "wti"]

_OHLCV = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Adj Close": "adj_close", "Volume": "volume"}


def _tidy(frame: pd.DataFrame, columns: dict[str, str], source: str) -> pd.DataFrame:
    df = frame.copy()
    if not isinstance(df.index, pd.DatetimeIndex):
        if "Date" in df.columns:
            df = df.set_index("Date")
        df.index = pd.to_datetime(df.index.astype(str), errors="coerce")
    unparsed = np.asarray(df.index.isna())
    if unparsed.any():
        raise DataError(f"{source}: {int(unparsed.sum())} dates could not be parsed; check the file")
    if df.index.tz is not None:
        df.index = df.index.tz_localize(None)
    df.index = df.index.astype("datetime64[ns]")
    df = df.rename(columns=columns)[list(columns.values())]
    df = df.apply(pd.to_numeric, errors="coerce").astype(float)
    df = df.dropna(how="any")
    df = df[~df.index.duplicated(keep="last")].sort_index()
    df.index.name = "date"
    return df


def sp500() -> pd.DataFrame:
    """S&P 500 daily OHLC, adjusted close and volume, 1999-01-04 to 2018-12-31 (arch.data)."""
    from arch.data import sp500 as src  # lazy: arch's bundled data set is read only when asked for

    return _tidy(src.load(), _OHLCV, "arch.data.sp500")


def nasdaq() -> pd.DataFrame:
    """NASDAQ Composite daily OHLC, adjusted close and volume, 1999-2018 (arch.data)."""
    from arch.data import nasdaq as src  # lazy: arch's bundled data set is read only when asked for

    return _tidy(src.load(), _OHLCV, "arch.data.nasdaq")


def wti() -> pd.DataFrame:
    """West Texas Intermediate spot price (FRED DCOILWTICO, daily from 1986; arch.data), column
    ``price``; holidays without a quote are dropped."""
    from arch.data import wti as src  # lazy: arch's bundled data set is read only when asked for

    return _tidy(src.load(), {"DCOILWTICO": "price"}, "arch.data.wti")


def vix() -> pd.DataFrame:
    """CBOE VIX close, 2014-2019 (arch.data), column ``vix``; days without a value are dropped."""
    from arch.data import vix as src  # lazy: arch's bundled data set is read only when asked for

    return _tidy(src.load(), {"vix": "vix"}, "arch.data.vix")


def load_prices_csv(
    path: str | os.PathLike[str],
    date_column: str = "date",
    price_column: str = "close",
    **read_csv_kwargs: Any,
) -> pd.DataFrame:
    """Load a user's price file into the same tidy shape (column ``price``, ``date`` index).

    Dates are parsed with ``pd.to_datetime``; the file must have at least two rows, unique
    dates and positive, finite prices. Rows are sorted by date.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    date_column : str, default "date"
        Column holding the dates.
    price_column : str, default "close"
        Column holding the prices.
    **read_csv_kwargs
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    pd.DataFrame
        One column ``price`` with a ``date`` DatetimeIndex, oldest first.

    Raises
    ------
    DataError
        When the file is missing, a column is absent, a date does not parse, dates repeat, or a
        price is not positive and finite.
    """
    if not os.path.exists(path):
        raise DataError(f"path does not exist (got path={str(path)!r}); give the CSV file's location")
    raw = pd.read_csv(path, **read_csv_kwargs)
    for arg, col in (("date_column", date_column), ("price_column", price_column)):
        if col not in raw.columns:
            raise DataError(
                f"{arg} {col!r} is not a column of {os.path.basename(str(path))} "
                f"(got columns {short_repr(list(raw.columns))}); pass {arg}=<one of them>"
            )
    dates = pd.to_datetime(raw[date_column], errors="coerce")
    if dates.isna().any():
        bad = raw.loc[dates.isna(), date_column].iloc[0]
        raise DataError(f"{date_column} has values that are not dates (e.g. {bad!r}); fix or drop those rows")
    prices = pd.to_numeric(raw[price_column], errors="coerce")
    if prices.isna().any() or not np.all(np.isfinite(prices)):
        bad = raw.loc[prices.isna() | ~np.isfinite(prices.fillna(0)), price_column].iloc[0]
        raise DataError(f"{price_column} has missing or non-numeric prices (e.g. {bad!r}); fill or drop them")
    if (prices <= 0).any():
        raise DataError(f"{price_column} must be positive (got {float(prices.min())!r}); check the file")
    frame = pd.DataFrame({"price": prices.to_numpy(dtype=float)}, index=pd.DatetimeIndex(dates, name="date"))
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise DataError(f"{date_column} has duplicated dates (first {dup!r}); keep one row per date")
    if len(frame) < 2:
        raise DataError(f"{os.path.basename(str(path))} has {len(frame)} price rows; returns need at least two")
    return frame.sort_index()
