"""A separate process that runs a sync (used by the kill / lease / interactive tests).

Usage: python -m tests.e2e.sync_worker BASE_URL CACHE WINDOW SINCE UNTIL
Prints one line per period ("fetched 2024-01-05" or "cached 2024-01-05"), flushed at once, then
"done <fetched> <cached>"; exits 8 with "lease: <message>" when another sync holds the lease.
The password comes from SMSC_PASSWORD in the environment, never from an argument.
"""

from __future__ import annotations

import os
import sys

from smsstats_nb import StatsClient, SyncLeaseError


def main() -> int:
    base_url, cache, window, since, until = sys.argv[1:6]
    with StatsClient(
        os.environ["SMSC_LOGIN"],
        os.environ["SMSC_PASSWORD"],
        base_url=base_url,
        cache=cache,
        rate_limit=(3, float(window)),
    ) as client:
        try:
            report = client.sync(
                since,
                until,
                on_period=lambda q, cached: print(f"{'cached' if cached else 'fetched'} {q.start}", flush=True),
            )
        except SyncLeaseError as exc:
            print(f"lease: {exc}", flush=True)
            return 8
    print(f"done {report.fetched} {report.cached}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
