"""Dynamic thresholds on the simulated loan book: false alarms without drift, delay with drift.

For each seed the generator (riskkit.data.simulate_loan_book) builds the same book twice: without
drift and with the documented drift (cohorts from month 36 riskier and lower-scored). The monthly
indicators (riskkit.monitoring.monthly_indicators) from month 6 (the first months have too few
loans) are the history; each chart estimates its in-control mean and sd on the first 18 months of
it (months 6-23) and is judged on months 24-47:

* false-alarm rate per indicator-month at red, on the books without drift (target <= 1%);
* detection delay: months from the drift start (month 36, delay 0 = an alarm in the drift month
  itself) to the first red, on the drifted books (target: red within 3 months, delay <= 3).

"configured" is data/early_warning_monitoring.yaml: each indicator with its own chart (and static
thresholds where it has them), as the portfolio-monitoring notebook grades them.

The charts follow the published designs (Lucas & Saccucci 1990 EWMA lam=0.2, L=2.962; tabular
CUSUM k=0.5, h=5, Montgomery) and a rolling quantile over 24 months. No peer library implements
these charts on this data, so there is no speed ratio to print: this is an accuracy benchmark.

Run: nice -n 10 python benchmarks/bench_thresholds.py [--seeds 8] [--loans 20000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from _report import verdict

from riskkit.data import DATA_DIR, simulate_loan_book
from riskkit.grading import EarlyWarning
from riskkit.monitoring import INDICATORS, monthly_indicators
from riskkit.monitoring.thresholds import DynamicThreshold, alarm_levels, detection_delay, false_alarm_rate

#: Indicators charted (flow indicators: stationary once loans are booked; stock indicators such as
#: dq30_rate and default_rate trend while the book seasons and are left to static thresholds).
CHARTED = ["roll_current_to_1_29", "roll_current_to_1_29_young", "roll_30_to_60", "score_psi_new"]
SEASONING, WARMUP, DRIFT, N_MONTHS = 6, 18, 36, 48


def methods(warmup: int) -> dict[str, DynamicThreshold]:
    """Published designs and widened ones (estimated parameters and macro cycles need wider limits)."""
    return {
        "ewma(0.2, 2.962)": DynamicThreshold("ewma", {"yellow": 2.0, "red": 2.962}, lam=0.2, warmup=warmup),
        "ewma(0.2, 4.5)": DynamicThreshold("ewma", {"yellow": 3.0, "red": 4.5}, lam=0.2, warmup=warmup),
        "cusum(0.5, 5)": DynamicThreshold("cusum", {"yellow": 3.0, "red": 5.0}, k=0.5, warmup=warmup),
        "cusum(1.0, 8)": DynamicThreshold("cusum", {"yellow": 4.0, "red": 8.0}, k=1.0, warmup=warmup),
        "quantile(24, 0.99)": DynamicThreshold("quantile", {"yellow": 0.9, "red": 0.99}, window=24),
        "quantile(24, 0.99, x1.5)": DynamicThreshold("quantile", {"yellow": 0.9, "red": 0.99}, window=24, inflate=1.5),
    }


def histories(seed: int, n_loans: int, macro_sd: float, seasoning: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = []
    for drift in (None, DRIFT):
        book = simulate_loan_book(n_loans=n_loans, n_months=N_MONTHS, seed=seed, drift_month=drift, macro_sd=macro_sd)
        ind = monthly_indicators(book.performance, book.origination, book.development_sample(12))
        out.append(ind.iloc[seasoning:])
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--loans", type=int, default=20_000)
    parser.add_argument("--macro-sd", type=float, default=0.15)
    parser.add_argument("--warmup", type=int, default=WARMUP)
    parser.add_argument("--seasoning", type=int, default=SEASONING)
    args = parser.parse_args()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    seasoning, warmup = args.seasoning, args.warmup
    books = [histories(seed, args.loans, args.macro_sd, seasoning) for seed in range(args.seeds)]
    wall_sim, cpu_sim = time.perf_counter() - wall0, time.process_time() - cpu0
    print(f"{args.seeds} seeds x 2 books ({args.loans:,} loans, {N_MONTHS} months, macro_sd {args.macro_sd}), 1 process; "
          f"simulation + indicators wall {wall_sim:.1f}s, CPU {cpu_sim:.1f}s")
    print(f"history from month {seasoning}; warm-up months {seasoning}-{seasoning + warmup - 1}; judged months "
          f"{seasoning + warmup}-{N_MONTHS - 1}; drift from month {DRIFT}; level red\n")
    rows = []
    for label, chart in methods(warmup).items():
        charts = {n: chart for n in CHARTED}
        directions = {n: INDICATORS[n][0] for n in CHARTED}
        fa, delays = [], []
        for clean, drifted in books:
            lv = alarm_levels(clean, charts, directions=directions)
            far = false_alarm_rate(lv, start=lv.index[warmup])
            fa.append((lv.iloc[warmup:] >= 4).to_numpy())
            assert abs(far["all"] - fa[-1].mean()) < 1e-12
            lv_d = alarm_levels(drifted, charts, directions=directions)
            delays.append(detection_delay(lv_d, drifted.index[DRIFT - seasoning], level="red"))
        fa_arr = np.concatenate(fa)  # months x indicators, pooled over seeds
        d = pd.DataFrame(delays)
        for j, name in enumerate(CHARTED + ["any"]):
            far = float(fa_arr.mean()) if name == "any" else float(fa_arr[:, j].mean())
            n = fa_arr.size if name == "any" else fa_arr.shape[0]
            col = d[name]
            rows.append({"method": label, "indicator": name, "far_red": far,
                         "far_se": np.sqrt(max(far * (1 - far), 1e-12) / n),
                         "median_delay": float(col.median()), "max_delay": float(col.max()),
                         "detected_within_3": float((col <= 3).mean())})
    # the shipped configuration: each indicator with its own chart and static thresholds
    config = EarlyWarning.from_yaml(DATA_DIR / "early_warning_monitoring.yaml")
    names = list(config.indicator_table().index)
    fa, delays = [], []
    for clean, drifted in books:
        lv = config.evaluate_history(clean[names]).levels.drop(columns="any")
        fa.append((lv.iloc[warmup:] >= 4).to_numpy())
        lv_d = config.evaluate_history(drifted[names]).levels.drop(columns="any")
        delays.append(detection_delay(lv_d, drifted.index[DRIFT - seasoning], level="red"))
    fa_arr, d = np.concatenate(fa), pd.DataFrame(delays)
    for j, name in enumerate(names + ["any"]):
        far = float(fa_arr.mean()) if name == "any" else float(fa_arr[:, j].mean())
        n = fa_arr.size if name == "any" else fa_arr.shape[0]
        rows.append({"method": "configured", "indicator": name, "far_red": far,
                     "far_se": np.sqrt(max(far * (1 - far), 1e-12) / n), "median_delay": float(d[name].median()),
                     "max_delay": float(d[name].max()), "detected_within_3": float((d[name] <= 3).mean())})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nfar_red: share of indicator-months at red on the books without drift (for 'any': pooled over"
          " indicators); far_se: binomial standard error (months are autocorrelated under EWMA/CUSUM, so it"
          " understates); delay in months from the drift month (0 = the drift month); detected_within_3: share"
          " of seeds whose first red came within 3 months.")
    verdict = table[table["indicator"] == "any"].set_index("method")
    for method, rec in verdict.iterrows():
        ok_far = rec["far_red"] <= 0.01
        ok_delay = rec["detected_within_3"] == 1.0
        print(f"verdict {method}: false alarms {verdict(ok_far)} the 1% target "
              f"({rec['far_red']:.2%}); detection {verdict(ok_delay)} red within 3 months "
              f"({rec['detected_within_3']:.0%} of seeds, max delay {rec['max_delay']:.0f})")
    print(f"total wall {time.perf_counter() - wall0:.1f}s, CPU {time.process_time() - cpu0:.1f}s, pid {os.getpid()}")


if __name__ == "__main__":
    main()
