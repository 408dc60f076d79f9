"""One protocol for result objects: ``summary()``, ``to_frame()``, a readable repr, HTML.

Every riskkit result (a test, a backtest report, a calibration, a selection, ...) derives from
:class:`Result` and so

* ``summary()`` returns a :class:`pandas.DataFrame` of its headline figures (one row for a
  single test, one row per test, grade or feature where the result holds several). A
  DataFrame, not a string: it can be filtered, compared across runs, logged as a table, and
  printed or rendered (``str(result)`` and the notebook view are built from it), whereas a
  string can only be read;
* ``to_frame()``, where the result is tabular, returns the underlying data (per day, per group,
  per segment) as a DataFrame;
* ``repr(result)`` / ``str(result)`` is a one-line headline (the verdict in words) followed by
  the summary table, never a dump of raw arrays or Series;
* ``_repr_html_()`` renders the same as HTML, so a result displays itself in JupyterLab.

A subclass implements :meth:`Result.summary` and :meth:`Result._headline`; frozen dataclass
results pass ``repr=False`` so the protocol's repr is kept.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

__all__ = ["Result"]


def _fmt(value: Any) -> str:
    return f"{value:.6g}"


class Result:
    """Base class of riskkit result objects (see the module docstring for the protocol)."""

    def summary(self) -> pd.DataFrame:
        """Headline figures as a DataFrame.

        Returns
        -------
        DataFrame
            One row for a single test; one row per test, grade, indicator or feature where the
            result holds several.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement summary()")

    def _headline(self) -> str:
        """One line in words: the verdict and the numbers a reader looks at first."""
        return ""

    def _title(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        head = self._title()
        line = self._headline()
        table = self.summary().to_string(float_format=_fmt)
        return f"{head}: {line}\n{table}" if line else f"{head}\n{table}"

    def __str__(self) -> str:
        return self.__repr__()

    def _repr_html_(self) -> str:
        """HTML rendering for Jupyter: the headline and the summary table."""
        line = self._headline()
        table = self.summary().to_html(border=0, float_format=_fmt, classes="riskkit-summary")
        head = f"<strong>{html.escape(self._title())}</strong>"
        if line:
            head += f": {html.escape(line)}"
        return f'<div class="riskkit-result"><p>{head}</p>{table}</div>'
