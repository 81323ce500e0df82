"""The dashboard's view in its address: ``?range=last_month&freq=D&metric=credit&logins=a,b&lang=ru``.

:class:`View` is what a page shows (the range, the granularity, the metric, the logins picked, the
flags, the language) as an address's query and back; :class:`AddressBar` is a tiny widget (an
anywidget ES module) that writes the page's address with ``history.replaceState`` whenever the
view changes, so the address bar always holds a link to what is on screen. A colleague who opens
the link sees the same view (the cached part at once; a fetch that costs requests asks first).

An address is somebody's words: every value is checked, an unknown one is left out and said
(:attr:`View.problems`), and a key the page does not know (``token``…) is ignored, never echoed.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from ..core import PRESETS
from ..core.i18n import gettext_ as _

__all__ = ["FREQ_KEYS", "RANGE_KEYS", "AddressBar", "View"]

#: The address's words for the range presets (no spaces in a link).
RANGE_KEYS = {name.replace(" ", "_"): name for name in PRESETS}
#: The address's words for the granularity (``freq=D`` as pandas and SMSC's series say it).
FREQ_KEYS = {"total": "total", "D": "daily", "W": "weekly", "MS": "monthly"}
_METRICS = ("sms", "credit", "debit")
_LANGS = ("en", "ru")
#: The most logins an address may pick (a link is not a database).
MAX_LOGINS = 50


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class View:
    """What the page shows, as an address says it."""

    range: str | None = None  # a preset's name ("last month"), or None for start/end
    start: dt.date | None = None
    end: dt.date | None = None
    granularity: str = "total"
    metric: str = "sms"
    logins: tuple[str, ...] = ()
    mycur: bool = False
    balance2: bool = False
    lang: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        """Whether the address names a range (only then does the page open a view by itself)."""
        return self.range is not None or (self.start is not None and self.end is not None)

    @classmethod
    def parse(cls, query: str | None) -> View:
        """The view an address's query asks for (``"range=last_month&freq=D"``, no ``?``)."""
        asked = parse_qs(query or "", keep_blank_values=False)

        def one(key: str) -> str | None:
            values = asked.get(key)
            return values[-1].strip() if values else None

        problems: list[str] = []
        view = cls()
        if (word := one("range")) is not None:
            if word in RANGE_KEYS:
                view = replace(view, range=RANGE_KEYS[word])
            elif word != "custom":
                problems.append(_("the range {value}").format(value=repr(word[:40])))
        start, end = one("start"), one("end")
        if view.range is None and (start or end):
            a, b = _day(start or ""), _day(end or start or "")
            if a is None or b is None or b < a:
                problems.append(
                    _("the dates {start} – {end}").format(start=repr((start or "")[:12]), end=repr((end or "")[:12]))
                )
            else:
                view = replace(view, start=a, end=b)
        if (word := one("freq")) is not None:
            if word in FREQ_KEYS:
                view = replace(view, granularity=FREQ_KEYS[word])
            else:
                problems.append(_("the granularity {value}").format(value=repr(word[:20])))
        if (word := one("metric")) is not None:
            if word in _METRICS:
                view = replace(view, metric=word)
            else:
                problems.append(_("the metric {value}").format(value=repr(word[:20])))
        if (word := one("logins")) is not None:
            picked = tuple(dict.fromkeys(x.strip() for x in word.split(",") if x.strip()))
            view = replace(view, logins=picked[:MAX_LOGINS])
        yes = ("1", "true", "yes")
        if (word := one("mycur")) is not None:
            view = replace(view, mycur=word in yes)
        if (word := one("balance2")) is not None:
            view = replace(view, balance2=word in yes)
        if (word := one("lang")) is not None and word in _LANGS:
            view = replace(view, lang=word)
        return replace(view, problems=tuple(problems))

    def query(self) -> str:
        """The address's query for this view (stable order; the defaults left out)."""
        pairs: list[tuple[str, str]] = []
        if self.range is not None:
            pairs.append(("range", self.range.replace(" ", "_")))
        elif self.start is not None and self.end is not None:
            pairs += [("range", "custom"), ("start", self.start.isoformat()), ("end", self.end.isoformat())]
        freq = next((k for k, v in FREQ_KEYS.items() if v == self.granularity), "total")
        if freq != "total":
            pairs.append(("freq", freq))
        if self.metric != "sms":
            pairs.append(("metric", self.metric))
        if self.logins:
            pairs.append(("logins", ",".join(self.logins)))
        if self.mycur:
            pairs.append(("mycur", "1"))
        if self.balance2:
            pairs.append(("balance2", "1"))
        if self.lang:
            pairs.append(("lang", self.lang))
        return urlencode(pairs, safe=",")


@functools.cache
def _address_bar_class() -> Any:
    import anywidget
    import traitlets

    class AddressBar(anywidget.AnyWidget):  # type: ignore[misc]
        """Writes ``query`` into the page's address (``history.replaceState``: no new history entry
        per click, and a ``?token=`` the page was opened with leaves the address)."""

        _esm = """
        function render({ model, el }) {
          const write = () => {
            const query = model.get("query");
            const url = new URL(window.location.href);
            url.search = query ? "?" + query : "";
            if (url.href !== window.location.href) {
              window.history.replaceState(window.history.state, "", url.href);
            }
          };
          model.on("change:query", write);
          write();
        }
        export default { render };
        """
        query = traitlets.Unicode("").tag(sync=True)

    return AddressBar


def AddressBar(query: str = "") -> Any:  # noqa: N802 - a widget class made when first asked (anywidget loads then)
    """An address-bar widget showing ``query`` (its ``.query`` is set as the view changes)."""
    return _address_bar_class()(query=query)
