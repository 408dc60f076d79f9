"""Returns, indicators, market loaders and stress scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit.data._market import load_prices_csv, nasdaq, sp500, vix, wti
from riskkit.exceptions import DataError, ParameterError
from riskkit.market import (
    amihud_illiquidity,
    drawdown,
    log_returns,
    max_drawdown,
    rolling_volatility,
    simple_returns,
    vix_sentiment,
)
from riskkit.market._stress import apply_shocks, drawdown_episodes, historical_scenarios, worst_windows


@pytest.mark.parametrize(("loader", "cols", "first"), [
    (sp500, ["open", "high", "low", "close", "adj_close", "volume"], "1999-01-04"),
    (nasdaq, ["open", "high", "low", "close", "adj_close", "volume"], "1999-01-04"),
    (wti, ["price"], "1986-01-02"),
    (vix, ["vix"], "2014-01-03"),
])
def test_loaders_are_tidy(loader, cols: list[str], first: str) -> None:  # type: ignore[no-untyped-def]
    df = loader()
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.name == "date"
    assert df.index.is_monotonic_increasing and not df.index.has_duplicates
    assert list(df.columns) == cols and df.notna().all().all()
    assert df.index[0] == pd.Timestamp(first)
    assert (df.dtypes == float).all()


def test_sp500_close_matches_arch_file() -> None:
    from arch.data import sp500 as src

    raw = src.load()
    assert sp500()["adj_close"].to_numpy() == pytest.approx(raw["Adj Close"].to_numpy())


def test_load_prices_csv(tmp_path: Path) -> None:
    f = tmp_path / "px.csv"
    f.write_text("Day,Last\n2024-01-03,101\n2024-01-02,100\n2024-01-04,99.5\n")
    df = load_prices_csv(f, date_column="Day", price_column="Last")
    assert df.index.tolist() == list(pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]))
    assert df["price"].tolist() == [100.0, 101.0, 99.5]
    with pytest.raises(DataError, match=r"price_column 'close' is not a column of px.csv \(got columns \['Day', 'Last'\]\)"):
        load_prices_csv(f, date_column="Day")
    f.write_text("Day,Last\n2024-01-02,100\n2024-01-02,101\n")
    with pytest.raises(DataError, match=r"Day has duplicated dates"):
        load_prices_csv(f, date_column="Day", price_column="Last")


def test_returns_and_drawdown_by_hand() -> None:
    idx = pd.bdate_range("2024-01-01", periods=4)
    p = pd.Series([100.0, 110.0, 99.0, 120.0], index=idx)
    np.testing.assert_allclose(simple_returns(p), [0.1, -0.1, 120 / 99 - 1])
    np.testing.assert_allclose(log_returns(p), np.log([1.1, 0.9, 120 / 99]))
    np.testing.assert_allclose(drawdown(p), [0.0, 0.0, -0.1, 0.0])
    assert max_drawdown(p) == pytest.approx(0.1)
    assert max_drawdown(simple_returns(p), kind="returns") == pytest.approx(0.1)


def test_non_positive_prices_for_log_returns() -> None:
    p = pd.Series([100.0, 0.0, 101.0], index=pd.bdate_range("2024-01-01", periods=3))
    with pytest.raises(DataError, match=r"prices must be strictly positive for log returns \(got prices=0.0 at Timestamp\('2024-01-02"):
        log_returns(p)
    with pytest.raises(DataError, match=r"prices must be strictly positive .*got prices=-5.0"):
        log_returns(pd.Series([100.0, -5.0, 101.0]))


def test_rolling_volatility_and_amihud() -> None:
    df = sp500().iloc[:300]
    r = simple_returns(df["adj_close"])
    vol = rolling_volatility(r, 21)
    assert vol.iloc[20] == pytest.approx(r.iloc[:21].std() * np.sqrt(252))
    dv = (df["close"] * df["volume"]).iloc[1:]
    ami = amihud_illiquidity(r, dv, 21)
    assert ami.iloc[20] == pytest.approx((r.abs() / dv).iloc[:21].mean() * 1e6)
    with pytest.raises(ParameterError, match=r"window must be smaller than the series \(got window=400 for 299"):
        rolling_volatility(r, 400)


def test_vix_sentiment_regimes() -> None:
    out = vix_sentiment(vix()["vix"], 252)
    assert set(out["regime"].dropna()) <= {"calm", "normal", "stressed"}
    # February 2018 volatility spike (VIX above 30) is stressed
    assert out.loc["2018-02-06", "regime"] == "stressed"


def test_worst_windows_2008_and_drawdowns_2010_2011() -> None:
    p = sp500()["adj_close"]
    r = simple_returns(p)
    worst = worst_windows(r, 10, 3, year=2008)
    # by hand: the 10-day compounded return from 2008-09-29 to 2008-10-10
    by_hand = (1 + r.loc["2008-09-29":"2008-10-10"]).prod() - 1
    assert worst.loc[0, "start"] == pd.Timestamp("2008-09-29")
    assert worst.loc[0, "return"] == pytest.approx(by_hand)
    eps = drawdown_episodes(p, 8, min_depth=0.15, lookback=252)
    years = set(eps["trough"].dt.year)
    assert {2009, 2010, 2011} <= years


def test_historical_scenarios_and_shocks() -> None:
    r = simple_returns(sp500()["adj_close"]).rename("spx")
    sc = historical_scenarios(r, {"lehman": ("2008-09-15", "2008-10-10")})
    assert sc.loc["lehman", "spx"] == pytest.approx((1 + r.loc["2008-09-15":"2008-10-10"]).prod() - 1)
    pnl = apply_shocks(pd.Series({"spx": 1e6, "bond": 5e5}), sc)
    assert pnl.loc["lehman", "pnl"] == pytest.approx(1e6 * sc.loc["lehman", "spx"])
    hypo = apply_shocks({"spx": 1e6, "bond": 5e5}, {"spx": -0.2, "bond": 0.02})
    assert hypo["pnl"].iloc[0] == pytest.approx(-2e5 + 1e4)
    with pytest.raises(DataError, match=r"shocks name assets not in the position \(got \['oil'\]\)"):
        apply_shocks({"spx": 1e6}, {"oil": -0.3})
    with pytest.raises(DataError, match=r"shocks must be simple returns >= -1"):
        apply_shocks({"spx": 1e6}, {"spx": -1.5})
