"""The validation report renders in a real headless browser (Debian's chromium), figures included,
with no console errors."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
from mlflow.tracking import MlflowClient

from riskkit.app import report, tracking

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]

# Never skipped: a missing browser fails the test (``.ci/run`` installs Debian's chromium), so the
# browser check cannot vanish silently from `make test`.


def _make_run(uri: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    import pandas as pd

    tracking.init_store()
    exp_id = tracking.ensure_experiment("report-browser")
    run = MlflowClient(uri).create_run(exp_id, run_name="browser")
    os.environ["MLFLOW_RUN_ID"] = run.info.run_id
    try:
        tracking.log_metrics({"auc_test": 0.81, "ks_test": 0.45})
        tracking.log_table(pd.DataFrame({"bin": ["<30", ">=30"], "woe": [0.4, -0.3]}), "tables/binning_age.csv")
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.fill_between([0, 1], [0, 1], color="tab:red")
        tracking.log_figure(fig, "figures/roc.png")
    finally:
        mlflow.end_run()
        os.environ.pop("MLFLOW_RUN_ID", None)
    return run.info.run_id


def test_report_renders_in_chromium(store: dict[str, str], tmp_path: Path) -> None:
    assert CHROMIUM is not None, "chromium is not installed: apt-get install chromium (.ci/run does this)"
    from riskkit.app.review import parse_gates

    run_id = _make_run(store["uri"])
    page = tmp_path / "report.html"
    page.write_text(report.build_report(run_id, parse_gates(["auc_test >= 0.75"])), encoding="utf-8")
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1200,2000"]
    done = subprocess.run([*base, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.is_file(), done.stderr[-2000:]
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    console = [line for line in (done.stderr + dom.stderr).splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    assert "Validation report: report-browser" in dom.stdout
    assert dom.stdout.count("data:image/png;base64") == 1
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)[..., :3]
    # the red ROC figure is painted (tab:red is about (0.84, 0.15, 0.16)), and so is the PASS cell
    red = (pixels[..., 0] > 0.7) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)
    assert red.sum() > 2000, "the embedded figure did not render"
    green_text = (pixels[..., 1] > 0.35) & (pixels[..., 0] < 0.2) & (pixels[..., 2] < 0.35)
    assert green_text.sum() > 10, "the gate result did not render"
    assert np.isfinite(pixels).all()
