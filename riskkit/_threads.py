"""BLAS held to one thread for a block of code, without rescanning the process's libraries.

threadpoolctl's ``threadpool_limits`` looks up every loaded shared library on each call (about
5 ms, a few per cent of a 100,000-row scorecard fit, which makes two such calls). The controller
is built once, on first use: numpy's BLAS is loaded by then, and so is scipy's once
``riskkit.credit`` is imported (its logistic solver imports ``scipy.linalg`` at module level).
"""

from __future__ import annotations

from typing import Any

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]

_controller: ThreadpoolController | None = None


def one_blas_thread() -> Any:
    """A context manager holding BLAS to one thread inside (threadpoolctl's ``limit``).

    Returns
    -------
    context manager
        Restores the previous thread counts on exit.

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     float(np.ones((3, 2)).T @ np.ones(3) @ np.ones(2))
    6.0
    """
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
