"""The riskkit error and warning family.

One condition, one type. Every error is a :class:`RiskkitError` (a ``ValueError``), and its
message names the argument, the value received and a hint, e.g.::

    window must be smaller than the series (got window=1000 for 250 observations);
    use a shorter window or a longer history
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = [
    "AuthorizationError",
    "ConfigError",
    "ConvergenceWarning",
    "DataError",
    "DeliveryError",
    "DroppedFeatureWarning",
    "FastPathWarning",
    "MissingIndicatorWarning",
    "NotFittedError",
    "ParameterError",
    "RiskkitError",
    "RiskkitWarning",
    "TrackingError",
]


class RiskkitError(ValueError):
    """Base class of every error riskkit raises on bad input or state."""


class ParameterError(RiskkitError):
    """An argument has an invalid value or type (alpha outside (0, 0.5], max_bins < 2, ...)."""


class DataError(RiskkitError):
    """Input data is unusable: empty, NaN/inf, wrong dtype, misaligned, missing column, ..."""


class ConfigError(RiskkitError):
    """An experiment file, register, warning configuration or model document is malformed."""


class TrackingError(RiskkitError):
    """The MLflow store or server cannot be used (unreachable, unknown run, missing model)."""


class AuthorizationError(RiskkitError):
    """The acting user may not do this (e.g. promote a model from a run they created themselves)."""


class DeliveryError(RiskkitError):
    """An alert could not be delivered through a channel after its retries."""


class RiskkitWarning(UserWarning):
    """Base class of riskkit warnings."""


class ConvergenceWarning(RiskkitWarning):
    """An optimiser did not converge; the previous parameters were kept."""


class DroppedFeatureWarning(RiskkitWarning):
    """A feature was dropped (constant, all missing, or filtered by selection)."""


class MissingIndicatorWarning(RiskkitWarning):
    """A key risk indicator has no value to evaluate."""


class FastPathWarning(RiskkitWarning):
    """riskkit fell back from its fast path (which uses a dependency's internals) to the
    dependency's public API: same results, slower. The message says why."""


_NOT_FITTED_LOCK = threading.Lock()
_NOT_FITTED_DOC = """A method that needs a fitted estimator was called before ``fit``.

    Also a :class:`sklearn.exceptions.NotFittedError` (itself a ``ValueError`` and an
    ``AttributeError``), so ``except sklearn.exceptions.NotFittedError`` catches it.
    """


def __getattr__(name: str) -> Any:
    """``NotFittedError`` is built on first use: it derives from scikit-learn's, and importing
    scikit-learn costs about a second that the command line and the scheduled runner never need."""
    if name == "NotFittedError":
        with _NOT_FITTED_LOCK:  # one class, even when two threads ask at once
            cls = globals().get("NotFittedError")
            if cls is None:
                from sklearn.exceptions import NotFittedError as sklearn_not_fitted  # lazy: ~1 s, see above

                cls = type("NotFittedError", (RiskkitError, sklearn_not_fitted),
                           {"__doc__": _NOT_FITTED_DOC, "__module__": __name__, "__qualname__": "NotFittedError"})
                globals()["NotFittedError"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
