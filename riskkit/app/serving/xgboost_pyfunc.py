"""MLflow "models from code" definition of a riskkit XGBoost PD model.

MLflow logs this file itself (not a pickled object) as the model's code, with the two files
:meth:`riskkit.credit.GradientBoostingPD.save` writes as artifacts: ``booster`` (XGBoost's
native ``.json`` or ``.ubj``) and ``sidecar`` (``<stem>.riskkit.json``: features, category
lists, parameters). The model config holds the score scaling and the default number of reason
codes::

    mlflow.pyfunc.log_model(
        name="model",
        python_model=riskkit.app.serving.XGBOOST_PYFUNC_PATH,   # path of this file
        artifacts={"booster": "m.json", "sidecar": "m.riskkit.json"},
        model_config={"pdo": 20.0, "base_score": 600.0, "base_odds": 50.0, "reason_codes": 3},
        signature=..., input_example=...,
    )

or simply :func:`riskkit.app.serving.log_gradient_boosting`. ``predict`` takes raw applicant
frames (category, object or string columns as loaded; the model encodes them) and returns a
DataFrame with ``pd`` (probability of bad), ``score`` (points, higher = safer) and
``reason_1 .. reason_k`` (features raising the PD most, None where fewer than k do), one row
per applicant. ``params={"reason_codes": k}`` overrides k per call (0: no reason columns).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext

from riskkit._validation import check_positive_int
from riskkit.credit import GradientBoostingPD
from riskkit.exceptions import ConfigError
from riskkit.app.serving._predict import as_frame, boosting_output

__all__ = ["DEFAULT_SCALING", "GradientBoostingPyfunc"]

#: Model-config keys of the score scaling and their defaults (as in :meth:`GradientBoostingPD.score`).
DEFAULT_SCALING = {"pdo": 20.0, "base_score": 600.0, "base_odds": 50.0}
_SIDECAR_SUFFIX = ".riskkit.json"


def _load_model(booster: Path, sidecar: Path) -> GradientBoostingPD:
    """Load the booster with its sidecar; ``GradientBoostingPD.load`` wants the sidecar next to
    the booster as ``<stem>.riskkit.json``, so copy both there when MLflow stored them apart."""
    if sidecar == booster.with_name(booster.stem + _SIDECAR_SUFFIX):
        return GradientBoostingPD.load(booster)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / ("model" + booster.suffix)
        shutil.copyfile(booster, target)
        shutil.copyfile(sidecar, target.with_name("model" + _SIDECAR_SUFFIX))
        return GradientBoostingPD.load(target)


class GradientBoostingPyfunc(PythonModel):  # type: ignore[misc]
    """Pyfunc wrapper: loads the native booster and its sidecar, predicts PD, points, reasons."""

    def load_context(self, context: PythonModelContext) -> None:
        artifacts = context.artifacts or {}
        missing = [key for key in ("booster", "sidecar") if key not in artifacts]
        if missing:
            raise ConfigError(
                f"the model lacks the artifact(s) {missing} (got artifacts {sorted(artifacts)}); log "
                "artifacts={'booster': <model .json/.ubj>, 'sidecar': <its .riskkit.json>} "
                "as written by GradientBoostingPD.save"
            )
        self.model = _load_model(Path(artifacts["booster"]), Path(artifacts["sidecar"]))
        config = dict(context.model_config or {})
        self.scaling = {key: float(config.get(key, default)) for key, default in DEFAULT_SCALING.items()}
        self.reason_codes = int(config.get("reason_codes", 0))

    def _n_reasons(self, params: dict[str, Any] | None) -> int:
        k = (params or {}).get("reason_codes", self.reason_codes)
        k = check_positive_int(k, "reason_codes", minimum=0, hint="ask for e.g. 3 reasons, or 0 for none")
        return min(k, len(self.model.feature_names_))

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        frame = as_frame(model_input, "model")
        return boosting_output(self.model, frame, self.scaling, self._n_reasons(params))


mlflow.models.set_model(GradientBoostingPyfunc())
