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
    "currency_name",
    "current",
    "format_date",
    "format_day",
    "format_money",
    "format_number",
    "format_pct",
    "format_span",
    "gettext_",
    "language",
    "localized",
    "ngettext",
    "resolve",
    "set_language",
    "speaking",
    "using",
]

#: The languages with a catalogue (English is the source language).
LANGUAGES = ("en", "ru")
LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "smsstats_nb"
#: The wire's currency codes as ISO 4217 (SMSC writes the rouble as RUR).
ISO = {"RUR": "RUB"}
#: Babel's locale per language.
BABEL = {"en": "en_US", "ru": "ru_RU"}

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("smsstats_lang", default=None)
#: The language :func:`set_language` chose for this process (a notebook's kernel), else None.
_chosen: list[str] = []


def resolve(value: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language code for ``value`` (``"ru"``, ``"ru_RU.UTF-8"``, ``"en"``…), or from the
    environment when None; English when nothing says otherwise or the language has no catalogue."""
    if value is None:
        from ._settings import Environment

        env = Environment.read(environ)
        for candidate in (env.lang, env.lc_all, env.lc_messages, env.lang_locale):
            if candidate:
                value = candidate
                break
    code = (value or "en").split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def current() -> str:
    """The language in force: the one :func:`using` set, else the environment's."""
    return _current.get() or (_chosen[-1] if _chosen else None) or resolve()


def set_language(lang: str | None) -> str:
    """The language of everything this process shows from now on (a notebook's first cell:
    ``i18n.set_language("ru")``); None goes back to the environment's. Returns the code in force."""
    _chosen.clear()
    if lang is not None:
        _chosen.append(resolve(lang))
    return current()


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Within the block, messages and formats are in ``lang`` (None: the environment's)."""
    code = resolve(lang) if lang is not None else resolve()
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def format_span(start: object, end: object) -> str:
    """A date range for a person: ``2024-01-01 – 2024-01-31`` in English (as the frames write it),
    ``01.01.2024 – 31.01.2024`` in Russian."""
    return f"{format_day(start)} – {format_day(end)}"


def format_day(value: object) -> str:
    """A day for a person: ``2024-01-31`` in English (as the frames write it), ``31.01.2024`` in Russian."""
    if current() == "en" or value is None:
        return str(value)
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day:%d.%m.%Y}"


def speaking(lang: str | None) -> contextlib.AbstractContextManager[str]:
    """Within the block, ``lang`` (a ``lang=`` argument); None keeps the language in force."""
    return using(language(lang))


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


def pgettext_(context: str, message: str) -> str:
    """``message`` in the current language, in a ``context`` (the same English word can need two
    Russian ones: "sent" of a delivery is «отправлено», of a login «отправил»)."""
    return _catalogue(current()).pgettext(context, message)


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
        return f"{code} {format_decimal(value, format='#,##0.00', locale='en_US')}".strip()
    if not code:
        return str(format_decimal(value, format="#,##0.00", locale=BABEL[current()]))
    return str(format_currency(value, code, locale=BABEL[current()]))


def format_pct(value: float) -> str:
    """A signed change in percent: ``+3.1%`` in English, ``+3,1 %`` in Russian."""
    text = f"{value:+.1f}"
    return f"{text}%" if current() == "en" else text.replace(".", ",") + "\u00a0%"


def currency_name(currency: str) -> str:
    """The currency as a person of the current language writes it (``RUB``, ``₽``); the wire's
    ``RUR`` stays in the frames."""
    from babel.numbers import get_currency_symbol

    code = ISO.get(currency, currency)
    if current() == "en" or not code:
        return code
    return str(get_currency_symbol(code, locale=BABEL[current()]))


#: The names of inputs an error message may name (``start``, ``end``…), said in the person's language.
NAMES = frozenset((N_("start"), N_("end"), N_("date"), N_("since"), N_("until"), N_("mycur"), N_("balance2")))


def localized(exc: BaseException) -> str:
    """An error's message in the current language when it was raised with a catalogue form
    (:func:`smsstats_nb.core.said`), else its English text."""
    template = getattr(exc, "template", None)
    if template is None:
        return str(exc)
    values = {k: gettext_(v) if isinstance(v, str) and v in NAMES else v for k, v in getattr(exc, "values", {}).items()}
    try:
        return gettext_(template).format(**values)
    except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder: the original
        return str(exc)


def format_date(day: dt.date, form: str = "long") -> str:
    """``1 февраля 2024 г.`` in Russian, ``February 1, 2024`` in English (``form``: Babel's
    ``short``, ``medium``, ``long`` or ``full``)."""
    from babel.dates import format_date as babel_date

    return str(babel_date(day, format=form, locale=BABEL[current()]))


#: argparse's own words (usage, the group titles, its errors), for the catalogue: the CLI shows
#: them through :func:`argparse_words` in the current language.
ARGPARSE = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("the following arguments are required: %s"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("not allowed with argument %s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("%(prog)s: error: %(message)s\n"),
)


@contextlib.contextmanager
def argparse_words() -> Iterator[None]:
    """Within the block, argparse says its own words (``usage:``, ``options``, its errors) in the
    current language: argparse looks its ``_`` up when it speaks, so the catalogue stands in."""
    import argparse

    saved = argparse._  # type: ignore[attr-defined]
    argparse._ = gettext_  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = saved  # type: ignore[attr-defined]


def format_duration(seconds: float) -> str:
    """``"no wait"``, ``"42 s"``, ``"3 min 05 s"`` or ``"2 h 01 min"``."""
    if seconds < 1:
        return gettext_("no wait")
    minutes, sec = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext_("{hours} h {minutes:02d} min").format(hours=hours, minutes=minutes)
    if minutes:
        return gettext_("{minutes} min {seconds:02d} s").format(minutes=minutes, seconds=sec)
    return gettext_("{seconds} s").format(seconds=sec)


def requests_words(n: int) -> str:
    """``"1 request"``, ``"3 requests"``; ``"1 запрос"``, ``"3 запроса"``, ``"11 запросов"``."""
    return ngettext("{n} request", "{n} requests", n).format(n=n)


def periods_words(n: int) -> str:
    """``"1 period"``, ``"13 periods"`` (and the Russian forms)."""
    return ngettext("{n} periods", "{n} periods", n).format(n=n)
