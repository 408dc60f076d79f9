"""Batch scoring of an MLflow model over files: ``riskkit score MODEL_URI INPUT OUTPUT``.

Two engines give the same numbers:

* ``pandas`` (default) streams the input in batches (Parquet row groups / record batches, CSV
  chunks) through ``mlflow.pyfunc.load_model(...).predict``, so memory stays bounded whatever the
  file size;
* ``spark`` runs ``mlflow.pyfunc.spark_udf`` on ``local[*]`` (or the cluster ``master`` names),
  with the executors' Python set to this interpreter unless ``PYSPARK_PYTHON`` says otherwise.

The output holds the input's key column(s) (every input column the model does not use, or the
ones named with ``keys``; a ``row`` number when there are none) followed by the model's outputs
(``pd``, ``score`` and, for XGBoost, ``reason_1..k``). Output is written under a temporary name
and renamed into place only when complete, so a failed or interrupted run leaves nothing
half-written at OUTPUT.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from riskkit._validation import check_choice, check_positive_int
from riskkit.app import review
from riskkit.exceptions import ConfigError, DataError, ParameterError

__all__ = ["ENGINES", "ScoreSummary", "model_input_columns", "score_file"]

ENGINES = ("pandas", "spark")
_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


@dataclass(frozen=True)
class ScoreSummary:
    """What a scoring run did: rows in and out, the engine, where the result is, how long it took.

    Parameters
    ----------
    model_uri : str
        The model scored with (e.g. ``models:/credit-xgboost@champion``).
    input, output : str
        Input and output paths.
    engine : str
        ``pandas`` or ``spark``.
    rows : int
        Rows scored.
    seconds : float
        Wall time.
    key_columns : tuple of str
        Input columns copied to the output to identify rows.
    output_columns : tuple of str
        Model output columns written.
    """

    model_uri: str
    input: str
    output: str
    engine: str
    rows: int
    seconds: float
    key_columns: tuple[str, ...]
    output_columns: tuple[str, ...]

    def summary(self) -> str:
        """One line for a terminal or a log."""
        rate = self.rows / self.seconds if self.seconds > 0 else float("nan")
        return (f"scored {self.rows:,} rows with {self.model_uri} on {self.engine} in {self.seconds:.1f} s "
                f"({rate:,.0f} rows/s) -> {self.output}")


# --------------------------------------------------------------------------- inputs and outputs
def _format(path: Path, what: str) -> str:
    """'parquet' or 'csv' for a file, or a folder of such files."""
    if path.is_dir():
        kinds = {_FORMATS.get(p.suffix.lower()) for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_"))}
        kinds.discard(None)
        if len(kinds) != 1:
            raise DataError(f"{what} folder {str(path)!r} must hold .parquet or .csv files of one kind "
                            f"(found {sorted(k for k in kinds if k) or 'none'})")
        return kinds.pop()  # type: ignore[return-value]
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{what} must be a .parquet or .csv file or a folder of them (got {str(path)!r}); "
                        "rename the file or convert it")
    return kind


def _input_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _FORMATS
                      and not p.name.startswith((".", "_")))
    return [path]


def _file_columns(path: Path, kind: str) -> Iterator[tuple[Path, list[str]]]:
    """The column names of each input file, from the Parquet schema or the CSV header alone; a
    file that cannot be read that way is left to the engine to report."""
    for file in _input_files(path):
        try:
            if kind == "parquet":
                yield file, list(pq.read_schema(file).names)
            else:
                yield file, list(pd.read_csv(file, nrows=0).columns)
        except (OSError, ValueError, pa.ArrowException):
            continue


def _batches(path: Path, kind: str, batch_rows: int) -> Iterator[pd.DataFrame]:
    """The input in frames of at most ``batch_rows`` rows."""
    for file in _input_files(path):
        try:
            if kind == "parquet":
                reader = pq.ParquetFile(file)
                for batch in reader.iter_batches(batch_size=batch_rows):
                    yield batch.to_pandas()
            else:
                yield from pd.read_csv(file, chunksize=batch_rows)
        except (OSError, pa.ArrowException, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read input file {str(file)!r} ({type(exc).__name__}: {exc}); "
                            "check that it is a valid Parquet or CSV file") from None


def _check_input(path: Path) -> str:
    if not path.exists():
        raise DataError(f"input does not exist (got {str(path)!r}); give a .parquet or .csv file or folder")
    return _format(path, "input")


def _staging(output: Path) -> Path:
    """A temporary name beside OUTPUT (same filesystem, so the final rename is atomic)."""
    return output.with_name(f".{output.name}.tmp-{uuid.uuid4().hex[:8]}")


def _publish(staging: Path, output: Path) -> None:
    if output.is_dir():
        shutil.rmtree(output)
    elif output.exists():
        output.unlink()
    os.replace(staging, output)


def _discard(staging: Path) -> None:
    if staging.is_dir():
        shutil.rmtree(staging, ignore_errors=True)
    elif staging.exists():
        staging.unlink()


# --------------------------------------------------------------------------- the model
_SHORT_RUN_URI = re.compile(r"^runs:/([0-9a-fA-F]{6,31})/(.+)$")


def _full_run_uri(model_uri: str) -> str:
    """``runs:/<prefix>/model`` with the short id ``riskkit runs`` prints -> the full run id
    (MLflow itself only knows full ids); an unknown or ambiguous prefix is a TrackingError."""
    match = _SHORT_RUN_URI.match(model_uri) if isinstance(model_uri, str) else None
    if match is None:
        return model_uri
    return f"runs:/{review.get_run(match.group(1)).info.run_id}/{match.group(2)}"


def _load_model(model_uri: str) -> Any:
    import mlflow  # lazy: mlflow takes ~1.5 s to import; only when a model is scored
    from mlflow.exceptions import MlflowException  # lazy: with mlflow above

    try:
        return mlflow.pyfunc.load_model(model_uri)
    except (MlflowException, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot load model {model_uri!r}: {first[:300]}; check the URI "
                          "(e.g. models:/credit-xgboost@champion) and MLFLOW_TRACKING_URI") from None


def model_input_columns(model: Any) -> list[str]:
    """The columns a loaded pyfunc model's signature asks for (empty when it has no signature).

    Parameters
    ----------
    model : mlflow.pyfunc.PyFuncModel
        A loaded model.

    Returns
    -------
    list of str
    """
    schema = model.metadata.get_input_schema()
    return list(schema.input_names()) if schema is not None else []


def _keys(columns: Sequence[str], needed: Sequence[str], keys: Sequence[str] | None) -> list[str]:
    if keys:
        missing = [k for k in keys if k not in columns]
        if missing:
            raise DataError(f"key column(s) {missing} not in the input (columns: {list(columns)[:20]})")
        return list(keys)
    return [c for c in columns if c not in set(needed)]


def _check_columns(columns: Sequence[str], needed: Sequence[str], model_uri: str) -> None:
    missing = [c for c in needed if c not in columns]
    if missing:
        raise DataError(f"input lacks column(s) {missing} that model {model_uri!r} needs; "
                        f"the input has {list(columns)[:20]}")


# --------------------------------------------------------------------------- engines
def _score_pandas(model: Any, model_uri: str, source: Path, kind: str, staging: Path, out_kind: str,
                  batch_rows: int, keys: Sequence[str] | None, progress: bool) -> tuple[int, list[str], list[str]]:
    from tqdm.auto import tqdm  # lazy: tqdm.auto probes for Jupyter widgets; only when scoring

    needed = model_input_columns(model)
    total = _count_rows(source, kind)
    bar = tqdm(total=total, unit="rows", disable=not progress, desc="scoring", file=sys.stderr)
    writer: pq.ParquetWriter | None = None
    rows, start, key_cols, out_cols = 0, 0, [], []
    try:
        for frame in _batches(source, kind, batch_rows):
            if rows == 0:
                _check_columns(list(frame.columns), needed, model_uri)
                key_cols = _keys(list(frame.columns), needed, keys)
            features = frame[needed] if needed else frame
            pred = model.predict(features)
            pred = pred if isinstance(pred, pd.DataFrame) else pd.DataFrame({"prediction": pd.Series(pred).to_numpy()})
            pred.index = frame.index
            if key_cols:
                out = pd.concat([frame[key_cols], pred], axis=1)
            else:
                out = pd.concat([pd.Series(range(start, start + len(frame)), index=frame.index, name="row"), pred], axis=1)
            out_cols = list(out.columns)
            if out_kind == "parquet":
                table = pa.Table.from_pandas(out.reset_index(drop=True), preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(staging, table.schema)
                writer.write_table(table)
            else:
                out.to_csv(staging, mode="a", header=rows == 0, index=False)
            rows += len(frame)
            start += len(frame)
            bar.update(len(frame))
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    if rows == 0:
        raise DataError(f"input {str(source)!r} holds no rows; nothing to score")
    return rows, key_cols, [c for c in out_cols if c not in key_cols]


def _count_rows(source: Path, kind: str) -> int | None:
    if kind != "parquet":
        return None
    try:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in _input_files(source))
    except (OSError, pa.ArrowException):
        return None


def _score_spark(model: Any, model_uri: str, source: Path, kind: str, staging: Path, out_kind: str,
                 keys: Sequence[str] | None, master: str | None) -> tuple[int, list[str], list[str]]:
    import mlflow  # lazy: mlflow takes ~1.5 s to import; only when a model is scored
    from py4j.protocol import Py4JError  # lazy: with pyspark (optional dependency)
    from pyspark.errors import PySparkException  # lazy: optional dependency (the 'spark' extra)
    from pyspark.sql import functions as F  # noqa: N812  # lazy: optional dependency (the 'spark' extra)

    from riskkit.app.spark import spark_session  # lazy: loads the market models (sklearn, scipy); Spark engine only

    spark = spark_session(master)
    reader = spark.read
    try:
        frame = reader.parquet(str(source)) if kind == "parquet" else reader.csv(str(source), header=True, inferSchema=True)
        columns = frame.columns
    except (PySparkException, Py4JError) as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read input file {str(source)!r} ({type(exc).__name__}: {first}); "
                        "check that it is a valid Parquet or CSV file") from None
    needed = model_input_columns(model)
    _check_columns(columns, needed, model_uri)
    key_cols = _keys(frame.columns, needed, keys)
    udf = mlflow.pyfunc.spark_udf(spark, model_uri, env_manager="local")
    if not key_cols:
        frame = frame.withColumn("row", F.monotonically_increasing_id())
        key_cols = ["row"]
    scored = frame.withColumn("_riskkit_pred", udf(F.struct(*[F.col(c) for c in (needed or frame.columns)])))
    out = scored.select(*key_cols, "_riskkit_pred.*")
    out = _restore_nulls(out, needed, key_cols)
    writer = out.write.mode("error")
    if out_kind == "parquet":
        writer.parquet(str(staging))
    else:
        writer.option("header", True).csv(str(staging))
    rows = spark.read.parquet(str(staging)).count() if out_kind == "parquet" else \
        spark.read.csv(str(staging), header=True).count()
    return rows, key_cols, [c for c in out.columns if c not in key_cols]


def _restore_nulls(out: Any, needed: Sequence[str], key_cols: Sequence[str]) -> Any:
    """Nulls where ``spark_udf`` wrote the text ``"None"`` in a string output column.

    MLflow's spark_udf casts a string field with ``astype(np.str_)``, which turns a missing value
    (e.g. an empty reason-code slot) into ``"None"``; the pandas engine keeps it null. A reason
    code is a feature name, so the text is only restored when no model column is called "None".
    """
    from pyspark.sql import functions as F  # noqa: N812  # lazy: optional dependency (the 'spark' extra)
    from pyspark.sql.types import StringType  # lazy: optional dependency (the 'spark' extra)

    if "None" in set(needed):
        return out
    strings = {f.name for f in out.schema.fields if isinstance(f.dataType, StringType)}
    fix = {c for c in out.columns if c in strings and c not in set(key_cols)}  # model outputs only
    return out.select(*[F.when(F.col(c) == "None", F.lit(None)).otherwise(F.col(c)).alias(c) if c in fix
                        else F.col(c) for c in out.columns])


# --------------------------------------------------------------------------- entry point
def score_file(model_uri: str, input: str | Path, output: str | Path, *, engine: str = "pandas",
               master: str | None = None, batch_rows: int = 100_000, keys: Sequence[str] | None = None,
               progress: bool = False) -> ScoreSummary:
    """Score every row of INPUT with an MLflow model and write the scores to OUTPUT.

    Parameters
    ----------
    model_uri : str
        Any MLflow model URI, e.g. ``models:/credit-xgboost@champion`` or ``runs:/<id>/model``
        (the run id may be a unique prefix of 6+ hex digits, as ``riskkit runs`` prints it).
    input : str or Path
        A Parquet or CSV file, or a folder of them.
    output : str or Path
        Where the scores go; the format follows its suffix (``.parquet`` or ``.csv``). With the
        spark engine OUTPUT is a folder of part files, as Spark writes them.
    engine : {"pandas", "spark"}
        ``pandas`` streams batches in this process; ``spark`` runs ``mlflow.pyfunc.spark_udf``.
    master : str, optional
        Spark master URL (default ``local[*]``); only with ``engine="spark"``.
    batch_rows : int
        Rows per batch of the pandas engine (memory is proportional to it).
    keys : sequence of str, optional
        Input columns to carry into the output (default: every column the model does not use).
    progress : bool
        Show a progress bar on stderr (pandas engine).

    Returns
    -------
    ScoreSummary

    Raises
    ------
    ParameterError
        For an unknown engine, a bad ``batch_rows``, or ``master`` with the pandas engine.
    ConfigError
        When the model cannot be loaded or Spark cannot start.
    DataError
        When the input is missing, unreadable, empty, or lacks a column the model needs.

    Examples
    --------
    >>> summary = score_file("models:/credit-xgboost@champion", "applicants.parquet",
    ...                      "scores.parquet")  # doctest: +SKIP
    >>> print(summary.summary())  # doctest: +SKIP
    scored 1,000 rows with models:/credit-xgboost@champion on pandas in 1.2 s ...
    """
    check_choice(engine, "engine", ENGINES)
    batch_rows = check_positive_int(batch_rows, "batch_rows", hint="e.g. 100000 rows per batch")
    if master is not None and engine != "spark":
        raise ParameterError(f"master is only for the spark engine (got master={master!r} with engine={engine!r}); "
                             "add --engine spark")
    source, target = Path(input), Path(output)
    kind = _check_input(source)
    out_kind = _FORMATS.get(target.suffix.lower())
    if out_kind is None:
        raise DataError(f"output must end in .parquet or .csv (got {str(target)!r})")
    if not target.parent.exists():
        raise DataError(f"the folder of output does not exist (got {str(target.parent)!r}); create it first")
    model_uri = _full_run_uri(model_uri)
    model = _load_model(model_uri)
    needed = model_input_columns(model)
    for _file, columns in _file_columns(source, kind):
        # before any engine starts (a Spark session takes seconds): every file has the model's columns
        _check_columns(columns, needed, model_uri)
    staging = _staging(target)
    started = time.monotonic()
    try:
        if engine == "pandas":
            rows, key_cols, out_cols = _score_pandas(model, model_uri, source, kind, staging, out_kind,
                                                     batch_rows, keys, progress)
        else:
            rows, key_cols, out_cols = _score_spark(model, model_uri, source, kind, staging, out_kind, keys, master)
        _publish(staging, target)
    except BaseException:
        _discard(staging)
        raise
    return ScoreSummary(model_uri, str(source), str(target), engine, rows, time.monotonic() - started,
                        tuple(key_cols), tuple(out_cols))
