"""What a reviewer sees: run names that say what differs, descriptions with headline metrics and
gate results, model versions that carry them, short run ids, a runs table that fits 120 columns
with the champion marked, timestamped progress lines, and a validation report a validator can sign."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from riskkit.app import describe, report, review, tracking
from riskkit.app.experiments import load_experiment
from riskkit.app.gates import parse_gates
from riskkit.app.pipeline._progress import Progress
from riskkit.cli import main
from riskkit.credit.validation import HEADLINE_METRICS as CREDIT_HEADLINE
from riskkit.exceptions import TrackingError
from tests.conftest import REPO, write_experiment

# One worker runs the module: its server / runs are built once in a shared fixture.
pytestmark = pytest.mark.xdist_group("reviewer_view")

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


# --------------------------------------------------------------------------- names and descriptions
def test_run_names_carry_the_notebook_and_what_differs(tmp_path: Path) -> None:
    exp = load_experiment(REPO / "experiments" / "credit_scorecard.yaml")
    assert [s.name for s in exp.runs({"test_size": 0.25, "seed": 7})] == ["credit_scorecard seed=7 test_size=0.25"]
    assert [s.name for s in exp.runs({"seed": 42})] == ["credit_scorecard"]  # the file's own value: nothing differs
    grid = load_experiment(REPO / "experiments" / "market_var_grid.yaml")
    names = [s.name for s in grid.runs({"refit_every": 1})]
    assert names[0] == "market_var_backtest model=ewma method=parametric refit_every=1"
    assert len(set(names)) == len(names) == 6


def test_credit_headline_metrics_are_one_list() -> None:
    assert describe.HEADLINE_METRICS["credit"] == CREDIT_HEADLINE


def test_run_description_states_metrics_gates_and_data() -> None:
    metrics = {"auc_test": 0.8, "ks_test": 0.45, "psi_train_test": 0.02, "auc_gap_train_test": 0.12, "n_test": 300.0}
    gates = parse_gates(["auc_test >= 0.75", "auc_gap_train_test <= 0.1"])
    text = describe.run_description(metrics, gates, data_digest="abc123", findings=["overfitted"])
    assert text.startswith("**FAILS 1 of 2 gates (auc_gap_train_test <= 0.1)**")
    assert "auc_test 0.8" in text and "auc_gap_train_test <= 0.1: 0.12 FAIL" in text and "auc_test >= 0.75: 0.8 PASS" in text
    assert "Data digest: abc123" in text and "- overfitted" in text
    assert describe.run_description(metrics, gates[:1]).startswith("**passes all 1 gates**")


# --------------------------------------------------------------------------- a store with runs
def _log_run(client: MlflowClient, exp_id: str, name: str, metrics: dict[str, float], digest: str) -> str:
    run = client.create_run(exp_id, run_name=name, tags={"data_digest": digest})
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


@pytest.fixture
def runs(store: dict[str, str]) -> dict[str, str]:
    tracking.init_store()
    exp_id = tracking.ensure_experiment("reviewer-view")
    client = MlflowClient(store["uri"])
    many = {f"extra_metric_number_{i:02d}": float(i) for i in range(40)}
    # every credit headline metric, with as many digits as a real run logs
    headline = {"auc_gap_train_test": 0.0125312, "hl_pvalue_test": 0.528913, "adverse_impact_ratio_min": 0.751304}
    champion = _log_run(client, exp_id, "credit_scorecard", {"auc_test": 0.80, "ks_test": 0.45, "psi_train_test": 0.02,
                                                             "gini_test": 0.6, **headline, **many}, "d1")
    challenger = _log_run(client, exp_id, "credit_scorecard seed=7 test_size=0.25",
                          {"auc_test": 0.78, "ks_test": 0.40, "psi_train_test": 0.0528541, "gini_test": 0.56,
                           **headline, **many}, "d2")
    client.create_registered_model("reviewer-view")
    for run_id in (champion, challenger):
        client.create_model_version("reviewer-view", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("reviewer-view", "champion", "1")
    return {"champion": champion, "challenger": challenger, "uri": store["uri"]}


def test_short_run_ids_resolve(runs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    full = runs["challenger"]
    assert review.get_run(full[:6]).info.run_id == full
    assert review.get_run(full[:12].upper()).info.run_id == full
    with pytest.raises(TrackingError, match="at least 6"):
        review.get_run(full[:5])
    missing = "0" * 8 if not full.startswith("0" * 8) else "f" * 8
    with pytest.raises(TrackingError, match="no run id starts with"):
        review.get_run(missing)
    assert main(["compare", runs["champion"][:8], full[:8], "--only-differences"]) == 0
    out = capsys.readouterr().out
    assert "auc_test" in out and max(len(line) for line in out.splitlines()) <= 120, out


def test_ambiguous_prefix_exits_2_listing_candidates(runs: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    both = [review.get_run(runs["champion"]), review.get_run(runs["challenger"])]
    # two uuid4 ids sharing 6 hex digits are rare (1 in 16.7 million): make the search find both
    monkeypatch.setattr(review, "_runs_with_prefix", lambda client, prefix: both)
    with pytest.raises(review.AmbiguousRunIdError, match="matches 2 runs"):
        review.get_run("abcdef")
    assert main(["report", "abcdef"]) == 2
    err = capsys.readouterr().err
    assert runs["champion"] in err and runs["challenger"] in err and "give more digits" in err


def test_runs_table_fits_120_columns_and_marks_the_champion(runs: dict[str, str],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    frame = review.runs_table("reviewer-view")
    assert list(frame.columns[:5]) == ["run_id", "name", "status", "start", "alias"]
    headline = list(describe.HEADLINE_METRICS["credit"])
    assert list(frame.columns[5:]) == sorted(headline, key=headline.index)  # headline, in order
    assert dict(zip(frame["run_id"], frame["alias"], strict=True))[runs["champion"]] == "champion"
    assert main(["runs", "reviewer-view"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 120, out
    assert "not shown" not in out, out  # all 7 headline metrics fit
    assert f"{runs['champion'][:12]}*" in out and f"* champion: {runs['champion'][:12]}" in out
    assert "extra_metric" not in out and "all 2 run(s) FINISHED" in out
    # one notebook: it heads the name column and the cells show what differs, never cut
    assert out.splitlines()[0].split()[1] == "credit_scorecard"
    assert "seed=7 test_size=0.25" in out and "(file defaults)" in out
    assert main(["runs", "reviewer-view", "--metrics", "all", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.count("extra_metric_number_") == 40


def test_annotate_run_writes_description_and_version_tags(runs: dict[str, str], tmp_path: Path) -> None:
    gates = parse_gates(["auc_test >= 0.79", "ks_test >= 0.3"])
    exp_file = tmp_path / "e.yaml"
    exp_file.write_text("# Credit scorecard on German credit.\n# Second line.\nexperiment: x\nnotebook: n.ipynb\n")
    text = describe.annotate_run(runs["challenger"], gates, ("reviewer-view", "2"), experiment_file=exp_file)
    client = MlflowClient(runs["uri"])
    experiment = client.get_experiment_by_name("reviewer-view")
    assert experiment.tags["mlflow.note.content"] == "Credit scorecard on German credit. Second line."
    assert describe.experiment_description(REPO / "experiments" / "market_var.yaml").startswith("Market risk:")
    assert client.get_run(runs["challenger"]).data.tags["mlflow.note.content"] == text
    assert "FAILS 1 of 2 gates" in text
    version = client.get_model_version("reviewer-view", "2")
    assert runs["challenger"] in version.description and "auc_test >= 0.79: 0.78 FAIL" in version.description
    assert version.tags["gates"] == "FAIL" and version.tags["data_digest"] == "d2"
    assert version.tags["gate.auc_test"].startswith("FAIL 0.78") and version.tags["gate.ks_test"].startswith("PASS")


# --------------------------------------------------------------------------- progress
class _Spec:
    def __init__(self, name: str) -> None:
        self.name = name


class _Events:
    def __init__(self, events: list) -> None:
        self.events = list(events)

    def get(self, timeout: float) -> object:
        return self.events.pop(0)


def test_piped_progress_is_one_timestamped_line_per_state_change() -> None:
    out = io.StringIO()
    progress = Progress([_Spec("a"), _Spec("b seed=7")], out)
    assert progress.tick is False  # a StringIO is not a terminal
    progress.listen(_Events([("RUNNING", "a", "id", 0.0), ("RUNNING", "b seed=7", "id2", 0.0),
                             ("FINISHED", "a", "id", 3.5), ("FAILED", "b seed=7", "id2", 4.0), None]))
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and "\r" not in out.getvalue()
    assert all(re.match(ISO + r" \[[12]/2\] ", line) for line in lines), lines
    assert lines[2].split()[3:5] == ["FINISHED", "3.5s"]


def test_terminal_progress_ticks_elapsed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import riskkit.app.pipeline._progress as module

    monkeypatch.setattr(module, "TICK_SECONDS", 0.05)
    out = io.StringIO()
    progress = Progress([_Spec("a")], out, tick=True)

    class Slow(_Events):
        def get(self, timeout: float) -> object:
            import time

            if self.events and self.events[0] is not None and self.events[0][0] == "FINISHED":
                time.sleep(0.4)  # the run takes a while: the status line ticks meanwhile
            return self.events.pop(0)

    progress.listen(Slow([("RUNNING", "a", "id", 0.0), ("FINISHED", "a", "id", 0.4), None]))
    text = out.getvalue()
    assert text.count("running: a") >= 3, text
    assert re.search(r"\r\033\[2K" + ISO + " running: a \\d+s", text)


# --------------------------------------------------------------------------- report
def test_report_summary_champion_titles_and_full_tables(runs: dict[str, str], tmp_path: Path) -> None:
    import os

    import mlflow

    client = MlflowClient(runs["uri"])
    run_id = runs["challenger"]
    client.log_metric(run_id, "kupiec_pvalue", 0.3)
    client.log_metric(run_id, "kupiec_pvalue_99", 0.3)
    client.log_metric(run_id, "duration_pvalue_95", 0.0029)
    os.environ["MLFLOW_RUN_ID"] = run_id
    try:
        tracking.log_table(pd.DataFrame({"feature": [f"f{i}" for i in range(30)], "csi": range(30)}), "tables/csi.csv")
        tracking.log_table(pd.DataFrame({"test": ["Kupiec POF", "Duration"], "pvalue": [0.3, 0.0029],
                                         "verdict_5pct": ["accept", "reject"]}), "tables/backtests.csv")
        tracking.log_text("overfitted\n", "reports/findings.txt")
    finally:
        mlflow.end_run()
        os.environ.pop("MLFLOW_RUN_ID", None)
    html = report.build_report(run_id, parse_gates(["auc_test >= 0.75"]))
    assert "Executive summary" in html and "PASS WITH FINDINGS" in html
    assert "duration_pvalue_95</b> = 0.0029" in html and "<li>overfitted</li>" in html
    # the unsuffixed duplicate of kupiec_pvalue_99 is not listed again
    assert "<td>kupiec_pvalue_99</td>" in html and "<td>kupiec_pvalue</td>" not in html
    # champion comparison with the same-data check (digests d2 vs d1 differ)
    assert "Champion of <b>reviewer-view</b>" in html and "different data" in html
    assert "<td>auc_test</td><td>0.78</td><td>0.8</td><td>-0.02</td>" in html
    # real titles; every row of a long table is there (collapsed), never cut
    assert "Characteristic stability index (CSI)" in html and "VaR backtests by level" in html
    assert "show all 30 rows" in html and "<td>f29</td>" in html
    assert "<tr class='reject'><td>Duration</td>" in html
    assert report.table_title("var_backtest_99") == "VaR backtest 99%"
    assert report.table_title("ks_table_test") == "KS table by score band (test)"


def test_long_headers_wrap_onto_two_lines_when_asked() -> None:
    frame = pd.DataFrame({"run_id": ["abc"], "traffic_light_zone_code_99": [1.0]})
    lines = review.format_table(frame, "text", wrap_headers=True).splitlines()
    assert lines[0].split() == ["run_id", "traffic_light_"] and lines[1].split() == ["zone_code_99"]
    assert set(lines[2]) <= {"-", " "} and lines[3].split() == ["abc", "1"]
    assert len(review.format_table(frame, "text").splitlines()) == 3  # one header line by default
    # run_id (6) + 2 + traffic_light_ (14) = 22 columns wrapped, 34 on one line
    assert review.fit_columns(frame, 24, wrap_headers=True)[1] == []
    assert review.fit_columns(frame, 24)[1] == ["traffic_light_zone_code_99"]
