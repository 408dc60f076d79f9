"""Alert delivery channels: log, e-mail over SMTP, webhook (HTTP POST of JSON) and SMS.

Each channel has its own ``min_level`` and delivers one message per alert at or above it.

Every attempt has an overall wall-clock deadline of ``timeout`` seconds (connect, TLS, login and
the whole exchange), not a per-read socket timeout: the attempt runs in a worker thread and, when
the deadline passes, its sockets are shut down so the worker stops at once. A failed attempt is
retried ``retries`` times with exponential backoff (``backoff * 2**k`` seconds); then
:meth:`Channel.send` raises :class:`~riskkit.exceptions.DeliveryError` naming the channel and its
target. :class:`~riskkit.app.alerts.Notifier` catches it, records the alert as undelivered in the
ledger and carries on.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import math
import os
import smtplib
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from typing import Any

from riskkit._validation import short_repr
from riskkit.app.alerts.gsm import sms_segments
from riskkit.exceptions import ConfigError, DeliveryError, ParameterError, RiskkitError
from riskkit.grading import Alert, level_code

__all__ = ["Channel", "EmailChannel", "LogChannel", "SmsChannel", "WebhookChannel", "channel_from_dict",
           "run_with_deadline"]

logger = logging.getLogger(__name__)
alert_logger = logging.getLogger("riskkit.alerts")

_SOCKET_SLACK = 5.0
"""Seconds added to the per-operation socket timeout: a backstop only, the attempt's overall
deadline (``timeout``) always fires first and shuts the sockets."""

_LOG_LEVELS = {"blue": logging.INFO, "yellow": logging.WARNING, "orange": logging.WARNING,
               "red": logging.ERROR}


# -- the overall deadline of one attempt ------------------------------------------------------------
class Attempt:
    """The sockets of one delivery attempt, so that a deadline can shut them from outside."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: list[Any] = []
        self.cancelled = False

    def register(self, holder: Any) -> None:
        """Track a socket, or an object whose ``sock`` attribute is the current socket.

        Raises
        ------
        TimeoutError
            When the attempt was already cancelled (the deadline passed during connect).
        """
        with self._lock:
            if self.cancelled:
                _shut(holder)
                raise TimeoutError("delivery attempt cancelled: its deadline passed")
            self._holders.append(holder)

    def cancel(self) -> None:
        """Shut down every tracked socket: a blocked read in the worker returns at once."""
        with self._lock:
            self.cancelled = True
            holders = list(self._holders)
        for holder in holders:
            _shut(holder)


def _shut(holder: Any) -> None:
    sock = holder if isinstance(holder, socket.socket) else getattr(holder, "sock", None)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def run_with_deadline(func: Callable[[Attempt], None], timeout: float, what: str) -> None:
    """Run ``func(attempt)`` in a worker thread and give up after ``timeout`` seconds of wall time.

    Parameters
    ----------
    func : callable
        Does the delivery; registers its sockets with the :class:`Attempt` it is given.
    timeout : float
        Overall deadline in seconds.
    what : str
        Description for the error message.

    Raises
    ------
    TimeoutError
        When the deadline passes (the sockets are shut down and the worker abandoned).
    Exception
        Whatever ``func`` raised.
    """
    attempt = Attempt()
    outcome: list[BaseException] = []

    def target() -> None:
        try:
            func(attempt)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=target, name=f"riskkit-alert-{what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        attempt.cancel()
        worker.join(min(1.0, timeout))
        raise TimeoutError(f"no complete answer within the {timeout:g} s deadline of one attempt")
    if outcome:
        raise outcome[0]


# -- validation helpers -----------------------------------------------------------------------------
def _positive_number(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and value > 0)


def _check_retry(retries: Any, backoff: Any) -> tuple[int, float]:
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ParameterError(f"retries must be an integer >= 0 (got retries={short_repr(retries)})")
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or not backoff >= 0 \
            or not math.isfinite(backoff):
        raise ParameterError(f"backoff must be a number of seconds >= 0 (got backoff={short_repr(backoff)})")
    return retries, float(backoff)


class Channel:
    """Base class: routing by ``min_level`` and delivery with bounded, deadlined retries.

    Parameters
    ----------
    min_level : str, default "blue"
        Lowest level this channel delivers.
    retries : int, default 2
        Attempts after the first one.
    backoff : float, default 1.0
        Seconds before the first retry; doubles at each retry. Also the base of the backoff
        between delivery rounds of the ledger (see :class:`~riskkit.app.alerts.Notifier`).
    timeout : float, default 10.0
        Overall deadline of one attempt in seconds (a positive number).
    name : str, optional
        Name used in the ledger and by ``escalation: {channel: NAME}``; default e.g.
        ``email:host:port``.
    escalation_only : bool, default False
        When true, the channel gets only escalations, never the routine alerts.
    """

    kind = "channel"

    def __init__(self, *, min_level: str = "blue", retries: int = 2, backoff: float = 1.0,
                 timeout: float = 10.0, name: str | None = None, escalation_only: bool = False) -> None:
        self.min_level = min_level
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.label = name
        self.escalation_only = escalation_only

    @property
    def name(self) -> str:
        """Name used in the ledger and reports, e.g. ``email:host:port`` unless configured."""
        return self.label or self.default_name()

    def default_name(self) -> str:
        """Name used when none is configured (the channel kind, or e.g. ``email:host:port``)."""
        return self.kind

    def accepts(self, alert: Alert) -> bool:
        """True when the alert is at or above this channel's ``min_level`` (never for escalation-only).

        Parameters
        ----------
        alert : Alert
            The alert to route.

        Returns
        -------
        bool

        Raises
        ------
        ParameterError
            When ``min_level`` is not a level name.
        """
        return not self.escalation_only and alert.level_code >= level_code(self.min_level, "min_level")

    def validate(self) -> None:
        """Check the configuration.

        Raises
        ------
        ParameterError
            Naming the bad key (``channel_from_dict`` turns it into a ConfigError naming the channel).
        """
        level_code(self.min_level, "min_level")
        _check_retry(self.retries, self.backoff)
        if not _positive_number(self.timeout):
            raise ParameterError(
                f"timeout must be a positive number of seconds (got timeout={short_repr(self.timeout)}); "
                "e.g. timeout: 10"
            )
        if self.label is not None and (not isinstance(self.label, str) or not self.label.strip()):
            raise ParameterError(f"name must be a non-empty string (got name={short_repr(self.label)})")
        if not isinstance(self.escalation_only, bool):
            raise ParameterError(f"escalation_only must be true or false (got {short_repr(self.escalation_only)})")

    def send(self, alert: Alert, text: str | None = None) -> int:
        """Deliver one alert, retrying with backoff.

        Parameters
        ----------
        alert : Alert
            The alert.
        text : str, optional
            A one-line text to send instead of the alert's own subject (used for escalations).

        Returns
        -------
        int
            The number of attempts made.

        Raises
        ------
        DeliveryError
            When every attempt failed or ran past its deadline.
        ConfigError
            When a credential named by an environment variable is missing (no attempt made).
        """
        retries, backoff = _check_retry(self.retries, self.backoff)
        state: dict[str, Any] = {}  # carried across retries (e.g. the SMS segments already sent)
        last: BaseException | None = None
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))
            try:
                self._deliver(alert, text, state)
                return attempt + 1
            except (OSError, http.client.HTTPException) as exc:  # SMTPException and TimeoutError are OSErrors
                last = exc
                logger.debug("delivery attempt %d via %s failed: %s", attempt + 1, self.name, exc)
        raise DeliveryError(
            f"{self.describe_target()} could not deliver the {alert.level} alert on "
            f"{alert.indicator!r} after {retries + 1} attempt(s): {type(last).__name__}: {last}; "
            "check the address and that the server is up (the alert stays in the ledger)"
        )

    def _deliver(self, alert: Alert, text: str | None, state: dict[str, Any]) -> None:
        run_with_deadline(lambda att: self._send_once(alert, text, state, att), float(self.timeout), self.kind)

    def describe_target(self) -> str:
        """Where the channel delivers, for messages and reports (no secret included)."""
        return self.name

    def _send_once(self, alert: Alert, text: str | None, state: dict[str, Any], attempt: Attempt) -> None:
        raise NotImplementedError  # pragma: no cover - abstract


class LogChannel(Channel):
    """Writes each alert to the ``riskkit.alerts`` logger (blue INFO, yellow/orange WARNING, red ERROR).

    Parameters
    ----------
    min_level, retries, backoff, timeout, name, escalation_only
        As for :class:`Channel`.
    """

    kind = "log"

    def _deliver(self, alert: Alert, text: str | None, state: dict[str, Any]) -> None:
        alert_logger.log(_LOG_LEVELS[alert.level], "%s", text or alert.subject)


class EmailChannel(Channel):
    """One e-mail per alert over SMTP; STARTTLS and login optional.

    With ``starttls`` the server certificate is verified against the system trust store, or
    against ``cafile`` (a PEM bundle) for a private certificate authority. The password is taken
    from ``password`` or, better, from the environment variable named by ``password_env`` so that
    configuration files hold no secret. The ``Message-ID`` is derived from the alert id, so a
    receiver can recognise a message sent again after a crash between sending and recording.

    Parameters
    ----------
    host, port : str, int
        The SMTP server.
    sender : str
        From address.
    recipients : list of str
        To addresses.
    min_level, retries, backoff, timeout, name, escalation_only
        See :class:`Channel`.
    starttls, cafile, username, password, password_env, subject_prefix
        Transport security, login and the subject prefix.
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
        name: str | None = None,
        escalation_only: bool = False,
    ) -> None:
        super().__init__(min_level=min_level, retries=retries, backoff=backoff, timeout=timeout, name=name,
                         escalation_only=escalation_only)
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = recipients
        self.starttls = starttls
        self.cafile = cafile
        self.username = username
        self.password = password
        self.password_env = password_env
        self.subject_prefix = subject_prefix

    def default_name(self) -> str:
        return f"email:{self.host}:{self.port}"

    def describe_target(self) -> str:
        return f"email channel (host={self.host!r}, port={self.port})"

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.host, str) or not self.host:
            raise ParameterError(f"host must be a host name (got host={short_repr(self.host)})")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise ParameterError(f"port must be an integer 1..65535 (got port={short_repr(self.port)})")
        for key, value in (("sender", self.sender), *(("recipients", r) for r in self._recipients())):
            if not isinstance(value, str) or "@" not in value:
                raise ParameterError(f"{key} must be an email address (got {key}={short_repr(value)})")
        if self.cafile is not None and not os.path.isfile(self.cafile):
            raise ParameterError(f"cafile must be a PEM file (got cafile={self.cafile!r}, not found)")

    def _recipients(self) -> list[Any]:
        if isinstance(self.recipients, str) or not self.recipients:
            raise ParameterError(
                f"recipients must be a non-empty list of addresses (got recipients={short_repr(self.recipients)})"
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

    def message(self, alert: Alert, text: str | None = None) -> EmailMessage:
        """The e-mail for one alert: the subject carries the level and the indicator.

        Parameters
        ----------
        alert : Alert
            The alert.
        text : str, optional
            Escalation text that replaces the alert's subject line.

        Returns
        -------
        email.message.EmailMessage
            Subject, From, To, Message-ID (from the alert id) and a plain-text body.
        """
        msg = EmailMessage()
        msg["Subject"] = f"[{self.subject_prefix}] {text or alert.subject}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self._recipients())
        kind = "escalation" if text else "alert"
        msg["Message-ID"] = f"<{alert.alert_id}.{kind}@riskkit>"
        msg.set_content((text + "\n\n" if text else "") + alert.message + "\n\n"
                        + json.dumps(alert.to_dict(), indent=2))
        return msg

    def _deliver(self, alert: Alert, text: str | None, state: dict[str, Any]) -> None:
        password = self._password() if self.username else None  # a missing secret: ConfigError, no attempt
        message = self.message(alert, text)
        run_with_deadline(lambda att: self._smtp(message, password, att), float(self.timeout), self.kind)

    def _smtp(self, message: EmailMessage, password: str | None, attempt: Attempt) -> None:
        smtp = _TrackedSMTP(attempt, self.host, timeout=float(self.timeout) + _SOCKET_SLACK)
        attempt.register(smtp)
        with smtp:
            smtp.connect(self.host, self.port)
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=self.cafile))
            if self.username:
                smtp.login(self.username, password or "")
            smtp.send_message(message)


class _TrackedSMTP(smtplib.SMTP):
    """SMTP whose socket is refused once the attempt's deadline has passed."""

    def __init__(self, attempt: Attempt, server_name: str, timeout: float) -> None:
        self._attempt = attempt
        super().__init__(timeout=timeout)
        # the TLS server name for STARTTLS, which smtplib sets only when __init__ connects
        setattr(self, "_host", server_name)  # noqa: B010 - private attribute not in the stubs

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self._attempt.register(sock)
        return sock


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float, attempt: Attempt) -> tuple[int, bytes]:
    """POST over http.client with the attempt tracking the connection's socket."""
    parts = urllib.parse.urlsplit(url)
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_type(parts.hostname or "", parts.port, timeout=timeout + _SOCKET_SLACK)
    attempt.register(conn)
    try:
        conn.connect()
        attempt.register(conn)  # conn.sock exists now (re-checked for a deadline passed during connect)
        path = parts.path or "/"
        conn.request("POST", path + (f"?{parts.query}" if parts.query else ""), body=body, headers=dict(headers))
        response = conn.getresponse()
        data = response.read()
        return response.status, data
    finally:
        conn.close()


class WebhookChannel(Channel):
    """HTTP POST of the alert as JSON (``Content-Type: application/json``); 2xx is success.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` address.
    headers : mapping, optional
        Extra request headers.
    min_level, retries, backoff, timeout, name, escalation_only
        See :class:`Channel`.
    """

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
        name: str | None = None,
        escalation_only: bool = False,
    ) -> None:
        super().__init__(min_level=min_level, retries=retries, backoff=backoff, timeout=timeout, name=name,
                         escalation_only=escalation_only)
        self.url = url
        self.headers = headers

    def default_name(self) -> str:
        return f"webhook:{self.url}"

    def describe_target(self) -> str:
        return f"webhook channel (url={self.url!r})"

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.url, str) or not self.url.startswith(("http://", "https://")):
            raise ParameterError(f"url must start with http:// or https:// (got url={short_repr(self.url)})")

    def _send_once(self, alert: Alert, text: str | None, state: dict[str, Any], attempt: Attempt) -> None:
        payload = alert.to_dict() | ({"escalation": text} if text else {})
        body = json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": "application/json", **dict(self.headers or {})}
        status, _ = _post(self.url, body, headers, float(self.timeout), attempt)
        if not 200 <= status < 300:
            raise OSError(f"HTTP {status}")


class SmsChannel(Channel):
    """SMS through a Twilio-compatible Messages API (form-encoded POST, HTTP basic auth).

    Each alert becomes ``{prefix}{subject}: {message}`` with characters outside the GSM-7
    alphabet replaced, split into numbered messages of at most 160 GSM-7 septets each
    (``1/2 ...``), at most ``max_segments`` of them (the last one is cut with ``...``). One POST
    to ``{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`` per recipient and segment
    with the fields ``To``, ``From`` and ``Body``; a 2xx answer is success. Segments already
    accepted are not sent again when a later one fails and the attempt is retried.

    Every setting can come from the configuration or from the environment, so the YAML needs no
    secret: ``base_url`` / ``$RISKKIT_SMS_URL`` (default ``https://api.twilio.com``),
    ``account_sid`` / ``$TWILIO_ACCOUNT_SID``, ``auth_token`` / ``$TWILIO_AUTH_TOKEN``,
    ``sender`` / ``$RISKKIT_SMS_FROM``, ``recipients`` / ``$RISKKIT_SMS_TO`` (comma-separated).
    The ``*_env`` keys name other environment variables.

    Parameters
    ----------
    base_url, account_sid, auth_token, sender, recipients
        Gateway, credentials and numbers (E.164, e.g. ``+447700900123``), else from the environment.
    base_url_env, account_sid_env, auth_token_env, sender_env, recipients_env : str
        Names of the environment variables read when the value is not configured.
    max_segments : int, default 3
        Most messages per alert and recipient.
    prefix : str, default "riskkit "
        Text before each alert.
    min_level, retries, backoff, timeout, name, escalation_only
        See :class:`Channel`.
    """

    kind = "sms"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
        sender: str | None = None,
        recipients: Sequence[str] | None = None,
        base_url_env: str = "RISKKIT_SMS_URL",
        account_sid_env: str = "TWILIO_ACCOUNT_SID",
        auth_token_env: str = "TWILIO_AUTH_TOKEN",
        sender_env: str = "RISKKIT_SMS_FROM",
        recipients_env: str = "RISKKIT_SMS_TO",
        max_segments: int = 3,
        prefix: str = "riskkit ",
        min_level: str = "red",
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 1.0,
        name: str | None = None,
        escalation_only: bool = False,
    ) -> None:
        super().__init__(min_level=min_level, retries=retries, backoff=backoff, timeout=timeout, name=name,
                         escalation_only=escalation_only)
        self.base_url = base_url
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.recipients = recipients
        self.base_url_env = base_url_env
        self.account_sid_env = account_sid_env
        self.auth_token_env = auth_token_env
        self.sender_env = sender_env
        self.recipients_env = recipients_env
        self.max_segments = max_segments
        self.prefix = prefix

    def _setting(self, key: str, *, default: str | None = None) -> str:
        value = getattr(self, key)
        if value is None:
            env = getattr(self, f"{key}_env")
            value = os.environ.get(env) or default
            if not value:
                raise ConfigError(
                    f"sms channel has no {key}: set it in the channel configuration or export ${env}"
                )
        return str(value)

    def _numbers(self) -> list[str]:
        if self.recipients is None:
            raw = self._setting("recipients")
            numbers = [n.strip() for n in raw.split(",") if n.strip()]
        elif isinstance(self.recipients, str):
            raise ParameterError(f"recipients must be a list of phone numbers (got recipients={self.recipients!r})")
        else:
            numbers = [str(n) for n in self.recipients]
        if not numbers:
            raise ConfigError(f"sms channel recipients is empty: list at least one number or export ${self.recipients_env}")
        for number in numbers:
            digits = number.removeprefix("+")
            if not digits.isdigit() or not 3 <= len(digits) <= 15:
                raise ParameterError(f"recipients must be phone numbers like +447700900123 (got {number!r})")
        return numbers

    def default_name(self) -> str:
        return "sms"

    def describe_target(self) -> str:
        try:
            url = self._setting("base_url", default="https://api.twilio.com")
        except RiskkitError:
            url = "?"
        return f"sms channel (url={url!r})"

    def validate(self) -> None:
        super().validate()
        if isinstance(self.max_segments, bool) or not isinstance(self.max_segments, int) or not 1 <= self.max_segments <= 10:
            raise ParameterError(f"max_segments must be an integer 1..10 (got max_segments={short_repr(self.max_segments)})")
        if not isinstance(self.prefix, str) or len(self.prefix) > 40:
            raise ParameterError(f"prefix must be a string of at most 40 characters (got prefix={short_repr(self.prefix)})")
        url = self._setting("base_url", default="https://api.twilio.com")
        if not url.startswith(("http://", "https://")):
            raise ParameterError(f"base_url must start with http:// or https:// (got base_url={url!r})")
        for key in ("account_sid", "auth_token", "sender"):
            self._setting(key)
        self._numbers()

    def endpoint(self) -> str:
        """``{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json``."""
        base = self._setting("base_url", default="https://api.twilio.com").rstrip("/")
        sid = urllib.parse.quote(self._setting("account_sid"), safe="")
        return f"{base}/2010-04-01/Accounts/{sid}/Messages.json"

    def segments(self, alert: Alert, text: str | None = None) -> list[str]:
        """The SMS bodies for one alert: GSM-7 only, each at most 160 septets.

        Parameters
        ----------
        alert : Alert
            The alert.
        text : str, optional
            Escalation text that replaces the alert's subject line.

        Returns
        -------
        list of str
            At most ``max_segments`` bodies, numbered when there are several.
        """
        body = f"{self.prefix}{text or alert.subject}: {alert.message}"
        return sms_segments(body, max_segments=int(self.max_segments))

    def _deliver(self, alert: Alert, text: str | None, state: dict[str, Any]) -> None:
        # settings are read before any attempt: a missing secret is a ConfigError, not a retry
        settings = {"url": self.endpoint(), "sid": self._setting("account_sid"),
                    "token": self._setting("auth_token"), "sender": self._setting("sender"),
                    "numbers": self._numbers(), "bodies": self.segments(alert, text)}
        run_with_deadline(lambda att: self._post_all(settings, state, att), float(self.timeout), self.kind)

    def _post_all(self, settings: Mapping[str, Any], state: dict[str, Any], attempt: Attempt) -> None:
        done: set[tuple[str, int]] = state.setdefault("sent", set())
        auth = base64.b64encode(f"{settings['sid']}:{settings['token']}".encode()).decode("ascii")
        headers = {"Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"}
        for number in settings["numbers"]:
            for k, body in enumerate(settings["bodies"]):
                if (number, k) in done:
                    continue
                form = urllib.parse.urlencode({"To": number, "From": settings["sender"], "Body": body}).encode()
                status, data = _post(settings["url"], form, headers, float(self.timeout), attempt)
                if not 200 <= status < 300:
                    raise OSError(f"HTTP {status}: {data[:200].decode('utf-8', 'replace')}")
                done.add((number, k))


_FACTORIES: dict[str, Callable[..., Channel]] = {
    "log": LogChannel,
    "email": EmailChannel,
    "webhook": WebhookChannel,
    "sms": SmsChannel,
}
_COMMON = {"min_level", "retries", "backoff", "timeout", "name", "escalation_only"}
_ALLOWED: dict[str, set[str]] = {
    "log": _COMMON,
    "email": _COMMON | {"host", "port", "sender", "recipients", "starttls", "cafile", "username", "password",
                        "password_env", "subject_prefix"},
    "webhook": _COMMON | {"url", "headers"},
    "sms": _COMMON | {"base_url", "account_sid", "auth_token", "sender", "recipients", "base_url_env",
                      "account_sid_env", "auth_token_env", "sender_env", "recipients_env", "max_segments",
                      "prefix"},
}


def channel_from_dict(spec: Mapping[str, Any], position: int = 0) -> Channel:
    """Build and validate a channel from ``{type: log|email|webhook|sms, min_level: ..., ...}``.

    Parameters
    ----------
    spec : mapping
        One entry of the ``channels`` list of the early-warning YAML.
    position : int, default 0
        Its index in the list, used in error messages.

    Returns
    -------
    Channel

    Raises
    ------
    ConfigError
        Naming the channel (``channels[i] (kind 'name')``) and the bad key, e.g. a timeout that is
        not a positive number.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"channels[{position}] must be a mapping (got {short_repr(spec)})")
    kind = spec.get("type")
    if kind not in _FACTORIES:
        raise ConfigError(
            f"channels[{position}].type must be one of {sorted(_FACTORIES)} (got type={short_repr(kind)})"
        )
    args = {k: v for k, v in spec.items() if k != "type"}
    where = f"channels[{position}] ({kind}{' ' + repr(args['name']) if 'name' in args else ''})"
    unknown = sorted(set(args) - _ALLOWED[kind])
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {unknown}; allowed: {sorted(_ALLOWED[kind])}")
    try:
        channel = _FACTORIES[kind](**args)
    except TypeError as exc:
        raise ConfigError(f"{where} is incomplete: {exc}") from None
    try:
        channel.validate()
    except RiskkitError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return channel
