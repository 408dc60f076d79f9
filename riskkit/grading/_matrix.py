"""Risk matrix (probability x impact -> level) and a risk register with controls.

The risk matrix covers the risks that have no statistical model (operational, compliance,
technology): each risk is scored 1-5 for probability and impact, its inherent level read from the
matrix, and its residual level after controls. A control of effectiveness ``e`` (0-1) scales the
probability or the impact (or both) by ``1 - e``; several controls combine as
``1 - prod(1 - e_j)``; the residual score is rounded up (conservative) and never below 1.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from riskkit._results import Result
from riskkit._validation import short_repr
from riskkit.exceptions import ConfigError, DataError, ParameterError
from riskkit.grading.plots import risk_heatmap

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CATEGORIES",
    "Control",
    "Risk",
    "RiskMatrix",
    "RiskRegister",
    "SEED_CATEGORIES",
    "check_categories",
]

DEFAULT_LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")
# lower bounds of probability x impact for medium, high, critical on the 5 x 5 grid:
# low 1-4, medium 5-9, high 10-16, critical 20-25
DEFAULT_BOUNDARIES: tuple[int, ...] = (5, 10, 17)

#: The seed taxonomy: operational, compliance and technology risk types of an internet lender.
SEED_CATEGORIES: dict[str, tuple[str, ...]] = {
    "operational": ("internal_process", "people", "systems", "external_events"),
    "compliance": ("licensing", "business_conduct", "data_security", "intellectual_property", "anti_money_laundering"),
    "technology": ("software_delivery", "operations", "technology_change", "third_party_dependence"),
}
#: Categories accepted when a register declares none: the seed taxonomy plus the earlier names
#: (compliance/legal, technology/data_security, technology/outsourced_technology) so older
#: registers still load. A register may declare its own (``categories=`` or a YAML ``categories:``).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "operational": SEED_CATEGORIES["operational"],
    "compliance": SEED_CATEGORIES["compliance"] + ("legal",),
    "technology": SEED_CATEGORIES["technology"] + ("data_security", "outsourced_technology"),
}
_REDUCES = ("probability", "impact", "both")


class RiskMatrix:
    """Probability x impact grid mapped to ordered levels.

    Parameters
    ----------
    levels
        Level names from least to most severe (default low, medium, high, critical).
    boundaries
        Lower bounds of ``probability * impact`` for every level after the first, strictly
        increasing (default ``(5, 10, 17)`` on the 5 x 5 grid).
    grid
        Instead of boundaries, the full ``size x size`` grid of level names (rows = probability
        1..size, columns = impact 1..size); it must be monotone in both directions.
    size
        Number of probability and impact classes (default 5).

    Raises
    ------
    ParameterError
        From the methods when the levels, boundaries, grid or size are inconsistent.

    Examples
    --------
    >>> m = RiskMatrix()
    >>> m.level(4, 5), m.score(3, 4), m.level_code(2, 2)
    ('critical', 12, 0)
    """

    def __init__(
        self,
        levels: Sequence[str] | None = None,
        *,
        boundaries: Sequence[float] | None = None,
        grid: Sequence[Sequence[str]] | None = None,
        size: int = 5,
    ) -> None:
        self.levels = levels
        self.boundaries = boundaries
        self.grid = grid
        self.size = size

    # -- configuration -------------------------------------------------------------------------
    def _size(self) -> int:
        if isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)) or self.size < 2:
            raise ParameterError(f"size must be an integer >= 2 (got size={short_repr(self.size)}); e.g. 5")
        return int(self.size)

    def _levels(self) -> list[str]:
        levels = list(DEFAULT_LEVELS if self.levels is None else self.levels)
        if len(levels) < 2 or len(set(levels)) != len(levels) or not all(isinstance(x, str) for x in levels):
            raise ParameterError(
                f"levels must be at least two distinct names, least severe first "
                f"(got levels={short_repr(levels)})"
            )
        return levels

    def _codes(self) -> np.ndarray:
        """Level code (index into levels) for every (probability - 1, impact - 1) cell."""
        n, levels = self._size(), self._levels()
        if self.grid is not None:
            return self._grid_codes(n, levels)
        bounds = list(DEFAULT_BOUNDARIES if self.boundaries is None else self.boundaries)
        if len(bounds) != len(levels) - 1:
            raise ParameterError(
                f"boundaries must give one lower bound per level after the first "
                f"(got {len(bounds)} boundaries {short_repr(bounds)} for levels {levels})"
            )
        arr = np.asarray(bounds, dtype=float)
        if not (np.all(np.diff(arr) > 0) and arr[0] > 1 and arr[-1] <= n * n):
            raise ParameterError(
                f"boundaries must increase strictly within (1, {n * n}] "
                f"(got boundaries={short_repr(bounds)}); e.g. (5, 10, 17) on a 5 x 5 grid"
            )
        score = np.outer(np.arange(1, n + 1), np.arange(1, n + 1))
        return np.searchsorted(arr, score, side="right")

    def _grid_codes(self, n: int, levels: list[str]) -> np.ndarray:
        rows = [list(r) for r in self.grid]  # type: ignore[union-attr]
        if len(rows) != n or any(len(r) != n for r in rows):
            raise ParameterError(
                f"grid must be {n} x {n} (rows = probability, columns = impact); "
                f"got grid={short_repr(self.grid)}"
            )
        unknown = sorted({c for r in rows for c in r if c not in levels})
        if unknown:
            raise ParameterError(f"grid has unknown level(s) {unknown}; known levels: {levels}")
        codes = np.array([[levels.index(c) for c in r] for r in rows])
        if (np.diff(codes, axis=0) < 0).any() or (np.diff(codes, axis=1) < 0).any():
            raise ParameterError(
                "grid must be monotone: the level may not fall as probability or impact rises "
                f"(got grid={short_repr(self.grid)})"
            )
        return codes

    # -- evaluation -----------------------------------------------------------------------------
    def _check_class(self, value: Any, name: str) -> np.ndarray:
        n = self._size()
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be an integer 1..{n} (got {name}={short_repr(value)})") from None
        bad = ~((arr >= 1) & (arr <= n) & (arr == np.round(arr)))
        if bad.any():
            first = np.atleast_1d(np.asarray(value, dtype=object))[np.atleast_1d(bad)][0]
            raise ParameterError(
                f"{name} must be an integer 1..{n} (got {name}={first!r}); "
                f"score {name} on the {n}-point scale"
            )
        return arr.astype(int)

    def score(self, probability: Any, impact: Any) -> Any:
        """Risk score ``probability * impact``.

        Parameters
        ----------
        probability, impact : int or array-like of int
            Classes on the matrix scale, 1 to ``size``.

        Returns
        -------
        int or np.ndarray
            The products (an int for scalar input).

        Raises
        ------
        ParameterError
            When a class is not an integer from 1 to ``size``.
        """
        p = self._check_class(probability, "probability")
        i = self._check_class(impact, "impact")
        out = p * i
        return int(out) if out.ndim == 0 else out

    def level_code(self, probability: Any, impact: Any) -> Any:
        """Level index (0 = least severe) of each probability/impact pair.

        Parameters
        ----------
        probability, impact : int or array-like of int
            Classes on the matrix scale, 1 to ``size``.

        Returns
        -------
        int or np.ndarray
            Level indexes (an int for scalar input).

        Raises
        ------
        ParameterError
            When a class is not an integer from 1 to ``size``.
        """
        p = self._check_class(probability, "probability")
        i = self._check_class(impact, "impact")
        out = self._codes()[p - 1, i - 1]
        return int(out) if np.ndim(out) == 0 else out

    def level(self, probability: Any, impact: Any) -> Any:
        """Level name of each probability/impact pair (monotone in both).

        Parameters
        ----------
        probability, impact : int or array-like of int
            Classes on the matrix scale, 1 to ``size``.

        Returns
        -------
        str or np.ndarray
            Level names (a str for scalar input).

        Raises
        ------
        ParameterError
            When a class is not an integer from 1 to ``size``.
        """
        codes = self.level_code(probability, impact)
        names = np.array(self._levels(), dtype=object)
        return str(names[codes]) if np.ndim(codes) == 0 else names[codes]

    def code_of(self, level: str) -> int:
        """Index of a level name (0 = least severe).

        Parameters
        ----------
        level : str
            One of :attr:`level_names`.

        Returns
        -------
        int
            Its position, least severe first.

        Raises
        ------
        ParameterError
            When ``level`` is not a level of the matrix.
        """
        levels = self._levels()
        if level not in levels:
            raise ParameterError(f"level must be one of {levels} (got level={level!r})")
        return levels.index(level)

    @property
    def level_names(self) -> list[str]:
        """Level names, least severe first."""
        return self._levels()

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            The grid as a DataFrame: rows = probability (5 at the top), columns = impact.
        """
        n = self._size()
        names = np.array(self._levels(), dtype=object)[self._codes()]
        frame = pd.DataFrame(names, index=pd.Index(range(1, n + 1), name="probability"),
                             columns=pd.Index(range(1, n + 1), name="impact"))
        return frame.iloc[::-1]


@dataclass(frozen=True)
class Control:
    """A control and how much it reduces probability, impact or both (effectiveness 0-1).

    Parameters
    ----------
    name : str
        What the control is.
    effectiveness : float
        Share of the class it removes, from 0 to 1.
    reduces : {"probability", "impact", "both"}, default "probability"
        What it acts on.
    """

    name: str
    effectiveness: float
    reduces: str = "probability"


@dataclass(frozen=True)
class Risk:
    """One identified risk of the register (probability and impact on the matrix scale).

    Parameters
    ----------
    id, title : str
        Unique identifier and short title.
    category, subcategory : str
        Taxonomy entries (see :func:`check_categories`).
    probability, impact : int
        Inherent classes, 1 to the matrix size.
    owner : str, default ""
        Who answers for the risk.
    controls : tuple of Control, default ()
        Controls that reduce it.
    description : str, default ""
        Free text.
    """

    id: str
    title: str
    category: str
    subcategory: str
    probability: int
    impact: int
    owner: str = ""
    controls: tuple[Control, ...] = field(default_factory=tuple)
    description: str = ""

    def combined_effectiveness(self, target: str) -> float:
        """``1 - prod(1 - e)`` over the controls that reduce ``target`` (probability / impact).

        Parameters
        ----------
        target : {"probability", "impact"}
            What the controls must reduce (controls with ``reduces="both"`` count for both).

        Returns
        -------
        float
            Combined effectiveness from 0 (no control) to 1.
        """
        keep = [c.effectiveness for c in self.controls if c.reduces in (target, "both")]
        return float(1.0 - np.prod([1.0 - e for e in keep])) if keep else 0.0

    @property
    def residual_probability(self) -> int:
        """Probability class after the controls (rounded up, at least 1)."""
        return _residual(self.probability, self.combined_effectiveness("probability"))

    @property
    def residual_impact(self) -> int:
        """Impact class after the controls (rounded up, at least 1)."""
        return _residual(self.impact, self.combined_effectiveness("impact"))


def _residual(value: int, effectiveness: float) -> int:
    return max(1, math.ceil(value * (1.0 - effectiveness) - 1e-9))


# -- parsing -------------------------------------------------------------------------------------
_TABLE_COLUMNS = [
    "id", "title", "category", "subcategory", "owner", "probability", "impact", "inherent_score",
    "inherent_level", "n_controls", "control_effectiveness_probability",
    "control_effectiveness_impact", "residual_probability", "residual_impact", "residual_score",
    "residual_level",
]
_REQUIRED = ("id", "title", "category", "subcategory", "probability", "impact")


def _norm(text: Any) -> str:
    return str(text).strip().lower().replace("-", "_").replace(" ", "_")


def _where(record: Mapping[str, Any], row: int) -> str:
    rid = record.get("id")
    return f"risk {rid!r} (row {row})" if rid not in (None, "") else f"row {row}"


def _parse_class(record: Mapping[str, Any], key: str, row: int, size: int) -> int:
    value = record.get(key)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not (1 <= number <= size and number == int(number)):
        raise ConfigError(
            f"{_where(record, row)}: {key} must be an integer 1..{size} (got {key}={value!r}); "
            f"score {key} on the {size}-point scale"
        )
    return int(number)


def check_categories(categories: Any) -> dict[str, tuple[str, ...]]:
    """Validate a taxonomy: a mapping category -> list of subcategories (names normalised).

    Parameters
    ----------
    categories
        E.g. ``{"compliance": ["licensing", "business conduct"], "technology": ["operations"]}``.
        Names are normalised like register fields (lower case, spaces and dashes to underscores).

    Returns
    -------
    dict
        Normalised category -> tuple of subcategories.

    Raises
    ------
    ConfigError
        When it is not a non-empty mapping of non-empty lists of names, or a name repeats.
    """
    if not isinstance(categories, Mapping) or not categories:
        raise ConfigError(
            f"categories must be a non-empty mapping category -> list of subcategories (got categories="
            f"{short_repr(categories)}); e.g. {{compliance: [licensing, business_conduct]}}"
        )
    out: dict[str, tuple[str, ...]] = {}
    for cat, subs in categories.items():
        name = _norm(cat)
        if not name or name in out:
            raise ConfigError(f"categories: category {cat!r} is empty or declared twice")
        if isinstance(subs, str) or not isinstance(subs, Sequence) or not subs:
            raise ConfigError(
                f"categories: category {cat!r} must list its subcategories (got {short_repr(subs)}); "
                "e.g. [licensing, business_conduct]"
            )
        normed = [_norm(x) for x in subs]
        if any(not x for x in normed) or len(set(normed)) != len(normed):
            raise ConfigError(f"categories: category {cat!r} has an empty or repeated subcategory (got {short_repr(list(subs))})")
        out[name] = tuple(normed)
    return out


def _parse_category(record: Mapping[str, Any], row: int,
                    categories: Mapping[str, tuple[str, ...]] = CATEGORIES) -> tuple[str, str]:
    cat, sub = _norm(record.get("category", "")), _norm(record.get("subcategory", ""))
    if cat not in categories:
        raise ConfigError(
            f"{_where(record, row)}: category must be one of {sorted(categories)} "
            f"(got category={record.get('category')!r}); declare your own with categories="
        )
    if sub not in categories[cat]:
        raise ConfigError(
            f"{_where(record, row)}: subcategory must be one of {list(categories[cat])} for "
            f"category {cat!r} (got subcategory={record.get('subcategory')!r}); declare your own with categories="
        )
    return cat, sub


def _parse_controls(raw: Any, where: str) -> tuple[Control, ...]:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw == "":
        return ()
    if isinstance(raw, str):
        items: list[Any] = []
        for part in (p.strip() for p in raw.split(";") if p.strip()):
            bits = [b.strip() for b in part.split(":")]
            if len(bits) not in (2, 3):
                raise ConfigError(
                    f"{where}: controls must read 'name:effectiveness[:reduces]; ...' "
                    f"(got controls={part!r})"
                )
            items.append({"name": bits[0], "effectiveness": bits[1],
                          "reduces": bits[2] if len(bits) == 3 else "probability"})
    elif isinstance(raw, list):
        items = raw
    else:
        raise ConfigError(f"{where}: controls must be a list or a string (got controls={short_repr(raw)})")
    return tuple(_parse_control(item, where) for item in items)


def _parse_control(item: Any, where: str) -> Control:
    if not isinstance(item, Mapping) or "name" not in item or "effectiveness" not in item:
        raise ConfigError(
            f"{where}: each control needs a name and an effectiveness (got {short_repr(item)})"
        )
    try:
        eff = float(item["effectiveness"])
    except (TypeError, ValueError):
        eff = float("nan")
    if not 0.0 <= eff <= 1.0:
        raise ConfigError(
            f"{where}: control {item['name']!r} effectiveness must be in [0, 1] "
            f"(got effectiveness={item['effectiveness']!r}); 0.6 means the control removes 60%"
        )
    reduces = _norm(item.get("reduces", "probability"))
    if reduces not in _REDUCES:
        raise ConfigError(
            f"{where}: control {item['name']!r} reduces must be one of {list(_REDUCES)} "
            f"(got reduces={item.get('reduces')!r})"
        )
    return Control(name=str(item["name"]), effectiveness=eff, reduces=reduces)


def _parse_risk(record: Mapping[str, Any], row: int, size: int,
                categories: Mapping[str, tuple[str, ...]] = CATEGORIES) -> Risk:
    if not isinstance(record, Mapping):
        raise ConfigError(f"row {row}: a risk must be a mapping of fields (got {short_repr(record)})")
    missing = [k for k in _REQUIRED if record.get(k) in (None, "")]
    if missing:
        raise ConfigError(f"{_where(record, row)}: missing field(s) {missing}; required: {list(_REQUIRED)}")
    cat, sub = _parse_category(record, row, categories)
    return Risk(
        id=str(record["id"]).strip(),
        title=str(record["title"]).strip(),
        category=cat,
        subcategory=sub,
        probability=_parse_class(record, "probability", row, size),
        impact=_parse_class(record, "impact", row, size),
        owner=str(record.get("owner") or "").strip(),
        controls=_parse_controls(record.get("controls"), _where(record, row)),
        description=str(record.get("description") or "").strip(),
    )


class RiskRegister(Result):
    """Identified risks scored on a :class:`RiskMatrix`, with inherent and residual levels.

    ``summary()`` counts the risks per level (inherent and residual, with a Totals row);
    ``to_frame()`` is :meth:`table`, one row per risk.

    Build it from records (dicts), a CSV file or a YAML file; every field is validated and an
    error names the risk, the field and the value. Categories and subcategories come from
    ``categories`` (a mapping category -> subcategories, see :func:`check_categories`; a YAML
    register may declare them under ``categories:``), else from :data:`CATEGORIES`.

    Parameters
    ----------
    risks : sequence of Risk
        The risks (use :meth:`from_records` and friends to build them from data).
    matrix : RiskMatrix, optional
        The risk matrix (default :class:`RiskMatrix`).
    categories : mapping of str to sequence of str, optional
        The register's own taxonomy; default :data:`CATEGORIES`.

    Raises
    ------
    ConfigError
        From the constructors, naming the risk, the field and the value.

    Examples
    --------
    >>> from riskkit.grading import RiskRegister
    >>> reg = RiskRegister.from_records([
    ...     {"id": "R1", "title": "Model drift", "category": "operational",
    ...      "subcategory": "internal_process", "probability": 4, "impact": 5,
    ...      "controls": [{"name": "monthly PSI review", "effectiveness": 0.5}]},
    ...     {"id": "R2", "title": "Data feed outage", "category": "operational",
    ...      "subcategory": "systems", "probability": 2, "impact": 3}])
    >>> reg.table()[["id", "inherent_level", "residual_level", "residual_score"]]
       id inherent_level residual_level  residual_score
    0  R1       critical           high              10
    1  R2         medium         medium               6
    >>> reg.level_counts()["residual"].to_dict()
    {'low': 0, 'medium': 1, 'high': 1, 'critical': 0, 'Totals': 2}
    """

    def __init__(self, risks: Sequence[Risk], *, matrix: RiskMatrix | None = None,
                 categories: Mapping[str, Sequence[str]] | None = None) -> None:
        self.risks = risks
        self.matrix = matrix
        self.categories = categories

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], *, matrix: RiskMatrix | None = None,
                     categories: Mapping[str, Sequence[str]] | None = None) -> RiskRegister:
        """Register from dicts with id, title, category, subcategory, probability, impact,
        and optional owner, controls, description.

        Parameters
        ----------
        records
            One mapping per risk.
        matrix
            The risk matrix (default :class:`RiskMatrix`).
        categories
            The register's own taxonomy (category -> subcategories); default :data:`CATEGORIES`.

        Returns
        -------
        RiskRegister

        Raises
        ------
        ConfigError
            Naming the risk (id and row), the field and the value.
        """
        m = matrix or RiskMatrix()
        size = m._size()
        taxonomy = CATEGORIES if categories is None else check_categories(categories)
        risks = [_parse_risk(rec, row, size, taxonomy) for row, rec in enumerate(records, start=1)]
        if not risks:
            raise ConfigError("the register has no risks; add at least one record")
        ids = [r.id for r in risks]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ConfigError(f"risk ids must be unique (got duplicate id(s) {dup})")
        return cls(risks, matrix=matrix, categories=None if categories is None else taxonomy)

    @classmethod
    def from_csv(cls, path: str | Path, *, matrix: RiskMatrix | None = None,
                 categories: Mapping[str, Sequence[str]] | None = None) -> RiskRegister:
        """Register from a CSV file (controls as ``name:effectiveness:reduces; ...``); ``categories``
        as in :meth:`from_records`.

        Parameters
        ----------
        path : str or Path
            The file.
        matrix : RiskMatrix, optional
            The risk matrix (default :class:`RiskMatrix`).
        categories : mapping of str to sequence of str, optional
            The register's own taxonomy; default :data:`CATEGORIES`.

        Returns
        -------
        RiskRegister

        Raises
        ------
        ConfigError
            When the file is missing or malformed, naming the risk, the field and the value.
        """
        file = _existing(path)
        with file.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [k for k in _REQUIRED if k not in (reader.fieldnames or [])]
            if missing:
                raise ConfigError(
                    f"{file.name}: missing column(s) {missing} (got columns {reader.fieldnames}); "
                    f"required: {list(_REQUIRED)}"
                )
            records = list(reader)
        return cls.from_records(records, matrix=matrix, categories=categories)

    @classmethod
    def from_yaml(cls, path: str | Path, *, matrix: RiskMatrix | None = None,
                  categories: Mapping[str, Sequence[str]] | None = None) -> RiskRegister:
        """Register from YAML: ``risks:`` list, optional ``matrix:`` (levels/boundaries) and optional
        ``categories:`` (category -> list of subcategories; the ``categories`` argument wins).

        Parameters
        ----------
        path : str or Path
            The file.
        matrix : RiskMatrix, optional
            The risk matrix (default :class:`RiskMatrix`, or the file's ``matrix:``).
        categories : mapping of str to sequence of str, optional
            The register's own taxonomy (wins over the file's ``categories:``).

        Returns
        -------
        RiskRegister

        Raises
        ------
        ConfigError
            When the file is missing or malformed, naming the risk, the field and the value.
        """
        file = _existing(path)
        try:
            doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file.name} is not valid YAML ({_yaml_where(exc)}); fix the syntax") from None
        if not isinstance(doc, Mapping) or not isinstance(doc.get("risks"), list):
            raise ConfigError(
                f"{file.name} must be a mapping with a 'risks' list (got {short_repr(doc)})"
            )
        if matrix is None and isinstance(doc.get("matrix"), Mapping):
            spec = dict(doc["matrix"])
            matrix = RiskMatrix(spec.pop("levels", None), **spec)
        if categories is None and doc.get("categories") is not None:
            categories = doc["categories"]
        return cls.from_records(doc["risks"], matrix=matrix, categories=categories)

    @classmethod
    def from_file(cls, path: str | Path, *, matrix: RiskMatrix | None = None,
                  categories: Mapping[str, Sequence[str]] | None = None) -> RiskRegister:
        """Dispatch on the suffix: ``.csv`` or ``.yaml`` / ``.yml``.

        Parameters
        ----------
        path : str or Path
            The file.
        matrix : RiskMatrix, optional
            The risk matrix (default :class:`RiskMatrix`).
        categories : mapping of str to sequence of str, optional
            The register's own taxonomy, as in :meth:`from_csv` / :meth:`from_yaml`.

        Returns
        -------
        RiskRegister

        Raises
        ------
        ConfigError
            When the file is missing or malformed, naming the risk, the field and the value.
        """
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            return cls.from_csv(path, matrix=matrix, categories=categories)
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(path, matrix=matrix, categories=categories)
        raise ConfigError(f"path must end in .csv, .yaml or .yml (got path={str(path)!r})")

    # -- views ----------------------------------------------------------------------------------
    def _matrix(self) -> RiskMatrix:
        return self.matrix or RiskMatrix()

    def table(self) -> pd.DataFrame:
        """One row per risk, most severe residual first (fixed columns).

        Returns
        -------
        pd.DataFrame
            id, title, category, subcategory, owner, inherent and residual classes, scores and
            levels, and the combined control effectiveness.

        Raises
        ------
        DataError
            When the register has no risks.
        """
        m = self._matrix()
        if len(self.risks) == 0:
            raise DataError("the register has no risks; add at least one")
        rows = [self._row(r, m) for r in self.risks]
        frame = pd.DataFrame(rows, columns=_TABLE_COLUMNS)
        key = pd.DataFrame({
            "res": [m.code_of(x) for x in frame["residual_level"]],
            "inh": [m.code_of(x) for x in frame["inherent_level"]],
        })
        order = np.lexsort((frame["id"].to_numpy(), -frame["inherent_score"].to_numpy(), -key["inh"].to_numpy(),
                            -frame["residual_score"].to_numpy(), -key["res"].to_numpy()))
        return frame.iloc[order].reset_index(drop=True)

    @staticmethod
    def _row(r: Risk, m: RiskMatrix) -> list[Any]:
        rp, ri = r.residual_probability, r.residual_impact
        return [
            r.id, r.title, r.category, r.subcategory, r.owner, r.probability, r.impact,
            m.score(r.probability, r.impact), m.level(r.probability, r.impact), len(r.controls),
            r.combined_effectiveness("probability"), r.combined_effectiveness("impact"),
            rp, ri, m.score(rp, ri), m.level(rp, ri),
        ]

    def level_counts(self) -> pd.DataFrame:
        """Number of risks per level, inherent and residual, with a Totals row."""
        table, levels = self.table(), self._matrix().level_names
        frame = pd.DataFrame({
            "inherent": table["inherent_level"].value_counts().reindex(levels, fill_value=0),
            "residual": table["residual_level"].value_counts().reindex(levels, fill_value=0),
        }).astype(int)
        frame.index.name = "level"
        return pd.concat([frame, frame.sum().to_frame("Totals").T])

    def category_counts(self) -> pd.DataFrame:
        """Risks per category/subcategory with mean inherent and residual scores."""
        t = self.table()
        return t.groupby(["category", "subcategory"]).agg(
            n_risks=("id", "size"), mean_inherent_score=("inherent_score", "mean"),
            mean_residual_score=("residual_score", "mean"),
        )

    def metrics(self) -> dict[str, float]:
        """Stable summary numbers: n_risks, n_<level>_inherent, n_<level>_residual, mean scores."""
        t, counts = self.table(), self.level_counts()
        out: dict[str, float] = {"n_risks": float(len(t))}
        inherent, residual = counts["inherent"].to_dict(), counts["residual"].to_dict()
        for level in self._matrix().level_names:
            out[f"n_{level}_inherent"] = float(inherent[level])
            out[f"n_{level}_residual"] = float(residual[level])
        out["mean_inherent_score"] = float(t["inherent_score"].mean())
        out["mean_residual_score"] = float(t["residual_score"].mean())
        out["mean_score_reduction"] = out["mean_inherent_score"] - out["mean_residual_score"]
        out["n_without_controls"] = float((t["n_controls"] == 0).sum())
        return out

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            Risks per level, inherent and residual, with a Totals row (:meth:`level_counts`).
        """
        return self.level_counts()

    def to_frame(self) -> pd.DataFrame:
        """The underlying data as a DataFrame.

        Returns
        -------
        DataFrame
            One row per risk, most severe residual first (:meth:`table`).
        """
        return self.table()

    def _headline(self) -> str:
        top = self.table().iloc[0]
        return (f"{len(self.risks)} risks; most severe residual {top['id']} ({top['residual_level']}, "
                f"score {top['residual_score']:g})")

    def heatmap(self, *, which: str = "residual") -> Figure:
        """Heat map of the matrix with the number of risks (and their ids) in each cell.

        Parameters
        ----------
        which : {"residual", "inherent"}, default "residual"
            Which classes place the risks.

        Returns
        -------
        matplotlib.figure.Figure
            The heat map (it displays itself in Jupyter).
        """
        return risk_heatmap(self, which=which)


def _existing(path: str | Path) -> Path:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"path does not exist or is not a file (got path={str(path)!r})")
    return file


def _yaml_where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else str(problem)
