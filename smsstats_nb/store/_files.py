"""SQLite files on disk: their failures as StorageErrors, corruption set aside, and the salt file.

Only a file SQLite reports as corrupt (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``) is set aside (renamed,
kept for inspection) and rebuilt; busy, full, read-only or missing files are never touched: they
become a :class:`~smsstats_nb.core.StorageError` that names the directory and the cause.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from ..core import StorageError, said
from ..core.i18n import N_
from ..core.i18n import gettext_ as _

__all__ = [
    "BUSY_TIMEOUT",
    "FRAMES",
    "HTTP_CACHE",
    "NO_PICKLE",
    "RATELIMIT",
    "SALT",
    "SERIALIZER",
    "STATE",
    "create_state_schema",
    "fast_commits",
    "is_corrupt",
    "open_or_rebuild",
    "read_or_create_salt",
    "storage_error",
    "storage_errors",
]

logger = logging.getLogger("smsstats_nb.store._local")

T = TypeVar("T")


#: The files of a local store, all in one directory.
HTTP_CACHE = "http_cache.sqlite"  # requests-cache's SQLite backend
STATE = "state.sqlite"  # cool-downs, the login budget, leases, the period index
RATELIMIT = "ratelimit.sqlite"  # pyrate-limiter's SQLite bucket, one table per account
FRAMES = "frames.sqlite"  # parsed answers beside the HTTP cache (rebuildable)
SALT = "salt"  # the salt of the credential hash
#: A marker file: the HTTP cache holds no answer an older version pickled (checked once).
NO_PICKLE = "no-pickle"
#: requests-cache's JSON serializer: a stored answer is data, never code (its default is pickle).
SERIALIZER = "json"

#: The state database's one schema (the writable and the read-only opening both use it).
STATE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cooldown (key TEXT PRIMARY KEY, until REAL, reason TEXT)",
    "CREATE TABLE IF NOT EXISTS logins (id TEXT PRIMARY KEY, t REAL, failed INT)",
    "CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT, until REAL)",
    "CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, owner TEXT, until REAL, sent REAL)",
    "CREATE TABLE IF NOT EXISTS mutes (scope TEXT, login TEXT, until TEXT, PRIMARY KEY (scope, login))",
    "CREATE TABLE IF NOT EXISTS periods (cred TEXT, mycur INT, balance2 INT, fmt INT, "
    "start TEXT, end TEXT, expires REAL, PRIMARY KEY (cred, mycur, balance2, fmt, start, end))",
)


def fast_commits(conn: sqlite3.Connection) -> None:
    """Write-ahead log and ``synchronous=NORMAL`` (what requests-cache uses for its own file): a
    commit no longer waits for two fsyncs (about 20 ms each here, per request and per cool-down),
    and nothing committed is lost when a process dies (``kill -9``); only an OS crash or power loss
    may roll back the last commits."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")


def create_state_schema(conn: sqlite3.Connection) -> None:
    """Create the state tables that do not exist yet."""
    for statement in STATE_SCHEMA:
        conn.execute(statement)


#: Seconds every SQLite connection here waits for another process's lock before "busy".
BUSY_TIMEOUT = 10.0
_CORRUPT = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
_CAUSES = {
    5: N_("busy: another process held its lock for more than {t:g} s"),
    6: N_("busy: another process held its lock for more than {t:g} s"),
    8: N_("read-only: the files cannot be written"),
    13: N_("the disk is full"),
    14: N_("cannot open the files (missing directory or no permission)"),
    3: N_("no permission to use the files"),
    10: N_("a disk I/O error"),
}


def is_corrupt(exc: BaseException) -> bool:
    """Whether SQLite reported the file as corrupt or not a database (and only then)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and (code & 0xFF) in _CORRUPT


def storage_error(exc: BaseException, directory: Path | str) -> StorageError:
    """The StorageError for a SQLite or OS failure in ``directory`` (no secret can be in either)."""
    code = getattr(exc, "sqlite_errorcode", None)
    # the cause in the words of the language spoken now (the CLI and the page raise inside it)
    if isinstance(code, int) and (code & 0xFF) in _CAUSES:
        cause = _(_CAUSES[code & 0xFF]).format(t=BUSY_TIMEOUT)
    elif isinstance(exc, PermissionError):
        cause = _("no permission to use it (read-only, or another user's?)")
    elif isinstance(exc, OSError) and exc.errno == 28:
        cause = _("the disk is full")
    elif isinstance(exc, OSError) and exc.errno == 30:
        cause = _("read-only file system")
    else:
        cause = type(exc).__name__
    return said(StorageError, "cannot use the smsstats state in {directory}: {cause}", directory=directory, cause=cause)


@contextlib.contextmanager
def storage_errors(directory: Path | str) -> Iterator[None]:
    """Turn sqlite3 and OS errors inside the block into one StorageError naming ``directory``."""
    error: StorageError | None = None
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        error = storage_error(exc, directory)
    if error is not None:
        raise error from None  # the driver's exception is not shown (the message says it all)


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


#: One first open of a state file at a time in this process (several clients, one per account, open
#: the same new directory at once; SQLite answers "locked" at once, without waiting, to two
#: connections switching a new file to WAL together).
_OPEN_LOCK = threading.Lock()
#: Tries (0.1 s apart) when another process is doing the same first open.
OPEN_TRIES = 50


def open_serialized(opener: Callable[[], T]) -> T:
    """Run ``opener`` under the process's open lock; a "locked" answer (another process opening
    the same new file) is tried again, 0.1 s apart, for up to five seconds."""
    for attempt in range(OPEN_TRIES):
        with _OPEN_LOCK:
            try:
                return opener()
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if ("locked" not in text and "busy" not in text) or attempt == OPEN_TRIES - 1:
                    raise
        time.sleep(0.1)
    raise AssertionError("unreachable")  # pragma: no cover


def open_or_rebuild(path: Path, opener: Callable[[], T]) -> T:
    """Run ``opener`` (:func:`open_serialized`); if SQLite says the file is corrupt, set it aside
    and run it once more. Any other failure (busy, full, read-only) is a StorageError and leaves
    the file alone."""
    with storage_errors(path.parent):
        try:
            return open_serialized(opener)
        except sqlite3.DatabaseError as exc:
            if not is_corrupt(exc):
                raise
        _set_aside(path)
        return open_serialized(opener)


def read_or_create_salt(directory: Path) -> bytes:
    path = directory / SALT
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
