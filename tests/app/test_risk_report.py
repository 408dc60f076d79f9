"""`riskkit risk-report`: one self-contained HTML across credit, market, operational risk and alerts,
built from the runs of a temporary MLflow store, rendered by a real headless browser."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from riskkit.app.alerts import AlertLedger
from riskkit.exceptions import ParameterError
from riskkit.grading import Alert, RiskRegister
from tests.app.test_report_browser import CHROMIUM, FLAGS
from tests.conftest import REPO, run_cli


def _png(color: str) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.fill_between([0, 1], [0, 1], color=color)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _run(client: MlflowClient, experiment: str, metrics: dict[str, float], tags: dict[str, str] | None = None,
         artifacts: dict[str, bytes | str] | None = None, status: str = "FINISHED") -> str:
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
    run = client.create_run(exp_id, tags=tags or {}, run_name=f"{experiment}-test")
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value)
    for path, content in (artifacts or {}).items():
        if isinstance(content, bytes):
            with tempfile.TemporaryDirectory() as tmp:
                local = Path(tmp) / Path(path).name
                local.write_bytes(content)
                client.log_artifact(run.info.run_id, str(local), str(Path(path).parent))
        else:
            client.log_text(run.info.run_id, content, path)
    client.set_terminated(run.info.run_id, status)
    return run.info.run_id


@pytest.fixture
def populated(store: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """A store with a monitoring run of 2024-12, a scorecard run (gates from its experiment file),
    a market run, no xgboost and no register run, and a ledger with handled alerts."""
    from riskkit.app import tracking

    client = MlflowClient(tracking.init_store())
    mon = _run(client, "portfolio-monitoring",
               {"n_active": 4321.0, "monitoring.dq30_rate": 0.1447, "hhi_region": 0.21, "level_code.dq30_rate": 4.0,
                "level_code.hhi_region": 0.0, "monitoring.hhi_region": 0.21},
               tags={"snapshot_month": "2024-12", "book": "simulated"},
               artifacts={"figures/delinquency.png": _png("tab:red"),
                          "tables/concentration.csv": "dimension,segment,share,limit,breach,hhi\n"
                                                      "region,north,0.31,0.35,False,0.21\n"})
    _run(client, "portfolio-monitoring", {"monitoring.dq30_rate": 0.02}, tags={"snapshot_month": "2024-11"})
    _run(client, "credit-scorecard", {"auc_test": 0.7712, "gini_test": 0.5424, "ks_test": 0.41, "psi_train_test": 0.02},
         tags={"riskkit.experiment_path": str(REPO / "experiments" / "credit_scorecard.yaml")})
    _run(client, "market-var", {"hit_rate": 0.0123, "expected_rate": 0.01, "n_obs": 4000.0, "n_exceptions": 49.0,
                                "kupiec_pvalue": 0.1534, "christoffersen_pvalue": 0.6, "cc_pvalue": 0.3,
                                "traffic_light_exceptions": 6.0, "traffic_light_zone_code": 1.0,
                                "traffic_light_multiplier": 3.5},
         tags={"traffic_light_zone": "yellow"})
    _run(client, "market-var", {"hit_rate": 0.9}, status="FAILED")  # never reported
    ledger = AlertLedger(tmp_path / "ledger.sqlite")
    red = Alert("dq30_rate", 0.1447, "red", 0.12, "above", "dq30_rate = 0.1447 is at or above the red threshold 0.12")
    done = Alert("score_psi", 0.3, "red", 0.25, "above", "score_psi resolved")
    ledger.enqueue([red, done])
    ledger.assign(red.alert_id, "ops.lead", by="cro", note="collections to review the 2024 cohorts")
    ledger.acknowledge(red.alert_id, by="ops.lead", note="looking into it")
    ledger.resolve(done.alert_id, by="cro", note="model recalibrated")
    return {"monitoring_run": mon, "ledger": str(tmp_path / "ledger.sqlite"), "red": red, "done": done,
            "client": client}


def _sections(text: str) -> dict[str, str]:
    return dict(re.findall(r"<section id='(\w+)'>(.*?)</section>", text, flags=re.DOTALL))


def test_risk_report_command_on_a_store_with_runs(populated: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run_cli("risk-report", "--month", "2024-12", "-o", str(out), "--ledger", populated["ledger"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"written to {out}" in result.stdout
    text = out.read_text(encoding="utf-8")
    sections = _sections(text)
    assert list(sections) == ["portfolio", "models", "market", "register", "alerts"]
    assert "Monthly risk report 2024-12" in text and "src='http" not in text  # self-contained
    # credit portfolio: the run of the month, not the later-started run of 2024-11
    port = sections["portfolio"]
    assert populated["monitoring_run"] in port and "4321" in port and "0.1447" in port
    assert port.count("data:image/png;base64,") == 1 and "north" in port
    assert "<td>dq30_rate</td><td>0.1447</td><td class='lvl-red'>red</td>" in port
    # models: gates of experiments/credit_scorecard.yaml checked on the logged metrics; xgboost missing
    models = sections["models"]
    assert "auc_test &gt;= 0.75</td><td>0.7712</td><td class='pass'>PASS" in models
    assert "no @champion yet: latest finished run" in models
    assert "No finished credit-xgboost run" in models
    # market: the FINISHED run, its zone and p-values
    market = sections["market"]
    assert "class='zone-yellow'>yellow" in market and "0.1534" in market and "0.0123" in market and "0.9" not in market
    # register: no run, so computed from data/risk_register.csv: top 10 in the register's own order, heat map
    reg = sections["register"]
    table = RiskRegister.from_file(REPO / "data" / "risk_register.csv").table()
    assert "computed from" in reg and f"Top 10 of {len(table)} risks" in reg
    ids = re.findall(r"<td>([A-Z]{2,3}-[A-Z]{2,4}-\d\d)</td>", reg)
    assert ids[:10] == table["id"].head(10).tolist()
    assert reg.count("data:image/png;base64,") == 1
    # alerts: the open one with assignee, status and its audit trail; the resolved one is not open
    alerts = sections["alerts"]
    red, done = populated["red"], populated["done"]
    assert "2 alert(s), 1 open" in alerts
    assert red.alert_id[:12] in alerts and "acknowledged" in alerts and "ops.lead" in alerts
    assert "collections to review the 2024 cohorts" in alerts and "looking into it" in alerts
    assert done.alert_id[:12] not in alerts.split("Open alerts")[1]


def test_missing_sections_say_so(store: dict[str, str], tmp_path: Path) -> None:
    from riskkit.app import tracking
    from riskkit.app.risk_report import build_risk_report

    client = MlflowClient(tracking.init_store())
    _run(client, "portfolio-monitoring", {"monitoring.dq30_rate": 0.02}, tags={"snapshot_month": "2024-11"})
    text = build_risk_report("2024-12", ledger=tmp_path / "none.sqlite")
    sections = _sections(text)
    assert "No finished portfolio-monitoring run for 2024-12 (finished runs exist for 2024-11)" in sections["portfolio"]
    assert "No finished market-var run" in sections["market"]
    assert "No alert ledger at" in sections["alerts"]
    assert text.count("class='fail'>missing") == 4  # register falls back on data/risk_register.csv
    with pytest.raises(ParameterError, match=r"month must be YYYY-MM with a month 01-12 \(got month='2024-1'\)"):
        build_risk_report("2024-1")


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "Dec 2024"], "month must be YYYY-MM with a month 01-12 (got month='Dec 2024')"),
    (["--month", "2024-00"], "month must be YYYY-MM with a month 01-12 (got month='2024-00')"),
    (["--month", "2024-12", "-o", "/nonexistent/folder/r.html"], "the folder of the output file does not exist"),
])
def test_bad_input_exits_2_with_one_line(store: dict[str, str], args: list[str], message: str) -> None:
    result = run_cli("risk-report", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("riskkit risk-report: ") and message in lines[0], result.stderr


def test_risk_report_renders_in_chromium(populated: dict[str, Any], tmp_path: Path) -> None:
    assert CHROMIUM is not None, "chromium is not installed: apt-get install chromium (.ci/run does this)"
    import matplotlib.image as mpimg

    from riskkit.app.risk_report import write_risk_report

    page = write_risk_report("2024-12", tmp_path / "risk.html", ledger=populated["ledger"])
    assert page.stat().st_mode & 0o777 == 0o644, "the team can read the report (not mkstemp's 0600)"
    shot, profile = tmp_path / "shot.png", tmp_path / "profile"
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1200,1400"]
    done = subprocess.run([*base, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120,
                          check=False)
    assert shot.is_file(), done.stderr[-2000:]
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                          check=False)
    console = [line for line in (done.stderr + dom.stderr).splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    for title in ("Credit risk: portfolio", "Credit risk: models", "Market risk: VaR and backtest",
                  "Operational, compliance and technology risk", "Open alerts and their handling"):
        assert title in dom.stdout
    pixels = mpimg.imread(shot)[..., :3]
    # the red delinquency figure of the portfolio section is painted in the first screen
    red = (pixels[..., 0] > 0.7) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)
    assert red.sum() > 2000, "the embedded figure did not render"
