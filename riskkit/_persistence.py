"""One persistence protocol for fitted models: versioned JSON documents, never pickle.

Every persistable model has ``to_json()`` (a JSON text whose header names the ``format``, its
``format_version`` and the writing ``riskkit_version``) and ``from_json(document)``; ``save(path)``
and ``load(path)`` write and read that text. A model whose natural storage is a native file
(the XGBoost booster of :class:`riskkit.credit.GradientBoostingPD`) overrides ``save``/``load``
but keeps ``to_json``/``from_json``.

A reader accepts every ``format_version`` from 1 to the one it writes and refuses newer ones
with a :class:`~riskkit.exceptions.ConfigError` that says to upgrade riskkit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import riskkit
from riskkit._validation import short_repr
from riskkit.exceptions import ConfigError, ParameterError

__all__ = ["JSONPersistence", "check_header", "document_header", "parse_document"]

def document_header(fmt: str, version: int) -> dict[str, Any]:
    """The three header fields every riskkit document starts with.

    Parameters
    ----------
    fmt : str
        Document format, e.g. ``"riskkit.master_scale"``.
    version : int
        Format version written.

    Returns
    -------
    dict
        ``format``, ``format_version`` and ``riskkit_version``.
    """
    return {"format": fmt, "format_version": version, "riskkit_version": riskkit.__version__}


def parse_document(document: Any, owner: str) -> dict[str, Any]:
    """A JSON object from text, bytes or an already parsed mapping; ConfigError otherwise.

    Parameters
    ----------
    document : str, bytes or mapping
        The document.
    owner : str
        Class that wrote it, for the error message.

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        When the document is not JSON text or does not hold an object.
    """
    if isinstance(document, Mapping):
        return dict(document)
    if not isinstance(document, (str, bytes, bytearray)):
        raise ConfigError(
            f"document must be a JSON string (got {type(document).__name__}); "
            f"pass the text written by {owner}.to_json()"
        )
    try:
        doc = json.loads(document)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"document is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            f"pass the text written by {owner}.to_json()"
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"document must be a JSON object (got {type(doc).__name__})")
    return doc


def check_header(doc: Mapping[str, Any], fmt: str, version: int, what: str) -> int:
    """Check ``format`` and ``format_version``; returns the document's version.

    Parameters
    ----------
    doc : mapping
        The parsed document.
    fmt : str
        Expected format.
    version : int
        Newest version this riskkit reads.
    what : str
        What the document holds, for the error message.

    Returns
    -------
    int

    Raises
    ------
    ConfigError
        When the format differs or the version is not an integer from 1 to ``version``.
    """
    found = doc.get("format")
    if found != fmt:
        raise ConfigError(
            f"document field 'format' must be {fmt!r} (got {short_repr(found)}); "
            f"this is not a riskkit {what}"
        )
    v = doc.get("format_version")
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= version:
        raise ConfigError(
            f"document field 'format_version' must be an integer from 1 to {version} "
            f"(got {short_repr(v)}); upgrade riskkit to read newer {what} documents"
        )
    return v


class JSONPersistence:
    """Mixin: ``save(path)`` / ``load(path)`` on top of ``to_json()`` / ``from_json()``."""

    def to_json(self, *, indent: int | None = None) -> str:  # pragma: no cover - abstract
        """The fitted model as one versioned JSON document (each model implements it).

        Parameters
        ----------
        indent : int, optional
            Indentation of the JSON text (default: compact).

        Returns
        -------
        str
            A document starting with :func:`document_header`'s fields.
        """
        raise NotImplementedError

    @classmethod
    def from_json(cls, document: str | bytes | Mapping[str, Any]) -> Self:  # pragma: no cover
        """Rebuild a model from :meth:`to_json` output (each model implements it).

        Parameters
        ----------
        document : str, bytes or mapping
            The JSON document, or it already parsed.

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        ConfigError
            When the document is not one of this model's (format, version or fields).
        """
        raise NotImplementedError

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path`` (UTF-8 JSON; parent folders are created).

        Parameters
        ----------
        path : str or Path
            Target file, conventionally ending in ``.json``.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ParameterError
            ``path`` is not a str or Path.
        """
        if not isinstance(path, (str, Path)):
            raise ParameterError(f"path must be a str or Path (got path={short_repr(path)}); e.g. 'model.json'")
        target = Path(path)
        text = self.to_json(indent=2)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`.

        Parameters
        ----------
        path : str or Path
            A file written by :meth:`save` (or holding :meth:`to_json` output).

        Returns
        -------
        The fitted model.

        Raises
        ------
        ConfigError
            The file does not exist or does not hold a document of this model.
        """
        source = Path(path)
        if not source.is_file():
            raise ConfigError(
                f"path does not name a file (got path={str(source)!r}); save the model with "
                f"{cls.__name__}.save first"
            )
        return cls.from_json(source.read_text(encoding="utf-8"))
