"""Sign-in: employee number and password. Nothing else is reachable before it.

This is the app's first screen and is painted before the database layer is imported; the
sign-in itself waits (in its worker) until the backend is open.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker

from ..domain.errors import ConsoleError
from ..domain.keyboard import typed_keys
from ..i18n import refusal, t
from ..widgets.footer import ConsoleFooter
from ..widgets.text_field import TextField
from .base import ConsoleScreen

if TYPE_CHECKING:
    from ..domain.authority import Actor
    from ..domain.policy import Policy
    from ..services.views import DelegationView


class SignInScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("signin.tcss")
    # Below 32 rows (80x24) the box closes up its blank lines (signin.tcss).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    AUTO_FOCUS = "#employee-no"
    BINDINGS = [
        Binding("f1", "app.help", "keys.help", id="signin.help"),
        Binding("ctrl+q", "app.quit", "keys.quit", id="signin.quit"),
        # Keys typed ahead (SSH lag, a password manager, a fast typist) arrive together. As
        # priority bindings, Enter and Tab are handled by the app as it takes each key off its
        # queue, so the focus has moved before the next key is passed on: the password never
        # lands in the employee-number field (where it would show in clear).
        Binding("enter", "enter", show=False, priority=True, id="signin.enter"),
        Binding("tab", "next_field", show=False, priority=True, id="signin.next_field"),
        Binding("shift+tab", "previous_field", show=False, priority=True,
                id="signin.previous_field"),
    ]

    class SignedIn(Message):
        def __init__(self, actor: Actor, delegations: list[DelegationView],
                     policy: Policy) -> None:
            super().__init__()
            self.actor = actor
            self.delegations = delegations
            self.policy = policy

    class Refused(Message):
        def __init__(self, error: ConsoleError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._signing_in: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="signin-box"):
                yield Static(t("app.title"), id="signin-title")
                yield Label(t("signin.heading"), id="signin-heading")
                yield Label(t("signin.employee_no"), classes="field-label")
                yield TextField(placeholder=t("signin.employee_no_hint"), id="employee-no",
                                max_length=20)
                yield Label(t("signin.password"), classes="field-label")
                yield TextField(password=True, id="password", max_length=128)
                # Like a Caps Lock warning: shown while the password holds Hangul.
                yield Static(t("signin.hangul_mode"), id="password-hangul")
                yield Button(t("signin.button"), id="signin-button", variant="primary")
                yield Static("", id="signin-message")
                yield Static(t("signin.connecting"), id="signin-status")
        yield ConsoleFooter()

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

    def action_enter(self) -> None:
        employee_no = self.query_one("#employee-no", Input)
        password = self.query_one("#password", Input)
        if self.focused is employee_no:
            self.set_focus(password)  # now, not after the keys already on their way
        else:
            # Keys typed after this Enter must not join the password: the focus leaves the
            # field now. Submit once both fields have taken the keys sent to them before it
            # (each field's queue runs in order: the callbacks queue up behind those keys).
            self.set_focus(self.query_one("#signin-button", Button))
            employee_no.call_later(password.call_later, self.submit)

    def on_input_changed(self, event: Input.Changed) -> None:
        """An employee number typed with the input method left in 한글 mode (a manager at a
        teller's terminal: `ㅡ001`, `며01`) becomes the keys that typed it (`M001`, `AU01`):
        employee numbers are Latin letters and digits. Not the password: its case is lost in
        한글 mode, so it must be typed in English mode; while it holds Hangul (jamo or
        syllables) a hint under it says the input method is in 한글 mode. Only a hint: a
        password may hold Hangul."""
        if event.input.id == "password":
            self._hangul_hint(event.value)
            return
        if event.input.id != "employee-no":
            return
        keys = typed_keys(event.value)
        if keys != event.value:
            event.input.value = keys.upper()
            event.input.cursor_position = len(event.input.value)

    def _hangul_hint(self, password: str) -> None:
        self.query_one("#password-hangul", Static).set_class(
            typed_keys(password) != password, "-shown")

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "signin-button":
            self.submit()

    def submit(self) -> None:
        # The keys that typed it (as on_input_changed shows it): the field's own Changed
        # message may still be on its way when a burst's Enter submits.
        typed = self.query_one("#employee-no", Input).value.strip()
        employee_no = typed_keys(typed).upper() if typed_keys(typed) != typed else typed
        password = self.query_one("#password", Input)
        message = self.query_one("#signin-message", Static)
        if not employee_no or not password.value:
            message.update(t("signin.required"))
            missing = password if employee_no else self.query_one("#employee-no", Input)
            self.set_focus(missing)  # back to what is still to type
            return
        if self.busy(self._signing_in):
            return
        message.update("")
        self._signing_in = self.loading_while(
            self.sign_in(employee_no, password.value, self.staff_app.terminal),
            self.query_one("#signin-button"))

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def sign_in(self, employee_no: str, password: str, terminal: str) -> None:
        self.staff_app.signed_out.wait()  # the previous person's sign-out is recorded first
        try:
            console = self.api
            actor = console.sign_in(employee_no, password, terminal=terminal)
        except ConsoleError as error:
            self.post_answer(self.Refused(error))
            raise  # and the notification
        self.post_answer(self.SignedIn(actor, console.list_delegations(),
                                       console.current_policy()))

    def on_sign_in_screen_signed_in(self, message: SignedIn) -> None:
        self.query_one("#password", Input).value = ""
        self.query_one("#signin-message", Static).update("")
        self.staff_app.start_session(message.actor, message.delegations, message.policy)

    def on_sign_in_screen_refused(self, message: Refused) -> None:
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()
        code = message.error.code
        if code in ("AUTH_FAILED", "STAFF_LOCKED"):
            error = message.error  # in the selected language (i18n.refusal), never the message
            words = refusal(code, error.detail, error.values, error.field)
            self.query_one("#signin-message", Static).update("\n".join(filter(None, words)))

    def reset(self) -> None:
        employee = self.query_one("#employee-no", Input)
        employee.value = ""
        self.query_one("#password", Input).value = ""
        self._hangul_hint("")
        self.query_one("#signin-message", Static).update("")
        employee.focus()
