"""The ipywidgets dashboard, the Voilà app (ipywidgets and matplotlib load when it is built)."""

from __future__ import annotations

from ._app import StatsDashboard, dashboard

__all__ = ["StatsDashboard", "dashboard"]
