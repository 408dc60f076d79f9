"""GradientBoostingPD defaults judged on data they were not chosen on, against bare and tuned XGBoost.

    .venv/bin/python benchmarks/bench_xgboost.py                       # German credit + breast cancer
    .venv/bin/python benchmarks/bench_xgboost.py --repeats 1 --n-iter 6  # quick run
    .venv/bin/python benchmarks/bench_xgboost.py --synthetic             # also fresh synthetic seeds

The defaults of ``GradientBoostingPD`` (depth 5, min_child_weight 10, colsample 0.6, L2 10, early
stopping then refit) were chosen on seed-1 draws of ``synthetic_credit`` and
``make_classification`` at 200,000 rows. They are judged here on data that played no part:

* ``german_credit``: the real Statlog German credit data (1,000 applicants, 30% bad; provenance in
  ``data/README.md``), 13 categorical and 7 numeric columns;
* ``breast_cancer``: the real Wisconsin diagnostic breast cancer data shipped inside scikit-learn
  (569 cases, 30 numeric features; Street, Wolberg and Mangasarian 1993, UCI). Not credit, but a
  real small-sample binary problem with a documented source;
* with ``--synthetic``: ``synthetic_credit`` and ``make_classification`` at seeds 101-103, never
  used for tuning.

Each data set is evaluated by repeated stratified K-fold (``--repeats`` x ``--folds``, seeds
1000+r), so the table shows the mean and the spread of the test AUC over outer folds, and the
paired difference riskkit - peer per fold (mean and standard error). Peers on the same folds:

* ``bare``  : ``xgboost.XGBClassifier()`` as shipped (categoricals enabled);
* ``tuned`` : ``RandomizedSearchCV(XGBClassifier(), n_iter, cv=3, scoring="roc_auc")`` run inside
  each outer training fold (nested: the tuning never sees the outer test fold). The budget is
  stated in the output (``n_iter`` candidates x 3 inner folds per outer fold).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.stats import loguniform
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RandomizedSearchCV, RepeatedStratifiedKFold, StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown, measure  # noqa: E402

from riskkit.credit import GradientBoostingPD  # noqa: E402
from riskkit.data import german_credit, synthetic_credit  # noqa: E402

SEARCH_SPACE: dict[str, Any] = {
    "n_estimators": [100, 200, 400, 800],
    "learning_rate": loguniform(0.02, 0.3),
    "max_depth": [2, 3, 4, 5, 6],
    "min_child_weight": [1, 3, 5, 10],
    "subsample": [0.6, 0.8, 1.0],
    "colsample_bytree": [0.6, 0.8, 1.0],
    "reg_lambda": [0.5, 1.0, 5.0, 10.0],
}


def load(name: str, rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    if name == "german_credit":
        X, y = german_credit()
        return X, y.to_numpy()
    if name == "breast_cancer":
        data = load_breast_cancer(as_frame=True)
        # 1 = malignant as the "bad" class (sklearn codes malignant as 0)
        return data.data, (1 - data.target).to_numpy()
    kind, seed = name.rsplit("@", 1)
    if kind == "synthetic_credit":
        X, y = synthetic_credit(n=rows, seed=int(seed))
        return X, y.to_numpy()
    Xa, ya = make_classification(n_samples=rows, n_features=20, n_informative=8, n_redundant=4,
                                 n_clusters_per_class=3, weights=[0.9], flip_y=0.05, class_sep=0.8,
                                 random_state=int(seed))
    return pd.DataFrame(Xa, columns=[f"x{i}" for i in range(Xa.shape[1])]), ya


def _auc(model: Any, X: pd.DataFrame, y: np.ndarray) -> float:
    return float(roc_auc_score(y, model.predict_proba(X)[:, 1]))


def evaluate(name: str, rows: int, folds: int, repeats: int, n_iter: int) -> pd.DataFrame:
    X, y = load(name, rows)
    print(f"\n== {name}: {len(X):,} rows, {X.shape[1]} features, bad rate {y.mean():.3f}; "
          f"{repeats} x {folds}-fold", flush=True)
    records = []
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=1000)
    for k, (train, test) in enumerate(splitter.split(X, y)):
        X_tr, X_te, y_tr, y_te = X.iloc[train], X.iloc[test], y[train], y[test]
        ours = measure(lambda: GradientBoostingPD(random_state=k).fit(X_tr, y_tr), repeats=1, warmup=False)
        bare = measure(lambda: xgb.XGBClassifier(enable_categorical=True, random_state=k).fit(X_tr, y_tr),
                       repeats=1, warmup=False)
        search = RandomizedSearchCV(
            xgb.XGBClassifier(tree_method="hist", enable_categorical=True, random_state=k), SEARCH_SPACE,
            n_iter=n_iter, scoring="roc_auc", cv=StratifiedKFold(3, shuffle=True, random_state=k),
            random_state=k, n_jobs=1, refit=True)
        tuned = measure(lambda: search.fit(X_tr, y_tr), repeats=1, warmup=False)
        records.append({"fold": k, "riskkit": _auc(ours.result, X_te, y_te), "bare": _auc(bare.result, X_te, y_te),
                        "tuned": _auc(tuned.result, X_te, y_te), "riskkit_s": ours.wall[0],
                        "bare_s": bare.wall[0], "tuned_s": tuned.wall[0]})
        print(f"  fold {k}: riskkit {records[-1]['riskkit']:.4f}  bare {records[-1]['bare']:.4f}  "
              f"tuned {records[-1]['tuned']:.4f}", flush=True)
    return pd.DataFrame(records)


def summarise(name: str, frame: pd.DataFrame) -> dict[str, str]:
    n = len(frame)
    row = {"data": name, "outer folds": str(n)}
    for side in ("riskkit", "bare", "tuned"):
        row[f"{side} AUC"] = f"{frame[side].mean():.4f} ± {frame[side].std(ddof=1):.4f}"
    for peer in ("bare", "tuned"):
        diff = frame["riskkit"] - frame[peer]
        row[f"riskkit − {peer}"] = f"{diff.mean():+.4f} (se {diff.std(ddof=1) / np.sqrt(n):.4f})"
    row["fit s riskkit / bare / tuned"] = (f"{frame['riskkit_s'].median():.2f} / {frame['bare_s'].median():.2f} / "
                                           f"{frame['tuned_s'].median():.1f}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--n-iter", type=int, default=10, help="random-search candidates per outer fold")
    parser.add_argument("--datasets", default="german_credit,breast_cancer")
    parser.add_argument("--synthetic", action="store_true", help="add synthetic_credit and make_classification "
                        "at seeds 101-103 (20,000 rows each)")
    parser.add_argument("--rows", type=int, default=20_000, help="rows of each synthetic draw")
    args = parser.parse_args()
    names = args.datasets.split(",")
    if args.synthetic:
        names += [f"{kind}@{seed}" for kind in ("synthetic_credit", "make_classification") for seed in (101, 102, 103)]
    print(f"command: {' '.join(['python', *sys.argv])}")
    print(f"xgboost {xgb.__version__}; tuned = nested RandomizedSearchCV(n_iter={args.n_iter}, cv=3) per outer fold "
          f"= {3 * args.n_iter} inner fits + 1 refit; all sides single-process (n_jobs=1 search)")
    rows = [summarise(name, evaluate(name, args.rows, args.folds, args.repeats, args.n_iter)) for name in names]
    print("\n" + markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
