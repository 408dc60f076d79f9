"""``riskkit score`` on the pandas engine: streamed batches give the model's own numbers, keys are
carried, bad input is one line and exit 2 with nothing left at OUTPUT.

Reference: the registered champion loaded by ``mlflow.pyfunc.load_model`` and called on the whole
frame at once (the same arithmetic, so agreement is exact up to 1e-12).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest

from riskkit.app.review import register_run_model
from riskkit.app.scoring import score_file
from riskkit.app.serving import log_gradient_boosting
from riskkit.exceptions import DataError, ParameterError, TrackingError
from tests.conftest import run_cli

MODEL = "models:/credit-xgboost@champion"


@pytest.fixture
def champion(store: dict[str, str], fitted: dict[str, Any], applicants: tuple[pd.DataFrame, pd.Series]) -> str:
    X, _ = applicants
    mlflow.set_tracking_uri(store["uri"])
    mlflow.set_experiment("credit-xgboost")
    with mlflow.start_run() as run:
        log_gradient_boosting(fitted["credit-xgboost"], X.head(5), name="model")
    version = register_run_model(run.info.run_id, "credit-xgboost")
    mlflow.MlflowClient().set_registered_model_alias("credit-xgboost", "champion", version)
    return store["uri"]


def _applicants_with_id(applicants: tuple[pd.DataFrame, pd.Series]) -> pd.DataFrame:
    X, _ = applicants
    return X.assign(applicant_id=np.arange(100_000, 100_000 + len(X)))


def test_streamed_batches_equal_one_predict(champion: str, applicants, tmp_path: Path) -> None:
    frame = _applicants_with_id(applicants)
    source = tmp_path / "applicants.parquet"
    frame.to_parquet(source, row_group_size=128)
    whole = mlflow.pyfunc.load_model(MODEL).predict(frame.drop(columns="applicant_id"))
    for batch_rows in (37, 100_000):
        out_path = tmp_path / f"scores_{batch_rows}.parquet"
        summary = score_file(MODEL, source, out_path, batch_rows=batch_rows)
        out = pd.read_parquet(out_path)
        assert summary.rows == len(frame) == len(out)
        assert summary.key_columns == ("applicant_id",)
        assert list(out.columns) == ["applicant_id", *whole.columns]
        np.testing.assert_array_equal(out["applicant_id"], frame["applicant_id"])
        np.testing.assert_allclose(out["pd"], whole["pd"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(out["score"], whole["score"], rtol=0, atol=1e-12)
        for col in [c for c in whole.columns if c.startswith("reason_")]:
            # an applicant with fewer adverse reasons than asked has an empty (null) slot
            assert out[col].fillna("").tolist() == whole[col].fillna("").tolist()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_csv_in_csv_out_through_the_cli(champion: str, applicants, tmp_path: Path) -> None:
    frame = _applicants_with_id(applicants)
    source = tmp_path / "applicants.csv"
    frame.to_csv(source, index=False)
    out_path = tmp_path / "scores.csv"
    result = run_cli("score", MODEL, str(source), str(out_path), "--batch-rows", "250",
                     env={"MLFLOW_TRACKING_URI": champion})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "scored 1,000 rows" in result.stdout
    out = pd.read_csv(out_path)
    whole = mlflow.pyfunc.load_model(MODEL).predict(frame.drop(columns="applicant_id"))
    np.testing.assert_allclose(out["pd"], whole["pd"], rtol=0, atol=1e-12)


def test_a_short_run_id_names_the_run_model(champion: str, applicants, tmp_path: Path) -> None:
    """``runs:/<prefix>/model`` with the 12 digits ``riskkit runs`` prints works like the full id."""
    frame = _applicants_with_id(applicants).head(50)
    source = tmp_path / "applicants.parquet"
    frame.to_parquet(source)
    run_id = mlflow.MlflowClient().get_model_version_by_alias("credit-xgboost", "champion").run_id
    summary = score_file(f"runs:/{run_id[:12]}/model", source, tmp_path / "short.parquet")
    assert summary.model_uri == f"runs:/{run_id}/model" and summary.rows == 50
    whole = mlflow.pyfunc.load_model(MODEL).predict(frame.drop(columns="applicant_id"))
    np.testing.assert_allclose(pd.read_parquet(tmp_path / "short.parquet")["pd"], whole["pd"], rtol=0, atol=1e-12)
    missing = "0" * 8 if not run_id.startswith("0" * 8) else "f" * 8
    with pytest.raises(TrackingError, match="no run id starts with"):
        score_file(f"runs:/{missing}/model", source, tmp_path / "none.parquet")


@pytest.mark.parametrize("case", ["missing model", "missing column", "unreadable", "missing input", "bad output"])
def test_bad_input_is_one_line_and_leaves_nothing(case: str, champion: str, applicants, tmp_path: Path) -> None:
    frame = _applicants_with_id(applicants)
    model, source, out_path = MODEL, tmp_path / "in.parquet", tmp_path / "out.parquet"
    frame.to_parquet(source)
    expected = {"missing model": "cannot load model", "missing column": "lacks column(s) ['purpose']",
                "unreadable": "cannot read input file", "missing input": "input does not exist",
                "bad output": "output must end in .parquet or .csv"}[case]
    if case == "missing model":
        model = "models:/no-such-model@champion"
    elif case == "missing column":
        frame.drop(columns="purpose").to_parquet(source)
    elif case == "unreadable":
        source.write_bytes(b"PAR1 this is not parquet")
    elif case == "missing input":
        source = tmp_path / "nope.parquet"
    else:
        out_path = tmp_path / "out.xlsx"
    result = run_cli("score", model, str(source), str(out_path), env={"MLFLOW_TRACKING_URI": champion})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("riskkit score: ") and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not out_path.exists()
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_parameters_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="engine must be one of"):
        score_file("models:/x@champion", tmp_path / "a.parquet", tmp_path / "b.parquet", engine="dask")
    with pytest.raises(ParameterError, match="batch_rows"):
        score_file("models:/x@champion", tmp_path / "a.parquet", tmp_path / "b.parquet", batch_rows=0)
    with pytest.raises(ParameterError, match="master is only for the spark engine"):
        score_file("models:/x@champion", tmp_path / "a.parquet", tmp_path / "b.parquet", master="local[2]")
    with pytest.raises(DataError, match="input does not exist"):
        score_file("models:/x@champion", tmp_path / "a.parquet", tmp_path / "b.parquet")
