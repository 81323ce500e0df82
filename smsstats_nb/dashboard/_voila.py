"""The dashboard as a notebook or Voilà opens it: in every credential state, in the page's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..client import StatsClient, connect
from ..core import Environment, QueryError, i18n
from ..core.i18n import gettext_ as _
from ._address import View
from ._app import StatsDashboard

__all__ = ["dashboard", "page_lang"]


def page_lang(query: str | None = None) -> str | None:
    """The language a Voilà page's address asks for (``…/04_dashboard.ipynb?lang=ru``; Voilà hands
    the kernel the request's query as ``QUERY_STRING``), or None when it asks for none."""
    from urllib.parse import parse_qs

    asked = parse_qs(query if query is not None else Environment.read().query_string or "").get("lang")
    return i18n.resolve(asked[0]) if asked else None


def dashboard(*, today: dt.date | None = None, lang: str | None = None, heading: bool = True) -> StatsDashboard:
    """The dashboard for a notebook or Voilà, in every credential state (see :func:`_build`);
    under Voilà it opens the view its address names and keeps the address in step with the page."""
    env = Environment.read()
    voila = (env.server_software or "").startswith("voila")
    view = View.parse(env.query_string) if voila else None
    dash = _build(env, today=today, lang=lang if lang is not None else page_lang(), heading=heading, address=voila)
    if view is not None:
        with i18n.using(dash.lang):
            dash.open_view(view)
    return dash


def _build(
    env: Environment, *, today: dt.date | None, lang: str | None, heading: bool, address: bool
) -> StatsDashboard:
    """The dashboard for a notebook or Voilà, in every credential state.

    With ``SMSC_LOGIN`` (and ``SMSC_PASSWORD``) or ``SMSC_APIKEY`` set it talks to SMSC (or
    ``SMSC_BASE_URL``); with a login but no password it asks for the password in the page; with
    neither it starts the embedded demo server. It never raises for missing credentials. ``lang``:
    the page's language (default: the page address's ``?lang=ru`` under Voilà, else
    ``$SMSSTATS_LANG``, else the locale, else English); ``heading``:
    the app's title and how to use it above the controls (in that language).
    """
    options: dict[str, Any] = {
        "today": today, "lang": lang, "heading": heading, "address": address, "served": env.served,
    }  # fmt: skip
    if env.dashboard_account:  # a served page's named account (its secret in the server's keyring)
        return StatsDashboard(StatsClient.from_account(env.dashboard_account), **options)
    if env.has_credentials:
        try:
            return StatsDashboard(StatsClient(), **options)
        except QueryError:  # a login without a password: ask for it in the page (never when served)
            if env.served:
                raise
            return StatsDashboard(None, login=env.login, **options)
    session = connect()
    dash = StatsDashboard(session.client, **options)
    dash.session = session
    with i18n.using(dash.lang):
        dash.answer.set_status(
            _(
                "Demo mode: the embedded demo server on this machine (synthetic data, no account needed). "
                "Pick a period and click Fetch."
            )
        )
    return dash
