"""GradientBoostingPD defaults against a tuned XGBoost and xgboost's bare defaults, one run.

    .venv/bin/python benchmarks/bench_xgboost.py                 # 200,000 rows, both data sets
    .venv/bin/python benchmarks/bench_xgboost.py --rows 50000 --n-iter 6   # quick run

What a user would otherwise do is (a) fit ``xgboost.XGBClassifier()`` as shipped or (b) tune it
with ``RandomizedSearchCV``. On the same 75/25 stratified train/test split of each data set we
fit:

* ``riskkit``  : ``GradientBoostingPD()`` with its defaults (rounds chosen by early stopping on
  an internal 20% validation split, then refit on all training rows);
* ``bare``     : ``xgboost.XGBClassifier()`` (learning rate 0.3, depth 6, 100 rounds, ...);
* ``tuned``    : ``RandomizedSearchCV(XGBClassifier(), ..., n_iter, cv=3, scoring="roc_auc")``
  over rounds, learning rate, depth, min_child_weight, subsampling and L2, refit on all training
  rows (the tuning time is reported too).

Data sets: ``riskkit.data.synthetic_credit(n)`` (20 numeric drivers with monotone, U-shaped and
peaked risk, 5% missing, 10% bad rate) and ``sklearn.datasets.make_classification`` (20 features,
8 informative in 3 clusters per class, 10% positives, 5% label noise: strong interactions).
Printed: test AUC, log loss and fit seconds side by side, and the AUC differences
riskkit - tuned and riskkit - bare. A final block compares riskkit and bare defaults on the
German credit data with 5-fold cross-validation (small-data regime).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.stats import loguniform
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, train_test_split

from riskkit.credit import GradientBoostingPD
from riskkit.data import german_credit, synthetic_credit

SEARCH_SPACE: dict[str, Any] = {
    "n_estimators": [200, 400, 800, 1200],
    "learning_rate": loguniform(0.02, 0.3),
    "max_depth": [2, 3, 4, 5, 6, 8],
    "min_child_weight": [1, 3, 5, 10, 20],
    "subsample": [0.6, 0.8, 1.0],
    "colsample_bytree": [0.6, 0.8, 1.0],
    "reg_lambda": [0.5, 1.0, 5.0, 10.0],
}


def load(name: str, rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    if name == "synthetic_credit":
        X, y = synthetic_credit(n=rows, seed=seed)
        return X, y.to_numpy()
    Xa, ya = make_classification(
        n_samples=rows, n_features=20, n_informative=8, n_redundant=4, n_clusters_per_class=3,
        weights=[0.9], flip_y=0.05, class_sep=0.8, random_state=seed,
    )
    return pd.DataFrame(Xa, columns=[f"x{i}" for i in range(Xa.shape[1])]), ya


def timed(fit: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fit()
    return result, time.perf_counter() - start


def run_dataset(name: str, rows: int, n_iter: int, seed: int) -> dict[str, dict[str, float]]:
    X, y = load(name, rows, seed)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    print(f"\n== {name}: {len(X_tr):,} train / {len(X_te):,} test rows, {X.shape[1]} features, "
          f"bad rate {y.mean():.3f}", flush=True)
    results: dict[str, dict[str, float]] = {}

    ours, t_ours = timed(lambda: GradientBoostingPD(random_state=seed).fit(X_tr, y_tr))
    p = ours.predict_proba(X_te)[:, 1]
    results["riskkit"] = {"auc": roc_auc_score(y_te, p), "logloss": log_loss(y_te, p), "seconds": t_ours,
                          "rounds": ours.best_iteration_ + 1}
    print(f"riskkit defaults done ({t_ours:.1f} s, {ours.best_iteration_ + 1} rounds)", flush=True)

    bare, t_bare = timed(lambda: xgb.XGBClassifier(random_state=seed).fit(X_tr, y_tr))
    p = bare.predict_proba(X_te)[:, 1]
    results["bare"] = {"auc": roc_auc_score(y_te, p), "logloss": log_loss(y_te, p), "seconds": t_bare,
                       "rounds": 100}
    print(f"xgboost bare defaults done ({t_bare:.1f} s)", flush=True)

    search = RandomizedSearchCV(
        xgb.XGBClassifier(tree_method="hist", random_state=seed), SEARCH_SPACE, n_iter=n_iter,
        scoring="roc_auc", cv=StratifiedKFold(3, shuffle=True, random_state=seed),
        random_state=seed, n_jobs=1, refit=True, verbose=1,
    )
    _, t_tuned = timed(lambda: search.fit(X_tr, y_tr))
    p = search.predict_proba(X_te)[:, 1]
    best = search.best_params_
    results["tuned"] = {"auc": roc_auc_score(y_te, p), "logloss": log_loss(y_te, p), "seconds": t_tuned,
                        "rounds": best["n_estimators"]}
    print(f"tuned search done ({t_tuned:.1f} s); best: "
          + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.items()),
          flush=True)
    return results


def report(name: str, results: dict[str, dict[str, float]]) -> None:
    table = pd.DataFrame(results).T[["auc", "logloss", "seconds", "rounds"]]
    table.index.name = name
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    ours, tuned, bare = (results[k]["auc"] for k in ("riskkit", "tuned", "bare"))
    print(f"AUC riskkit - tuned : {ours - tuned:+.4f}   (target: >= -0.002, 'matches tuned')")
    print(f"AUC riskkit - bare  : {ours - bare:+.4f}   (target: > 0)")
    print(f"fit time tuned / riskkit: {results['tuned']['seconds'] / results['riskkit']['seconds']:.1f}x")


def german_cv(seed: int) -> None:
    X, y = german_credit()
    target = y.to_numpy()
    aucs: dict[str, list[float]] = {"riskkit": [], "bare": []}
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, target):
        ours = GradientBoostingPD(random_state=seed).fit(X.iloc[train], target[train])
        aucs["riskkit"].append(roc_auc_score(target[test], ours.predict_proba(X.iloc[test])[:, 1]))
        bare = xgb.XGBClassifier(enable_categorical=True, random_state=seed).fit(X.iloc[train], target[train])
        aucs["bare"].append(roc_auc_score(target[test], bare.predict_proba(X.iloc[test])[:, 1]))
    print("\n== german_credit: 5-fold CV AUC (1,000 rows, 13 categorical + 7 numeric)")
    for key, values in aucs.items():
        print(f"{key:8s} {np.mean(values):.4f} +- {np.std(values):.4f}")
    print(f"AUC riskkit - bare  : {np.mean(aucs['riskkit']) - np.mean(aucs['bare']):+.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--n-iter", type=int, default=12, help="random-search candidates")
    parser.add_argument("--datasets", default="synthetic_credit,make_classification")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"xgboost {xgb.__version__}; tuned = RandomizedSearchCV(n_iter={args.n_iter}, cv=3)")
    collected = {}
    for name in args.datasets.split(","):
        collected[name] = run_dataset(name, args.rows, args.n_iter, args.seed)
    print("\n================ summary (test AUC, log loss, fit seconds) ================")
    for name, results in collected.items():
        report(name, results)
        print()
    german_cv(args.seed)


if __name__ == "__main__":
    main()
