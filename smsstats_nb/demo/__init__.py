"""The local SMSC emulator: :class:`DemoServer`, synthetic data and answer writers; and
:class:`WebhookReceiver`, a local receiver that records the alerts sent to it.

It never imports ``smsstats_nb.wire.formats``: writers and parsers are kept apart so a round trip
between them means something.
"""

from __future__ import annotations

from .receiver import WebhookReceiver
from .server import FAULTS, DemoServer

__all__ = ["FAULTS", "DemoServer", "WebhookReceiver"]
