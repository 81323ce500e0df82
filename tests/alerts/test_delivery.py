"""Delivery against hostile receivers on loopback: never lost, never followed elsewhere, one
deadline per delivery, each recipient its own delivery, and a stable id in every copy.

The warm cache holds a series with three incidents (see ``tests/conftest.py``); ``check`` claims
each message before sending it and marks it after, so a failure here is sent by the next check.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from smsstats_nb import StatsClient
from smsstats_nb.alerts import ChannelError, EmailChannel, WebhookChannel, channels_from, check
from smsstats_nb.alerts._channels import ID_HEADER
from smsstats_nb.core import Environment

from ..conftest import free_port
from ..hostile import Hostile

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]
SINCE, END = "2024-04-01", "2024-06-30"


def Receiver(reply: Callable[[BaseHTTPRequestHandler, int], None]) -> Hostile:  # noqa: N802 - a kind of server
    """A webhook receiver whose answer to the n-th POST is ``reply(handler, n)``."""
    return Hostile(reply, path="/hook/token-SECRET")


def posted(receiver: Hostile) -> list[dict[str, Any]]:
    """What came, with each body read as JSON."""
    return [{**r, "json": json.loads(r["body"])} for r in receiver.received]


@pytest.fixture
def receivers() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler, int], None]], Hostile]]:
    made: list[Hostile] = []

    def make(reply: Callable[[BaseHTTPRequestHandler, int], None]) -> Hostile:
        made.append(Receiver(reply))
        return made[-1]

    yield make
    for r in made:
        r.close()


def ok(h: BaseHTTPRequestHandler, n: int) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "2")
    h.end_headers()
    h.wfile.write(b"ok")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failure_naming_the_new_address_and_nothing_goes_there(
    warm_client: Make, receivers: Any, status: int
) -> None:
    elsewhere = receivers(ok)
    moved = receivers(
        lambda h, n: (
            h.send_response(status),
            h.send_header("Location", elsewhere.url.replace("127.0.0.1", "localhost")),
            h.send_header("Content-Length", "0"),
            h.end_headers(),
        )
    )
    channel = WebhookChannel(moved.url, secret="hmac-secret", sleep=lambda s: None)
    report = check(warm_client(), SINCE, channels=[channel], end=END)
    assert len(report.failed) == 3 and report.sent == []
    assert all(f"HTTP {status}, a redirect to localhost" in (d.error or "") for d in report.failed)
    assert elsewhere.received == []  # neither the alert nor its signature went to the other host
    assert len(moved.received) == 1  # one attempt of the one digest: a redirect is not tried again
    fixed = WebhookChannel(elsewhere.url, secret="hmac-secret", sleep=lambda s: None)
    assert len(check(warm_client(), SINCE, channels=[fixed], end=END).sent) == 3  # nothing was lost


@pytest.mark.slow  # real deadlines on a real socket
def test_a_receiver_that_answers_after_the_deadline_gets_it_once_per_check_with_one_id(
    warm_client: Make, receivers: Any
) -> None:
    def late(h: BaseHTTPRequestHandler, n: int) -> None:
        time.sleep(0.6)
        ok(h, n)

    slow = receivers(late)
    channel = WebhookChannel(slow.url, timeout=0.3, sleep=lambda s: None)
    client = warm_client()
    first = check(client, SINCE, channels=[channel], end=END)
    assert len(first.failed) == 3 and len(slow.received) == 1  # one attempt of the digest, not three
    second = check(client, SINCE, channels=[channel], end=END)
    assert len(second.failed) == 3 and len(slow.received) == 2  # at least once: sent again
    ids = [r["headers"][ID_HEADER] for r in slow.received]
    assert ids[0] == ids[1]  # the same digest has the same id in every copy
    assert all(r["json"]["id"] == r["headers"][ID_HEADER] for r in posted(slow))


@pytest.mark.slow  # real deadlines on a real socket
def test_a_trickling_answer_cannot_hold_a_delivery_past_its_deadline(warm_client: Make, receivers: Any) -> None:
    def trickle_headers(h: BaseHTTPRequestHandler, n: int) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
            try:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)

    def trickle_body(h: BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            try:
                h.wfile.write(b"x")
                h.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)

    for reply, delivered in ((trickle_headers, False), (trickle_body, True)):
        receiver = receivers(reply)
        channel = WebhookChannel(receiver.url, timeout=1.0, sleep=lambda s: None)
        t0 = time.monotonic()
        report = check(warm_client(), SINCE, channels=[channel], end=END)
        assert time.monotonic() - t0 < 3 * 1.0 + 2.0  # three deliveries, one deadline each
        assert (len(report.sent), len(report.failed)) == ((3, 0) if delivered else (0, 3))  # the status is the answer


class RefusingMailbox:
    """An SMTP server (aiosmtpd) that refuses one recipient at RCPT and keeps every message."""

    def __init__(self, refuse: str) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        box = self

        class Handler:
            async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
                if address == refuse:
                    return "550 5.1.1 no such mailbox"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                box.messages.append(
                    (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
                )
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.url = f"smtp://127.0.0.1:{self.controller.port}"


def test_each_recipient_is_its_own_delivery(warm_client: Make) -> None:
    box = RefusingMailbox("gone@example.com")
    box.controller.start()
    try:
        channels = channels_from(emails=["ops@example.com", "gone@example.com"], smtp=box.url, env=Environment.read({}))
        assert len(channels) == 2  # one per address
        client = warm_client()
        report = check(client, SINCE, channels=channels, end=END)
        assert len(report.sent) == 3 and len(report.failed) == 3  # ops got all three; gone got none
        assert all("gone@example.com" in d.channel for d in report.failed)
        assert [to for to, _ in box.messages] == [["ops@example.com"]]  # one digest
        again = check(client, SINCE, channels=channels, end=END)
        assert again.sent == [] and len(again.failed) == 3  # only the refused one is tried again
        assert len(box.messages) == 1
        with pytest.raises(ChannelError, match="SMTPRecipientsRefused"):  # one channel, both addresses
            EmailChannel(["ops@example.com", "gone@example.com"], box.url).send({}, "text", "subject")
    finally:
        box.controller.stop()


def test_a_login_with_cr_lf_cannot_break_a_header_nor_stop_the_other_alerts(warm_client: Make) -> None:
    box = RefusingMailbox("nobody")
    box.controller.start()
    try:
        channel = EmailChannel(["ops@example.com"], box.url)
        channel.send({"id": "abc"}, "text", "[smsstats] spike: evil\r\nBcc: victim@example.com")
        ((to, message),) = box.messages
        assert to == ["ops@example.com"] and message["Bcc"] is None
        assert message["Subject"] == "[smsstats] spike: evil  Bcc: victim@example.com"
        assert message["Message-ID"] == "<abc@smsstats>"
    finally:
        box.controller.stop()

    class Broken:
        """A channel that fails in a way no channel foresaw, for its first message only."""

        name, key = "broken", "broken:1"
        calls: ClassVar[list[str]] = []

        def send(self, payload: dict[str, Any], text: str, subject: str) -> None:
            self.calls.append(payload["id"])
            if len(self.calls) == 1:
                raise ValueError("Header values may not contain linefeed or carriage return characters")

    client = warm_client()
    report = check(client, SINCE, channels=[Broken()], end=END)
    assert (len(report.sent), len(report.failed)) == (0, 3)  # the digest failed whole: nothing half-marked
    assert report.failed[0].error == "not delivered (ValueError); it is sent again at the next check"
    again = check(client, SINCE, channels=[Broken()], end=END)  # no claim left: it is sent now
    assert len(again.sent) == 3 and Broken.calls[0] == Broken.calls[1]  # the same digest, the same id


def test_a_webhook_carries_standard_webhooks_headers_a_receiver_can_verify(warm_client: Make, receivers: Any) -> None:
    """The Standard Webhooks convention: ``webhook-id`` (the message's stable id),
    ``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>``
    with the base64 key of a ``whsec_`` secret; the JSON body has an ``id`` and a ``version``."""
    import base64
    import hashlib
    import hmac

    key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(key).decode()
    receiver = receivers(ok)
    check(warm_client(), SINCE, channels=[WebhookChannel(receiver.url, secret=secret)], end=END)
    assert len(receiver.received) == 1
    for got in receiver.received:
        headers = {k.lower(): v for k, v in got["headers"].items()}
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + got["body"]
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        assert headers["webhook-signature"] == f"v1,{expected}"  # what a receiver's library checks
        body = json.loads(got["body"])
        assert body["id"] == headers["webhook-id"] == headers[ID_HEADER.lower()] and body["version"] == 2
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60


def test_an_email_has_a_date_and_a_message_id() -> None:
    box = RefusingMailbox("nobody")
    box.controller.start()
    try:
        EmailChannel(["ops@example.com"], box.url).send({"id": "abc123"}, "text", "subject")
        ((_, message),) = box.messages
        assert message["Message-ID"] == "<abc123@smsstats>" and message["Date"]
        from email.utils import parsedate_to_datetime

        assert abs(parsedate_to_datetime(message["Date"]).timestamp() - time.time()) < 60
    finally:
        box.controller.stop()
