"""Rows per second of ``riskkit score`` on the pandas engine and on Spark ``local[2]`` (issue 14),
and the peak memory of the pandas engine.

The input is German credit rows resampled with a fixed seed plus an ``applicant_id`` column,
written once per size as one Parquet file (row groups of 100,000) in a temporary folder. The model
is the XGBoost champion (``GradientBoostingPD(400)``, reason codes on) registered in a temporary
SQLite store. Each timing is one ``riskkit score`` command in a subprocess, as a user runs it
(interpreter start, model load and, for Spark, the JVM start included); one small warm-up run per
engine precedes the timed ones (file cache, bytecode). Wall and CPU come from
``_report.measure`` (CPU of the command and its children; the Spark JVM's own CPU is charged only
when the command waits for it). Peak RSS is the command's ``ru_maxrss`` (``os.wait4``).

The two engines' scores are compared on the smallest size (max |pd difference|, reason codes).
There is no speed target against a peer library, so no speed verdict is printed; the pandas
engine has a memory target (peak RSS < 2 GB at 10M rows), judged through ``_report.verdict``.

    nice -n 10 .venv/bin/python benchmarks/bench_score.py [--sizes 1000000,10000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown, measure, verdict

REPO = Path(__file__).resolve().parents[1]
MODEL = "models:/credit-xgboost@champion"
MEMORY_TARGET_BYTES = 2 * 1024**3


def _register(tmp: Path) -> str:
    import mlflow

    from riskkit.app.review import register_run_model
    from riskkit.app.serving import log_gradient_boosting
    from riskkit.credit import GradientBoostingPD
    from riskkit.data import german_credit

    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.chdir(tmp)
    mlflow.set_tracking_uri(uri)
    X, y = german_credit()
    model = GradientBoostingPD(400, random_state=0).fit(X, y)
    mlflow.set_experiment("credit-xgboost")
    with mlflow.start_run() as run:
        log_gradient_boosting(model, X.head(5), name="model")
    version = register_run_model(run.info.run_id, "credit-xgboost")
    mlflow.MlflowClient().set_registered_model_alias("credit-xgboost", "champion", version)
    return uri


def _write_input(path: Path, rows: int, seed: int = 14) -> None:
    """``rows`` German credit applicants resampled with ``seed``, written 1M rows at a time."""
    from riskkit.data import german_credit

    X, _ = german_credit()
    rng = np.random.default_rng(seed)
    writer, done = None, 0
    while done < rows:
        n = min(1_000_000, rows - done)
        chunk = X.iloc[rng.integers(0, len(X), n)].reset_index(drop=True)
        chunk["applicant_id"] = np.arange(done, done + n, dtype=np.int64)
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=100_000)
        done += n
    assert writer is not None
    writer.close()


def _command(engine: str, source: Path, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "riskkit.cli", "score", MODEL, str(source), str(out), "--engine", engine]
    return cmd + (["--master", "local[2]"] if engine == "spark" else [])


def _run(engine: str, source: Path, out: Path, env: dict[str, str]) -> int:
    """One ``riskkit score`` command; returns its peak RSS in bytes."""
    with open(out.with_suffix(".log"), "wb") as log:
        proc = subprocess.Popen(_command(engine, source, out), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"riskkit score failed ({engine}): see {out.with_suffix('.log')}:\n"
                         + out.with_suffix(".log").read_text()[-2000:])
    return int(usage.ru_maxrss) * 1024  # Linux reports KiB


def _agreement(a: Path, b: Path) -> tuple[float, bool]:
    x = pd.read_parquet(a).sort_values("applicant_id").reset_index(drop=True)
    y = pd.read_parquet(b).sort_values("applicant_id").reset_index(drop=True)
    diff = float(np.abs(x["pd"].to_numpy() - y["pd"].to_numpy()).max())
    reasons = [c for c in x.columns if c.startswith("reason_")]
    same = all(x[c].fillna("").tolist() == y[c].fillna("").tolist() for c in reasons)
    return diff, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated row counts")
    parser.add_argument("--engines", default="pandas,spark")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = [e.strip() for e in args.engines.split(",")]
    print("command: nice -n 10 python benchmarks/bench_score.py " + " ".join(sys.argv[1:]))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    tmp = Path(tempfile.mkdtemp(prefix="riskkit-bench-score-"))
    env = {**os.environ, "MLFLOW_TRACKING_URI": _register(tmp), "PYTHONPATH": str(REPO)}
    warm = tmp / "warm.parquet"
    _write_input(warm, 10_000)
    for engine in engines:
        _run(engine, warm, tmp / f"warm-{engine}.parquet", env)
    rows, agreement = [], None
    for size in sizes:
        source = tmp / f"in-{size}.parquet"
        t0 = time.perf_counter()
        _write_input(source, size)
        print(f"wrote {size:,} rows ({source.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s", flush=True)
        outs = {}
        for engine in engines:
            out = tmp / f"out-{size}-{engine}.parquet"
            rss: list[int] = []
            timing = measure(lambda e=engine, o=out, s=source, m=rss: m.append(_run(e, s, o, env)), repeats=1,
                             warmup=False)
            outs[engine] = out
            rows.append({"rows": f"{size:,}", "engine": engine + (" local[2]" if engine == "spark" else ""),
                         "processes": "1 + JVM (2 task slots)" if engine == "spark" else 1,
                         "wall s": f"{timing.wall_median:.1f}", "CPU s": f"{timing.cpu_median:.1f}",
                         "rows/s (wall)": f"{size / timing.wall_median:,.0f}",
                         "peak RSS MB": f"{rss[0] / 2**20:,.0f}" if engine == "pandas" else "driver only, n/a"})
            print(rows[-1], flush=True)
        if agreement is None and {"pandas", "spark"} <= set(outs):
            agreement = (size, *_agreement(outs["pandas"], outs["spark"]))
        source.unlink()
        for out in outs.values():
            subprocess.run(["rm", "-rf", str(out)], check=False)
    print()
    print(markdown(pd.DataFrame(rows)))
    if agreement is not None:
        print(f"\nagreement at {agreement[0]:,} rows: max |pd(pandas) - pd(spark)| = {agreement[1]:.1e}, "
              f"reason codes identical: {agreement[2]}")
    pandas_rss = [(r["rows"], r["peak RSS MB"]) for r in rows if r["engine"] == "pandas"]
    for size_label, mb in pandas_rss:
        ok = float(mb.replace(",", "")) * 2**20 < MEMORY_TARGET_BYTES
        print(f"pandas engine peak RSS at {size_label} rows: {mb} MB; target < 2 GB at 10M rows: "
              f"{verdict(ok) if size_label == '10,000,000' else 'not the target size'}")
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
