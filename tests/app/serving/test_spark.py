"""The Spark engines give the laptop's numbers: ``riskkit score --engine spark`` against the pandas
engine on the registered German credit champion, and ``panel_backtest_spark`` against
``riskkit.market.panel_backtest`` on the bundled market series.

References: the pandas engine (itself pinned to one ``mlflow.pyfunc`` predict in
test_score_command.py) and the process-pool panel backtest. Both sides run the same XGBoost trees
and the same arch/GPD fits with one BLAS thread, so pd agrees to 1e-9 (float32 tree sums reach
the same doubles; the tolerance is the issue's) and VaRs agree exactly.

One SparkSession on ``local[2]`` serves the whole module (a JVM start costs ~10 s on a loaded
machine); it is stopped at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest

from riskkit.app.review import register_run_model
from riskkit.app.scoring import score_file
from riskkit.app.serving import log_gradient_boosting
from riskkit.app.spark import panel_backtest_spark, spark_session
from riskkit.credit import GradientBoostingPD
from riskkit.data import nasdaq, sp500, wti
from riskkit.exceptions import DataError
from riskkit.market import log_returns, panel_backtest
from tests.conftest import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600), pytest.mark.xdist_group("spark")]  # one Spark session

MODEL = "models:/credit-xgboost@champion"
# The 200,000-row file checks partitions, batches, keys and row order across the engines; its
# model's size only multiplies the work: TreeSHAP reason codes cost about 35 CPU-s per engine for
# 200,000 rows on the 206-tree champion, 6 s on this 40-tree model of the same data.
LIGHT_MODEL = "models:/credit-xgboost-light@champion"
MASTER = "local[2]"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session(MASTER, app_name="riskkit-tests")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="module")
def champion(tmp_path_factory: pytest.TempPathFactory, fitted: dict[str, Any],
             applicants: tuple[pd.DataFrame, pd.Series]) -> Iterator[dict[str, str]]:
    """The XGBoost model registered as credit-xgboost@champion in a store of this module's own."""
    tmp = tmp_path_factory.mktemp("spark-store")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    X, _ = applicants
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.setenv("RISKKIT_HOME", str(tmp))
        for name in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"):
            mp.delenv(name, raising=False)
        mp.chdir(tmp)  # MLflow's ./mlruns and Spark's scratch files land here, never in the checkout
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment("credit-xgboost")
        with mlflow.start_run() as run:
            log_gradient_boosting(fitted["credit-xgboost"], X.head(5), name="model")
        version = register_run_model(run.info.run_id, "credit-xgboost")
        mlflow.MlflowClient().set_registered_model_alias("credit-xgboost", "champion", version)
        light = GradientBoostingPD(40, early_stopping_rounds=None, random_state=0).fit(*applicants)
        with mlflow.start_run() as run:
            log_gradient_boosting(light, X.head(5), name="model")
        version = register_run_model(run.info.run_id, "credit-xgboost-light")
        mlflow.MlflowClient().set_registered_model_alias("credit-xgboost-light", "champion", version)
        yield {"uri": uri, "tmp": str(tmp)}


def _read_sorted(path: Path) -> pd.DataFrame:
    """An engine's output (a file or Spark's folder of parts) in applicant order."""
    return pd.read_parquet(path).sort_values("applicant_id", kind="stable").reset_index(drop=True)


def _assert_same_scores(pandas_out: pd.DataFrame, spark_out: pd.DataFrame) -> None:
    assert list(spark_out.columns) == list(pandas_out.columns)
    assert len(spark_out) == len(pandas_out)
    np.testing.assert_array_equal(spark_out["applicant_id"], pandas_out["applicant_id"])
    assert np.abs(spark_out["pd"].to_numpy() - pandas_out["pd"].to_numpy()).max() <= 1e-9
    np.testing.assert_allclose(spark_out["score"], pandas_out["score"], rtol=0, atol=1e-6)
    reasons = [c for c in pandas_out.columns if c.startswith("reason_")]
    assert reasons, "the XGBoost champion returns reason codes"
    for col in reasons:
        # an applicant with fewer adverse reasons than slots has a null there on both engines
        assert spark_out[col].fillna("").tolist() == pandas_out[col].fillna("").tolist(), col


def _score_both(source: Path, tmp: Path, model: str = MODEL) -> tuple[pd.DataFrame, pd.DataFrame]:
    on_pandas = score_file(model, source, tmp / "pandas.parquet")
    on_spark = score_file(model, source, tmp / "spark.parquet", engine="spark", master=MASTER)
    assert on_pandas.rows == on_spark.rows
    assert on_spark.key_columns == on_pandas.key_columns == ("applicant_id",)
    assert (tmp / "spark.parquet").is_dir()  # Spark writes a folder of parts
    assert not [p for p in tmp.iterdir() if ".tmp-" in p.name]  # staging renamed away
    return _read_sorted(tmp / "pandas.parquet"), _read_sorted(tmp / "spark.parquet")


def test_engines_agree_on_the_german_credit_champion(spark: Any, champion: dict[str, str],
                                                    applicants: tuple[pd.DataFrame, pd.Series],
                                                    tmp_path: Path) -> None:
    X, _ = applicants
    source = tmp_path / "applicants.parquet"
    X.assign(applicant_id=np.arange(len(X))).to_parquet(source, row_group_size=300)
    pandas_out, spark_out = _score_both(source, tmp_path)
    assert len(spark_out) == len(X)
    _assert_same_scores(pandas_out, spark_out)
    # and both are the registered model's own numbers on the whole frame
    whole = mlflow.pyfunc.load_model(MODEL).predict(X)
    np.testing.assert_allclose(spark_out["pd"], whole["pd"], rtol=0, atol=1e-9)


def test_engines_agree_on_200k_rows(spark: Any, champion: dict[str, str],
                                    applicants: tuple[pd.DataFrame, pd.Series], tmp_path: Path) -> None:
    # 200,000 resampled applicants in 4 row groups: several Spark tasks and pandas batches
    X, _ = applicants
    n = 200_000
    rows = np.random.default_rng(20260214).integers(0, len(X), n)
    book = X.iloc[rows].reset_index(drop=True).assign(applicant_id=np.arange(n, dtype=np.int64) + 10_000_000)
    source = tmp_path / "book.parquet"
    book.to_parquet(source, row_group_size=50_000)
    pandas_out, spark_out = _score_both(source, tmp_path, LIGHT_MODEL)
    assert len(spark_out) == n
    np.testing.assert_array_equal(spark_out["applicant_id"], book["applicant_id"])
    _assert_same_scores(pandas_out, spark_out)


def test_unreadable_input_on_spark_is_a_data_error(spark: Any, champion: dict[str, str], tmp_path: Path) -> None:
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    source.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="cannot read input file .*in.parquet"):
        score_file(MODEL, source, out, engine="spark", master=MASTER)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_missing_column_on_spark_through_the_cli(champion: dict[str, str], applicants: tuple[pd.DataFrame, pd.Series],
                                                 tmp_path: Path) -> None:
    X, _ = applicants
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    X.drop(columns="purpose").assign(applicant_id=np.arange(len(X))).to_parquet(source)
    result = run_cli("score", MODEL, str(source), str(out), "--engine", "spark", "--master", MASTER,
                     env={"MLFLOW_TRACKING_URI": champion["uri"]}, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("riskkit score: ") and "lacks column(s) ['purpose']" in lines[0], lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]  # nothing at OUTPUT, no staging


def _bundled_panel() -> pd.DataFrame:
    """Daily log returns of the three bundled markets, 2014-2018 (a wide panel)."""
    prices = {"sp500": sp500()["adj_close"], "nasdaq": nasdaq()["adj_close"], "wti": wti()["price"]}
    wide = pd.DataFrame({k: log_returns(v) for k, v in prices.items()})
    return wide.loc["2014-01-01":"2018-12-31"]


def test_panel_backtest_is_identical_on_spark(spark: Any) -> None:
    wide = _bundled_panel()
    options = {"window": 500, "refit_every": 20}
    local = panel_backtest(wide, 0.01, n_jobs=2, **options)
    on_spark = panel_backtest_spark(wide, 0.01, spark=spark, **options)
    assert sorted(local.table["series"]) == ["nasdaq", "sp500", "wti"]
    assert (local.table["n_obs"] > 600).all()
    pd.testing.assert_frame_equal(on_spark.forecasts, local.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(on_spark.table, local.table, check_exact=True)
