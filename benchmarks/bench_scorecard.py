"""Binning + scorecard benchmark: riskkit vs optbinning, side by side in one run.

    .venv/bin/python benchmarks/bench_scorecard.py            # 1,000,000 x 20 synthetic + German
    .venv/bin/python benchmarks/bench_scorecard.py --rows 100000   # quick run

Both libraries run with default settings: ``riskkit.credit.Scorecard()`` against optbinning's
``BinningProcess(variable_names)`` + ``Scorecard(binning_process, LogisticRegression())``, on the
same 70/30 train/test split of ``riskkit.data.synthetic_credit`` (20 numeric features, 5%
missing, monotone / U-shaped / peaked risk drivers). Printed: fit time ratio, test AUC of both
and the difference, scoring time ratio on every row, peak memory of our fit (tracemalloc, a
separate run) against the size of the training frame, and the 5-fold cross-validated AUC of
both default scorecards on the German credit data. Targets from the credit-scoring issue are
shown next to each figure.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from riskkit.credit._scorecard import Scorecard
from riskkit.data._synthetic import synthetic_credit


def _optbinning() -> tuple[Any, Any]:
    try:
        from optbinning import BinningProcess
        from optbinning import Scorecard as OptScorecard
    except ImportError as exc:  # pragma: no cover - bench extra missing
        raise SystemExit("optbinning is needed: pip install -e '.[bench]'") from exc
    return BinningProcess, OptScorecard


def opt_scorecard(columns: list[str], categorical: list[str] | None = None) -> Any:
    """optbinning's scorecard with default settings (the estimator must be given)."""
    binning_process_cls, scorecard_cls = _optbinning()
    process = binning_process_cls(variable_names=columns, categorical_variables=categorical)
    return scorecard_cls(binning_process=process, estimator=LogisticRegression())


CPU: dict[str, float] = {}


def timed(fn: Callable[[], Any], label: str = "") -> tuple[Any, float]:
    """Wall-clock seconds of ``fn()``; process CPU seconds are kept in ``CPU[label]``."""
    gc.collect()
    cpu, start = time.process_time(), time.perf_counter()
    out = fn()
    CPU[label] = time.process_time() - cpu
    return out, time.perf_counter() - start


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def synthetic_part(rows: int, seed: int) -> None:
    X, y = synthetic_credit(rows, 20, 0.05, seed)
    order = np.random.default_rng(seed).permutation(rows)
    cut = int(0.7 * rows)
    train, test = np.sort(order[:cut]), np.sort(order[cut:])
    X_tr, y_tr = X.iloc[train].reset_index(drop=True), y.iloc[train].reset_index(drop=True)
    X_te, y_te = X.iloc[test].reset_index(drop=True), y.iloc[test].reset_index(drop=True)
    print(f"synthetic_credit: {rows:,} rows x 20 features, train {len(X_tr):,} / test {len(X_te):,}, "
          f"bad rate {y.mean():.3f}")

    ours, t_ours = timed(lambda: Scorecard().fit(X_tr, y_tr), "ours")
    theirs, t_theirs = timed(lambda: opt_scorecard(list(X.columns)).fit(X_tr, y_tr), "theirs")
    print(f"fit   riskkit {t_ours:8.2f} s   optbinning {t_theirs:8.2f} s   "
          f"ratio {t_theirs / t_ours:6.1f}x   (target >= 10x: {verdict(t_theirs / t_ours >= 10)})")
    print(f"      CPU seconds: riskkit {CPU['ours']:.2f}, optbinning {CPU['theirs']:.2f}, "
          f"ratio {CPU['theirs'] / CPU['ours']:.1f}x")

    auc_ours = roc_auc_score(y_te, ours.predict_proba(X_te)[:, 1])
    auc_theirs = roc_auc_score(y_te, theirs.predict_proba(X_te)[:, 1])
    diff = auc_ours - auc_theirs
    print(f"test AUC riskkit {auc_ours:.4f}   optbinning {auc_theirs:.4f}   difference {diff:+.4f}   "
          f"(target >= -0.002: {verdict(diff >= -0.002)})")
    print(f"         riskkit kept {len(ours.features_)} features, "
          f"bins per feature {ours.binner_.n_bins_[ours.features_].tolist()}")

    _, s_ours = timed(lambda: ours.points(X), "s_ours")
    _, s_theirs = timed(lambda: theirs.score(X), "s_theirs")
    print(f"score {rows:,} rows  riskkit {s_ours:6.3f} s   optbinning {s_theirs:6.3f} s   "
          f"ratio {s_theirs / s_ours:6.1f}x   (target >= 10x: {verdict(s_theirs / s_ours >= 10)})")

    del theirs
    gc.collect()
    tracemalloc.start()
    Scorecard().fit(X_tr, y_tr)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = X_tr.memory_usage(deep=True).sum()
    print(f"peak memory of fit {peak / 2**20:7.1f} MiB   training frame {size / 2**20:7.1f} MiB   "
          f"ratio {peak / size:4.2f}   (target < 2: {verdict(peak / size < 2)})")


def german_part(folds: int, seed: int) -> None:
    X, y = _german()
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    ours, theirs = [], []
    for train, test in cv.split(X, y):
        X_tr, X_te, y_tr, y_te = X.iloc[train], X.iloc[test], y.iloc[train], y.iloc[test]
        card = Scorecard().fit(X_tr, y_tr)
        ours.append(roc_auc_score(y_te, card.predict_proba(X_te)[:, 1]))
        opt = opt_scorecard(list(X.columns), categorical).fit(_as_object(X_tr, categorical), y_tr)
        theirs.append(roc_auc_score(y_te, opt.predict_proba(_as_object(X_te, categorical))[:, 1]))
    a, b = float(np.mean(ours)), float(np.mean(theirs))
    print(f"German credit {folds}-fold CV AUC  riskkit {a:.4f} (sd {np.std(ours):.4f})   "
          f"optbinning {b:.4f} (sd {np.std(theirs):.4f})   difference {a - b:+.4f}   "
          f"(target >= 0: {verdict(a >= b)})")


def _german() -> tuple[pd.DataFrame, pd.Series]:
    try:
        from riskkit.data import german_credit
    except ImportError:  # the loader is not there yet: read the bundled CSV directly
        frame = pd.read_csv("data/german_credit.csv")
        y = (frame.pop("creditability") == "bad").astype(int).rename("bad")
        return frame, y
    return german_credit()


def _as_object(X: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    """optbinning expects text categories as object columns, not pandas categoricals."""
    out = X.copy()
    for c in categorical:
        out[c] = out[c].astype(object)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic rows (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5, help="German credit CV folds")
    parser.add_argument("--skip-german", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    synthetic_part(args.rows, args.seed)
    if not args.skip_german:
        german_part(args.folds, args.seed)


if __name__ == "__main__":
    main()
