"""직무대행 (F4, branch managers): the branch's delegations, grant one, end one early.

A manager sees the branch's delegations and grants approval authority to a staff member of the
branch for a period [from, until) entered in Korea time (`g`: the form, then a confirmation), or
ends the selected one now (`x`, with a confirmation). Anyone else who reaches the screen sees the
delegations granted to them, read-only; the services refuse the rest anyway.

At 80 columns the table leaves out, the first first (widgets/fit_table.py): the
ended time, the grantor, the start (kept: number, delegate, until, state).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..domain.authority import BRANCH_ROLES, ENDABLE, delegation_state
from ..domain.clock import SEOUL
from ..i18n import t
from ..widgets import format as fmt
from ..widgets.fit_table import FitTable
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from ..widgets.text_field import TextField
from .base import ConsoleScreen
from .modals import MODALS_TCSS, ConfirmModal, DialogButtons, FormModal

if TYPE_CHECKING:
    from ..services.views import DelegationView, StaffView

TIME_FORMAT = "%Y-%m-%d %H:%M"
DEFAULT_DAYS = 7
STATE_STYLE = {"active": "bold green", "scheduled": "yellow", "ended": "dim", "expired": "dim"}


def parse_korea_time(text: str) -> datetime | None:
    """`2026-11-24 09:00` (Korea time) -> an aware instant; None if it is not that format."""
    try:
        local = datetime.strptime(" ".join(text.split()), TIME_FORMAT)
    except ValueError:
        return None
    return local.replace(tzinfo=SEOUL)


def korea_time(instant: datetime) -> str:
    return instant.astimezone(SEOUL).strftime(TIME_FORMAT)


def state_of(d, now: datetime) -> str:
    """active, scheduled, ended (early) or expired (its period is over): the domain's rule."""
    return delegation_state(d.valid_from, d.valid_until, d.ended_at, now).value


class GrantModal(FormModal):
    """The delegate (staff of the branch), from and until in Korea time. Returns
    `(employee_no, name, valid_from, valid_until)` or None."""

    CSS_PATH = [MODALS_TCSS, Path(__file__).with_name("delegation.tcss")]

    def __init__(self, candidates: list, now: datetime) -> None:
        super().__init__()
        self.candidates = candidates
        start = now.astimezone(SEOUL).replace(second=0, microsecond=0)
        self.default_from = start
        self.default_until = start + timedelta(days=DEFAULT_DAYS)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="grant-dialog"):
            yield Static(t("delegation.form.title"), classes="dialog-title")
            yield Label(t("delegation.form.delegate"))
            if self.candidates:
                yield OptionList(*[
                    Option(fmt.plain(t("delegation.staff_item", name=s.name,
                                       employee_no=s.employee_no, role=fmt.role(s.role))),
                           id=s.employee_no)
                    for s in self.candidates
                ], id="grant-delegate")
            else:
                yield Static(t("delegation.form.no_staff"), classes="dialog-error")
            yield Label(t("delegation.form.from"))
            yield TextField(korea_time(self.default_from), id="grant-from", max_length=16)
            yield Label(t("delegation.form.until"))
            yield TextField(korea_time(self.default_until), id="grant-until", max_length=16)
            yield Static("", id="grant-message", classes="dialog-error")
            with DialogButtons():
                yield Button(t("delegation.form.submit"), id="ok", variant="primary",
                             disabled=not self.candidates)
                yield Button(t("confirm.cancel"), id="cancel")

    def on_mount(self) -> None:
        if self.candidates:
            picker = self.query_one("#grant-delegate", OptionList)
            picker.highlighted = 0
            picker.focus()
        else:
            self.query_one("#cancel", Button).focus()

    def _fail(self, message: str, focus: str) -> None:
        self.query_one("#grant-message", Static).update(message)
        self.query_one(focus).focus()

    def _submit(self) -> None:
        if not self.candidates:
            return
        picker = self.query_one("#grant-delegate", OptionList)
        if picker.highlighted is None:
            self._fail(t("delegation.form.pick"), "#grant-delegate")
            return
        chosen = self.candidates[picker.highlighted]
        start = parse_korea_time(self.query_one("#grant-from", Input).value)
        if start is None:
            self._fail(t("delegation.form.bad_time", field=t("delegation.col.from")),
                       "#grant-from")
            return
        until = parse_korea_time(self.query_one("#grant-until", Input).value)
        if until is None:
            self._fail(t("delegation.form.bad_time", field=t("delegation.col.until")),
                       "#grant-until")
            return
        if until <= start:
            self._fail(t("delegation.form.order"), "#grant-until")
            return
        self.dismiss((chosen.employee_no, chosen.name, start, until))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#grant-from", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # Enter in "from" moves on; FormModal would submit
        if event.input.id == "grant-from":
            self.query_one("#grant-until", Input).focus()
        else:
            self._submit()


class DelegationScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("delegation.tcss")
    AUTO_FOCUS = "#delegation-table"
    BINDINGS = [
        Binding("g", "grant", "keys.grant", id="delegation.grant"),
        Binding("x", "end", "keys.end_delegation", id="delegation.end"),
        Binding("ctrl+r", "reload", "keys.refresh", id="delegation.refresh"),
    ]

    class Loaded(Message):
        def __init__(self, delegations: list[DelegationView], staff: list[StaffView]) -> None:
            super().__init__()
            self.delegations = delegations
            self.staff = staff

    class Granted(Message):
        def __init__(self, delegation: DelegationView) -> None:
            super().__init__()
            self.delegation = delegation

    class Ended(Message):
        """A delegation ended early (`delegation`), or the end was refused (None)."""

        def __init__(self, delegation: DelegationView | None) -> None:
            super().__init__()
            self.delegation = delegation

    def __init__(self) -> None:
        super().__init__()
        self.delegations: list = []
        self.staff: list = []
        self.loaded = False

    @property
    def help_title(self) -> str:
        return t("nav.delegation.title")

    @property
    def help_tips(self) -> str:
        return t("delegation.tips")

    @property
    def may_delegate(self) -> bool:
        return self.session is not None and self.session.may_delegate()

    def compose(self) -> ComposeResult:
        yield SessionBar(t("nav.delegation.title"))
        yield Static("", id="delegation-intro")
        # A narrow terminal leaves out the ended time, then the grantor, then the start.
        table: DataTable[Text] = FitTable(id="delegation-table", cursor_type="row", zebra_stripes=True,
                                          drop_order=("ended", "grantor", "from"))
        for key, width in (("id", 5), ("delegate", 18), ("grantor", 18), ("from", 16),
                           ("until", 16), ("ended", 16), ("state", 12)):
            table.add_column(t(f"delegation.col.{key}"), key=key, width=width)
        yield table
        yield Static("", id="delegation-status")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        session = self.member
        intro = (t("delegation.intro_manager", branch=session.actor.branch_code)
                 if self.may_delegate else t("delegation.intro_readonly"))
        self.query_one("#delegation-intro", Static).update(intro)
        self.action_reload()

    def on_screen_resume(self) -> None:
        if self.loaded:  # back from another section: delegations may have started or ended
            self.action_reload()

    def action_reload(self) -> None:
        self.loading_while(self.load(self.may_delegate), self.query_one("#delegation-table"))

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self, may_delegate: bool) -> None:
        console = self.api
        delegations = console.list_delegations()
        staff = console.list_staff() if may_delegate else []
        self.post_answer(self.Loaded(delegations, staff))

    def on_delegation_screen_loaded(self, message: Loaded) -> None:
        self.loaded = True
        self.delegations = list(message.delegations)
        self.staff = list(message.staff)
        if self.session is not None:
            self.session.set_delegations(message.delegations)
        self._fill()
        self.refresh_bindings()

    def _fill(self) -> None:
        table = self.query_one("#delegation-table", DataTable)
        row = table.cursor_row
        table.clear()
        now = self.staff_app.now()
        active = 0
        for d in self.delegations:
            state = state_of(d, now)
            active += state == "active"
            table.add_row(*fmt.cells(
                str(d.id), f"{d.delegate_name} ({d.delegate})", f"{d.grantor_name} ({d.grantor})",
                fmt.when(d.valid_from), fmt.when(d.valid_until), fmt.when(d.ended_at),
                Text(t(f"delegation.state.{state}"), style=STATE_STYLE[state])), key=str(d.id))
        if self.delegations:
            table.move_cursor(row=min(row or 0, len(self.delegations) - 1))
        status = self.query_one("#delegation-status", Static)
        if self.delegations:
            status.update(t("delegation.count", count=len(self.delegations), active=active))
        else:
            status.update(Text(t("delegation.empty"), style="dim"))

    # ------------------------------------------------------------------ selection and gating

    def _current(self):
        table = self.query_one("#delegation-table", DataTable)
        row = table.cursor_row
        if not self.delegations or row is None or not 0 <= row < len(self.delegations):
            return None
        return self.delegations[row]

    def _endable(self, d) -> bool:
        return d is not None and delegation_state(
            d.valid_from, d.valid_until, d.ended_at, self.staff_app.now()) in ENDABLE

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None:
            return False
        if action in ("grant", "end") and not self.may_delegate:
            return False
        if action == "grant":
            return self.loaded  # 15.4: not shown, never dimmed
        if action == "end":
            return self._endable(self._current())
        return True

    # ------------------------------------------------------------------ grant

    def _candidates(self) -> list:
        me = self.member.actor
        return [s for s in self.staff
                if s.id != me.staff_id and s.branch_code == me.branch_code
                and s.role in BRANCH_ROLES and s.active and not s.locked]

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_grant(self) -> None:
        if not self.may_delegate or not self.loaded:
            return
        branch = self.member.actor.branch_code
        answer = await self.app.push_screen_wait(GrantModal(self._candidates(),
                                                            self.staff_app.now()))
        if not answer:
            return
        employee_no, name, start, until = answer
        question = t("delegation.confirm", name=name, employee_no=employee_no,
                     start=korea_time(start), until=korea_time(until), branch=branch)
        if await self.app.push_screen_wait(ConfirmModal(question,
                                                        title=t("delegation.confirm_title"))):
            self.loading_while(self.grant(employee_no, start, until),
                               self.query_one("#delegation-table"))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def grant(self, employee_no: str, start: datetime, until: datetime) -> None:
        delegation = self.api.grant_delegation(delegate_employee_no=employee_no,
                                                   valid_from=start, valid_until=until)
        self.post_answer(self.Granted(delegation))

    def on_delegation_screen_granted(self, message: Granted) -> None:
        d = message.delegation
        self.notify(t("delegation.granted", name=d.delegate_name, employee_no=d.delegate,
                      id=d.id))
        self.action_reload()

    # ------------------------------------------------------------------ end early

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_end(self) -> None:
        d = self._current()
        if not self.may_delegate or not self._endable(d):
            return
        question = t("delegation.end_confirm", id=d.id, name=d.delegate_name,
                     until=fmt.when(d.valid_until))
        if await self.app.push_screen_wait(ConfirmModal(question,
                                                        title=t("delegation.end_title"))):
            self.loading_while(self.end(d.id), self.query_one("#delegation-table"))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def end(self, delegation_id: int) -> None:
        try:
            delegation = self.api.end_delegation(delegation_id)
        except Exception:
            self.post_answer(self.Ended(None))
            raise
        self.post_answer(self.Ended(delegation))

    def on_delegation_screen_ended(self, message: Ended) -> None:
        if message.delegation is not None:
            self.notify(t("delegation.ended", id=message.delegation.id))
        self.action_reload()
