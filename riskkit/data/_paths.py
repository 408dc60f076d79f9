"""Where a data file named in a notebook parameter is: as given, else under the riskkit checkout."""

from __future__ import annotations

from pathlib import Path

from riskkit.exceptions import DataError

__all__ = ["resolve_path"]

_CHECKOUT = Path(__file__).resolve().parents[2]


def resolve_path(path: str | Path) -> Path:
    """A file path as given (absolute, or relative to the working directory), else relative to the
    riskkit checkout, so ``data/risk_register.csv`` works from any working directory.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    pathlib.Path
        The path as given when it exists or is absolute, else the checkout-relative one.

    Raises
    ------
    DataError
        When ``path`` is empty or not a string or path.
    """
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise DataError(f"path must be a non-empty file path (got path={path!r}); e.g. 'data/risk_register.csv'")
    given = Path(path)
    if given.is_absolute() or given.exists():
        return given
    return _CHECKOUT / given
