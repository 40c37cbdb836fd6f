"""The console's text field: Textual's Input whose own keys keep their place among the keys
typed with them.

Textual checks a field's key bindings (Backspace, Delete, the arrows, Home, End, Ctrl+W/U/K,
Enter ...) only after the key has gone up to the app, while the characters typed after it are
inserted by the field at once. Keys typed ahead (a fast typist taking back a jamo, a burst over
SSH) then landed out of order: `홍길`, Backspace, Backspace, `ㅎㄱㄷ` searched for `홍`, and a
password with a typo taken back failed the idle lock's unlock. Here the field runs its own
bindings as it takes each key off its queue, in order with the characters. Keys a screen or
the app binds as priority keys (Tab, a form's Enter) are still theirs: they are taken before
the field sees them.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input


def _own_keys() -> dict[str, str]:
    """Input's own bindings: each key to its action."""
    keys: dict[str, str] = {}
    for binding in Input.BINDINGS:
        if isinstance(binding, Binding):
            for key in binding.key.split(","):
                keys[key.strip()] = binding.action
    return keys


class TextField(Input):
    """Input, its own keys handled in their place (module docstring)."""

    OWN_KEYS = _own_keys()

    async def on_key(self, event: events.Key) -> None:
        action = self.OWN_KEYS.get(event.key)
        if action is None:
            return  # a character (Input inserts it), or a key for the screen or the app
        event.stop()
        event.prevent_default()
        await self.run_action(action)
