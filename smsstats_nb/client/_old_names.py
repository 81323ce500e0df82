"""The names :class:`~smsstats_nb.client.StatsClient` had in 0.1 and keeps for one release, each
with a DeprecationWarning saying what to write instead: ``StatsClient.with_settings(settings,
login, psw)`` (now ``StatsClient(login, psw, settings=settings)``) and ``client.rate_limit`` and
the other settings it repeated as its own properties (now ``client.settings.rate_limit``)."""

from __future__ import annotations

import warnings
from typing import Any

from ..core import REMOVED_IN

__all__ = ["SETTINGS_ONCE_HERE", "keep_old_names"]

#: Settings a client once repeated as its own properties.
SETTINGS_ONCE_HERE = frozenset({"base_url", "rate_limit", "method", "timeout", "wait", "max_wait"})


def _with_settings(cls: Any, /, settings: Any, login: str | None = None, psw: str | None = None, **kw: Any) -> Any:
    """Deprecated in 0.2: ``StatsClient(login, psw, settings=settings)``."""
    warnings.warn(
        "StatsClient.with_settings(settings, login, psw) is deprecated: use StatsClient(login, psw, "
        f"settings=settings); the old name goes in {REMOVED_IN}",
        DeprecationWarning,
        stacklevel=2,
    )
    return cls(login, psw, settings=settings, **kw)


def _old_setting(self: Any, name: str) -> Any:
    if name in SETTINGS_ONCE_HERE:
        warnings.warn(
            f"client.{name} is deprecated: read client.settings.{name} (the old name goes in {REMOVED_IN})",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(self.settings, name)
    raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def keep_old_names(client_class: type) -> None:
    """Give ``client_class`` its 0.1 names for one release."""
    client_class.with_settings = classmethod(_with_settings)  # type: ignore[attr-defined]
    client_class.__getattr__ = _old_setting  # type: ignore[attr-defined]
