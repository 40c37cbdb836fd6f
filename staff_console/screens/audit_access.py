"""The audit screen's second pane, 접속기록 점검 (managers and auditors): the month's access-log
review.

The month's personal-data access events (a manager sees the branch's staff, an auditor
everyone), the month's sign-off if there is one, and `s` to sign the review off (an optional
note, a confirmation), which is itself an audit event; its signed head is appended to the anchor
file when one is set. `e` exports the month's log up to the newest row shown, recorded as an
export (`access_log.export`).

At 80 columns the table leaves out, the first first (widgets/fit_table.py): the
detail, then the terminal.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from ..domain.authority import Role
from ..domain.errors import ConsoleError
from ..i18n import refusal, t
from ..widgets import format as fmt
from ..widgets.text_field import TextField
from .audit_events import audit_table
from .base import ConsoleCalls
from .modals import ConfirmModal, NoteModal

if TYPE_CHECKING:
    from ..services.views import AuditEventView, AuditPage
    from .session import StaffSession

ACCESS_LIMIT = 500
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _summary(detail: dict, limit: int = 60) -> str:
    """`query=홍길동 kinds=2 results=1`: scalars as they are, lists by their length."""
    parts = []
    for key, value in (detail or {}).items():
        if isinstance(value, list | tuple):
            parts.append(f"{key}={len(value)}")
        elif not isinstance(value, dict) and value not in (None, ""):
            parts.append(f"{key}={value}")
    text = " ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class AccessPane(ConsoleCalls, Vertical):
    BINDINGS = [
        Binding("s", "sign_off", "keys.sign_off", id="access.sign_off"),
        Binding("e", "export", "keys.export", id="access.export"),
        Binding("slash", "focus_month", "keys.filter", show=False, id="access.month"),
        Binding("ctrl+t", "screen.switch_tab", "keys.switch_tab", id="access.switch_tab"),
        Binding("ctrl+r", "reload", "keys.refresh", id="access.refresh"),
    ]

    class Loaded(Message):
        def __init__(self, month: str, page: AuditPage, signoffs: list[AuditEventView]) -> None:
            super().__init__()
            self.month = month
            self.page = page
            self.signoffs = signoffs

    class SignedOff(Message):
        """The review is signed off (`event`); `anchor_problem`: the anchor file could not
        take its head (the sign-off stands)."""

        def __init__(self, event: AuditEventView, anchor_problem: ConsoleError | None) -> None:
            super().__init__()
            self.event = event
            self.anchor_problem = anchor_problem

    class EventsChanged(Message):
        """New events are in the trail (a sign-off): the events pane reads them again."""

    class Exported(Message):
        def __init__(self, path: Path, rows: int) -> None:
            super().__init__()
            self.path = path
            self.rows = rows

    def __init__(self, month: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_calls()
        self.first_month = month
        self.access: list = []
        self.access_month: str | None = None
        self.access_more = False
        self.signoffs: list = []
        self._events_stale = False

    @property
    def session(self) -> StaffSession | None:
        return self.staff_app.session

    @property
    def may_review(self) -> bool:
        return self.session is not None and self.session.may_review_access()

    def compose(self) -> ComposeResult:
        with Horizontal(id="access-controls"):
            yield Label(t("audit.month"))
            yield TextField(self.first_month, id="access-month", max_length=7)
            yield Static("", id="access-signed")
        yield audit_table("access-table", (("seq", 7), ("at", 16), ("actor", 8),
                                           ("terminal", 12), ("action", 18), ("customer", 10),
                                           ("detail", 30)),
                          drop_order=("detail", "terminal"))
        yield Static("", id="access-status", classes="audit-status")

    # ------------------------------------------------------------------ the month's log

    def load_access(self) -> None:
        if not self.may_review:
            return
        box = self.query_one("#access-month", Input)
        month = box.value.strip()
        if not MONTH.match(month):
            self.notify(t("audit.bad_month"), severity="warning")
            box.focus()
            return
        member = self.member
        scope = "all" if member.role is Role.AUDITOR else member.actor.branch_code
        self.loading_while(self.read(month, scope), self.query_one("#access-table", DataTable))

    @work(thread=True, exclusive=True, group="access", exit_on_error=False)
    def read(self, month: str, scope: str) -> None:
        console = self.api
        page = console.access_log(month, limit=ACCESS_LIMIT)
        signed = console.list_events(action="access_log.signed_off", limit=200)
        signoffs = [e for e in signed.items
                    if e.detail.get("month") == month and e.detail.get("scope") == scope]
        self.post_answer(self.Loaded(month, page, signoffs))

    def on_access_pane_loaded(self, message: Loaded) -> None:
        month = self.access_month = message.month
        self.access = list(message.page.items)
        self.access_more = message.page.has_more
        self.signoffs = message.signoffs
        table = self.query_one("#access-table", DataTable)
        table.clear()
        for e in self.access:
            table.add_row(*fmt.cells(str(e.seq), fmt.when(e.at), e.actor, e.terminal,
                                     t(f"action.{e.action}", e.action), e.customer_no or "-",
                                     _summary(e.detail)), key=str(e.seq))
        actor = self.member.actor
        scope = (t("audit.access_scope.all") if actor.role is Role.AUDITOR
                 else t("audit.access_scope.branch", branch=actor.branch_code))
        status = self.query_one("#access-status", Static)
        if self.access:
            more = t("audit.access_more", limit=ACCESS_LIMIT) if self.access_more else ""
            status.update(t("audit.access_status", month=month, count=len(self.access),
                            more=more, scope=scope))
        else:
            status.update(t("audit.access_none", month=month))
        self._show_signoff()
        table.focus()
        self.screen.refresh_bindings()
        if self._events_stale:  # after this read: one call at a time
            self._events_stale = False
            self.post_message(self.EventsChanged())

    def _show_signoff(self) -> None:
        box = self.query_one("#access-signed", Static)
        if not self.signoffs:
            box.update(Text(t("audit.not_signed", month=self.access_month), style="yellow"))
            return
        latest = self.signoffs[0]
        note = latest.detail.get("note") or ""
        box.update(fmt.plain(t("audit.signed", when=fmt.when(latest.at), actor=latest.actor,
                               scope=_scope_words(latest.detail.get("scope")),
                               note=f" · {note}" if note else ""), style="green"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.load_access()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.screen.refresh_bindings()

    def action_reload(self) -> None:
        self.load_access()

    def action_focus_month(self) -> None:
        self.query_one("#access-month", Input).focus()

    # ------------------------------------------------------------------ sign-off

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_sign_off(self) -> None:
        if not self.may_review or self.access_month is None:
            return
        month = self.access_month
        note = await self.app.push_screen_wait(NoteModal(t("audit.sign_title", month=month),
                                                         t("audit.sign_prompt"),
                                                         required=False))
        if note is None:
            return
        question = t("audit.sign_confirm", month=month, count=len(self.access))
        if await self.app.push_screen_wait(ConfirmModal(question,
                                                        title=t("audit.sign_confirm_title"))):
            self.loading_while(self.sign_off(month, note or None),
                               self.query_one("#access-table", DataTable))

    @work(thread=True, exclusive=True, group="sign-off", exit_on_error=False)
    def sign_off(self, month: str, note: str | None) -> None:
        """The sign-off, then its signed head appended to the anchor file when there is one.
        A failed append does not undo the sign-off: it is shown."""
        console = self.api
        signed = console.sign_off_access_review(month, note=note)
        problem = None
        if self.staff_app.anchor_file() is not None:
            try:
                self.staff_app.append_anchor(console.signoff_anchor(signed).line)
            except ConsoleError as exc:
                problem = exc
        self.post_answer(self.SignedOff(signed, problem))

    def on_access_pane_signed_off(self, message: SignedOff) -> None:
        self.notify(t("audit.signed_done", month=message.event.detail.get("month"),
                      seq=message.event.seq))
        if message.anchor_problem is not None:
            problem = message.anchor_problem  # in words (i18n.refusal), not its message
            words = refusal(problem.code, problem.detail, problem.values, problem.field)
            self.notify(t("audit.anchor_failed", error=" ".join(filter(None, words))),
                        severity="warning", timeout=15)
        self._events_stale = True  # the events are read again after the access log
        self.load_access()

    # ------------------------------------------------------------------ export

    def action_export(self) -> None:
        if not self.access or self.access_month is None:
            self.notify(t("audit.export_empty"), severity="warning")
            return
        newest = max(e.seq for e in self.access)
        self.loading_while(self.export(self.access_month, newest),
                           self.query_one("#access-table", DataTable))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, month: str, newest: int) -> None:
        try:
            path = self.staff_app.new_export_path(f"access-log-{month}")
            result = self.api.export_access_log(month, path, through_seq=newest)
        except OSError as error:  # the file, on this terminal: said as such
            self.report_export_failure(error)
            return
        self.post_answer(self.Exported(Path(result.path), result.rows))

    def on_access_pane_exported(self, message: Exported) -> None:
        self.notify(t("audit.exported", count=message.rows, path=str(message.path)),
                    title=t("export.title"), timeout=12)

    # ------------------------------------------------------------------ gating

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None or not self.may_review:
            return False
        if action == "sign_off":
            return self.access_month is not None  # 15.4: not shown, never dimmed
        if action == "export":
            return bool(self.access)
        return True


def _scope_words(scope: object) -> str:
    """A sign-off's scope in words: every branch (`all`) or `branch 001`, not the stored code."""
    if scope == "all":
        return t("audit.access_scope.all")
    return t("audit.access_scope.branch", branch=scope) if scope else "-"
