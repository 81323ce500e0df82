"""The Russian interface's foundation: the catalogue, plural forms, and money, numbers and dates by
locale (issue: speak the users' language)."""

from __future__ import annotations

import datetime as dt
import gettext
from pathlib import Path

import pytest

from smsstats_nb.analysis._summary import Summary, format_money
from smsstats_nb.core import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "smsstats_nb" / "locale" / "ru" / "LC_MESSAGES" / "smsstats_nb.po"


@pytest.mark.parametrize(
    ("n", "messages", "rows"),
    [
        (1, "1 сообщение", "1 строка"),
        (2, "2 сообщения", "2 строки"),
        (5, "5 сообщений", "5 строк"),
        (11, "11 сообщений", "11 строк"),
        (21, "21 сообщение", "21 строка"),
        (22, "22 сообщения", "22 строки"),
        (25, "25 сообщений", "25 строк"),
    ],
)
def test_russian_plural_forms(n: int, messages: str, rows: str) -> None:
    with i18n.using("ru"):
        assert i18n.ngettext("{n} message", "{n} messages", n).format(n=n) == messages
        assert i18n.ngettext("{n} row", "{n} rows", n).format(n=n) == rows
    with i18n.using("en"):
        assert i18n.ngettext("{n} row", "{n} rows", n).format(n=n) == (f"{n} row" if n == 1 else f"{n} rows")


def test_money_numbers_and_dates_as_each_locale_writes_them() -> None:
    with i18n.using("ru"):
        assert i18n.format_money(38206.98, "RUR") == "38\xa0206,98\xa0₽"  # the wire's RUR is the rouble
        assert i18n.format_number(18643) == "18\xa0643"
        assert i18n.format_date(dt.date(2024, 2, 1)) == "1 февраля 2024\u202fг."  # a narrow no-break space
        assert format_money(38206.98, "RUR") == "38\xa0206,98\xa0₽"
    with i18n.using("en"):
        assert i18n.format_money(38206.98, "RUR") == "RUB 38,206.98"
        assert i18n.format_date(dt.date(2024, 2, 1)) == "February 1, 2024"
        assert format_money(38206.98, "RUR") == "RUB 38,206.98"  # the wire's RUR as ISO writes it
        assert i18n.format_pct(3.14) == "+3.1%" and i18n.currency_name("RUR") == "RUB"
    with i18n.using("ru"):
        assert i18n.format_pct(3.14) == "+3,1\xa0%" and i18n.currency_name("RUR") == "₽"
        assert i18n.format_span("2024-02-01", "2024-02-29") == "01.02.2024 – 29.02.2024"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),  # no catalogue: English
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru"),
        ({"LC_MESSAGES": "ru_RU", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LC_ALL": "ru_RU.UTF-8", "SMSSTATS_LANG": "en"}, "en"),
        ({"LANG": "en_US.UTF-8", "SMSSTATS_LANG": "ru"}, "ru"),
    ],
)
def test_the_language_is_chosen_the_usual_way(environ: dict[str, str], expected: str) -> None:
    assert i18n.resolve(None, environ) == expected


def test_the_summary_in_both_languages() -> None:
    summary = Summary(18643, {"RUR": 38206.98}, {"RUR": 35961.0}, {"RUR": 2.05}, 4)
    with i18n.using("en"):
        assert summary.lines() == [
            "18,643 messages from 4 logins",
            "RUB 38,206.98 spent, RUB 2.05 per message; RUB 35,961.00 paid in",
        ]
    with i18n.using("ru"):
        assert summary.lines() == [
            "18\xa0643 сообщения от 4 логинов",
            "потрачено 38\xa0206,98\xa0₽, 2,05\xa0₽ за сообщение; пополнено на 35\xa0961,00\xa0₽",
        ]


def test_the_catalogue_translates_every_message_the_code_marks() -> None:
    """A message marked in the code (``_``, ``ngettext``, ``N_``) without a Russian translation
    fails here; so does a compiled catalogue older than its ``.po``."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    marked = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT / "smsstats_nb"),
        method_map=[("**.py", "python")],
        keywords={
            "_": None,
            "gettext_": None,
            "N_": None,
            "ngettext": (1, 2),
            "pgettext_": ((1, "c"), 2),
            "said": (2,),
        },
    ):
        marked.add(message if isinstance(message, str) else message[0])  # pgettext_'s context comes apart
    with PO.open("rb") as f:
        catalogue = read_po(f)
    translated = {}
    for m in catalogue:
        if m.id:
            key = m.id if isinstance(m.id, str) else m.id[0]
            forms = [m.string] if isinstance(m.string, str) else list(m.string)
            translated[key] = all(forms) and len(forms) in (1, 3)
    # every message given to said() is seen by the extractor (a message in parentheses is not)
    import ast

    for path in (ROOT / "smsstats_nb").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "said" and len(node.args) > 1:
                text = node.args[1]
                if isinstance(text, ast.Constant) and isinstance(text.value, str):
                    assert text.value in marked, f"{path.name}:{node.lineno}: a message the catalogue never sees"
    assert marked - set(translated) == set(), "run `make i18n` and translate the new messages"
    assert [k for k in marked if not translated[k]] == []
    with PO.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for m in catalogue:
        if m.id and isinstance(m.id, str) and not m.context:
            assert compiled.gettext(m.id) == m.string, f"{m.id!r}: the .mo is older than the .po (make i18n)"


def test_every_translation_keeps_its_placeholders_and_has_three_plural_forms() -> None:
    """A Russian message that drops, renames or adds a ``{placeholder}`` would raise or say a
    wrong figure at run time; a plural message has the three Russian forms (1, 2-4, 5-20), each
    with the placeholders of its English form."""
    import string

    from babel.messages.pofile import read_po

    def names(text: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}

    with PO.open("rb") as f:
        catalogue = read_po(f)
    wrong = []
    for m in catalogue:
        if not m.id:
            continue
        if isinstance(m.id, str):
            if names(m.id) != names(str(m.string)):
                wrong.append((m.id, m.string))
            continue
        forms = list(m.string)
        if len(forms) != 3:
            wrong.append((m.id[0], f"{len(forms)} forms"))
        plural = names(m.id[1])
        for form in forms:
            if names(form) != plural:
                wrong.append((m.id[1], form))
    assert wrong == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("lang=ru", "ru"), ("x=1&lang=ru_RU", "ru"), ("lang=en", "en"), ("lang=de", "en"), ("", None), ("x=1", None)],
)
def test_a_voila_pages_address_chooses_its_language(query: str, expected: str | None) -> None:
    from smsstats_nb.dashboard import page_lang

    assert page_lang(query) == expected
