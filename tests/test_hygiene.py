"""Repository hygiene: notebooks without outputs and with a declared parameters cell; dependency
lists in pyproject.toml and environment.yml in agreement."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i} has outputs; clear them before committing"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", [*NOTEBOOKS, *sorted((REPO / "tests" / "notebooks").glob("*.ipynb"))],
                         ids=lambda p: p.name)
def test_notebook_is_valid_with_cell_ids(path: Path) -> None:
    """nbformat 4.5 needs an id on every cell: without one nbformat warns (MissingIDFieldWarning)
    into the log of every scheduled run of the notebook, and will refuse it in a later version."""
    import json
    import warnings

    cells = json.loads(path.read_text())["cells"]
    missing = [i for i, cell in enumerate(cells) if not cell.get("id")]
    assert not missing, f"{path.name}: cells {missing} have no id; open and save it in JupyterLab"
    ids = [cell["id"] for cell in cells]
    assert len(set(ids)) == len(ids), f"{path.name}: cell ids repeat"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nbformat.validate(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_one_declared_parameters_cell(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name} must have exactly one cell tagged 'parameters'"
    assigned = set()
    for node in ast.parse(tagged[0].source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            assigned.add(node.target.id)
        elif isinstance(node, ast.Assign):
            assigned.update(t.id for t in node.targets if isinstance(t, ast.Name))
    declared = set(papermill.inspect_notebook(str(path)))
    # papermill skips lines it cannot parse (e.g. a comment holding quotes): such a parameter
    # would be refused by the runner as undeclared.
    assert assigned == declared, f"{path.name}: papermill does not see {sorted(assigned - declared)}"


@pytest.mark.parametrize("path", sorted((REPO / "experiments").glob("*.yaml")), ids=lambda p: p.name)
def test_experiment_files_are_valid(path: Path) -> None:
    from riskkit.app.pipeline import check_parameters, load_experiment

    exp = load_experiment(path)
    for spec in exp.runs():
        check_parameters(exp.notebook, spec.parameters)


def _name(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


# conda-forge spells a few PyPI names differently
CONDA_NAMES = {"arch-py": "arch", "py-xgboost": "xgboost", "psycopg2": "psycopg2-binary"}
# conda packages that are not Python packages (so pyproject cannot list them) but the tests need:
# the JVM of the Spark engine and the PostgreSQL server of the team-store test
NON_PYTHON = {"openjdk", "postgresql"}


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_side = dict(_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda_side, non_python = {}, set()
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = _name(dep)
            if name in NON_PYTHON:
                non_python.add(name)
                continue
            if name in {"python", "pip"}:
                continue
            conda_side[CONDA_NAMES.get(name, name)] = spec
    assert conda_side == pip_side, (
        f"only in pyproject: {sorted(set(pip_side) - set(conda_side))}; "
        f"only in environment.yml: {sorted(set(conda_side) - set(pip_side))}; "
        f"bounds differ: {sorted(k for k in pip_side.keys() & conda_side.keys() if pip_side[k] != conda_side[k])}"
    )
    assert non_python == NON_PYTHON, f"environment.yml must list {sorted(NON_PYTHON - non_python)}"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


# The metadata JupyterLab writes when it opens a notebook with riskkit's kernel: a notebook saved with
# less is marked modified on open.
_FULL_LANGUAGE_INFO = {"codemirror_mode", "file_extension", "mimetype", "name", "nbconvert_exporter",
                       "pygments_lexer", "version"}


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_metadata_is_what_jupyterlab_writes(path: Path) -> None:
    import json

    meta = json.loads(path.read_text())["metadata"]
    assert set(meta.get("language_info", {})) >= _FULL_LANGUAGE_INFO, meta
    assert meta["kernelspec"]["name"] == "python3"
    private = re.findall(r"riskkit(?:\.\w+)*\._\w+", path.read_text())
    assert not private, f"notebooks import only public riskkit names, not {private}"


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_reads_like_an_analysis(path: Path) -> None:
    """Text says what is done and what to conclude: no long run of code cells without a word in
    between, a closing text after the last code cells, and no helper copied between notebooks."""
    import json

    cells = json.loads(path.read_text())["cells"]
    kinds = "".join("m" if c["cell_type"] == "markdown" else "c" for c in cells)
    assert "cccc" not in kinds, f"more than 3 code cells in a row without text: {kinds}"
    code_at = [i for i, k in enumerate(kinds) if k == "c"]
    last_text = kinds.rfind("m")
    assert len(code_at) < 2 or last_text > code_at[-2], f"no text after the last code cells: {kinds}"
    words = sum(len("".join(c["source"]).split()) for c in cells if c["cell_type"] == "markdown")
    assert words >= 150, f"only {words} words of text"


def test_no_helper_is_copied_between_notebooks() -> None:
    """A function two notebooks need lives in the package (e.g. ``riskkit.data.resolve_path``)."""
    import json

    where: dict[str, list[str]] = {}
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        for name in set(re.findall(r"^def (\w+)\(", code, flags=re.M)):
            where.setdefault(name, []).append(path.stem)
    copied = {name: stems for name, stems in where.items() if len(stems) > 1}
    assert not copied, f"helpers defined in more than one notebook: {copied}"


def test_xdist_loadgroup_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    """``make test`` runs ``--dist loadgroup``: a module marked ``xdist_group`` builds its heavy
    fixture (every experiment run, one Spark session, one auth server) once, on one worker. A
    pytest/xdist pair that silently ignores the mark (pytest-xdist#1386) runs each such fixture
    once per worker and triples the suite's time; this fails first."""
    import subprocess
    import sys

    for name in ("a", "b"):
        (tmp_path / f"test_{name}.py").write_text(
            "import os, pytest\n"
            "pytestmark = pytest.mark.xdist_group('one')\n"
            "@pytest.mark.parametrize('i', range(4))\n"
            "def test_x(i):\n"
            "    with open('workers.txt', 'a') as f:\n"
            "        f.write(os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n"
        )
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q",
                           "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    workers = (tmp_path / "workers.txt").read_text().split()
    assert len(workers) == 8 and len(set(workers)) == 1, f"group 'one' ran on workers {sorted(set(workers))}"
