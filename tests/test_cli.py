"""The ``riskkit`` command line starts fast: a subcommand loads only its own group."""

from __future__ import annotations

import subprocess
import sys

import pytest

from riskkit.cli import COMMANDS, build_parser
from tests.conftest import REPO


def _subcommands(parser: object) -> set[str]:
    import argparse

    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]  # type: ignore[attr-defined]
    return set(action.choices)


def test_command_map_matches_the_parser() -> None:
    assert _subcommands(build_parser()) == set(COMMANDS)
    for command in COMMANDS:  # each command's own group registers it
        assert command in _subcommands(build_parser(command))


@pytest.mark.parametrize("argv", [["run", "x.yaml"], ["runs", "x"], ["promote", "abc"], ["score", "m", "i", "o"],
                                  ["team", "apply", "t.yaml"]])
def test_light_commands_do_not_load_the_model_stack(argv: list[str]) -> None:
    # the scheduled runner and the reviewers' commands start once per cron entry and per grid
    # point: scikit-learn, scipy.stats and matplotlib (about a second) are for the notebooks
    code = ("import sys; from riskkit.cli import build_parser, _command; "
            f"argv = {argv!r}; build_parser(_command(argv)); "
            "print(sorted(m for m in ('sklearn', 'scipy.stats', 'matplotlib', 'xgboost') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_unknown_command_lists_every_command() -> None:
    proc = subprocess.run([sys.executable, "-m", "riskkit.cli", "rn", "x.yaml"], cwd=REPO, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2 and "invalid choice: 'rn'" in proc.stderr
    assert all(name in proc.stderr for name in COMMANDS)
