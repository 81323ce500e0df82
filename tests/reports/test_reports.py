"""Scheduled reports: a week, a month and a quarter, in English and Russian, received by a real SMTP
server (aiosmtpd), a Telegram stand-in and a webhook on 127.0.0.1, once per period per channel."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from smsstats_nb.alerts import EmailChannel, TelegramChannel, WebhookChannel, channels_from
from smsstats_nb.client import StatsClient
from smsstats_nb.core import Environment, QueryError
from smsstats_nb.demo import DemoServer, WebhookReceiver
from smsstats_nb.reports import build_report, pending, report_cost, report_period, send_report

from ..conftest import FAST, free_port

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]

Make = Callable[..., StatsClient]

#: The warm cache holds the days 2024-03-04 … 2024-07-02: each period's four weeks before are in it.
PERIODS = {
    "week": ("2024-06-17", "2024-06-23"),
    "month": ("2024-06-01", "2024-06-30"),
    "quarter": ("2024-04-01", "2024-06-30"),
}


class Mailbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message's bytes."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.raw: list[bytes] = []
        box = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                box.raw.append(bytes(envelope.original_content or envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.url = f"smtp+plain://127.0.0.1:{self.controller.port}"

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def strict(raw: bytes) -> Any:
    """The message parsed under ``email.policy.strict`` (a defect raises)."""
    return message_from_bytes(raw, policy=policy.strict)


def parts(mail: Any) -> dict[str, Any]:
    """The text, the HTML, the inline image and the attachment of a report's e-mail."""
    found: dict[str, Any] = {}
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and "text" not in found:
            found["text"] = part.get_content()
        elif kind == "text/html":
            found["html"] = part.get_content()
        elif kind == "image/png":
            found["image"] = part
        elif kind.startswith("application/vnd.openxmlformats"):
            found["workbook"] = part
    return found


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("period", list(PERIODS))
def test_a_report_by_email_parses_strictly_shows_its_chart_inline_and_its_workbook_reads_back(
    warm_client: Make, period: str, lang: str
) -> None:
    client = warm_client()
    start, end = PERIODS[period]
    report = build_report({None: client}, start, end, lang=lang)
    with Mailbox() as box:
        channel = EmailChannel(["boss@example.com"], box.url)
        assert [d.status for d in send_report(client.transport.store, report.ident, report.message(), [channel])] == [
            "sent"
        ]
    (raw,) = box.raw
    mail = strict(raw)
    found = parts(mail)
    # the HTML shows the inline image: its cid is the image part's Content-ID
    cid = found["image"]["Content-ID"].strip("<>")
    assert f"cid:{cid}" in found["html"] and found["image"].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert found["workbook"].get_filename().endswith(".xlsx")
    # the workbook's KPI sheet holds the period's figures, equal to SMSC's answer for the period
    book = io.BytesIO(found["workbook"].get_content())
    sheets = pd.read_excel(book, sheet_name=None)
    kpis = sheets["KPIs" if lang == "en" else "Показатели"]
    spent = "spent" if lang == "en" else "потрачено"
    truth = client.fetch(start, end)
    assert kpis[spent].sum() == pytest.approx(float(truth["credit"].sum()))
    # the stats sheet: each login's figures with the compared period's beside them
    raw = pd.read_excel(io.BytesIO(found["workbook"].get_content()), sheet_name="stats", header=None)
    headers = [str(v) for v in raw.iloc[2].tolist()]  # under the title and a blank row
    before = headers.index("spent, previous period" if lang == "en" else "расходы, прошлый период")
    rows = raw.iloc[3 : 3 + len(truth)]
    assert rows.iloc[:, 0].astype(str).tolist() == truth["login"].astype(str).tolist()
    compared = client.fetch(report.comparison.start, report.comparison.end).set_index("login")["credit"]
    for login, value in zip(rows.iloc[:, 0], rows.iloc[:, before], strict=True):
        assert value == pytest.approx(float(compared.get(login, 0.0)))
    # the text says the period and the comparison in the person's language
    text = found["text"]
    if lang == "ru":
        assert (
            "Отчёт по SMS" in text and "Для сравнения" in text and str(mail["Subject"]).startswith("[smsstats] Отчёт")
        )
    else:
        assert "SMS report" in text and "Compared with" in text
    expected = {"week": ("previous week", "прошлая неделя"), "month": ("previous month", "прошлый месяц"),
                "quarter": ("previous quarter", "прошлый квартал")}[period]  # fmt: skip
    assert expected[0 if lang == "en" else 1] in text
    # a month still open at the period's end has its forecast; a closed one does not
    has_forecast = ("Month-end forecast" if lang == "en" else "Прогноз на конец месяца") in text
    assert has_forecast == (period == "week")


def test_the_report_figures_are_the_periods_against_the_compared_period(warm_client: Make) -> None:
    client = warm_client()
    report = build_report({None: client}, "2024-06-01", "2024-06-30", period="last-month")
    (row,) = report.kpis().itertuples()
    june, may = client.fetch("2024-06-01", "2024-06-30"), client.fetch("2024-05-01", "2024-05-31")
    assert row.sms == int(june["sms"].sum()) and row.sms_before == int(may["sms"].sum())
    assert row.credit_change == pytest.approx((june["credit"].sum() / may["credit"].sum() - 1) * 100)
    assert row.credit_year != row.credit_year  # June 2023 is not cached: no figure, and it says so
    assert "a year earlier: not cached" in report.text
    top = report.top_logins(report.sections[0])
    assert list(top["credit"]) == sorted(top["credit"], reverse=True) and top["login"].iloc[0] == "demo_shop"
    shop_june, shop_may = (float(f.loc[f["login"] == "demo_shop", "credit"].sum()) for f in (june, may))
    assert top["change"].iloc[0] == pytest.approx((shop_june / shop_may - 1) * 100)  # each login's own change
    # the silent login of the demo data is the period's incident
    assert "demo_support" in set(report.sections[0].incidents["login"])


def test_the_periods_budget_breaches_are_listed(warm_client: Make) -> None:
    from smsstats_nb.alerts import Budget

    client = warm_client()
    days = client.fetch_series("2024-06-17", "2024-06-23", "D", progress=False)
    per_day = days.groupby("period_start")["credit"].sum()
    limit = float(per_day.median())  # about half the days go over it
    report = build_report({None: client}, "2024-06-17", "2024-06-23", budgets=[Budget(limit=limit, freq="D")])
    breaches = report.sections[0].breaches
    assert len(breaches) == int((per_day > limit).sum()) > 0
    assert f"{len(breaches)} budget breach" in report.text and "against a limit of" in report.text
    assert len(report.payload()["accounts"][0]["breaches"]) == len(breaches)


def test_a_year_earlier_is_shown_when_it_is_cached(warm_client: Make, warm_server: DemoServer) -> None:
    client = warm_client()
    client.fetch("2023-06-01", "2023-06-30")  # June 2023 now cached
    asked = warm_server.stat_requests
    report = build_report({None: client}, "2024-06-01", "2024-06-30", period="last-month")
    (row,) = report.kpis().itertuples()
    assert row.credit_year == pytest.approx(float(client.cached("2023-06-01", "2023-06-30")["credit"].sum()))
    assert "a year earlier RUB" in report.text
    assert warm_server.stat_requests - asked == 2  # the two months' totals (SMSC's own); every day is cached


def test_report_periods_on_a_frozen_calendar() -> None:
    monday = dt.date(2024, 7, 1)
    assert report_period("last-week", monday) == (dt.date(2024, 6, 24), dt.date(2024, 6, 30))
    assert report_period("last-week", dt.date(2024, 6, 30)) == (dt.date(2024, 6, 17), dt.date(2024, 6, 23))  # a Sunday
    assert report_period("last-month", dt.date(2024, 1, 1)) == (dt.date(2023, 12, 1), dt.date(2023, 12, 31))
    assert report_period("last-quarter", dt.date(2024, 5, 15)) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    with pytest.raises(QueryError, match="period must be one of"):
        report_period("fortnight", monday)


class TelegramStandIn:
    """Telegram's Bot API on 127.0.0.1: sendMessage (JSON), sendPhoto and sendDocument
    (multipart/form-data), each recorded with its fields and files."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.refuse: set[str] = set()  # methods answered 400 (a hostile or broken Bot API)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = self.path.rsplit("/", 1)[-1]
                if method in owner.refuse:
                    answer = b'{"ok": false, "error_code": 400, "description": "Bad Request: file too big"}'
                    self.send_response(400)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("multipart/form-data"):
                    mail = message_from_bytes(f"Content-Type: {kind}\r\n\r\n".encode() + body, policy=policy.HTTP)
                    fields = {p.get_param("name", header="content-disposition"): p for p in mail.iter_parts()}
                    record = {
                        "method": method,
                        # RFC 7578: a form's text fields are UTF-8 (Telegram reads them so)
                        "fields": {
                            k: v.get_payload(decode=True).decode("utf-8")
                            for k, v in fields.items()
                            if v.get_filename() is None
                        },
                        "files": {
                            k: (v.get_filename(), v.get_content()) for k, v in fields.items() if v.get_filename()
                        },
                    }
                else:
                    record = {"method": method, "fields": json.loads(body), "files": {}}
                owner.calls.append(record)
                answer = b'{"ok": true, "result": {}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    api = TelegramStandIn()
    yield api
    api.close()


def test_telegram_gets_the_chart_as_a_photo_and_the_workbook_as_a_document_once(
    warm_client: Make, telegram: TelegramStandIn
) -> None:
    client = warm_client()
    report = build_report({None: client}, *PERIODS["week"], lang="ru")
    chat = TelegramChannel("-100777", "123:secret-bot-token", api_base=telegram.url, sleep=lambda s: None)
    store = client.transport.store
    assert [d.status for d in send_report(store, report.ident, report.message(), [chat])] == ["sent"]
    methods = [c["method"] for c in telegram.calls]
    assert methods[-2:] == ["sendPhoto", "sendDocument"]
    photo = next(c for c in telegram.calls if c["method"] == "sendPhoto")
    name, data = photo["files"]["photo"]
    assert name.endswith(".png") and data[:4] == b"\x89PNG" and photo["fields"]["chat_id"] == "-100777"
    said = photo["fields"]["caption"] if methods[0] == "sendPhoto" else telegram.calls[0]["fields"]["text"]
    assert "Отчёт по SMS" in said and len(photo["fields"]["caption"]) <= 1024
    document = telegram.calls[-1]
    assert document["files"]["document"][0].endswith(".xlsx")
    calls = len(telegram.calls)
    # the same report again: already sent, nothing posted
    assert [d.status for d in send_report(store, report.ident, report.message(), [chat])] == ["already"]
    assert len(telegram.calls) == calls


def test_the_webhook_gets_the_figures_as_signed_json_once(warm_client: Make) -> None:
    import base64
    import hashlib
    import hmac

    client = warm_client()
    report = build_report({None: client}, *PERIODS["month"], period="last-month")
    with WebhookReceiver() as hook:
        channel = WebhookChannel(hook.url + "/hooks/secret-path", secret="shh")
        send_report(client.transport.store, report.ident, report.message(), [channel])
        send_report(client.transport.store, report.ident, report.message(), [channel])
        (got,) = hook.received
    body = got["json"]
    assert body["event"] == "report" and body["start"] == "2024-06-01" and body["compared"]["basis"] == "MS"
    kpi = body["accounts"][0]["kpis"][0]
    assert kpi["sms"] == int(client.fetch("2024-06-01", "2024-06-30")["sms"].sum())
    assert body["accounts"][0]["top"][0]["login"] == "demo_shop" and "SMS report" in body["text"]
    headers = {k.lower(): v for k, v in got["headers"].items()}
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + got["body"]
    mac = base64.b64encode(hmac.new(b"shh", signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{mac}" and headers["webhook-id"] == body["id"]


def test_a_failed_delivery_is_released_and_sent_by_the_next_run(warm_client: Make) -> None:
    client = warm_client()
    report = build_report({None: client}, *PERIODS["week"])
    store = client.transport.store
    with WebhookReceiver() as hook:
        channel = WebhookChannel(hook.url, sleep=lambda s: None)
        hook.fail_next(3)
        (failed,) = send_report(store, report.ident, report.message(), [channel])
        assert failed.status == "failed" and "HTTP 503" in str(failed) and pending(store, report.ident, [channel])
        (sent,) = send_report(store, report.ident, report.message(), [channel])
        assert sent.status == "sent" and len(hook.received) == 1 and not pending(store, report.ident, [channel])


def test_two_machines_on_one_redis_send_the_report_once(tmp_path: Path) -> None:
    from ..redis_server import RedisServer

    redis = RedisServer(tmp_path).start()
    try:
        with DemoServer(window=1.0, limit=1000) as server, WebhookReceiver() as hook:
            made = [
                StatsClient(server.login, server.psw, base_url=server.url, cache=redis.url, rate_limit=FAST)
                for _ in range(2)
            ]
            try:
                report = build_report({None: made[0]}, *PERIODS["week"])
                message = report.message()
                channel = WebhookChannel(hook.url)
                results: list[str] = []
                barrier = threading.Barrier(2)

                def machine(client: StatsClient) -> None:
                    barrier.wait()
                    results.extend(
                        d.status for d in send_report(client.transport.store, report.ident, message, [channel])
                    )

                threads = [threading.Thread(target=machine, args=(c,)) for c in made]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(30)
                assert sorted(results) == ["already", "sent"] and len(hook.received) == 1
            finally:
                for client in made:
                    client.close()
    finally:
        redis.stop()


def test_several_accounts_are_one_report_with_a_section_each_and_the_sum_per_currency(tmp_path: Path) -> None:
    with DemoServer(window=1.0, limit=1000, accounts={"news": "news-password"}) as server:
        shop = StatsClient(server.login, server.psw, base_url=server.url, cache=tmp_path / "c", rate_limit=FAST)
        news = StatsClient("news", "news-password", base_url=server.url, cache=tmp_path / "c", rate_limit=FAST)
        try:
            report = build_report({"shop": shop, "news": news}, *PERIODS["week"], period="last-week")
            kpis = report.kpis()
            summed = kpis[kpis["summed"]].set_index("currency")
            each = kpis[~kpis["summed"]].groupby("currency")["credit"].sum()
            assert summed["credit"].to_dict() == pytest.approx(each.to_dict())
            text = report.text
            assert "== shop ==" in text and "== news ==" in text and "All accounts, per currency" in text
            book = pd.read_excel(io.BytesIO(report.workbook()), sheet_name=None)
            assert {"shop", "news"} <= set(book["KPIs"]["account"]) and "all accounts" in set(book["KPIs"]["account"])
            assert report.ident.startswith("report|news,shop|")
        finally:
            shop.close()
            news.close()


def test_the_cost_is_known_before_anything_is_sent(warm_client: Make, warm_server: DemoServer) -> None:
    client = warm_client()
    asked = warm_server.stat_requests
    requests, _eta = report_cost({None: client}, *PERIODS["quarter"])
    assert requests == 2 and warm_server.stat_requests == asked  # the two totals; the days are cached
    requests, _eta = report_cost({None: client}, "2024-01-01", "2024-03-31")
    assert requests > 60  # most of the first quarter's days are not cached


def test_channels_from_the_environment_keep_their_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    env = Environment.read({"SMSSTATS_TELEGRAM_TOKEN": "123:bot-secret"})
    (chat,) = channels_from(telegram_chats=["42"], env=env)
    assert "bot-secret" not in repr(chat) and "bot-secret" not in chat.name
    with pytest.raises(QueryError):
        channels_from(emails=["boss@example.com"], env=env)
    _ = time  # the module's clock is never slept on: the senders' pauses are injected


def test_a_telegram_api_that_refuses_the_document_gets_the_whole_report_again_next_run(
    warm_client: Make, telegram: TelegramStandIn
) -> None:
    """Delivery is at least once: the photo went, the document did not, so the report is not
    marked and the next run sends it whole (the chat may see the photo twice, never no workbook)."""
    client = warm_client()
    report = build_report({None: client}, *PERIODS["week"])
    chat = TelegramChannel("42", "123:secret-bot-token", api_base=telegram.url, sleep=lambda s: None)
    store = client.transport.store
    telegram.refuse = {"sendDocument"}
    (failed,) = send_report(store, report.ident, report.message(), [chat])
    assert failed.status == "failed" and "HTTP 400" in str(failed) and "secret-bot-token" not in str(failed)
    telegram.refuse = set()
    (sent,) = send_report(store, report.ident, report.message(), [chat])
    assert sent.status == "sent" and [c["method"] for c in telegram.calls].count("sendDocument") == 1


def test_an_smtp_server_that_rejects_the_message_is_a_failure_sent_again_next_run(warm_client: Make) -> None:
    from aiosmtpd.controller import Controller

    taken: list[bytes] = []
    refuse = [True]

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            if refuse[0]:
                return "554 5.6.0 message rejected"
            taken.append(bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        client = warm_client()
        report = build_report({None: client}, *PERIODS["week"])
        channel = EmailChannel(["boss@example.com"], f"smtp+plain://127.0.0.1:{controller.port}")
        store = client.transport.store
        (failed,) = send_report(store, report.ident, report.message(), [channel])
        assert failed.status == "failed" and taken == []
        refuse[0] = False
        (sent,) = send_report(store, report.ident, report.message(), [channel])
        assert sent.status == "sent" and len(taken) == 1
    finally:
        controller.stop()


def test_a_period_without_messages_is_a_report_that_says_so(tmp_path: Path) -> None:
    with DemoServer(window=1.0, limit=1000) as server:
        client = StatsClient(server.login, server.psw, base_url=server.url, cache=tmp_path, rate_limit=FAST)
        try:
            report = build_report({None: client}, "2019-06-03", "2019-06-09", period="last-week")
            assert report.kpis().empty and "No messages in the period." in report.text
            message = report.message()  # the chart and the workbook still made
            assert (
                message.chart is not None
                and message.chart.data[:4] == b"\x89PNG"
                and message.files[0].data[:2] == b"PK"
            )
        finally:
            client.close()
