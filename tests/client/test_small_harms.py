"""The small ways a line was false or raw: a keyring that cannot load or is locked, a removal that
left the secret, a secret written into the accounts file, a folder that cannot be used, a bad gzip
body, English inside a Russian line, a password in clear over SMTP, a watch of a removed account."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from smsstats_nb import QueryError, ResponseFormatError, StatsClient, StorageError
from smsstats_nb.alerts import ChannelError, EmailChannel
from smsstats_nb.cli import main
from smsstats_nb.client import add_account, load_accounts, remove_account, sync_accounts
from smsstats_nb.core import FakeClock
from smsstats_nb.demo import DemoServer

from ..alerts.test_check import Mailbox
from ..hostile import Hostile, send

pytestmark = pytest.mark.loopback


class Locked(KeyringBackend):
    """A keyring that is there and locked (a desktop session's, before it is unlocked)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


@pytest.fixture
def locked(keyring_file: Path) -> Any:
    add_account("shop", login="shop", secret="s3cret-pw")  # stored while it was unlocked
    previous = keyring.get_keyring()
    keyring.set_keyring(Locked())
    yield
    keyring.set_keyring(previous)


def test_a_locked_keyring_is_not_a_missing_secret(locked: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(QueryError, match="did not answer \\(KeyringLocked\\); unlock it") as info:
        StatsClient.from_account("shop")
    assert "store it with" not in str(info.value) and "NOT FOUND" not in str(info.value)
    assert main(["accounts", "remove", "shop"]) == 1  # the file forgets it; the keyring kept the secret
    out = capsys.readouterr()
    assert "(and its secret)" not in out.out and "its secret is still in the OS keyring (KeyringLocked)" in out.err
    assert "shop" not in load_accounts()


def test_a_keyring_that_cannot_load_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no.such.Backend")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # load it again, from the variable
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert main(["accounts", "add", "shop", "--login", "shop"]) == 2
    err = capsys.readouterr().err
    assert "the OS keyring cannot be loaded (ModuleNotFoundError)" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('env = "hunter2-the-password"', "env must name an environment variable"),
        ('apikey = "k-123"', "apikey must be true or false"),
    ],
)
def test_a_secret_written_into_the_accounts_file_is_refused_unshown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], line: str, words: str
) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(f'[shop]\nlogin = "shop"\nsecret = "env"\n{line}\n', encoding="utf-8")
    monkeypatch.setenv("SMSSTATS_ACCOUNTS", str(path))
    with pytest.raises(QueryError, match=words) as info:
        load_accounts()
    assert "hunter2" not in str(info.value) and "k-123" not in str(info.value)
    assert main(["accounts", "list"]) == 2
    shown = capsys.readouterr()
    assert "hunter2" not in shown.out + shown.err and "k-123" not in shown.out + shown.err


def test_a_folder_that_cannot_be_made_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "no-access" / "cache"
    real = Path.mkdir

    def refuse(self: Path, *args: Any, **kwargs: Any) -> None:
        if self == target:
            raise PermissionError(13, "Permission denied")
        real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    with DemoServer() as server, pytest.raises(StorageError, match="no-access/cache: no permission") as info:
        StatsClient(server.login, server.psw, base_url=server.url, cache=target).fetch("2024-01-01")
    assert "PermissionError" not in type(info.value).__name__


def test_a_body_that_does_not_decompress_is_said_so(tmp_path: Path) -> None:
    def bad_gzip(h: BaseHTTPRequestHandler, n: int) -> None:
        send(h, 200, b"\x1f\x8b\x08\x00not really gzip", {"Content-Encoding": "gzip"})

    server = Hostile(bad_gzip)
    try:
        with StatsClient("shop", "pw", base_url=server.url, cache=tmp_path / "c", timeout=5) as client:
            with pytest.raises(ResponseFormatError, match="compressed \\(gzip\\) but does not decompress"):
                client.fetch("2024-01-01")
            assert client.cache_info()["entries"] == 0  # nothing stored
        assert gzip.compress(b"x")  # the test's own gzip works: the body is what is broken
    finally:
        server.close()


def test_a_russian_line_has_no_english_inside(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with DemoServer() as dead:
        url = dead.url
    monkeypatch.setenv("SMSC_PASSWORD", "pw")
    assert (
        main(["--lang", "ru", "fetch", "--start", "2024-01-01", "--login", "shop", "--base-url", url, "--no-cache"])
        == 7
    )
    err = capsys.readouterr().err
    assert "не удалось связаться с" in err and "could not talk" not in err and "tries" not in err


def test_smtp_never_sends_a_password_in_clear_unless_asked() -> None:
    with Mailbox() as box:  # no STARTTLS offered
        channel = EmailChannel(["ops@example.com"], box.url, user="mailer", password="smtp-s3cret")
        with pytest.raises(ChannelError, match="no STARTTLS, so the login would go in clear text") as info:
            channel.send({}, "text", "subject")
        assert "smtp-s3cret" not in str(info.value) and box.messages == []
        plain = EmailChannel(["ops@example.com"], box.url.replace("smtp://", "smtp+plain://"))
        plain.send({}, "text", "subject")  # no login: nothing secret in clear
        assert len(box.messages) == 1


def test_a_watch_stops_syncing_an_account_removed_from_the_file(keyring_file: Path) -> None:
    clock = FakeClock()  # the watch's waits pass at once
    with DemoServer(window=1.0, limit=100, accounts={"news": "news-pw"}, clock=clock) as server:
        add_account("shop", login=server.login, secret=server.psw, base_url=server.url)
        add_account("news", login="news", secret="news-pw", base_url=server.url)
        stopped: list[str] = []
        cancel = threading.Event()

        def build(account: Any) -> StatsClient:
            return StatsClient.from_account(account, clock=clock, rate_limit=(100, 1.0))

        def run() -> None:
            sync_accounts(
                "all", "2024-01-01", "2024-01-02", share=2, watch=True, interval=60, cancel=cancel,
                client=build, on_report=lambda name, report: stopped.append(name),
            )  # fmt: skip

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        deadline = time.monotonic() + 20
        while server.stat_requests < 4 and time.monotonic() < deadline:  # both accounts' days synced
            time.sleep(0.02)
        remove_account("news")
        while "news" not in stopped and time.monotonic() < deadline:
            time.sleep(0.02)
        assert stopped == ["news"]  # its watch ended; the other account's goes on
        cancel.set()
        worker.join(10)
        assert stopped == ["news", "shop"] and not worker.is_alive()
