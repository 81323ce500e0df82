"""One table from error class to the words a person reads: a line on the page (:func:`friendly_error`)
and a sentence in the terminal (:func:`error_sentence`), from the same ladder over the error classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import (
    AuthError,
    IPBlockedError,
    QueryError,
    RateLimitError,
    ResponseFormatError,
    SmscError,
    SmsStatsError,
    StorageError,
    TransportError,
)
from ..core.i18n import (
    N_,
    current,
    format_duration,
    localized,
)
from ..core.i18n import gettext_ as _

__all__ = ["ERROR_WORDS", "error_sentence", "friendly_error"]


def _auth(exc: AuthError, surface: str) -> str:
    if exc.description != "refused locally":
        if surface == "page":
            return _("Login failed: SMSC rejected the login or password. Enter them again above.")
        return _("SMSC rejected the login or password (error {code})").format(code=exc.code)
    if surface == "terminal":  # SMSC was not asked: say so
        return _(
            "not sent: these credentials failed a moment ago (or several logins failed here), and SMSC "
            "blocks the IP address at five failures; wait 30 minutes or fix the password"
        )
    if "logins failed" in (exc.hint or ""):
        return _(
            "Not sent: several logins failed from this machine in the last 30 minutes, and SMSC "
            "blocks the IP address at five; wait before trying other credentials."
        )
    return _(
        "Not sent: SMSC rejected these credentials a moment ago, and five failures block this IP "
        "address, so they are not tried again for 30 minutes. Enter the right password above."
    )


def _blocked(exc: IPBlockedError, surface: str) -> str:
    if surface == "terminal":
        return _("SMSC has blocked this IP address (error {code}); wait up to 30 minutes").format(code=exc.code)
    if exc.retry_after:
        return _("SMSC has blocked this IP address; not asking again for {wait}.").format(
            wait=format_duration(exc.retry_after)
        )
    return _("SMSC has blocked this IP address for up to 30 minutes; wait before trying again.")


def _rate(exc: RateLimitError, surface: str) -> str:
    if surface == "terminal":
        if exc.retry_after:
            return _("the rate limit is reached (error {code}): wait {wait}").format(
                code=exc.code, wait=format_duration(exc.retry_after)
            )
        return _("the rate limit is reached (error {code}): wait a minute").format(code=exc.code)
    wait = _("wait {seconds} s").format(seconds=f"{exc.retry_after:.0f}") if exc.retry_after else _("wait a minute")
    return _("Rate limit reached: {wait} and click Fetch again (SMSC allows 3 statistics requests a minute).").format(
        wait=wait
    )


def _smsc(exc: SmscError, surface: str) -> str:
    return _("SMSC answered with error {code}: {detail}").format(code=exc.code, detail=exc.description or exc)


def _detail(page: str | None, terminal: str | None) -> Callable[[BaseException, str], str | None]:
    """A family said as a sentence around the error's own (localized) text; None: no sentence."""

    def say(exc: BaseException, surface: str) -> str | None:
        form = page if surface == "page" else terminal
        return None if form is None else _(form).format(detail=localized(exc))

    return say


#: The one table from error class to the words a person reads, on the page (the dashboard) and in
#: the terminal (the CLI in a language other than English), first match wins: each entry is
#: ``(class, words(exc, surface))``; words that return None fall through to the error's own text.
ERROR_WORDS: tuple[tuple[type[BaseException], Callable[[Any, str], str | None]], ...] = (
    (AuthError, _auth),
    (IPBlockedError, _blocked),
    (RateLimitError, _rate),
    (SmscError, _smsc),
    (QueryError, _detail(N_("Check the inputs: {detail}"), None)),
    (TransportError, _detail(N_("Network problem: {detail}"), N_("network problem: {detail}"))),
    (
        ResponseFormatError,
        _detail(
            N_("The server sent an answer that could not be read: {detail}"),
            N_("the server sent an answer that could not be read: {detail}"),
        ),
    ),
    (StorageError, _detail(None, N_("the cache cannot be used: {detail}"))),
)


def _words(exc: BaseException, surface: str) -> str | None:
    for cls, words in ERROR_WORDS:
        if isinstance(exc, cls):
            said = words(exc, surface)
            if said is not None:
                return said
            break
    return None


def friendly_error(exc: BaseException) -> str:
    """One line a person can act on, for any error a fetch can raise (each fact said once), in the
    current language (the page's words of :data:`ERROR_WORDS`)."""
    said = _words(exc, "page")
    if said is not None:
        return said
    if isinstance(exc, SmsStatsError):
        return localized(exc)
    return _("Unexpected {kind}: {detail}").format(kind=type(exc).__name__, detail=exc)


def error_sentence(exc: BaseException) -> str:
    """An error's message for a terminal, in the current language: the English text as it is,
    or in another language the terminal's words of :data:`ERROR_WORDS`, the server's own kept."""
    if current() == "en":
        return str(exc)
    said = _words(exc, "terminal")
    return said if said is not None else localized(exc)
