"""``python -m smsstats_nb.demo``: run the demo SMSC server in the foreground."""

from __future__ import annotations

import sys

from .console import main

if __name__ == "__main__":
    sys.exit(main())
