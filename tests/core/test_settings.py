"""One settings object: frozen, keyword-only, validated once; the environment read in one place."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from smsstats_nb import QueryError, StatsClient
from smsstats_nb.core._settings import DEFAULT_BASE_URL, Environment, Settings


def test_defaults_are_smscs_limit_and_a_safe_method() -> None:
    s = Settings()
    assert s.base_url == DEFAULT_BASE_URL and s.rate_limit == (3, 60.0) and s.method == "POST"
    assert (s.retries, s.backoff, s.rate_margin, s.timeout) == (2, 0.5, 0.25, 30.0)


def test_settings_are_frozen_and_keyword_only() -> None:
    s = Settings()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        s.timeout = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        Settings("https://smsc.ru")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("base_url", "ftp://x", "must start with https:// or http://"),
        ("base_url", "https://u:p@smsc.ru", "user name or password"),
        ("rate_limit", (0, 60), "max_requests must be a positive integer"),
        ("rate_limit", (3, float("inf")), "per_seconds must be a positive, finite number"),
        ("rate_limit", 3, "must be a pair"),
        ("method", "PUT", "method must be 'POST' or 'GET'"),
        ("timeout", 0, "timeout must be a positive"),
        ("timeout", float("nan"), "timeout must be a positive"),
        ("recent_expiry", -1, "recent_expiry must be a positive"),
        ("wait", "yes", "wait must be True or False"),
        ("max_wait", -1, "max_wait must be a finite number >= 0"),
        ("max_body", 0, "max_body must be a positive number of bytes"),
        ("retries", -1, "retries must be a whole number from 0 to 10"),
        ("retries", True, "retries must be a whole number"),
        ("backoff", "0.5", "backoff must be a finite number >= 0"),
        ("cache", 42, "cache must be a directory path"),
    ],
)
def test_a_bad_value_is_a_query_error_naming_it(field: str, value: object, words: str) -> None:
    with pytest.raises(QueryError, match=words):
        Settings(**{field: value})
    with pytest.raises(QueryError, match=words):  # replace() validates again
        Settings().replace(**{field: value})


def test_from_env_takes_the_base_url_and_cache_dir_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = Environment.read({"SMSC_BASE_URL": "http://127.0.0.1:9", "SMSSTATS_CACHE_DIR": str(tmp_path)})
    s = Settings.from_env(env, timeout=None, method="get")
    assert s.base_url == "http://127.0.0.1:9" and s.method == "GET" and s.timeout == 30.0
    assert Settings.from_env(env, base_url="https://smsc.kz").base_url == "https://smsc.kz"
    assert dict(s.key(env))["cache"] == ("default", str(tmp_path))
    other = Environment.read({"SMSSTATS_CACHE_DIR": str(tmp_path / "other")})
    assert s.key(env) != Settings.from_env(other, base_url="http://127.0.0.1:9", method="GET").key(other)


def test_the_environment_never_shows_its_secrets() -> None:
    env = Environment.read({"SMSC_LOGIN": "shop", "SMSC_PASSWORD": "hunter2", "SMSC_APIKEY": "k-123"})
    assert env.login == "shop" and env.psw == "hunter2" and env.has_credentials
    assert "hunter2" not in repr(env) and "k-123" not in repr(env)
    assert Environment.read({"SMSC_LOGIN": ""}).login is None  # empty is unset


def test_the_client_is_built_from_one_settings_object(tmp_path: Path) -> None:
    settings = Settings(base_url="http://127.0.0.1:9", cache=tmp_path, rate_limit=(5, 10), retries=0, backoff=0)
    with StatsClient("demo", "secret-psw", settings=settings) as client:
        assert client.settings is settings
        assert client.settings.rate_limit == (5, 10.0) and client.settings.base_url == "http://127.0.0.1:9"
        assert "rate_limit=(5, 10.0)" in repr(client) and "http://127.0.0.1:9" in repr(client)
        # the names a client once repeated still read its settings, for one release, and say so
        with pytest.warns(DeprecationWarning, match=r"client\.settings\.rate_limit"):
            assert client.rate_limit == (5, 10.0)
        with pytest.raises(AttributeError):
            client.no_such_setting  # noqa: B018 - an unknown name is still an AttributeError
        assert client.transport.settings is settings and client.transport.settings.retries == 0
        assert "secret-psw" not in repr(client) and "secret-psw" not in repr(client.settings)
    with pytest.raises(QueryError, match="settings must be"):
        StatsClient("demo", "x", settings={"timeout": 1})  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match=r"StatsClient\(login, psw, settings=settings\)"):
        StatsClient.with_settings(settings, "demo", "secret-psw").close()


def test_the_secrets_hash_is_100000_pbkdf2_rounds_unless_a_test_suite_lowers_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hashlib

    from smsstats_nb.client._transport import kdf_rounds
    from smsstats_nb.core import Credentials

    monkeypatch.delenv("SMSSTATS_KDF_ROUNDS")
    assert kdf_rounds() == 100_000  # what a user's cache keys are made with
    monkeypatch.setenv("SMSSTATS_KDF_ROUNDS", "10")
    assert kdf_rounds() == 1_000  # never fewer than a thousand
    monkeypatch.setenv("SMSSTATS_KDF_ROUNDS", "not-a-number")
    assert kdf_rounds() == 100_000
    creds = Credentials.resolve("shop", "pw", None)
    material = b"login:shop\x00pw"
    assert creds.secret_hash(b"salt") == hashlib.pbkdf2_hmac("sha256", material, b"salt", 100_000).hex()
    assert creds.secret_hash(b"salt", 1_000) != creds.secret_hash(b"salt")  # the rounds are in the hash
