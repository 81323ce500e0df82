"""fmt=2: ``<list><stat><login>…</login>…</stat>…</list>``; errors as ``<result><error>…``.

A body with a DTD (anything with ``<!``) is parsed by defusedxml, so entity expansion and
external entities are refused at once; a body without one cannot declare entities and is parsed
by the standard library's C parser.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.etree.ElementTree import fromstring as _fast_fromstring

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from ...core import empty_frame, error_from_code, make_frame
from ._common import bad_body, clean_texts, to_counts, to_money

_FIELDS = ("login", "sms", "credit", "debit", "currency")
_DECL = re.compile(r"\A\s*<\?xml[^>]*\?>", re.S)

# Fast path for the plain shape the service writes: no DTD, comment, CDATA, attribute or entity
# reference can occur in text these patterns accept (no "<!", no "&", fixed tags), so a match is
# a well-formed document with exactly these values. Anything else takes the XML parser path.
_FIELD = r"\s*<{0}>\s*([^<&]*?)\s*</{0}>"
_STAT = "<stat>" + "".join(_FIELD.format(name) for name in _FIELDS) + r"\s*</stat>"
_STAT_RE = re.compile(_STAT)
_DOC_RE = re.compile(r"\s*<list>\s*(?:" + _STAT.replace("([^<&]*?)", "[^<&]*?") + r"\s*)*</list>\s*\Z")


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=2 body (with or without an XML declaration). An empty body is malformed (no
    traffic is ``<list></list>`` or ``<list/>``)."""
    if not body or body.isspace():
        raise bad_body("an empty answer is not XML (a period without traffic is <list></list>)", body)
    # The text is already decoded: drop the declaration so its encoding= cannot disagree.
    text = _DECL.sub("", body, count=1)
    if "&" not in text and "<!" not in text and _DOC_RE.match(text):
        rows = _STAT_RE.findall(text)
        if not rows:
            return empty_frame()
        cells = np.array(rows, dtype=object)
        return _frame(*(cells[:, i] for i in range(5)), body=body)
    try:
        # Entities can only be declared in a DTD, which needs "<!". Without one, the C parser is
        # safe (only the five predefined entities exist) and three times faster than defusedxml's
        # pure-Python parser; anything with "<!" (a DTD, a comment, CDATA) goes through defusedxml,
        # which refuses entity declarations and external references at once.
        root = _fast_fromstring(text) if "<!" not in text else safe_fromstring(text)
    except DefusedXmlException:
        raise bad_body("XML with entities or a DTD was refused", body) from None
    except (ParseError, ValueError):
        raise bad_body("not well-formed XML", body) from None
    if root.tag == "result":
        return _raise_error(root, body)
    if root.tag != "list":
        raise bad_body(f"unexpected XML root <{root.tag}>", body)
    cols: dict[str, list[str]] = {f: [] for f in _FIELDS}
    for stat in root:
        if stat.tag != "stat":
            raise bad_body(f"unexpected element <{stat.tag}> in <list>", body)
        tags = [child.tag for child in stat]
        if sorted(tags) != sorted(_FIELDS):
            raise bad_body("a <stat> must hold login, sms, credit, debit and currency once each", body)
        for f in _FIELDS:
            cols[f].append((stat.findtext(f) or "").strip())
    if not cols["login"]:
        return empty_frame()
    return _frame(cols["login"], cols["sms"], cols["credit"], cols["debit"], cols["currency"], body=body)


def _frame(login: Any, sms: Any, credit: Any, debit: Any, currency: Any, *, body: str) -> pd.DataFrame:
    login, currency = clean_texts(login, "login", body), clean_texts(currency, "currency", body)
    return make_frame(login, to_counts(sms, body), to_money(credit, body), to_money(debit, body), currency)


def _raise_error(root: Element, body: str) -> pd.DataFrame:
    code_text = (root.findtext("error_code") or "").strip()
    if not code_text.lstrip("-").isdigit():
        raise bad_body("an XML error answer without a numeric <error_code>", body)
    raise error_from_code(abs(int(code_text)), (root.findtext("error") or "").strip())
