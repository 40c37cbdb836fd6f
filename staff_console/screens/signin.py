"""Sign-in: employee number and password. Nothing else is reachable before it.

This is the app's first screen and is painted before the database layer is imported; the
sign-in itself waits (in its worker) until the backend is open.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from ..i18n import t
from .base import ServiceContext, ServiceScreen


def _sign_in(employee_no: str, password: str, terminal: str):
    def call(ctx: ServiceContext):
        actor = ctx.call("staff.authenticate", employee_no, password, with_actor=False,
                         terminal=terminal)
        ctx.actor = actor
        delegations = ctx.call("delegations.list_delegations")
        return actor, delegations

    return call


class SignInScreen(ServiceScreen):
    AUTO_FOCUS = "#employee-no"
    BINDINGS = [
        Binding("f1", "app.help", "keys.help"),
        Binding("ctrl+q", "app.quit", "keys.quit"),
    ]

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="signin-box"):
                yield Static(t("app.title"), id="signin-title")
                yield Label(t("signin.heading"), id="signin-heading")
                yield Label(t("signin.employee_no"), classes="field-label")
                yield Input(placeholder=t("signin.employee_no_hint"), id="employee-no",
                            max_length=20)
                yield Label(t("signin.password"), classes="field-label")
                yield Input(password=True, id="password", max_length=128)
                yield Button(t("signin.button"), id="signin-button", variant="primary")
                yield Static("", id="signin-message")
                yield Static(t("signin.connecting"), id="signin-status")
        yield Footer(show_command_palette=False)

    def backend_opened(self, error: BaseException | None) -> None:
        status = self.query_one("#signin-status", Static)
        if error is not None:
            status.update(t("signin.db_failed"))
            status.add_class("-error")
            self.staff_app.report_error(error)
            return
        mark = self.staff_app.training_mark
        if mark:  # a training store: marked from the first screen on
            title = self.query_one("#signin-title", Static)
            title.update(f"{t('app.title')} · {mark}")
            title.add_class("-training")
        hint = self.staff_app.demo_hint
        status.update(hint or "")
        status.set_class(bool(hint), "-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "employee-no":
            self.query_one("#password", Input).focus()
        else:
            self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "signin-button":
            self.submit()

    def submit(self) -> None:
        employee_no = self.query_one("#employee-no", Input).value.strip()
        password = self.query_one("#password", Input)
        message = self.query_one("#signin-message", Static)
        if not employee_no or not password.value:
            message.update(t("signin.required"))
            return
        if self.service_busy("sign_in"):
            return
        message.update("")
        self.run_service(_sign_in(employee_no, password.value, self.staff_app.terminal),
                         token="sign_in", loading=self.query_one("#signin-button"))

    def done_sign_in(self, result) -> None:
        actor, delegations = result
        self.query_one("#password", Input).value = ""
        self.query_one("#signin-message", Static).update("")
        self.staff_app.start_session(actor, delegations)

    def failed_sign_in(self, error: BaseException) -> bool:
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()
        code = getattr(error, "code", None)
        if code in ("AUTH_FAILED", "STAFF_LOCKED"):
            message = self.query_one("#signin-message", Static)
            message.update(f"{t('errors.' + code)}\n{error.message}")  # type: ignore[attr-defined]
        return False  # the notification too

    def reset(self) -> None:
        employee = self.query_one("#employee-no", Input)
        employee.value = ""
        self.query_one("#password", Input).value = ""
        self.query_one("#signin-message", Static).update("")
        employee.focus()
