"""Binning + scorecard benchmark: riskkit vs optbinning, side by side in one process and one run.

    .venv/bin/python benchmarks/bench_scorecard.py                  # 100k, 300k, 1M rows; 3 repeats
    .venv/bin/python benchmarks/bench_scorecard.py --quick          # 100k rows, 1 repeat, no German
    .venv/bin/python benchmarks/bench_scorecard.py --sizes 300000 --repeats 5
    .venv/bin/python benchmarks/bench_scorecard.py --sizes 5000 --repeats 1 --german-seeds 20

Both libraries run with default settings: ``riskkit.credit.Scorecard()`` against optbinning's
``BinningProcess(variable_names)`` + ``Scorecard(binning_process, LogisticRegression())``, on the
same 70/30 train/test split of ``riskkit.data.synthetic_credit`` (20 numeric features, 5%
missing; monotone, U-shaped, peaked and pure-noise drivers).

What is measured, and how:

* both libraries are imported, and both fit and score once on 5,000 rows (warm-up: imports,
  lazy module loading, first-call caches), before anything is timed;
* each size runs with two frame constructions: ``columns`` (the generator's frame, one array
  per column) and ``array`` (the same values as ONE row-major 2-D float array passed with
  ``copy=False``, so every column is a strided view);
* per repeat, per construction: fit time and scoring time (``points``/``score`` of riskkit,
  ``score`` of optbinning, on every row of the frame) for both libraries, as wall-clock seconds
  (``time.perf_counter``) and CPU seconds of this process (``time.process_time``, which adds up
  every thread); the two sides alternate within a repeat so load drifts hit both;
* ratios are optbinning / riskkit of the medians over repeats; the spread is the min-max ratio
  over repeats;
* processes per side: 1 (both run in this process). Threads: riskkit holds BLAS to one thread in
  its solver and correlation pass; optbinning and scikit-learn use the default BLAS threads
  (``threadpoolctl`` reports them below), so a CPU ratio is the fairer one on a loaded machine;
* verdict: met only when BOTH the wall and the CPU median ratio reach the target (10x);
* test AUC of both on the 30% hold-out and the difference (riskkit - optbinning), target >= -0.002;
* small samples: hold-out AUC of both at 1,000 and 3,000 rows, mean over ``--small-seeds`` seeds;
* German credit: 5-fold stratified CV AUC of both default scorecards on the same folds, per CV
  seed (``--german-seeds``; target: riskkit >= optbinning, judged on the mean over seeds).

The script prints the command that produced it and a markdown table per part.
"""

from __future__ import annotations

import argparse
import gc
import shlex
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

# imports of BOTH libraries happen here, before any timing
from optbinning import BinningProcess
from optbinning import Scorecard as OptScorecard
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_info

from _report import speed_verdict, verdict

from riskkit.credit import Scorecard, WoEBinner
from riskkit.data import german_credit, synthetic_credit

TARGET_SPEED = 10.0
TARGET_AUC_GAP = -0.002


def opt_scorecard(columns: list[str], categorical: list[str] | None = None) -> Any:
    """optbinning's scorecard with default settings (the estimator must be given)."""
    process = BinningProcess(variable_names=columns, categorical_variables=categorical)
    return OptScorecard(binning_process=process, estimator=LogisticRegression())


def points(card: Scorecard, X: pd.DataFrame) -> Any:
    """riskkit's points per applicant."""
    return card.points(X)


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, its wall-clock seconds and this process's CPU seconds."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def split(rows: int, seed: int, construction: str
          ) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.Series, pd.DataFrame]:
    X, y = synthetic_credit(rows, 20, 0.05, seed)
    if construction == "array":
        X = _strided(X)
    order = np.random.default_rng(seed).permutation(rows)
    cut = int(0.7 * rows)
    train, test = np.sort(order[:cut]), np.sort(order[cut:])
    X_tr, y_tr = X.iloc[train].reset_index(drop=True), y.iloc[train].reset_index(drop=True)
    X_te, y_te = X.iloc[test].reset_index(drop=True), y.iloc[test].reset_index(drop=True)
    if construction == "array":  # keep the 2-D layout after the split
        X_tr, X_te = _strided(X_tr), _strided(X_te)
    return X_tr, y_tr, X_te, y_te, X


def _strided(X: pd.DataFrame) -> pd.DataFrame:
    """The frame as ONE row-major 2-D float block, so each column is a strided view.

    pandas 3 copies an array passed to ``DataFrame`` into column-major storage (contiguous
    columns); ``copy=False`` keeps the caller's row-major array, as pandas 2 did by default.
    """
    frame = pd.DataFrame(np.ascontiguousarray(X.to_numpy(dtype=float)), columns=X.columns,
                         copy=False)
    assert not frame[X.columns[0]].to_numpy().flags["C_CONTIGUOUS"]
    return frame


def warm_up() -> None:
    X_tr, y_tr, X_te, _, _ = split(5_000, 99, "columns")
    card = Scorecard().fit(X_tr, y_tr)
    points(card, X_te)
    card.predict_proba(X_te)
    opt = opt_scorecard(list(X_tr.columns)).fit(X_tr, y_tr)
    opt.score(X_te)
    opt.predict_proba(X_te)


def one_size(rows: int, construction: str, repeats: int, seed: int) -> dict[str, Any]:
    X_tr, y_tr, X_te, y_te, X = split(rows, seed, construction)
    t: dict[str, list[float]] = {k: [] for k in (
        "fit_ours", "fit_theirs", "fit_ours_cpu", "fit_theirs_cpu",
        "score_ours", "score_theirs", "score_ours_cpu", "score_theirs_cpu")}
    ours = theirs = None
    for r in range(repeats):
        sides = ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")
        for side in sides:
            if side == "ours":
                ours, wall, cpu = timed(lambda: Scorecard().fit(X_tr, y_tr))
            else:
                theirs, wall, cpu = timed(lambda: opt_scorecard(list(X.columns)).fit(X_tr, y_tr))
            t[f"fit_{side}"].append(wall)
            t[f"fit_{side}_cpu"].append(cpu)
        fitted = {"ours": ours, "theirs": theirs}
        for side in sides:
            model = fitted[side]
            if side == "ours":
                _, wall, cpu = timed(lambda m=model: points(m, X))
            else:
                _, wall, cpu = timed(lambda m=model: m.score(X))
            t[f"score_{side}"].append(wall)
            t[f"score_{side}_cpu"].append(cpu)
    assert ours is not None and theirs is not None
    auc_ours = roc_auc_score(y_te, ours.predict_proba(X_te)[:, 1])
    auc_theirs = roc_auc_score(y_te, theirs.predict_proba(X_te)[:, 1])
    out: dict[str, Any] = {"rows": rows, "construction": construction, "repeats": repeats,
                           "auc_ours": auc_ours, "auc_theirs": auc_theirs,
                           "n_features": len(ours.features_),
                           "bins": ours.binner_.n_bins_[ours.features_].tolist()}
    for what in ("fit", "score"):
        for kind in ("", "_cpu"):
            a, b = t[f"{what}_ours{kind}"], t[f"{what}_theirs{kind}"]
            ratios = [y / x for x, y in zip(a, b)]
            out[f"{what}{kind}"] = (statistics.median(a), statistics.median(b),
                                    statistics.median(b) / statistics.median(a),
                                    min(ratios), max(ratios))
    del theirs
    gc.collect()
    return out


def print_table(results: list[dict[str, Any]]) -> None:
    print("| rows | frame | step | riskkit wall (CPU) s | optbinning wall (CPU) s | "
          "ratio wall [spread] | ratio CPU [spread] | verdict (>= 10x wall and CPU) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for res in results:
        for what in ("fit", "score"):
            w, c = res[what], res[f"{what}_cpu"]
            print(f"| {res['rows']:,} | {res['construction']} | {what} | {w[0]:.3f} ({c[0]:.3f}) | "
                  f"{w[1]:.3f} ({c[1]:.3f}) | {w[2]:.1f}x [{w[3]:.1f}-{w[4]:.1f}] | "
                  f"{c[2]:.1f}x [{c[3]:.1f}-{c[4]:.1f}] | {speed_verdict(w[2], c[2], TARGET_SPEED)} |")
    print()
    print("| rows | frame | test AUC riskkit | test AUC optbinning | difference | verdict (>= -0.002) "
          "| riskkit features (bins each) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for res in results:
        diff = res["auc_ours"] - res["auc_theirs"]
        print(f"| {res['rows']:,} | {res['construction']} | {res['auc_ours']:.4f} | "
              f"{res['auc_theirs']:.4f} | {diff:+.4f} | {verdict(diff >= TARGET_AUC_GAP)} | "
              f"{res['n_features']} ({min(res['bins'])}-{max(res['bins'])}) |")


def riskkit_auc(X_tr: pd.DataFrame, y_tr: pd.Series, X_te: pd.DataFrame, y_te: pd.Series,
                binner_seed: int = 0) -> float:
    """Test AUC of riskkit's default scorecard whose permutation test uses ``binner_seed``."""
    binner = WoEBinner(random_state=binner_seed) if binner_seed else None  # None: the default
    card = Scorecard(binner=binner).fit(X_tr, y_tr)
    return float(roc_auc_score(y_te, card.predict_proba(X_te)[:, 1]))


def optbinning_auc(X_tr: pd.DataFrame, y_tr: pd.Series, X_te: pd.DataFrame, y_te: pd.Series,
                   categorical: list[str] | None = None) -> float:
    """Test AUC of optbinning's default scorecard (``categorical`` columns passed as objects)."""
    if categorical:
        X_tr, X_te = _as_object(X_tr, categorical), _as_object(X_te, categorical)
    opt = opt_scorecard(list(X_tr.columns), categorical).fit(X_tr, y_tr)
    return float(roc_auc_score(y_te, opt.predict_proba(X_te)[:, 1]))


def german_part(folds: int, seed: int, n_seeds: int = 1, binner_seeds: int = 1) -> None:
    """German credit CV AUC of both default scorecards, paired on the same folds, per CV seed.

    With ``binner_seeds`` > 1, riskkit is also fitted with ``WoEBinner(random_state=r)`` for
    r = 1, ... (0 is the default): the permutation test's draws decide borderline features, so
    the mean over draws separates a rule's effect from the luck of one seed.
    """
    X, y = german_credit()
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    rows = []
    for s in range(seed, seed + n_seeds):
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=s)
        ours: list[list[float]] = [[] for _ in range(binner_seeds)]
        theirs = []
        for train, test in cv.split(X, y):
            X_tr, X_te, y_tr, y_te = X.iloc[train], X.iloc[test], y.iloc[train], y.iloc[test]
            for r in range(binner_seeds):
                ours[r].append(riskkit_auc(X_tr, y_tr, X_te, y_te, r))
            theirs.append(optbinning_auc(X_tr, y_tr, X_te, y_te, categorical))
        rows.append((s, [float(np.mean(o)) for o in ours], float(np.std(ours[0])),
                     float(np.mean(theirs)), float(np.std(theirs))))
        if n_seeds > 1:
            print(f"  done: German credit CV seed {s}", file=sys.stderr, flush=True)
    print()
    print(f"| German credit {folds}-fold CV seed | riskkit mean AUC (fold sd) | "
          "optbinning mean AUC (fold sd) | difference | verdict (>= 0) |")
    print("| --- | --- | --- | --- | --- |")
    for s, a, sa, b, sb in rows:
        print(f"| {s} | {a[0]:.4f} ({sa:.4f}) | {b:.4f} ({sb:.4f}) | {a[0] - b:+.4f} | "
              f"{verdict(a[0] >= b)} |")
    if n_seeds > 1:
        d = np.array([r[1][0] - r[3] for r in rows])
        a, b = np.mean([r[1][0] for r in rows]), np.mean([r[3] for r in rows])
        print(f"| mean of {n_seeds} seeds (sd of the difference) | {a:.4f} | {b:.4f} | "
              f"{d.mean():+.4f} ({d.std(ddof=1):.4f}) | {verdict(d.mean() >= 0)}; "
              f"{int((d >= 0).sum())} of {n_seeds} seeds met |")
    if binner_seeds > 1:
        per = [float(np.mean([r[1][k] - r[3] for r in rows])) for k in range(binner_seeds)]
        print(f"| mean difference per binner random_state 0..{binner_seeds - 1} | "
              + ", ".join(f"{v:+.4f}" for v in per) + f" | mean {np.mean(per):+.4f} | | "
              f"{verdict(float(np.mean(per)) >= 0)} |")


def small_part(sizes: list[int], seeds: int, binner_seeds: int = 1) -> None:
    """Hold-out AUC of both default scorecards on small synthetic samples, mean over seeds.

    One 70/30 split of ``synthetic_credit(rows, 20, 0.05, seed)`` per seed (the split of the
    timed part); at 1,000 rows the training part holds about 70 bads, so a single split is
    noisy and the mean over seeds is the figure to read. With ``binner_seeds`` > 1 riskkit's
    AUC is the mean over ``WoEBinner(random_state=r)``, r = 0 (the default), 1, ...
    """
    print()
    print(f"| rows (hold-out AUC, mean of {seeds} seeds) | riskkit | optbinning | difference "
          "(sd over seeds) | riskkit >= optbinning on |")
    print("| --- | --- | --- | --- | --- |")
    for rows in sizes:
        ours, theirs = [], []
        for seed in range(seeds):
            X_tr, y_tr, X_te, y_te, _ = split(rows, seed, "columns")
            ours.append(float(np.mean([riskkit_auc(X_tr, y_tr, X_te, y_te, r)
                                       for r in range(binner_seeds)])))
            theirs.append(optbinning_auc(X_tr, y_tr, X_te, y_te))
        d = np.array(ours) - np.array(theirs)
        print(f"| {rows:,} | {np.mean(ours):.4f} | {np.mean(theirs):.4f} | {d.mean():+.4f} "
              f"({d.std(ddof=1):.4f}) | {int((d >= 0).sum())} of {seeds} seeds |")


def _as_object(X: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    """optbinning expects text categories as object columns, not pandas categoricals."""
    out = X.copy()
    for c in categorical:
        out[c] = out[c].astype(object)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000],
                        help="synthetic rows (default 100000 300000 1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per size (default 3)")
    parser.add_argument("--constructions", nargs="+", default=["columns", "array"],
                        choices=["columns", "array"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5, help="German credit CV folds")
    parser.add_argument("--german-seeds", type=int, default=1,
                        help="German credit CV seeds, from --seed on (default 1; the fold split "
                             "alone moves the difference by about 0.004, so judge it on 20)")
    parser.add_argument("--binner-seeds", type=int, default=1,
                        help="riskkit's German and small-sample fits also with "
                             "WoEBinner(random_state=1, ...) (default 1: the default binner only)")
    parser.add_argument("--small-seeds", type=int, default=8,
                        help="seeds of the 1,000- and 3,000-row hold-out AUC part (0 skips it)")
    parser.add_argument("--skip-german", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="100,000 rows, one repeat, no German part")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeats, args.skip_german, args.small_seeds = [100_000], 1, True, 0
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    print("command: " + " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]))
    blas = {(i.get("internal_api"), i.get("num_threads")) for i in threadpool_info()}
    print(f"processes per side: 1 (same process); BLAS pools (api, threads): {sorted(blas)}")
    warm_up()
    print("warm-up done (both libraries imported, fitted and scored once on 5,000 rows)")
    print()
    results = []
    for rows in args.sizes:
        for construction in args.constructions:
            results.append(one_size(rows, construction, args.repeats, args.seed))
            print(f"  done: {rows:,} rows, {construction}", file=sys.stderr, flush=True)
    print_table(results)
    if args.small_seeds:
        small_part([1_000, 3_000], args.small_seeds, args.binner_seeds)
    if not args.skip_german:
        german_part(args.folds, args.seed, args.german_seeds, args.binner_seeds)


if __name__ == "__main__":
    main()
