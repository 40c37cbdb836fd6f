"""감사 기록 (F7, managers, auditors, admins): the audit trail in two panes, each with its keys.

- 감사 기록 (screens/audit_events.py): the events with filters and pages, `v` verify the chain,
  `e` export;
- 접속기록 점검 (screens/audit_access.py, managers and auditors): the month's access log, `s`
  sign the review off, `e` export.

Ctrl+T switches between them; a person without the review sees the first pane only.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, TabbedContent, TabPane

from ..i18n import t
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from .audit_access import AccessPane
from .audit_events import EventsPane
from .base import ConsoleScreen


class AuditScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("audit.tcss")
    # Each pane has its keys (ctrl+t among them, in the footer's order); this one serves when
    # the focus is on the tabs themselves.
    BINDINGS = [
        Binding("ctrl+t", "switch_tab", "keys.switch_tab", id="audit.switch_tab"),
    ]

    @property
    def help_title(self) -> str:
        return t("nav.audit.title")

    @property
    def help_tips(self) -> str:
        return t("audit.tips")

    @property
    def may_review(self) -> bool:
        return self.session is not None and self.session.may_review_access()

    def compose(self) -> ComposeResult:
        today = self.staff_app.today()
        yield SessionBar(t("nav.audit.title"))
        with TabbedContent(id="audit-tabs"):
            with TabPane(t("audit.tab.events"), id="tab-events"):
                yield EventsPane(id="events-pane")
            with TabPane(t("audit.tab.access"), id="tab-access"):
                yield AccessPane(f"{today.year:04d}-{today.month:02d}", id="access-pane")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        if not self.may_review:
            self.query_one("#audit-tabs", TabbedContent).hide_tab("tab-access")

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        access = self.query_one(AccessPane)
        if event.pane.id == "tab-access" and access.access_month is None:
            access.load_access()
        self.refresh_bindings()

    def on_access_pane_events_changed(self, _message: AccessPane.EventsChanged) -> None:
        self.query_one(EventsPane).action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None:
            return False
        if action == "switch_tab":
            return self.may_review
        return True

    def action_switch_tab(self) -> None:
        if not self.may_review:
            return
        tabs = self.query_one("#audit-tabs", TabbedContent)
        tabs.active = "tab-access" if tabs.active == "tab-events" else "tab-events"
        target = "#access-table" if tabs.active == "tab-access" else "#audit-table"
        self.query_one(target, DataTable).focus()
