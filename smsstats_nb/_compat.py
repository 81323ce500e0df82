"""The flat module paths of 0.1 (``smsstats_nb.plotting``, ``smsstats_nb.notebook``, …), kept for one
release: importing one works and warns with a :class:`DeprecationWarning` that names the new home.

``CHANGELOG.md`` lists every move. The old path serves the same module it used to be, so a notebook
written against 0.1 keeps running while its author moves its imports.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings

__all__ = ["MOVED", "install"]

#: Old flat module -> (the module that holds its code now, the public path to import instead).
MOVED: dict[str, tuple[str, str]] = {
    "accounts": ("client._accounts", "smsstats_nb.client"),
    "adapter": ("wire._adapter", "smsstats_nb.wire"),
    "alert_rules": ("alerts._rules", "smsstats_nb.alerts"),
    "cache_policy": ("wire._cache_policy", "smsstats_nb.wire"),
    "channels": ("alerts._channels", "smsstats_nb.alerts"),
    "cli_accounts": ("cli._accounts", "smsstats_nb.cli"),
    "cli_admin": ("cli._admin", "smsstats_nb.cli"),
    "cli_alerts": ("cli._alerts", "smsstats_nb.cli"),
    "cli_common": ("cli._common", "smsstats_nb.cli"),
    "clock": ("core._clock", "smsstats_nb.core"),
    "compose": ("client._compose", "smsstats_nb.client"),
    "credentials": ("core._credentials", "smsstats_nb.core"),
    "dashboard_view": ("dashboard._answer", "smsstats_nb.dashboard"),
    "display": ("output._display", "smsstats_nb.output"),
    "errors": ("core._errors", "smsstats_nb (or smsstats_nb.core)"),
    "exports": ("output._exports", "smsstats_nb (export, read_export)"),
    "formats": ("wire.formats", "smsstats_nb.wire.formats"),
    "frames": ("core._frames", "smsstats_nb.core"),
    "guard": ("wire._guard", "smsstats_nb.wire"),
    "http_errors": ("wire._http_errors", "smsstats_nb.wire"),
    "i18n": ("core.i18n", "smsstats_nb.core.i18n (or smsstats_nb.set_language)"),
    "incidents": ("analysis._incidents", "smsstats_nb.analysis"),
    "monitoring": ("analysis._monitoring", "smsstats_nb.analysis"),
    "multi": ("client._multi", "smsstats_nb.client"),
    "notebook": ("client._connect", "smsstats_nb (connect)"),
    "plotting": ("output._plotting", "smsstats_nb.output (or smsstats_nb: plot_totals, plot_series)"),
    "query": ("core._query", "smsstats_nb.core"),
    "quota": ("store._quota", "smsstats_nb.store"),
    "redaction": ("core._redaction", "smsstats_nb.core"),
    "registry": ("client._registry", "smsstats_nb (fetch_stats, fetch_stats_series, close_all)"),
    "series": ("client._series", "smsstats_nb.client"),
    "settings": ("core._settings", "smsstats_nb.core"),
    "spend": ("analysis._spend", "smsstats_nb.analysis"),
    "sync": ("client._sync", "smsstats_nb.client"),
    "transport": ("client._transport", "smsstats_nb.client"),
    "widgets": ("dashboard", "smsstats_nb.dashboard"),
}


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``smsstats_nb.<old>`` and serves the module that holds its code now."""

    def find_spec(
        self, fullname: str, path: object = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, old = fullname.partition(".")
        if package != __package__ or old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def exec_module(self, module: types.ModuleType) -> None:
        old = module.__name__.partition(".")[2]
        where, instead = MOVED[old]
        warnings.warn(
            f"smsstats_nb.{old} moved in 0.2: import from {instead}; the old path goes in 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
        target = importlib.import_module(f"{__package__}.{where}")

        def forward(name: str) -> object:
            # a name that moved on again (widgets.friendly_error) is found where it lives now
            for home in (target, *(importlib.import_module(f"{__package__}.{p}") for p in ("core", "output"))):
                if hasattr(home, name):
                    return getattr(home, name)
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = forward  # type: ignore[method-assign]
        setattr(module, "__all__", list(getattr(target, "__all__", ())))  # noqa: B010 - a module made at run time
        module.__doc__ = target.__doc__


def install() -> None:
    """Serve the old paths (once per interpreter)."""
    if not any(isinstance(finder, _OldPaths) for finder in sys.meta_path):
        sys.meta_path.append(_OldPaths())
