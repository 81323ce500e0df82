"""The local store: SQLite files in one directory, shared by every process on this machine.

``http_cache.sqlite`` (requests-cache), ``ratelimit.sqlite`` (pyrate-limiter's SQLite bucket, one
table per account, guarded by a file lock), ``state.sqlite`` (cool-downs and the period index) and
``salt``. A file that SQLite reports as corrupt is set aside (renamed, kept for inspection) and
rebuilt; a busy, full or read-only file is never touched: it becomes a :class:`StorageError` that
names the directory and the cause.

A directory that cannot be written (a read-only mount, a cache copied from a colleague without
write permission) is opened **read-only**: every cached answer stays readable, and anything that
would write (a request, which must take a token, or a cool-down) is a StorageError before any
request is sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..core import SYSTEM, Clock, StatsQuery, StorageError
from ._base import PENDING_WAIT, Activity, StoreInfo
from ._files import (
    BUSY_TIMEOUT,
    HTTP_CACHE,
    NO_PICKLE,
    RATELIMIT,
    SERIALIZER,
    STATE,
    create_state_schema,
    fast_commits,
    open_or_rebuild,
    read_or_create_salt,
    storage_error,
    storage_errors,
)
from ._frames import FrameStore
from ._quota import Quota
from ._readonly import ReadOnlyQuota, is_writable, read_only_backend, read_only_uri

if TYPE_CHECKING:
    from requests_cache.backends.base import BaseCache

__all__ = ["LocalStore"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


class LocalStore:
    """SQLite state in ``state_dir``; the HTTP cache in ``cache_dir`` (None: no HTTP cache)."""

    def __init__(self, cache_dir: Path | None, state_dir: Path, *, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self.cache_dir = cache_dir
        self.state_dir = state_dir
        self.description = str(cache_dir) if cache_dir is not None else f"no HTTP cache (state in {state_dir})"
        with storage_errors(state_dir):  # an unreadable directory is named, not a bare PermissionError
            self.read_only = not is_writable(state_dir)
        if not self.read_only:
            with storage_errors(state_dir):
                state_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.description += " (read-only: cached answers only)"
        self._lock = threading.Lock()
        self._state_path = state_dir / STATE
        if self.read_only:
            self._conn = open_or_rebuild(self._state_path, self._connect_state_read_only)
        else:
            self._conn = open_or_rebuild(self._state_path, self._connect_state)
        self._backend: Any = None
        self._frames: FrameStore | None = None
        self._quotas: list[Quota] = []

    # -- state database ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """:meth:`_db` for a write: a read-only store refuses it before touching the file."""
        if self.read_only:
            raise self.read_only_error()
        with self._db() as db:
            yield db

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """The state connection under the thread lock, with SQLite errors made StorageErrors."""
        with storage_errors(self.state_dir), self._lock:
            yield self._conn

    def _connect_state(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._state_path, timeout=BUSY_TIMEOUT, check_same_thread=False, isolation_level=None)
        try:
            fast_commits(conn)
            create_state_schema(conn)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _connect_state_read_only(self) -> sqlite3.Connection:
        if self._state_path.exists():
            conn = sqlite3.connect(read_only_uri(self._state_path), uri=True, check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a corrupt file fails here
            return conn
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        create_state_schema(conn)
        return conn

    def read_only_error(self) -> StorageError:
        """What a write in a read-only store says."""
        return StorageError(
            f"cannot use the smsstats state in {self.state_dir}: read-only (cached answers can be read; "
            "a new request needs a writable cache directory)"
        )

    # -- the protocol ---------------------------------------------------------------------------------
    @property
    def http_cache_enabled(self) -> bool:
        """Whether answers are cached."""
        return self.cache_dir is not None

    def errors(self) -> contextlib.AbstractContextManager[None]:
        """SQLite and OS failures inside the block become a StorageError naming the directory."""
        return storage_errors(self.cache_dir or self.state_dir)

    def http_backend(self) -> BaseCache | None:
        """requests-cache's SQLite backend in ``cache_dir/http_cache.sqlite`` (opened once)."""
        if self.cache_dir is None:
            return None
        if self._backend is None and self.read_only:
            with storage_errors(self.cache_dir):
                self._backend = read_only_backend(self.cache_dir / HTTP_CACHE, self.read_only_error)
        if self._backend is None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            path = self.cache_dir / HTTP_CACHE

            def open_backend() -> Any:
                from requests_cache.backends.sqlite import SQLiteCache

                backend = SQLiteCache(
                    path,
                    wal=True,
                    busy_timeout=int(BUSY_TIMEOUT * 1000),
                    timeout=BUSY_TIMEOUT,
                    serializer=SERIALIZER,
                )
                len(backend.responses)  # touches the file: a corrupt one fails here
                return backend

            self._backend = open_or_rebuild(path, open_backend)
        backend: BaseCache = self._backend
        return backend

    def frame_store(self) -> FrameStore | None:
        """Parsed answers in ``cache_dir/frames.sqlite`` (None without an HTTP cache or read-only)."""
        if self.cache_dir is None or self.read_only:
            return None
        if self._frames is None:
            self._frames = FrameStore(self.cache_dir, clock=self.clock)
        return self._frames

    def salt(self) -> bytes:
        """The salt file's bytes (created atomically by the first process)."""
        with storage_errors(self.state_dir):
            if self.read_only:
                return (self.state_dir / "salt").read_bytes()
            return read_or_create_salt(self.state_dir)

    def quota(self, identity: str, limit: int, per_seconds: float, margin: float) -> Quota:
        """A quota in ``ratelimit.sqlite``: one table per identity, a file lock across processes."""
        from pyrate_limiter import InMemoryBucket, Rate, SQLiteBucket

        path = self.state_dir / RATELIMIT
        window = per_seconds + margin
        clock = self.clock

        def now_ms() -> int:
            return int(clock.time() * 1000)

        if self.read_only:  # nothing may be sent: a token can't be recorded for the other processes
            return ReadOnlyQuota(
                InMemoryBucket([Rate(limit, round(window * 1000))]),
                identity,
                limit,
                window,
                self.read_only_error,
                now_ms=now_ms,
            )
        table = "q_" + hashlib.sha256(identity.encode()).hexdigest()[:20]
        rate = Rate(limit, round(window * 1000))

        def open_bucket() -> Any:
            bucket = SQLiteBucket.init_from_file([rate], table=table, db_path=str(path), use_file_lock=True)
            bucket.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")  # its own default is 5 s
            fast_commits(bucket.conn)
            return bucket

        bucket = open_or_rebuild(path, open_bucket)

        def recent(since_ms: int) -> list[int]:
            with bucket.lock:
                rows = bucket.conn.execute(
                    f"SELECT item_timestamp FROM '{table}' WHERE item_timestamp >= ? ORDER BY item_timestamp",
                    (since_ms,),
                ).fetchall()
            return [int(r[0]) for r in rows]

        quota = Quota(
            bucket, identity, limit, window, recent, guard=lambda: storage_errors(self.state_dir), now_ms=now_ms
        )
        self._quotas.append(quota)
        return quota

    def cooldown_set(self, key: str, seconds: float, reason: str) -> None:
        """Start (or extend) a cool-down of ``seconds`` from now (wall clock)."""
        until = self.clock.time() + seconds
        with self._writing() as db:
            db.execute(
                "INSERT INTO cooldown VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "until = max(until, excluded.until), reason = excluded.reason",
                (key, until, reason),
            )

    def cooldown_remaining(self, key: str) -> float:
        """Seconds left in a cool-down (0 when none)."""
        with self._db() as db:
            row = db.execute("SELECT until FROM cooldown WHERE key = ?", (key,)).fetchone()
        return max(0.0, row[0] - self.clock.time()) if row else 0.0

    def cooldown_clear(self, key: str | None = None) -> None:
        """Forget one cool-down, or all of them."""
        with self._writing() as db:
            if key is None:
                db.execute("DELETE FROM cooldown")
                db.execute("DELETE FROM logins")
            else:
                db.execute("DELETE FROM cooldown WHERE key = ?", (key,))

    def add_period(self, cred: str, query: StatsQuery, expires: float | None) -> None:
        """Remember that the cache holds an answer for this period (for composition)."""
        with self._writing() as db:
            db.execute(
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
        with self._db() as db:
            rows = db.execute(
                "SELECT start, end, fmt FROM periods WHERE cred = ? AND mycur = ? AND balance2 = ? "
                "AND start >= ? AND end <= ? AND (expires IS NULL OR expires > ?)",
                (
                    cred,
                    int(query.mycur),
                    int(query.balance2),
                    query.start.isoformat(),
                    query.end.isoformat(),
                    self.clock.time(),
                ),
            ).fetchall()
        return [(dt.date.fromisoformat(a), dt.date.fromisoformat(b), int(f)) for a, b, f in rows]

    def login_reserve(self, limit: int, window: float) -> tuple[str | None, float]:
        """Reserve one of ``limit`` login attempts per ``window`` seconds, shared by every process.

        Returns ``(ticket, 0)``, or ``(None, seconds until a slot frees)`` when failed and pending
        attempts already fill the window.
        """
        now = self.clock.time()
        with self._writing() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM logins WHERE t <= ?", (now - window,))
                count, oldest, failed = db.execute("SELECT count(*), min(t), sum(failed) FROM logins").fetchone()
                if count >= limit:
                    if int(failed or 0) < limit:
                        return None, PENDING_WAIT  # logins in flight, not failures: they settle soon
                    return None, max(1.0, float(oldest) + window - now)
                ticket = uuid.uuid4().hex
                db.execute("INSERT INTO logins VALUES (?, ?, 0)", (ticket, now))
                return ticket, 0.0
            finally:
                db.execute("COMMIT")

    def login_settle(self, ticket: str, *, failed: bool) -> None:
        """A reserved attempt ended: a failure stays in the window from now, anything else frees it."""
        with self._writing() as db:
            if failed:
                db.execute("UPDATE logins SET t = ?, failed = 1 WHERE id = ?", (self.clock.time(), ticket))
            else:
                db.execute("DELETE FROM logins WHERE id = ?", (ticket,))

    def lease_acquire(self, name: str, owner: str, seconds: float) -> tuple[bool, str]:
        """Take or renew a lease shared by every process using this directory."""
        now = self.clock.time()
        with self._writing() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT owner, until FROM leases WHERE name = ?", (name,)).fetchone()
                if row is not None and row[0] != owner and row[1] > now:
                    return False, str(row[0])
                db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (name, owner, now + seconds))
                return True, owner
            finally:
                db.execute("COMMIT")

    def lease_release(self, name: str, owner: str) -> None:
        """Give a lease back if ``owner`` holds it."""
        if self.read_only:
            return
        with self._db() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def alert_claim(self, key: str, owner: str, seconds: float) -> bool:
        """Claim an alert for sending (one transaction: never two senders, never a second send)."""
        now = self.clock.time()
        with self._writing() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT owner, until, sent FROM alerts WHERE key = ?", (key,)).fetchone()
                if row is not None and (row[2] is not None or (row[0] != owner and row[1] > now)):
                    return False
                db.execute("INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, NULL)", (key, owner, now + seconds))
                return True
            finally:
                db.execute("COMMIT")

    def alert_done(self, key: str, owner: str) -> None:
        """Mark an alert sent."""
        with self._writing() as db:
            db.execute("INSERT OR REPLACE INTO alerts VALUES (?, ?, NULL, ?)", (key, owner, self.clock.time()))

    def alert_release(self, key: str, owner: str) -> None:
        """Drop ``owner``'s claim of an alert not sent."""
        with self._writing() as db:
            db.execute("DELETE FROM alerts WHERE key = ? AND owner = ? AND sent IS NULL", (key, owner))

    def alerts_sent(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` were sent."""
        wanted = list(keys)
        if not wanted:
            return set()
        with self._db() as db:
            sent: set[str] = set()
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT key FROM alerts WHERE sent IS NOT NULL AND key IN ({marks})", chunk)
                sent |= {str(r[0]) for r in rows}
            return sent

    def info(self) -> StoreInfo:
        """Directory, entry count and size of the HTTP cache (through requests-cache's API)."""
        entries, size = 0, 0
        backend = self.http_backend()
        if backend is not None and self.cache_dir is not None:
            with storage_errors(self.cache_dir):
                entries = len(backend.responses)
            path = self.cache_dir / HTTP_CACHE
            size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
        location = str(self.cache_dir) if self.cache_dir is not None else str(self.state_dir)
        legacy = self.legacy_answers()
        return StoreInfo(
            "local", location, str(self.state_dir), self.http_cache_enabled, entries - legacy, size, "on disk", legacy
        )

    def legacy_answers(self) -> int:
        """Answers an older version stored with pickle (they are never read). The scan reads every
        stored answer, so once it finds none a marker file says so and later opens skip it (this
        version writes JSON only)."""
        backend = self.http_backend()
        if backend is None or self.cache_dir is None:
            return 0
        marker = self.cache_dir / NO_PICKLE
        if marker.exists():
            return 0
        responses: Any = backend.responses  # requests-cache's SQLiteDict
        with storage_errors(self.cache_dir), responses.connection() as conn:
            row = conn.execute("SELECT count(*) FROM responses WHERE substr(value, 1, 1) = X'80'").fetchone()
        if int(row[0]) == 0 and not self.read_only:
            with contextlib.suppress(OSError):  # only a speed-up: without it the next open scans again
                marker.touch()
        return int(row[0])

    def activity(self, window: float, login_window: float) -> Activity:
        """Requests in the last ``window`` seconds (all accounts), active cool-downs, failed logins."""
        now = self.clock.time()
        with self._db() as db:
            cool = db.execute("SELECT reason, until FROM cooldown WHERE until > ? ORDER BY until", (now,)).fetchall()
            failed = db.execute(
                "SELECT count(*) FROM logins WHERE failed = 1 AND t > ?", (now - login_window,)
            ).fetchone()[0]
        recent = 0
        path = self.state_dir / RATELIMIT
        if path.exists():
            with storage_errors(self.state_dir):
                conn = sqlite3.connect(read_only_uri(path) if self.read_only else str(path), uri=self.read_only)
                try:
                    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'q_%'")]
                    since = int((now - window) * 1000)
                    for table in tables:
                        query = f"SELECT count(*) FROM '{table}' WHERE item_timestamp >= ?"
                        recent += int(conn.execute(query, (since,)).fetchone()[0])
                finally:
                    conn.close()
        return Activity(recent, [(str(r), float(u) - now) for r, u in cool], int(failed))

    def clear(self, *, cooldowns: bool = False) -> int:
        """Delete every cached answer and the period index; ``cooldowns=True`` also ends cool-downs."""
        removed = 0
        backend = self.http_backend()
        if backend is not None:
            with storage_errors(self.cache_dir or self.state_dir):
                removed = len(backend.responses)
                backend.clear()
        with self._db() as db:
            db.execute("DELETE FROM periods")
        frames = self.frame_store()
        if frames is not None:
            frames.clear()
        if cooldowns:
            self.cooldown_clear()
        return removed

    def storage_error(self, exc: BaseException) -> StorageError:
        """The StorageError for a failure of the HTTP cache or state files."""
        return storage_error(exc, self.cache_dir or self.state_dir)

    def close(self) -> None:
        """Close the state database, the quota buckets and the HTTP cache."""
        for quota in self._quotas:
            quota.close()
        if self._frames is not None:
            self._frames.close()
        if self._backend is not None:
            with contextlib.suppress(Exception):
                self._backend.close()
        with self._lock:
            self._conn.close()
