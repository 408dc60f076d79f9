"""riskkit: quantitative risk modelling for credit, market and operational risk."""

from riskkit.exceptions import RiskkitError

__version__ = "0.1.0"

__all__ = ["RiskkitError", "__version__"]
