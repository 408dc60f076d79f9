"""Self-contained HTML validation report of a run, for a validator who does not open the notebook.

Built from what the run logged and from the notebook's own text:

1. an executive summary with the overall verdict (gates and statistical tests) and the findings;
2. the model's purpose, data and limitations (the notebook's introduction and ``## Limitations``
   section, the data name, digest and sample sizes);
3. a comparison with the current champion of the registered model (headline metric deltas and a
   same-data check through the data digest);
4. gates, headline metrics and rejected tests highlighted; every metric once (an unsuffixed
   metric equal to its ``_99`` twin is not repeated);
5. every table under ``tables/`` with a real title, its first rows shown and the rest collapsed
   (never cut); texts under ``reports/`` (e.g. Hosmer-Lemeshow); every figure at the artifact root
   and under ``figures/``, embedded as base64 PNG so the file stands alone; the parameters.

The runner attaches it to each finished run as ``report/validation_report.html``;
``riskkit report RUN_ID`` writes it to a file.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit import __version__
from riskkit.app import tracking
from riskkit.app.describe import gate_results, headline_metrics

__all__ = ["REPORT_PATH", "build_report", "table_title"]

REPORT_PATH = "report/validation_report.html"
SHOWN_ROWS = 12  # rows of a table shown before the rest is collapsed
ALPHA = 0.05  # statistical tests are judged at 5%

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1rem;margin-bottom:.3rem} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0 1rem} th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f5f7} td:first-child,th:first-child{text-align:left}
.pass{background:#e6f4ea;color:#137333;font-weight:600} .fail{background:#fce8e6;color:#a50e0e;font-weight:600}
.warn{background:#fef7e0;color:#8a5300;font-weight:600}
tr.reject td{background:#fce8e6}
.verdict{font-size:1.2rem;padding:.5rem .8rem;display:inline-block;border-radius:4px}
.status-FINISHED{color:#137333} .status-FAILED{color:#a50e0e}
figure{margin:1rem 0} figure img{max-width:100%;border:1px solid #eee} figcaption{color:#555;font-size:.85rem}
.grid{display:grid;grid-template-columns:max-content auto;gap:2px 16px;font-size:.9rem}
details{margin:.2rem 0 1rem} summary{cursor:pointer;color:#1a5fb4}
pre{background:#f6f8fa;padding:.6rem;font-size:.8rem;overflow-x:auto}
"""

_TITLES = {
    "csi": "Characteristic stability index (CSI) by feature, train vs test",
    "score_psi": "Population stability index (PSI) of the score, train vs test",
    "ks_table_test": "KS table by score band (test)",
    "calibration_test": "Calibration by PD band (test)",
    "binning_tables": "WoE binning tables",
    "binning_summary": "Binning summary: information value (IV) by feature",
    "sparse_bins": "Bin sanity check: bins whose WoE rests on few bads or goods",
    "disparity": "Disparity across protected groups (approval rate, AUC, adverse impact ratio)",
    "points_table": "Scorecard points by bin",
    "scorecard_summary": "Scorecard summary",
    "feature_selection": "Feature selection (IV and correlation)",
    "reason_codes_sample": "Reason codes of the first test applicants",
    "feature_importance": "Feature importance (total gain)",
    "training_history": "Training history (validation loss by round)",
    "mean_abs_contributions": "Mean absolute SHAP contribution by feature (test)",
    "backtests": "VaR backtests by level",
    "hosmer_lemeshow_test": "Hosmer-Lemeshow goodness of fit (test)",
    "roc": "ROC curve, train and test",
    "ks_curve": "KS curve (test)",
    "score_distribution": "Score distribution by outcome (test)",
    "calibration": "Calibration: predicted vs observed bad rate (test)",
    "woe_bars": "WoE by bin of the strongest features",
}
_ACRONYMS = {"csi", "psi", "ks", "roc", "auc", "var", "es", "iv", "woe", "pd", "hl", "shap", "dq", "cc"}


def table_title(stem: str) -> str:
    """A human title for an artifact name (``csi`` -> "Characteristic stability index (CSI) ...").

    Known names have a written title; others are spelled out with acronyms in capitals and level
    suffixes as percentages (``var_backtest_99`` -> "VaR backtest 99%").

    Parameters
    ----------
    stem : str
        The artifact's file name without extension.

    Returns
    -------
    str
    """
    if stem in _TITLES:
        return _TITLES[stem]
    words = []
    for word in stem.split("_"):
        if word == "var":
            words.append("VaR")
        elif word.lower() in _ACRONYMS:
            words.append(word.upper())
        elif re.fullmatch(r"9\d(\d*)", word):
            words.append(f"{word[:2]}{'.' + word[2:] if len(word) > 2 else ''}%")
        else:
            words.append(word)
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _frame_html(frame: pd.DataFrame, *, shown: int = SHOWN_ROWS, reject_rows: Iterable[int] = ()) -> str:
    """The first ``shown`` rows as a table and every row in a collapsed section (never cut)."""
    frame = frame.rename(columns=lambda c: "" if str(c).startswith("Unnamed: ") else c)
    rejected = set(reject_rows)

    def render(part: pd.DataFrame, offset: int) -> str:
        head = "".join(f"<th>{_esc(c)}</th>" for c in part.columns)
        body = []
        for i, row in enumerate(part.itertuples(index=False)):
            css = " class='reject'" if offset + i in rejected else ""
            body.append(f"<tr{css}>" + "".join(f"<td>{_esc(_fmt(v))}</td>" for v in row) + "</tr>")
        return f"<table><tr>{head}</tr>{''.join(body)}</table>"

    if len(frame) <= shown:
        return render(frame, 0)
    if shown == 0:
        return f"<details><summary>show all {len(frame)} rows</summary>{render(frame, 0)}</details>"
    return (render(frame.head(shown), 0)
            + f"<details><summary>show all {len(frame)} rows</summary>{render(frame, 0)}</details>")


def _download(run_id: str, folder: str, dest: Path) -> list[Path]:
    import mlflow  # lazy: mlflow takes ~1.5 s to import; paid only when a store is used

    names = {a.path for a in tracking.client().list_artifacts(run_id, folder or None)}
    if not names:
        return []
    with tracking.quiet():
        if folder:
            local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=folder, dst_path=str(dest),
                                                             tracking_uri=tracking.tracking_uri()))
            return sorted(p for p in local.rglob("*") if p.is_file())
        # the artifact root: only its own files (headline figures), not the folders below it
        files = [a.path for a in tracking.client().list_artifacts(run_id) if not a.is_dir]
        return [Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=f, dst_path=str(dest),
                                                         tracking_uri=tracking.tracking_uri())) for f in files]


def _dedupe(metrics: Mapping[str, float]) -> dict[str, float]:
    """Drop an unsuffixed metric equal to a level-suffixed twin (``hit_rate`` == ``hit_rate_99``)."""
    out = {}
    for name, value in metrics.items():
        twins = [m for m in metrics if re.fullmatch(re.escape(name) + r"_\d{2,3}", m)]
        if any(metrics[t] == value or (math.isnan(metrics[t]) and math.isnan(value)) for t in twins):
            continue
        out[name] = value
    return out


def _rejected_tests(metrics: Mapping[str, float]) -> list[tuple[str, float]]:
    return [(m, v) for m, v in metrics.items() if "pvalue" in m and not math.isnan(v) and v < ALPHA]


def _notebook_sections(tags: Mapping[str, str]) -> tuple[str, str]:
    """The notebook's introduction (first markdown cell) and its ``## Limitations`` text."""
    source = tags.get("mlflow.source.name", "")
    path = Path(source) if Path(source).is_absolute() else tracking.project_root() / source
    if not source or not path.is_file():
        return "", ""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return "", ""
    texts = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
             for c in cells if c.get("cell_type") == "markdown"]
    intro = texts[0] if texts else ""
    limits = next((t.split("\n", 1)[1] if "\n" in t else "" for t in texts if t.lower().startswith("## limitations")), "")
    return intro, limits


def _markdown_html(text: str) -> str:
    """Just enough Markdown for notebook prose: paragraphs, headings dropped, **bold** and `code`."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.startswith("#"):
            block = block.split("\n", 1)[1] if "\n" in block else ""
        if not block.strip():
            continue
        escaped = _esc(block.strip())
        escaped = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)
        escaped = re.sub(r"`(.+?)`", r"<code>\1</code>", escaped)
        out.append(f"<p>{escaped}</p>")
    return "".join(out)


def _champion(client: Any, run: Any, experiment_name: str) -> tuple[str, Any] | None:
    """(model name, champion run) of the registered model this run belongs to, when there is one."""
    tag = run.data.tags.get("riskkit.model_version", "")
    names = [tag.split("/")[0]] if tag else []
    names.append(experiment_name)
    for name in dict.fromkeys(names):
        try:
            version = client.get_model_version_by_alias(name, "champion")
        except Exception:  # no such model or no champion yet
            continue
        try:
            return name, client.get_run(version.run_id)
        except Exception:  # the champion's run was deleted
            return None
    return None


def _champion_html(client: Any, run: Any, experiment_name: str, headline: list[str]) -> str:
    found = _champion(client, run, experiment_name)
    if found is None:
        return "<p class='sub'>No champion is registered for this model yet; this run is compared with nothing.</p>"
    name, champ = found
    if champ.info.run_id == run.info.run_id:
        return f"<p>This run is the current champion of <b>{_esc(name)}</b>.</p>"
    mine, theirs = run.data.tags.get("data_digest"), champ.data.tags.get("data_digest")
    if mine and theirs and mine == theirs:
        same = "<span class='pass'>same data</span> (data digest " + _esc(mine) + ")"
    elif mine and theirs:
        same = (f"<span class='warn'>different data</span> (digest {_esc(mine)} here, {_esc(theirs)} for the champion): "
                "metric deltas mix model and data changes")
    else:
        same = "<span class='warn'>data digest not recorded</span> for one of the runs"
    rows = []
    for m in headline:
        a, b = run.data.metrics.get(m), champ.data.metrics.get(m)
        delta = "" if a is None or b is None else f"{a - b:+.4g}"
        rows.append(f"<tr><td>{_esc(m)}</td><td>{_esc(_fmt(a) if a is not None else '')}</td>"
                    f"<td>{_esc(_fmt(b) if b is not None else '')}</td><td>{_esc(delta)}</td></tr>")
    return (f"<p>Champion of <b>{_esc(name)}</b>: run {_esc(champ.info.run_name)} ({_esc(champ.info.run_id[:12])}); "
            f"{same}.</p><table><tr><th>metric</th><th>this run</th><th>champion</th><th>difference</th></tr>"
            + "".join(rows) + "</table>")


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
    all_metrics = dict(sorted(run.data.metrics.items()))
    metrics = _dedupe(all_metrics)
    headline = headline_metrics(metrics)
    gate_list = list(gates)
    results = gate_results(all_metrics, gate_list)
    rejected = _rejected_tests(metrics)

    with tempfile.TemporaryDirectory() as tmp:
        tables = [p for p in _download(run_id, "tables", Path(tmp) / "t") if p.suffix == ".csv"]
        texts = [p for p in _download(run_id, "reports", Path(tmp) / "r") if p.suffix == ".txt"]
        images = {".png", ".jpg", ".jpeg"}
        figures = [p for p in _download(run_id, "", Path(tmp) / "root") if p.suffix in images]
        figures += [p for p in _download(run_id, "figures", Path(tmp) / "f") if p.suffix in images]
        findings = next((p.read_text().splitlines() for p in texts if p.stem == "findings"), [])
        findings = [f for f in findings if f.strip()]
        test_tables: list[tuple[str, pd.DataFrame, list[int]]] = []
        for path in tables:
            frame = pd.read_csv(path)
            verdicts = [c for c in frame.columns if c.startswith("verdict")]
            bad = [i for i, v in enumerate(frame[verdicts[0]]) if str(v) == "reject"] if verdicts else []
            if "flag" in frame.columns:
                bad = [i for i, v in enumerate(frame["flag"]) if str(v) == "adverse impact"]
            if path.stem == "sparse_bins":
                bad = list(range(len(frame)))
            test_tables.append((path.stem, frame, bad))
        rejected_rows = sum(len(b) for _, _, b in test_tables)

        failed_gates = [g for g, _, ok in results if not ok]
        if failed_gates:
            verdict, css = f"FAIL: {len(failed_gates)} of {len(results)} gates fail", "fail"
        elif rejected or rejected_rows or findings:
            verdict, css = "PASS WITH FINDINGS: gates pass, see the findings below", "warn"
        else:
            verdict, css = ("PASS: all gates pass and no statistical test rejects" if results
                            else "NO GATES: no test rejects, but the experiment file defines no gates"), "pass" if results else "warn"
        summary_items = [f"<li>gate <b>{_esc(g)}</b> fails (value {_esc(v)})</li>" for g, v, ok in results if not ok]
        summary_items += [f"<li>statistical test rejects at {ALPHA:.0%}: <b>{_esc(m)}</b> = {v:.3g}</li>" for m, v in rejected]
        summary_items += [f"<li>{_esc(f)}</li>" for f in findings]
        for stem, frame, bad in test_tables:
            for i in bad:
                label = " / ".join(_esc(_fmt(v)) for v in frame.iloc[i, :2])
                summary_items.append(f"<li>{_esc(table_title(stem))}: <b>{label}</b> highlighted below</li>")
        intro, limitations = _notebook_sections(tags)

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
        for key in ("n_train", "n_test", "bad_rate_train", "bad_rate_test", "n_rows", "n_obs_99", "n_obs"):
            if key in all_metrics:
                facts[key.replace("_", " ")] = _fmt(all_metrics[key])
        if "traffic_light_zone" in tags:
            facts["traffic light"] = tags["traffic_light_zone"]
        if "riskkit.model_version" in tags:
            facts["model version"] = tags["riskkit.model_version"]

        parts = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>Validation report: {_esc(experiment)} / {_esc(run.info.run_name)}</title><style>{_CSS}</style></head><body>",
            f"<h1>Validation report: {_esc(experiment)}</h1><p class='sub'>{_esc(run.info.run_name)}</p>",
            "<h2>Executive summary</h2>",
            f"<p class='verdict {css}'>{_esc(verdict)}</p>",
            "<ul>" + ("".join(summary_items) or "<li>No gate fails, no test rejects, no finding.</li>") + "</ul>",
            "<div class='grid'>" + "".join(f"<b>{_esc(k)}</b><span>{_esc(v)}</span>" for k, v in facts.items()) + "</div>",
            "<h2>Purpose and data</h2>", _markdown_html(intro) or "<p class='sub'>The notebook states no purpose.</p>",
            "<h2>Limitations</h2>",
            _markdown_html(limitations) or "<p class='sub'>The notebook has no Limitations section.</p>",
            "<h2>Comparison with the current champion</h2>", _champion_html(client, run, experiment, headline),
            "<h2>Gates</h2>",
        ]
        if results:
            parts.append("<table><tr><th>gate</th><th>value</th><th>result</th></tr>" + "".join(
                f"<tr><td>{_esc(g)}</td><td>{_esc(v)}</td><td class='{'pass' if ok else 'fail'}'>{'PASS' if ok else 'FAIL'}</td></tr>"
                for g, v, ok in results) + "</table>")
        else:
            parts.append("<p class='sub'>The experiment file defines no gates.</p>")
        parts.append("<h2>Headline metrics</h2>")
        parts.append(_frame_html(pd.DataFrame({"metric": headline, "value": [metrics[m] for m in headline]}), shown=50))
        names = list(metrics)
        parts.append("<h3>All metrics</h3>")
        parts.append(_frame_html(pd.DataFrame({"metric": names, "value": [metrics[m] for m in names]}), shown=0,
                                 reject_rows=[i for i, m in enumerate(names) if (m, metrics[m]) in rejected]))
        for path in texts:
            if path.stem == "findings":
                continue
            parts.append(f"<h3>{_esc(table_title(path.stem))}</h3><pre>{_esc(path.read_text())}</pre>")
        if test_tables:
            parts.append("<h2>Tables</h2>")
            for stem, frame, bad in test_tables:
                parts.append(f"<h3>{_esc(table_title(stem))}</h3>" + _frame_html(frame, reject_rows=bad))
        if figures:
            parts.append("<h2>Figures</h2>")
            for path in figures:
                mime = "image/png" if path.suffix == ".png" else "image/jpeg"
                data = base64.b64encode(path.read_bytes()).decode("ascii")
                title = _esc(table_title(path.stem))
                parts.append(f"<figure><img alt='{title}' src='data:{mime};base64,{data}'><figcaption>{title}</figcaption></figure>")
    params = run.data.params
    parts.append("<h2>Parameters</h2>")
    parts.append(_frame_html(pd.DataFrame({"parameter": list(params), "value": list(params.values())}), shown=0))
    parts.append("</body></html>")
    return "\n".join(parts)
