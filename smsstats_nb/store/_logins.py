"""The failed-login budget: the machine's (the IP's), never a cache directory's.

SMSC blocks every service on an IP for 30 minutes after five failed logins. So every attempt that
may carry a login reserves a place in a window shared by everything on this machine that asks the
same service, whatever the credentials, the cache directory or the notebook: a file in the
machine's state directory (:func:`~smsstats_nb.core.machine_state_dir`). A team on Redis keeps it
there too, and in Redis (a restart of a Redis without persistence cannot lose the machine's half).

An attempt settles as ``ok`` (the server answered and did not refuse the secret: its place is
free), ``failed`` (error 2 or 4: it stays in the window) or ``unknown`` (no answer came: a timeout,
a connection that broke after the request left). An unknown attempt counts as a failure until the
same secret gets an answer, which proves it was right then too.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any, Literal

from ..core import SYSTEM, Clock, StorageError, machine_state_dir
from ._base import PENDING_WAIT
from ._files import BUSY_TIMEOUT, fast_commits, open_or_rebuild, storage_errors
from ._redis_state import RedisPart, server_time, text, translated

__all__ = ["LOGINS_FILE", "MachineLogins", "Outcome", "RedisLogins", "TeamLogins", "machine_logins"]

#: What became of an attempt.
Outcome = Literal["ok", "failed", "unknown"]
#: The machine's budget file, in :func:`~smsstats_nb.core.machine_state_dir`.
LOGINS_FILE = "logins.sqlite"
_STATE = {"failed": 1, "unknown": 2}
_SEP = "\x1f"


def _ticket(scope: str, secret: str) -> str:
    return _SEP.join((scope, secret, uuid.uuid4().hex))


class MachineLogins:
    """The budget in one SQLite file of this machine (every process, every cache directory)."""

    def __init__(self, directory: Path, *, clock: Clock = SYSTEM) -> None:
        self.directory, self.clock = directory, clock
        self.path = directory / LOGINS_FILE
        self._lock = threading.Lock()
        with storage_errors(directory):
            directory.mkdir(parents=True, exist_ok=True)
        self._conn = open_or_rebuild(self.path, self._connect)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, check_same_thread=False, isolation_level=None)
        try:
            fast_commits(conn)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS attempts (id TEXT PRIMARY KEY, scope TEXT NOT NULL, "
                "secret TEXT NOT NULL, t REAL NOT NULL, state INTEGER NOT NULL DEFAULT 0)"
            )
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _run(self, work: Any) -> Any:
        with storage_errors(self.directory), self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                return work(self._conn)
            finally:
                self._conn.execute("COMMIT")

    def reserve(self, limit: int, window: float, *, scope: str, secret: str) -> tuple[str | None, float]:
        """One of ``limit`` places per ``window`` seconds for ``scope`` (the service): ``(ticket, 0)``,
        :data:`PENDING_WAIT` while attempts in flight fill it, else the seconds until one frees."""
        now = self.clock.time()

        def work(db: sqlite3.Connection) -> tuple[str | None, float]:
            db.execute("DELETE FROM attempts WHERE t <= ?", (now - window,))
            rows = db.execute("SELECT t, state FROM attempts WHERE scope = ? ORDER BY t", (scope,)).fetchall()
            if len(rows) >= limit:
                spent = [t for t, state in rows if state]
                if len(spent) < limit:
                    return None, PENDING_WAIT  # attempts in flight, not failures: they settle soon
                return None, max(1.0, float(spent[0]) + window - now)
            ticket = _ticket(scope, secret)
            db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, 0)", (ticket, scope, secret, now))
            return ticket, 0.0

        result: tuple[str | None, float] = self._run(work)
        return result

    def settle(self, ticket: str, outcome: Outcome) -> None:
        """``ok`` frees the place (and forgives this secret's unknown attempts); ``failed`` and
        ``unknown`` keep it in the window from now."""
        now = self.clock.time()
        scope, secret, _ = ticket.split(_SEP)

        def work(db: sqlite3.Connection) -> None:
            if outcome == "ok":
                db.execute("DELETE FROM attempts WHERE id = ?", (ticket,))
                db.execute("DELETE FROM attempts WHERE scope = ? AND secret = ? AND state = 2", (scope, secret))
            else:
                db.execute("UPDATE attempts SET t = ?, state = ? WHERE id = ?", (now, _STATE[outcome], ticket))

        self._run(work)

    def failed(self, window: float) -> int:
        """Attempts that failed, or whose answer never came, in the last ``window`` seconds."""
        since = self.clock.time() - window
        query = "SELECT count(*) FROM attempts WHERE state > 0 AND t > ?"
        return int(self._run(lambda db: db.execute(query, (since,)).fetchone()[0]))

    def clear(self) -> None:
        """Forget every attempt (``cache clear --cooldowns``: the person says the password is fixed)."""
        self._run(lambda db: db.execute("DELETE FROM attempts"))

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._conn.close()


def machine_logins(clock: Clock = SYSTEM) -> MachineLogins:
    """This machine's budget (:func:`~smsstats_nb.core.machine_state_dir`)."""
    return MachineLogins(machine_state_dir(), clock=clock)


class RedisLogins(RedisPart):
    """The team's budget: one sorted set per service, on the Redis server's clock. Members are
    ``p:`` (in flight), ``f:`` (failed) or ``u:`` (no answer) followed by ``secret:uuid``."""

    def _key(self, scope: str) -> str:
        return f"{self.prefix}:logins:{scope}"

    @translated
    def reserve(self, limit: int, window: float, *, scope: str, secret: str) -> tuple[str | None, float]:
        """As :meth:`MachineLogins.reserve`, for the whole team."""
        ticket = _ticket(scope, secret)
        member = ticket.split(_SEP, 1)[1].replace(_SEP, ":")
        answer = text(self.redis.eval(_RESERVE, 1, self._key(scope), limit, window, "p:" + member))
        if answer == "ok":
            return ticket, 0.0
        if answer == "pending":
            return None, PENDING_WAIT
        return None, max(1.0, float(answer))

    @translated
    def settle(self, ticket: str, outcome: Outcome) -> None:
        """As :meth:`MachineLogins.settle`."""
        scope, secret, tail = ticket.split(_SEP)
        self.redis.eval(_SETTLE, 1, self._key(scope), f"{secret}:{tail}", outcome, secret)

    @translated
    def failed(self, window: float) -> int:
        """Attempts that failed, or whose answer never came, in the last ``window`` seconds."""
        since = server_time(self.redis) - window
        count = 0
        for key in self.redis.scan_iter(f"{self.prefix}:logins*"):
            if self.redis.type(key) in (b"zset", "zset"):
                members = self.redis.zrangebyscore(key, since, "+inf")
                count += sum(1 for m in members if not text(m).startswith("p:"))
        return count

    @translated
    def clear(self) -> None:
        """Forget every attempt."""
        for key in self.redis.scan_iter(f"{self.prefix}:logins*"):
            self.redis.delete(key)


class TeamLogins:
    """A team's budget: this machine's file and the team's Redis, both asked, both settled."""

    def __init__(self, team: RedisLogins, machine: MachineLogins) -> None:
        self.team, self.machine = team, machine

    def reserve(self, limit: int, window: float, *, scope: str, secret: str) -> tuple[str | None, float]:
        """A place in both, or the longer wait of the one that refuses."""
        mine, wait = self.machine.reserve(limit, window, scope=scope, secret=secret)
        if mine is None:
            return None, wait
        try:
            theirs, wait = self.team.reserve(limit, window, scope=scope, secret=secret)
        except StorageError:
            self.machine.settle(mine, "ok")
            raise
        if theirs is None:
            self.machine.settle(mine, "ok")
            return None, wait
        return mine + "\x1e" + theirs, 0.0

    def settle(self, ticket: str, outcome: Outcome) -> None:
        """Settle both places."""
        mine, theirs = ticket.split("\x1e")
        self.machine.settle(mine, outcome)
        self.team.settle(theirs, outcome)

    def failed(self, window: float) -> int:
        """The larger count of the two."""
        return max(self.machine.failed(window), self.team.failed(window))

    def clear(self) -> None:
        """Forget every attempt in both."""
        self.machine.clear()
        self.team.clear()

    def close(self) -> None:
        """Close this machine's file (the Redis connection is the store's)."""
        self.machine.close()


# Atomic "reserve one of LIMIT places per WINDOW seconds" on the Redis server's clock.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
if #members >= limit then
  local spent = 0
  local oldest = nil
  for _, m in ipairs(members) do
    if string.sub(m, 1, 2) ~= 'p:' then
      spent = spent + 1
      local score = tonumber(redis.call('ZSCORE', KEYS[1], m))
      if oldest == nil or score < oldest then oldest = score end
    end
  end
  if spent < limit then return 'pending' end
  return tostring(oldest + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 60)
return 'ok'
"""
#: Settle ``p:ARGV[1]``: failed -> ``f:``, unknown -> ``u:`` (from now); ok -> gone, and the
#: secret ARGV[3]'s ``u:`` attempts forgiven.
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local held = redis.call('ZREM', KEYS[1], 'p:' .. ARGV[1])
if ARGV[2] == 'ok' then
  local prefix = 'u:' .. ARGV[3] .. ':'
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(m, 1, #prefix) == prefix then redis.call('ZREM', KEYS[1], m) end
  end
elseif held == 1 then
  local mark = 'f:'
  if ARGV[2] == 'unknown' then mark = 'u:' end
  redis.call('ZADD', KEYS[1], now, mark .. ARGV[1])
end
return 1
"""
