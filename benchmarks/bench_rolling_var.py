"""Rolling VaR speed: riskkit.market.rolling_var against the loop a quant writes with arch.

The task (issue 13's target: riskkit >= 10x the arch loop, every VaR within 1e-6 relative of
arch's own cold fit): S&P 500 (arch.data.sp500, daily log returns in percent), GARCH(1,1) with
Student-t innovations, 99% VaR, window 1000, a fresh estimate every day (``refit_every=1``) for
the last ``--forecasts`` days of 2018 and before. The reference is a new ``arch_model(...).fit()``
and ``forecast`` for each day, in one process.

What is measured, side by side in this one run:

* three sides: the arch loop (1 process), riskkit with ``n_jobs=1`` (1 process: the like-for-
  like comparison) and riskkit with ``n_jobs=-1`` (one worker process per core, ``os.cpu_count()``
  of them; the parent waits);
* wall time (``perf_counter``) and CPU time (user + system of this process and of its finished
  worker processes, ``os.times``);
* every import, the data load and a warm-up call of each side happen before any timing;
* ``--repeats`` rounds, the sides interleaved in a rotating order within each round, so a change
  in the machine's load hits every side; the table gives the median and the min-max spread of
  each side's times and of the per-round ratios, and the 1-minute load average;
* the verdict against 10x on wall AND on CPU for each riskkit row, and the largest relative
  difference of riskkit's VaRs from the loop's (target <= 1e-6).

    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/bench_rolling_var.py                # 1000 forecasts, 3 rounds
    PYTHONPATH=. nice -n 10 .venv/bin/python benchmarks/bench_rolling_var.py --forecasts 0  # full span, 4,030 forecasts
    PYTHONPATH=. .venv/bin/python benchmarks/bench_rolling_var.py --sensitivity 200  # arch's one-ulp sensitivity

Candidate default configurations are compared in ``benchmarks/bench_var_candidates.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from arch import arch_model

from _report import speed_verdict, verdict

from riskkit.data import sp500
from riskkit.market import rolling_var
from riskkit.market._fast_arch import COMPILE_FROM
from riskkit.market._rolling import _MIN_PARALLEL_FITS

ALPHA = 0.01
WINDOW = 1000
TARGET = 10.0
TOLERANCE = 1e-6


def load_returns() -> pd.Series:
    prices = sp500()["adj_close"]
    return (100 * np.log(prices).diff()).dropna().rename("sp500")


def arch_loop(r: pd.Series) -> pd.Series:
    """What a quant writes: a new arch model, a cold fit and a forecast for every forecast day."""
    y = r.to_numpy()
    out = np.empty(len(r) - WINDOW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, t in enumerate(range(WINDOW, len(r))):
            am = arch_model(y[t - WINDOW : t], mean="Constant", vol="GARCH", p=1, q=1, dist="t")
            res = am.fit(disp="off", show_warning=False)
            fc = res.forecast(horizon=1, reindex=False)
            mu = fc.mean.to_numpy()[-1, 0]
            sigma = np.sqrt(fc.variance.to_numpy()[-1, 0])
            q = am.distribution.ppf(ALPHA, res.params.to_numpy()[-1:])
            out[i] = -(mu + sigma * q)
    return pd.Series(out, index=r.index[WINDOW:], name="var")


def sensitivity(r: pd.Series, days: int) -> None:
    """How far arch's own VaR moves when every return changes by one unit in the last place.

    The same loop as :func:`arch_loop` on the last ``days`` windows, once on the returns and
    once on the returns times ``1 + 2**-52`` (VaR scaled back). A fit that must agree with
    arch's to 1e-6 cannot change a single rounding of arch's likelihood: this is why the fast
    path retraces arch's arithmetic bit for bit instead of fitting to a tighter optimum.
    """
    bump = 1.0 + 2.0**-52
    tail = r.iloc[-(WINDOW + days) :]
    base = arch_loop(tail)
    moved = arch_loop(tail * bump) / bump
    rel = (moved / base - 1).abs()
    print(f"arch's own VaR when every return is multiplied by 1 + 2^-52 ({days} windows, "
          f"{tail.index[WINDOW].date()} to {tail.index[-1].date()}): largest relative change "
          f"{rel.max():.1e}, median {rel.median():.1e}, {100 * (rel > TOLERANCE).mean():.0f}% of days "
          f"above {TOLERANCE:g}")


def riskkit(r: pd.Series, n_jobs: int) -> pd.Series:
    out = rolling_var(r, model="garch", dist="t", method="parametric", alpha=ALPHA, window=WINDOW,
                      refit_every=1, n_jobs=n_jobs)
    return out["var"]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn: Callable[[], pd.Series]) -> tuple[pd.Series, float, float]:
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, cpu_seconds() - c0


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forecasts", type=int, default=1000, help="last N forecast days (0: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sensitivity", type=int, default=0, metavar="DAYS",
                        help="only measure arch's own VaR change under a one-ulp change of the returns")
    args = parser.parse_args()
    r = load_returns()
    if args.sensitivity:
        sensitivity(r, args.sensitivity)
        return
    if args.forecasts:
        r = r.iloc[-(WINDOW + args.forecasts) :]
    n_fc = len(r) - WINDOW
    cores = os.cpu_count() or 1
    # rolling_var runs in process below _MIN_PARALLEL_FITS refits, whatever n_jobs says
    workers = cores if n_fc >= _MIN_PARALLEL_FITS else 1
    sides: dict[str, tuple[int, Callable[[], pd.Series]]] = {
        "arch loop (fresh model + fit daily)": (1, lambda: arch_loop(r)),
        "riskkit rolling_var n_jobs=1": (1, lambda: riskkit(r, 1)),
        "riskkit rolling_var n_jobs=-1": (workers, lambda: riskkit(r, -1)),
    }
    # warm-up outside the timing: first calls into arch, scipy and riskkit's fast path (enough
    # refits for the compiled kernels, which load from COMPILE_FROM fits on)
    arch_loop(r.iloc[: WINDOW + 5])
    riskkit(r.iloc[: WINDOW + COMPILE_FROM], 1)
    print(f"S&P 500 GARCH(1,1)-t 99% VaR, window {WINDOW}, {n_fc} daily refits "
          f"({r.index[WINDOW].date()} to {r.index[-1].date()}), {cores} cores, {args.repeats} rounds")
    names = list(sides)
    results: dict[str, list[tuple[pd.Series, float, float]]] = {n: [] for n in names}
    loads = []
    for rnd in range(args.repeats):
        order = names[rnd % len(names):] + names[: rnd % len(names)]
        for name in order:
            results[name].append(timed(sides[name][1]))
            loads.append(os.getloadavg()[0])
            _, sec, cpu = results[name][-1]
            print(f"  round {rnd + 1}: {name:36s} {sec:8.2f} s wall {cpu:8.2f} s CPU  (load {loads[-1]:.2f})",
                  file=sys.stderr, flush=True)
    ref_name = names[0]
    loop = results[ref_name][0][0]
    for name in names[1:]:
        assert all(v.equals(results[name][0][0]) for v, _, _ in results[name]), "runs differ"
    print(f"1-minute load average during the runs: {spread(loads)}")
    print()
    head = (f"{'side':36s} {'procs':>5s} {'wall s, median [min-max]':>26s} {'CPU s, median [min-max]':>26s} "
            f"{'wall ratio':>22s} {'CPU ratio':>22s} {'verdict (>= 10x)':>20s} {'max |VaR/loop-1|':>17s}")
    print(head)
    print("-" * len(head))
    for name in names:
        procs = sides[name][0]
        walls = [x[1] for x in results[name]]
        cpus = [x[2] for x in results[name]]
        if name == ref_name:
            print(f"{name:36s} {procs:5d} {spread(walls):>26s} {spread(cpus):>26s} {'1.00x':>22s} {'1.00x':>22s}")
            continue
        wr = [lw / w for (_, lw, _), w in zip(results[ref_name], walls)]
        cr = [lc / c for (_, _, lc), c in zip(results[ref_name], cpus)]
        judged = speed_verdict(statistics.median(wr), statistics.median(cr), TARGET)
        worst = float((results[name][0][0] / loop - 1).abs().max())
        print(f"{name:36s} {procs:5d} {spread(walls):>26s} {spread(cpus):>26s} {spread(wr, '{:.2f}') + 'x':>22s} "
              f"{spread(cr, '{:.2f}') + 'x':>22s} {judged:>20s} {worst:17.2e}")
    print()
    for name in names[1:]:
        worst = float((results[name][0][0] / loop - 1).abs().max())
        print(f"{name}: every VaR within {TOLERANCE:g} relative of the arch loop: "
              f"{verdict(worst <= TOLERANCE)} (largest {worst:.2e})")
    print(f"processes per side: arch loop 1; riskkit n_jobs=1 1; riskkit n_jobs=-1 {workers} "
          f"{'workers (parent waits)' if workers > 1 else '(in process: too few refits for a pool)'}")


if __name__ == "__main__":
    main()
