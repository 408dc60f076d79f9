"""Rolling VaR backtest speed: riskkit.market.rolling_var against the loop a quant writes with arch.

The task: S&P 500 (arch.data.sp500, daily log returns in percent, 1999-2018), GARCH(1,1) with
Student-t innovations, 99% VaR, window 1000, one forecast per day from 2003 on (about 4,000
refits). The reference is a fresh ``arch_model(...).fit()`` and ``forecast`` every day. Both run
side by side in this process; the script prints wall and CPU times (worker processes
included), the speed ratios, the share of VaRs within 1% of the loop's and the largest relative
difference, for daily refits (riskkit's default: arch's cold fit retraced, on all cores), for
``refit_every=5``, and for the opt-in ``warm_start=True``. The machine may be shared: the daily
default runs three times (before, between the halves of, and after the loop) and its mean wall
time is the one compared with the loop's; the 1-minute load average is printed next to each run.

    .venv/bin/python benchmarks/bench_rolling_var.py            # full span (the loop takes minutes)
    .venv/bin/python benchmarks/bench_rolling_var.py --quick    # the last 400 forecasts only
    .venv/bin/python benchmarks/bench_rolling_var.py --configs  # backtests of candidate defaults
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from arch import arch_model

from riskkit.data._market import sp500
from riskkit.market import backtest, rolling_var

ALPHA = 0.01
WINDOW = 1000


def load_returns() -> pd.Series:
    prices = sp500()["adj_close"]
    return (100 * np.log(prices).diff()).dropna().rename("sp500")


def naive_loop(r: pd.Series, first: int, stop: int | None = None) -> pd.Series:
    """What a quant writes: a new arch model and a cold fit for every forecast day
    (forecast positions ``first`` to ``stop``)."""
    y = r.to_numpy()
    stop = len(r) if stop is None else stop
    out = np.empty(stop - first)
    dist = None
    for i, t in enumerate(range(first, stop)):
        am = arch_model(y[t - WINDOW : t], mean="Constant", vol="GARCH", p=1, q=1, dist="t")
        res = am.fit(disp="off", show_warning=False)
        fc = res.forecast(horizon=1, reindex=False)
        mu = fc.mean.to_numpy()[-1, 0]
        sigma = np.sqrt(fc.variance.to_numpy()[-1, 0])
        dist = am.distribution
        q = dist.ppf(ALPHA, res.params.to_numpy()[-1:])
        out[i] = -(mu + sigma * q)
        if i % 500 == 0:
            print(f"  naive loop: {i}/{len(out)}", file=sys.stderr, flush=True)
    return pd.Series(out, index=r.index[first:stop], name="var")


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Result, wall seconds and CPU seconds (worker processes included) of one call."""
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0, cpu_seconds() - c0


def agreement(v: pd.Series, loop: pd.Series) -> tuple[float, float, pd.Timestamp]:
    """Share of VaRs within 1% of the loop's, the largest relative difference and its date."""
    rel = (v / loop - 1).abs()
    return float((rel <= 0.01).mean()), float(rel.max()), rel.idxmax()


def speed(quick: bool) -> None:
    r = load_returns()
    if quick:
        r = r.iloc[-(WINDOW + 400) :]
    first = WINDOW
    print(f"S&P 500 GARCH(1,1)-t 99% VaR, window {WINDOW}, {len(r) - first} daily forecasts "
          f"({r.index[first].date()} to {r.index[-1].date()}), {os.cpu_count()} cores")
    kw = dict(model="garch", dist="t", method="parametric", alpha=ALPHA, window=WINDOW, n_jobs=-1)
    daily = "riskkit refit_every=1"
    runs: dict[str, list[tuple[pd.Series, float, float]]] = {}

    def run(name: str, **extra: object) -> None:
        out, sec, cpu = timed(rolling_var, r, **kw, **extra)
        runs.setdefault(name, []).append((out["var"], sec, cpu))
        print(f"{name:38s} {sec:8.2f} s wall {cpu:8.2f} s CPU   (load {os.getloadavg()[0]:.2f})", flush=True)

    # The machine is shared: the default (daily refits) runs before, between the two halves of,
    # and after the loop, and its mean time is compared with the loop's total, so that a change
    # in the load from other processes during the loop is sampled by both sides.
    half = first + (len(r) - first) // 2
    loops: list[tuple[pd.Series, float, float]] = []
    run(daily, refit_every=1)
    run("riskkit refit_every=5", refit_every=5)
    run("riskkit refit_every=1 warm_start=True", refit_every=1, warm_start=True)
    for a, b in ((first, half), (half, len(r))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loops.append(timed(naive_loop, r, a, b))
        print(f"{'arch loop, days %d-%d' % (a - first, b - first):38s} {loops[-1][1]:8.2f} s wall "
              f"{loops[-1][2]:8.2f} s CPU   (load {os.getloadavg()[0]:.2f})", flush=True)
        run(daily, refit_every=1)
    loop = pd.concat([part[0] for part in loops])
    t_loop, c_loop = sum(part[1] for part in loops), sum(part[2] for part in loops)
    assert all(v.equals(runs[daily][0][0]) for v, _, _ in runs[daily])
    print()
    print(f"{'run':38s} {'wall s':>8s} {'speed-up':>9s} {'CPU s':>8s} {'CPU ratio':>9s} {'within 1%':>10s} "
          f"{'max |VaR/loop-1|':>17s}  at")
    print(f"{'arch loop (fresh model + fit daily)':38s} {t_loop:8.2f} {1.0:8.2f}x {c_loop:8.2f} {1.0:8.2f}x")
    for name, parts in runs.items():
        v = parts[0][0]
        sec = float(np.mean([p[1] for p in parts]))
        cpu = float(np.mean([p[2] for p in parts]))
        label = f"{name} (mean of {len(parts)})" if len(parts) > 1 else name
        share, worst, at = agreement(v, loop)
        print(f"{label:38s} {sec:8.2f} {t_loop / sec:8.2f}x {cpu:8.2f} {c_loop / cpu:8.2f}x {share:10.4%} "
              f"{worst:17.2e}  {at.date()}")
    before = runs[daily][0]
    for name, v in (("loop", loop), ("riskkit", before[0])):
        hits = -r.loc[v.index] > v
        print(f"hit rate {name:8s}: {hits.mean():.4%}")


CONFIGS = [
    dict(model="garch", dist="t", method="parametric"),
    dict(model="garch", dist="skewt", method="parametric"),
    dict(model="gjr", dist="t", method="parametric"),
    dict(model="gjr", dist="skewt", method="parametric"),
    dict(model="egarch", dist="skewt", method="parametric"),
    dict(model="garch", dist="t", method="fhs"),
    dict(model="gjr", dist="skewt", method="fhs"),
    dict(model="egarch", dist="skewt", method="fhs"),
    dict(model="ewma", dist="normal", method="fhs"),
    dict(model="hs", dist="normal", method="fhs"),
]


def configs() -> None:
    """Backtests of candidate default configurations on forecasts 2003-2018 at 99% and 95%."""
    r = load_returns()
    rows = []
    for cfg in CONFIGS:
        for alpha in (0.01, 0.05):
            f, sec = timed(rolling_var, r, alpha=alpha, window=WINDOW, refit_every=1, **cfg)
            f = f.loc["2003":"2018"]
            rep = backtest.backtest_var(r.loc[f.index], f["var"], alpha, es=f["es"])
            rows.append({**cfg, "alpha": alpha, "n": rep.n_obs, "hit_rate": rep.hit_rate,
                         "kupiec_p": rep.kupiec.pvalue, "ind_p": rep.christoffersen.pvalue,
                         "cc_p": rep.conditional_coverage.pvalue, "dq_p": rep.dynamic_quantile.pvalue,
                         "seconds": sec})
            print(pd.DataFrame(rows[-1:]).to_string(header=len(rows) == 1, index=False), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the last 400 forecasts only")
    parser.add_argument("--configs", action="store_true", help="backtest candidate default configurations")
    args = parser.parse_args()
    if args.configs:
        configs()
    else:
        speed(args.quick)


if __name__ == "__main__":
    main()
