"""``smsstats accounts add|list|remove`` and ``--account`` / ``--all-accounts`` in the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsstats_nb.cli._main import main
from smsstats_nb.demo import DemoServer

pytestmark = [pytest.mark.realtime, pytest.mark.loopback]  # the CLI builds its clients on the real clock

NEWS_PSW = "news-secret-password"


@pytest.fixture
def two() -> Iterator[DemoServer]:
    with DemoServer(window=1.0, accounts={"news": NEWS_PSW}) as srv:
        yield srv


def _add(
    monkeypatch: pytest.MonkeyPatch, name: str, login: str, secret: str, url: str, *extra: str, check: bool = False
) -> int:
    """``accounts add`` with the secret typed twice; unchecked unless ``check`` (these tests count
    the server's requests; the check has its own test)."""
    monkeypatch.setattr("getpass.getpass", lambda prompt="": secret)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    return main(
        ["accounts", "add", name, "--login", login, "--base-url", url, *extra, *([] if check else ["--no-check"])]
    )


def test_add_list_remove_and_no_secret_shown(
    keyring_file: Path, two: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(monkeypatch, "shop", two.login, two.psw, two.url) == 0
    assert _add(monkeypatch, "news", "news", NEWS_PSW, two.url) == 0
    added = capsys.readouterr().out
    assert "added shop: password in the OS keyring" in added and "holds no secret" in added
    assert main(["accounts", "list"]) == 0
    listed = capsys.readouterr().out
    assert "shop: login demo at http://127.0.0.1:" in listed and listed.count(": found") == 2
    for text in (added, listed, Path(os.environ["SMSSTATS_ACCOUNTS"]).read_text(encoding="utf-8")):
        assert two.psw not in text and NEWS_PSW not in text
    assert main(["accounts", "remove", "news"]) == 0 and "removed news" in capsys.readouterr().out
    assert main(["accounts", "list"]) == 0 and "news" not in capsys.readouterr().out


def test_without_a_keyring_one_line_says_how_to_use_a_variable(
    two: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(monkeypatch, "shop", two.login, two.psw, two.url) == 2  # the tests' default: no keyring
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no OS keyring" in err[0] and "--env VARIABLE" in err[0]
    assert main(["accounts", "add", "shop", "--login", two.login, "--base-url", two.url, "--env", "SHOP_PSW"]) == 0
    monkeypatch.setenv("SHOP_PSW", two.psw)
    assert main(["fetch", "--account", "shop", "--start", "2024-01-01", "--end", "2024-01-31"]) == 0
    out = capsys.readouterr().out
    assert "demo_shop" in out and "account" not in out.splitlines()[1]  # one account: the usual table


def test_all_accounts_one_table_and_a_failed_account_reported(
    keyring_file: Path, two: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _add(monkeypatch, "shop", two.login, two.psw, two.url)
    _add(monkeypatch, "news", "news", "wrong", two.url)  # stored unchecked (offline)
    capsys.readouterr()
    code = main(["fetch", "--all-accounts", "--start", "2024-01-01", "--end", "2024-01-31"])
    out = capsys.readouterr()
    assert code == 3  # an authorisation error, for one account
    assert "account news: SMSC error 2" in out.err and "wrong" not in out.err
    table = out.out.splitlines()
    assert table[1].split()[0] == "account" and sum(line.split()[0] == "shop" for line in table[2:]) == 4


def test_all_accounts_to_a_file_nothing_when_all_failed_and_partial_when_some_did(
    keyring_file: Path,
    two: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _add(monkeypatch, "shop", two.login, "wrong-too", two.url)
    _add(monkeypatch, "news", "news", "wrong", two.url)
    target = tmp_path / "stats.csv"
    target.write_text("a good file from yesterday\n")
    args = ["fetch", "--all-accounts", "--start", "2024-01-01", "--end", "2024-01-31", "--output", str(target)]
    capsys.readouterr()
    assert main(args) == 3
    err = capsys.readouterr().err
    assert "every account failed, so" in err and "statistics None" not in err and "wrote" not in err
    assert target.read_text() == "a good file from yesterday\n"  # not replaced by a header-only file
    _add(monkeypatch, "shop", two.login, two.psw, two.url)  # one account fixed: a partial answer
    capsys.readouterr()
    xlsx = tmp_path / "stats.xlsx"
    assert main([*args[:-1], str(xlsx)]) == 3
    err = capsys.readouterr().err
    partial = tmp_path / "stats.partial.xlsx"
    assert not xlsx.exists() and partial.exists() and "stats.partial.xlsx" in err
    from smsstats_nb.output import read_export

    written = read_export(partial)
    assert written.attrs["partial"] is True and written.attrs["missing_accounts"] == "news"
    assert set(written["account"]) == {"shop"}


def test_sync_all_accounts_side_by_side(
    keyring_file: Path, two: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _add(monkeypatch, "shop", two.login, two.psw, two.url)
    _add(monkeypatch, "news", "news", NEWS_PSW, two.url)
    capsys.readouterr()
    args = ["sync", "--all-accounts", "--since", "2024-01-01", "--end", "2024-01-03", "--once", "--share", "3"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "shop: " in out and "news: " in out and two.stat_requests == 6
    assert main(args) == 0 and two.stat_requests == 6  # both cached: nothing asked twice


def test_alerts_for_every_account_say_whose(
    keyring_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from smsstats_nb import StatsClient
    from smsstats_nb.demo import WebhookReceiver

    cache = tmp_path / "cache"
    with DemoServer(window=1.0, limit=1000, accounts={"news": NEWS_PSW}) as server, WebhookReceiver() as hook:
        for login, psw in ((server.login, server.psw), ("news", NEWS_PSW)):  # both accounts' days, cached first
            with StatsClient(login, psw, base_url=server.url, cache=cache, rate_limit=(1000, 1.0)) as c:
                c.fetch_series("2024-03-04", "2024-06-30", "D", progress=False)
        _add(monkeypatch, "shop", server.login, server.psw, server.url)
        _add(monkeypatch, "news", "news", NEWS_PSW, server.url)
        capsys.readouterr()
        asked = server.stat_requests
        args = ["alerts", "check", "--all-accounts", "--since", "2024-04-01", "--end", "2024-06-30"]
        assert main([*args, "--webhook", hook.url, "--cache-dir", str(cache)]) == 0
        out = capsys.readouterr().out
        assert "shop: 3 incidents" in out and "news: 3 incidents" in out
        posted = sorted((a["account"], a["kind"]) for a in hook.alerts())
        assert posted == sorted([(a, k) for a in ("shop", "news") for k in ("spike", "spike", "silent")])
        assert len(hook.received) == 2  # a digest per account
        for digest in hook.received:
            (account,) = {a["account"] for a in digest["json"]["alerts"]}
            assert all(line.startswith(f"[{account}] ") for line in digest["json"]["text"].splitlines())
        assert main([*args, "--webhook", hook.url, "--cache-dir", str(cache)]) == 0 and len(hook.received) == 2
        assert server.stat_requests == asked  # all from the cache


def test_add_asks_twice_checks_with_one_request_and_never_stores_a_wrong_password(
    keyring_file: Path, two: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter(["first-try", "typo"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert main(["accounts", "add", "shop", "--login", two.login, "--base-url", two.url]) == 2
    assert "the two entries differ; nothing was stored" in capsys.readouterr().err and two.stat_requests == 0
    assert _add(monkeypatch, "news", "news", "wrong-password", two.url, check=True) == 2
    said = capsys.readouterr()
    assert "SMSC refused this password (error 2); nothing was stored" in said.err and "wrong-password" not in said.err
    assert two.stat_requests == 1  # one request, the check
    assert main(["accounts", "list"]) == 0 and "news" not in capsys.readouterr().out  # never stored
    assert _add(monkeypatch, "shop", two.login, two.psw, two.url, check=True) == 0
    assert "checked with one request: SMSC accepts it" in capsys.readouterr().out and two.stat_requests == 2
