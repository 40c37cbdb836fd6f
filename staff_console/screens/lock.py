"""The lock screen (Ctrl+L, or after the idle minutes): the same person's password opens it.

It covers the whole terminal, so no customer data stays visible on an unattended desk.
Five wrong passwords lock the staff account (the service's rule) and sign the person out.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static
from textual.worker import Worker

from ..domain.errors import ConsoleError
from ..i18n import refusal, t
from ..widgets import format as fmt
from ..widgets.footer import ConsoleFooter
from ..widgets.text_field import TextField
from .base import ConsoleScreen


class LockScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("lock.tcss")
    AUTO_FOCUS = "#lock-password"
    BINDINGS = [
        Binding("f10", "leave", "keys.sign_out", id="lock.sign_out"),
        Binding("f1", "app.help", "keys.help", id="lock.help"),
    ]

    class Unlocked(Message):
        pass

    class Refused(Message):
        def __init__(self, error: ConsoleError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, idle: bool) -> None:
        super().__init__()
        self.idle = idle
        self._unlocking: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        actor = self.member.actor
        minutes = self.staff_app.idle_seconds / 60
        reason = (t("lock.idle", minutes=f"{minutes:g}") if self.idle else t("lock.manual"))
        with Center():
            with Vertical(id="lock-box"):
                mark = self.staff_app.training_mark  # a training store says so here too
                yield Static(f"{t('lock.title')} · {mark}" if mark else t("lock.title"),
                             id="lock-title", classes="-training" if mark else "")
                yield Label(reason, id="lock-reason")
                yield Label(fmt.plain(t("lock.prompt", name=actor.name,
                                        employee_no=actor.employee_no)), id="lock-prompt")
                yield TextField(password=True, id="lock-password", max_length=128)
                yield Static("", id="lock-message")
        yield ConsoleFooter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value or self.busy(self._unlocking):
            return
        self._unlocking = self.loading_while(self.unlock(event.value),
                                             self.query_one("#lock-password"))

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def unlock(self, password: str) -> None:
        try:
            self.api.unlock(password)
        except ConsoleError as error:
            self.post_answer(self.Refused(error))
            if error.code != "STAFF_LOCKED":
                raise  # the notification (STAFF_LOCKED's is shown by the handler below)
            return
        self.post_answer(self.Unlocked())

    def on_lock_screen_unlocked(self, _message: Unlocked) -> None:
        self.dismiss("unlocked")

    def on_lock_screen_refused(self, message: Refused) -> None:
        error = message.error
        box = self.query_one("#lock-password", Input)
        box.value = ""
        box.focus()
        if error.code in ("AUTH_FAILED", "STAFF_LOCKED"):
            words = refusal(error.code, error.detail, error.values, error.field)
            self.query_one("#lock-message", Static).update("\n".join(filter(None, words)))
        if error.code == "STAFF_LOCKED":
            self.staff_app.report_error(error)
            self.dismiss("sign_out")

    def action_leave(self) -> None:
        self.dismiss("sign_out")
