"""The page's language for every caller (a widget's callback, the fetch thread, a test) and the
page's own texts (its heading and what it talks to)."""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..core import i18n
from ..core.i18n import gettext_ as _

__all__ = ["about_html", "heading_html", "speaks"]

P = ParamSpec("P")
R = TypeVar("R")


def speaks(method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """A method that speaks its object's language (``self.lang``) whoever calls it."""

    @functools.wraps(method)
    def inner(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        with i18n.using(self.lang):
            return method(self, *args, **kwargs)

    return inner  # type: ignore[return-value]  # functools.wraps keeps the signature


def heading_html() -> str:
    """The app's title and how to use it, in the page's language (an app opens with the
    analyst's words, not the developer's)."""
    title = html.escape(_("SMS statistics"))
    intro = _(
        "Pick a range (or a preset), the currency and balance flags and the granularity, then click "
        "<b>Fetch</b>. The headline figures come first, then the chart, then the table; the buttons "
        "download the table (CSV, Excel) and the chart (PNG)."
    )
    return f'<h1 class="smsstats-title">{title}</h1><p class="smsstats-intro">{intro}</p>'


def about_html() -> str:
    """What the page talks to and how to serve it (folded at the foot of the app)."""
    return _(
        "It talks to the <b>embedded demo server</b> (127.0.0.1, synthetic data, a short rate-limit window) "
        "unless <code>SMSC_LOGIN</code> or <code>SMSC_APIKEY</code> is set, in which case it talks to SMSC; "
        "with a login but no password it asks for the password in the page (never saved). A fetch that "
        "would wait more than a minute asks first; a series shows the range's total first (one request "
        "more, in <i>Advanced</i>), then fills newest first. Serve it as an app with "
        "<code>voila notebooks/04_dashboard.ipynb</code>, or always on for colleagues with "
        "<code>smsstats dashboard --serve</code> (a token, and the SMSC password stays on the server); "
        "as an app its address is a link to the view on screen. <code>SMSSTATS_LANG=ru</code> shows it "
        "in Russian."
    )
