"""Apache Spark as an engine: sessions whose workers run this interpreter, and the multi-asset
VaR backtest with one series per Spark task.

``pyspark`` is optional (``pip install 'riskkit[spark]'`` and a Java 17+ runtime). The numbers are
the model layer's own: each task calls :func:`riskkit.market._panel.backtest_series`, the function
:func:`riskkit.market.panel_backtest` runs over local processes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit._validation import check_alpha
from riskkit.exceptions import ConfigError, ParameterError
from riskkit.market._panel import (
    FORECAST_COLUMNS,
    SUMMARY_COLUMNS,
    PanelBacktest,
    backtest_series,
    long_panel,
    summarise_series,
)

__all__ = ["panel_backtest_spark", "spark_log_path", "spark_session"]


def spark_session(master: str | None = None, app_name: str = "riskkit") -> Any:
    """A SparkSession on ``master`` (default ``local[*]``) whose Python workers run this interpreter.

    ``PYSPARK_PYTHON`` is set to ``sys.executable`` unless already set (executors on a cluster
    need riskkit installed in the Python that variable names). A JVM started here writes its own
    log (log4j, Python workers' stderr) to :func:`spark_log_path`, not to this process's stderr.

    Parameters
    ----------
    master : str, optional
        Spark master URL (default ``local[*]``); ignored when a session is already running.
    app_name : str
        The application name Spark shows.

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    ConfigError
        When pyspark is not installed or the JVM cannot start (no Java, bad master).
    """
    try:
        from pyspark.sql import SparkSession  # lazy: optional dependency (the 'spark' extra), starts a JVM
    except ImportError:
        raise ConfigError("the spark engine needs pyspark: pip install 'riskkit[spark]' (and a Java 17+ runtime)") from None
    # PySpark 4.x warns on every Arrow conversion that pandas 3 is "not yet fully supported"; the
    # engines' agreement is tested on pandas 3 (tests/app/serving/test_spark.py), so that one
    # message is silenced here rather than pinning pandas < 3.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master or "local[*]").appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1"))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    log = spark_log_path()
    try:
        spark = _start_quietly(builder, log)
    except Exception as exc:  # noqa: BLE001 - JVM start failures arrive as several types
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot start Spark on {master or 'local[*]'} ({first}); is Java 17+ installed "
                          f"(JAVA_HOME) and the master reachable? The JVM's log is {log}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_log_path() -> Path:
    """Where the JVM this process starts writes its own log (stderr): a file in the temp folder."""
    return Path(tempfile.gettempdir()) / f"riskkit-spark-{os.getpid()}.log"


def _start_quietly(builder: Any, log: Path) -> Any:
    """``builder.getOrCreate()`` with the JVM's stderr (log4j banner, WARN lines, Python worker
    output) sent to ``log``: a CLI error stays one line. The JVM inherits the descriptor at launch,
    so only a JVM started here is redirected; this process's stderr is restored at once."""
    from pyspark import SparkContext  # lazy: optional dependency (the 'spark' extra)

    if SparkContext._gateway is not None:  # the JVM runs already: nothing to redirect
        return builder.getOrCreate()
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(fd, 2)
        return builder.getOrCreate()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


_FORECAST_SCHEMA = "series string, date timestamp, `return` double, var double, es double, hit boolean"


def panel_backtest_spark(returns: Any, alpha: float = 0.01, *, spark: Any = None, master: str | None = None,
                         series: str = "series", date: str = "date", value: str = "return",
                         **rolling: Any) -> PanelBacktest:
    """:func:`riskkit.market.panel_backtest` on Spark: one series per task via ``applyInPandas``.

    Parameters
    ----------
    returns : DataFrame
        A pandas panel, wide or long (see :func:`riskkit.market.panel_backtest`).
    alpha : float
        VaR tail probability.
    spark : SparkSession, optional
        An existing session; else one is started on ``master`` (default ``local[*]``).
    master : str, optional
        Spark master URL when no session is given.
    series, date, value : str
        Column names of a long table.
    **rolling
        Keyword arguments of :func:`~riskkit.market.rolling_var`.

    Returns
    -------
    PanelBacktest
        The same forecasts and summary as the local engine.

    Raises
    ------
    ConfigError
        When Spark cannot start.
    ParameterError, DataError
        As :func:`riskkit.market.panel_backtest`.
    """
    a = check_alpha(alpha)
    for reserved in ("alpha", "n_jobs", "progress"):
        if reserved in rolling:
            raise ParameterError(f"{reserved} is set by panel_backtest_spark itself (got {reserved}="
                                 f"{rolling[reserved]!r}); pass alpha= directly")
    frame = long_panel(returns, series=series, date=date, value=value)
    session = spark if spark is not None else spark_session(master)
    options = dict(rolling)

    def forecasts(pdf: pd.DataFrame) -> pd.DataFrame:
        name = str(pdf["series"].iloc[0])
        r = pdf.sort_values("date").set_index("date")["return"]
        out, _ = backtest_series(name, r, a, options)
        return out[FORECAST_COLUMNS]

    sdf = session.createDataFrame(frame)
    n = max(1, frame["series"].nunique())
    fc = (sdf.repartition(n, "series").groupBy("series")
          .applyInPandas(forecasts, schema=_FORECAST_SCHEMA).toPandas())
    fc["date"] = pd.to_datetime(fc["date"]).astype(frame["date"].dtype)
    fc = fc.sort_values(["series", "date"], kind="stable").reset_index(drop=True)[FORECAST_COLUMNS]
    # the summary is the model layer's own function on the forecasts the executors returned
    table = pd.DataFrame([summarise_series(g, a)[0] for _, g in fc.groupby("series", sort=True)],
                         columns=SUMMARY_COLUMNS)
    return PanelBacktest(fc[FORECAST_COLUMNS], table[SUMMARY_COLUMNS])
