"""Figures for market risk: returns against VaR/ES with exceptions, rolling exception counts
against the Basel traffic-light bands. Functions return a matplotlib Figure on the Agg canvas that
displays itself in Jupyter (no pyplot state; the user's backend is never switched)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskkit._figures import new_figure
from riskkit.market import backtest
from riskkit.market._checks import check_aligned, check_returns

__all__ = ["plot_exception_count", "plot_var_backtest"]


def plot_var_backtest(returns: Any, forecasts: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Returns with -VaR and -ES drawn below them and the exceptions marked."""
    r = check_returns(returns)
    var = check_returns(forecasts["var"], "forecasts['var']")
    check_aligned(r, var, "returns", "forecasts")
    hits = backtest.exceptions(r, var)
    fig = new_figure(11, 4.5)
    ax = fig.subplots()
    ax.plot(r.index, r.to_numpy(), lw=0.5, color="0.45", label="return")
    ax.plot(var.index, -var.to_numpy(), lw=0.9, color="tab:blue", label="-VaR")
    if "es" in forecasts:
        ax.plot(forecasts.index, -forecasts["es"].to_numpy(), lw=0.8, color="tab:purple", ls="--", label="-ES")
    ax.scatter(r.index[hits.to_numpy()], r[hits].to_numpy(), s=14, color="tab:red", zorder=3,
               label=f"exceptions ({int(hits.sum())})")
    ax.axhline(0.0, color="0.8", lw=0.5)
    ax.set_ylabel("return")
    ax.set_title(title or f"VaR backtest: {int(hits.sum())} exceptions in {len(hits)} days ({hits.mean():.2%})")
    ax.legend(loc="lower left", fontsize=8, ncol=4)
    return fig


def plot_exception_count(hits: Any, *, window: int = 250, alpha: float = 0.01, title: str | None = None) -> Figure:
    """Rolling number of exceptions over ``window`` days against the traffic-light zones."""
    h = pd.Series(hits).astype(int)
    count = h.rolling(window, min_periods=window).sum()
    yellow = next(k for k in range(window + 1) if backtest.traffic_light(k, window, alpha).zone != "green")
    red = next(k for k in range(window + 1) if backtest.traffic_light(k, window, alpha).zone == "red")
    top = max(red + 3, float(np.nanmax(count.to_numpy())) + 2 if count.notna().any() else red + 3)
    fig = new_figure(11, 3.8)
    ax = fig.subplots()
    ax.axhspan(-0.5, yellow - 0.5, color="tab:green", alpha=0.15, label=f"green (0-{yellow - 1})")
    ax.axhspan(yellow - 0.5, red - 0.5, color="gold", alpha=0.25, label=f"yellow ({yellow}-{red - 1})")
    ax.axhspan(red - 0.5, top, color="tab:red", alpha=0.15, label=f"red (>= {red})")
    ax.step(count.index, count.to_numpy(), where="post", color="black", lw=1.0, label=f"exceptions, last {window} days")
    ax.axhline(alpha * window, color="tab:blue", ls=":", lw=1.0, label=f"expected ({alpha * window:g})")
    ax.set_ylim(-0.5, top)
    ax.set_ylabel("exceptions")
    ax.set_title(title or f"Rolling {window}-day exception count at {100 * (1 - alpha):g}% VaR")
    ax.legend(loc="upper left", fontsize=8, ncol=5)
    return fig
