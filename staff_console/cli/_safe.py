"""CLI text output shows data as text: every string Rich renders (table cells, titles, lines)
goes through domain.text.display_safe, so a stored name with a terminal escape, an OSC 52
clipboard write or a bidi override is printed as its visible escape (`\\x1b`, `\\u202e`).
Markup is not parsed at all (the console is created with markup=False). JSON output and error
lines get the same treatment. Rich is imported only when a console is made (CLI start-up)."""

from __future__ import annotations

import functools
import json

from ..domain.text import display_safe, is_plain, refused_reason


@functools.cache
def _console_class():
    from rich.console import Console

    class SafeConsole(Console):
        def render_str(self, text: str, **kwargs):
            return super().render_str(display_safe(text), **kwargs)

    return SafeConsole


def safe_console(**options):
    return _console_class()(**options)


def safe_json(doc, **options) -> str:
    """JSON text in which every character display_safe would escape is a \\u escape: the same
    document to a parser, inert on a terminal (json.dumps with ensure_ascii=False leaves C1,
    bidi and zero-width characters raw). Such characters can only occur inside strings."""
    text = json.dumps(doc, ensure_ascii=False, **options)
    if is_plain(text.replace("\n", "")):
        return text
    return "".join(json.dumps(ch)[1:-1] if ch != "\n" and refused_reason(ch) else ch
                   for ch in text)
