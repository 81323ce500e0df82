"""Alerts to real receivers on loopback: a webhook that records POSTs, an SMTP server (aiosmtpd), a
stand-in for Telegram's Bot API; one message per incident and channel, nothing on a second run,
a failure sent again later, the resolution when traffic comes back, and no secret anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import StatsClient
from smsstats_nb.alerts import Budget, channels_from, check, load_rules
from smsstats_nb.alerts._channels import SIGNATURE_HEADER, EmailChannel, TelegramChannel, WebhookChannel
from smsstats_nb.core._errors import QueryError
from smsstats_nb.core._settings import Environment
from smsstats_nb.demo import DemoServer, WebhookReceiver

from ..conftest import free_port

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]
TOKEN = "123456:telegram-bot-token-SECRET"
HOOK_PATH = "/services/T0/B0/webhook-token-SECRET"


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def telegram() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


class Mailbox:
    """An aiosmtpd server on 127.0.0.1 that keeps every message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        box = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                from email import message_from_bytes, policy

                box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


def _channels(hook: WebhookReceiver, mailbox: Mailbox, telegram: WebhookReceiver) -> list[Any]:
    return [
        WebhookChannel(hook.url + HOOK_PATH, secret="hmac-secret", sleep=lambda s: None),
        EmailChannel(["ops@example.com"], mailbox.url, sender="alerts@example.com"),
        TelegramChannel("-1001", TOKEN, api_base=telegram.url, sleep=lambda s: None),
    ]


def test_one_message_per_incident_to_each_channel_and_nothing_twice(
    warm_client: Make, hook: WebhookReceiver, mailbox: Mailbox, telegram: WebhookReceiver
) -> None:
    client = warm_client()
    channels = _channels(hook, mailbox, telegram)
    report = check(client, "2024-04-01", channels=channels, end="2024-06-30")
    kinds = sorted(
        (r.login, r.kind, str(r.first_day), str(r.last_day), bool(r.ongoing)) for r in report.incidents.itertuples()
    )
    assert kinds == [
        ("demo_shop", "spike", "2024-05-14", "2024-05-14", False),
        ("demo_support", "silent", "2024-06-10", "2024-06-30", True),
        ("демо_маркет", "spike", "2024-06-04", "2024-06-04", False),
    ]
    assert len(report.sent) == 9 and not report.failed  # three incidents × three channels
    # one digest per channel: three alerts in one message each
    assert len(hook.received) == 1 and len(mailbox.messages) == 1 and len(telegram.received) == 1
    assert report.messages == 3 and "9 alerts sent in 3 messages" in str(report)
    digest = hook.received[0]["json"]
    assert digest["version"] == 2 and digest["count"] == 3 and len(digest["alerts"]) == 3
    posted = {a["login"]: a for a in digest["alerts"]}
    silent = posted["demo_support"]
    assert silent["event"] == "opened" and silent["kind"] == "silent" and silent["ongoing"] is True
    assert (silent["first_day"], silent["last_day"], silent["metric"]) == ("2024-06-10", "2024-06-30", "credit")
    assert silent["baseline"] > 0 and silent["value"] == 0 and silent["currency"] == "RUR"
    assert silent["service"].startswith("127.0.0.1:") and "has sent no messages from 2024-06-10" in digest["text"]
    spike = posted["demo_shop"]
    assert spike["event"] == "opened" and spike["ongoing"] is False and "Spike: demo_shop" in digest["text"]
    # worst first: the spikes, then the silence, one line each (different days)
    lines = digest["text"].splitlines()
    assert len(lines) == 3 and lines[0].startswith("Spike") and lines[2].startswith("Silent")
    assert telegram.received[0]["json"]["text"] == digest["text"]
    for record in hook.received:  # signed as GitHub signs: sha256= HMAC of the raw body
        expected = hmac.new(b"hmac-secret", record["body"], hashlib.sha256).hexdigest()
        assert record["headers"][SIGNATURE_HEADER] == f"sha256={expected}"
        assert record["path"] == HOOK_PATH
    assert {r["json"]["chat_id"] for r in telegram.received} == {"-1001"}
    assert all(r["path"] == f"/bot{TOKEN}/sendMessage" for r in telegram.received)
    mail = mailbox.messages[0]
    assert mail["Subject"] == "[smsstats] 3 alerts: spike 2, silent 1" and mail["To"] == "ops@example.com"
    assert "opened · silent · demo_support · 2024-06-10 – 2024-06-30 · ongoing" in mail.get_content()
    assert "ongoing: " not in mail.get_content() and "first_day" not in mail.get_content()  # words, not keys

    again = check(client, "2024-04-01", channels=channels, end="2024-06-30")  # a cron run later
    assert again.sent == [] and again.already == 9
    other = warm_client()  # a second machine on the same state
    assert check(other, "2024-04-01", channels=channels, end="2024-06-30").sent == []
    assert len(hook.received) == 1 and len(mailbox.messages) == 1 and len(telegram.received) == 1

    back = check(client, "2024-04-01", channels=channels, end="2024-07-02")  # traffic came back on 1 July
    assert [(d.alert.event, d.alert.login) for d in back.sent] == [("resolved", "demo_support")] * 3
    resolved = hook.received[-1]["json"]["alerts"][0]
    assert resolved["event"] == "resolved" and resolved["ongoing"] is False and resolved["last_day"] == "2024-06-30"
    assert "is sending again" in hook.received[-1]["json"]["text"]
    assert check(client, "2024-04-01", channels=channels, end="2024-07-02").sent == []
    assert len(hook.received) == 2 and len(mailbox.messages) == 2 and len(telegram.received) == 2


def test_a_failed_delivery_is_reported_and_sent_at_the_next_check(warm_client: Make, hook: WebhookReceiver) -> None:
    client = warm_client()
    paused: list[float] = []
    channel = WebhookChannel(hook.url + HOOK_PATH, retries=2, backoff=1.0, sleep=paused.append)
    hook.fail_next(3, status=503)  # down for every attempt of the first check (one digest, three tries)
    first = check(client, "2024-04-01", channels=[channel], end="2024-06-30")
    assert first.sent == [] and len(first.failed) == 3 and hook.received == []
    assert paused[:2] == [1.0, 2.0]  # a doubling pause between the attempts
    message = first.failed[0].error or ""
    assert "not delivered (HTTP 503)" in message and "SECRET" not in message and HOOK_PATH not in str(first)
    second = check(client, "2024-04-01", channels=[channel], end="2024-06-30")
    assert len(second.sent) == 3 and len(hook.alerts()) == 3  # nothing was lost
    hook.fail_next(1, status=400)  # a refusal is not retried at once
    assert check(client, "2024-04-01", channels=[channel], end="2024-06-30").sent == []  # and nothing twice


def test_a_receiver_that_is_gone_is_a_failure_not_a_crash(warm_client: Make) -> None:
    client = warm_client()
    gone = WebhookReceiver().start()
    url = gone.url
    gone.stop()
    report = check(client, "2024-04-01", channels=[WebhookChannel(url, sleep=lambda s: None)], end="2024-06-30")
    assert len(report.failed) == 3 and report.sent == []


def test_dry_run_sends_and_marks_nothing(warm_client: Make, hook: WebhookReceiver) -> None:
    client = warm_client()
    channel = WebhookChannel(hook.url)
    dry = check(client, "2024-04-01", channels=[channel], end="2024-06-30", dry_run=True)
    assert [d.status for d in dry.deliveries] == ["would send"] * 3 and hook.received == []
    assert "3 alerts would be sent in 1 message" in str(dry)
    assert len(check(client, "2024-04-01", channels=[channel], end="2024-06-30").sent) == 3


def test_budgets_fire_once_per_period(warm_client: Make, hook: WebhookReceiver) -> None:
    client = warm_client()
    channel = WebhookChannel(hook.url)
    budgets = [Budget(limit=3000.0, freq="D", login="demo_shop"), Budget(limit=20000.0, freq="MS")]
    report = check(client, "2024-05-01", channels=[channel], budgets=budgets, end="2024-06-20")
    budget_posts = [a for a in hook.alerts() if a["kind"] == "budget"]
    texts = "\n".join(hook.texts())
    days = sorted(p["first_day"] for p in budget_posts if p["per"] == "day")
    assert days == ["2024-05-14"]  # the pumped day, and only it
    months = sorted((p["first_day"], p["ongoing"]) for p in budget_posts if p["per"] == "month")
    assert months == [("2024-05-01", False), ("2024-06-01", True)]  # June crossed its limit part-way
    june = next(p for p in budget_posts if p["per"] == "month" and p["first_day"] == "2024-06-01")
    assert june["limit"] == 20000.0 and june["value"] > 20000 and "so far" in texts
    assert "over the monthly limit" in texts and "the account" in texts
    assert len(report.breaches) == 3
    later = check(client, "2024-05-01", channels=[channel], budgets=budgets, end="2024-06-25")
    assert [d.alert.kind for d in later.sent] == []  # June's breach was already sent: once per period


def test_rules_file_budgets_and_named_channels(
    warm_client: Make, hook: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_HOOK", hook.url + "/ops")
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'metric = "sms"\nincident_channels = ["ops"]\n'
        '[[budget]]\nlogin = "demo_shop"\nper = "day"\nlimit = 1500\nmetric = "sms"\nchannels = ["ops"]\n'
        '[channels.ops]\nwebhook_env = "OPS_HOOK"\n',
        encoding="utf-8",
    )
    loaded = load_rules(rules)
    assert loaded.metric == "sms" and loaded.budgets[0].limit == 1500
    report = check(warm_client(), "2024-05-01", rules=loaded, end="2024-05-31")
    assert {r["path"] for r in hook.received} == {"/ops"}
    assert sorted(a["kind"] for a in hook.alerts()) == ["budget", "spike"] and len(hook.received) == 1
    assert report.incidents["kind"].tolist() == ["spike"] and hook.alerts()[0]["metric"] == "sms"
    for text, message in (
        ('[[budget]]\nper = "day"\n', "needs a limit"),
        ('[[budget]]\nlimit = 1\nchannels = ["nowhere"]\n', "unknown channel"),
        ('colour = "red"\n', "unknown setting"),
        ('[channels.x]\nwebhook_env = "NOT_SET_ANYWHERE"\n', "not set"),
        ("metric = ", "cannot be read"),
    ):
        rules.write_text(text, encoding="utf-8")
        with pytest.raises(QueryError, match=message):
            load_rules(rules)


def test_no_secret_in_reports_logs_or_the_state(
    warm_client: Make,
    warm_cache: Path,
    hook: WebhookReceiver,
    telegram: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    env = Environment.read(
        {
            "SMSSTATS_TELEGRAM_TOKEN": TOKEN,
            "SMSSTATS_TELEGRAM_API": telegram.url,
            "SMSSTATS_WEBHOOK_SECRET": "hmac-secret",
        }
    )
    channels = channels_from(webhooks=[hook.url + HOOK_PATH], telegram_chats=["-1001"], env=env, sleep=lambda s: None)
    client = warm_client()
    telegram.fail_next(3)  # the digest, on each of its three attempts
    report = check(client, "2024-04-01", channels=channels, end="2024-06-30")
    shown = str(report) + "".join(str(d) for d in report.deliveries) + "".join(repr(c) for c in channels)
    shown += caplog.text + repr(env)
    for secret in (TOKEN, "webhook-token-SECRET", "hmac-secret"):
        assert secret not in shown
        for path in warm_cache.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    assert len(report.failed) == 3 and "telegram chat -1001" in report.failed[0].channel


def test_channel_options_are_checked_before_anything_is_sent(warm_client: Make) -> None:
    with pytest.raises(QueryError, match="no channel"):
        check(warm_client(), "2024-04-01", end="2024-06-30")
    env = Environment.read({})
    for kwargs, message in (
        ({"emails": ["ops@example.com"]}, "need an SMTP server"),
        ({"smtp": "smtp://127.0.0.1:25"}, "without e-mail addresses"),
        ({"telegram_chats": ["1"]}, "SMSSTATS_TELEGRAM_TOKEN"),
        ({"webhooks": ["ftp://example.com/x"]}, "http"),
        ({"webhooks": ["https://user:pw@example.com/x"]}, "user name and password"),
        ({"emails": ["ops"], "smtp": "smtp://h"}, "addresses"),
        ({"emails": ["a@b.c"], "smtp": "smtp://u:p@h"}, "must not carry"),
    ):
        with pytest.raises(QueryError, match=message) as info:
            channels_from(env=env, **kwargs)  # type: ignore[arg-type]
        assert "--" not in str(info.value)  # the library names settings, not the command line's options
    with pytest.raises(QueryError, match="after the last day"):
        check(warm_client(), "2024-07-01", channels=[WebhookChannel("http://127.0.0.1:9/")], end="2024-06-30")


def test_the_payload_is_json_a_chat_shows_as_it_is(warm_client: Make, hook: WebhookReceiver) -> None:
    check(warm_client(), "2024-04-01", channels=[WebhookChannel(hook.url)], end="2024-06-30")
    record = hook.received[0]
    assert record["headers"]["Content-Type"].startswith("application/json")
    assert SIGNATURE_HEADER not in record["headers"]  # no secret: unsigned
    digest = json.loads(record["body"])
    assert digest["version"] == 2 and digest["text"].count("\n") == 2  # a line per incident (three days)
    body = digest["alerts"][0]
    for field in (
        "event",
        "kind",
        "login",
        "currency",
        "metric",
        "first_day",
        "last_day",
        "ongoing",
        "value",
        "baseline",
        "service",
        "id",
    ):
        assert field in body
    assert all(line.endswith(".") for line in digest["text"].splitlines())
    assert dt.date.fromisoformat(body["first_day"]) <= dt.date.fromisoformat(body["last_day"])


@pytest.mark.realtime  # Redis counts on its own clock
def test_a_team_on_redis_sends_each_alert_once(tmp_path: Path, hook: WebhookReceiver) -> None:
    from ..redis_server import RedisServer

    redis = RedisServer(tmp_path).start()
    try:
        with DemoServer(window=1.0, limit=1000) as server:
            made = [
                StatsClient(server.login, server.psw, base_url=server.url, cache=redis.url, rate_limit=(1000, 1.0))
                for _ in range(2)
            ]
            try:
                channel = WebhookChannel(hook.url)
                first = check(made[0], "2024-04-01", channels=[channel], end="2024-06-30")
                second = check(made[1], "2024-04-01", channels=[channel], end="2024-06-30")  # another machine
                assert len(first.sent) == 3 and second.sent == [] and second.already == 3
                assert len(hook.received) == 1 and len(hook.alerts()) == 3
            finally:
                for client in made:
                    client.close()
    finally:
        redis.stop()
