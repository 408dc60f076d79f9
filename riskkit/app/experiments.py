"""Experiment files: YAML naming an MLflow experiment, a notebook, parameters and a grid."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from riskkit._validation import short_repr
from riskkit.app.describe import run_name
from riskkit.app.gates import parse_gates
from riskkit.app.tracking import check_experiment_name, project_root
from riskkit.exceptions import ConfigError, TrackingError

__all__ = ["Experiment", "RunSpec", "check_no_secrets", "load_experiment", "looks_like_secret", "parse_overrides"]

_KNOWN_KEYS = {"experiment", "notebook", "parameters", "grid", "gates", "tags", "description", "register_model",
               "timeout", "allow_self_promotion"}

# Name parts that say "this is a credential". ``key`` counts as a whole word only (api_key, apiKey,
# key), never inside another word (keyword, monkey, keys); data keys (sort_key, join_key) are fine.
_SECRET_WORDS = {"password", "passwd", "pwd", "passphrase", "token", "secret", "secrets", "key", "apikey",
                 "credential", "credentials", "creds", "privatekey", "accesskey", "secretkey"}
_SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "credential", "credentials")
_DATA_KEY_PREFIXES = {"sort", "primary", "foreign", "join", "group", "groupby", "partition", "merge", "index",
                      "dict", "cache", "lookup", "segment", "row", "column", "col", "match"}


def looks_like_secret(name: str) -> bool:
    """Whether a parameter or tag name looks like it holds a credential.

    Parameters
    ----------
    name : str
        A name such as ``db_password``, ``apiKey``, ``keyword``.

    Returns
    -------
    bool
        True for ``password``, ``token``, ``secret``, ``credential`` (as words or suffixes, e.g.
        ``dbpassword``) and ``key`` as a whole word (``api_key``, ``apiKey``), except data keys
        such as ``sort_key``; False for ``keyword``, ``monkey``, ``keys``, ``max_tokens``.
    """
    words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", str(name)) if w]
    for i, word in enumerate(words):
        if word == "key":
            if i > 0 and words[i - 1] in _DATA_KEY_PREFIXES:
                continue
            return True
        if word in _SECRET_WORDS or word.endswith(_SECRET_SUFFIXES):
            return True
    return False


def check_no_secrets(names: Any, what: str = "parameter") -> None:
    """Refuse names that look like credentials (see :func:`looks_like_secret`).

    Parameters
    ----------
    names : iterable of str
        Parameter or tag names.
    what : str
        ``"parameter"`` or ``"tag"``, for the message.

    Raises
    ------
    ConfigError
        Naming every secret-looking name and pointing to environment variables.
    """
    bad = sorted(n for n in names if looks_like_secret(n))
    if bad:
        raise ConfigError(
            f"{what}(s) {bad} look like credentials; runs record every {what} in MLflow and in the executed "
            "notebook, so secrets must not be passed this way: read them from an environment variable inside "
            "the notebook (os.environ[...]), or rename a harmless one"
        )


@dataclass(frozen=True)
class RunSpec:
    """One point of an experiment: the parameters a notebook run gets and its display name.

    Parameters
    ----------
    name : str
        Run name, e.g. ``market_var[model=gjr]``: the notebook and the grid values.
    parameters : dict of str to object
        Parameters injected into the notebook.
    """

    name: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Experiment:
    """A parsed, validated experiment file (built by :func:`load_experiment`).

    Parameters
    ----------
    path : Path
        The YAML file.
    experiment : str
        MLflow experiment name.
    notebook : Path
        The notebook, resolved.
    parameters : dict, optional
        Fixed notebook parameters.
    grid : dict of str to list, optional
        Parameter axes; one run per combination.
    gates : dict or list, optional
        Review gates on the run's metrics (see :mod:`riskkit.app.gates`).
    tags : dict of str to str, optional
        Extra MLflow tags.
    register_model : str, optional
        Registered model name a promotion uses.
    timeout : float, optional
        Wall-time bound of each run, in seconds.
    allow_self_promotion : bool, default False
        Whether the author of a run may promote it.
    """

    path: Path
    experiment: str
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    gates: dict[str, str] | list[str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    register_model: str | None = None
    timeout: float | None = None  # wall-time bound of each run, seconds
    allow_self_promotion: bool = False

    def runs(self, overrides: dict[str, Any] | None = None) -> list[RunSpec]:
        """Expand the grid (one run per combination); ``overrides`` win over both the fixed
        parameters and a grid axis of the same name.

        Parameters
        ----------
        overrides : dict of str to object, optional
            Parameters given on the command line (``-p key=value``).

        Returns
        -------
        list of RunSpec
            One run per grid combination (one run without a grid).
        """
        overrides = overrides or {}
        base = {**self.parameters, **overrides}
        # the name shows what differs from the file: overrides that change a value, then grid axes
        changed = {k: v for k, v in sorted(overrides.items()) if k in self.grid or self.parameters.get(k, _UNSET) != v}
        axes = {k: v for k, v in self.grid.items() if k not in overrides}
        if not axes:
            return [RunSpec(run_name(self.notebook.stem, changed), base)]
        keys = list(axes)
        specs = []
        for combo in itertools.product(*(axes[k] for k in keys)):
            point = dict(zip(keys, combo, strict=True))
            specs.append(RunSpec(run_name(self.notebook.stem, {**point, **changed}), {**base, **point}))
        return specs


_UNSET = object()


def _fail(path: Path, message: str) -> ConfigError:
    return ConfigError(f"experiment file {str(path)!r}: {message}")


def load_experiment(path: str | Path, root: Path | None = None) -> Experiment:
    """Read and validate an experiment file; every problem names the file and the key.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    root : Path, optional
        Folder a relative ``notebook`` is resolved against (default: the checkout, the folder
        above ``experiments/``, then the working directory).

    Returns
    -------
    Experiment

    Raises
    ------
    ConfigError
        When the file is missing or not YAML, a key is unknown, missing or of the wrong type, or
        the notebook does not exist.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            f"experiment file not found (got {str(file)!r}); give a YAML file such as experiments/data_profile.yaml"
        )
    try:
        doc = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise _fail(file, f"is not valid YAML ({exc})") from None
    if not isinstance(doc, dict):
        raise _fail(file, f"must be a mapping with keys 'experiment' and 'notebook' (got {type(doc).__name__})")
    unknown = sorted(set(doc) - _KNOWN_KEYS)
    if unknown:
        raise _fail(file, f"unknown key(s) {unknown}; allowed keys are {sorted(_KNOWN_KEYS)}")
    for key in ("experiment", "notebook"):
        if key not in doc:
            raise _fail(file, f"missing key {key!r}")
        if not isinstance(doc[key], str) or not doc[key].strip():
            raise _fail(file, f"key {key!r} must be a non-empty string (got {short_repr(doc[key])})")
    try:
        name = check_experiment_name(doc["experiment"])
    except TrackingError as exc:
        raise _fail(file, f"key 'experiment': {exc}") from None
    timeout = _timeout(file, doc.get("timeout"))
    notebook = _resolve_notebook(file, doc["notebook"], root)
    parameters = _mapping(file, doc, "parameters")
    grid = _mapping(file, doc, "grid")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise _fail(file, f"grid key {key!r} must be a non-empty list (got {short_repr(values)})")
    gates = _gates(file, doc.get("gates"))
    tags = {str(k): str(v) for k, v in _mapping(file, doc, "tags").items()}
    try:
        check_no_secrets(parameters, "parameter")
        check_no_secrets(grid, "parameter")
        check_no_secrets(tags, "tag")
    except ConfigError as exc:
        raise _fail(file, str(exc)) from None
    register = doc.get("register_model")
    if register is not None and not isinstance(register, str):
        raise _fail(file, f"key 'register_model' must be a string (got {short_repr(register)})")
    self_promotion = doc.get("allow_self_promotion", False)
    if not isinstance(self_promotion, bool):
        raise _fail(file, f"key 'allow_self_promotion' must be true or false (got {short_repr(self_promotion)})")
    return Experiment(file.resolve(), name, notebook, parameters, grid, gates, tags, register, timeout, self_promotion)


def _timeout(file: Path, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
        raise _fail(file, f"key 'timeout' must be a positive number of seconds (got {short_repr(value)})")
    return float(value)


def _mapping(file: Path, doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(file, f"key {key!r} must be a mapping (got {type(value).__name__}: {short_repr(value)})")
    return {str(k): v for k, v in value.items()}


def _gates(file: Path, value: Any) -> dict[str, str] | list[str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        gates: dict[str, str] | list[str] = {str(k): str(v) for k, v in value.items()}
    elif isinstance(value, list):
        gates = [str(v) for v in value]
    else:
        raise _fail(file, f"key 'gates' must be a mapping or a list (got {type(value).__name__})")
    try:
        parse_gates(gates)
    except ConfigError as exc:
        raise _fail(file, str(exc)) from None
    return gates


def _resolve_notebook(file: Path, notebook: str, root: Path | None) -> Path:
    candidate = Path(notebook)
    if not candidate.is_absolute():
        # relative to the repo root: the given root, the checkout, or the folder above experiments/
        bases = [root] if root is not None else [project_root(), file.resolve().parent.parent, Path.cwd()]
        candidate = next((b / notebook for b in bases if (b / notebook).is_file()), bases[0] / notebook)
    if not candidate.is_file():
        raise _fail(file, f"notebook not found (got notebook={notebook!r}, looked at {str(candidate)!r})")
    if candidate.suffix != ".ipynb":
        raise _fail(file, f"notebook must be an .ipynb file (got notebook={notebook!r})")
    return candidate.resolve()


_OVERRIDE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``["key=value", ...]`` -> dict, values parsed like YAML scalars (``3`` -> 3, ``x`` -> 'x').

    Parameters
    ----------
    items : list of str or None
        The ``-p`` arguments.

    Returns
    -------
    dict of str to object

    Raises
    ------
    ConfigError
        When an item is not ``identifier=value``.

    Examples
    --------
    >>> parse_overrides(["alpha=0.01", "model=gjr", "window=500"])
    {'alpha': 0.01, 'model': 'gjr', 'window': 500}
    """
    result: dict[str, Any] = {}
    for item in items or []:
        match = _OVERRIDE.match(item)
        if not match:
            raise ConfigError(
                f"-p must look like key=value with a Python identifier as key (got {item!r})"
            )
        key, raw = match.groups()
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        result[key] = value
    return result
