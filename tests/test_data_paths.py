"""riskkit.data.resolve_path: notebooks name bundled files relative to the checkout, from any folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskkit.data import resolve_path
from riskkit.exceptions import DataError

REPO = Path(__file__).resolve().parents[1]


def test_resolve_path_prefers_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_path("data/risk_register.csv") == REPO / "data" / "risk_register.csv"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "risk_register.csv").write_text("id\n")
    assert resolve_path("data/risk_register.csv") == Path("data/risk_register.csv")
    assert resolve_path(tmp_path / "x.csv") == tmp_path / "x.csv"
    with pytest.raises(DataError, match="non-empty file path"):
        resolve_path("  ")
