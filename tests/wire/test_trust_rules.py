"""The trust rules as pure functions, on a frozen clock: expiry, identity, Retry-After, input bounds."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from smsstats_nb import QueryError, StatsClient, StorageError
from smsstats_nb.client._series import series_queries
from smsstats_nb.core._credentials import service_name
from smsstats_nb.core._query import coerce_date, make_query, moscow_today
from smsstats_nb.core._settings import check_base_url
from smsstats_nb.store._files import is_corrupt, storage_error
from smsstats_nb.wire._adapter import retry_after_seconds
from smsstats_nb.wire._cache_policy import NEVER, expire_after

UTC = dt.UTC


@pytest.mark.parametrize(
    ("utc", "moscow"),
    [
        (dt.datetime(2024, 1, 3, 20, 59, tzinfo=UTC), dt.date(2024, 1, 3)),  # 23:59 MSK
        (dt.datetime(2024, 1, 3, 21, 1, tzinfo=UTC), dt.date(2024, 1, 4)),  # 00:01 MSK
    ],
)
def test_moscow_today_turns_at_moscow_midnight(utc: dt.datetime, moscow: dt.date) -> None:
    assert moscow_today(utc) == moscow


def test_expiry_on_both_sides_of_moscow_midnight() -> None:
    before = moscow_today(dt.datetime(2024, 1, 3, 20, 59, tzinfo=UTC))  # 23:59 on 3 Jan in Moscow
    after = moscow_today(dt.datetime(2024, 1, 3, 21, 1, tzinfo=UTC))  # 00:01 on 4 Jan
    jan2 = make_query("2024-01-02")
    assert expire_after(jan2, 900, today=before) == 900  # yesterday is still open
    assert expire_after(jan2, 900, today=after) == NEVER  # the day before yesterday is closed
    assert expire_after(make_query("2024-01-01", "2024-01-03"), 900, today=after) == 900
    assert expire_after(make_query("2023-12-01", "2023-12-31"), 900, today=before) == NEVER


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://127.0.0.1:8765", "http://localhost:8765/"),
        ("https://smsc.ru", "https://smscentre.com"),
        ("https://www2.smsc.ru", "https://SMSC.RU"),
        ("https://www2.smscentre.com/sys/get.php", "https://smscentre.com:443"),
    ],
)
def test_one_service_has_one_name(a: str, b: str) -> None:
    assert service_name(a) == service_name(b)


def test_different_services_keep_different_names() -> None:
    assert service_name("http://127.0.0.1:8765") != service_name("http://127.0.0.1:8766")
    assert service_name("https://example.org") != service_name("https://smsc.ru")


@pytest.mark.parametrize("url", ["https://alex:s3cret@smsc.ru", "https://alex@smsc.ru", "https://:s3cret@smsc.ru"])
def test_a_base_url_with_credentials_is_refused_without_echo(url: str) -> None:
    with pytest.raises(QueryError, match="user name or password") as info:
        check_base_url(url)
    assert "s3cret" not in str(info.value) and "alex" not in str(info.value)
    with pytest.raises(QueryError) as info:
        StatsClient("demo", "pw", base_url=url, cache=False)
    assert "s3cret" not in str(info.value)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now=now) == 7.0
    assert retry_after_seconds("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == pytest.approx(30.0)
    assert retry_after_seconds("99999", now=now) == 3600.0
    assert retry_after_seconds("soon", now=now) is None and retry_after_seconds(None) is None


@pytest.mark.parametrize("value", [dt.date(1, 1, 1), "01.01.1999", dt.date(9999, 12, 31), "2100-01-01"])
def test_dates_outside_the_service_are_refused(value: object) -> None:
    with pytest.raises(QueryError, match="outside"):
        coerce_date(value)  # type: ignore[arg-type]


def test_a_series_up_to_year_9999_is_refused_before_any_request() -> None:
    with pytest.raises(QueryError):
        series_queries("2024-01-01", dt.date(9999, 12, 31), "MS")


def test_an_aware_datetime_is_the_moscow_date() -> None:
    late_utc = dt.datetime(2024, 1, 31, 22, 30, tzinfo=UTC)  # 01:30 on 1 Feb in Moscow
    assert coerce_date(late_utc) == dt.date(2024, 2, 1)
    assert coerce_date(dt.datetime(2024, 1, 31, 22, 30)) == dt.date(2024, 1, 31)  # naive: as given


@pytest.mark.parametrize(
    "kwargs",
    [
        {"recent_expiry": 0},
        {"recent_expiry": -5},
        {"recent_expiry": "15 min"},
        {"timeout": float("inf")},
        {"timeout": float("nan")},
        {"rate_limit": (3, float("inf"))},
        {"max_wait": -1},
        {"max_body": 0},
    ],
)
def test_bad_settings_are_query_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(QueryError):
        StatsClient("demo", "pw", cache=False, **kwargs)  # type: ignore[arg-type]


def _sqlite_error(code: int) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("x")
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(("code", "words"), [(5, "busy"), (6, "busy"), (8, "read-only"), (13, "disk is full")])
def test_busy_full_and_read_only_are_clear_errors_never_corruption(code: int, words: str) -> None:
    exc = _sqlite_error(code)
    assert not is_corrupt(exc)
    err = storage_error(exc, "/tmp/cache-dir")
    assert isinstance(err, StorageError) and words in str(err) and "/tmp/cache-dir" in str(err)


def test_only_corrupt_and_not_a_database_are_corruption() -> None:
    assert is_corrupt(_sqlite_error(11)) and is_corrupt(_sqlite_error(26)) and is_corrupt(_sqlite_error(267))
    assert not is_corrupt(sqlite3.DatabaseError("no code"))


def test_an_unreadable_cache_directory_is_a_storage_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smsstats_nb.store import open_store

    locked = tmp_path / "locked-cache"
    locked.mkdir()
    real_exists = Path.exists

    def exists(self: Path, *args: object, **kwargs: object) -> bool:
        if self.parent == locked or self == locked / "salt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", exists)  # what a directory without search permission does
    with pytest.raises(StorageError, match="locked-cache") as info:
        open_store(locked)
    assert "no permission" in str(info.value)
