"""The ``smsstats`` command: one module per subcommand behind :func:`main`."""

from __future__ import annotations

from ._main import main

__all__ = ["main"]
