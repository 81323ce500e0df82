"""Alerts a person can read (issue: monitoring a person can trust): one digest per channel per
check, grouped, worst first, capped; mutes; Retry-After and Telegram's retry_after; pacing per
chat; e-mail facts in the message's language. Hostile receivers are written here; clocks are fake."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from smsstats_nb.alerts import Alert, Digest, Mute, TelegramChannel, WebhookChannel, check, load_rules
from smsstats_nb.alerts._channels import EmailChannel
from smsstats_nb.core import i18n
from smsstats_nb.demo import WebhookReceiver

from ..hostile import Hostile, send
from .test_check import Make

SINCE, END = "2024-04-01", "2024-06-30"


def alert(login: str, kind: str = "drop", day: dt.date = dt.date(2024, 12, 30), **kw: object) -> Alert:
    values: dict[str, object] = {
        "ident": f"acct|credit|{kind}|{login}|RUR|{day}",
        "event": "opened",
        "kind": kind,
        "login": login,
        "currency": "RUR",
        "metric": "credit",
        "first_day": day,
        "last_day": day,
        "ongoing": True,
        "value": 10.0,
        "baseline": 100.0,
        "limit": None,
        "service": "smsc.ru",
        "text": f"{kind.title()}: {login} on {day}.",
    }
    values.update(kw)
    return Alert(**values)  # type: ignore[arg-type]


def test_a_morning_of_85_drops_is_one_line_naming_the_day_as_non_working() -> None:
    holiday = dt.date(2024, 12, 30)  # a Monday made a day off in Russia
    alerts = tuple(alert(f"client{i:03d}", value=float(i)) for i in range(85))
    digest = Digest((*alerts, alert("fraudster", "spike", dt.date(2024, 12, 27), value=900.0)), lambda d: d != holiday)
    lines = digest.text.splitlines()
    assert lines[0] == "Spike: fraudster on 2024-12-27."  # worst first: a lone spike before 85 drops
    assert lines[1] == (
        "Drop on 2024-12-30, 85 logins, a non-working day: client000, client001, client002, client003, client004 "
        "and 80 more."
    )
    payload = digest.payload()
    assert payload["count"] == 86 and len(payload["alerts"]) == 86  # every one, whole, for a machine
    assert {a["login"] for a in payload["alerts"]} >= {"client084", "fraudster"}
    assert digest.subject == "[smsstats] 86 alerts: spike 1, drop 85"


def test_the_text_is_capped_and_counts_the_rest() -> None:
    alerts = tuple(alert(f"login{i}", "spike", dt.date(2024, 3, 1) + dt.timedelta(days=i)) for i in range(30))
    lines = Digest(alerts).text.splitlines()
    assert len(lines) == 13 and lines[-1] == "… and 18 more alerts (all of them are in the webhook's payload)."


def test_a_resolved_incident_is_folded_into_the_same_logins_new_one() -> None:
    over = alert("shop", "spike", dt.date(2024, 5, 14), event="resolved", ongoing=False, text="Resolved: shop.")
    new = alert("shop", "drop", dt.date(2024, 5, 20), text="Drop: shop from 2024-05-20.")
    digest = Digest((over, new, alert("other", "silent", dt.date(2024, 5, 20), text="Silent: other.")))
    assert digest.text.splitlines() == [
        "Silent: other.",
        "Drop: shop from 2024-05-20. (its spike from 2024-05-14 is over)",
    ]
    assert [a["event"] for a in digest.payload()["alerts"]] == ["resolved", "opened", "opened"]


def test_the_digest_id_is_stable_for_the_same_alerts() -> None:
    a, b = alert("a"), alert("b")
    assert Digest((a, b)).message_id == Digest((b, a)).message_id != Digest((a,)).message_id
    assert Digest((a,)).message_id == a.message_id  # one alert: its own id, as in 0.2


@pytest.mark.loopback
def test_a_muted_login_sends_nothing_within_its_pause_and_is_news_after_it(
    warm_client: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """demo_support is silent from 10 to 30 June: a pause known until the 30th holds it back; one
    known until the 20th does not (still silent after the pause is news)."""
    with WebhookReceiver() as hook:
        channel = WebhookChannel(hook.url)
        muted = check(
            warm_client(), SINCE, channels=[channel], end=END, rules=load_rules(_rules(tmp_path, "2024-06-30"))
        )
        assert muted.muted == 1 and "1 muted" in str(muted)  # one incident (its opening and end count once)
        assert sorted(a["login"] for a in hook.alerts()) == ["demo_shop", "демо_маркет"]
        short = load_rules(_rules(tmp_path, "2024-06-20"))
        assert short.mutes == (Mute(dt.date(2024, 6, 20), "demo_support"),)
        later = check(warm_client(), SINCE, channels=[channel], end=END, rules=short)
        assert [d.alert.login for d in later.sent] == ["demo_support"]


def _rules(tmp_path: Path, until: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(f'[[mute]]\nlogin = "demo_support"\nuntil = {until}\n', encoding="utf-8")
    return path


@pytest.mark.loopback
def test_alerts_mute_from_the_command_line_holds_every_login_back(
    warm_client: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = warm_client()
    store, identity = client.transport.store, client.transport.identity
    store.alerts.mute(identity, "*", "2099-01-01")
    with WebhookReceiver() as hook:
        report = check(client, SINCE, channels=[WebhookChannel(hook.url)], end=END)
        assert report.sent == [] and report.muted == 3 and hook.received == []
        store.alerts.mute(identity, "*", None)  # lifted
        assert len(check(client, SINCE, channels=[WebhookChannel(hook.url)], end=END).sent) == 3


@pytest.fixture
def hostile() -> Iterator[list[Hostile]]:
    made: list[Hostile] = []
    yield made
    for h in made:
        h.close()


@pytest.mark.loopback
def test_retry_after_is_honoured_up_to_its_cap(hostile: list[Hostile]) -> None:
    def busy(h: BaseHTTPRequestHandler, n: int) -> None:
        send(h, 429 if n == 0 else 200, headers={"Retry-After": "3"} if n == 0 else {})

    def long(h: BaseHTTPRequestHandler, n: int) -> None:
        send(h, 503, headers={"Retry-After": "120"})

    waited: list[float] = []
    fine = Hostile(busy)
    hostile.append(fine)
    WebhookChannel(fine.url, timeout=10.0, sleep=waited.append).send({"id": "x"}, "text", "subject")
    assert waited == [3.0] and fine.requests == 2  # the asked-for wait, not the 1 s backoff
    slow = Hostile(long)
    hostile.append(slow)
    with pytest.raises(Exception, match="asked to wait 120 s"):
        WebhookChannel(slow.url, timeout=10.0, sleep=waited.append).send({"id": "x"}, "text", "subject")
    assert slow.requests == 1 and waited == [3.0]  # over the cap: the next check sends it


@pytest.mark.loopback
def test_telegrams_retry_after_is_honoured_and_a_chat_is_paced(hostile: list[Hostile]) -> None:
    def flood(h: BaseHTTPRequestHandler, n: int) -> None:
        if n == 0:
            body = json.dumps({"ok": False, "error_code": 429, "parameters": {"retry_after": 5}}).encode()
            send(h, 429, body, {"Content-Type": "application/json"})
        else:
            send(h, 200, b'{"ok": true}', {"Content-Type": "application/json"})

    api = Hostile(flood)
    hostile.append(api)
    now = [1000.0]
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    chat = TelegramChannel("-1009", "123:token", api_base=api.url, sleep=sleep, clock=lambda: now[0])
    chat.send({}, "first", "s")
    assert waited == [5.0] and api.requests == 2  # Telegram's retry_after, from the 429's body
    chat.send({}, "second", "s")  # at once: paced a second apart in one chat
    assert waited == [5.0, 1.0] and api.requests == 3
    now[0] += 10
    TelegramChannel("-1009", "123:token", api_base=api.url, sleep=sleep, clock=lambda: now[0]).send({}, "x", "s")
    assert waited == [5.0, 1.0]  # long enough ago: no pause


@pytest.mark.loopback
def test_an_emails_facts_speak_the_messages_language() -> None:
    from aiosmtpd.controller import Controller

    from ..conftest import free_port

    got: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            got.append(envelope.content)  # type: ignore[attr-defined]
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        digest = Digest((alert("shop", "silent", ongoing=True, value=0.0, baseline=1234.5),))
        with i18n.speaking("ru"):
            EmailChannel(["ops@example.com"], f"smtp+plain://127.0.0.1:{controller.port}").send(
                digest.payload(), digest.text, digest.subject
            )
    finally:
        controller.stop()
    from email import message_from_bytes, policy

    body = message_from_bytes(got[0], policy=policy.default).get_body().get_content()  # type: ignore[union-attr]
    assert "начало · тишина · shop · 30.12.2024 · продолжается · значение 0,00, обычно 1\u00a0234,50 ₽" in body
    assert "ongoing" not in body and "False" not in body and "first_day" not in body


@pytest.mark.loopback
def test_an_accounts_country_sets_the_calendar_of_its_check(warm_client: Make) -> None:
    """The demo's customers live by Russia's calendar: judged by the plain week, the May holidays
    are drops; by Russia's (the default) only the three planted incidents remain."""
    client = warm_client()
    russian = check(client, SINCE, end=END, dry_run=True)
    plain = check(client, SINCE, end=END, dry_run=True, country="none")
    assert len(russian.incidents) == 3
    assert len(plain.incidents) > 3 and dt.date(2024, 5, 9) in set(plain.incidents["first_day"])


def test_the_whole_accounts_line_says_all_logins_in_the_messages_language() -> None:
    from smsstats_nb.analysis import ACCOUNT
    from smsstats_nb.core.i18n import using

    day = dt.date(2024, 12, 2)
    both = (alert(ACCOUNT, "budget", day, event="breached"), alert("shop", "budget", day, event="breached"))
    with using("ru"):
        text = Digest(both, lambda d: True).text
    assert "(all logins)" not in text and "все логины" in text
