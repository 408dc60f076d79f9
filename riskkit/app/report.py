"""Self-contained HTML validation report of a run, for reviewers who do not open the notebook.

Built from what the run logged: its metrics, parameters and key tags, the gate results from its
experiment file, every table under ``tables/`` and every figure under ``figures/`` (embedded as
base64 PNG, so the file stands alone). The runner attaches it to each finished run as
``report/validation_report.html``; ``riskkit report RUN_ID`` writes it to a file.
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Iterable
import os
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit import __version__
from riskkit.app import tracking
from riskkit.app.gates import check_gates
from riskkit.exceptions import ConfigError

__all__ = ["REPORT_PATH", "build_report"]

REPORT_PATH = "report/validation_report.html"
_MAX_ROWS = 40

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1rem;margin-bottom:.3rem} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0 1rem} th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f5f7} td:first-child,th:first-child{text-align:left}
.pass{background:#e6f4ea;color:#137333;font-weight:600} .fail{background:#fce8e6;color:#a50e0e;font-weight:600}
.status-FINISHED{color:#137333} .status-FAILED{color:#a50e0e}
figure{margin:1rem 0} figure img{max-width:100%;border:1px solid #eee} figcaption{color:#555;font-size:.85rem}
.grid{display:grid;grid-template-columns:max-content auto;gap:2px 16px;font-size:.9rem}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _frame_html(frame: pd.DataFrame, max_rows: int = _MAX_ROWS) -> str:
    frame = frame.rename(columns=lambda c: "" if str(c).startswith("Unnamed: ") else c)
    shown = frame.head(max_rows)
    note = f"<p class='sub'>first {max_rows} of {len(frame)} rows</p>" if len(frame) > max_rows else ""
    return shown.to_html(index=False, border=0, na_rep="", float_format=lambda x: f"{x:.4g}", escape=True) + note


def _title(path: Path) -> str:
    return path.stem.replace("_", " ").capitalize()


def _gates_html(gates: Iterable[Any], metrics: dict[str, float]) -> str:
    rows = []
    for gate in gates:
        try:
            (result,) = check_gates(metrics, [gate])
            value, ok = f"{result.value:.6g}", result.passed
        except ConfigError:
            value, ok = "metric not logged", False
        css = "pass" if ok else "fail"
        rows.append(f"<tr><td>{_esc(gate)}</td><td>{_esc(value)}</td><td class='{css}'>{'PASS' if ok else 'FAIL'}</td></tr>")
    if not rows:
        return "<p class='sub'>The experiment file defines no gates.</p>"
    return "<table><tr><th>gate</th><th>value</th><th>result</th></tr>" + "".join(rows) + "</table>"


def _download(run_id: str, folder: str, dest: Path) -> list[Path]:
    import mlflow  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    names = {a.path for a in tracking.client().list_artifacts(run_id, folder)}
    if not names:
        return []
    local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=folder, dst_path=str(dest),
                                                     tracking_uri=tracking.tracking_uri()))
    return sorted(p for p in local.rglob("*") if p.is_file())


def build_report(run_id: str, gates: Iterable[Any] = ()) -> str:
    """The HTML report of a run (a complete document with inline CSS and images).

    Parameters
    ----------
    run_id : str
        The MLflow run.
    gates : iterable of Gate, default ()
        Gates shown with their verdicts on the run's metrics.

    Returns
    -------
    str
        The HTML document: facts, gates, metrics, tables and figures of the run.

    Raises
    ------
    mlflow.exceptions.MlflowException
        When the run does not exist or the store cannot be read.
    """
    client = tracking.client()
    run = client.get_run(run_id)
    experiment = client.get_experiment(run.info.experiment_id).name
    tags = run.data.tags
    metrics = dict(sorted(run.data.metrics.items()))
    facts = {
        "experiment": experiment,
        "run": f"{run.info.run_name} ({run_id})",
        "status": run.info.status,
        "started": pd.Timestamp(run.info.start_time, unit="ms").strftime("%Y-%m-%d %H:%M:%S UTC"),
        "notebook": tags.get("riskkit.notebook", ""),
        "git commit": tags.get("riskkit.git_commit", "") + (" (dirty tree)" if tags.get("riskkit.git_dirty") == "true" else ""),
        "riskkit version": tags.get("riskkit.version", __version__),
        "data": f"{tags.get('data_name', '')} digest {tags.get('data_digest', 'not recorded')}",
    }
    if "traffic_light_zone" in tags:
        facts["traffic light"] = tags["traffic_light_zone"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Validation report: {_esc(experiment)} / {_esc(run.info.run_name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Validation report: {_esc(experiment)}</h1><p class='sub'>{_esc(run.info.run_name)}</p>",
        "<div class='grid'>" + "".join(f"<b>{_esc(k)}</b><span>{_esc(v)}</span>" for k, v in facts.items()) + "</div>",
        "<h2>Gates</h2>", _gates_html(gates, metrics),
        "<h2>Metrics</h2>",
        _frame_html(pd.DataFrame({"metric": list(metrics), "value": list(metrics.values())}), max_rows=10_000),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tables = [p for p in _download(run_id, "tables", Path(tmp)) if p.suffix == ".csv"]
        figures = [p for p in _download(run_id, "figures", Path(tmp)) if p.suffix in {".png", ".jpg", ".jpeg"}]
        if tables:
            parts.append("<h2>Tables</h2>")
            for path in tables:
                parts.append(f"<h3>{_esc(_title(path))}</h3>" + _frame_html(pd.read_csv(path)))
        if figures:
            parts.append("<h2>Figures</h2>")
            for path in figures:
                mime = "image/png" if path.suffix == ".png" else "image/jpeg"
                data = base64.b64encode(path.read_bytes()).decode("ascii")
                parts.append(f"<figure><img alt='{_esc(_title(path))}' src='data:{mime};base64,{data}'>"
                             f"<figcaption>{_esc(_title(path))}</figcaption></figure>")
    params = run.data.params
    parts.append("<h2>Parameters</h2>")
    parts.append(_frame_html(pd.DataFrame({"parameter": list(params), "value": list(params.values())}), max_rows=10_000))
    parts.append("</body></html>")
    return "\n".join(parts)
