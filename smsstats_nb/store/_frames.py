"""Parsed answers beside the HTTP cache, so re-opening a large history never re-parses it.

The HTTP cache stays the source of truth: an answer enters this store only when it is also in
the HTTP cache (with the same expiry), ``clear()`` empties both, and a lost or damaged file here
is simply rebuilt from the HTTP cache as answers are read again. Entries are keyed by a hash of
the credential's index key and the question, so they are per credential and hold no secret:
only the columns of the frame (logins and currencies as NUL-joined text, numbers as raw arrays),
behind a JSON header: no pickle, so nothing read from it can execute code.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import SYSTEM, Clock
from ._files import FRAMES, is_corrupt

__all__ = ["FrameStore", "Pieces", "pack", "unpack"]

_VERSION = 3
_MAGIC = b"SMF3"


@dataclass(frozen=True)
class Pieces:
    """The columns of one cached answer, sorted by login (cheap to concatenate)."""

    logins: list[str]
    sms: np.ndarray
    credit: np.ndarray
    debit: np.ndarray
    currencies: np.ndarray  # objects; the few distinct currency strings are shared, not repeated
    fetched_at: str

    def __len__(self) -> int:
        return len(self.logins)


def pack(frame: pd.DataFrame, fetched_at: str) -> bytes | None:
    """The bytes stored for ``frame`` (sorted by login), or None when it cannot be packed safely."""
    ordered = frame.sort_values("login", kind="stable") if not frame["login"].is_monotonic_increasing else frame
    logins = [str(x) for x in ordered["login"].tolist()]
    currencies = [str(x) for x in ordered["currency"].tolist()]
    if any("\x00" in x for x in logins):
        return None
    distinct = sorted(set(currencies))
    if any("\x00" in x for x in distinct) or len(distinct) > 60000:
        return None
    code_of = {c: i for i, c in enumerate(distinct)}
    try:
        segments = [
            "\x00".join(logins).encode("utf-8"),
            "\x00".join(distinct).encode("utf-8"),
            np.array([code_of[c] for c in currencies], dtype="<u2").tobytes(),
            np.ascontiguousarray(ordered["sms"].to_numpy(dtype="<i8")).tobytes(),
            np.ascontiguousarray(ordered["credit"].to_numpy(dtype="<f8")).tobytes(),
            np.ascontiguousarray(ordered["debit"].to_numpy(dtype="<f8")).tobytes(),
        ]
    except UnicodeEncodeError:  # a lone surrogate: keep it out (the HTTP cache still has the answer)
        return None
    header = json.dumps({"v": _VERSION, "at": fetched_at, "n": len(logins), "sizes": [len(x) for x in segments]})
    head = header.encode("ascii")
    return b"".join([_MAGIC, struct.pack("<I", len(head)), head, *segments])


def unpack(blob: bytes) -> Pieces | None:
    """The columns stored by :func:`pack` (None for another format or a damaged entry).

    Only JSON and raw little-endian numbers are read: nothing in a stored entry can execute.
    """
    try:
        view = memoryview(blob)
        if bytes(view[:4]) != _MAGIC:
            return None  # an older (pickled) entry: a miss, rebuilt from the HTTP cache
        (size,) = struct.unpack("<I", view[4:8])
        header = json.loads(bytes(view[8 : 8 + size]).decode("ascii"))
        if header.get("v") != _VERSION:
            return None
        n = int(header["n"])
        parts, pos = [], 8 + size
        for length in header["sizes"]:
            parts.append(view[pos : pos + int(length)])
            pos += int(length)
        if pos != len(view):
            return None
        logins, distinct, codes, sms, credit, debit = parts
        names = bytes(logins).decode("utf-8").split("\x00") if n else []
        uniques = np.array(bytes(distinct).decode("utf-8").split("\x00") if n else [], dtype=object)
        pieces = Pieces(
            names,
            np.frombuffer(sms, dtype="<i8").astype(np.int64),  # own memory: the blob can go at once
            np.frombuffer(credit, dtype="<f8").astype(np.float64),
            np.frombuffer(debit, dtype="<f8").astype(np.float64),
            uniques.take(np.frombuffer(codes, dtype="<u2")) if n else np.array([], dtype=object),
            str(header["at"]),
        )
    except Exception:  # noqa: BLE001 - a damaged entry is a miss, never an error
        return None
    if not (len(pieces.logins) == len(pieces.currencies) == len(pieces.sms) == len(pieces.credit) == n):
        return None
    return pieces


class FrameStore:
    """A SQLite table of packed answers in ``directory/frames.sqlite`` (one machine)."""

    def __init__(self, directory: Path, *, clock: Clock = SYSTEM) -> None:
        self.path = directory / FRAMES
        self.clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")  # a rebuildable cache: no fsync per answer
                conn.execute("CREATE TABLE IF NOT EXISTS frames (key TEXT PRIMARY KEY, blob BLOB, expires REAL)")
            except sqlite3.DatabaseError as exc:  # this store is only a speed-up: a miss, never an error
                if is_corrupt(exc):
                    self._reset()
                return None
            self._conn = conn
        return self._conn

    def _reset(self) -> None:
        """Drop a damaged file: everything in it can be rebuilt from the HTTP cache."""
        with contextlib.suppress(Exception):
            if self._conn is not None:
                self._conn.close()
        self._conn = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(f"{self.path}{suffix}").unlink()

    def _select(self, keys: Iterable[str], columns: str) -> list[tuple[object, ...]]:
        """Rows of the unexpired entries among ``keys`` (500 at a time); any failure is a miss."""
        wanted = list(keys)
        rows: list[tuple[object, ...]] = []
        with self._lock:
            db = self._db()
            if db is None:
                return rows
            now = self.clock.time()
            try:
                for i in range(0, len(wanted), 500):
                    chunk = wanted[i : i + 500]
                    marks = ",".join("?" * len(chunk))
                    rows += db.execute(
                        f"SELECT {columns} FROM frames WHERE key IN ({marks}) AND (expires IS NULL OR expires > ?)",
                        (*chunk, now),
                    ).fetchall()
            except sqlite3.DatabaseError as exc:
                if is_corrupt(exc):
                    self._reset()
                return []
        return rows

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The unexpired blobs of ``keys`` that are stored (a miss is simply absent)."""
        return {str(k): bytes(b) for k, b in self._select(keys, "key, blob")}  # type: ignore[call-overload]

    def has_many(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are stored and unexpired (without reading the blobs)."""
        return {str(k) for (k,) in self._select(keys, "key")}

    def put(self, key: str, blob: bytes, expires: float | None) -> None:
        """Store one packed answer (failures are ignored: the HTTP cache has it)."""
        with self._lock:
            db = self._db()
            if db is None:
                return
            try:
                db.execute("INSERT OR REPLACE INTO frames VALUES (?, ?, ?)", (key, blob, expires))
            except sqlite3.DatabaseError as exc:  # busy, full, read-only: the HTTP cache has the answer
                if is_corrupt(exc):
                    self._reset()

    def clear(self) -> None:
        """Forget every packed answer."""
        with self._lock:
            db = self._db()
            if db is not None:
                with contextlib.suppress(sqlite3.DatabaseError):
                    db.execute("DELETE FROM frames")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None
