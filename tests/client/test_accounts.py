"""Named accounts: the accounts file and the keyring (keyrings.alt's file backend in a temporary
folder, never the developer's keyring), one frame for several accounts asked side by side, and one
account's failure kept to that account."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smsstats_nb import QueryError, StatsClient, fetch_stats, fetch_stats_series
from smsstats_nb.client._accounts import add_account, keyring_problem, load_accounts, remove_account
from smsstats_nb.client._multi import AccountsError, fetch_accounts
from smsstats_nb.core._clock import Clock
from smsstats_nb.core._errors import AuthError
from smsstats_nb.demo import DemoServer

from ..conftest import WINDOW
from ..expected import expected_frame

pytestmark = pytest.mark.loopback

NEWS_PSW = "news-secret-password"


@pytest.fixture
def two(clock: Clock) -> Iterator[DemoServer]:
    """A demo server with two logins, each on its own quota."""
    with DemoServer(window=WINDOW, clock=clock, accounts={"news": NEWS_PSW}) as srv:
        yield srv


def _add_both(server: DemoServer, cache: Path, *, news_psw: str = NEWS_PSW) -> None:
    add_account("shop", login=server.login, secret=server.psw, base_url=server.url)
    add_account("news", login="news", secret=news_psw, base_url=server.url)


def test_the_file_holds_no_secret_and_the_keyring_holds_it(keyring_file: Path, two: DemoServer) -> None:
    _add_both(two, Path())
    accounts = load_accounts()
    assert sorted(accounts) == ["news", "shop"] and accounts["shop"].login == two.login
    text = Path(os.environ["SMSSTATS_ACCOUNTS"]).read_text(encoding="utf-8")
    assert two.psw not in text and NEWS_PSW not in text and "login" in text
    assert "account_3ashop" in keyring_file.read_text(encoding="utf-8")  # stored in the test's own keyring file
    assert accounts["news"].read_secret() == NEWS_PSW
    assert "OS keyring" in accounts["news"].where()
    assert remove_account("news") and "news" not in load_accounts()
    assert accounts["news"].read_secret() is None  # its secret left the keyring too


def test_a_secret_from_the_environment_and_no_keyring(monkeypatch: pytest.MonkeyPatch, two: DemoServer) -> None:
    assert keyring_problem() is not None and "environment variable" in str(keyring_problem())
    with pytest.raises(QueryError, match="no OS keyring"):
        add_account("shop", login=two.login, secret=two.psw)
    add_account("shop", login=two.login, env="SHOP_PSW", base_url=two.url)
    with pytest.raises(QueryError, match="no password in the environment variable SHOP_PSW"):
        StatsClient.from_account("shop")
    monkeypatch.setenv("SHOP_PSW", two.psw)
    with StatsClient.from_account("shop", cache=False) as client:
        assert client.login == two.login and client.fetch("2024-01-01", "2024-01-31")["sms"].sum() > 0


def test_an_account_names_the_calendar_its_alerts_judge_days_by(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text('[kz]\nlogin = "k"\nsecret = "env"\nenv = "KZ_PSW"\ncountry = "KZ"\n', encoding="utf-8")
    assert load_accounts(path)["kz"].country == "KZ"
    add_account("plain", login="p", env="P_PSW", country="none", path=path)  # written back, read again
    assert {n: a.country for n, a in load_accounts(path).items()} == {"kz": "KZ", "plain": "none"}
    path.write_text('[x]\nlogin = "x"\ncountry = "Russia"\n', encoding="utf-8")
    with pytest.raises(QueryError, match="country must be one of RU, KZ, UA, BY, UZ"):
        load_accounts(path)


def test_a_password_in_the_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "accounts.toml"
    bad.write_text('[shop]\nlogin = "x"\npsw = "secret"\n', encoding="utf-8")
    with pytest.raises(QueryError, match="holds a password: the file never does"):
        load_accounts(bad)
    bad.write_text('[shop]\nsecret = "env"\nlogin = "x"\n', encoding="utf-8")
    with pytest.raises(QueryError, match="no env"):
        load_accounts(bad)
    with pytest.raises(QueryError, match="no account 'nope'"):
        fetch_stats("2024-01-01", account="nope")


def test_one_frame_for_two_accounts_with_the_account_column_first(
    keyring_file: Path, two: DemoServer, cache_dir: Path, clock: Clock
) -> None:
    _add_both(two, cache_dir)
    df = fetch_accounts(
        ["shop", "news"], "2024-01-01", "2024-01-31", cache=cache_dir, rate_limit=(3, WINDOW), clock=clock
    )
    assert list(df.columns) == ["account", "login", "sms", "credit", "debit", "currency"]
    assert df["account"].tolist()[:1] == ["shop"] and set(df["account"]) == {"shop", "news"}
    one = expected_frame(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert int(df[df["account"] == "news"]["sms"].sum()) == int(one["sms"].sum())
    assert df.attrs["start"] == "2024-01-01" and set(df.attrs["accounts"]) == {"shop", "news"}
    assert two.stat_requests == 2
    series = fetch_accounts(
        "all", "2024-01-01", "2024-01-03", freq="D", cache=cache_dir, rate_limit=(3, WINDOW), clock=clock
    )
    assert list(series.columns[:3]) == ["account", "period_start", "period_end"]
    assert series.groupby("account")["period_start"].nunique().to_dict() == {"news": 3, "shop": 3}


def test_a_wrong_password_fails_its_account_only(
    keyring_file: Path, two: DemoServer, cache_dir: Path, clock: Clock
) -> None:
    _add_both(two, cache_dir, news_psw="wrong")
    kw: dict[str, Any] = {"cache": cache_dir, "rate_limit": (3, WINDOW), "clock": clock}
    with pytest.raises(AccountsError) as info:
        fetch_accounts(["shop", "news"], "2024-01-01", "2024-01-31", **kw)
    exc = info.value
    assert list(exc.errors) == ["news"] and isinstance(exc.errors["news"], AuthError), exc.errors
    assert set(exc.partial["account"]) == {"shop"} and len(exc.partial) == 4  # the other's rows arrived
    assert "1 of 2 accounts answered" in str(exc) and "wrong" not in str(exc)
    asked = two.stat_requests
    with pytest.raises(AccountsError) as again:
        fetch_accounts(["shop", "news"], "2024-02-01", "2024-02-29", **kw)
    assert set(again.value.partial["account"]) == {"shop"}
    assert two.stat_requests == asked + 1  # shop asked; news's known-bad password was not sent again
    assert "refused locally" in str(again.value.errors["news"])


def test_account_and_accounts_in_the_module_calls(
    keyring_file: Path, two: DemoServer, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_both(two, cache_dir)
    shop = fetch_stats("2024-01-01", "2024-01-31", account="shop", cache=cache_dir, rate_limit=(3, WINDOW))
    assert "account" not in shop.columns and len(shop) == 4
    both = fetch_stats_series(
        "2024-01-01", "2024-01-02", "D", accounts=["shop", "news"], cache=cache_dir, rate_limit=(3, WINDOW)
    )
    assert both["account"].unique().tolist() == ["shop", "news"]
    assert int(both[both["account"] == "shop"]["sms"].sum()) < int(shop["sms"].sum())  # two days of the month
    with pytest.raises(QueryError, match="give no login"):
        fetch_stats("2024-01-01", account="shop", login="x")


def test_the_dashboard_picks_a_named_account(keyring_file: Path, two: DemoServer, cache_dir: Path) -> None:
    from smsstats_nb.dashboard import StatsDashboard

    _add_both(two, cache_dir)
    started = StatsClient(two.login, two.psw, base_url=two.url, cache=cache_dir, rate_limit=(3, WINDOW))
    dash = StatsDashboard(started, today=dt.date(2024, 2, 10))
    assert dash.account_dropdown.layout.display is None
    assert [key for _, key in dash.account_dropdown.options] == [StatsDashboard.STARTED_WITH, "news", "shop"]
    dash.account_dropdown.value = "news"
    assert dash.client is not None and dash.client.login == "news" and "Account news" in dash.status.value
    dash.fetch_button.click()
    assert dash.wait(30)
    assert dash.result is not None and len(dash.result) == 4
    dash.account_dropdown.value = StatsDashboard.STARTED_WITH
    assert dash.client is started and dash.result is None  # the other account's answer is gone
    started.close()


def test_no_accounts_file_no_picker(make_client: Any) -> None:
    from smsstats_nb.dashboard import StatsDashboard

    dash = StatsDashboard(make_client(), today=dt.date(2024, 2, 10))
    assert dash.account_dropdown.layout.display == "none"


@pytest.mark.realtime  # Redis counts on its own clock
def test_two_team_workers_share_the_accounts_through_the_leases(keyring_file: Path, tmp_path: Path) -> None:
    import threading

    from smsstats_nb.client._multi import sync_accounts
    from smsstats_nb.core._errors import SyncLeaseError

    from ..redis_server import RedisServer

    redis = RedisServer(tmp_path).start()
    try:
        with DemoServer(window=1.0, limit=1000, accounts={"news": NEWS_PSW}) as server:
            add_account("shop", login=server.login, secret=server.psw, base_url=server.url)
            add_account("news", login="news", secret=NEWS_PSW, base_url=server.url)
            outcomes: list[tuple[dict[str, Any], dict[str, BaseException]]] = []
            start = threading.Barrier(2)

            def worker() -> None:  # another machine of the team: the same accounts, the same Redis
                start.wait()
                outcomes.append(
                    sync_accounts(
                        "all", "2024-01-01", "2024-01-20", cache=redis.url, rate_limit=(1000, 1.0), share=1000
                    )
                )

            threads = [threading.Thread(target=worker) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            synced = [name for reports, _ in outcomes for name in reports]
            skipped = [name for _, errors in outcomes for name, e in errors.items() if isinstance(e, SyncLeaseError)]
            assert sorted(synced + skipped) == ["news", "news", "shop", "shop"]  # each worker met every account
            assert server.stat_requests == 40  # but each account's 20 days were asked once, by one worker
            assert all(isinstance(e, SyncLeaseError) for _, errors in outcomes for e in errors.values())
    finally:
        redis.stop()


def test_the_dashboard_compares_several_accounts(keyring_file: Path, cache_dir: Path) -> None:
    from smsstats_nb.dashboard import StatsDashboard

    with DemoServer(window=1.0, accounts={"news": NEWS_PSW}) as server:
        add_account("shop", login=server.login, secret=server.psw, base_url=server.url)
        add_account("news", login="news", secret=NEWS_PSW, base_url=server.url)
        add_account("broken", login="news", secret="wrong", base_url=server.url)
        started = StatsClient(server.login, server.psw, base_url=server.url, cache=cache_dir)
        served = StatsDashboard(started, today=dt.date(2024, 2, 10), served=True)  # for colleagues
        assert served.account_dropdown.layout.display == "none" and served.compare_accounts.options == ()
        dash = StatsDashboard(started, today=dt.date(2024, 2, 10))
        assert dash.compare_accounts.layout.display is None
        dash.compare_accounts.value = ("shop", "news")
        dash.fetch_button.click()
        assert dash.wait(30)
        df = dash.result
        assert df is not None and list(df.columns[:2]) == ["account", "login"] and len(df) == 8
        kpis = dash.summary_html.value
        assert kpis.count('class="smsstats-account"') == 2 and ">shop<" in kpis and ">news<" in kpis
        assert "2 accounts side by side" in dash.status.value
        assert "news/demo_shop" in dash.login_filter.options  # the filter names account and login
        dash.login_filter.value = ("news/demo_shop",)
        assert set(dash.view()["account"]) == {"news"} and len(dash.view()) == 1
        dash.compare_accounts.value = ("shop", "broken")  # one of them with a wrong password
        dash.login_filter.value = ()
        dash.fetch_button.click()
        assert dash.wait(30)
        assert set(dash.result["account"]) == {"shop"} and "Not shown: broken:" in dash.status.value
        assert "wrong" not in dash.status.value
        started.close()


def test_sync_accounts_forwards_every_sync_option(keyring_file: Path, cache_dir: Path) -> None:
    """The sync options are one list (SyncOptions): ``on_period`` reaches each account's sync
    (0.1 raised TypeError: StatsClient.__init__() got an unexpected keyword argument 'on_period')."""
    from smsstats_nb.client import SYNC_OPTIONS, StatsClient, sync_accounts

    with DemoServer(window=1.0, limit=1000, accounts={"news": NEWS_PSW}) as server:
        add_account("shop", login=server.login, secret=server.psw, base_url=server.url)
        add_account("news", login="news", secret=NEWS_PSW, base_url=server.url)
        seen: list[tuple[int, int, bool]] = []
        reports, errors = sync_accounts(
            "all",
            "2024-01-01",
            "2024-01-03",
            cache=cache_dir,
            rate_limit=(1000, 1.0),
            share=1000,
            on_period=lambda done, total, cached: seen.append((done, total, cached)),
        )
        assert errors == {} and sorted(reports) == ["news", "shop"]
        assert sorted(seen) == sorted([(d, 3, False) for d in (1, 2, 3)] * 2)
        assert server.stat_requests == 6
    import inspect

    assert {"on_period", "share", "watch", "cancel", "mycur"} <= SYNC_OPTIONS
    assert "cache" not in SYNC_OPTIONS  # a client setting, not a sync option
    assert str(inspect.signature(StatsClient.sync)).endswith("**options: 'Unpack[SyncOptions]') -> 'SyncReport'")
