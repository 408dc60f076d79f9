"""The package type-checks: mypy on riskkit (settings in pyproject.toml's [tool.mypy]) is clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_mypy_reports_no_errors_on_the_package() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"), "-p", "riskkit"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"mypy found type errors:\n{proc.stdout}{proc.stderr}"
