"""The cache policy: what an answer is stored under (the key) and for how long (the expiry rule).

Key: the service (every spelling of its host is one service: ``localhost`` and ``127.0.0.1``, the
SMSC domains, any letter case) and the endpoint's path, the sorted non-secret parameters, the
account identity and a salted hash of the secret; never the secret itself, so a different
password never gets another's cached answer and the cache file holds nothing to steal.

Expiry: a period that ended before yesterday (Moscow, the server's calendar) is closed and never
expires; anything newer expires after ``recent_expiry``. A closed period with no traffic is as
final as one with traffic, in every format (in fmt 0/1 its answer is an empty body). Both rules
are pure functions of their inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..core import StatsQuery, moscow_today, service_name

__all__ = ["NEVER", "SECRET_PARAMS", "CacheKeyer", "RequestProbe", "expire_after"]

#: Request parameters that carry a secret: never part of a key, never stored.
SECRET_PARAMS = ("psw", "apikey")
#: ``expire_after`` value meaning "never expires" (requests-cache's convention).
NEVER = -1.0


def expire_after(query: StatsQuery, recent_expiry: float, *, today: dt.date | None = None) -> float:
    """Seconds an answer for ``query`` stays fresh: :data:`NEVER` for closed periods.

    Args:
        query: the question.
        recent_expiry: seconds for a period that includes yesterday or today (Moscow).
        today: today's date on the server's calendar (default: :func:`moscow_today`).
    """
    today = moscow_today() if today is None else today
    if query.end < today - dt.timedelta(days=1):
        return NEVER
    return recent_expiry


@dataclass(frozen=True)
class RequestProbe:
    """The two request fields a cache key reads (to look up a key without sending)."""

    url: str
    body: str | None

    @classmethod
    def of(cls, method: str, url: str, params: dict[str, str]) -> RequestProbe:
        """The probe for a request of ``method`` to ``url`` with ``params``."""
        if method == "GET":
            return cls(f"{url}?{urlencode(params)}", None)
        return cls(url, urlencode(params))


class CacheKeyer:
    """``key_fn`` for requests-cache: endpoint + sorted non-secret parameters + identity + secret hash."""

    def __init__(self, identity: str, secret_hash: str, service: str | None = None) -> None:
        self._identity = identity
        self._secret_hash = secret_hash
        self._service = service

    def __call__(self, request: Any, **_: Any) -> str:
        url = urlsplit(request.url or "")
        pairs = parse_qsl(url.query, keep_blank_values=True)
        body = request.body
        if body:
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            pairs += parse_qsl(body, keep_blank_values=True)
        params = sorted((k, v) for k, v in pairs if k not in SECRET_PARAMS and k != "login")
        service = self._service or service_name(f"{url.scheme}://{url.netloc}")  # one service, one cache
        material = json.dumps([f"{service}{url.path}", params, self._identity, self._secret_hash], ensure_ascii=False)
        return hashlib.sha256(material.encode()).hexdigest()[:40]

    def __repr__(self) -> str:
        return f"CacheKeyer({self._identity!r})"
