"""The top of every signed-in screen, two lines:

1. where and who: the training mark, the console's title › the section, and on the right the
   person (name and employee number), their role, their branch and today's date;
2. the sections this person may open, each with its function key (`F2 검색  F3 결재함 …`), the
   current one highlighted, and beside 결재함 the live count of requests waiting for this
   person's decision (`app.pending_count`, set by the live 결재함; None: nothing shown).

Nothing runs together, whatever the width: the two sides of line 1 keep at least GAP cells
between them. When they do not fit, parts go in this order (DROP_ORDER): the role (line 2 says
what the role may open), the date, the console's title, the employee number; then the person's
name and at last the section are cut with "…". The training mark is never dropped (DOMAIN.md
8: a training store says so on every screen). Line 2 first narrows its gaps, then shows only the
key of the sections other than the current one, from the right; the keys themselves, the
current section's name and the pending count always stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from ..i18n import t
from . import format as fmt

GAP = 2  # cells between the left and the right side of line 1, at the least
SEP = " · "
ARROW = " › "
# What line 1 gives up first when it does not fit (see the module's docstring).
DROP_ORDER = ("role", "date", "title", "employee_no")


@dataclass(frozen=True)
class Who:
    name: str
    employee_no: str
    role: str
    branch: str
    date: str


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` cells, with "…" when cut."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    out = ""
    for ch in text:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def header_line(width: int, *, mark: str | None, title: str, section: str,
                who: Who | None) -> Text:
    """Line 1 in `width` cells (see the module's docstring for what goes first)."""
    dropped: set[str] = set()

    def left_parts() -> list[tuple[str, str]]:
        parts: list[tuple[str, str]] = []
        if mark:
            parts += [(f" {mark} ", "black on yellow"), (" ", "")]
        if "title" not in dropped:
            parts += [(title, "bold"), (ARROW, "bold")]
        parts.append((section, "bold"))
        return parts

    def right_text() -> str:
        if who is None:
            return ""
        person = who.name if "employee_no" in dropped else f"{who.name} ({who.employee_no})"
        items = [person]
        if "role" not in dropped:
            items.append(who.role)
        items.append(who.branch)
        if "date" not in dropped:
            items.append(who.date)
        return SEP.join(items)

    def size() -> int:
        left = sum(cell_len(text) for text, _ in left_parts())
        right = right_text()
        return left + (GAP + cell_len(right) if right else 0)

    for part in DROP_ORDER:
        if size() <= width:
            break
        dropped.add(part)
    left = left_parts()
    right = right_text()
    over = size() - width
    if over > 0 and right:  # the name is cut first, down to a few cells
        right = _fit(right, max(4, cell_len(right) - over))
        over = sum(cell_len(x) for x, _ in left) + GAP + cell_len(right) - width
    if over > 0:  # then the section
        text, style = left[-1]
        left[-1] = (_fit(text, max(1, cell_len(text) - over)), style)
    line = Text(no_wrap=True, overflow="crop")
    for text, style in left:
        line.append(text, style=style)
    if right:
        used = sum(cell_len(x) for x, _ in left)
        line.append(" " * max(GAP, width - used - cell_len(right)))
        line.append(right)
    return line


@dataclass(frozen=True)
class Tab:
    key: str  # "F2"
    label: str  # "검색"
    current: bool = False
    badge: str = ""  # "결재 대기 3"


def sections_line(width: int, tabs: list[Tab]) -> Text:
    """Line 2 in `width` cells: every tab's key, with as many labels as fit."""
    labelled = [True] * len(tabs)

    def pieces(gap: int) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for i, tab in enumerate(tabs):
            if out:
                out.append((" " * gap, ""))
            style = "reverse bold" if tab.current else ""
            text = f"{tab.key} {tab.label}" if labelled[i] or tab.current else tab.key
            out.append((f" {text} " if tab.current else text, style))
            if tab.badge:
                out.append((f" {tab.badge}", "bold yellow"))
        return out

    def length(items: list[tuple[str, str]]) -> int:
        return sum(cell_len(text) for text, _ in items)

    gap = 2
    items = pieces(gap)
    if length(items) > width:
        gap = 1
        items = pieces(gap)
    for i in reversed(range(len(tabs))):
        if length(items) <= width:
            break
        if not tabs[i].current:
            labelled[i] = False
            items = pieces(gap)
    line = Text(no_wrap=True, overflow="crop")
    for text, style in items:
        line.append(text, style=style)
    return line


class SessionBar(Widget):
    DEFAULT_CSS = """
    SessionBar {
        dock: top;
        height: 2;
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
        """Draw again (the person, the pending count or the language changed)."""
        self.refresh()

    def tabs(self) -> list[Tab]:
        """The sections the signed-in person may open, in order, the current one marked."""
        from ..screens.registry import visible_sections

        app = self.app
        session = getattr(app, "session", None)
        current = getattr(app, "current_mode", None)
        pending = getattr(app, "pending_count", None)
        tabs = []
        for entry in visible_sections(session):
            badge = ""
            if entry.name == "approvals" and isinstance(pending, int):
                badge = t("bar.pending", count=pending)
            tabs.append(Tab(entry.key.upper(), t(f"keys.section.{entry.name}"),
                            entry.name == current, badge))
        return tabs

    def render(self) -> Text:
        app = self.app
        width = max(1, self.content_region.width or self.size.width)
        session = getattr(app, "session", None)
        who = None
        if session is not None:
            actor = session.actor
            who = Who(fmt.safe(actor.name), fmt.safe(actor.employee_no),
                      fmt.role(actor.role.value),
                      t("bar.branch", branch=fmt.safe(actor.branch_code)),
                      fmt.day(app.today()))  # type: ignore[attr-defined]
        line = header_line(width, mark=getattr(app, "training_mark", None),
                           title=t("app.title"), section=fmt.safe(self.section_title), who=who)
        line.append("\n")
        line.append_text(sections_line(width, self.tabs()))
        return line
