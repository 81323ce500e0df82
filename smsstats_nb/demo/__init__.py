"""The local SMSC emulator: :class:`DemoServer`, synthetic data and answer writers.

It never imports ``smsstats_nb.formats``: writers and parsers are kept apart so a round trip
between them means something.
"""

from __future__ import annotations

from .server import FAULTS, DemoServer

__all__ = ["FAULTS", "DemoServer"]
