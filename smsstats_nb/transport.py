"""One ``requests`` session: cache first, then local refusals and the rate limit, then retries.

Order of a request (outermost first)::

    requests-cache (CacheMixin)      a hit returns here: no quota spent, no request made
    _GuardedSession.send             auth cool-down check, quota acquire, HTTP status, decode,
                                     parse: an error or malformed body raises *here*, before
                                     the cache could store it or drop the last good entry
    HTTPAdapter + _QuotaRetry        urllib3 retries (5xx, resets, timeouts), each retry
                                     spends a quota token first

Persistent state lives in one directory (``cache``): ``http_cache.sqlite`` (requests-cache),
``ratelimit.sqlite`` (pyrate-limiter SQLite bucket, one table per login, file lock),
``state.sqlite`` (error-9 cool-downs and auth cool-downs) and ``salt`` (for the credential hash).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .errors import (
    AuthError,
    QueryError,
    RateLimitError,
    SmsStatsError,
    TransportError,
)
from .formats import parse_response
from .query import StatsQuery, moscow_today

__all__ = ["Credentials", "Transport", "default_cache_dir", "redact"]

logger = logging.getLogger(__name__)

WaitHook = Callable[[float], None]
SECRET_PARAMS = ("psw", "apikey")
_SECRET_RE = re.compile(r"((?:psw|apikey)=)[^&\s\"']*")
AUTH_COOLDOWN = 30 * 60.0
DEFAULT_MARGIN = 0.25


def redact(text: str) -> str:
    """Replace ``psw=...`` and ``apikey=...`` values in a text (URLs, log lines)."""
    return _SECRET_RE.sub(r"\1***", text)


class _RedactFilter(logging.Filter):
    """Redacts secrets from third-party DEBUG lines that print whole URLs (GET mode)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        if "psw=" in message or "apikey=" in message or "psw" in str(record.args):
            record.msg, record.args = redact(message), ()
        return True


#: Loggers of our dependencies that may print a whole URL (with GET, it holds the password).
#: Logger filters do not inherit, so each module logger gets one.
_URL_LOGGERS = (
    "requests",
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests_cache",
    "requests_cache.session",
    "requests_cache.cache_keys",
    "requests_cache.backends",
    "requests_cache.backends.base",
    "requests_cache.backends.sqlite",
    "requests_cache.backends.redis",
    "requests_cache.models.request",
    "requests_cache.models.response",
    "requests_cache.policy.actions",
    "requests_cache.policy.expiration",
)
_REDACTOR = _RedactFilter()
for _name in _URL_LOGGERS:
    logging.getLogger(_name).addFilter(_REDACTOR)


def default_cache_dir() -> Path:
    """``$SMSSTATS_CACHE_DIR`` or the user cache directory of smsstats_nb."""
    env = os.environ.get("SMSSTATS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("smsstats_nb", appauthor=False))


class Credentials:
    """Login and password, or an apikey. Never shows the secret in a repr or str."""

    __slots__ = ("_apikey", "_psw", "login")

    def __init__(self, login: str | None, psw: str | None, apikey: str | None) -> None:
        self.login = login
        self._psw = psw
        self._apikey = apikey

    @classmethod
    def resolve(cls, login: str | None, psw: str | None, apikey: str | None) -> Credentials:
        """Take arguments first, then ``SMSC_LOGIN``/``SMSC_PASSWORD``/``SMSC_APIKEY``.

        Raises:
            QueryError: no usable credentials, with how to set them.
        """
        if apikey is None and login is None and psw is None:
            apikey = os.environ.get("SMSC_APIKEY") or None
        if apikey is None:
            login = login if login is not None else os.environ.get("SMSC_LOGIN") or None
            psw = psw if psw is not None else os.environ.get("SMSC_PASSWORD") or None
        for name, value in (("login", login), ("psw", psw), ("apikey", apikey)):
            if value is not None and (not isinstance(value, str) or not value):
                raise QueryError(f"{name} must be a non-empty string")
        if apikey is not None:
            return cls(login, None, apikey)
        if login is None or psw is None:
            missing = "login" if login is None else "password"
            raise QueryError(
                f"no SMSC {missing}: pass login= and psw= (or apikey=), or set the environment "
                "variables SMSC_LOGIN and SMSC_PASSWORD (or SMSC_APIKEY)"
            )
        return cls(login, psw, None)

    @property
    def kind(self) -> str:
        """``"apikey"`` or ``"login"``."""
        return "apikey" if self._apikey is not None else "login"

    def params(self) -> dict[str, str]:
        """The wire parameters carrying the credentials."""
        if self._apikey is not None:
            return {"apikey": self._apikey}
        assert self.login is not None and self._psw is not None
        return {"login": self.login, "psw": self._psw}

    def identity(self) -> str:
        """A public name for quota and logs: the login, or a short hash of the apikey."""
        if self._apikey is not None:
            return "apikey:" + hashlib.sha256(self._apikey.encode()).hexdigest()[:12]
        return f"login:{self.login}"

    def secret_hash(self, salt: bytes) -> str:
        """A salted, slow one-way hash of the secret (derive once per client)."""
        secret = (self._apikey if self._apikey is not None else self._psw) or ""
        material = f"{self.identity()}\x00{secret}".encode()
        return hashlib.pbkdf2_hmac("sha256", material, salt, 100_000).hex()

    def __repr__(self) -> str:
        if self._apikey is not None:
            return "Credentials(apikey='***')"
        return f"Credentials(login={self.login!r}, psw='***')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("Credentials cannot be pickled")


# --------------------------------------------------------------------------------------------
# Persistent state: salt, cool-downs, rate-limit bucket
# --------------------------------------------------------------------------------------------


def _read_or_create_salt(directory: Path) -> bytes:
    path = directory / "salt"
    with contextlib.suppress(FileNotFoundError):
        data = path.read_bytes()
        if len(data) >= 16:
            return data
    tmp = directory / f".salt.{os.getpid()}.{threading.get_ident()}"
    tmp.write_bytes(os.urandom(32))
    try:
        os.link(tmp, path)  # atomic: the first writer wins, the others read its salt
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    data = path.read_bytes()
    if len(data) < 16:  # a damaged salt file: replace it (cached keys are lost, not leaked)
        path.write_bytes(os.urandom(32))
        data = path.read_bytes()
    return data


class StateStore:
    """Cool-downs that must survive restarts: error-9 cool-down per identity, auth per secret."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        for attempt in (1, 2):
            try:
                conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
                conn.execute("CREATE TABLE IF NOT EXISTS cooldown (key TEXT PRIMARY KEY, until REAL, reason TEXT)")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS periods (cred TEXT, mycur INT, balance2 INT, fmt INT, "
                    "start TEXT, end TEXT, expires REAL, PRIMARY KEY (cred, mycur, balance2, fmt, start, end))"
                )
                return conn
            except sqlite3.DatabaseError:
                if attempt == 2:
                    raise
                _set_aside(self.path)
        raise AssertionError("unreachable")

    def add_period(self, cred: str, query: StatsQuery, expires: float | None) -> None:
        """Remember that the cache holds an answer for this period (for composition)."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO periods VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    cred,
                    int(query.mycur),
                    int(query.balance2),
                    query.fmt,
                    query.start.isoformat(),
                    query.end.isoformat(),
                    expires,
                ),
            )

    def periods_within(self, cred: str, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached, unexpired periods inside the query's range with the same flags: (start, end, fmt)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT start, end, fmt FROM periods WHERE cred = ? AND mycur = ? AND balance2 = ? "
                "AND start >= ? AND end <= ? AND (expires IS NULL OR expires > ?)",
                (
                    cred,
                    int(query.mycur),
                    int(query.balance2),
                    query.start.isoformat(),
                    query.end.isoformat(),
                    time.time(),
                ),
            ).fetchall()
        return [(dt.date.fromisoformat(a), dt.date.fromisoformat(b), int(f)) for a, b, f in rows]

    def clear_periods(self) -> None:
        """Forget the period index (when the HTTP cache is cleared)."""
        with self._lock:
            self._conn.execute("DELETE FROM periods")

    def set(self, key: str, seconds: float, reason: str) -> None:
        """Start (or extend) a cool-down of ``seconds`` from now (wall clock)."""
        until = time.time() + seconds
        with self._lock:
            self._conn.execute(
                "INSERT INTO cooldown VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "until = max(until, excluded.until), reason = excluded.reason",
                (key, until, reason),
            )

    def remaining(self, key: str) -> float:
        """Seconds left in a cool-down (0 when none)."""
        with self._lock:
            row = self._conn.execute("SELECT until FROM cooldown WHERE key = ?", (key,)).fetchone()
        return max(0.0, row[0] - time.time()) if row else 0.0

    def clear(self, key: str | None = None) -> None:
        """Forget one cool-down, or all of them."""
        with self._lock:
            if key is None:
                self._conn.execute("DELETE FROM cooldown")
            else:
                self._conn.execute("DELETE FROM cooldown WHERE key = ?", (key,))

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()


class Quota:
    """A persistent sliding-window quota on a pyrate-limiter bucket, one per identity.

    ``Quota.sqlite``: pyrate-limiter's SQLite bucket in ``ratelimit.sqlite`` (one table per
    identity, guarded by a file lock), shared by every process on the machine that uses the same
    directory. ``Quota.redis``: pyrate-limiter's Redis bucket (an atomic Lua script) whose clock is
    the Redis server's, shared by every machine that uses the same Redis. ``margin`` seconds are
    added to the window so the server never sees one request too many inside its own window.
    """

    def __init__(
        self, bucket: Any, identity: str, limit: int, window: float, recent_fn: Callable[[int], list[int]]
    ) -> None:
        self._bucket = bucket
        self.identity = identity
        self.limit = limit
        self.window = window
        self._recent_fn = recent_fn
        self._local = threading.Lock()

    @classmethod
    def sqlite(cls, path: Path, identity: str, limit: int, per_seconds: float, margin: float) -> Quota:
        """A quota in a SQLite file (one machine)."""
        from pyrate_limiter import Rate, SQLiteBucket

        window = per_seconds + margin
        table = "q_" + hashlib.sha256(identity.encode()).hexdigest()[:20]
        rate = Rate(limit, round(window * 1000))
        try:
            bucket = SQLiteBucket.init_from_file([rate], table=table, db_path=str(path), use_file_lock=True)
        except sqlite3.DatabaseError:
            _set_aside(path)
            bucket = SQLiteBucket.init_from_file([rate], table=table, db_path=str(path), use_file_lock=True)

        def recent(since_ms: int) -> list[int]:
            with bucket.lock:
                rows = bucket.conn.execute(
                    f"SELECT item_timestamp FROM '{table}' WHERE item_timestamp >= ? ORDER BY item_timestamp",
                    (since_ms,),
                ).fetchall()
            return [int(r[0]) for r in rows]

        return cls(bucket, identity, limit, window, recent)

    @classmethod
    def redis(cls, connection: Any, identity: str, limit: int, per_seconds: float, margin: float) -> Quota:
        """A quota in Redis (a team: several machines), counted on the Redis server's clock."""
        from pyrate_limiter import Rate, RedisBucket

        class ServerClockRedisBucket(RedisBucket):  # type: ignore[misc]
            def now(self) -> int:
                seconds, micros = self.redis.time()  # type: ignore[misc]
                return int(seconds) * 1000 + int(micros) // 1000

        window = per_seconds + margin
        key = "smsstats:quota:" + hashlib.sha256(identity.encode()).hexdigest()[:20]
        bucket = ServerClockRedisBucket.init([Rate(limit, round(window * 1000))], connection, key)

        def recent(since_ms: int) -> list[int]:
            return [int(score) for _, score in connection.zrangebyscore(key, since_ms, "+inf", withscores=True)]

        return cls(bucket, identity, limit, window, recent)

    def now(self) -> float:
        """The bucket's clock, in epoch seconds."""
        return float(self._bucket.now()) / 1000.0

    def try_take(self) -> float:
        """Take a token; return 0 on success, else the seconds until one frees up."""
        from pyrate_limiter import RateItem

        with self._local:
            item = RateItem(self.identity, self._bucket.now())
            if self._bucket.put(item):
                return 0.0
            wait_ms = self._bucket.waiting(item)
        return max(0.05, (wait_ms if isinstance(wait_ms, int) and wait_ms > 0 else 50) / 1000.0)

    def recent(self) -> list[float]:
        """Epoch seconds of the tokens still inside the window (oldest first)."""
        since = int(self._bucket.now()) - int(self.window * 1000)
        with self._local:
            return [t / 1000.0 for t in self._recent_fn(since)]

    def fill(self) -> None:
        """Mark the window as used up now (after the server answered error 9)."""
        from pyrate_limiter import RateItem

        with self._local:
            for _ in range(self.limit):
                if not self._bucket.put(RateItem(self.identity, self._bucket.now())):
                    break

    def close(self) -> None:
        """Close the bucket's database."""
        with contextlib.suppress(Exception):
            self._bucket.close()


class RedisState:
    """The StateStore interface on Redis (team mode): cool-downs, the period index and the salt."""

    def __init__(self, connection: Any, prefix: str = "smsstats") -> None:
        self.redis = connection
        self.prefix = prefix

    def salt(self) -> bytes:
        """The shared salt (created once, atomically)."""
        key = f"{self.prefix}:salt"
        self.redis.set(key, os.urandom(32), nx=True)
        return bytes(self.redis.get(key))

    def _now(self) -> float:
        seconds, micros = self.redis.time()
        return float(seconds) + float(micros) / 1e6

    def set(self, key: str, seconds: float, reason: str) -> None:
        """Start (or extend) a cool-down of ``seconds`` from now (the Redis server's clock)."""
        name = f"{self.prefix}:cool:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        until = self._now() + seconds
        old = self.redis.get(name)
        if old is None or float(old) < until:
            self.redis.set(name, repr(until), px=max(1, int(seconds * 1000)))

    def remaining(self, key: str) -> float:
        """Seconds left in a cool-down (0 when none)."""
        name = f"{self.prefix}:cool:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        value = self.redis.get(name)
        return max(0.0, float(value) - self._now()) if value is not None else 0.0

    def clear(self, key: str | None = None) -> None:
        """Forget one cool-down, or all of them."""
        if key is None:
            for name in self.redis.scan_iter(f"{self.prefix}:cool:*"):
                self.redis.delete(name)
        else:
            self.redis.delete(f"{self.prefix}:cool:{hashlib.sha256(key.encode()).hexdigest()[:32]}")

    def add_period(self, cred: str, query: StatsQuery, expires: float | None) -> None:
        """Remember that the cache holds an answer for this period (for composition)."""
        field = (
            f"{int(query.mycur)}|{int(query.balance2)}|{query.fmt}|{query.start.isoformat()}|{query.end.isoformat()}"
        )
        self.redis.hset(f"{self.prefix}:periods:{cred}", field, "" if expires is None else repr(expires))

    def periods_within(self, cred: str, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached, unexpired periods inside the query's range with the same flags: (start, end, fmt)."""
        now = time.time()
        out = []
        for field, expires in self.redis.hgetall(f"{self.prefix}:periods:{cred}").items():
            mycur, balance2, fmt, start, end = field.decode().split("|")
            if (int(mycur), int(balance2)) != (int(query.mycur), int(query.balance2)):
                continue
            if expires and float(expires) <= now:
                continue
            a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
            if query.start <= a and b <= query.end:
                out.append((a, b, int(fmt)))
        return out

    def clear_periods(self) -> None:
        """Forget the period index (when the HTTP cache is cleared)."""
        for name in self.redis.scan_iter(f"{self.prefix}:periods:*"):
            self.redis.delete(name)

    def close(self) -> None:
        """Nothing to close: the connection belongs to the transport."""


def redact_url(url: str) -> str:
    """A Redis URL without its password, for reprs and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=f"{user}{host}{port}").geturl()


def connect_redis(url: str) -> Any:
    """A Redis client for team mode; a clear error when redis-py is missing or Redis is down."""
    try:
        import redis
    except ImportError:
        raise QueryError("cache='redis://...' needs the redis package: pip install 'smsstats_nb[team]'") from None
    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise TransportError(f"cannot reach Redis at {redact_url(url)} ({type(exc).__name__})") from None
    return client


def _set_aside(path: Path) -> Path:
    """Move a corrupt file out of the way (kept for inspection) so it can be rebuilt."""
    target = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(str(path) + suffix)
    logger.warning("set aside a corrupt state file as %s; starting a new one", target.name)
    return target


# --------------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------------


@dataclass
class _Call:
    """What one fetch needs inside ``send`` (requests cannot pass custom arguments down)."""

    query: StatsQuery
    wait: bool
    on_wait: WaitHook | None
    max_wait: float | None
    requests_sent: int = 0


@dataclass
class _Probe:
    """The two request fields the cache key reads."""

    url: str
    body: str | None


class _QuotaRetry(Retry):
    """urllib3 Retry whose every retry takes a quota token first (the server counts retries)."""

    before_retry: Callable[[], None] | None = None

    def new(self, **kw: Any) -> _QuotaRetry:
        other = super().new(**kw)
        other.before_retry = self.before_retry
        return other

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        if self.before_retry is not None:
            self.before_retry()


class _GuardedSession(requests.Session):
    """The layer under the cache: refusals, quota, status, decoding and validation."""

    transport: Transport

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        t = self.transport
        call = t._call()
        t._check_auth_cooldown()
        t._take_token(call)
        response = super().send(request, **kwargs)
        if response.status_code != 200:
            raise TransportError(f"{t.host} answered HTTP {response.status_code} (after {t.retries + 1} tries at most)")
        text = t.decode(response.content)
        try:
            frame = parse_response(text, call.query.fmt)
        except AuthError:
            t._start_auth_cooldown()
            raise
        response._smsstats_frame = frame  # type: ignore[attr-defined]
        return response


def _make_session_classes() -> tuple[type[_GuardedSession], type[_GuardedSession]]:
    from requests_cache import CacheMixin

    class _CachedGuardedSession(CacheMixin, _GuardedSession):  # type: ignore[misc]
        """requests-cache first: a hit never reaches the guard."""

    return _GuardedSession, _CachedGuardedSession


class Transport:
    """Owns one session, the persistent quota, cool-downs and (optionally) the HTTP cache."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str,
        cache_dir: Path | None,
        state_dir: Path,
        rate_limit: tuple[int, float],
        method: str,
        timeout: float,
        recent_expiry: float = 900.0,
        margin: float = DEFAULT_MARGIN,
        retries: int = 2,
        backoff: float = 0.5,
        redis_url: str | None = None,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        # a base URL may be given with the endpoint already on it (…/sys/get.php)
        self.url = self.base_url if self.base_url.endswith("get.php") else self.base_url + "/sys/get.php"
        self.host = urlsplit(self.base_url).netloc
        self.method = method
        self.timeout = timeout
        self.recent_expiry = recent_expiry
        self.retries = retries
        self.cache_dir = cache_dir
        self.state_dir = state_dir
        self.redis_url = redis_url
        self.cache_enabled = cache_dir is not None or redis_url is not None
        self.identity = f"{self.host}|{credentials.identity()}"
        limit, per = rate_limit
        self._redis: Any = None
        self.state: StateStore | RedisState
        if redis_url is not None:
            self._redis = connect_redis(redis_url)
            self.state = RedisState(self._redis)
            salt = self.state.salt()
            self.quota = Quota.redis(self._redis, self.identity, limit, per, margin)
        else:
            state_dir.mkdir(parents=True, exist_ok=True)
            salt = _read_or_create_salt(state_dir)
            self.state = StateStore(state_dir / "state.sqlite")
            self.quota = Quota.sqlite(state_dir / "ratelimit.sqlite", self.identity, limit, per, margin)
        self._secret_key = credentials.secret_hash(salt)
        self._index_key = hashlib.sha256(("index\x00" + self._secret_key).encode()).hexdigest()[:32]
        self._local = threading.local()
        self.window = per + margin
        self.session = self._build_session(retries, backoff)

    # -- construction ----------------------------------------------------------------------
    def _build_session(self, retries: int, backoff: float) -> _GuardedSession:
        plain, cached = _make_session_classes()
        session: _GuardedSession
        if self.redis_url is not None:
            session = self._open_redis_cached(cached)
        elif self.cache_dir is not None:
            session = self._open_cached(cached)
        else:
            session = plain()
        session.transport = self
        retry = _QuotaRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=None,
            backoff_factor=backoff,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        retry.before_retry = self._retry_token
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = "smsstats_nb"
        return session

    def _cached_session(self, cls: type[_GuardedSession], backend: Any) -> _GuardedSession:
        return cls(  # type: ignore[call-arg]
            backend=backend,
            allowable_methods=("GET", "POST"),
            allowable_codes=(200,),
            ignored_parameters=list(SECRET_PARAMS),
            key_fn=self._cache_key,
            expire_after=self.recent_expiry,
            stale_if_error=False,
        )

    def _open_redis_cached(self, cls: type[_GuardedSession]) -> _GuardedSession:
        from requests_cache.backends.redis import RedisCache

        return self._cached_session(cls, RedisCache(namespace="smsstats:http", connection=self._redis))

    def _open_cached(self, cls: type[_GuardedSession]) -> _GuardedSession:
        assert self.cache_dir is not None
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        path = self.cache_dir / "http_cache.sqlite"
        for attempt in (1, 2):
            try:
                from requests_cache.backends.sqlite import SQLiteCache

                backend = SQLiteCache(path, wal=True, busy_timeout=30_000)
                len(backend.responses)  # touches the file: a corrupt one fails here
                break
            except sqlite3.DatabaseError:
                if attempt == 2:
                    raise
                _set_aside(path)
        return self._cached_session(cls, backend)

    # -- cache key ---------------------------------------------------------------------------
    def _cache_key(self, request: Any, **_: Any) -> str:
        """Key = endpoint + sorted non-secret parameters + identity + salted secret hash."""
        url = urlsplit(request.url or "")
        pairs = parse_qsl(url.query, keep_blank_values=True)
        body = request.body
        if body:
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            pairs += parse_qsl(body, keep_blank_values=True)
        params = sorted((k, v) for k, v in pairs if k not in SECRET_PARAMS and k != "login")
        material = json.dumps(
            [f"{url.scheme}://{url.netloc}{url.path}", params, self.identity, self._secret_key],
            ensure_ascii=False,
        )
        return hashlib.sha256(material.encode()).hexdigest()[:40]

    # -- per-call context ------------------------------------------------------------------------
    def _call(self) -> _Call:
        call = getattr(self._local, "call", None)
        if call is None:
            raise RuntimeError("Transport.session must be used through Transport.fetch()")
        return call  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def _in_call(self, call: _Call) -> Iterator[_Call]:
        self._local.call = call
        try:
            yield call
        finally:
            self._local.call = None

    # -- guards --------------------------------------------------------------------------------
    def _auth_key(self) -> str:
        return "auth:" + self._secret_key

    def _check_auth_cooldown(self) -> None:
        left = self.state.remaining(self._auth_key())
        if left > 0:
            raise AuthError(
                2,
                "refused locally",
                hint=f"these credentials were rejected by the server; not retrying them for "
                f"{left / 60:.0f} more minutes (five failures would block this IP). Fix the "
                "password, or clear the cool-down with StatsClient.clear_cache(auth=True)",
            )

    def _start_auth_cooldown(self) -> None:
        self.state.set(self._auth_key(), AUTH_COOLDOWN, "auth")
        logger.warning("authorisation failed for %s; not retrying these credentials for 30 minutes", self.identity)

    def _take_token(self, call: _Call) -> None:
        """Wait for (or refuse) a quota token, honouring any error-9 cool-down first."""
        deadline = None if call.max_wait is None else time.monotonic() + call.max_wait
        announced = False
        while True:
            left = self.state.remaining("cool:" + self.identity)
            if left <= 0:
                left = self.quota.try_take()
                if left <= 0:
                    call.requests_sent += 1
                    return
            if not call.wait:
                raise RateLimitError(
                    9,
                    "local rate limit",
                    hint=f"{self.quota.limit} statistics requests per {self.window:.0f} s on this "
                    f"login are used up; wait {left:.1f} s",
                    retry_after=left,
                    local=True,
                )
            if deadline is not None and time.monotonic() + left > deadline:
                raise RateLimitError(
                    9,
                    "local rate limit",
                    hint=f"the wait of {left:.1f} s is longer than max_wait={call.max_wait} s",
                    retry_after=left,
                    local=True,
                )
            if not announced:
                logger.info("rate limit for %s: waiting %.1f s", self.identity, left)
                announced = True
            if call.on_wait is not None:
                call.on_wait(left)
            time.sleep(min(left, 1.0))

    def _retry_token(self) -> None:
        call = getattr(self._local, "call", None)
        if call is not None:
            self._take_token(_Call(call.query, True, call.on_wait, None))
            call.requests_sent += 1

    # -- decoding --------------------------------------------------------------------------------
    @staticmethod
    def decode(content: bytes) -> str:
        """Decode by the asked charset (utf-8), falling back to the server default windows-1251."""
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            logger.debug("answer is not utf-8; decoding as windows-1251")
            return content.decode("windows-1251", "replace")

    # -- the one call ------------------------------------------------------------------------------
    def expire_after(self, query: StatsQuery) -> float:
        """-1 (never) for periods that ended before yesterday (Moscow), else ``recent_expiry`` seconds."""
        if query.end < moscow_today() - dt.timedelta(days=1):
            return -1
        return self.recent_expiry

    def fetch(
        self,
        query: StatsQuery,
        *,
        refresh: bool = False,
        wait: bool = True,
        on_wait: WaitHook | None = None,
        max_wait: float | None = None,
        max_cooldowns: int = 2,
    ) -> tuple[Any, bool, int, dt.datetime]:
        """Answer one question: ``(DataFrame, from_cache, requests_sent, fetched_at)``.

        ``fetched_at`` is when the server gave the answer (for a cache hit, when it was stored).

        Raises:
            SmscError subclasses, ResponseFormatError, TransportError.
        """
        params = {**query.to_params(), **self.credentials.params()}
        call = _Call(query, wait, on_wait, max_wait)
        cooldowns = 0
        while True:
            try:
                with self._in_call(call):
                    response = self._send(params, query, refresh)
                break
            except RateLimitError as exc:
                if exc.local:
                    raise
                self.state.set("cool:" + self.identity, self.window, "error 9")
                self.quota.fill()
                if cooldowns >= max_cooldowns or not wait:
                    raise RateLimitError(
                        9,
                        exc.description,
                        hint=f"the server kept answering error 9 (another tool on this login?) "
                        f"after {cooldowns} cool-down(s) of {self.window:.0f} s; wait a minute",
                        retry_after=self.window,
                    ) from None
                cooldowns += 1
                logger.warning("server answered error 9; cooling down %.0f s before retry %d", self.window, cooldowns)
        frame = getattr(response, "_smsstats_frame", None)
        from_cache = bool(getattr(response, "from_cache", False))
        if frame is None:
            frame = parse_response(self.decode(response.content), query.fmt)
        if not from_cache and self.cache_enabled:
            expire = self.expire_after(query)
            self.state.add_period(self._index_key, query, None if expire < 0 else time.time() + expire)
        created = getattr(response, "created_at", None) if from_cache else None
        fetched_at = created if isinstance(created, dt.datetime) else dt.datetime.now(dt.UTC)
        if fetched_at.tzinfo is None:  # requests-cache keeps naive UTC
            fetched_at = fetched_at.replace(tzinfo=dt.UTC)
        return frame, from_cache, call.requests_sent, fetched_at

    def cached_frame(self, query: StatsQuery) -> Any | None:
        """The cached answer for exactly this question, or None; never sends a request."""
        if not self.cache_enabled:
            return None
        params = {**query.to_params(), **self.credentials.params()}
        kwargs: dict[str, Any] = {"timeout": self.timeout, "only_if_cached": True}
        kwargs["params" if self.method == "GET" else "data"] = params
        with self._in_call(_Call(query, False, None, 0.0)):
            response = self.session.request(self.method, self.url, **kwargs)
        if response.status_code != 200 or not getattr(response, "from_cache", False):
            return None
        return parse_response(self.decode(response.content), query.fmt)

    def is_cached(self, query: StatsQuery) -> bool:
        """Whether a fresh cached answer exists for exactly this question (no parsing, no request)."""
        if not self.cache_enabled:
            return False
        from urllib.parse import urlencode

        params = {**query.to_params(), **self.credentials.params()}
        if self.method == "GET":
            probe = _Probe(f"{self.url}?{urlencode(params)}", None)
        else:
            probe = _Probe(self.url, urlencode(params))
        cached = self.session.cache.get_response(self._cache_key(probe))  # type: ignore[attr-defined]
        return cached is not None and not cached.is_expired

    def cached_periods(self, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached periods inside ``query``'s range with the same flags (any fmt)."""
        if not self.cache_enabled:
            return []
        return self.state.periods_within(self._index_key, query)

    def eta(self, requests_needed: int) -> float:
        """Seconds until ``requests_needed`` more requests can all have been sent (rate limit only)."""
        if requests_needed <= 0:
            return 0.0
        now = self.quota.now()
        start = now + self.state.remaining("cool:" + self.identity)
        sent = self.quota.recent()
        limit, window = self.quota.limit, self.window
        times = list(sent)
        last = start
        for _ in range(requests_needed):
            t = start
            if len(times) >= limit:
                t = max(t, times[-limit] + window)
            times.append(t)
            last = t
        return max(0.0, last - now)

    def _send(self, params: dict[str, str], query: StatsQuery, refresh: bool) -> requests.Response:
        kwargs: dict[str, Any] = {"timeout": self.timeout}
        if self.cache_enabled:
            expire = self.expire_after(query)
            # a timedelta keeps sub-second expiry (requests-cache truncates plain numbers to int)
            kwargs["expire_after"] = -1 if expire < 0 else dt.timedelta(seconds=expire)
            kwargs["force_refresh"] = refresh
        if self.method == "GET":
            kwargs["params"] = params
        else:
            kwargs["data"] = params
        error: SmsStatsError
        try:
            return self.session.request(self.method, self.url, **kwargs)
        except SmsStatsError:
            raise
        except requests.exceptions.Timeout as exc:
            kind = "connect" if isinstance(exc, requests.exceptions.ConnectTimeout) else "read"
            error = TransportError(
                f"network timeout ({kind}) talking to {self.host} after {self.retries + 1} tries of {self.timeout:g} s"
            )
        except requests.exceptions.RetryError:
            error = TransportError(f"{self.host} kept failing after {self.retries + 1} tries")
        except requests.exceptions.ConnectionError as exc:
            reason = _root_cause(exc)
            if "Timeout" in reason:
                error = TransportError(
                    f"network timeout talking to {self.host} after {self.retries + 1} tries of {self.timeout:g} s"
                )
            else:
                error = TransportError(f"could not talk to {self.host} after {self.retries + 1} tries ({reason})")
        except requests.exceptions.RequestException as exc:
            error = TransportError(f"request to {self.host} failed ({type(exc).__name__})")
        except sqlite3.DatabaseError:
            error = SmsStatsError("the cache file is damaged; run StatsClient.clear_cache() or `smsstats cache clear`")
        # Raised outside the handler on purpose: requests' exceptions carry the URL (with GET, the
        # password), so they must not ride along as __context__.
        raise error

    # -- cache management ----------------------------------------------------------------------
    def cache_info(self) -> dict[str, Any]:
        """Where the state lives and how big the HTTP cache is."""
        info: dict[str, Any] = {
            "cache_dir": str(self.cache_dir) if self.cache_dir else None,
            "state_dir": redact_url(self.redis_url) if self.redis_url else str(self.state_dir),
            "enabled": self.cache_enabled,
            "entries": 0,
            "size_bytes": 0,
            "rate_limit": f"{self.quota.limit} per {self.window:.2f} s",
        }
        if self.redis_url is not None:
            info["redis"] = redact_url(self.redis_url)
            info["entries"] = len(self.session.cache.responses)  # type: ignore[attr-defined]
        if self.cache_dir is not None:
            cache = self.session.cache  # type: ignore[attr-defined]
            info["entries"] = len(cache.responses)
            path = self.cache_dir / "http_cache.sqlite"
            info["size_bytes"] = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
        info["auth_cooldown_s"] = round(self.state.remaining(self._auth_key()), 1)
        return info

    def clear_cache(self, *, auth: bool = False) -> int:
        """Delete every cached answer; with ``auth=True`` also forget the auth cool-down."""
        removed = 0
        if self.cache_enabled:
            cache = self.session.cache  # type: ignore[attr-defined]
            removed = len(cache.responses)
            cache.clear()
            self.state.clear_periods()
        if auth:
            self.state.clear(self._auth_key())
        return removed

    def close(self) -> None:
        """Close the session and every database."""
        self.session.close()
        self.quota.close()
        self.state.close()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                self._redis.close()


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's class name (never its text: it may hold a URL)."""
    seen = exc
    for _ in range(10):
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            break
        seen = nxt
    for _ in range(3):
        reason = getattr(seen, "reason", None)
        if isinstance(reason, BaseException):
            seen = reason
            continue
        inner = [a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)]
        if inner:
            seen = inner[-1]
            continue
        break
    return type(seen).__name__


def inspect_cache_dir(directory: Path) -> dict[str, Any]:
    """Entry count and size of the HTTP cache in ``directory``, without credentials."""
    path = directory / "http_cache.sqlite"
    info: dict[str, Any] = {"cache_dir": str(directory), "exists": path.exists(), "entries": 0, "size_bytes": 0}
    if path.exists():
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
                info["entries"] = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
        except sqlite3.DatabaseError:
            info["entries"] = None
            info["error"] = "the cache file is damaged; `smsstats cache clear` rebuilds it"
        info["size_bytes"] = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return info


def clear_cache_dir(directory: Path) -> int:
    """Delete every cached answer in ``directory`` (a damaged file is set aside); returns the count."""
    path = directory / "http_cache.sqlite"
    if not path.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            count = int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])
            conn.execute("DELETE FROM responses")
            conn.execute("DELETE FROM redirects")
            conn.commit()
    except sqlite3.DatabaseError:
        _set_aside(path)
        count = 0
    state = directory / "state.sqlite"
    if state.exists():
        with contextlib.suppress(sqlite3.DatabaseError), contextlib.closing(sqlite3.connect(state, timeout=30)) as conn:
            conn.execute("DELETE FROM periods")
            conn.commit()
    return count
