"""The lock screen (Ctrl+L, or after the idle minutes): the same person's password opens it.

It covers the whole terminal, so no customer data stays visible on an unattended desk.
Five wrong passwords lock the staff account (the service's rule) and sign the person out.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Footer, Input, Label, Static

from ..i18n import t
from ..widgets import format as fmt
from .base import ServiceScreen


class LockScreen(ServiceScreen):
    AUTO_FOCUS = "#lock-password"
    BINDINGS = [
        Binding("f10", "leave", "keys.sign_out"),
        Binding("f1", "app.help", "keys.help"),
    ]

    def __init__(self, *, idle: bool) -> None:
        super().__init__()
        self.idle = idle

    def compose(self) -> ComposeResult:
        actor = self.staff_app.session.actor
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
                yield Input(password=True, id="lock-password", max_length=128)
                yield Static("", id="lock-message")
        yield Footer(show_command_palette=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value or self.service_busy("unlock"):
            return
        self.run_service("staff.verify_actor_password", event.value, token="unlock",
                         loading=self.query_one("#lock-password"))

    def done_unlock(self, _actor) -> None:
        self.dismiss("unlocked")

    def failed_unlock(self, error: BaseException) -> bool:
        box = self.query_one("#lock-password", Input)
        box.value = ""
        box.focus()
        code = getattr(error, "code", None)
        if code in ("AUTH_FAILED", "STAFF_LOCKED"):
            self.query_one("#lock-message", Static).update(
                f"{t('errors.' + code)}\n{error.message}")  # type: ignore[attr-defined]
        if code == "STAFF_LOCKED":
            self.staff_app.report_error(error)
            self.dismiss("sign_out")
            return True
        return False

    def action_leave(self) -> None:
        self.dismiss("sign_out")
