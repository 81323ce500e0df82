"""Who is drawn and in which colour: one colour per login for the whole session, the N largest
logins and one grey "others", and logins as plain text (never mathtext)."""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

import pandas as pd

from ..core import QueryError, said
from ..core.i18n import gettext_ as _

if TYPE_CHECKING:
    pass

__all__ = ["OTHERS", "TOP", "login_colour", "text", "top_logins"]


#: How many logins a plot draws by default; the rest are one "others" (a reseller has 2,000).
TOP = 10


OTHERS = "others"


#: Eleven colours told apart by most eyes (tab10 without its grey, which "others" gets).
_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
    "#393b79", "#637939",
)  # fmt: skip


_OTHERS_COLOUR = "#9e9e9e"


#: The colour each login got in this session, in the order logins were first drawn.
_SESSION_COLOURS: dict[str, str] = {}


_COLOURS_LOCK = threading.Lock()


def login_colour(login: object) -> str:
    """The one colour of a login on every plot of this session: the next free colour of the palette
    the first time a login is drawn (so the first logins are all different), a stable hash of its
    name once the palette is used up; ``others`` is always grey."""
    name = str(login)
    if name == OTHERS:
        return _OTHERS_COLOUR
    with _COLOURS_LOCK:
        colour = _SESSION_COLOURS.get(name)
        if colour is None:
            used = len(_SESSION_COLOURS)
            if used < len(_PALETTE):
                colour = _PALETTE[used]
            else:
                digest = hashlib.blake2b(name.encode("utf-8"), digest_size=4).digest()
                colour = _PALETTE[int.from_bytes(digest, "big") % len(_PALETTE)]
            _SESSION_COLOURS[name] = colour
        return colour


def top_logins(df: pd.DataFrame, metric: str, top: int | None) -> pd.DataFrame:
    """``df`` with every login beyond the ``top`` largest by ``metric`` summed into one ``others``
    row per period (``top=None``: all logins)."""
    if top is None:
        return df
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise said(QueryError, "top must be a whole number >= 1 or None, not {top}", top=repr(top))
    totals = df.groupby("login", observed=True)[metric].sum().sort_values(ascending=False, kind="stable")
    if len(totals) <= top + 1:  # "others" for a single login would hide its name for nothing
        return df
    keep = {str(x) for x in totals.index[:top]}
    names = df["login"].astype(str)
    rest = df[~names.isin(keep)]
    keys = [c for c in ("period_start", "period_end") if c in df.columns] + ["currency"]
    others = rest.groupby(keys, observed=True, as_index=False)[["sms", "credit", "debit"]].sum()
    others["login"] = OTHERS
    out = pd.concat([df[names.isin(keep)], others[df.columns]], ignore_index=True)
    out["login"] = out["login"].astype("string")
    out.attrs = {**df.attrs, "others": int(len(totals) - top)}
    return out


def text(value: object) -> str:
    """A login (or any data) as plain text on a plot: matplotlib reads ``$…$`` as mathtext, so a
    login like ``usd$5$off`` would be drawn as a formula, or make drawing raise. The bar of the
    smaller logins is named in the current language."""
    if str(value) == OTHERS:
        return _("others")
    return str(value).replace("$", r"\$")
