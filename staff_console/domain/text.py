"""Untrusted text: what a person or a channel may type, and how stored text is shown.

In: `clean_text` is the one rule for every text field that comes from a person or a channel.
It refuses, with INVALID_INPUT naming the field (and the code point, never the raw character):
- control characters: C0 (U+0000-U+001F), DEL and C1 (U+0080-U+009F): terminal escapes
  (ESC [ 2J, OSC 52 clipboard writes, C1 CSI) start with them. A multi-line field (a note typed
  in the app's text area) keeps line feeds (CR LF and CR become LF); nothing else;
- format characters (Unicode Cf): the bidi embeddings, overrides and isolates (U+202A-U+202E,
  U+2066-U+2069), the marks U+200E/U+200F/U+061C, the zero-width characters (U+200B-U+200D,
  U+2060, U+FEFF), invisible tag characters, soft hyphens: they make text read differently
  from what it is;
- line and paragraph separators, surrogates, private-use and unassigned code points, and the
  few letters and marks that render as nothing (Hangul fillers, variation selectors).
Text is NFC-normalised first (a Korean name typed on a Mac arrives decomposed), then stripped,
then bounded in length (code points). The limits of every field are in `LIMITS`.

Out: `display_safe` renders any stored string (including rows written before this rule) as
plain visible text: each refused character becomes its escape (`\\x1b`, `\\u202e`), so it can
neither act on a terminal nor hide what follows. Markup is a separate matter for whoever
renders: the CLI's console does not parse markup, the app renders data as Text objects.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, overload

from .errors import invalid

# Upper bounds in code points, one per kind of field. A field is refused above its bound,
# never cut silently (a cut note can change meaning).
LIMITS: dict[str, int] = {
    "customer_name": 60,
    "staff_name": 40,
    "branch_name": 40,
    "employee_no": 20,
    "device_id": 128,
    "device_model": 64,
    "key_fingerprint": 128,
    "note": 500,
    "search": 100,
}
# Accounts one customer may hold in an import row (each 6-20 digits).
MAX_ACCOUNTS_PER_CUSTOMER = 20

# Letters and marks that render as nothing: Hangul fillers, the combining grapheme joiner,
# Khmer inherent vowels, Mongolian selectors, variation selectors.
_INVISIBLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0]
    + list(range(0x180B, 0x1810)) + list(range(0xFE00, 0xFE10)) + list(range(0xE0100, 0xE01F0))
)
_INVISIBLE_RE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\u180b-\u180f\ufe00-\ufe0f"
    "\U000e0100-\U000e01ef]")
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character (bidi or zero-width)",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "a surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned character",
}


_PASTE = str.maketrans({"\t": " ", "\r": " ", "\n": " "})


def refused_reason(ch: str) -> str | None:
    """Why `ch` may not appear in text from outside, or None if it may."""
    if ord(ch) in _INVISIBLE:
        return "an invisible character"
    return _REFUSED_CATEGORIES.get(unicodedata.category(ch))


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


@overload
def clean_text(
    value: str | None, field: str, *, limit: str | int, required: Literal[True] = True,
    multiline: bool = False, paste: bool = False,
) -> str: ...


@overload
def clean_text(
    value: str | None, field: str, *, limit: str | int, required: bool,
    multiline: bool = False, paste: bool = False,
) -> str | None: ...


def clean_text(
    value: str | None, field: str, *, limit: str | int, required: bool = True,
    multiline: bool = False, paste: bool = False,
) -> str | None:
    """The field's text, normalised and stripped, or INVALID_INPUT naming `field`.
    `limit`: a key of LIMITS or a number. An empty optional field is None. `paste`: tabs and
    line breaks become spaces (a search box takes what is pasted from a spreadsheet)."""
    bound = LIMITS[limit] if isinstance(limit, str) else limit
    text = unicodedata.normalize("NFC", value or "")
    if paste:
        text = text.translate(_PASTE)
    elif multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not is_plain(text):  # the common case (plain text) is checked at C speed
        for position, ch in enumerate(text, start=1):
            if multiline and ch == "\n":
                continue
            reason = refused_reason(ch)
            if reason is not None:
                raise invalid(field,
                              f"contains {reason} ({code_point(ch)}) at position {position}",
                              "errors.detail.refused_char", field=field,
                              char=code_point(ch), position=position)
    text = text.strip()
    if not text:
        if required:
            raise invalid(field, "is required", "errors.detail.required", field=field)
        return None
    if len(text) > bound:
        raise invalid(field, f"must be at most {bound} characters", "errors.detail.too_long",
                      field=field, max=bound)
    return text


def is_plain(text: str) -> bool:
    """True when `text` holds nothing display_safe would escape (a fast test, at C speed:
    isprintable() is False for every refused category, and for spaces other than ' ', which
    then go the slow way and pass)."""
    return (text.isprintable() and not _INVISIBLE_RE.search(text)) or all(
        refused_reason(ch) is None for ch in text)


def _escape(ch: str) -> str:
    n = ord(ch)
    if n < 0x100:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{n:02x}")
    return f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def display_safe(value: object, *, multiline: bool = False) -> str:
    """`value` as visible text: every character `clean_text` refuses is shown as its escape.
    `multiline` keeps line feeds (a note in a box of several lines)."""
    text = "" if value is None else str(value)
    if is_plain(text):
        return text
    return "".join(
        ch if (multiline and ch == "\n") or refused_reason(ch) is None else _escape(ch)
        for ch in text
    )


# A spreadsheet reads a cell starting with one of these as a formula (OWASP CSV injection);
# the full-width forms too, which some East Asian spreadsheet settings convert.
_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def spreadsheet_safe(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: control characters escaped (line feeds
    kept: CSV quotes them), and a cell that could start a formula prefixed with `'`."""
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_START:
        text = "'" + text
    return display_safe(text, multiline=True)
