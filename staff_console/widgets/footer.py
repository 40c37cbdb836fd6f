"""The footer of every console screen: the keys that keep the desk safe come first.

Textual's footer lists the focused widget's keys, then the screen's, then the app's, and cuts
what does not fit: at 80 columns the lock (Ctrl+L, 잠금) and sign-out (F10, 로그아웃) were the
ones cut. Here they are shown first, with help (F1), whatever the screen; the screen's own keys
follow, the sections' F-keys last (the header names the sections too). Below 100 columns the
footer is compact (less space between keys). Everything cut at a narrow width stays in F1 help.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# The actions shown first, in this order (the app's and the lock screen's own spelling).
FIRST_ACTIONS = ("lock", "app.lock", "sign_out", "app.sign_out", "leave", "help", "app.help")
COMPACT_BELOW = 100  # columns


def _rank(widget: Any) -> int:
    action = getattr(widget, "action", None) if isinstance(widget, FooterKey) else None
    if action in FIRST_ACTIONS:
        return FIRST_ACTIONS.index(action)
    if isinstance(action, str) and action.startswith("section("):
        return len(FIRST_ACTIONS) + 2
    return len(FIRST_ACTIONS) + 1


class ConsoleFooter(Footer):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("show_command_palette", False)
        super().__init__(**kwargs)

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        yield from sorted(keys, key=_rank)  # stable: the screen's own order otherwise

    def on_resize(self, event: events.Resize) -> None:
        self.compact = self.app.size.width < COMPACT_BELOW
