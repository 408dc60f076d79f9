"""Every experiment file runs end to end through the runner, and runs of one family are comparable.

The experiments run once per session into a temp store (in the order ``make run`` uses, so the
early-warning notebook finds the model runs), then each test inspects the result.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import REPO, run_cli, write_experiment

# One worker runs the whole module: the experiments run once, in a module fixture (under xdist each
# worker would otherwise build its own copy of the fixture and run every notebook again).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("notebooks")]

# make run's order: models first, early warning reads their latest runs.
ORDER = ["data_profile", "credit_scorecard", "credit_xgboost", "credit_scorecard_grid", "market_var",
         "market_var_grid", "risk_register", "portfolio_monitoring", "early_warning"]
EXPERIMENT_FILES = sorted((REPO / "experiments").glob("*.yaml"), key=lambda p: (
    ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))
# Notebooks of a family log the same metric names, so reviewers can compare them side by side.
FAMILIES = {
    "credit": ["credit-scorecard", "credit-xgboost", "credit-scorecard-grid"],
    "market": ["market-var", "market-var-grid"],
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("notebooks")
    home = tmp / "home"
    home.mkdir()
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}", "RISKKIT_HOME": str(home)}
    # The model experiments do not depend on each other: run them three at a time (each is a
    # separate `riskkit run`, as cron would start them); the early warning reads their latest runs,
    # so it runs last, alone. The store is created first so the parallel starts share it.
    from concurrent.futures import ThreadPoolExecutor

    last = [p for p in EXPERIMENT_FILES if p.stem == "early_warning"]
    first = [p for p in EXPERIMENT_FILES if p not in last]
    outputs = {}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {p.stem: pool.submit(run_cli, "run", str(p), "--parallel", "2", *_first_point(p), env=env,
                                       timeout=1500)
                   for p in first}
        outputs.update({stem: f.result() for stem, f in futures.items()})
    for path in last:
        outputs[path.stem] = run_cli("run", str(path), env=env, timeout=1200)
    return {"uri": env["MLFLOW_TRACKING_URI"], "home": home, "outputs": outputs}


def _first_point(path: Path) -> list[str]:
    """``-p axis=value`` pinning each grid axis of an experiment file to its first value.

    A grid file runs one point here: every point runs the notebook its single-run sibling also
    runs, with parameters the notebook tests cover; grid expansion, overrides and parallel points
    are tested in tests/app/test_pipeline.py, and ``test_grid_files_expand`` checks each grid.
    Running every point would add 7 runs (about two CPU-minutes) to the suite.
    """
    import json

    import yaml

    grid = yaml.safe_load(path.read_text()).get("grid") or {}
    return [arg for axis, values in grid.items() for arg in ("-p", f"{axis}={json.dumps(values[0])}")]


def test_grid_files_expand() -> None:
    """Every grid file expands to its full product of points, each with a distinct name."""
    import math

    from riskkit.app.pipeline import load_experiment

    for path in EXPERIMENT_FILES:
        experiment = load_experiment(path)
        if not experiment.grid:
            continue
        specs = experiment.runs({})
        assert len(specs) == math.prod(len(v) for v in experiment.grid.values()) > 1, path.stem
        assert len({s.name for s in specs}) == len(specs), path.stem


def _runs(uri: str, name: str) -> list:
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(name)
    assert exp is not None, f"no experiment {name!r}"
    return client.search_runs([exp.experiment_id])


@pytest.mark.parametrize("path", EXPERIMENT_FILES, ids=lambda p: p.stem)
def test_experiment_runs_finished(executed: dict, path: Path) -> None:
    import yaml

    result = executed["outputs"][path.stem]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # a cron log gets the runner's lines, not libraries' warnings (nbformat's missing cell id,
    # nbconvert's missing alt text); riskkit's own log records name their logger
    noise = [line for line in result.stderr.splitlines() if line.strip() and " riskkit." not in line]
    assert not noise, f"{path.stem}: the run's stderr carries library warnings: {noise[:4]}"
    name = yaml.safe_load(path.read_text())["experiment"]
    runs = _runs(executed["uri"], name)
    assert runs and all(r.info.status == "FINISHED" for r in runs)
    client = MlflowClient(executed["uri"])
    for run in runs:
        assert run.data.metrics, f"{path.stem}: a run logged no metric"
        paths = {a.path for a in client.list_artifacts(run.info.run_id, "notebook")}
        assert any(p.endswith(".html") for p in paths)
        assert "report/validation_report.html" in {a.path for a in client.list_artifacts(run.info.run_id, "report")}
        assert "riskkit.report_error" not in run.data.tags, run.data.tags.get("riskkit.report_error")


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_logs_the_same_metric_names(executed: dict, family: str) -> None:
    names = {}
    for experiment in FAMILIES[family]:
        for run in _runs(executed["uri"], experiment):
            names[f"{experiment}/{run.info.run_name}"] = frozenset(run.data.metrics)
    reference_key, reference = next(iter(names.items()))
    for key, metrics in names.items():
        assert metrics == reference, (
            f"{key} differs from {reference_key}: only in {key}: {sorted(metrics - reference)}, "
            f"missing: {sorted(reference - metrics)}"
        )


def test_comparable_runs_record_provenance(executed: dict) -> None:
    for experiment in ("credit-scorecard", "credit-xgboost", "market-var"):
        for run in _runs(executed["uri"], experiment):
            tags = run.data.tags
            for tag in ("data_digest", "riskkit.git_commit", "riskkit.git_dirty", "riskkit.version"):
                assert tags.get(tag), f"{experiment}: missing tag {tag}"
            assert run.inputs.dataset_inputs, f"{experiment}: no mlflow.log_input dataset"


def test_credit_models_are_registered(executed: dict) -> None:
    client = MlflowClient(executed["uri"])
    for experiment in ("credit-scorecard", "credit-xgboost"):
        (run,) = _runs(executed["uri"], experiment)
        assert run.data.tags.get("riskkit.model_version", "").startswith(experiment + "/"), run.data.tags
    assert client.search_model_versions("name='credit-scorecard'")


def test_logged_metrics_are_sensible(executed: dict) -> None:
    """Values, not just names: the default runs must land where the outside world says they should.

    Credit (German credit, 1,000 applicants, 300 bads): published out-of-sample AUCs lie between
    about 0.72 and 0.82 (e.g. Lessmann et al. 2015, EJOR 247(1), benchmark of 41 classifiers); the
    band [0.70, 0.86] allows for one 30% split's sampling error (sd of AUC about 0.03 at n=300).
    Gini = 2*AUC - 1 exactly. Market: with a correct model, exceptions are Binomial(n, alpha); the
    hit rate must lie inside the two-sided 99.9% binomial band for the logged n_obs (scipy).
    """
    from scipy import stats

    for experiment in ("credit-scorecard", "credit-xgboost"):
        for run in _runs(executed["uri"], experiment):
            m = run.data.metrics
            assert 0.70 <= m["auc_test"] <= 0.86, (experiment, m["auc_test"])
            assert abs(m["gini_test"] - (2 * m["auc_test"] - 1)) < 1e-9
            assert 0.25 <= m["ks_test"] <= 0.65, (experiment, m["ks_test"])
            assert 0.0 <= m["psi_train_test"] <= 0.25, (experiment, m["psi_train_test"])
    for run in _runs(executed["uri"], "market-var"):
        m = run.data.metrics
        checked = 0
        for name, alpha in m.items():
            if not name.startswith("expected_rate_"):
                continue
            sfx = name[len("expected_rate"):]
            n = int(m["n_obs" + sfx])
            lo, hi = stats.binom.ppf([0.0005, 0.9995], n, alpha) / n
            assert lo <= m["hit_rate" + sfx] <= hi, (sfx, m["hit_rate" + sfx], lo, hi)
            assert m["n_exceptions" + sfx] == round(m["hit_rate" + sfx] * n)
            checked += 1
        assert checked >= 2, "market-var logged no per-level backtest"


# --------------------------------------------------------------------------- what people see
def _executed_notebooks(executed: dict, stem: str) -> list[Path]:
    """The executed notebooks of an experiment file (runs/<experiment>/<stamp>_<name>_<run id>.ipynb)."""
    experiment = yaml_experiment(REPO / "experiments" / f"{stem}.yaml")
    found = sorted(Path(executed["home"], "runs", experiment).glob("*.ipynb"))
    assert found, f"no executed notebook of {stem} under {executed['home']}/runs/{experiment}"
    return found


def _outputs(path: Path) -> list[dict]:
    import json

    return [o for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


@pytest.mark.parametrize("path", EXPERIMENT_FILES, ids=lambda p: p.stem)
def test_executed_notebooks_show_every_figure_and_no_stderr(executed: dict, path: Path) -> None:
    """Each figure a run logs is also shown in its executed notebook (image/png) and its HTML, and
    nothing lands on stderr (no warnings, no progress bars, no MLflow chatter)."""
    client = MlflowClient(executed["uri"])
    stderr_seen = []
    for notebook in _executed_notebooks(executed, path.stem):
        outputs = _outputs(notebook)
        stderr = [o.get("text") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        stderr_seen += [f"{notebook.name}: {''.join(t) if isinstance(t, list) else t}" for t in stderr]
        images = sum("image/png" in o.get("data", {}) for o in outputs)
        run_id_prefix = notebook.stem.rsplit("_", 1)[-1]
        (run,) = [r for r in _runs(executed["uri"], yaml_experiment(path)) if r.info.run_id.startswith(run_id_prefix)]
        logged = [a.path for folder in (None, "figures") for a in client.list_artifacts(run.info.run_id, folder)
                  if a.path.endswith(".png")]
        assert images >= len(logged), f"{notebook.name}: {images} images shown, {len(logged)} figures logged"
        html = notebook.with_suffix(".html")
        if html.is_file():
            assert html.read_text().count("data:image/png;base64") >= images
    assert stderr_seen == [], f"stderr output in executed notebooks: {stderr_seen[:3]}"


def yaml_experiment(path: Path) -> str:
    import yaml

    return str(yaml.safe_load(path.read_text())["experiment"])


def test_figure_making_notebooks_have_images(executed: dict) -> None:
    for stem in ("credit_scorecard", "credit_xgboost", "market_var", "data_profile", "risk_register", "early_warning"):
        for notebook in _executed_notebooks(executed, stem):
            images = sum("image/png" in o.get("data", {}) for o in _outputs(notebook))
            assert images > 0, f"{notebook.name} shows no figure"


def test_runs_carry_descriptions_and_headline_figures_at_the_root(executed: dict) -> None:
    client = MlflowClient(executed["uri"])
    for experiment, figures in (("credit-scorecard", {"roc.png", "score_distribution.png", "calibration.png"}),
                                ("credit-xgboost", {"roc.png", "score_distribution.png", "calibration.png"}),
                                ("market-var", {"var_backtest_99.png", "exception_count_99.png"})):
        for run in _runs(executed["uri"], experiment):
            root = {a.path for a in client.list_artifacts(run.info.run_id)}
            assert figures <= root, f"{experiment}: root artifacts {sorted(root)}"
            note = run.data.tags.get("mlflow.note.content", "")
            assert "Headline metrics:" in note and "Gates:" in note, note
            assert "features_selected" not in run.data.params
    version = client.get_model_version("credit-scorecard", "1")
    assert version.tags.get("gates") in {"PASS", "FAIL"} and version.tags.get("data_digest")
    assert "Headline metrics:" in version.description


def test_default_credit_models_are_fair_by_construction(executed: dict) -> None:
    """The default credit runs use no protected attribute as a feature, and their validation
    report carries the disparity table across the protected groups (issue: fair defaults)."""
    import mlflow

    from riskkit.credit.fairness import GERMAN_CREDIT_PROTECTED

    mlflow.set_tracking_uri(executed["uri"])
    for experiment in ("credit-scorecard", "credit-xgboost"):
        for run in _runs(executed["uri"], experiment):
            used = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/features_selected.json")["features"]
            assert used and not set(used) & set(GERMAN_CREDIT_PROTECTED), (experiment, used)
            page = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id,
                                                            artifact_path="report/validation_report.html"))
            assert "Disparity across protected groups" in page.read_text(), experiment


def test_market_report_highlights_rejections_and_lists_each_metric_once(executed: dict) -> None:
    import mlflow

    (run,) = _runs(executed["uri"], "market-var")
    mlflow.set_tracking_uri(executed["uri"])
    page = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="report/validation_report.html"))
    text = page.read_text()
    assert "Executive summary" in text and "traffic_light_zone_code_99 &lt;= 1" in text
    assert "<td>hit_rate</td>" not in text and "<td>hit_rate_99</td>" in text
    if any(k.endswith("pvalue_95") and v < 0.05 for k, v in run.data.metrics.items()):
        assert "statistical test rejects" in text and "<tr class='reject'>" in text


def test_the_run_ends_with_alerts_in_the_ledger_and_the_risk_report_attached(executed: dict) -> None:
    """`make run`'s promise: the early warning read the monitoring run of the simulated book at its
    default month (2024-12, eleven months after the documented drift of 2024-01), graded its
    indicators with their monthly history, left red alerts in the ledger, and the monthly risk
    report is attached to the monitoring run."""
    from riskkit.app.alerts import AlertLedger

    (monitoring,) = _runs(executed["uri"], "portfolio-monitoring")
    (warning,) = _runs(executed["uri"], "early-warning")
    m = warning.data.metrics
    assert m["n_missing_indicators"] == 0 and m["n_history_months"] >= 24
    assert m["value.dq30_rate"] == monitoring.data.metrics["monitoring.dq30_rate"]
    assert m["n_alerts_red"] >= 1 and m["level_code.score_psi_new"] == 4  # the drift's PSI jump, graded red
    ledger = AlertLedger(Path(warning.data.tags["ledger_path"]), create=False).alerts()
    assert "red" in set(ledger["level"]) and "score_psi_new" in set(ledger["indicator"])
    client = MlflowClient(executed["uri"])
    assert "report/risk_report.html" in {a.path for a in client.list_artifacts(monitoring.info.run_id, "report")}
    assert warning.data.tags["risk_report_month"] == monitoring.data.tags["snapshot_month"] == "2024-12"


def test_portfolio_monitoring_sees_the_documented_drift(executed: dict, store: dict[str, str],
                                                        tmp_path: Path) -> None:
    """The monthly monitoring run of the suite (snapshot 2024-12, after the simulated book's drift
    from 2024-01) against one run before the drift (2023-12) on the same book."""
    from riskkit.monitoring import INDICATORS

    (after_run,) = _runs(executed["uri"], "portfolio-monitoring")
    assert after_run.data.tags["snapshot_month"] == "2024-12"
    exp = write_experiment(tmp_path / "pm.yaml", experiment="portfolio-monitoring-before",
                           notebook=str(REPO / "notebooks" / "portfolio_monitoring.ipynb"),
                           parameters={"n_loans": 6000, "seed": 0, "month": "2023-12"})
    result = run_cli("run", str(exp))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (before_run,) = _runs(store["uri"], "portfolio-monitoring-before")
    before, after = before_run.data.metrics, after_run.data.metrics
    for name in INDICATORS:
        assert f"monitoring.{name}" in after
    # the history is logged month by month: 48 months minus the 6 seasoning months
    client = MlflowClient(executed["uri"])
    history = client.get_metric_history(after_run.info.run_id, "monitoring.score_psi_new")
    assert len(history) == 42 and max(m.step for m in history) == 41
    # the documented drift: new bookings shifted (red after it, not before), calibration and warnings measured
    assert before["level_code.score_psi_new"] < 4 <= after["level_code.score_psi_new"]
    assert after["monitoring.score_psi_new"] > 0.25 > before["monitoring.score_psi_new"]
    assert after["max_level_code"] == 4
    for key in ("auc_cohort_latest", "n_grades_rejected", "approval_rate_new", "mean_rate_new", "hhi_region",
                "n_limit_breaches", "expected_loss_rate", "warn_lead_time", "warn_hit_rate", "n_loss_months"):
        assert key in after, key
    assert 0.5 < after["auc_cohort_latest"] <= 1.0
    artifacts = {a.path for a in client.list_artifacts(after_run.info.run_id, "figures")}
    assert {"figures/vintage_30plus.png", "figures/roll_rates.png", "figures/stability.png",
            "figures/cohort_performance.png", "figures/calibration_by_grade.png", "figures/concentration.png",
            "figures/control_chart_roll_current_to_1_29_young.png", "figures/control_chart_roll_young_excess.png"} <= artifacts


def test_risk_register_run_grades_the_bundled_register(executed: dict) -> None:
    """The risk-register run of the suite (data/risk_register.csv): 20 risks, the controls lower the
    scores, and the heat maps are logged."""
    (run,) = _runs(executed["uri"], "risk-register")
    m = run.data.metrics
    assert m["n_risks"] == 20 and m["n_critical_inherent"] == 2 and m["n_critical_residual"] == 0
    assert m["mean_residual_score"] < m["mean_inherent_score"]
    names = {a.path for a in MlflowClient(executed["uri"]).list_artifacts(run.info.run_id, "figures")}
    assert {"figures/heatmap_inherent.png", "figures/heatmap_residual.png", "figures/residual_vs_inherent.png"} <= names
