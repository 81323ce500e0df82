"""Over HTTP against the demo server: every format x flag, credentials, methods and errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb import (
    AuthError,
    IPBlockedError,
    ParameterError,
    QueryError,
    RateLimitError,
    SmscError,
    StatsClient,
    close_all,
    fetch_stats,
)
from smsstats_nb.demo import DemoServer

from ..expected import expected_frame
from ..schema import check_schema

pytestmark = pytest.mark.loopback

JAN = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
Make = Callable[..., StatsClient]


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@pytest.mark.parametrize(("mycur", "balance2"), [(False, False), (True, False), (False, True), (True, True)])
def test_every_format_and_flag_gives_the_demo_numbers(make_client: Make, fmt: int, mycur: bool, balance2: bool) -> None:
    client = make_client(cache=False, rate_limit=(1000, 1))
    df = client.fetch("01.01.2024", "31.01.2024", fmt=fmt, mycur=mycur, balance2=balance2)
    check_schema(df)
    pd.testing.assert_frame_equal(df, expected_frame(*JAN, mycur=mycur, balance2=balance2))
    assert "демо_маркет" in df["login"].tolist()  # the Cyrillic login survives utf-8
    assert set(df["currency"]) == ({"KZT"} if mycur else {"RUR"})
    assert df.attrs["fmt"] == fmt and df.attrs["mycur"] is mycur and df.attrs["balance2"] is balance2


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_both_methods(make_client: Make, server: DemoServer, method: str) -> None:
    df = make_client(method=method).fetch("2024-02-01", "2024-02-29")
    pd.testing.assert_frame_equal(df, expected_frame(dt.date(2024, 2, 1), dt.date(2024, 2, 29)))
    assert server.stat_requests == 1


def test_server_with_crlf_and_no_xml_declaration(tmp_path: Path) -> None:
    expected = expected_frame(dt.date(2024, 3, 1), dt.date(2024, 3, 10))
    with DemoServer(crlf=True, xml_declaration=False, window=1.0, limit=4) as srv:
        for fmt in range(4):
            with StatsClient(srv.login, srv.psw, base_url=srv.url, cache=tmp_path, rate_limit=(4, 1.0)) as c:
                pd.testing.assert_frame_equal(c.fetch("2024-03-01", "2024-03-10", fmt=fmt), expected)
        assert srv.errors[9] == 0


def test_apikey_instead_of_login(make_client: Make, server: DemoServer) -> None:
    client = make_client(apikey=server.apikey)
    assert client.login is None and "***" in repr(client)
    pd.testing.assert_frame_equal(client.fetch("2024-01-01", "2024-01-31"), expected_frame(*JAN))


def test_end_omitted_is_the_start_day_only(make_client: Make) -> None:
    df = make_client().fetch(dt.date(2024, 1, 6))
    pd.testing.assert_frame_equal(df, expected_frame(dt.date(2024, 1, 6), dt.date(2024, 1, 6)))
    assert "demo_support" not in df["login"].tolist()  # quiet on a Saturday
    assert df.attrs["start"] == df.attrs["end"] == "2024-01-06"


def test_period_without_traffic_is_zero_rows(make_client: Make) -> None:
    for fmt in range(4):
        df = make_client(rate_limit=(100, 1)).fetch("01.01.2019", "31.01.2019", fmt=fmt)
        assert len(df) == 0
        check_schema(df)


def test_md5_password_is_accepted(make_client: Make, server: DemoServer) -> None:
    import hashlib

    md5 = hashlib.md5(server.psw.encode()).hexdigest()
    assert len(make_client(psw=md5).fetch("2024-01-01")) == 3


def test_bad_input_spends_no_request(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    for bad in [("31.02.2024",), ("2024-02-02", "2024-02-01"), ("tomorrow",)]:
        with pytest.raises(QueryError):
            client.fetch(*bad)
    with pytest.raises(QueryError):
        client.fetch("2024-01-01", fmt=5)
    with pytest.raises(QueryError):
        client.fetch("2024-01-01", mycur="yes")  # type: ignore[arg-type]
    assert server.stat_requests == 0


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@pytest.mark.parametrize(
    ("fault", "cls", "code"),
    [("error1", ParameterError, 1), ("error4", IPBlockedError, 4), ("error7", SmscError, 7)],
)
def test_server_errors_in_every_format(
    make_client: Make, server: DemoServer, fmt: int, fault: str, cls: type[SmscError], code: int
) -> None:
    client = make_client()
    server.inject(fault)
    with pytest.raises(cls) as info:
        client.fetch("2024-01-01", fmt=fmt)
    assert info.value.code == code
    assert server.stat_requests == 1  # 1 and 4 are never retried
    assert client.cache_info()["entries"] == 0  # and never cached
    if code == 4:
        assert "30 minutes" in str(info.value)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_wrong_password_is_auth_error_in_every_format(make_client: Make, server: DemoServer, fmt: int) -> None:
    with pytest.raises(AuthError) as info:
        make_client(psw="wrong-password").fetch("2024-01-01", fmt=fmt)
    assert info.value.code == 2
    assert "wrong-password" not in str(info.value)


def test_five_different_typos_never_block_the_ip(make_client: Make, server: DemoServer) -> None:
    # The demo server blocks the IP at the fifth failure, as SMSC does: the client never lets it happen.
    for i in range(4):
        with pytest.raises(AuthError, match="authorise error"):
            make_client(psw=f"wrong-{i}", rate_limit=(100, 1)).fetch("2024-01-01")
    for login, psw in (("demo", "wrong-4"), ("typo-login", "x"), ("demo", server.psw)):
        with pytest.raises(AuthError, match="4 logins failed") as info:
            make_client(login=login, psw=psw, rate_limit=(100, 1)).fetch("2024-01-01")
        assert "smsstats cache clear --cooldowns" in str(info.value)
    assert server.errors[2] == 4 and server.errors[4] == 0 and server.stat_requests == 4
    make_client().clear_cache(auth=True)  # the deliberate way out
    assert len(make_client(rate_limit=(100, 1)).fetch("2024-01-01")) == 3


def test_fetch_stats_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, server: DemoServer, cache_dir: Path
) -> None:
    monkeypatch.setenv("SMSC_LOGIN", server.login)
    monkeypatch.setenv("SMSC_PASSWORD", server.psw)
    monkeypatch.setenv("SMSC_BASE_URL", server.url)
    try:
        df = fetch_stats("01.01.2024", "31.01.2024", cache=cache_dir, rate_limit=(3, 1))
        pd.testing.assert_frame_equal(df, expected_frame(*JAN))
        again = fetch_stats("01.01.2024", "31.01.2024", cache=cache_dir, rate_limit=(3, 1))
        assert again.attrs["from_cache"] is True and server.stat_requests == 1
    finally:
        close_all()


def test_missing_credentials_say_how_to_set_them(server: DemoServer) -> None:
    with pytest.raises(QueryError, match="SMSC_LOGIN"):
        fetch_stats("01.01.2024", base_url=server.url)
    with pytest.raises(QueryError, match="SMSC_PASSWORD"):
        StatsClient("demo", base_url=server.url)
    assert server.stat_requests == 0


def test_rate_limit_error_from_server_after_two_cooldowns(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    server.inject("error9", "error9", "error9")
    with pytest.raises(RateLimitError) as info:
        client.fetch("2024-01-01")
    assert server.stat_requests == 3
    assert info.value.retry_after is not None and info.value.retry_after > 0


def test_base_url_may_include_the_endpoint(make_client: Make, server: DemoServer) -> None:
    df = make_client(base_url=server.url + "/sys/get.php").fetch("2024-01-01")
    assert len(df) == 3 and server.stat_requests == 1


def test_bad_client_settings_are_query_errors(server: DemoServer) -> None:
    for kwargs in (
        {"base_url": "ftp://x"},
        {"method": "PUT"},
        {"timeout": 0},
        {"rate_limit": (0, 60)},
        {"rate_limit": (3,)},
        {"cache": 42},
    ):
        with pytest.raises(QueryError):
            StatsClient(server.login, server.psw, **{"base_url": server.url, **kwargs})  # type: ignore[arg-type]
    assert server.stat_requests == 0
