"""The monthly risk report: one self-contained HTML file across credit, market and operational risk.

Sections, each built from what the runs logged in MLflow (figures embedded as base64 PNG, so the
file stands alone and opens offline):

1. **Credit portfolio**: the ``portfolio-monitoring`` run of the month (tag ``snapshot_month``):
   delinquency and charge-offs, vintages, roll rates and concentration (its metrics, tables and
   figures) and the levels of the monitoring indicators.
2. **Credit models**: for ``credit-scorecard`` and ``credit-xgboost``, the run of the
   ``@champion`` model version (else the latest finished run, said so): headline metrics and the
   gates of its experiment file.
3. **Market risk**: the latest finished ``market-var`` run: traffic-light zone, exceptions, hit
   rate against the expected rate, Kupiec, Christoffersen and conditional-coverage p-values.
4. **Operational, compliance and technology risk**: the top risks and the residual heat map of
   the latest ``risk-register`` run, else computed from ``data/risk_register.csv`` with
   :class:`riskkit.grading.RiskRegister`.
5. **Alerts and their handling**: the open alerts of the alert ledger (status, assignee,
   delivery) and their audit trail (who did what, when, with which comment).

A section whose source is missing says so (and how to produce it) instead of failing.
``riskkit risk-report --month YYYY-MM [-o FILE]`` writes it; the early-warning notebook, which runs
last in ``make run``, builds it for the monitoring run's month and attaches it to that run as
``report/risk_report.html``.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit import __version__
from riskkit.app import tracking
from riskkit.app.alerts import AlertLedger, default_ledger_path
from riskkit.app.experiments import load_experiment
from riskkit.app.gates import check_gates
from riskkit.app.review import experiment_file_of, parse_gates
from riskkit.exceptions import ParameterError, RiskkitError
from riskkit.grading import RiskRegister, plots

__all__ = [
    "CREDIT_MODEL_EXPERIMENTS",
    "MARKET_EXPERIMENT",
    "MONITORING_EXPERIMENT",
    "REGISTER_EXPERIMENT",
    "RISK_REPORT_PATH",
    "build_risk_report",
    "parse_month",
    "write_risk_report",
]

RISK_REPORT_PATH = "report/risk_report.html"
MONITORING_EXPERIMENT = "portfolio-monitoring"
CREDIT_MODEL_EXPERIMENTS = ("credit-scorecard", "credit-xgboost")
MARKET_EXPERIMENT = "market-var"
REGISTER_EXPERIMENT = "risk-register"
_LEVEL_NAMES = {0: "none", 1: "blue", 2: "yellow", 3: "orange", 4: "red"}
_ZONES = {0: "green", 1: "yellow", 2: "red"}
_TOP_RISKS = 10
_MAX_ALERTS = 50

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.2rem;border-bottom:2px solid #ccd;padding-bottom:.2rem;margin-top:2.2rem}
h3{font-size:1rem;margin-bottom:.3rem} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0 1rem} th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f5f7} td:first-child,th:first-child{text-align:left}
.missing{background:#fff8e1;border-left:4px solid #f9a825;padding:.5rem .8rem}
.pass{background:#e6f4ea;color:#137333;font-weight:600} .fail{background:#fce8e6;color:#a50e0e;font-weight:600}
.lvl-red,.zone-red{background:#fce8e6;color:#a50e0e;font-weight:600} .lvl-orange{background:#fdebd0;color:#9c4a00;font-weight:600}
.lvl-yellow,.zone-yellow{background:#fff8d6;color:#7a5d00;font-weight:600} .lvl-blue{background:#e8f0fe;color:#1a4fa0}
.zone-green,.lvl-none{background:#e6f4ea;color:#137333}
figure{margin:1rem 0} figure img{max-width:100%;border:1px solid #eee} figcaption{color:#555;font-size:.85rem}
.figs{display:grid;grid-template-columns:1fr 1fr;gap:12px}
"""


# --------------------------------------------------------------------------- small pieces
def parse_month(month: Any) -> str:
    """A month as ``YYYY-MM`` (validated).

    Parameters
    ----------
    month : str
        The month, e.g. ``"2024-12"``.

    Returns
    -------
    str
        The same month, normalised to ``YYYY-MM``.

    Raises
    ------
    ParameterError
        When ``month`` is not a string of the form YYYY-MM with a month 01-12.
    """
    text = month.strip() if isinstance(month, str) else None
    match = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ParameterError(f"month must be YYYY-MM with a month 01-12 (got month={month!r}); e.g. 2024-12")
    return text  # type: ignore[return-value]


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.4g}"
    return str(value)


def _missing(text: str) -> str:
    return f"<p class='missing'>{_esc(text)}</p>"


def _frame_html(frame: pd.DataFrame, *, index: bool = False, max_rows: int = 40) -> str:
    shown = frame.head(max_rows)
    note = f"<p class='sub'>first {max_rows} of {len(frame)} rows</p>" if len(frame) > max_rows else ""
    return shown.to_html(index=index, border=0, na_rep="", float_format=lambda x: f"{x:.4g}", escape=True) + note


def _kv_table(rows: list[tuple[str, Any, str]]) -> str:
    """Rows of (label, value, css class)."""
    body = "".join(f"<tr><td>{_esc(k)}</td><td class='{_esc(css)}'>{_esc(_fmt(v))}</td></tr>" for k, v, css in rows)
    return f"<table><tr><th>measure</th><th>value</th></tr>{body}</table>"


def _img(png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f"<figure><img alt='{_esc(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


def _figure_png(fig: Any) -> bytes:
    # riskkit's figures draw on their own Agg canvas: no pyplot, no backend switch, nothing to close
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


@dataclass
class _Section:
    key: str
    title: str
    body: str
    available: bool
    source: str


class _Store:
    """Read access to the tracking store, created lazily so a report without a store still renders."""

    def __init__(self) -> None:
        self._client: Any = None
        self.error: str = ""

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = tracking.client()
        return self._client

    def runs(self, experiment: str, filter_string: str = "") -> list[Any]:
        try:
            exp = self.client.get_experiment_by_name(experiment)
            if exp is None:
                return []
            filt = "attributes.status = 'FINISHED'" + (f" and {filter_string}" if filter_string else "")
            return list(self.client.search_runs([exp.experiment_id], filter_string=filt,
                                                order_by=["attributes.start_time DESC"], max_results=200))
        except RiskkitError:
            raise
        except Exception as exc:  # noqa: BLE001 (an unreadable store is a missing section, not a crash)
            self.error = f"{type(exc).__name__}: {exc}"
            return []

    def artifact(self, run_id: str, path: str) -> bytes | None:
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        try:
            with tempfile.TemporaryDirectory() as tmp:
                local = self.client.download_artifacts(run_id, path, tmp)
                return Path(local).read_bytes()
        except Exception:  # noqa: BLE001 (an artifact the run did not log)
            return None

    def table(self, run_id: str, path: str, **read: Any) -> pd.DataFrame | None:
        raw = self.artifact(run_id, path)
        if raw is None:
            return None
        try:
            return pd.read_csv(io.BytesIO(raw), **read)
        except Exception:  # noqa: BLE001
            return None

    def figure(self, run_id: str, path: str, caption: str) -> str:
        raw = self.artifact(run_id, path)
        return _img(raw, caption) if raw else ""


def _run_line(run: Any, extra: str = "") -> str:
    started = datetime.fromtimestamp(run.info.start_time / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    name = run.info.run_name or ""
    return f"<p class='sub'>run {_esc(run.info.run_id)} ({_esc(name)}), started {started}{_esc(extra)}</p>"


# --------------------------------------------------------------------------- sections
_PORTFOLIO_METRICS = [
    ("active loans", "n_active"), ("active balance", "balance_active"),
    ("30+ dpd share of balance", "monitoring.dq30_rate"), ("90+ dpd share of balance", "monitoring.dq90_rate"),
    ("charge-off rate (month)", "monitoring.chargeoff_rate"), ("default rate (month)", "monitoring.default_rate"),
    ("roll current -> 1-29", "monitoring.roll_current_to_1_29"),
    ("roll current -> 1-29, loans <= 6 months on book", "monitoring.roll_current_to_1_29_young"),
    ("roll 30-59 -> 60-89", "monitoring.roll_30_to_60"), ("score PSI of new bookings", "monitoring.score_psi_new"),
    ("30+ rate at 6 months on book, latest vintage", "vintage_30plus_mob6_latest"),
    ("AUC of the latest observed cohort", "auc_cohort_latest"),
    ("grades failing calibration", "n_grades_rejected"), ("approval rate of new bookings", "approval_rate_new"),
    ("expected loss rate", "expected_loss_rate"), ("HHI by region", "hhi_region"), ("HHI by product", "hhi_product"),
    ("concentration limit breaches", "n_limit_breaches"),
]


def _portfolio(store: _Store, month: str, experiment: str) -> _Section:
    title = "Credit risk: portfolio"
    runs = store.runs(experiment)
    of_month = [r for r in runs if r.data.tags.get("snapshot_month") == month]
    if not of_month:
        months = sorted({r.data.tags.get("snapshot_month", "?") for r in runs})
        seen = f" (finished runs exist for {', '.join(months)})" if months else ""
        body = _missing(f"No finished {experiment} run for {month}{seen}. Run "
                        f"`riskkit run experiments/portfolio_monitoring.yaml -p month={month}`.")
        return _Section("portfolio", title, body, False, "missing")
    run = of_month[0]
    m = run.data.metrics
    rows = [(label, m[key], "") for label, key in _PORTFOLIO_METRICS if key in m]
    parts = [_run_line(run, f", book {run.data.tags.get('book', '')}"), _kv_table(rows)]
    levels = sorted((k.split(".", 1)[1], int(v)) for k, v in m.items() if k.startswith("level_code."))
    if levels:
        cells = "".join(f"<tr><td>{_esc(n)}</td><td>{_esc(_fmt(m.get('monitoring.' + n, float('nan'))))}</td>"
                        f"<td class='lvl-{_LEVEL_NAMES.get(c, 'none')}'>{_LEVEL_NAMES.get(c, c)}</td></tr>"
                        for n, c in levels)
        parts.append("<h3>Monitoring indicators and their level this month</h3>"
                     f"<table><tr><th>indicator</th><th>value</th><th>level</th></tr>{cells}</table>")
    figs = [store.figure(run.info.run_id, p, c) for p, c in [
        ("figures/delinquency.png", "Delinquency and charge-offs by month"),
        ("figures/vintage_30plus.png", "Vintage curves: cumulative 30+ rate by months on book"),
        ("figures/roll_rates.png", "Roll-rate matrix, last three months"),
        ("figures/concentration.png", "Concentration by region and product against limits")]]
    figs = [f for f in figs if f]
    if figs:
        parts.append("<div class='figs'>" + "".join(figs) + "</div>")
    else:
        parts.append(_missing("The monitoring run logged no figures."))
    conc = store.table(run.info.run_id, "tables/concentration.csv")
    if conc is not None:
        parts.append("<h3>Concentration</h3>" + _frame_html(conc))
    roll = store.table(run.info.run_id, "tables/roll_rate_matrix_recent.csv")
    if roll is not None:
        parts.append("<h3>Roll rates, last three months</h3>" + _frame_html(roll.rename(columns={"Unnamed: 0": "from"})))
    return _Section("portfolio", title, "".join(parts), True, f"{experiment} run {run.info.run_id}")


def _champion_run(store: _Store, name: str) -> tuple[Any, str]:
    try:
        version = store.client.get_model_version_by_alias(name, "champion")
        run = store.client.get_run(version.run_id)
        return run, f"@champion = {name} version {version.version}"
    except Exception:  # noqa: BLE001 (no registered model or no alias yet)
        runs = store.runs(name)
        return (runs[0], "no @champion yet: latest finished run") if runs else (None, "")


def _gates_html(run: Any) -> str:
    path = experiment_file_of(run)
    if path is None or not path.is_file():
        return "<p class='sub'>No experiment file recorded for this run: gates not checked.</p>"
    try:
        gates = parse_gates(load_experiment(path).gates)
    except RiskkitError as exc:
        return _missing(f"The gates of {path.name} could not be read: {exc}")
    if not gates:
        return "<p class='sub'>The experiment file defines no gates.</p>"
    rows = []
    for gate in gates:
        try:
            (result,) = check_gates(run.data.metrics, [gate])
            value, ok = _fmt(float(result.value)), result.passed
        except RiskkitError:
            value, ok = "metric not logged", False
        rows.append(f"<tr><td>{_esc(gate)}</td><td>{_esc(value)}</td>"
                    f"<td class='{'pass' if ok else 'fail'}'>{'PASS' if ok else 'FAIL'}</td></tr>")
    return "<table><tr><th>gate</th><th>value</th><th>result</th></tr>" + "".join(rows) + "</table>"


def _models(store: _Store) -> _Section:
    title = "Credit risk: models"
    parts, found = [], []
    for name in CREDIT_MODEL_EXPERIMENTS:
        run, how = _champion_run(store, name)
        parts.append(f"<h3>{_esc(name)}</h3>")
        if run is None:
            parts.append(_missing(f"No finished {name} run. Run `riskkit run experiments/{name.replace('-', '_')}.yaml`."))
            continue
        found.append(name)
        m = run.data.metrics
        rows = [(label, m[key], "") for label, key in [("AUC (test)", "auc_test"), ("Gini (test)", "gini_test"),
                                                       ("KS (test)", "ks_test"), ("AUC (train)", "auc_train"),
                                                       ("PSI train/test", "psi_train_test")] if key in m]
        parts += [f"<p class='sub'>{_esc(how)}</p>", _run_line(run), _kv_table(rows), _gates_html(run)]
    return _Section("models", title, "".join(parts), bool(found), ", ".join(found) or "missing")


def _market(store: _Store) -> _Section:
    title = "Market risk: VaR and backtest"
    runs = store.runs(MARKET_EXPERIMENT)
    if not runs:
        return _Section("market", title, _missing(f"No finished {MARKET_EXPERIMENT} run. Run "
                                                  "`riskkit run experiments/market_var.yaml`."), False, "missing")
    run = runs[0]
    m, tags = run.data.metrics, run.data.tags
    # one row per VaR level: the suffixed metrics (hit_rate_99, ...) when logged, else the headline ones
    suffixes = sorted({k[len("hit_rate"):] for k in m if k.startswith("hit_rate_")}) or [""]
    headline = m.get("expected_rate")
    head_sfx = next((sfx for sfx in suffixes if m.get(f"expected_rate{sfx}") == headline), suffixes[0])
    header = ("<tr><th>VaR level</th><th>days</th><th>exceptions</th><th>hit rate</th><th>expected</th>"
              "<th>Kupiec p</th><th>Christoffersen p</th><th>CC p</th><th>exceptions, last window</th>"
              "<th>zone</th><th>multiplier</th></tr>")
    rows = []
    for sfx in suffixes:
        alpha = m.get(f"expected_rate{sfx}")
        zone = tags.get(f"traffic_light_zone{sfx}") or _ZONES.get(int(m.get(f"traffic_light_zone_code{sfx}", -1)), "n/a")
        label = f"{100 * (1 - alpha):g}%" if alpha is not None else "?"
        label += " (headline)" if sfx == head_sfx and headline is not None else ""
        cells = [_fmt(m.get(f"{k}{sfx}", float("nan"))) for k in (
            "n_obs", "n_exceptions", "hit_rate", "expected_rate", "kupiec_pvalue", "christoffersen_pvalue", "cc_pvalue",
            "traffic_light_exceptions")]
        rows.append(f"<tr><td>{_esc(label)}</td>" + "".join(f"<td>{_esc(c)}</td>" for c in cells)
                    + f"<td class='zone-{_esc(zone)}'>{_esc(zone)}</td>"
                    f"<td>{_esc(_fmt(m.get(f'traffic_light_multiplier{sfx}', float('nan'))))}</td></tr>")
    params = run.data.params
    model = " ".join(f"{k}={params[k]}" for k in ("dataset", "model", "dist", "method", "window") if k in params)
    parts = [_run_line(run, f", {model}" if model else ""), f"<table>{header}{''.join(rows)}</table>",
             ("<p class='sub'>Basel traffic light on the last window of days (green 0-4, yellow 5-9, red 10+ "
              "exceptions at 99% over 250 days); p-values below 0.05 reject correct coverage (Kupiec), "
              "independence (Christoffersen) or both (conditional coverage).</p>")]
    try:
        names = sorted(a.path for a in store.client.list_artifacts(run.info.run_id, "figures")
                       if a.path.startswith("figures/var_backtest"))
    except Exception:  # noqa: BLE001
        names = []
    if names:
        shown = f"figures/var_backtest{head_sfx}.png" if f"figures/var_backtest{head_sfx}.png" in names else names[0]
        parts.append(store.figure(run.info.run_id, shown, "VaR and ES against the returns (headline level)"))
    return _Section("market", title, "".join(parts), True, f"{MARKET_EXPERIMENT} run {run.info.run_id}")


def _register(store: _Store, register_path: Path | None) -> _Section:
    title = "Operational, compliance and technology risk"
    runs = store.runs(REGISTER_EXPERIMENT)
    if runs:
        run = runs[0]
        table = store.table(run.info.run_id, "tables/risk_register.csv")
        heat = store.figure(run.info.run_id, "figures/heatmap_residual.png", "Residual risk heat map")
        if table is not None:
            return _Section("register", title, _register_body(table, heat, _run_line(run)), True,
                            f"{REGISTER_EXPERIMENT} run {run.info.run_id}")
    path = register_path or tracking.project_root() / "data" / "risk_register.csv"
    try:
        register = RiskRegister.from_file(path)
        table = register.table()
        heat = _img(_figure_png(plots.risk_heatmap(register, which="residual")), "Residual risk heat map")
    except (RiskkitError, OSError) as exc:
        return _Section("register", title, _missing(f"No finished {REGISTER_EXPERIMENT} run, and the register "
                                                    f"{path} could not be read: {exc}"), False, "missing")
    note = f"<p class='sub'>No finished {REGISTER_EXPERIMENT} run: computed from {_esc(path)}.</p>"
    return _Section("register", title, _register_body(table, heat, note), True, str(path))


def _register_body(table: pd.DataFrame, heat: str, line: str) -> str:
    cols = [c for c in ("id", "title", "category", "subcategory", "owner", "inherent_score", "inherent_level",
                        "residual_score", "residual_level", "n_controls") if c in table.columns]
    top = table[cols].head(_TOP_RISKS)
    counts = ""
    if "category" in table.columns and "residual_level" in table.columns:
        by = pd.crosstab(table["category"], table["residual_level"])
        by.columns.name = None
        counts = "<h3>Residual level by category</h3>" + _frame_html(by.reset_index())
    return (line + f"<h3>Top {len(top)} of {len(table)} risks by residual level</h3>" + _frame_html(top)
            + counts + (heat or _missing("No heat map was logged.")))


def _alerts(ledger: Path | None) -> _Section:
    title = "Open alerts and their handling"
    path = Path(ledger) if ledger else default_ledger_path()
    if not path.is_file():
        return _Section("alerts", title, _missing(f"No alert ledger at {path}: the early warning has not run "
                                                  "(`riskkit run experiments/early_warning.yaml`)."), False, "missing")
    try:
        book = AlertLedger(path, create=False)
        every = book.alerts()
        open_ = book.alerts(status="open")
        audit = book.audit()
    except RiskkitError as exc:
        return _Section("alerts", title, _missing(f"The alert ledger {path} could not be read: {exc}"), False, "missing")
    counts = every.groupby(["status", "level"]).size().rename("n").reset_index() if len(every) else every
    parts = [f"<p class='sub'>ledger {_esc(path)}: {len(every)} alert(s), {len(open_)} open (new or acknowledged).</p>"]
    if len(counts):
        parts.append("<h3>All alerts by status and level</h3>" + _frame_html(counts))
    if not len(open_):
        parts.append("<p>No open alert.</p>")
    else:
        cols = [c for c in ("alert_id", "created_at", "level", "indicator", "value", "status", "assignee", "delivery")
                if c in open_.columns]
        shown = open_[cols].copy()
        shown["alert_id"] = shown["alert_id"].astype(str).str[:12]
        if "assignee" in shown:
            shown["assignee"] = shown["assignee"].where(shown["assignee"].notna(), "unassigned")
        rows = []
        for _, row in shown.head(_MAX_ALERTS).iterrows():
            cells = "".join(f"<td{' class=lvl-' + _esc(row[c]) if c == 'level' else ''}>{_esc(_fmt(row[c]))}</td>"
                            for c in cols)
            rows.append(f"<tr>{cells}</tr>")
        head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
        parts.append(f"<h3>Open alerts, most severe first</h3><table><tr>{head}</tr>{''.join(rows)}</table>")
        if len(open_) > _MAX_ALERTS:
            parts.append(f"<p class='sub'>first {_MAX_ALERTS} of {len(open_)} open alerts</p>")
        trail = audit[audit["alert_id"].isin(open_["alert_id"])] if len(audit) else audit
        if len(trail):
            trail = trail.assign(alert_id=trail["alert_id"].astype(str).str[:12])
            keep = [c for c in ("alert_id", "at", "user", "action", "comment") if c in trail.columns]
            parts.append("<h3>Audit trail of the open alerts</h3>" + _frame_html(trail[keep], max_rows=100))
        else:
            parts.append("<p class='sub'>Nobody has acted on the open alerts yet (no audit entry).</p>")
    return _Section("alerts", title, "".join(parts), True, str(path))


# --------------------------------------------------------------------------- the report
def build_risk_report(
    month: str,
    *,
    ledger: str | Path | None = None,
    register_path: str | Path | None = None,
    monitoring_experiment: str = MONITORING_EXPERIMENT,
) -> str:
    """The monthly risk report as one self-contained HTML document.

    Parameters
    ----------
    month : str
        The report month ``YYYY-MM``: the credit-portfolio section uses the
        ``portfolio-monitoring`` run whose ``snapshot_month`` tag is this month. The other
        sections use the latest finished runs (model, market and register runs are not monthly).
    ledger : str or Path, optional
        The alert ledger (default :func:`riskkit.app.alerts.default_ledger_path`).
    register_path : str or Path, optional
        Risk register used when there is no ``risk-register`` run (default
        ``data/risk_register.csv`` of the checkout).
    monitoring_experiment : str
        The monitoring experiment (default ``portfolio-monitoring``).

    Returns
    -------
    str
        The HTML document; figures are embedded as base64 PNG.

    Raises
    ------
    ParameterError
        When ``month`` is not YYYY-MM or ``monitoring_experiment`` is empty.
    """
    month = parse_month(month)
    if not isinstance(monitoring_experiment, str) or not monitoring_experiment.strip():
        raise ParameterError(f"monitoring_experiment must be an experiment name (got {monitoring_experiment!r})")
    store = _Store()
    sections = [
        _portfolio(store, month, monitoring_experiment),
        _models(store),
        _market(store),
        _register(store, Path(register_path) if register_path else None),
        _alerts(Path(ledger) if ledger else None),
    ]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    overview = "".join(
        f"<tr><td><a href='#{s.key}'>{_esc(s.title)}</a></td>"
        f"<td class='{'pass' if s.available else 'fail'}'>{'included' if s.available else 'missing'}</td>"
        f"<td>{_esc(s.source)}</td></tr>" for s in sections)
    store_note = f"<p class='missing'>The tracking store could not be read: {_esc(store.error)}</p>" if store.error else ""
    body = "".join(f"<section id='{s.key}'><h2>{_esc(s.title)}</h2>{s.body}</section>" for s in sections)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Monthly risk report {month}</title><style>{_CSS}</style></head><body>"
        f"<h1>Monthly risk report {month}</h1>"
        f"<p class='sub'>generated {generated} by riskkit {_esc(__version__)} from {_esc(tracking.tracking_uri())}</p>"
        + store_note
        + "<table><tr><th>section</th><th>status</th><th>source</th></tr>" + overview + "</table>"
        + body + "</body></html>"
    )


def write_risk_report(month: str, path: str | Path, **options: Any) -> Path:
    """Write :func:`build_risk_report` to ``path`` atomically (a temp file renamed into place).

    Parameters
    ----------
    month : str
        The report month ``YYYY-MM``.
    path : str or Path
        The HTML file to write; its folder must exist.
    **options
        Passed to :func:`build_risk_report` (``ledger``, ``register_path``, ...).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ParameterError
        When ``month`` is malformed or the folder of ``path`` does not exist.
    """
    out = Path(path)
    if not out.parent.is_dir():
        raise ParameterError(f"the folder of the output file does not exist (got path={str(path)!r}); create it first")
    text = build_risk_report(month, **options)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a report is for the team to read (as open() would)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out

