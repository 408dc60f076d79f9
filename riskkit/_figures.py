"""Figures that display themselves: a matplotlib :class:`~matplotlib.figure.Figure` on the Agg
canvas with a ``_repr_png_``, so a riskkit plot shows as an image wherever IPython displays an
object (the last expression of a JupyterLab cell, ``display(fig)``, an executed notebook and its
HTML), whatever matplotlib backend is active, without pyplot state and without switching the
user's backend. Pure: no I/O beyond rendering into memory.
"""

from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["RiskFigure", "new_figure"]


class RiskFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that renders itself as PNG for IPython's display.

    It is not registered with pyplot, so Jupyter's inline backend never shows it a second time at
    the end of a cell, and ``plt.close`` is not needed to free it.
    """

    def _repr_png_(self) -> bytes:
        """PNG bytes of the figure (IPython's ``image/png`` display path).

        Returns
        -------
        bytes
            The figure rendered by the Agg canvas at its own dpi, cropped to its content.
        """
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def show(self, warn: bool = True) -> None:
        """Display the figure in IPython/Jupyter; outside IPython there is nothing to show on.

        Parameters
        ----------
        warn : bool
            Kept for matplotlib's signature; unused.
        """
        try:
            from IPython.display import display  # lazy: only inside an IPython session
        except ImportError:  # pragma: no cover (IPython ships with Jupyter)
            return
        display(self)


def new_figure(width: float, height: float, **kwargs: Any) -> RiskFigure:
    """A :class:`RiskFigure` of ``width`` x ``height`` inches on an Agg canvas.

    Parameters
    ----------
    width, height : float
        Size in inches.
    **kwargs
        Passed to :class:`matplotlib.figure.Figure` (``layout="constrained"`` unless given).

    Returns
    -------
    RiskFigure
    """
    kwargs.setdefault("layout", "constrained")
    fig = RiskFigure(figsize=(width, height), **kwargs)
    FigureCanvasAgg(fig)
    return fig
