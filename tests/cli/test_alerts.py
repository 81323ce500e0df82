"""``smsstats alerts check`` and ``sync`` with alert options, in-process, on a warm cache."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from smsstats_nb.cli._main import main
from smsstats_nb.demo import DemoServer, WebhookReceiver

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]  # the CLI builds its clients on the real clock

SINCE, AS_OF = "2024-04-01", "2024-06-30"
TOKEN_PATH = "/hooks/T0/secret-token-in-the-path"


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def test_dry_run_then_a_real_run_then_nothing_twice(
    warm: DemoServer, hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = warm.stat_requests
    args = ["alerts", "check", "--since", SINCE, "--end", AS_OF, "--webhook", hook.url + TOKEN_PATH]
    assert main([*args, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert dry.count("would send") == 3 and "Silent: demo_support" in dry and hook.received == []
    assert "3 alerts would be sent in 1 message" in dry
    assert main(args) == 0
    sent = capsys.readouterr().out
    assert sent.count("sent ") >= 3 and "3 alerts sent in 1 message" in sent and len(hook.received) == 1
    assert main(args) == 0
    again = capsys.readouterr().out
    assert "0 alerts sent" in again and "3 already sent before" in again and len(hook.received) == 1
    for text in (dry, sent, again):
        assert "secret-token-in-the-path" not in text and warm.psw not in text
    assert warm.stat_requests == asked  # everything came from the cache


def test_a_failed_delivery_exits_9_and_names_no_secret(
    warm: DemoServer, hook: WebhookReceiver, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("smsstats_nb.alerts._channels.time.sleep", lambda s: None)
    hook.fail_next(3)  # the digest's three attempts
    args = ["alerts", "check", "--since", SINCE, "--end", AS_OF, "--webhook", hook.url + TOKEN_PATH]
    assert main(args) == 9
    out = capsys.readouterr()
    assert out.err.count("failed") == 3 and "HTTP 503" in out.err and "sent again at the next check" in out.err
    assert "secret-token-in-the-path" not in out.out + out.err
    assert main(args) == 0 and len(hook.alerts()) == 3  # the next check delivers them


def test_options_are_checked_before_the_password_or_a_request(
    warm: DemoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = warm.stat_requests
    assert main(["alerts", "check", "--since", SINCE, "--end", AS_OF]) == 2
    assert "no channel to send to" in capsys.readouterr().err
    assert main(["alerts", "check", "--since", SINCE, "--email", "ops@example.com"]) == 2
    assert "needs --smtp" in capsys.readouterr().err
    assert main(["alerts", "check", "--since", SINCE, "--telegram-chat", "1"]) == 2
    assert "SMSSTATS_TELEGRAM_TOKEN" in capsys.readouterr().err
    assert main(["alerts", "check", "--since", SINCE, "--email", "ops", "--smtp", "smtp://h"]) == 2
    assert "--email, --smtp" in capsys.readouterr().err  # the terminal names its options
    assert main(["alerts", "check", "--since", "2024-07-01", "--end", AS_OF, "--dry-run"]) == 2
    assert "--since (2024-07-01) is after the last day judged" in capsys.readouterr().err
    assert warm.stat_requests == asked


def test_a_budget_from_the_command_line(
    warm: DemoServer, hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["alerts", "check", "--since", "2024-05-01", "--end", AS_OF, "--webhook", hook.url, "--budget-day", "3500"]
    assert main(args) == 0
    budgets = [a for a in hook.alerts() if a["kind"] == "budget"]
    assert [b["first_day"] for b in budgets] == ["2024-05-14"] and budgets[0]["login"] == "(all logins)"
    assert "over the daily limit of RUB 3,500.00" in hook.texts()[0]


def test_sync_sends_the_alerts_after_its_pass(
    warm: DemoServer, hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["sync", "--since", SINCE, "--end", AS_OF, "--once", "--webhook", hook.url]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "alerts: " in out and len(hook.received) == 1 and len(hook.alerts()) == 3
    assert main(args) == 0 and len(hook.received) == 1  # the next run repeats nothing


def test_alerts_in_russian_from_the_check_to_the_webhook(
    warm: DemoServer,
    hook: WebhookReceiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Russian-speaking team's alerts: the check's lines, a failed delivery, and the text the
    webhook receives are Russian (the payload's keys and kinds stay the machine's English)."""
    from ..e2e.test_russian_interface import english_words

    monkeypatch.setattr("smsstats_nb.alerts._channels.time.sleep", lambda s: None)
    monkeypatch.setenv("SMSSTATS_LANG", "ru")
    args = ["alerts", "check", "--since", SINCE, "--end", AS_OF, "--webhook", hook.url + TOKEN_PATH]
    assert main([*args, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "Тишина: demo_support" in dry and "было бы отправлено 3 оповещения в 1 сообщении" in dry
    assert english_words(dry.replace(hook.url.split("//")[1].split(":")[0], "")) == [], dry
    hook.fail_next(3)
    assert main(args) == 9
    failed = capsys.readouterr().err
    assert failed.count("ошибка") == 3 and "будет отправлено снова при следующей проверке" in failed
    assert main(args) == 0 and len(hook.received) == 1
    texts = hook.texts()[0].splitlines()
    assert any(t.startswith("Тишина: demo_support") for t in texts)
    assert {a["kind"] for a in hook.alerts()} <= {"spike", "drop", "silent"}  # machine keys unchanged
    assert all(english_words(t) == [] for t in texts), texts


def test_alerts_mute_holds_a_login_back_until_a_day_and_can_be_lifted(
    warm: DemoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alerts", "mute", "demo_support", "--until", "2099-12-31"]) == 0
    assert "demo_support: alerts held back through 2099-12-31" in capsys.readouterr().out
    dry = ["alerts", "check", "--since", SINCE, "--end", AS_OF, "--dry-run", "--webhook", "http://127.0.0.1:9/x"]
    assert main(dry) == 0
    out = capsys.readouterr().out
    assert out.count("would send") == 2 and "demo_support" not in out.split("\n")[-2] and "1 muted" in out
    assert main(["alerts", "mute", "demo_support", "--until", "2020-01-01"]) == 0  # a day past: lifted
    assert "the mute is lifted" in capsys.readouterr().out
    assert main(dry) == 0
    assert capsys.readouterr().out.count("would send") == 3
    assert main(["alerts", "mute", "--until", "2099-12-31"]) == 2  # a login or --all
    assert "needs a login or --all" in capsys.readouterr().err
    assert main(["alerts", "mute", "--all"]) == 2
    assert "--until" in capsys.readouterr().err
    assert main(["alerts", "check"]) == 2
    assert "needs --since" in capsys.readouterr().err


def test_alerts_test_sends_one_test_message_to_each_channel_and_nothing_to_smsc(
    warm: DemoServer, hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = warm.stat_requests
    with WebhookReceiver() as second:
        args = ["alerts", "test", "--webhook", hook.url, "--webhook", second.url]
        assert main(args) == 0
        assert len(hook.received) == 1 and len(second.received) == 1
    body = hook.received[0]["json"]
    assert body["event"] == "test" and body["alerts"] == [] and "test message" in body["text"]
    out = capsys.readouterr().out
    assert out.count("test message sent →") == 2 and warm.stat_requests == asked
    assert main(["alerts", "test"]) == 2
    assert "no channel" in capsys.readouterr().err


def test_alerts_check_says_how_far_it_is_on_a_terminal(
    warm: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The days a check reads, said on one terminal line as fetch says them (periods done, to go)."""
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    args = ["alerts", "check", "--since", SINCE, "--end", AS_OF, "--dry-run", "--webhook", "http://127.0.0.1:9/x"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert re.search(r"\r\d+/\d+ periods done, \d+ to go", err), err[-300:]
