"""The ipywidgets dashboard, the Voilà app (ipywidgets and matplotlib load when it is built).

:class:`StatsDashboard` is four parts: :class:`Controls` (what the user picks), a pure
:class:`FetchPlan` from :func:`plan_fetch` (what a Fetch asks and costs, testable without a page),
a :class:`Runner` (the background thread and Cancel) and an :class:`AnswerView` (what the page
shows). :func:`dashboard` builds it for a notebook or Voilà in every credential state.
"""

from __future__ import annotations

from ._address import AddressBar, View
from ._answer import AnswerView
from ._app import StatsDashboard
from ._controls import Controls
from ._plan import Choice, FetchPlan, plan_fetch, read_choice
from ._runner import Runner
from ._voila import dashboard, page_lang

__all__ = [
    "AddressBar",
    "AnswerView",
    "Choice",
    "Controls",
    "FetchPlan",
    "Runner",
    "StatsDashboard",
    "View",
    "dashboard",
    "page_lang",
    "plan_fetch",
    "read_choice",
]
