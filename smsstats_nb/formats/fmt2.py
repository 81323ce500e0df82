"""fmt=2: ``<list><stat><login>…</login>…</stat>…</list>``; errors as ``<result><error>…``.

Parsed with defusedxml, so entity expansion, external entities and DTDs are refused at once.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from ..errors import error_from_code
from ..frames import empty_frame, make_frame
from ._common import bad_body, check_texts, to_counts, to_money

_FIELDS = ("login", "sms", "credit", "debit", "currency")
_DECL = re.compile(r"\A\s*<\?xml[^>]*\?>", re.S)


def parse(body: str) -> pd.DataFrame:
    """Parse a fmt=2 body (with or without an XML declaration)."""
    if not body or body.isspace():
        return empty_frame()
    # The text is already decoded: drop the declaration so its encoding= cannot disagree.
    text = _DECL.sub("", body, count=1)
    try:
        root = safe_fromstring(text)
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
        for f in _FIELDS:
            value = stat.findtext(f)
            if value is None:
                raise bad_body(f"a <stat> has no <{f}>", body)
            cols[f].append(value.strip())
    if not cols["login"]:
        return empty_frame()
    check_texts(cols["login"], "login", body)
    check_texts(cols["currency"], "currency", body)
    return make_frame(
        cols["login"],
        to_counts(cols["sms"], body),
        to_money(cols["credit"], body),
        to_money(cols["debit"], body),
        cols["currency"],
    )


def _raise_error(root: Element, body: str) -> pd.DataFrame:
    code_text = (root.findtext("error_code") or "").strip()
    if not code_text.lstrip("-").isdigit():
        raise bad_body("an XML error answer without a numeric <error_code>", body)
    raise error_from_code(abs(int(code_text)), (root.findtext("error") or "").strip())
