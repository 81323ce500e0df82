"""The ``smsstats`` admin commands: ``sync [status]`` and ``cache info|clear`` (see :mod:`.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .cli import _client_for, _err, _out, _WaitLine

__all__ = ["cmd_cache", "cmd_sync"]


def cmd_sync(a: argparse.Namespace) -> int:
    from .sync import sync_queries

    flags = {"mycur": a.mycur, "balance2": a.balance2, "fmt": a.fmt}
    sync_queries(a.since, a.until, a.freq, **flags)  # dates and flags, before any password prompt
    with _client_for(a, cache=a.cache_dir) as client:
        if a.action == "status":
            until = a.until
            if until is None:
                from .sync import closed_until

                until = closed_until()
            _out(f"closed periods by {a.freq} from {a.since} to {until}:")
            _out(str(client.coverage(a.since, until, a.freq, share=a.share, **flags)))
            return 0
        waiting = _WaitLine(client.rate_limit)
        if sys.stderr.isatty():
            from .sync import closed_until

            status = client.coverage(a.since, a.until or closed_until(), a.freq, share=a.share, **flags)
            _err(f"sync: {status}")
        try:
            report = client.sync(
                a.since,
                a.until,
                a.freq,
                share=a.share,
                watch=a.watch,
                on_wait=waiting,
                on_pass=lambda r: _err(str(r)) if a.watch else None,
                **flags,
            )
        finally:
            waiting.done()
        _out(str(report))
    return 0


def cmd_cache(a: argparse.Namespace) -> int:
    from .store import default_cache_dir, is_redis_url, open_store

    spec: Any = a.cache_dir
    if spec and not is_redis_url(spec):
        spec = Path(spec).expanduser()
    where = spec if spec else default_cache_dir()
    if not is_redis_url(where) and not Path(where).exists():
        _out(f"no cache in {where}")
        return 0
    store = open_store(spec)
    try:
        if a.action == "info":
            _print_info(store)
        else:
            _out(f"removed {store.clear(cooldowns=a.cooldowns)} cached answers from {store.description}")
            if a.cooldowns:
                _out("ended every cool-down and local refusal (failed logins, IP block, server pauses)")
    finally:
        store.close()
    return 0


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)  # pragma: no cover


def _print_info(store: Any) -> None:
    """``cache info`` in words and units."""
    import datetime as dt

    from .quota import DEFAULT_MARGIN, DEFAULT_RATE_LIMIT
    from .series import format_duration
    from .store import COOLDOWN_WORDS

    info = store.info()
    limit, per = DEFAULT_RATE_LIMIT
    window = per + DEFAULT_MARGIN
    activity = store.activity(window)
    if info.get("cache_dir"):
        _out(f"cache:          {info['cache_dir']}")
    else:
        _out(f"state:          {info.get('redis') or info.get('state_dir')}")
    where = "in Redis" if info.get("redis") else f"{_size(int(info.get('size_bytes') or 0))} on disk"
    _out(f"answers cached: {info['entries']} ({where})")
    _out(f"rate limit:     {activity.recent_requests} request(s) in the last {per:g} s (SMSC allows {limit})")
    _out(f"failed logins:  {activity.failed_logins} in the last 30 min (SMSC blocks the IP at 5; we stop at 4)")
    if not activity.cooldowns:
        _out("cool-downs:     none")
    now = dt.datetime.now().astimezone()
    for reason, left in activity.cooldowns:
        until = (now + dt.timedelta(seconds=left)).strftime("%H:%M:%S %Z")
        words = COOLDOWN_WORDS.get(reason, reason)
        _out(f"cool-down:      {words}: {format_duration(left)} left (until {until})")
    if activity.cooldowns:
        _out("                end them deliberately with: smsstats cache clear --cooldowns")
