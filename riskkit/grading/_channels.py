"""Alert delivery channels: log, email over SMTP, webhook (HTTP POST of JSON).

Each channel has its own ``min_level`` and delivers one message per alert at or above it.
A failed delivery is retried ``retries`` times with exponential backoff
(``backoff * 2**k`` seconds) and then raises :class:`~riskkit.exceptions.DeliveryError` naming
the channel target; :meth:`EarlyWarning.notify` catches it, records the alert as undelivered in
the ledger and carries on.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from riskkit._validation import short_repr
from riskkit.exceptions import ConfigError, DeliveryError, ParameterError

if TYPE_CHECKING:
    from riskkit.grading._warning import Alert

__all__ = ["Channel", "EmailChannel", "LEVELS", "LogChannel", "WebhookChannel", "channel_from_dict",
           "level_code"]

logger = logging.getLogger(__name__)
alert_logger = logging.getLogger("riskkit.alerts")

LEVELS: tuple[str, ...] = ("blue", "yellow", "orange", "red")
"""Warning levels from mild to severe; code 0 means no alert, 1 blue ... 4 red."""

_LOG_LEVELS = {"blue": logging.INFO, "yellow": logging.WARNING, "orange": logging.WARNING,
               "red": logging.ERROR}


def level_code(level: str, name: str = "level") -> int:
    """Code of a warning level: blue 1, yellow 2, orange 3, red 4."""
    if level not in LEVELS:
        raise ParameterError(f"{name} must be one of {list(LEVELS)} (got {name}={short_repr(level)})")
    return LEVELS.index(level) + 1


def _check_retry(retries: Any, backoff: Any) -> tuple[int, float]:
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ParameterError(f"retries must be an integer >= 0 (got retries={short_repr(retries)})")
    try:
        wait = float(backoff)
    except (TypeError, ValueError):
        wait = -1.0
    if not wait >= 0:
        raise ParameterError(f"backoff must be a number of seconds >= 0 (got backoff={short_repr(backoff)})")
    return retries, wait


class Channel:
    """Base class: routing by ``min_level`` and delivery with bounded retries."""

    kind = "channel"

    def __init__(self, *, min_level: str = "blue", retries: int = 2, backoff: float = 1.0) -> None:
        self.min_level = min_level
        self.retries = retries
        self.backoff = backoff

    @property
    def name(self) -> str:
        """Short description used in the ledger and reports, e.g. ``email:host:port``."""
        return self.kind

    def accepts(self, alert: Alert) -> bool:
        """True when the alert is at or above this channel's ``min_level``."""
        return alert.level_code >= level_code(self.min_level, "min_level")

    def validate(self) -> None:
        """Check the configuration; raises a riskkit error naming the bad field."""
        level_code(self.min_level, "min_level")
        _check_retry(self.retries, self.backoff)

    def send(self, alert: Alert) -> int:
        """Deliver one alert; returns the number of attempts, raises DeliveryError when all fail."""
        retries, backoff = _check_retry(self.retries, self.backoff)
        last: Exception | None = None
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))
            try:
                self._send_once(alert)
                return attempt + 1
            except (OSError, http.client.HTTPException) as exc:  # SMTPException is an OSError
                last = exc
                logger.debug("delivery attempt %d via %s failed: %s", attempt + 1, self.name, exc)
        raise DeliveryError(
            f"{self.describe_target()} could not deliver the {alert.level} alert on "
            f"{alert.indicator!r} after {retries + 1} attempt(s): {type(last).__name__}: {last}; "
            "check the address and that the server is up (the alert stays in the ledger)"
        )

    def describe_target(self) -> str:
        return self.name

    def _send_once(self, alert: Alert) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class LogChannel(Channel):
    """Writes each alert to the ``riskkit.alerts`` logger (blue INFO, yellow/orange WARNING, red ERROR)."""

    kind = "log"

    def _send_once(self, alert: Alert) -> None:
        alert_logger.log(_LOG_LEVELS[alert.level], "%s", alert.subject)


class EmailChannel(Channel):
    """One email per alert over SMTP; STARTTLS and login optional.

    With ``starttls`` the server certificate is verified against the system trust store, or
    against ``cafile`` (a PEM bundle) for a private certificate authority.

    The password is taken from ``password`` or, better, from the environment variable named by
    ``password_env`` so that configuration files hold no secret.
    """

    kind = "email"

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        recipients: Sequence[str],
        min_level: str = "orange",
        starttls: bool = False,
        cafile: str | None = None,
        username: str | None = None,
        password: str | None = None,
        password_env: str | None = None,
        timeout: float = 10.0,
        subject_prefix: str = "riskkit",
        retries: int = 2,
        backoff: float = 1.0,
    ) -> None:
        super().__init__(min_level=min_level, retries=retries, backoff=backoff)
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = recipients
        self.starttls = starttls
        self.cafile = cafile
        self.username = username
        self.password = password
        self.password_env = password_env
        self.timeout = timeout
        self.subject_prefix = subject_prefix

    @property
    def name(self) -> str:
        return f"email:{self.host}:{self.port}"

    def describe_target(self) -> str:
        return f"email channel (host={self.host!r}, port={self.port})"

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.host, str) or not self.host:
            raise ConfigError(f"email channel host must be a host name (got host={short_repr(self.host)})")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise ConfigError(f"email channel port must be an integer 1..65535 (got port={short_repr(self.port)})")
        for field, value in (("sender", self.sender), *(("recipients", r) for r in self._recipients())):
            if not isinstance(value, str) or "@" not in value:
                raise ConfigError(
                    f"email channel {field} must be an email address (got {field}={short_repr(value)})"
                )
        if self.cafile is not None and not os.path.isfile(self.cafile):
            raise ConfigError(f"email channel cafile must be a PEM file (got cafile={self.cafile!r}, not found)")

    def _recipients(self) -> list[Any]:
        if isinstance(self.recipients, str) or not self.recipients:
            raise ConfigError(
                f"email channel recipients must be a non-empty list of addresses "
                f"(got recipients={short_repr(self.recipients)})"
            )
        return list(self.recipients)

    def _password(self) -> str | None:
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"email channel password_env names an unset environment variable "
                    f"(got password_env={self.password_env!r}); export it before notifying"
                )
            return value
        return self.password

    def message(self, alert: Alert) -> EmailMessage:
        """The email for one alert: subject carries the level and the indicator."""
        msg = EmailMessage()
        msg["Subject"] = f"[{self.subject_prefix}] {alert.subject}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self._recipients())
        msg.set_content(alert.message + "\n\n" + json.dumps(alert.to_dict(), indent=2))
        return msg

    def _send_once(self, alert: Alert) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=self.cafile))
            if self.username:
                smtp.login(self.username, self._password() or "")
            smtp.send_message(self.message(alert))


class WebhookChannel(Channel):
    """HTTP POST of the alert as JSON (``Content-Type: application/json``); 2xx is success."""

    kind = "webhook"

    def __init__(
        self,
        url: str,
        *,
        min_level: str = "red",
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 1.0,
    ) -> None:
        super().__init__(min_level=min_level, retries=retries, backoff=backoff)
        self.url = url
        self.headers = headers
        self.timeout = timeout

    @property
    def name(self) -> str:
        return f"webhook:{self.url}"

    def describe_target(self) -> str:
        return f"webhook channel (url={self.url!r})"

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.url, str) or not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"webhook channel url must start with http:// or https:// (got url={short_repr(self.url)})")

    def _send_once(self, alert: Alert) -> None:
        body = json.dumps(alert.to_dict()).encode("utf-8")
        headers = {"Content-Type": "application/json", **dict(self.headers or {})}
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http(s) checked)
            if not 200 <= response.status < 300:
                raise OSError(f"HTTP {response.status}")


_FACTORIES: dict[str, Callable[..., Channel]] = {
    "log": LogChannel,
    "email": EmailChannel,
    "webhook": WebhookChannel,
}
_ALLOWED: dict[str, set[str]] = {
    "log": {"min_level", "retries", "backoff"},
    "email": {"host", "port", "sender", "recipients", "min_level", "starttls", "cafile", "username", "password",
              "password_env", "timeout", "subject_prefix", "retries", "backoff"},
    "webhook": {"url", "min_level", "headers", "timeout", "retries", "backoff"},
}


def channel_from_dict(spec: Mapping[str, Any], position: int = 0) -> Channel:
    """Build and validate a channel from ``{type: log|email|webhook, min_level: ..., ...}``."""
    if not isinstance(spec, Mapping):
        raise ConfigError(f"channels[{position}] must be a mapping (got {short_repr(spec)})")
    kind = spec.get("type")
    if kind not in _FACTORIES:
        raise ConfigError(
            f"channels[{position}].type must be one of {sorted(_FACTORIES)} (got type={short_repr(kind)})"
        )
    args = {k: v for k, v in spec.items() if k != "type"}
    unknown = sorted(set(args) - _ALLOWED[kind])
    if unknown:
        raise ConfigError(
            f"channels[{position}] ({kind}) has unknown key(s) {unknown}; allowed: {sorted(_ALLOWED[kind])}"
        )
    try:
        channel = _FACTORIES[kind](**args)
    except TypeError as exc:
        raise ConfigError(f"channels[{position}] ({kind}) is incomplete: {exc}") from None
    try:
        channel.validate()
    except ParameterError as exc:
        raise ConfigError(f"channels[{position}] ({kind}): {exc}") from None
    return channel
