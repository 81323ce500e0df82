"""The language a person reads: gettext catalogues (Babel's tools), and numbers, money and dates as
each locale writes them (Babel's formatters).

The language is chosen the usual way: ``SMSSTATS_LANG``, else the locale (``LC_ALL``,
``LC_MESSAGES``, ``LANG``), else English; a language without a catalogue is English. Callers that
take ``lang=`` (the dashboard, the plots, the CLI's ``--lang``) override it for what they show.

The catalogue is ``smsstats_nb/locale/ru/LC_MESSAGES/smsstats_nb.po`` (compiled to ``.mo``):
``make i18n`` extracts the messages (``pybabel extract``), updates the catalogue and compiles it.
The wire keeps ``RUR``; a person sees the rouble as the locale writes it (``38 206,98 ₽`` in
Russian, ``RUB 38,206.98`` in English).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import gettext
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "N_",
    "current",
    "format_date",
    "format_money",
    "format_number",
    "gettext_",
    "language",
    "ngettext",
    "resolve",
    "using",
]

#: The languages with a catalogue (English is the source language).
LANGUAGES = ("en", "ru")
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "smsstats_nb"
#: The wire's currency codes as ISO 4217 (SMSC writes the rouble as RUR).
ISO = {"RUR": "RUB"}
#: Babel's locale per language.
BABEL = {"en": "en_US", "ru": "ru_RU"}

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("smsstats_lang", default=None)


def resolve(value: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language code for ``value`` (``"ru"``, ``"ru_RU.UTF-8"``, ``"en"``…), or from the
    environment when None; English when nothing says otherwise or the language has no catalogue."""
    if value is None:
        from .settings import Environment

        env = Environment.read(environ)
        for candidate in (env.lang, env.lc_all, env.lc_messages, env.lang_locale):
            if candidate:
                value = candidate
                break
    code = (value or "en").split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def current() -> str:
    """The language in force: the one :func:`using` set, else the environment's."""
    return _current.get() or resolve()


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Within the block, messages and formats are in ``lang`` (None: the environment's)."""
    code = resolve(lang) if lang is not None else resolve()
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def language(lang: str | None) -> str:
    """``lang`` checked and resolved (a ``lang=`` argument), or the current language for None."""
    return resolve(lang) if lang is not None else current()


@lru_cache(maxsize=8)
def _catalogue(code: str) -> gettext.NullTranslations:
    if code == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[code], fallback=True)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for the catalogue, translate later"
    """Mark ``message`` for the catalogue without translating it now (a table of words)."""
    return message


#: The period words of the CLI's headings, for the catalogue (``FREQS`` holds them in English).
PERIOD_WORDS = (N_("day"), N_("week"), N_("month"), N_("quarter"), N_("year"))


def gettext_(message: str) -> str:
    """``message`` in the current language."""
    return _catalogue(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for ``n`` in the current language (Russian has three)."""
    return _catalogue(current()).ngettext(singular, plural, n)


def format_number(value: float, decimals: int = 0) -> str:
    """``18,643`` in English, ``18 643`` in Russian."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern, locale=BABEL[current()]))


def format_money(value: float, currency: str) -> str:
    """``RUB 38,206.98`` in English, ``38 206,98 ₽`` in Russian (the wire's RUR is the rouble)."""
    from babel.numbers import format_currency, format_decimal

    code = ISO.get(currency, currency)
    if current() == "en":
        return f"{code} {format_decimal(value, format='#,##0.00', locale='en_US')}"
    return str(format_currency(value, code, locale=BABEL[current()]))


def format_date(day: dt.date, form: str = "long") -> str:
    """``1 февраля 2024 г.`` in Russian, ``February 1, 2024`` in English (``form``: Babel's
    ``short``, ``medium``, ``long`` or ``full``)."""
    from babel.dates import format_date as babel_date

    return str(babel_date(day, format=form, locale=BABEL[current()]))
