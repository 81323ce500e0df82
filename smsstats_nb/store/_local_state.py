"""The local store's small storages, each over one shared SQLite connection (``state.sqlite``).

One class per concern, the requests-cache way (a backend is small storages on one connection):
:class:`LocalCooldowns`, :class:`LocalPeriods`
(the period index), :class:`LocalLeases` and :class:`LocalAlerts`. :class:`StateDB` owns the
connection, its thread lock and the read-only rule (a write in a read-only directory is a
:class:`StorageError` before the file is touched).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..core import Clock, StatsQuery, StorageError
from ._files import BUSY_TIMEOUT, create_state_schema, fast_commits, open_or_rebuild, storage_errors
from ._readonly import read_only_uri

__all__ = ["LocalAlerts", "LocalCooldowns", "LocalLeases", "LocalPeriods", "StateDB"]


class StateDB:
    """One SQLite state file: its connection under a thread lock, SQLite errors as StorageErrors.

    Args:
        path: the file (created with its schema unless ``read_only``).
        read_only: open it read-only (an absent file is an empty one in memory).
        read_only_error: what a write in a read-only store says.
    """

    def __init__(self, path: Path, *, read_only: bool, read_only_error: Callable[[], StorageError]) -> None:
        self.path = path
        self.read_only = read_only
        self.read_only_error = read_only_error
        self._lock = threading.Lock()
        self._conn = open_or_rebuild(path, self._connect_read_only if read_only else self._connect)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, check_same_thread=False, isolation_level=None)
        try:
            fast_commits(conn)
            create_state_schema(conn)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        if self.path.exists():
            conn = sqlite3.connect(read_only_uri(self.path), uri=True, check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a corrupt file fails here
            return conn
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        create_state_schema(conn)
        return conn

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection under the thread lock, with SQLite errors made StorageErrors."""
        with storage_errors(self.path.parent), self._lock:
            yield self._conn

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """:meth:`reading` for a write: a read-only store refuses it before touching the file."""
        if self.read_only:
            raise self.read_only_error()
        with self.reading() as db:
            yield db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """:meth:`writing` inside ``BEGIN IMMEDIATE`` … ``COMMIT`` (one writer across processes)."""
        with self.writing() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


class LocalCooldowns:
    """Keyed cool-downs (refusals and pauses) on this machine's wall clock."""

    def __init__(self, db: StateDB, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def set(self, key: str, seconds: float, reason: str) -> None:
        """Start (or extend) a cool-down of ``seconds`` from now."""
        until = self.clock.time() + seconds
        with self.db.writing() as db:
            db.execute(
                "INSERT INTO cooldown VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "until = max(until, excluded.until), reason = excluded.reason",
                (key, until, reason),
            )

    def remaining(self, key: str) -> float:
        """Seconds left in a cool-down (0 when none)."""
        with self.db.reading() as db:
            row = db.execute("SELECT until FROM cooldown WHERE key = ?", (key,)).fetchone()
        return max(0.0, row[0] - self.clock.time()) if row else 0.0

    def active(self) -> list[tuple[str, float]]:
        """The cool-downs still running: (reason, seconds left), soonest first."""
        now = self.clock.time()
        with self.db.reading() as db:
            rows = db.execute("SELECT reason, until FROM cooldown WHERE until > ? ORDER BY until", (now,)).fetchall()
        return [(str(r), float(u) - now) for r, u in rows]

    def clear(self, key: str | None = None) -> None:
        """Forget one cool-down, or all of them."""
        with self.db.writing() as db:
            if key is None:
                db.execute("DELETE FROM cooldown")
            else:
                db.execute("DELETE FROM cooldown WHERE key = ?", (key,))


class LocalPeriods:
    """Which periods the HTTP cache holds, per credential and flags (for composition)."""

    def __init__(self, db: StateDB, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def add(self, cred: str, query: StatsQuery, expires: float | None) -> None:
        """Remember that the cache holds an answer for this period."""
        row = (cred, int(query.mycur), int(query.balance2), query.fmt, query.start.isoformat(), query.end.isoformat())
        with self.db.writing() as db:
            db.execute("INSERT OR REPLACE INTO periods VALUES (?, ?, ?, ?, ?, ?, ?)", (*row, expires))

    def within(self, cred: str, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached, unexpired periods inside the query's range with the same flags: (start, end, fmt)."""
        with self.db.reading() as db:
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

    def clear(self) -> None:
        """Forget every period."""
        with self.db.reading() as db:
            db.execute("DELETE FROM periods")


class LocalLeases:
    """Named leases shared by every process using this directory."""

    def __init__(self, db: StateDB, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def acquire(self, name: str, owner: str, seconds: float) -> tuple[bool, str]:
        """Take or renew a lease: ``(True, owner)``, or ``(False, holder)``."""
        now = self.clock.time()
        with self.db.transaction() as db:
            row = db.execute("SELECT owner, until FROM leases WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False, str(row[0])
            db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (name, owner, now + seconds))
            return True, owner

    def release(self, name: str, owner: str) -> None:
        """Give a lease back if ``owner`` holds it."""
        if self.db.read_only:
            return
        with self.db.reading() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))


class LocalAlerts:
    """What was sent: claimed before sending, marked after (one transaction each)."""

    def __init__(self, db: StateDB, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def claim(self, key: str, owner: str, seconds: float) -> bool:
        """Claim an alert for sending: never two senders, never a second send."""
        now = self.clock.time()
        with self.db.transaction() as db:
            row = db.execute("SELECT owner, until, sent FROM alerts WHERE key = ?", (key,)).fetchone()
            if row is not None and (row[2] is not None or (row[0] != owner and row[1] > now)):
                return False
            db.execute("INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, NULL)", (key, owner, now + seconds))
            return True

    def done(self, key: str, owner: str) -> None:
        """Mark an alert sent."""
        with self.db.writing() as db:
            db.execute("INSERT OR REPLACE INTO alerts VALUES (?, ?, NULL, ?)", (key, owner, self.clock.time()))

    def release(self, key: str, owner: str) -> None:
        """Drop ``owner``'s claim of an alert not sent."""
        with self.db.writing() as db:
            db.execute("DELETE FROM alerts WHERE key = ? AND owner = ? AND sent IS NULL", (key, owner))

    def sent(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` were sent."""
        wanted = list(keys)
        found: set[str] = set()
        with self.db.reading() as db:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT key FROM alerts WHERE sent IS NOT NULL AND key IN ({marks})", chunk)
                found |= {str(r[0]) for r in rows}
        return found

    def mute(self, scope: str, login: str, until: str | None) -> None:
        """Hold back ``login``'s alerts (``*``: every login's) through the day ``until`` (ISO);
        None lifts the mute."""
        with self.db.writing() as db:
            if until is None:
                db.execute("DELETE FROM mutes WHERE scope = ? AND login = ?", (scope, login))
            else:
                db.execute("INSERT OR REPLACE INTO mutes VALUES (?, ?, ?)", (scope, login, until))

    def mutes(self, scope: str) -> dict[str, str]:
        """The mutes of ``scope``: login (or ``*``) -> the last day muted (ISO)."""
        with self.db.reading() as db:
            rows = db.execute("SELECT login, until FROM mutes WHERE scope = ?", (scope,)).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}
