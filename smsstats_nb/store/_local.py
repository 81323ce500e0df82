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
import hashlib
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..core import SYSTEM, Clock, StorageError
from ..core.i18n import N_
from ._base import Activity, StoreInfo
from ._files import (
    BUSY_TIMEOUT,
    HTTP_CACHE,
    NO_PICKLE,
    RATELIMIT,
    SERIALIZER,
    STATE,
    fast_commits,
    open_or_rebuild,
    read_or_create_salt,
    storage_error,
    storage_errors,
)
from ._frames import FrameStore
from ._local_state import LocalAlerts, LocalCooldowns, LocalLeases, LocalPeriods, StateDB
from ._logins import machine_logins
from ._quota import Quota
from ._readonly import ReadOnlyQuota, is_writable, read_only_backend, read_only_uri

if TYPE_CHECKING:
    from requests_cache.backends.base import BaseCache

__all__ = ["LocalStore"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


class LocalStore:
    """SQLite state in ``state_dir``; the HTTP cache in ``cache_dir`` (None: no HTTP cache).

    Its storages share one connection to ``state.sqlite``: ``cooldowns``, ``logins`` (the
    failed-login budget), ``periods``, ``leases`` and ``alerts``.
    """

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
        self.state = StateDB(state_dir / STATE, read_only=self.read_only, read_only_error=self.read_only_error)
        self.cooldowns = LocalCooldowns(self.state, clock)
        self.logins = machine_logins(clock)  # the IP's budget: the machine's, not this directory's
        self.periods = LocalPeriods(self.state, clock)
        self.leases = LocalLeases(self.state, clock)
        self.alerts = LocalAlerts(self.state, clock)
        self._backend: Any = None
        self._frames: FrameStore | None = None
        self._quotas: list[Quota] = []

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
            with storage_errors(self.cache_dir):  # a folder that cannot be made or entered is named
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
            "local",
            location,
            str(self.state_dir),
            self.http_cache_enabled,
            entries - legacy,
            size,
            N_("on disk"),
            legacy,
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
        return Activity(recent, self.cooldowns.active(), self.logins.failed(login_window))

    def clear(self, *, cooldowns: bool = False) -> int:
        """Delete every cached answer and the period index; ``cooldowns=True`` also ends cool-downs."""
        removed = 0
        backend = self.http_backend()
        if backend is not None:
            with storage_errors(self.cache_dir or self.state_dir):
                removed = len(backend.responses)
                backend.clear()
        self.periods.clear()
        frames = self.frame_store()
        if frames is not None:
            frames.clear()
        if cooldowns:
            self.cooldowns.clear()
            self.logins.clear()
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
        self.state.close()
        self.logins.close()
