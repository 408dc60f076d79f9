"""The house rules of design.md, checked by tools: layers and purity (import-linter), no import
cycles at module level (grimp), function-local imports only with a stated reason, and no
import-time side effects (matplotlib backend, heavy or I/O modules in the model layer)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "riskkit"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_import_linter_contracts_pass():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache", "--config", str(REPO / "pyproject.toml")], cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_scc_finder_finds_a_known_cycle():
    # the checker itself must be able to fail
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_module_level_import_cycles():
    graph = grimp.build_graph("riskkit", exclude_type_checking_imports=True, cache_dir=None)
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        # a package's __init__ re-exporting its children is not a cycle of behaviour
        edges[module] = {m for m in graph.find_modules_directly_imported_by(module)
                         if not module.startswith(m + ".")}
    cycles = _strongly_connected(edges)
    assert cycles == [], f"import cycles: {cycles}"


def _local_imports_without_reason() -> list[str]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    text = lines[sub.lineno - 1]
                    if "# lazy:" not in text or len(text.split("# lazy:", 1)[1].strip()) < 8:
                        bad.append(f"{path.relative_to(REPO)}:{sub.lineno}: {text.strip()}")
    return sorted(set(bad))


def test_function_local_imports_state_their_reason():
    """Function-local imports are only for heavy or optional dependencies, each with a one-line
    ``# lazy: <reason>`` comment on the import line."""
    bad = _local_imports_without_reason()
    assert bad == [], "function-local imports without '# lazy: reason':\n" + "\n".join(bad)


_PROBE = """
import importlib, json, pkgutil, sys
import matplotlib
import riskkit
mods = []
for info in pkgutil.walk_packages(riskkit.__path__, "riskkit."):
    if info.name.endswith("__main__") or info.name.endswith("_pyfunc"):
        continue
    importlib.import_module(info.name)
    mods.append(info.name)
print(json.dumps({"backend": matplotlib.get_backend(), "n": len(mods)}))
"""


def test_importing_every_module_leaves_the_matplotlib_backend_alone():
    env = _env()
    env["MPLBACKEND"] = "svg"
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["n"] > 30
    assert out["backend"].lower() == "svg"


_HEAVY = ["mlflow", "papermill", "smtplib", "sqlite3", "xgboost", "urllib.request", "nbformat"]


@pytest.mark.parametrize("package", ["riskkit.credit", "riskkit.market", "riskkit.grading", "riskkit.data"])
def test_model_packages_import_no_io_or_heavy_modules(package):
    code = (f"import sys, time; t = time.perf_counter(); import {package}; "
            f"print(time.perf_counter() - t); print(','.join(m for m in {_HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seconds, loaded = proc.stdout.split("\n")[:2]
    assert float(seconds) < 60
    assert loaded.strip() == "", f"import {package} loads {loaded}"


def test_no_code_in_the_package_switches_the_matplotlib_backend():
    """Not only at import: no riskkit function may call ``matplotlib.use`` (a report built inside
    a notebook kernel would otherwise switch the user's backend and hide every later figure)."""
    offenders = [f"{p.relative_to(REPO)}:{i}" for p in sorted(PACKAGE.rglob("*.py"))
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if "matplotlib.use(" in line and not line.lstrip().startswith("#")]
    assert offenders == [], offenders
