"""``smsstats report`` in-process on a warm cache: once per period, nothing fetched once it is sent,
a dry run that writes what would go, and several accounts in one report."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from smsstats_nb.cli._main import main
from smsstats_nb.demo import DemoServer, WebhookReceiver

from .test_main import _no_quota_minute

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]

TOKEN_PATH = "/hooks/T0/secret-token-in-the-path"


@pytest.fixture
def warm(warm: DemoServer, monkeypatch: pytest.MonkeyPatch) -> DemoServer:
    """The CLI's warm demo environment (``tests/cli/conftest.py``), its quota as wide as the warm
    server's: a report reads weeks of days."""
    _no_quota_minute(monkeypatch)
    return warm


def _monday(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """The CLI's "today" in Moscow (a frozen calendar, not a sleep)."""
    monkeypatch.setattr("smsstats_nb.reports._build.moscow_today", lambda: day)


def test_an_hourly_cron_sends_last_weeks_report_once_and_spends_nothing_after(
    warm: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _monday(monkeypatch, dt.date(2024, 6, 24))  # last week: 17-23 June
    with WebhookReceiver() as hook:
        args = ["report", "--period", "last-week", "--webhook", hook.url + TOKEN_PATH, "--yes"]
        assert main(args) == 0
        first = capsys.readouterr()
        assert "report sent →" in first.out and len(hook.received) == 1
        body = hook.received[0]["json"]
        assert (body["start"], body["end"], body["period"]) == ("2024-06-17", "2024-06-23", "last-week")
        asked = warm.stat_requests
        monkeypatch.delenv("SMSC_PASSWORD")  # the later runs ask for no password either
        for hour in range(3):  # the next hours' runs, and Tuesday's
            if hour == 2:
                _monday(monkeypatch, dt.date(2024, 6, 25))
            assert main(args) == 0
            assert "already sent to every channel; nothing to do" in capsys.readouterr().out
        assert len(hook.received) == 1 and warm.stat_requests == asked
        for text in (first.out, first.err):
            assert "secret-token-in-the-path" not in text and warm.psw not in text


def test_a_failed_delivery_exits_9_and_the_next_run_sends_it(
    warm: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("smsstats_nb.alerts._channels.time.sleep", lambda s: None)
    with WebhookReceiver() as hook:
        args = ["report", "--start", "2024-06-01", "--end", "2024-06-30", "--webhook", hook.url, "--yes"]
        hook.fail_next(3)
        assert main(args) == 9
        assert "report not delivered" in capsys.readouterr().err and hook.received == []
        assert main(args) == 0 and len(hook.received) == 1


def test_without_yes_and_a_terminal_it_says_the_cost_and_fetches_nothing(
    warm: DemoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = warm.stat_requests
    with WebhookReceiver() as hook:
        assert main(["report", "--start", "2024-06-01", "--end", "2024-06-30", "--webhook", hook.url]) == 2
        err = capsys.readouterr().err
        assert "first fetches what is not cached: 2 requests" in err and "--yes" in err
        assert warm.stat_requests == asked and hook.received == []


def test_a_dry_run_writes_the_email_chart_and_workbook_and_sends_nothing(
    warm: DemoServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "preview"
    with WebhookReceiver() as hook:
        args = ["--lang", "ru", "report", "--start", "2024-04-01", "--end", "2024-06-30", "--webhook", hook.url]
        assert main([*args, "--dry-run", "--out", str(out), "--yes", "--email", "boss@example.com",
                     "--smtp", "smtp://127.0.0.1:9"]) == 0  # fmt: skip
        said = capsys.readouterr().out
        assert "ничего не отправлено" in said and "отчёт был бы отправлен" in said and hook.received == []
        mail = message_from_bytes((out / "report.eml").read_bytes(), policy=policy.strict)
        assert mail["To"] == "boss@example.com" and str(mail["Subject"]).startswith("[smsstats] Отчёт по SMS")
        assert {p.suffix for p in out.iterdir()} == {".eml", ".png", ".xlsx", ".txt", ".json"}
        assert json.loads((out / "report.json").read_text(encoding="utf-8"))["compared"]["basis"] == "QS"
        assert main([*args, "--yes"]) == 0 and len(hook.received) == 1  # a dry run marked nothing


def test_options_are_checked_before_the_password_or_a_request(
    warm: DemoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = warm.stat_requests
    assert main(["report", "--period", "last-week"]) == 2
    assert "no channel to send to" in capsys.readouterr().err
    assert main(["report", "--webhook", "http://127.0.0.1:9/"]) == 2
    assert "needs --period" in capsys.readouterr().err
    assert main(["report", "--period", "last-week", "--start", "2024-01-01", "--webhook", "http://127.0.0.1:9/"]) == 2
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse's own refusal
        main(["report", "--period", "fortnight", "--webhook", "http://127.0.0.1:9/"])
    assert warm.stat_requests == asked


def test_all_accounts_give_one_report_with_a_section_each(
    keyring_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from smsstats_nb.client import StatsClient

    from .test_accounts import _add

    real = StatsClient.from_account.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        StatsClient,
        "from_account",
        classmethod(lambda cls, acc, **kw: real(cls, acc, **{**kw, "rate_limit": (1000, 1.0), "backoff": 0.0})),
    )
    monkeypatch.setenv("SMSSTATS_CACHE_DIR", str(tmp_path / "cache"))
    with DemoServer(window=1.0, limit=1000, accounts={"news": "news-password"}) as srv, WebhookReceiver() as hook:
        _add(monkeypatch, "shop", srv.login, srv.psw, srv.url)
        _add(monkeypatch, "news", "news", "news-password", srv.url)
        capsys.readouterr()
        args = ["report", "--all-accounts", "--start", "2024-06-17", "--end", "2024-06-23", "--webhook", hook.url]
        assert main([*args, "--yes"]) == 0
        (got,) = hook.received
        body = got["json"]
        assert [a["account"] for a in body["accounts"]] == ["shop", "news"]
        total = body["totals"][0]
        assert total["credit"] == pytest.approx(sum(a["kpis"][0]["credit"] for a in body["accounts"]))
        assert "== shop ==" in body["text"] and "news-password" not in json.dumps(body)
