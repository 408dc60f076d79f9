"""Warning levels, shared by the pure evaluation and (in the application layer) alert delivery."""

from __future__ import annotations

from riskkit._validation import short_repr
from riskkit.exceptions import ParameterError

__all__ = ["LEVELS", "level_code"]

LEVELS: tuple[str, ...] = ("blue", "yellow", "orange", "red")
"""Warning levels from mild to severe; code 0 means no alert, 1 blue ... 4 red."""


def level_code(level: str, name: str = "level") -> int:
    """Code of a warning level.

    Parameters
    ----------
    level : str
        One of :data:`LEVELS`.
    name : str, default "level"
        Name of the argument, used in the error message.

    Returns
    -------
    int
        1 blue, 2 yellow, 3 orange, 4 red.

    Raises
    ------
    ParameterError
        When ``level`` is not a known level.
    """
    if level not in LEVELS:
        raise ParameterError(f"{name} must be one of {list(LEVELS)} (got {name}={short_repr(level)})")
    return LEVELS.index(level) + 1
