"""The exception tree of smsstats_nb.

Every exception the package raises on purpose derives from :class:`SmsStatsError`::

    SmsStatsError
    ├── QueryError (also a ValueError)   bad local input, raised before any request is spent
    ├── SmscError                        the server answered with an error body (HTTP 200)
    │   ├── ParameterError               code 1: the server rejected the parameters
    │   ├── AuthError                    code 2: wrong login/password/apikey or IP not allowed
    │   ├── IPBlockedError               code 4: the caller's IP is temporarily blocked
    │   └── RateLimitError               code 9: too many statistics requests (or a local wait refused)
    ├── ResponseFormatError              a body that is neither data nor a known error
    ├── TransportError                   network failure, timeout, redirect or HTTP status other than 200
    └── StorageError                     the cache/state directory is busy, full, read-only or unusable

Server error codes map to classes in one place, :data:`ERROR_CLASSES`; an unknown code gives a
plain :class:`SmscError` that still carries its number.

No message built here ever contains a password or an API key: the client never passes them in.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = [
    "ERROR_CLASSES",
    "AuthError",
    "IPBlockedError",
    "ParameterError",
    "QueryError",
    "RateLimitError",
    "ResponseFormatError",
    "SmsStatsError",
    "SmscError",
    "StorageError",
    "SyncLeaseError",
    "TransportError",
    "error_from_code",
    "said",
]

E = TypeVar("E", bound="SmsStatsError")


class SmsStatsError(Exception):
    """Root of every error raised by smsstats_nb on purpose.

    Attributes:
        template: the message's catalogue form when it was raised with :func:`said` (the CLI and
            the dashboard show it translated), else None.
        values: the values the template is formatted with.
    """

    template: str | None = None
    values: dict[str, object] = {}  # noqa: RUF012 - read-only default, replaced per instance by said()


def said(cls: type[E], template: str, **values: object) -> E:
    """``cls`` with the message ``template.format(**values)`` in English, keeping the template and
    its values so that a person's interface says it in their language
    (:func:`smsstats_nb.core.i18n.localized`). ``template`` is a catalogue message (``make i18n``
    extracts the second argument of ``said``)."""
    exc = cls(template.format(**values))
    exc.template = template
    exc.values = dict(values)
    return exc


class QueryError(SmsStatsError, ValueError):
    """Raised for bad local input (dates, flags, fmt, missing credentials) before any request."""


class SmscError(SmsStatsError):
    """Raised when the SMSC server answers with an error body.

    Attributes:
        code: the server's error number (``ERROR = N``).
        description: the server's description text, possibly empty.
    """

    def __init__(self, code: int, description: str = "", *, hint: str = "") -> None:
        self.code = code
        self.description = description
        self.hint = hint
        text = f"SMSC error {code}"
        if description:
            text += f" ({description})"
        if hint:
            text += f": {hint}"
        super().__init__(text)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_smsc_error, (type(self), self.code, self.description, self.hint))


def _rebuild_smsc_error(cls: type[SmscError], code: int, description: str, hint: str) -> SmscError:
    err = cls.__new__(cls)
    SmscError.__init__(err, code, description, hint=hint)
    return err


class ParameterError(SmscError):
    """Raised on server error 1: the server found an error in the request parameters."""


class AuthError(SmscError):
    """Raised on server error 2 (invalid login, password or apikey, or IP not on the allow-list).

    Also raised locally, without a request, while the same credentials are in their 30-minute
    cool-down after a server ``AuthError`` (five failures would block the IP).
    """


class IPBlockedError(SmscError):
    """Raised on server error 4: the caller's IP address is temporarily blocked (up to 30 minutes).

    Also raised locally, without a request, for 30 minutes after the server answered error 4
    (every request could prolong the block).

    Attributes:
        retry_after: seconds until the local refusal ends (``None`` when the server answered).
    """

    retry_after: float | None = None

    def __init__(
        self, code: int = 4, description: str = "", *, hint: str = "", retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(code, description, hint=hint)


class RateLimitError(SmscError):
    """Raised on server error 9 after the retries ran out, or locally when a wait was refused.

    Attributes:
        retry_after: seconds to wait before the next attempt can succeed (``None`` if unknown).
        local: True when the client refused to wait (its own quota), False for the server's 9.
    """

    retry_after: float | None = None
    local: bool = False

    def __init__(
        self,
        code: int = 9,
        description: str = "",
        *,
        hint: str = "",
        retry_after: float | None = None,
        local: bool = False,
    ) -> None:
        self.retry_after = retry_after
        self.local = local
        super().__init__(code, description, hint=hint)


class ResponseFormatError(SmsStatsError):
    """Raised when a body is neither data in the asked format nor a known error form.

    Attributes:
        snippet: a short, truncated excerpt of the offending body.
    """

    def __init__(self, message: str, snippet: str = "") -> None:
        self.snippet = snippet
        super().__init__(f"{message}; body starts with {snippet!r}" if snippet else message)


class TransportError(SmsStatsError):
    """Raised when the server cannot be reached, times out, redirects, or answers with an HTTP error status."""


class StorageError(SmsStatsError):
    """Raised when the cache or state directory cannot be used: busy past the lock timeout, disk full,
    read-only or not accessible. The message names the directory and the cause; nothing is thrown
    away (only a file SQLite reports as corrupt is set aside and rebuilt)."""


#: The one table from server error code to exception class.
ERROR_CLASSES: dict[int, type[SmscError]] = {
    1: ParameterError,
    2: AuthError,
    4: IPBlockedError,
    9: RateLimitError,
}

_HINTS: dict[int, str] = {
    1: "the server rejected the request parameters",
    2: "check the login and password (or apikey); the same credentials are not retried for "
    "30 minutes, since five failures block the IP",
    4: "this IP address is blocked by the server for up to 30 minutes; wait before trying again",
    9: "more than three statistics requests a minute on this login; wait a minute",
}


def error_from_code(code: int, description: str = "") -> SmscError:
    """Build the exception for a server error code (unknown codes give a plain SmscError)."""
    cls = ERROR_CLASSES.get(code, SmscError)
    return cls(code, description, hint=_HINTS.get(code, ""))


def snippet_of(body: str, limit: int = 60) -> str:
    """Return a short, single-line excerpt of a body for error messages."""
    text = " ".join(body.split())
    return text if len(text) <= limit else text[:limit] + "…"


class CancelledError(SmsStatsError):
    """The person cancelled while a request waited (for the quota, a server's pause or a login
    slot): the wait ended at once and nothing more was sent. What arrived before is kept."""


class SyncLeaseError(SmsStatsError):
    """Another sync for the same login holds the lease (in this cache directory, or the team's
    Redis): one sync per login runs at a time."""
