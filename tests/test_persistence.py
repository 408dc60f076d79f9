"""One persistence protocol for fitted models: versioned JSON, never pickle.

Round trips through ``to_json``/``from_json`` and ``save``/``load`` must reproduce predictions
exactly (bit for bit), for models fitted on DataFrames and on numpy arrays.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit.credit import GradientBoostingPD, Scorecard, WoEBinner
from riskkit.data import german_credit
from riskkit.exceptions import ConfigError
from riskkit.grading import MasterScale


@pytest.fixture(scope="module")
def german() -> tuple[pd.DataFrame, pd.Series]:
    return german_credit()


@pytest.fixture(scope="module")
def numeric(german: tuple[pd.DataFrame, pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    X, y = german
    return X.select_dtypes("number").to_numpy(dtype=float), y.to_numpy()


def test_woe_binner_round_trips(tmp_path: Path, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = german
    binner = WoEBinner(max_bins=6, special_values={"age": [-1]}).fit(X, y)
    doc = json.loads(binner.to_json())
    assert (doc["format"], doc["format_version"]) == ("riskkit.woe_binner", 1) and "riskkit_version" in doc
    for loaded in (WoEBinner.from_json(binner.to_json()), WoEBinner.load(binner.save(tmp_path / "binner.json"))):
        pd.testing.assert_frame_equal(loaded.transform(X), binner.transform(X), check_exact=True)
        assert loaded.get_params() == binner.get_params()
        np.testing.assert_array_equal(loaded.feature_names_in_, binner.feature_names_in_)
        np.testing.assert_array_equal(loaded.get_feature_names_out(), binner.get_feature_names_out())


def test_scorecard_round_trips(tmp_path: Path, german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = german
    card = Scorecard(pdo=40).fit(X, y)
    path = card.save(tmp_path / "nested" / "card.json")
    assert path.is_file() and json.loads(path.read_text())["format"] == "riskkit.scorecard"
    for loaded in (Scorecard.load(path), Scorecard.from_json(card.to_json())):
        np.testing.assert_array_equal(loaded.predict_proba(X), card.predict_proba(X))
        np.testing.assert_array_equal(loaded.predict(X), card.predict(X))
        pd.testing.assert_series_equal(loaded.points(X), card.points(X), check_exact=True)
        np.testing.assert_array_equal(loaded.classes_, card.classes_)
        assert loaded.n_features_in_ == card.n_features_in_ == X.shape[1]


def test_scorecard_format_1_documents_still_load(german: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = german
    card = Scorecard().fit(X, y)
    doc = json.loads(card.to_json())
    doc["format_version"] = 1
    for key in ("classes", "n_iter", "n_features_in", "feature_names_in"):
        del doc[key]
    for key in ("input_features", "input_named"):
        del doc["binner"][key]
    old = Scorecard.from_json(json.dumps(doc))
    np.testing.assert_array_equal(old.predict_proba(X), card.predict_proba(X))
    np.testing.assert_array_equal(old.classes_, [0, 1])


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_gradient_boosting_round_trips(tmp_path: Path, german: tuple[pd.DataFrame, pd.Series], suffix: str) -> None:
    X, y = german
    model = GradientBoostingPD(n_estimators=200, random_state=2).fit(X, y)
    native = GradientBoostingPD.load(model.save(tmp_path / f"m{suffix}"))
    document = GradientBoostingPD.from_json(model.to_json())
    for loaded in (native, document):
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        np.testing.assert_array_equal(loaded.decision_function(X), model.decision_function(X))
        pd.testing.assert_series_equal(loaded.points(X), model.points(X), check_exact=True)
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
        np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    doc = json.loads(model.to_json())
    assert (doc["format"], doc["format_version"]) == ("riskkit.gradient_boosting_pd", 1)
    assert "learner" in doc["booster"]  # XGBoost's own JSON model, readable without riskkit


def test_models_fitted_on_arrays_round_trip(tmp_path: Path, numeric: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = numeric
    models = [WoEBinner().fit(X, y), Scorecard().fit(X, y),
              GradientBoostingPD(n_estimators=50, early_stopping_rounds=None).fit(X, y)]
    for i, model in enumerate(models):
        loaded = type(model).from_json(model.to_json())
        assert not hasattr(loaded, "feature_names_in_") and loaded.n_features_in_ == X.shape[1]
        if isinstance(model, WoEBinner):
            np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
        else:
            np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        again = type(model).load(model.save(tmp_path / f"m{i}.json")) if not isinstance(model, GradientBoostingPD) \
            else GradientBoostingPD.load(model.save(tmp_path / f"m{i}.ubj"))
        out = again.transform(X) if isinstance(model, WoEBinner) else again.predict_proba(X)
        ref = model.transform(X) if isinstance(model, WoEBinner) else model.predict_proba(X)
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("cls", [WoEBinner, Scorecard, GradientBoostingPD])
def test_documents_are_checked(cls: type, tmp_path: Path, german: tuple[pd.DataFrame, pd.Series]) -> None:
    with pytest.raises(ConfigError, match=r"document field 'format' must be 'riskkit\."):
        cls.from_json(json.dumps({"format": "something-else", "format_version": 1}))
    fmt = {WoEBinner: "riskkit.woe_binner", Scorecard: "riskkit.scorecard",
           GradientBoostingPD: "riskkit.gradient_boosting_pd"}[cls]
    with pytest.raises(ConfigError, match=r"format_version' must be an integer from 1 to \d+ \(got 99\); upgrade riskkit"):
        cls.from_json(json.dumps({"format": fmt, "format_version": 99}))
    with pytest.raises(ConfigError, match="document is not valid JSON"):
        cls.from_json("{not json")
    with pytest.raises(ConfigError, match="path (does not name a file|must name a saved model)"):
        cls.load(tmp_path / "absent.json")


def test_master_scale_round_trips(tmp_path: Path) -> None:
    scale = MasterScale([0.001, 0.01, 0.1, 1.0], labels=["A", "B", "C"], default_label="X")
    pds = np.array([0.0001, 0.005, 0.05, 0.5, 1.0])
    for loaded in (MasterScale.from_json(scale.to_json()), MasterScale.load(scale.save(tmp_path / "scale.json"))):
        assert loaded.grades == ["A", "B", "C", "X"]
        np.testing.assert_array_equal(loaded.grade(pds), scale.grade(pds))
        pd.testing.assert_frame_equal(loaded.table(), scale.table())
    doc = json.loads(scale.to_json())
    doc["bounds"] = [0.1, 0.01, 1.0]
    with pytest.raises(ConfigError, match="document describes an invalid master scale: bounds must increase"):
        MasterScale.from_json(json.dumps(doc))
