"""Application layer: everything that talks to the outside world.

``tracking`` (the only module that resolves the MLflow store), ``pipeline`` (experiment files ->
Papermill -> MLflow runs), ``review`` (runs tables, comparison, gates, promotion), ``report``
(validation reports), ``serving`` (models from code over open files), ``server`` (the tracking
server launcher) and ``alerts`` (delivery channels and the alert ledger). Model packages
(``riskkit.credit``, ``market``, ``grading``, ``monitoring``, ``data``) never import this package.
"""
