"""The top line of every signed-in screen: the console, the section, who, which branch, today."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..i18n import t
from . import format as fmt


class SessionBar(Static):
    DEFAULT_CSS = """
    SessionBar {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, section_title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.section_title = section_title

    def on_mount(self) -> None:
        self.refresh_bar()

    def refresh_bar(self) -> None:
        app = self.app
        grid = Table.grid(expand=True)
        grid.add_column(justify="left", ratio=1)
        grid.add_column(justify="right")
        left = Text(style="bold")
        mark = getattr(app, "training_mark", None)
        if mark:  # a training store says so on every screen, with its fixed clock
            left.append(f" {mark} ", style="black on yellow")
            left.append(" ")
        left.append(t("app.title"))
        left.append(f"  ›  {self.section_title}")
        session = getattr(app, "session", None)
        right = Text()
        if session is not None:
            actor = session.actor
            right.append(fmt.safe(f"{actor.name} ({actor.employee_no}) · "
                                  f"{fmt.role(actor.role.value)} · "
                                  f"{t('bar.branch', branch=actor.branch_code)}"))
            right.append(f" · {fmt.day(app.today())}")  # type: ignore[attr-defined]
        grid.add_row(left, right)
        self.update(grid)
