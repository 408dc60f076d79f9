"""Multi-asset rolling VaR backtest (issue 14): ``riskkit.market.panel_backtest`` over local
processes against ``riskkit.app.spark.panel_backtest_spark`` on Spark ``local[2]``.

The panel: the 3 bundled series (S&P 500, Nasdaq, WTI daily log returns, the last ``--days``
days) plus ``--n-series`` (default 50) simulated ones. Each simulated series is a GARCH(1,1)
with Student-t innovations, the process the default VaR model is built for:

    r_t = sigma_t * z_t,  z_t ~ t(nu) / sqrt(nu / (nu - 2))   (unit variance)
    sigma_t^2 = omega + a * r_{t-1}^2 + b * sigma_{t-1}^2

with nu drawn uniformly in [4, 10], a in [0.03, 0.12], b = 0.97 - a (persistence 0.97) and omega
set so the unconditional daily volatility is uniform in [0.8%, 2.5%]; seed ``--seed``, 500
burn-in days dropped. Both engines run the default ``rolling_var`` configuration with
``--window`` and ``--refit-every``; the forecasts must be identical (checked and printed).

There is no speed target against a peer library, so no speed verdict: wall and CPU seconds of
each side and the processes each uses. CPU is this process and its waited children: the process
pool's workers are counted; Spark's JVM and its Python workers are not children this process waits
for, so Spark's CPU column undercounts (marked).

    nice -n 10 .venv/bin/python benchmarks/bench_panel.py [--n-series 50 --days 1000 --window 500 --refit-every 50]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown, measure


def garch_t_panel(n_series: int, days: int, seed: int, index: pd.DatetimeIndex) -> pd.DataFrame:
    """``n_series`` GARCH(1,1)-t daily return series (see the module docstring)."""
    rng = np.random.default_rng(seed)
    burn = 500
    out = {}
    for i in range(n_series):
        nu = rng.uniform(4, 10)
        a = rng.uniform(0.03, 0.12)
        b = 0.97 - a
        vol = rng.uniform(0.008, 0.025)
        omega = vol**2 * (1 - a - b)
        z = rng.standard_t(nu, days + burn) / np.sqrt(nu / (nu - 2))
        r = np.empty(days + burn)
        s2 = vol**2
        for t in range(days + burn):
            r[t] = np.sqrt(s2) * z[t]
            s2 = omega + a * r[t] ** 2 + b * s2
        out[f"garch_t_{i:02d}"] = r[burn:]
    return pd.DataFrame(out, index=index)


def bundled(days: int) -> pd.DataFrame:
    from riskkit.data import nasdaq, sp500, wti
    from riskkit.market import log_returns

    prices = {"sp500": sp500()["adj_close"], "nasdaq": nasdaq()["adj_close"], "wti": wti()["price"]}
    wide = pd.DataFrame({k: log_returns(v) for k, v in prices.items()}).loc[:"2019-12-31"].dropna()
    return wide.iloc[-days:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-series", type=int, default=50)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--refit-every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    print("command: nice -n 10 python benchmarks/bench_panel.py " + " ".join(sys.argv[1:]))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")

    from riskkit.app.spark import panel_backtest_spark, spark_session
    from riskkit.market import panel_backtest

    real = bundled(args.days)
    panel = pd.concat([real, garch_t_panel(args.n_series, args.days, args.seed, real.index)], axis=1)
    options = {"window": args.window, "refit_every": args.refit_every}
    spark = spark_session("local[2]", app_name="riskkit-bench-panel")
    # warm-up outside the timing: imports, the process pool's first fork, the JVM and its Python
    # workers (two series, so both task slots start a worker)
    small = panel.iloc[:, :2]
    panel_backtest(small, 0.01, n_jobs=2, **options)
    panel_backtest_spark(small, 0.01, spark=spark, **options)
    local = measure(lambda: panel_backtest(panel, 0.01, n_jobs=2, **options), repeats=1, warmup=False)
    on_spark = measure(lambda: panel_backtest_spark(panel, 0.01, spark=spark, **options), repeats=1, warmup=False)
    spark.stop()
    pd.testing.assert_frame_equal(on_spark.result.forecasts, local.result.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(on_spark.result.table, local.result.table, check_exact=True)
    n = panel.shape[1]
    rows = [
        {"engine": "panel_backtest (process pool)", "processes": 2, "series": n,
         "wall s": f"{local.wall_median:.1f}", "CPU s": f"{local.cpu_median:.1f}",
         "series/s (wall)": f"{n / local.wall_median:.2f}"},
        {"engine": "panel_backtest_spark local[2]", "processes": "driver + JVM + 2 Python workers", "series": n,
         "wall s": f"{on_spark.wall_median:.1f}", "CPU s": f"{on_spark.cpu_median:.1f} (driver only)",
         "series/s (wall)": f"{n / on_spark.wall_median:.2f}"},
    ]
    print(f"\n{n} series x {args.days} days, window {args.window}, refit every {args.refit_every}, "
          f"{len(local.result.forecasts):,} forecasts per engine")
    print(markdown(pd.DataFrame(rows)))
    print("\nforecasts and summary identical across engines (assert_frame_equal, exact): yes")
    print(local.result.summary())


if __name__ == "__main__":
    main()
