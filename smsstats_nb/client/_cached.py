"""What is cached for one credential on one service, asked without a request.

:class:`CacheView` is the transport's cache half: the parsed answers beside the HTTP cache (one
lookup for many questions, a chunk of blobs at a time), the HTTP cache behind them, the period
index used for composition, and the restamping of an answer's expiry. Nothing here sends a
request: a lookup that misses is a miss.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd
import requests

from ..core import StatsQuery
from ..store import Pieces, pack, unpack
from ..wire import NEVER, CallContext, RequestProbe
from ..wire.formats import decode_body, parse_response

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["CacheView"]


class CacheView:
    """The cached answers of one transport's credential (lookups only: never a request)."""

    def __init__(self, transport: Transport, secret_key: str) -> None:
        self.transport = transport
        self.store = transport.store
        self.settings = transport.settings
        self.credentials = transport.credentials
        self.identity = transport.identity
        self.clock = transport.clock
        self.enabled = transport.cache_enabled
        self._keyer = transport._keyer
        self._index_key = hashlib.sha256(("index\x00" + secret_key).encode()).hexdigest()[:32]
        self._frames = self.store.frame_store() if self.enabled else None

    def index(self, query: StatsQuery, expires_at: float | None) -> None:
        """Remember that the HTTP cache holds an answer for ``query`` (for composition)."""
        self.store.periods.add(self._index_key, query, expires_at)

    def keep(self, query: StatsQuery, frame: pd.DataFrame, fetched_at: dt.datetime, expires: float | None) -> None:
        """Keep the parsed answer beside the HTTP cache (a failure is only a later miss)."""
        if self._frames is None or not self.enabled:
            return
        blob = pack(frame, fetched_at.isoformat())
        if blob is not None:
            self._frames.put(self._frame_key(query), blob, expires)

    def _frame_key(self, query: StatsQuery) -> str:
        """The parsed-answer key: the service (in the identity, whatever the host's spelling) and the
        endpoint's path (like the HTTP cache key), the credential's index key and the question; no
        secret."""
        text = (
            f"{self.identity}|{urlsplit(self.transport.url).path}|{self._index_key}|"
            f"{int(query.mycur)}|{int(query.balance2)}|{query.fmt}|{query.start}|{query.end}"
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def lookup(self, queries: list[StatsQuery], *, fallback: bool = True) -> list[Pieces | None]:
        """The cached answers of ``queries`` (None where absent or expired); never sends a request.

        The parsed store answers first, in one lookup and a chunk of blobs at a time; with
        ``fallback`` the HTTP cache answers the rest (parsed, and kept parsed for next time).
        """
        if not self.enabled:
            return [None] * len(queries)
        out: list[Pieces | None] = []
        if self._frames is not None:
            keys = [self._frame_key(q) for q in queries]
            for i in range(0, len(keys), 64):  # a chunk of blobs at a time: they never pile up in memory
                chunk = keys[i : i + 64]
                blobs = self._frames.get_many(chunk)
                out.extend(unpack(blobs[k]) if k in blobs else None for k in chunk)
        else:
            out = [None] * len(queries)
        if fallback:
            for i, q in enumerate(queries):
                if out[i] is None:
                    out[i] = self._from_http_cache(q)
        return out

    def _from_http_cache(self, query: StatsQuery) -> Pieces | None:
        params = {**query.to_params(), **self.credentials.params()}
        method = self.settings.method
        kwargs: dict[str, Any] = {"timeout": self.settings.timeout, "only_if_cached": True}
        kwargs["params" if method == "GET" else "data"] = params
        t = self.transport
        with self.store.errors(), t.guard.call(CallContext(query.fmt, False, None, 0.0)):
            response = t.session.request(method, t.url, **kwargs)
        if response.status_code != 200 or not getattr(response, "from_cache", False):
            return None
        frame = parse_response(decode_body(response.content), query.fmt)
        at, expires = self.times(response)
        self.keep(query, frame, at, expires)
        return frame_pieces(frame, at.isoformat())

    def times(self, response: Any) -> tuple[dt.datetime, float | None]:
        """When a cached answer was received (aware) and when it expires (epoch seconds, None:
        never), from requests-cache's naive-UTC ``created_at`` and ``expires``."""
        created, until = getattr(response, "created_at", None), getattr(response, "expires", None)
        at = created if isinstance(created, dt.datetime) else dt.datetime.fromtimestamp(self.clock.time(), dt.UTC)
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        if not isinstance(until, dt.datetime):
            return at, None
        return at, (until if until.tzinfo else until.replace(tzinfo=dt.UTC)).timestamp()

    def mask(self, queries: list[StatsQuery]) -> list[bool]:
        """Whether a fresh cached answer exists for each question: the parsed store in one lookup,
        the HTTP cache only for the others (no parsing, no request)."""
        if not self.enabled:
            return [False] * len(queries)
        stored: set[str] = set()
        keys = [self._frame_key(q) for q in queries]
        if self._frames is not None:
            stored = self._frames.has_many(keys)
        return [k in stored or self._in_http_cache(q) for q, k in zip(queries, keys, strict=True)]

    def _in_http_cache(self, query: StatsQuery) -> bool:
        params = {**query.to_params(), **self.credentials.params()}
        probe = RequestProbe.of(self.settings.method, self.transport.url, params)
        with self.store.errors():
            cached = self.transport.session.cache.get_response(self._keyer(probe))  # type: ignore[attr-defined]
        return cached is not None and not cached.is_expired

    def periods(self, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached periods inside ``query``'s range with the same flags (any fmt)."""
        if not self.enabled:
            return []
        return self.store.periods.within(self._index_key, query)

    def restamp(self, response: requests.Response, expire: float) -> None:
        """Store the answer again with the expiry computed when it was received."""
        until = None
        if expire != NEVER:
            until = dt.datetime.fromtimestamp(self.clock.time() + expire, dt.UTC).replace(tzinfo=None)
        cache = self.transport.session.cache  # type: ignore[attr-defined]
        with self.store.errors():
            cache.save_response(response, self._keyer(response.request), until)


def frame_pieces(frame: pd.DataFrame, fetched_at: str) -> Pieces:
    """The columns of one answer, sorted by login (what the parsed store keeps)."""
    import numpy as np

    ordered = frame if frame["login"].is_monotonic_increasing else frame.sort_values("login", kind="stable")
    return Pieces(
        [str(x) for x in ordered["login"].tolist()],
        ordered["sms"].to_numpy(dtype=np.int64),
        ordered["credit"].to_numpy(dtype=np.float64),
        ordered["debit"].to_numpy(dtype=np.float64),
        ordered["currency"].to_numpy(dtype=object),
        fetched_at,
    )
