"""Guards on how benchmarks judge themselves (CONTRIBUTING.md): speed targets are judged on wall
AND CPU time through ``benchmarks/_report.speed_verdict``; no script keeps its own PASS logic."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BENCH = REPO / "benchmarks"
SCRIPTS = sorted(BENCH.glob("bench_*.py"))


def _report_module():
    spec = importlib.util.spec_from_file_location("bench_report", BENCH / "_report.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_report"] = module
    spec.loader.exec_module(module)
    return module


def test_speed_verdict_needs_wall_and_cpu():
    report = _report_module()
    assert report.speed_verdict(12.0, 11.0, 10) == "met"
    # met on wall time only (e.g. two processes against one): missed, naming the CPU ratio
    assert report.speed_verdict(12.0, 6.0, 10) == "missed (CPU 6.0x < 10x)"
    assert report.speed_verdict(8.0, 12.0, 10) == "missed (wall 8.0x < 10x)"
    assert report.speed_verdict(float("nan"), 12.0, 10).startswith("missed")


def test_measure_charges_cpu_time():
    report = _report_module()
    timing = report.measure(lambda: sum(i * i for i in range(200_000)), repeats=3)
    assert len(timing.wall) == 3 and len(timing.cpu) == 3
    assert timing.cpu_median > 0 and timing.wall_median > 0


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_judges_speed_through_the_shared_verdict(script: Path):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "_report"
                for a in n.names}
    own = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert not ({"verdict", "speed_verdict"} & own), f"{script.name} defines its own verdict"
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert not any(s in ("PASS", "MISS") for s in strings), f"{script.name} prints its own PASS/MISS"
    if "speed_verdict" in imported | names:
        return
    # a script with no speed target (accuracy only) must not print one either
    assert not any("faster" in s or "speed-up" in s.lower() for s in strings), (
        f"{script.name} reports a speed-up without speed_verdict")
