"""Where alerts go: a webhook (JSON, optionally HMAC-signed), e-mail over SMTP, Telegram's Bot API.

Each channel has a ``name`` a person can read (the host, never a token or a password) and a
``key`` (a hash of its destination) under which the alert log remembers what was sent to it. A
failure is one :class:`ChannelError` naming the channel by that name: the webhook URL (whose path
often is the token, as Slack's are), the bot token and the SMTP password appear in no error, log
line or repr. The HTTP channels use the standard library's ``http.client``, which logs nothing
(urllib3's debug log would print the URL, and the token with it).

Delivery is **at least once**, never lost: the log marks an alert sent only after a success, and
a failure is sent again by the next check. A delivery has one deadline (``timeout`` seconds, all
attempts together; the answer's body is not read); what surely did not arrive (no connection, a
5xx or 429 answer) is tried ``retries`` more times within it; an attempt that was sent and got no
answer in time is not repeated now (it may have arrived: the next check sends it again, with the
same message id, so a receiver can drop the second copy). A redirect is never followed: it is a
failure naming the new address. Each e-mail recipient is its own delivery.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import json
import smtplib
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from ..core import QueryError, said
from ..core.i18n import gettext_ as _
from ._messages import facts_text
from ._post import ChannelError, post

__all__ = [
    "ID_HEADER",
    "PAYLOAD_VERSION",
    "SIGNATURE_HEADER",
    "TELEGRAM_PACE",
    "Channel",
    "ChannelError",
    "EmailChannel",
    "File",
    "RichMessage",
    "TelegramChannel",
    "WebhookChannel",
    "rich_email",
]

#: The header of a signed webhook: ``sha256=`` and the hex HMAC-SHA256 of the body (as GitHub signs).
SIGNATURE_HEADER = "X-Smsstats-Signature"
#: The header carrying a message's stable id (a receiver drops a copy it has seen: delivery is at
#: least once).
ID_HEADER = "X-Smsstats-Id"
#: The version of the webhook's JSON body (``version`` in it): 2 is the digest (``alerts``, a list
#: of every alert the message carries; 1 was one alert per body).
PAYLOAD_VERSION = 2
#: The least seconds between two messages to one Telegram chat (its Bot API allows about one a
#: second per chat).
TELEGRAM_PACE = 1.0
#: Telegram's Bot API (tests and self-hosted servers give another base).
TELEGRAM_API = "https://api.telegram.org"


#: Telegram's longest photo caption and longest message (characters).
TELEGRAM_CAPTION = 1024
TELEGRAM_TEXT = 4096


@dataclass(frozen=True)
class File:
    """A file a message carries: its name (ASCII: every mail reader and Telegram keep it), bytes and
    MIME type."""

    name: str
    data: bytes = field(repr=False)
    mime: str


@dataclass(frozen=True)
class RichMessage:
    """A message with a chart and files (a scheduled report): the channels send it their own way.

    E-mail: an HTML part showing ``chart`` inline (``src="cid:{chart_cid}"`` in ``html``) beside a
    plain-text part, ``files`` attached. Telegram: the chart as a photo with ``text`` as its caption
    (a text longer than a caption goes first as a message), each file as a document. Webhook:
    ``payload`` (the figures) and ``text`` as JSON, signed as the alerts are.
    """

    id: str
    subject: str
    text: str
    html: str
    payload: dict[str, Any]
    chart: File | None = None
    files: tuple[File, ...] = ()
    chart_cid: str = "chart@smsstats"


class Channel(Protocol):
    """Somewhere an alert can be sent."""

    name: str
    key: str

    def send(self, payload: dict[str, Any], text: str, subject: str) -> None:
        """Deliver one alert, or raise :class:`ChannelError`."""

    def send_rich(self, message: RichMessage) -> None:
        """Deliver a message with a chart and files, or raise :class:`ChannelError`."""


def _webhook_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks signature: a ``whsec_``-prefixed base64 secret decoded,
    any other secret as its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except ValueError:
            pass
    return secret.encode()


def _pause(seconds: float) -> None:
    """The pause between attempts (``time.sleep``, looked up when called)."""
    time.sleep(seconds)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def _http_url(url: object, what: str) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise said(QueryError, "{what} must be an http(s) URL", what=what)
    if urlsplit(url).password is not None:
        raise said(QueryError, "{what} must not carry a user name and password", what=what)
    return url


def header_text(text: str) -> str:
    """``text`` as one header line: control characters (CR, LF, tab, escapes) become spaces."""
    return "".join(" " if ch < " " or ch == "\x7f" else ch for ch in text)


class WebhookChannel:
    """A JSON POST of the alert's payload (``text`` in it is one readable sentence, which Slack and
    Mattermost incoming webhooks show as it is), signed with HMAC-SHA256 when a secret is given.

    Args:
        url: the receiver (http or https); kept out of every message.
        secret: the shared secret for :data:`SIGNATURE_HEADER` (None: unsigned).
        timeout: seconds per attempt; retries, backoff: further attempts and the first pause.
        sleep: how to pause between attempts (tests pass a fake clock's).
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 1.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._url = _http_url(url, "a webhook")
        self._secret = secret
        self.timeout, self.retries, self.backoff, self._sleep = timeout, retries, backoff, sleep or _pause
        self.key = "webhook:" + _digest(self._url)
        self.name = _("webhook {host} ({key})").format(host=urlsplit(self._url).hostname, key=self.key[8:14])

    def __repr__(self) -> str:
        return f"WebhookChannel({self.name!r}, signed={self._secret is not None})"

    def send(self, payload: dict[str, Any], text: str, subject: str) -> None:
        """POST ``payload`` (with ``text``) as JSON."""
        self._post_json({"version": PAYLOAD_VERSION, **payload, "text": text})

    def send_rich(self, message: RichMessage) -> None:
        """POST the message's figures (``payload``) and ``text`` as JSON, its id as the message id
        (no chart or file: a receiver that wants them asks the report's folder)."""
        self._post_json({"version": PAYLOAD_VERSION, "id": message.id, **message.payload, "text": message.text})

    def _post_json(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False, default=str)
        raw = body.encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "smsstats_nb alerts"}
        message_id = str(payload.get("id") or _digest(body))  # a message without an alert's id: its body
        timestamp = str(int(time.time()))
        # Standard Webhooks: the id stays the same for a message across retries and later checks
        headers.update({ID_HEADER: message_id, "webhook-id": message_id, "webhook-timestamp": timestamp})
        if self._secret:
            mac = hmac.new(self._secret.encode(), raw, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={mac}"
            signed = f"{message_id}.{timestamp}.".encode() + raw
            v1 = base64.b64encode(hmac.new(_webhook_key(self._secret), signed, hashlib.sha256).digest()).decode()
            headers["webhook-signature"] = f"v1,{v1}"
        post(
            self._url,
            raw,
            headers,
            name=self.name,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            sleep=self._sleep,
        )


class TelegramChannel:
    """A message to a Telegram chat through the Bot API's ``sendMessage``.

    Args:
        chat_id: the chat (a number, or ``@channelname``).
        token: the bot's token (kept out of every message).
        api_base: the Bot API's address (default Telegram's; tests give a local stand-in).
        clock: the monotonic clock the pacing reads (tests pass a fake clock's).

    Messages to one chat are paced (at least :data:`TELEGRAM_PACE` seconds apart, across every
    channel object of this process), and a 429's ``retry_after`` is honoured up to a cap.
    """

    _last: ClassVar[dict[str, float]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        chat_id: str,
        token: str,
        *,
        api_base: str = TELEGRAM_API,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 1.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        if not str(chat_id).strip():
            raise said(QueryError, "a Telegram chat id is needed")
        if not token:
            raise said(QueryError, "a Telegram bot token is needed: set SMSSTATS_TELEGRAM_TOKEN")
        self.chat_id = str(chat_id).strip()
        self._token = token
        self._base = _http_url(api_base, "the Telegram API address").rstrip("/")
        self.timeout, self.retries, self.backoff, self._sleep = timeout, retries, backoff, sleep or _pause
        self.key = "telegram:" + _digest(self._base, self.chat_id)
        self.name = _("telegram chat {chat}").format(chat=self.chat_id)

    def __repr__(self) -> str:
        return f"TelegramChannel({self.name!r})"

    def send(self, payload: dict[str, Any], text: str, subject: str) -> None:
        """``sendMessage`` with the alert's sentence."""
        self._paced("sendMessage", self._message_body(text), "application/json")

    def send_rich(self, message: RichMessage) -> None:
        """The chart as a photo with the text as its caption (a text too long for a caption goes
        first as a message, and the photo carries the subject), then each file as a document."""
        text = message.text
        caption = text
        if message.chart is None or len(text) > TELEGRAM_CAPTION:
            self._paced("sendMessage", self._message_body(_cut(text, TELEGRAM_TEXT)), "application/json")
            caption = _cut(message.subject, TELEGRAM_CAPTION)
        if message.chart is not None:
            body, kind = _form({"chat_id": self.chat_id, "caption": caption}, "photo", message.chart)
            self._paced("sendPhoto", body, kind)
        for file in message.files:
            body, kind = _form({"chat_id": self.chat_id}, "document", file)
            self._paced("sendDocument", body, kind)

    def _message_body(self, text: str) -> bytes:
        return json.dumps({"chat_id": self.chat_id, "text": text, "disable_web_page_preview": True}).encode()

    def _paced(self, method: str, body: bytes, content_type: str) -> None:
        with TelegramChannel._lock:  # a second since the chat's last message ended
            wait = TelegramChannel._last.get(self.key, -1e18) + TELEGRAM_PACE - self._clock()
            if wait > 0:
                self._sleep(wait)
        try:
            self._post(method, body, content_type)
        finally:
            with TelegramChannel._lock:
                TelegramChannel._last[self.key] = self._clock()

    def _post(self, method: str, body: bytes, content_type: str) -> None:
        post(  # the Bot API answers 200 when it took the message (4xx with ok:false when not)
            f"{self._base}/bot{self._token}/{method}",
            body,
            {"Content-Type": content_type},
            name=self.name,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            sleep=self._sleep,
        )


class EmailChannel:
    """A plain-text e-mail through SMTP (``smtplib``).

    Args:
        to: the addresses.
        smtp: ``smtp://host[:25]`` (STARTTLS when the server offers it), ``smtp+starttls://host[:587]``
            (STARTTLS required) or ``smtps://host[:465]`` (TLS from the start); no credentials in it.
        user, password: the SMTP login (from the environment), or None.
        sender: the From address.
        tls_context: the TLS settings (default: the system's, with certificate checks).
    """

    def __init__(
        self,
        to: list[str],
        smtp: str,
        *,
        user: str | None = None,
        password: str | None = None,
        sender: str = "smsstats@localhost",
        timeout: float = 20.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        addresses = [a.strip() for a in to if a and a.strip()]
        if not addresses or any("@" not in a for a in addresses):
            raise said(QueryError, "e-mail alerts need addresses like ops@example.com")
        parts = urlsplit(smtp or "")
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls", "smtp+plain") or not parts.hostname:
            raise said(
                QueryError,
                "the SMTP server must be smtp://host[:port], smtp+starttls://host[:port] or smtps://host[:port]",
            )
        if parts.password is not None or parts.username is not None:
            raise said(
                QueryError,
                "the SMTP server's address must not carry a user name or password: set SMSSTATS_SMTP_USER/_PASSWORD",
            )
        self.to = addresses
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587, "smtp+plain": 25}[parts.scheme]
        self._user, self._password = user, password
        self.sender, self.timeout, self._tls = sender, timeout, tls_context
        self.key = "email:" + _digest(self.host, str(self.port), *sorted(self.to))
        self.name = _("e-mail to {to} via {host}").format(to=", ".join(self.to), host=self.host)

    def __repr__(self) -> str:
        return f"EmailChannel({self.name!r})"

    def send(self, payload: dict[str, Any], text: str, subject: str) -> None:
        """One message: the sentence, then the alert's figures one per line. Every recipient must
        take it (a recipient refused is a failure: a channel has one recipient, see
        :func:`~smsstats_nb.alerts.channels_from`)."""
        message = EmailMessage()
        message["Subject"] = header_text(subject)  # a login with CR/LF cannot break the headers
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["Date"] = email.utils.formatdate(localtime=False)  # RFC 5322: Date and Message-ID
        if payload.get("id"):
            message["Message-ID"] = f"<{payload['id']}@smsstats>"
            message[ID_HEADER] = str(payload["id"])
        message.set_content(f"{text}\n\n{facts_text(payload)}\n\n-- smsstats_nb alerts\n")
        self._submit(message)

    def send_rich(self, message: RichMessage) -> None:
        """One e-mail: HTML with the chart inline and a plain-text part, the files attached."""
        self._submit(rich_email(message, self.sender, self.to))

    def _submit(self, message: EmailMessage) -> None:
        context = self._tls or ssl.create_default_context()
        try:
            if self.scheme == "smtps":
                server: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                server.ehlo()
                if self.scheme == "smtp+starttls" or (self.scheme == "smtp" and server.has_extn("starttls")):
                    server.starttls(context=context)
                    server.ehlo()
                elif self._user and self.scheme == "smtp":
                    # the password would cross the network in clear: only smtp+plain:// says that is wanted
                    raise said(
                        ChannelError,
                        "{name}: the SMTP server offers no STARTTLS, so the login would go in clear text; use "
                        "smtps:// or smtp+starttls://, or smtp+plain:// to send it in clear on purpose "
                        "(a relay on this machine)",
                        name=self.name,
                    )
                if self._user:
                    server.login(self._user, self._password or "")
                refused = server.send_message(message)
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
        except smtplib.SMTPAuthenticationError as exc:
            raise said(
                ChannelError, "{name}: the SMTP server refused the login ({code})", name=self.name, code=exc.smtp_code
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise said(
                ChannelError,
                "{name}: not delivered ({why}); it is sent again at the next check",
                name=self.name,
                why=type(exc).__name__,
            ) from None


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at a line end when it must be cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    return (head.rsplit("\n", 1)[0] if "\n" in head else head) + "…"


def _form(fields: dict[str, str], name: str, file: File) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body: the text fields, then ``file`` as the field ``name``."""
    boundary = f"smsstats-{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file.name}"\r\n'
        f"Content-Type: {file.mime}\r\n\r\n".encode()
        + file.data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def rich_email(message: RichMessage, sender: str, to: list[str]) -> EmailMessage:
    """The e-mail of a :class:`RichMessage` (RFC 5322, MIME): ``multipart/mixed`` of a
    ``multipart/alternative`` (the plain text, and the HTML ``multipart/related`` with the chart as
    its ``cid:`` image) and the files as attachments. Also what a dry run writes as ``.eml``."""
    mail = EmailMessage()
    mail["Subject"] = header_text(message.subject)
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = email.utils.formatdate(localtime=False)
    mail["Message-ID"] = f"<{message.id}@smsstats>"
    mail[ID_HEADER] = message.id
    mail.set_content(message.text + "\n\n-- smsstats_nb\n")
    mail.add_alternative(message.html, subtype="html")
    if message.chart is not None:
        html_part: Any = mail.get_payload()[1]  # type: ignore[index]
        maintype, subtype = message.chart.mime.split("/", 1)
        html_part.add_related(
            message.chart.data, maintype, subtype, cid=f"<{message.chart_cid}>", filename=message.chart.name
        )
    for file in message.files:
        maintype, subtype = file.mime.split("/", 1)
        mail.add_attachment(file.data, maintype, subtype, filename=file.name)
    return mail
