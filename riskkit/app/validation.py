"""Record a credit validation in the current MLflow run, the same way for every credit notebook.

Headline figures (:data:`riskkit.credit.validation.HEADLINE_FIGURES`) go to the artifact root,
where MLflow's compare view shows them side by side for the runs compared; the others to
``figures/``; tables to ``tables/`` (CSV with an HTML rendering); texts to ``reports/``; the
feature list to ``features_selected.json`` (an artifact, not a parameter: long values crowd the
runs table and the parallel-coordinates plot).
"""

from __future__ import annotations

from riskkit.app import tracking
from riskkit.credit.validation import HEADLINE_FIGURES, CreditValidation
from riskkit.exceptions import ParameterError

__all__ = ["figure_path", "log_credit_validation"]


def figure_path(name: str, headline: tuple[str, ...] = HEADLINE_FIGURES) -> str:
    """Artifact path of a figure: ``<name>.png`` at the root for a headline figure, else under
    ``figures/``.

    Parameters
    ----------
    name : str
        Figure name without extension.
    headline : tuple of str
        Names of the headline figures.

    Returns
    -------
    str
    """
    return f"{name}.png" if name in headline else f"figures/{name}.png"


def log_credit_validation(result: CreditValidation) -> None:
    """Log a :class:`~riskkit.credit.validation.CreditValidation` into the current run.

    Parameters
    ----------
    result : CreditValidation
        From :func:`riskkit.credit.validation.validate_credit_model`.

    Raises
    ------
    ParameterError
        When ``result`` is not a CreditValidation.
    """
    if not isinstance(result, CreditValidation):
        raise ParameterError(f"result must be a CreditValidation (got {type(result).__name__}); "
                             "build it with riskkit.credit.validation.validate_credit_model")
    tracking.log_metrics(result.metrics)
    tracking.log_params({"n_features": len(result.features)})
    tracking.log_dict({"features": result.features}, "features_selected.json")
    for name, fig in result.figures.items():
        tracking.log_figure(fig, figure_path(name), close=False)
    for name, frame in result.tables.items():
        tracking.log_table(frame, f"tables/{name}.csv")
    for name, text in result.texts.items():
        tracking.log_text(text, f"reports/{name}.txt")
    findings = result.findings()
    tracking.log_text("\n".join(findings) + ("\n" if findings else ""), "reports/findings.txt")
