"""F1: the keys of the screen underneath, and the keys that work everywhere.

A letter key is listed with the jamo it types in 한글 mode, which does the same (`a / ㅁ`,
screens/keys.py)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ..domain.keyboard import is_jamo_key, twin
from ..i18n import CATALOGS, language, t
from .base import ConsoleModal
from .keys import twin_label


class HelpScreen(ConsoleModal):
    CSS_PATH = Path(__file__).with_name("help.tcss")
    BINDINGS = [
        Binding("escape", "close", "keys.close", id="help.close"),
        Binding("f1", "close", "keys.close", show=False, id="help.close_f1"),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def _table(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        seen: set[str] = set()
        ours = {text for key, text in CATALOGS[language()].items() if key.startswith("keys.")}
        active_bindings = self.under.active_bindings

        def same(key: str | None, binding: Binding) -> bool:
            other = active_bindings.get(key) if key is not None else None
            return other is not None and other.binding.action == binding.action

        for key, active in active_bindings.items():
            binding = active.binding
            if not active.enabled or binding.description not in ours or binding.system:
                continue  # Textual's own (scrolling, copying) are not the console's keys
            if is_jamo_key(key) and same(twin(key), binding):
                continue  # shown with its letter key: `a / ㅁ`
            label = self.app.get_key_display(binding)
            jamo = twin_label(key)
            if same(jamo, binding):
                label = f"{label} / {jamo}"
            if label in seen:
                continue
            seen.add(label)
            grid.add_row(label, binding.description)
        return grid

    def compose(self) -> ComposeResult:
        title = getattr(self.under, "help_title", None) or t("help.title")
        with VerticalScroll(id="help-box"):
            yield Static(Text(title, style="bold"), id="help-title")
            yield Static(self._table(), id="help-keys")
            tips = getattr(self.under, "help_tips", None)
            if tips:
                yield Static(tips, id="help-tips")
            yield Static(t("help.everywhere"), id="help-everywhere")
            yield Static(t("help.close"), id="help-close")

    def action_close(self) -> None:
        self.dismiss(None)
