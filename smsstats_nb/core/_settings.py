"""Settings: one frozen, validated object for everything a client is configured with, and the one
place that reads the environment.

:class:`Settings` (an ``attrs`` class: keyword-only, frozen, each field validated on creation)
holds every non-secret setting of a :class:`~smsstats_nb.client.StatsClient`: the server, the
cache, the rate limit, timeouts, retries. The client, the module-level registry (its key), the
dashboard's reconnect and the CLI all build or reuse one. Secrets are not settings: they live in
:class:`~smsstats_nb.core.Credentials`, so a ``Settings`` repr is always safe to show.

:class:`Environment` is the one reader of ``os.environ`` in the package (``SMSC_LOGIN``,
``SMSC_PASSWORD``, ``SMSC_APIKEY``, ``SMSC_BASE_URL``, ``SMSSTATS_CACHE_DIR``); everything else
asks it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from ._errors import QueryError, said
from ._query import finite_number

__all__ = [
    "COUNTRIES",
    "DEFAULT_BASE_URL",
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_BODY",
    "DEFAULT_RATE_LIMIT",
    "CacheSpec",
    "Environment",
    "Settings",
    "check_base_url",
    "default_cache_dir",
    "default_demo_cache_dir",
    "machine_state_dir",
]

#: The countries SMSC serves, by ISO code: the production calendar an account's traffic follows.
COUNTRIES = {"RU": "Russia", "KZ": "Kazakhstan", "UA": "Ukraine", "BY": "Belarus", "UZ": "Uzbekistan"}

CacheSpec = str | os.PathLike[str] | bool | None

DEFAULT_BASE_URL = "https://smscentre.com"
#: The service's limit: three statistics requests per 60 seconds per login.
DEFAULT_RATE_LIMIT: tuple[int, float] = (3, 60.0)
#: Seconds added to the window (several processes at once overshot by ~50 ms without it).
DEFAULT_MARGIN = 0.25
#: The largest answer accepted (bytes); a larger one is refused and not stored.
DEFAULT_MAX_BODY = 32 * 1024 * 1024


@attrs.frozen(kw_only=True)
class Environment:
    """What the environment says (read once by :meth:`read`; the secrets never shown).

    Attributes:
        login, psw, apikey: ``SMSC_LOGIN``, ``SMSC_PASSWORD``, ``SMSC_APIKEY`` (empty is None).
        base_url: ``SMSC_BASE_URL``.
        cache_dir: ``SMSSTATS_CACHE_DIR``.
        demo_cache_dir: ``SMSSTATS_DEMO_CACHE_DIR`` (the notebooks' demo cache).
        state_dir: ``SMSSTATS_STATE_DIR`` (this machine's failed-login budget, whatever the cache).
        kdf_rounds: ``SMSSTATS_KDF_ROUNDS``, the PBKDF2 rounds of the secret's hash in cache keys
            (default 100,000; a test suite lowers it, as Django's tests use a fast hasher).
        webhook_secret, smtp_user, smtp_password, smtp_from, telegram_token, telegram_api: the
            alert channels' ``SMSSTATS_WEBHOOK_SECRET``, ``SMSSTATS_SMTP_USER``,
            ``SMSSTATS_SMTP_PASSWORD``, ``SMSSTATS_SMTP_FROM``, ``SMSSTATS_TELEGRAM_TOKEN`` and
            ``SMSSTATS_TELEGRAM_API`` (the secrets never shown).
        accounts_file: ``SMSSTATS_ACCOUNTS`` (the named accounts' file).
        lang, lc_all, lc_messages, lang_locale: ``SMSSTATS_LANG``, ``LC_ALL``, ``LC_MESSAGES``,
            ``LANG`` (the language a person reads, in that order).
        query_string: ``QUERY_STRING``, the address's query Voilà hands a page's kernel
            (``?lang=ru``).
        server_software: ``SERVER_SOFTWARE`` (``voila/0.5.13`` in a Voilà page's kernel).
        dashboard_token: ``SMSSTATS_DASHBOARD_TOKEN``, the served dashboard's token (never shown).
        dashboard_password_hash: ``SMSSTATS_DASHBOARD_PASSWORD_HASH``, a Jupyter server password
            hash for the served dashboard (never shown).
        dashboard_account: ``SMSSTATS_DASHBOARD_ACCOUNT``, the named account a served page shows.
        served: ``SMSSTATS_SERVED`` is set: the page is served to colleagues
            (``smsstats dashboard --serve``), so it never asks for an SMSC password.
    """

    login: str | None = None
    psw: str | None = attrs.field(default=None, repr=False)
    apikey: str | None = attrs.field(default=None, repr=False)
    base_url: str | None = None
    cache_dir: str | None = None
    demo_cache_dir: str | None = None
    state_dir: str | None = None
    kdf_rounds: str | None = None
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    smtp_user: str | None = None
    smtp_password: str | None = attrs.field(default=None, repr=False)
    smtp_from: str | None = None
    telegram_token: str | None = attrs.field(default=None, repr=False)
    telegram_api: str | None = None
    accounts_file: str | None = None
    lang: str | None = None
    lc_all: str | None = None
    lc_messages: str | None = None
    lang_locale: str | None = None
    query_string: str | None = None
    server_software: str | None = None
    dashboard_token: str | None = attrs.field(default=None, repr=False)
    dashboard_password_hash: str | None = attrs.field(default=None, repr=False)
    dashboard_account: str | None = None
    served: bool = False

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """The current environment (or ``environ``), the package's one reader of it."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(name) or None

        return cls(
            login=get("SMSC_LOGIN"),
            psw=get("SMSC_PASSWORD"),
            apikey=get("SMSC_APIKEY"),
            base_url=get("SMSC_BASE_URL"),
            cache_dir=get("SMSSTATS_CACHE_DIR"),
            demo_cache_dir=get("SMSSTATS_DEMO_CACHE_DIR"),
            state_dir=get("SMSSTATS_STATE_DIR"),
            kdf_rounds=get("SMSSTATS_KDF_ROUNDS"),
            webhook_secret=get("SMSSTATS_WEBHOOK_SECRET"),
            smtp_user=get("SMSSTATS_SMTP_USER"),
            smtp_password=get("SMSSTATS_SMTP_PASSWORD"),
            smtp_from=get("SMSSTATS_SMTP_FROM"),
            telegram_token=get("SMSSTATS_TELEGRAM_TOKEN"),
            telegram_api=get("SMSSTATS_TELEGRAM_API"),
            accounts_file=get("SMSSTATS_ACCOUNTS"),
            lang=get("SMSSTATS_LANG"),
            lc_all=get("LC_ALL"),
            lc_messages=get("LC_MESSAGES"),
            lang_locale=get("LANG"),
            query_string=get("QUERY_STRING"),
            server_software=get("SERVER_SOFTWARE"),
            dashboard_token=get("SMSSTATS_DASHBOARD_TOKEN"),
            dashboard_password_hash=get("SMSSTATS_DASHBOARD_PASSWORD_HASH"),
            dashboard_account=get("SMSSTATS_DASHBOARD_ACCOUNT"),
            served=bool(get("SMSSTATS_SERVED")),
        )

    @staticmethod
    def hand_down(values: Mapping[str, str], drop: tuple[str, ...] = ()) -> None:
        """Set ``values`` in this process's environment and remove ``drop`` from it: what the
        processes it starts inherit (the served dashboard's kernels get ``SMSSTATS_SERVED`` and
        never its token)."""
        for name in drop:
            os.environ.pop(name, None)
        os.environ.update(values)

    @staticmethod
    def variable(name: str, environ: Mapping[str, str] | None = None) -> str | None:
        """One variable a configuration file names (a webhook URL kept out of the file); None
        when unset or empty."""
        env = os.environ if environ is None else environ
        return env.get(name) or None

    @property
    def has_credentials(self) -> bool:
        """Whether a login or an API key is set."""
        return bool(self.login or self.apikey)


def default_cache_dir(env: Environment | None = None) -> Path:
    """``$SMSSTATS_CACHE_DIR`` or the user cache directory of smsstats_nb."""
    env = env or Environment.read()
    if env.cache_dir:
        return Path(env.cache_dir).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("smsstats_nb", appauthor=False))


def _cache_repr(value: object) -> str:
    """A ``cache`` setting as a repr shows it: a Redis URL without its password."""
    from ._redaction import redact_url

    return repr(redact_url(value)) if isinstance(value, str) else repr(value)


def machine_state_dir(env: Environment | None = None) -> Path:
    """Where this machine keeps the state that is the IP's, not a cache's: the failed-login budget
    (SMSC blocks the IP after five failed logins, whichever cache directory or notebook sent
    them). ``$SMSSTATS_STATE_DIR``, else the user state directory of smsstats_nb; people who share
    a machine (and so its IP) point ``SMSSTATS_STATE_DIR`` at one folder they can all write."""
    env = env or Environment.read()
    if env.state_dir:
        return Path(env.state_dir).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("smsstats_nb", appauthor=False))


def default_demo_cache_dir(env: Environment | None = None) -> Path:
    """``$SMSSTATS_DEMO_CACHE_DIR`` or ``demo/`` in the user cache directory: the notebooks' demo
    answers, kept across kernels and apart from a real account's cache."""
    env = env or Environment.read()
    if env.demo_cache_dir:
        return Path(env.demo_cache_dir).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("smsstats_nb", appauthor=False)) / "demo"


def check_base_url(value: object) -> str:
    """Validate a base URL: http(s), a host, and no user name or password in it.

    Raises:
        QueryError: anything else (the URL is not repeated: it might hold a password).
    """
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise said(QueryError, "base_url must start with https:// or http://")
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise said(
            QueryError,
            "base_url must not carry a user name or password (user:password@host); "
            "pass login= and psw= (or set SMSC_LOGIN / SMSC_PASSWORD) instead",
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise said(QueryError, "base_url has an invalid port") from None
    if not parts.hostname:
        raise said(QueryError, "base_url has no host")
    if parts.query or parts.fragment:
        raise said(QueryError, "base_url must not have a query or fragment")
    return value.rstrip("/")


# -- validators (each raises QueryError, which is also a ValueError) ---------------------------------
def _number(name: str, value: Any, *, zero: bool = False, none: bool = False) -> float | None:
    if value is None and none:
        return None
    return finite_number(name, value, zero=zero)


def _rate_limit(value: Any) -> tuple[int, float]:
    try:
        count, per = value
    except (TypeError, ValueError):
        raise said(QueryError, "rate_limit must be a pair (max_requests, per_seconds), e.g. (3, 60)") from None
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise said(QueryError, "rate_limit max_requests must be a positive integer, not {count}", count=repr(count))
    return count, finite_number("rate_limit per_seconds", per)


def _method(value: Any) -> str:
    method = value.upper() if isinstance(value, str) else value
    if method not in ("GET", "POST"):
        raise said(QueryError, "method must be 'POST' or 'GET', not {value}", value=repr(value))
    return str(method)


def _max_body(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise said(QueryError, "max_body must be a positive number of bytes, not {value}", value=repr(value))
    return value


def _retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise said(QueryError, "retries must be a whole number from 0 to 10, not {value}", value=repr(value))
    return value


def _cache(value: Any) -> CacheSpec:
    if value is None or isinstance(value, (bool, str, os.PathLike)):
        return value  # type: ignore[no-any-return]
    raise said(
        QueryError,
        "cache must be a directory path, None (default), False or 'redis://…', not {value}",
        value=repr(value),
    )


def _wait(value: Any) -> bool:
    if not isinstance(value, bool):
        raise said(QueryError, "wait must be True or False, not {value}", value=repr(value))
    return value


def _timeout(value: Any) -> float:
    return _number("timeout", value) or 0.0


def _recent_expiry(value: Any) -> float:
    return _number("recent_expiry", value) or 0.0


def _rate_margin(value: Any) -> float:
    return _number("rate_margin", value, zero=True) or 0.0


def _service(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.:-]{0,62}", value):
        raise said(
            QueryError,
            "service must be a short lowercase name (letters, digits, . _ : -), not {value}",
            value=repr(value),
        )
    return value


def _backoff(value: Any) -> float:
    return _number("backoff", value, zero=True) or 0.0


def _max_wait(value: Any) -> float | None:
    return _number("max_wait", value, zero=True, none=True)


@attrs.frozen(kw_only=True)
class Settings:
    """Every non-secret setting of a client, validated once (``QueryError`` on a bad value).

    Attributes:
        base_url: scheme and host (``$SMSC_BASE_URL`` in :meth:`from_env`).
        cache: directory, ``None`` (the default directory), ``False`` (no HTTP cache) or
            ``"redis://host:port/db"`` (a team's Redis).
        rate_limit: ``(max_requests, per_seconds)`` for one login.
        rate_margin: seconds added to the window against network jitter.
        method: ``"POST"`` (the password never goes into a URL) or ``"GET"``.
        timeout: seconds each HTTP attempt (and the whole call) may take.
        recent_expiry: seconds before an answer for a period that includes yesterday or today expires.
        wait: wait for the rate limit (True) or refuse at once (False).
        max_wait: longest wait for the rate limit before RateLimitError (None: no bound).
        max_body: largest answer accepted, in bytes.
        retries: extra attempts after a connection failure or a 5xx (each takes a token).
        backoff: urllib3's back-off factor between those attempts, in seconds.
        service: the name of the service for the cache and the quota (None: derived from
            ``base_url``, every SMSC domain is one service). The notebooks' demo server names itself
            ``"demo"``, so its answers survive a new kernel whose demo server has another port.
    """

    base_url: str = attrs.field(default=DEFAULT_BASE_URL, converter=check_base_url)
    cache: CacheSpec = attrs.field(default=None, converter=_cache, repr=_cache_repr)
    rate_limit: tuple[int, float] = attrs.field(default=DEFAULT_RATE_LIMIT, converter=_rate_limit)
    rate_margin: float = attrs.field(default=DEFAULT_MARGIN, converter=_rate_margin)
    method: str = attrs.field(default="POST", converter=_method)
    timeout: float = attrs.field(default=30.0, converter=_timeout)
    recent_expiry: float = attrs.field(default=900.0, converter=_recent_expiry)
    wait: bool = attrs.field(default=True, converter=_wait)
    max_wait: float | None = attrs.field(default=None, converter=_max_wait)
    max_body: int = attrs.field(default=DEFAULT_MAX_BODY, converter=_max_body)
    retries: int = attrs.field(default=2, converter=_retries)
    backoff: float = attrs.field(default=0.5, converter=_backoff)
    service: str | None = attrs.field(default=None, converter=_service)

    @classmethod
    def from_env(cls, env: Environment | None = None, **values: Any) -> Settings:
        """Settings from keyword values, with ``base_url`` from ``$SMSC_BASE_URL`` when not given
        (a value of None counts as not given)."""
        env = env or Environment.read()
        given = {k: v for k, v in values.items() if v is not None or k in ("cache", "max_wait")}
        if given.get("base_url") is None:
            given["base_url"] = env.base_url or DEFAULT_BASE_URL
        return cls(**given)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed (validated again)."""
        return attrs.evolve(self, **changes)

    def key(self, env: Environment | None = None) -> tuple[Any, ...]:
        """A hashable key of these settings for registries; the default cache directory is part
        of it when ``cache`` is None (another ``$SMSSTATS_CACHE_DIR`` is another cache)."""
        cache: Any = self.cache
        if cache is None or cache is True:
            cache = ("default", str(default_cache_dir(env)))
        elif isinstance(cache, os.PathLike):
            cache = os.fspath(cache)
        values = attrs.asdict(self, recurse=False)
        values["cache"] = cache
        return tuple(sorted(values.items()))
