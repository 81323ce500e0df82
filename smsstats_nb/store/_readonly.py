"""Read-only opening of a local store: cached answers stay readable from a directory that cannot be
written (a read-only mount, a colleague's copy), and anything that would write is a
:class:`~smsstats_nb.core.StorageError` before any request is sent.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..core import StorageError
from ._files import HTTP_CACHE, SERIALIZER, STATE
from ._quota import Quota

__all__ = ["ReadOnlyQuota", "is_writable", "read_only_backend", "read_only_uri"]


def is_writable(directory: Path) -> bool:
    """Whether ``directory`` and its existing state files can be written (a read-only mount says
    no even to root)."""
    if not directory.exists():
        return True  # it will be created (or fail with a StorageError naming why)
    if not os.access(directory, os.W_OK):
        return False
    return all(os.access(p, os.W_OK) for p in (directory / STATE, directory / HTTP_CACHE) if p.exists())


def read_only_uri(path: Path) -> str:
    """A SQLite URI that opens ``path`` without ever writing.

    A copy taken while a writer still had it open carries a write-ahead log (``-wal``, with its
    ``-shm``) holding answers not yet in the main file: then ``mode=ro``, which SQLite can read from
    a read-only place when both files exist, so those answers are served. Otherwise
    ``immutable=1`` (no journal, no lock files at all).
    """
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if wal.exists() and wal.stat().st_size > 0 and shm.exists():
        return f"file:{quote(str(path))}?mode=ro"
    return f"file:{quote(str(path))}?immutable=1"


class ReadOnlyQuota(Quota):
    """The quota of a read-only store: it reports no recent requests and refuses every token."""

    def __init__(
        self,
        bucket: Any,
        identity: str,
        limit: int,
        window: float,
        error: Callable[[], StorageError],
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(bucket, identity, limit, window, lambda since: [], now_ms=now_ms)
        self._error = error

    def check_usable(self) -> None:
        raise self._error()

    def try_take(self) -> float:
        raise self._error()

    def fill(self) -> None:
        raise self._error()


def _open_read_only(path: Path, table: str) -> sqlite3.Connection:
    """The file read-only, or an empty table in memory when there is no file yet."""
    if not path.exists():
        con = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        con.execute(f"CREATE TABLE {table} (key TEXT PRIMARY KEY, value BLOB, expires INTEGER)")
        return con
    return sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False, isolation_level=None)


def read_only_backend(path: Path, error: Callable[[], StorageError]) -> Any:
    """requests-cache's SQLite backend over ``path`` opened immutable: reads work, any write is
    ``error()`` at once (requests-cache would otherwise retry a refused write lock forever)."""
    from requests_cache.backends.base import BaseCache
    from requests_cache.backends.sqlite import SQLiteCache, SQLiteDict

    lock = threading.RLock()  # one lock for both tables, as requests-cache shares its own

    class ReadOnlyDict(SQLiteDict):  # type: ignore[misc]
        """A table of the file opened read-only: its own connection, never the library's."""

        def __init__(self, table_name: str, serializer: Any) -> None:
            self.ro_connection: sqlite3.Connection | None = None
            super().__init__(path, table_name=table_name, lock=lock, serializer=serializer)

        def init_db(self) -> None:
            pass  # nothing to create: the file is read as it is

        @contextlib.contextmanager
        def connection(self, commit: bool = False) -> Iterator[sqlite3.Connection]:
            if commit:
                raise error()
            with lock:
                if self.ro_connection is None:
                    self.ro_connection = _open_read_only(path, self.table_name)
            yield self.ro_connection

        def close(self) -> None:
            with lock:
                if self.ro_connection is not None:
                    self.ro_connection.close()
                    self.ro_connection = None

        @contextlib.contextmanager
        def bulk_commit(self) -> Iterator[None]:
            raise error()
            yield  # pragma: no cover

    class ReadOnlyCache(SQLiteCache):  # type: ignore[misc]
        def __init__(self) -> None:
            BaseCache.__init__(self, cache_name=str(path))
            self.responses = ReadOnlyDict("responses", SERIALIZER)
            self.redirects = ReadOnlyDict("redirects", None)

        def clear(self) -> None:
            raise error()

    backend = ReadOnlyCache()
    try:
        len(backend.responses)  # a corrupt or half-copied file fails here
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        raise StorageError(
            f"cannot read the cached answers in {path.parent} (read-only): the file holds no answers "
            "yet; a copy taken while it was being written needs its -wal and -shm files beside it"
        ) from None
    return backend
