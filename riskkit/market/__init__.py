"""Market risk: returns and indicators, VaR/ES models, rolling forecasts, backtests, stress tests.

VaR and ES are positive losses in the units of the returns; ``alpha`` is the tail probability
(0.01 is 99% VaR); the forecast for day t uses data up to t-1 only.
"""

from riskkit.market import backtest
from riskkit.market._panel import PanelBacktest, panel_backtest
from riskkit.market._returns import (
    amihud_illiquidity,
    drawdown,
    log_returns,
    max_drawdown,
    rolling_volatility,
    simple_returns,
    vix_sentiment,
)
from riskkit.market._rolling import rolling_var
from riskkit.market._stress import apply_shocks, drawdown_episodes, historical_scenarios, worst_windows
from riskkit.market._var import (
    PortfolioVaR,
    VaREstimate,
    VaRModel,
    ewma_var,
    fhs_var,
    garch_var,
    historical_var,
    monte_carlo_var,
    parametric_var,
    portfolio_var,
)

__all__ = [
    "PanelBacktest",
    "PortfolioVaR",
    "VaREstimate",
    "VaRModel",
    "amihud_illiquidity",
    "apply_shocks",
    "backtest",
    "drawdown",
    "drawdown_episodes",
    "ewma_var",
    "fhs_var",
    "garch_var",
    "historical_scenarios",
    "historical_var",
    "log_returns",
    "max_drawdown",
    "monte_carlo_var",
    "panel_backtest",
    "parametric_var",
    "portfolio_var",
    "rolling_var",
    "rolling_volatility",
    "simple_returns",
    "vix_sentiment",
    "worst_windows",
]
