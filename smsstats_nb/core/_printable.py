"""Text from the outside (a login a reseller's customer chose) made safe to print in a terminal,
and any text made writable in the terminal's own encoding.

A login may hold an ANSI escape (``\\x1b[2J`` clears the screen, ``\\x1b]8;;`` makes a link), a
right-to-left override (U+202E turns ``evil\\u202etxt.exe`` into ``evilexe.txt``) or a line
break: :func:`printable` shows each such character as its escape (``\\x1b``, ``\\u202e``).
:func:`writable` lets a KOI8-R or CP1251 terminal print what it can: ``₽`` becomes ``RUB``, ``→``
becomes ``->``, and anything else it cannot write becomes ``?``, never a ``UnicodeEncodeError``.
"""

from __future__ import annotations

__all__ = ["FALLBACKS", "printable", "writable"]

#: Characters a narrow terminal encoding lacks, and what to write instead.
FALLBACKS = {
    "₽": "RUB",
    "→": "->",
    "←": "<-",
    "…": "...",
    "—": "-",
    "–": "-",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "▲": "^",
    "▼": "v",
    "⬇": "v",
    "✓": "+",
    "×": "x",
    "·": "*",
    "№": "No",
    "\u00a0": " ",
    "\u202f": " ",
}


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control, format (bidi overrides, zero-width) and line-break character
    shown as its escape; letters, digits, spaces and punctuation of any script kept."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in value)


def writable(text: str, encoding: str | None) -> str:
    """``text`` as a stream in ``encoding`` can write it (unchanged when it can)."""
    if not encoding:
        return text
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        pass
    out = []
    for ch in text:
        try:
            ch.encode(encoding)
            out.append(ch)
        except UnicodeEncodeError:
            out.append(FALLBACKS.get(ch, "?"))
        except LookupError:  # an encoding Python does not know: keep the text, swap what we know
            out.append(FALLBACKS.get(ch, ch))
    return "".join(out)
