"""Bundled data sets and loaders. Targets follow the riskkit convention: 1 = bad."""

from riskkit.data._credit import DATA_DIR, german_credit, load_credit_csv
from riskkit.data._synthetic import synthetic_credit

__all__ = ["DATA_DIR", "german_credit", "load_credit_csv", "synthetic_credit"]
