"""The Russian interface end to end: every surface a person reads (the dashboard after a fetch, the
plots, the CLI's help, output and errors, the alerts) carries no English word that skipped the
catalogue, and the English interface stays English.

The scan is the guard against a new unmarked string: a sentence added in English without ``_()``
shows up here as an English word in the Russian page, help or alert, and fails the test. Wire
names, acronyms, file names, options and the demo's logins are data, not words, and are allowed.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets as w
import pytest

from smsstats_nb.cli._main import main
from smsstats_nb.client._client import StatsClient
from smsstats_nb.core import i18n
from smsstats_nb.dashboard import StatsDashboard
from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback

#: Data, not words: the wire's names and flags, the demo's logins, product names, subcommands.
ALLOWED = {
    "sms", "credit", "debit", "mycur", "balance", "demo", "shop", "support", "smsstats", "fmt", "freq",
    "Excel", "Telegram", "webhook", "cron", "smtp", "smtps", "starttls", "host", "redis", "pickle",
    "Ctrl", "errorN", "add", "list", "remove", "run", "status", "check", "info", "clear", "fetch",
    "sync", "alerts", "accounts", "cache", "serve", "lang", "since", "until", "share", "https", "smsc",
    "smscentre", "com", "yyyy", "StatsDashboard", "usd", "off", "reset", "slow", "truncate", "html", "plain", "stderr",
    "mute", "none", "test", "report", "dashboard", "last", "week", "month", "quarter", "token",
}  # fmt: skip


def english_words(text: str) -> list[str]:
    """The English words of ``text`` a person would read (tags, URLs, options, file names,
    acronyms and :data:`ALLOWED` data removed)."""
    text = re.sub(r"<style>.*?</style>|<code>.*?</code>", " ", text, flags=re.DOTALL)  # a command is not prose
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"https?://\S+|redis://\S*|--?[\w-]+|\$\w+|\S*\.(?:csv|png|xlsx|json|parquet|toml|php)\b", " ", text)
    text = re.sub(r"smsstats_[\w.]+|[\w.-]+_(?:[\w.-]+)", " ", text)  # file stems and logins with underscores
    words = set(re.findall(r"(?<![\w])[A-Za-z]{3,}(?![\w])", text))  # words, not hex keys or logins
    return sorted(x for x in words if x not in ALLOWED and not x.isupper())


def widget_texts(widget: Any) -> Iterator[str]:
    """Every text of a widget tree a person sees: labels, options, values of HTML and labels,
    titles, placeholders, tooltips and the HTML the outputs show."""
    if isinstance(widget, w.Output):
        for out in widget.outputs:
            data = out.get("data", {})
            yield str(data.get("text/html", ""))
        return
    for name in ("description", "placeholder", "tooltip"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            yield value
    if isinstance(widget, (w.HTML, w.Label)):
        yield widget.value
    if isinstance(widget, (w.Dropdown,)):
        yield from (str(label) for label in widget._options_labels)
    if isinstance(widget, w.Accordion):
        yield from (str(widget.get_title(i)) for i in range(len(widget.children)))
    for child in getattr(widget, "children", ()):
        yield from widget_texts(child)


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer(window=1.0, limit=1000) as srv:
        yield srv


@pytest.fixture(scope="module")
def answered(server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding the answers these tests read (asked once per module)."""
    template = tmp_path_factory.mktemp("ru") / "cache"
    with StatsClient(server.login, server.psw, base_url=server.url, cache=template, rate_limit=(1000, 1.0)) as c:
        c.fetch_series("2024-01-01", "2024-02-29", "D", progress=False)
        c.fetch_series("2024-01-01", "2024-03-31", "W", progress=False)
        c.fetch("2024-01-01", "2024-03-31")
    return template


@pytest.fixture
def cache(answered: Path, tmp_path: Path) -> Path:
    """A copy of :func:`answered` of this test's own (a test's fetches never reach another's)."""
    import shutil

    return Path(shutil.copytree(answered, tmp_path / "c"))


def _dash(server: DemoServer, cache: Path, lang: str) -> StatsDashboard:
    client = StatsClient(server.login, server.psw, base_url=server.url, cache=cache, rate_limit=(1000, 1.0))
    dash = StatsDashboard(client, lang=lang, today=dt.date(2024, 3, 5))
    dash.granularity_dropdown.value = "daily"
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 2, 29)
    dash.fetch_button.click()
    assert dash.wait(60) and dash.error is None
    return dash


@pytest.mark.realtime
def test_the_dashboard_in_russian_has_no_english_word_after_a_fetch(server: DemoServer, cache: Path) -> None:
    dash = _dash(server, cache, "ru")
    texts = list(widget_texts(dash.widget))
    page = "\n".join(texts)
    assert english_words(page) == []
    assert "Загрузить" in page and "сообщения" in page and "₽" in page  # the rouble as Russian writes it
    assert re.search(r"\d{1,3}(?:\xa0\d{3})+,\d\d", page)  # 12 345,67: no-break space and a decimal comma
    assert re.search(r"\d+ строк\w* за 01\.01\.2024 – 29\.02\.2024", dash.status.value)
    assert "Инциденты" in dash.flags_html.value
    dash.client.close()  # type: ignore[union-attr]


@pytest.mark.realtime
def test_the_same_dashboard_in_english_has_no_russian_word(server: DemoServer, cache: Path) -> None:
    dash = _dash(server, cache, "en")
    page = "\n".join(widget_texts(dash.widget))
    page = page.replace("демо_маркет", "")  # a login of the demo's, in Cyrillic: data
    assert not re.search(r"[а-яё]", page, re.IGNORECASE)
    assert "rows for 2024-01-01 – 2024-02-29" in dash.status.value and "RUB" in dash.summary_html.value
    dash.client.close()  # type: ignore[union-attr]


def _plot_texts(fig: Any) -> str:
    ax = fig.axes[0]
    parts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    fig.canvas.draw()
    parts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    legend = ax.get_legend()
    if legend is not None:
        parts += [t.get_text() for t in legend.get_texts()]
    parts += [t.get_text() for t in ax.texts]
    return "\n".join(parts)


@pytest.mark.realtime
def test_plots_in_russian_month_names_separators_and_words(server: DemoServer, cache: Path) -> None:
    from matplotlib.figure import Figure

    from smsstats_nb.output._plotting import plot_series, plot_totals

    client = StatsClient(server.login, server.psw, base_url=server.url, cache=cache, rate_limit=(1000, 1.0))
    with client:
        weeks = client.fetch_series("2024-01-01", "2024-03-31", "W", progress=False)
        total = client.fetch("2024-01-01", "2024-03-31")
    fig = Figure()
    plot_series(weeks, "credit", ax=fig.add_subplot(), lang="ru")
    text = _plot_texts(fig)
    assert english_words(text) == []
    assert "янв. 2024" in text and "февр. 2024" in text  # Russian month names on the date axis
    assert "потрачено на сообщения, ₽ по неделям 01.01.2024 – 31.03.2024" in text
    assert re.search(r"\d\xa0\d{3}", text)  # 5 000: thousands with a no-break space
    fig = Figure()
    plot_totals(total, "sms", ax=fig.add_subplot(), lang="ru")
    text = _plot_texts(fig)
    assert english_words(text) == [] and "по логинам" in text and "логин" in text
    fig = Figure()
    plot_series(weeks, "credit", ax=fig.add_subplot(), lang="en")
    text = _plot_texts(fig)
    assert "Jan 2024" in text and "per week" in text and not re.search(r"[а-яё]", text.replace("демо_маркет", ""))


@pytest.mark.parametrize(
    "command",
    [[], ["fetch"], ["sync"], ["alerts"], ["report"], ["dashboard"], ["demo"], ["serve-demo"], ["accounts"], ["cache"]],
    ids=lambda c: " ".join(c) or "smsstats",
)
def test_every_help_page_in_russian(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["--lang", "ru", *command, "--help"])
    assert ended.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith("использование: ") and "показать эту справку и выйти" in shown
    assert english_words(shown) == [], shown


@pytest.mark.parametrize(
    ("environ", "russian"),
    [({"LANG": "ru_RU.UTF-8"}, True), ({"LANG": "C"}, False), ({"LANG": "ru_RU.UTF-8", "SMSSTATS_LANG": "en"}, False)],
)
def test_help_and_argparse_errors_follow_the_locale(
    environ: dict[str, str], russian: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SMSSTATS_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as ended:
        main(["alerts"])  # check or mute is required
    assert ended.value.code == 2
    said = capsys.readouterr().err
    if russian:
        assert "использование: smsstats alerts" in said and "ошибка: нужны аргументы: action" in said
    else:
        assert "usage: smsstats alerts" in said and "error: the following arguments are required: action" in said


@pytest.mark.realtime
def test_the_cli_in_russian_output_errors_and_files(
    server: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMSC_LOGIN", server.login)
    monkeypatch.setenv("SMSC_PASSWORD", server.psw)
    monkeypatch.setenv("SMSC_BASE_URL", server.url)
    monkeypatch.setenv("SMSSTATS_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("SMSSTATS_LANG", "ru")
    assert main(["fetch", "--start", "2024-01-01", "--end", "2024-01-31"]) == 0
    shown = capsys.readouterr().out
    assert english_words(shown) == [] and "логин" in shown and "9\xa0216" in shown  # headers and numbers
    # a bad input: the Russian sentence, the exit code of its family, nothing sent
    asked = server.stat_requests
    assert main(["fetch", "--start", "2024-02-10", "--end", "2024-02-01"]) == 2
    error = capsys.readouterr().err
    assert "начало 10.02.2024 позже конца 01.02.2024" in error and server.stat_requests == asked
    assert main(["fetch", "--start", "31.02.2024"]) == 2
    assert "несуществующая дата" in capsys.readouterr().err
    xlsx = tmp_path / "stats.xlsx"
    assert main(["fetch", "--start", "2024-01-01", "--end", "2024-01-31", "--output", str(xlsx)]) == 0
    from openpyxl import load_workbook

    from smsstats_nb.output._exports import read_export

    sheet = load_workbook(xlsx)["stats"]
    assert sheet["A1"].value == "Статистика SMS, 01.01.2024 – 31.01.2024"  # the title row, dates as Russian writes them
    headers = [c.value for c in sheet[3]]
    assert headers[:3] == ["логин", "сообщения", "потрачено на сообщения (₽)"]
    assert sheet.cell(row=8, column=1).value == "Итого"  # four logins, then the totals
    assert list(read_export(xlsx).columns[:5]) == ["login", "sms", "credit", "debit", "currency"]  # read back


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "1 запрос"), (2, "2 запроса"), (3, "3 запроса"), (5, "5 запросов"), (11, "11 запросов"), (21, "21 запрос"),
     (22, "22 запроса"), (25, "25 запросов")],
)  # fmt: skip
def test_requests_in_russian_plural_forms(n: int, words: str) -> None:
    from smsstats_nb.core.i18n import requests_words

    with i18n.using("ru"):
        assert requests_words(n) == words
    with i18n.using("en"):
        assert requests_words(n) == (f"{n} request" if n == 1 else f"{n} requests")


def test_library_errors_reach_a_russian_person_in_russian(tmp_path: Path) -> None:
    """The errors a person meets (bad dates, a bad accounts or rules file, a bad option) carry a
    catalogue form: the CLI and the dashboard say them in Russian; the exception stays English."""
    from smsstats_nb.alerts._rules import load_rules
    from smsstats_nb.client._accounts import load_accounts
    from smsstats_nb.core._errors import QueryError
    from smsstats_nb.core._query import make_query
    from smsstats_nb.output import friendly_error

    bad_accounts = tmp_path / "accounts.toml"
    bad_accounts.write_text('[shop]\nlogin = "x"\nsecret = "vault"\n', encoding="utf-8")
    bad_rules = tmp_path / "rules.toml"
    bad_rules.write_text('metric = "debit"\n', encoding="utf-8")
    for attempt, russian in (
        (lambda: make_query("2024-02-10", "2024-02-01"), "начало 10.02.2024 позже конца 01.02.2024"),
        (lambda: load_accounts(bad_accounts), "secret в [shop] должен быть 'keyring' или 'env'"),
        (lambda: load_rules(bad_rules), "metric должен быть 'credit' или 'sms', а не 'debit'"),
    ):
        with pytest.raises(QueryError) as caught:
            attempt()
        assert not re.search(r"[а-яё]", str(caught.value))  # the library's message stays English
        with i18n.using("ru"):
            assert russian in friendly_error(caught.value)
            assert friendly_error(caught.value).startswith("Проверьте ввод: ")
