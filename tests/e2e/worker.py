"""A separate process that fetches periods with its own client (used by multi-process tests).

Usage: python -m tests.e2e.worker BASE_URL CACHE_DIR WINDOW START_DAY COUNT
The password comes from SMSC_PASSWORD in the environment, never from an argument.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

from smsstats_nb import StatsClient


def main() -> None:
    base_url, cache_dir, window, first, count = sys.argv[1:6]
    start = dt.date.fromisoformat(first)
    out = []
    with StatsClient(
        os.environ["SMSC_LOGIN"],
        os.environ["SMSC_PASSWORD"],
        base_url=base_url,
        cache=cache_dir,
        rate_limit=(3, float(window)),
        # the suite runs five workers and these subprocesses on two cores: a stall of a quarter
        # second between a token and its request reaching the server happens there, so the margin
        # is half a second (the rule under test is the shared quota, not the margin's size)
        rate_margin=0.5,
    ) as client:
        for i in range(int(count)):
            day = start + dt.timedelta(days=i)
            df = client.fetch(day)
            out.append(
                {
                    "day": day.isoformat(),
                    "rows": len(df),
                    "from_cache": df.attrs["from_cache"],
                    "requests": df.attrs["requests"],
                }
            )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
