"""Every public name carries a numpydoc docstring; the main entry points carry runnable Examples.

The walker below defines "public": the ``__all__`` of the model packages (``riskkit.credit``,
``riskkit.market``, ``riskkit.grading``, ``riskkit.monitoring``, ``riskkit.data``) and of
``riskkit.exceptions``, every public module of ``riskkit.app`` (its ``__all__``, or else the
functions and classes it defines whose names do not start with an underscore), the shared
internals of :data:`SHARED_MODULES` (same rule), submodules listed
in an ``__all__`` (``credit.metrics``, ``market.backtest``, ...), and the public methods and
properties that riskkit classes define themselves (inherited scikit-learn or builtin methods are
not ours to document). Sections are read with numpydoc's own parser, so a misspelt header
("Parameter", "Return") counts as missing. The Examples sections run as doctests in ``make test``
(``--doctest-modules`` in pyproject.toml).

Run ``python tests/test_docs.py`` to print the counts (documented / with Parameters / total).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
import tomllib
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from numpydoc.docscrape import NumpyDocString

REPO = Path(__file__).resolve().parents[1]
MODEL_PACKAGES = (
    "riskkit.credit",
    "riskkit.market",
    "riskkit.grading",
    "riskkit.monitoring",
    "riskkit.data",
    "riskkit.exceptions",
)
# Shared internals every public entry point goes through (input checks, JSON persistence, the
# result protocol); private modules, but the project's own API between packages.
SHARED_MODULES = ("riskkit._validation", "riskkit._persistence", "riskkit._results", "riskkit._estimator")
# Modules that cannot be imported outside an MLflow model load (they call
# mlflow.models.set_model at import); their entry points are documented in riskkit.app.serving.
SKIP_MODULES = ("riskkit.app.serving.scorecard_pyfunc", "riskkit.app.serving.xgboost_pyfunc")

# The main entry points: each must show a runnable Examples section.
NEEDS_EXAMPLES = (
    "riskkit.credit.WoEBinner",
    "riskkit.credit.Scorecard",
    "riskkit.credit.GradientBoostingPD",
    "riskkit.credit.select_features",
    "riskkit.credit.metrics.auc",
    "riskkit.credit.metrics.ks",
    "riskkit.credit.metrics.psi",
    "riskkit.market.rolling_var",
    "riskkit.market.backtest.backtest_var",
    "riskkit.market.backtest.kupiec_pof",
    "riskkit.market.backtest.traffic_light",
    "riskkit.market.panel_backtest",
    "riskkit.market.VaRModel",
    "riskkit.grading.MasterScale",
    "riskkit.grading.EarlyWarning",
    "riskkit.grading.RiskRegister",
    "riskkit.data.simulate_loan_book",
    "riskkit.monitoring.vintage_curves",
    "riskkit.monitoring.roll_rate_matrix",
    "riskkit.grading.DynamicThreshold",
)

# Names whose docstring still lacks a section, by file. Each entry is debt, not an exemption of a
# kind: remove it when the docstring is written (test_allow_list_is_not_stale fails on a stale
# entry, so the list can only shrink). Reason for every entry: to be documented.
ALLOW_MISSING_PARAMETERS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PublicName:
    """One public definition found by :func:`walk`.

    Attributes
    ----------
    path : str
        Dotted public path, e.g. ``riskkit.credit.Scorecard.fit``.
    obj : object
        The function, class or property.
    kind : str
        ``"function"``, ``"class"``, ``"method"`` or ``"property"``.
    """

    path: str
    obj: object
    kind: str


def _app_modules() -> list[str]:
    app = importlib.import_module("riskkit.app")
    names = ["riskkit.app"]
    for info in pkgutil.walk_packages(app.__path__, "riskkit.app."):
        if any(part.startswith("_") for part in info.name.split(".")) or info.name in SKIP_MODULES:
            continue
        names.append(info.name)
    return names


def _module_names(module: types.ModuleType) -> list[str]:
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return sorted(
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(v) or inspect.isclass(v))
        and getattr(v, "__module__", None) == module.__name__
    )


def _own_members(cls: type) -> list[tuple[str, object, str]]:
    """Public methods and properties defined by riskkit classes in ``cls``'s MRO."""
    seen: dict[str, tuple[object, str]] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("riskkit"):
            continue
        for name, raw in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(raw, property):
                seen[name] = (raw, "property")
            elif isinstance(raw, (staticmethod, classmethod)):
                seen[name] = (raw.__func__, "method")
            elif inspect.isfunction(raw):
                seen[name] = (raw, "method")
    return [(n, o, k) for n, (o, k) in sorted(seen.items())]


def walk() -> list[PublicName]:
    """Every public function, class, method and property, each once (first public path wins)."""
    found: list[PublicName] = []
    ids: set[int] = set()

    def add(path: str, obj: object, kind: str) -> None:
        key = id(obj.fget) if isinstance(obj, property) else id(obj)
        if key in ids:
            return
        ids.add(key)
        found.append(PublicName(path, obj, kind))

    def visit_module(module: types.ModuleType, prefix: str, seen_modules: set[str]) -> None:
        if module.__name__ in seen_modules:
            return
        seen_modules.add(module.__name__)
        for name in _module_names(module):
            obj = getattr(module, name)
            path = f"{prefix}.{name}"
            if isinstance(obj, types.ModuleType):
                if obj.__name__.startswith("riskkit"):
                    visit_module(obj, path, seen_modules)
            elif inspect.isclass(obj):
                if not obj.__module__.startswith("riskkit"):
                    continue
                add(path, obj, "class")
                for member, value, kind in _own_members(obj):
                    add(f"{path}.{member}", value, kind)
            elif inspect.isfunction(obj) and obj.__module__.startswith("riskkit"):
                add(path, obj, "function")

    seen_modules: set[str] = set()
    for name in (*MODEL_PACKAGES, *SHARED_MODULES, *_app_modules()):
        module = importlib.import_module(name)
        visit_module(module, name, seen_modules)
    return found


def _sections(obj: object) -> NumpyDocString | None:
    doc = inspect.getdoc(obj.fget if isinstance(obj, property) else obj)  # type: ignore[union-attr]
    if not doc:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpydoc warns on unknown sections; the checks below decide
        return NumpyDocString(doc)


def _has_parameters(obj: object, kind: str) -> bool:
    """Whether the callable takes arguments that a Parameters section must describe."""
    if kind == "property":
        return False
    target = obj
    if kind == "class":
        target = obj.__init__  # type: ignore[misc]
        if not inspect.isfunction(target):  # object's or a builtin exception's constructor
            return False
    try:
        sig = inspect.signature(target)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    params = [p for n, p in sig.parameters.items() if n not in ("self", "cls")]
    return bool(params)


def _missing_parameters(name: PublicName, doc: NumpyDocString) -> bool:
    if not _has_parameters(name.obj, name.kind):
        return False
    if doc["Parameters"] or doc["Other Parameters"]:
        return False
    if name.kind == "class":
        # numpydoc allows a class to describe its constructor in __init__'s docstring, and a
        # result dataclass to describe its fields as Attributes
        init_doc = inspect.getdoc(name.obj.__init__)  # type: ignore[misc]
        if init_doc and init_doc != inspect.getdoc(object.__init__) and NumpyDocString(init_doc)["Parameters"]:
            return False
        if getattr(name.obj, "__dataclass_fields__", None) and doc["Attributes"]:
            return False
    return True


NAMES = walk()


def test_walker_finds_the_public_surface() -> None:
    paths = {n.path for n in NAMES}
    for expected in ("riskkit.credit.Scorecard.fit", "riskkit.credit.metrics.auc", "riskkit.market.backtest.kupiec_pof",
                     "riskkit.grading.MasterScale.grade", "riskkit.data.simulate_loan_book",
                     "riskkit.app.tracking.tracking_uri", "riskkit.app.alerts.Notifier.notify"):
        assert expected in paths, f"the walker misses {expected}"
    assert not any(".serving.scorecard_pyfunc" in p for p in paths)
    assert len(NAMES) > 400


def test_every_public_name_has_a_docstring() -> None:
    missing = [n.path for n in NAMES if _sections(n.obj) is None]
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)


def test_every_public_callable_has_a_parameters_section() -> None:
    missing = []
    for name in NAMES:
        doc = _sections(name.obj)
        if doc is not None and name.path not in ALLOW_MISSING_PARAMETERS and _missing_parameters(name, doc):
            missing.append(name.path)
    assert not missing, (
        f"{len(missing)} public callables take arguments but have no numpydoc 'Parameters' section:\n"
        + "\n".join(missing)
    )


def _signature_names(name: PublicName) -> set[str] | None:
    target = name.obj.__init__ if name.kind == "class" else name.obj  # type: ignore[misc]
    if not inspect.isfunction(target):
        return None
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    return {n for n in sig.parameters if n not in ("self", "cls")}


def _documented_names(doc: NumpyDocString) -> set[str]:
    """Names of a Parameters section; ``a, b : float`` documents both, ``**kwargs`` is ``kwargs``."""
    names = set()
    for param in [*doc["Parameters"], *doc["Other Parameters"]]:
        names.update(part.strip().lstrip("*") for part in param.name.split(",") if part.strip())
    return names


def test_parameters_sections_match_the_signatures() -> None:
    """A Parameters section documents every argument and nothing else (no stale or prose entries)."""
    wrong = []
    for name in NAMES:
        doc = _sections(name.obj)
        if doc is None or name.kind == "property" or not (doc["Parameters"] or doc["Other Parameters"]):
            continue
        real = _signature_names(name)
        if real is None:
            continue
        documented = _documented_names(doc)
        if documented != real:
            wrong.append(f"{name.path}: undocumented {sorted(real - documented)}, "
                         f"not in the signature {sorted(documented - real)}")
    assert not wrong, f"{len(wrong)} Parameters sections disagree with the signature:\n" + "\n".join(wrong)


def _raises_directly(func: object) -> bool:
    """Whether the function body raises a named ``...Error`` outside a ``try`` block."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))  # type: ignore[arg-type]
    except (OSError, TypeError, SyntaxError):
        return False
    in_try: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for inner in node.body:
                in_try.update(id(n) for n in ast.walk(inner))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and id(node) not in in_try and isinstance(node.exc, ast.Call):
            target = node.exc.func
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
            if name.endswith("Error") and name != "NotImplementedError":
                return True
    return False


def test_functions_document_what_they_return_and_raise() -> None:
    """Returns when a callable taking arguments returns a value; Raises when its body raises."""
    wrong = []
    for name in NAMES:
        if name.kind not in ("function", "method"):
            continue
        doc = _sections(name.obj)
        if doc is None:
            continue
        sig = inspect.signature(name.obj)  # type: ignore[arg-type]
        takes_args = any(n not in ("self", "cls") for n in sig.parameters)
        returns_value = sig.return_annotation not in (inspect.Signature.empty, None, "None")
        if takes_args and returns_value and not (doc["Returns"] or doc["Yields"]):
            wrong.append(f"{name.path}: no Returns section")
        if _raises_directly(name.obj) and not doc["Raises"]:
            wrong.append(f"{name.path}: raises but has no Raises section")
    assert not wrong, f"{len(wrong)} incomplete docstrings:\n" + "\n".join(wrong)


def test_allow_list_is_not_stale() -> None:
    by_path = {n.path: n for n in NAMES}
    unknown = sorted(p for p in ALLOW_MISSING_PARAMETERS if p not in by_path)
    assert not unknown, f"allow-list names that are no longer public: {unknown}"
    fixed = sorted(
        p
        for p in ALLOW_MISSING_PARAMETERS
        if (doc := _sections(by_path[p].obj)) is not None and not _missing_parameters(by_path[p], doc)
    )
    assert not fixed, f"documented now, remove from ALLOW_MISSING_PARAMETERS: {fixed}"


@pytest.mark.parametrize("path", NEEDS_EXAMPLES)
def test_main_entry_points_have_examples(path: str) -> None:
    module_name, _, attr = path.rpartition(".")
    obj = getattr(importlib.import_module(module_name), attr)
    doc = _sections(obj)
    assert doc is not None, f"{path} has no docstring"
    examples = "\n".join(doc["Examples"])
    assert ">>>" in examples, f"{path} needs an Examples section with a doctest (>>> lines)"
    body = [line for line in examples.splitlines() if line.strip().startswith(">>>")]
    assert any("+SKIP" not in line for line in body), f"{path}: every example line is skipped"


def test_examples_run_as_doctests_in_the_test_suite() -> None:
    """``make test`` runs plain ``pytest``: its configuration must collect the package's doctests."""
    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "riskkit" in options["testpaths"]
    assert "--doctest-modules" in options["addopts"].split()
    assert {"NORMALIZE_WHITESPACE", "ELLIPSIS", "NUMBER"} <= set(options["doctest_optionflags"].split())


def counts() -> dict[str, int]:
    """Documented / with Parameters where needed / total, as the report quotes them."""
    total = len(NAMES)
    with_doc = sum(_sections(n.obj) is not None for n in NAMES)
    needs = [n for n in NAMES if _has_parameters(n.obj, n.kind)]
    with_params = sum(
        (d := _sections(n.obj)) is not None and not _missing_parameters(n, d) for n in needs
    )
    complete = sum(
        (d := _sections(n.obj)) is not None and not _missing_parameters(n, d) for n in NAMES
    )
    return {
        "public names": total,
        "with a docstring": with_doc,
        "taking arguments": len(needs),
        "of those with a Parameters section": with_params,
        "fully documented (docstring + Parameters where needed)": complete,
    }


if __name__ == "__main__":
    for key, value in counts().items():
        print(f"{key}: {value}")
