"""The demo server itself, spoken to with plain HTTP: what the reference says the service does."""

from __future__ import annotations

import hashlib
import json

import pytest
import requests

from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback


def ask(server: DemoServer, method: str = "POST", **params: str) -> requests.Response:
    base = {"get_stat": "1", "login": server.login, "psw": server.psw, "start": "01.01.2024", "end": "31.01.2024"}
    base.update(params)
    base = {k: v for k, v in base.items() if v is not None}
    url = server.url + "/sys/get.php"
    if method == "GET":
        return requests.get(url, params=base, timeout=10)
    return requests.post(url, data=base, timeout=10)


@pytest.fixture
def srv() -> DemoServer:
    with DemoServer(window=60, limit=1000) as s:
        yield s  # type: ignore[misc]


def test_default_charset_is_windows_1251_and_others_are_honoured(srv: DemoServer) -> None:
    default = ask(srv, fmt="0").content
    assert "демо_маркет".encode("windows-1251") in default
    assert "демо_маркет".encode() in ask(srv, fmt="0", charset="utf-8").content
    assert "демо_маркет".encode("koi8-r") in ask(srv, fmt="0", charset="koi8-r").content


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_four_formats_over_get_and_post(srv: DemoServer, method: str) -> None:
    text = ask(srv, method, fmt="0", charset="utf-8").text
    # 2971 messages at 2.1537 RUR = 6398.6427, rounded once for the period (January by the Russian
    # production calendar: the New Year break is quiet)
    assert text.startswith("login = demo, sms = 2971, credit = 6398.64, debit = 7740.00, currency = RUR")
    assert ask(srv, method, fmt="1", charset="utf-8").text.splitlines()[0] == "demo,2971,6398.64,7740.00,RUR"
    assert "<stat><login>demo</login><sms>2971</sms>" in ask(srv, method, fmt="2", charset="utf-8").text
    rows = json.loads(ask(srv, method, fmt="3", charset="utf-8").text)
    assert rows[0] == {"login": "demo", "sms": "2971", "credit": "6398.64", "debit": "7740.00", "currency": "RUR"}


def test_apikey_md5_and_omitted_end(srv: DemoServer) -> None:
    md5 = hashlib.md5(srv.psw.encode()).hexdigest()
    assert ask(srv, fmt="3", psw=md5).json()[0]["login"] == "demo"
    assert ask(srv, fmt="3", login=None, psw=None, apikey=srv.apikey).json()[0]["login"] == "demo"
    one_day = ask(srv, fmt="3", start="06.01.2024", end=None).json()
    assert {r["login"] for r in one_day} == {"demo", "demo_shop", "демо_маркет"}  # support is quiet on Saturdays


def test_mycur_and_balance2_change_the_numbers(srv: DemoServer) -> None:
    plain = ask(srv, fmt="3").json()[0]
    mine = ask(srv, fmt="3", mycur="1").json()[0]
    electronic = ask(srv, fmt="3", balance2="1").json()[0]
    assert mine["currency"] == "KZT" and float(mine["credit"]) > float(plain["credit"])
    assert int(electronic["sms"]) < int(plain["sms"])


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": "2024-01-01"}, 1),
        ({"start": "31.01.2024", "end": "01.01.2024"}, 1),
        ({"get_stat": "0"}, 1),
        ({"psw": "nope"}, 2),
        ({"login": "someone-else"}, 2),
    ],
)
def test_errors_in_every_format(srv: DemoServer, params: dict[str, str], code: int) -> None:
    assert ask(srv, fmt="0", **params).text.startswith(f"ERROR = {code} (")
    assert ask(srv, fmt="1", **params).text == f"0,-{code}"
    assert f"<error_code>{code}</error_code>" in ask(srv, fmt="2", **params).text
    assert ask(srv, fmt="3", **params).json()["error_code"] == code


def test_five_auth_failures_block_the_ip_and_a_window_gives_error_9() -> None:
    with DemoServer(window=30, limit=3) as s:
        for _ in range(5):
            assert ask(s, fmt="3", psw="bad").json()["error_code"] == 2
        assert ask(s, fmt="3").json()["error_code"] == 4
    with DemoServer(window=30, limit=3) as s:
        codes = [ask(s, fmt="3", start=f"0{d}.01.2024", end=None).json() for d in range(1, 5)]
        assert [isinstance(c, list) for c in codes] == [True, True, True, False]
        assert codes[3]["error_code"] == 9 and s.errors[9] == 1


def test_only_loopback() -> None:
    with pytest.raises(ValueError):
        DemoServer(host="0.0.0.0")
