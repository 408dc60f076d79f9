"""MLflow's compare view shows the headline figures of two runs side by side: checked in headless
chromium (driven over the DevTools protocol) against a real ``mlflow server`` on loopback, with
runs logged by :func:`riskkit.app.validation.log_credit_validation`."""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.slow

# The market notebook's headline figures at the artifact root (notebooks/market_var_backtest.ipynb).
MARKET_FIGURES = ("var_backtest_99", "exception_count_99")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_two_runs(uri: str) -> tuple[str, list[str]]:
    import mlflow
    from mlflow.tracking import MlflowClient

    from riskkit.app import tracking
    from riskkit.app.validation import log_credit_validation
    from riskkit.credit import WoEBinner
    from riskkit.credit.validation import validate_credit_model
    from riskkit.data import german_credit

    X, y = german_credit()
    binner = WoEBinner(max_bins=4).fit(X, y)
    woe = binner.transform(X).sum(axis=1).to_numpy()
    tracking.init_store()
    experiment_id = tracking.ensure_experiment("compare-view")
    ids = []
    for noise in (0.2, 1.5):  # two models of different quality
        p = 1 / (1 + np.exp(woe + np.random.default_rng(1).normal(0, noise, len(X)) + 0.85))
        train = np.arange(len(X)) % 10 < 7
        result = validate_credit_model(X[train], X[~train], y[train], y[~train], p[train], p[~train],
                                       score_train=-p[train], score_test=-p[~train], features=list(binner.features_))
        run = MlflowClient(uri).create_run(experiment_id, run_name=f"credit noise={noise}")
        os.environ["MLFLOW_RUN_ID"] = run.info.run_id
        try:
            log_credit_validation(result)
        finally:
            mlflow.end_run()
            os.environ.pop("MLFLOW_RUN_ID", None)
        ids.append(run.info.run_id)
    return experiment_id, ids


def _log_two_market_runs(uri: str) -> tuple[str, list[str]]:
    """Two VaR backtests (a well and a badly calibrated 99% VaR), figures logged as the market
    notebook logs them."""
    import pandas as pd
    from mlflow.tracking import MlflowClient
    from scipy import stats

    from riskkit.app import tracking
    from riskkit.market import backtest
    from riskkit.market.plots import plot_exception_count, plot_var_backtest

    rng = np.random.default_rng(7)
    days = pd.bdate_range("2020-01-01", periods=750)
    returns = pd.Series(rng.standard_t(5, len(days)) * 0.01, index=days)
    tracking.init_store()
    experiment_id = tracking.ensure_experiment("compare-view-market")
    client = MlflowClient(uri)
    ids = []
    for scale in (1.0, 0.6):  # 0.6: VaR too low, the exceptions pile up into the red zone
        var = pd.Series(scale * 0.01 * stats.t.ppf(0.99, 5), index=days)
        run = client.create_run(experiment_id, run_name=f"market scale={scale}")
        hits = backtest.exceptions(returns, var)
        client.log_figure(run.info.run_id, plot_var_backtest(returns, pd.DataFrame({"var": var})), "var_backtest_99.png")
        client.log_figure(run.info.run_id, plot_exception_count(hits, alpha=0.01), "exception_count_99.png")
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return experiment_id, ids


@pytest.fixture
def mlflow_ui(store: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", store["uri"], "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})  # no job runner: 8 fewer processes
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("mlflow server did not answer /health within 240 s: " + (tmp_path / "server.log").read_text()[-2000:])
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


class _Browser:
    """Headless chromium over the DevTools protocol (enough to navigate, evaluate and screenshot)."""

    def __init__(self, profile: Path) -> None:
        import websocket

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-allow-origins=*", "--remote-debugging-port=0", f"--user-data-dir={profile}",
             "--window-size=1400,2200", "about:blank"],
            stderr=subprocess.PIPE, text=True, start_new_session=True)
        port = None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
                break
        assert port, "chromium did not open its DevTools port"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as response:
            page = next(t for t in json.load(response) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=120)
        self.ids = itertools.count(1)
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.console_errors: list[str] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        self.ws.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("method") == "Runtime.exceptionThrown":
                self.console_errors.append(json.dumps(message["params"])[:500])
            if message.get("id") == number:
                return dict(message.get("result", message))

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {expression}")

    def close(self) -> None:
        self.ws.close()
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)


PREVIEWS = ("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 300 && "
            "!(i.alt || '').startsWith('Preview icon')).map(i => {const r = i.getBoundingClientRect(); "
            "return [i.src, Math.round(r.left), Math.round(r.top), Math.round(r.width)];}).filter(x => x[3] > 100)")


def test_compare_view_shows_headline_figures_side_by_side(mlflow_ui: str, store: dict[str, str], tmp_path: Path) -> None:
    """Credit (ROC, score distribution, calibration) and market (VaR with exceptions, traffic
    light) runs: each headline figure of two runs, side by side in one compare view."""
    from riskkit.credit.validation import HEADLINE_FIGURES

    assert CHROMIUM is not None, "chromium is not installed: apt-get install chromium (.ci/run does this)"
    for family, (logged, figures) in {"credit": (_log_two_runs(store["uri"]), HEADLINE_FIGURES),
                                      "market": (_log_two_market_runs(store["uri"]), MARKET_FIGURES)}.items():
        _check_compare_view(mlflow_ui, *logged, figures, tmp_path / family)


def _check_compare_view(mlflow_ui: str, experiment_id: str, runs: list[str], figures: tuple[str, ...],
                        tmp_path: Path) -> None:
    run_a, run_b = runs
    tmp_path.mkdir(parents=True, exist_ok=True)
    query = urllib.parse.urlencode({"runs": json.dumps([run_a, run_b]), "experiments": json.dumps([experiment_id])})
    browser = _Browser(tmp_path / "profile")
    try:
        browser.call("Page.navigate", url=f"{mlflow_ui}/#/compare-runs?{query}")
        listed = browser.wait_for("(() => { const n = Array.from(document.querySelectorAll("
                                  "'[data-testid=artifact-tree-node]')).map(e => e.getAttribute('artifact-name'));"
                                  " return n.length ? n : null; })()")
        # the headline figures are offered for comparison (they sit at the artifact root)
        assert {f"{name}.png" for name in figures} <= set(listed), listed
        seen: list[str] = []  # the images of the figures clicked before: the next click must replace them
        for name in figures:
            browser.js(f"document.querySelector('[artifact-name=\"{name}.png\"]').click()")
            shown = browser.wait_for(f"(() => {{ const seen = {json.dumps(seen)}; const s = {PREVIEWS}"
                                     ".filter(x => !seen.includes(x[0])); return s.length >= 2 ? s : null; })()", 60)
            # one image per run, in one row (same top), next to each other, and not the same picture
            left, right = sorted(shown, key=lambda s: s[1])[:2]
            assert abs(left[2] - right[2]) <= 2 and right[1] >= left[1] + left[3] - 2, shown
            assert left[0] != right[0]
            seen += [left[0], right[0]]
        shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        (tmp_path / "compare.png").write_bytes(base64.b64decode(shot["data"]))
        assert not browser.console_errors, browser.console_errors
    finally:
        browser.close()
