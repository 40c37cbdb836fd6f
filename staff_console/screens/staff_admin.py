"""직원 관리 (F9, admins): the people, the branches and the channel back-ends' keys.

Three tabs (`1` `2` `3`, or the tab bar):

* 직원: everyone, or one branch's staff (the branch filter above the table). `n` adds a member
  (employee number, name, branch, role, a first password typed twice); `c` changes the selected
  member's role or branch (a form, then a confirmation that says what ends with it: their
  sessions and the delegations naming them); `l` locks the selected account (a confirmation;
  never one's own: FORBIDDEN, said before anything is asked); `u` unlocks it.
* 지점: the branches with how many staff each has; `n` adds one.
* 채널 키: the keys the channel back-ends call the API with; `n` creates one (the key is shown
  once, in a dialog of its own, and kept nowhere on this terminal), `x` revokes the selected
  one (a confirmation).

Every change is a use case of the services (admin only, each an audit event); this screen is
only reached by an admin, and the services refuse everyone else anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from ..domain.authority import Role
from ..domain.errors import ConsoleError
from ..i18n import t
from ..widgets import format as fmt
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from ..widgets.text_field import TextField
from .base import ConsoleModal, ConsoleScreen
from .modals import MODALS_TCSS, ConfirmModal, DialogButtons, FormModal

if TYPE_CHECKING:
    from ..services.views import BranchView, ChannelKeyView, NewChannelKey, StaffView

TCSS = Path(__file__).with_name("staff_admin.tcss")
ROLES = tuple(r.value for r in Role)  # teller, manager, auditor, admin
CHANNELS = ("mts", "web")
ALL = "*"  # the branch filter's "every branch"
TABS = ("tab-staff", "tab-branches", "tab-keys")


def _row(label: str, field: Any) -> Horizontal:
    """One line of a form: its label, then the field."""
    return Horizontal(Label(label, classes="form-label"), field, classes="form-row")


class BurstForm(FormModal):
    """A form whose keys may arrive together (typed ahead, pasted, over a slow link): Tab,
    Shift+Tab and Enter in a field are priority bindings, handled as the app takes each key off
    its queue, so the focus has moved before the next key is passed on and every key lands in
    the field it was meant for (as on the sign-in screen). Enter in a field submits once every
    field has taken the keys already sent to it."""

    BINDINGS = [
        Binding("tab", "next_field", show=False, priority=True, id="form.next_field"),
        Binding("shift+tab", "previous_field", show=False, priority=True,
                id="form.previous_field"),
        Binding("enter", "submit_typed", show=False, priority=True, id="form.submit"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit_typed":  # a button or a choice takes its own Enter
            return isinstance(self.focused, Input)
        return True

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_submit_typed(self) -> None:
        fields = list(self.query(Input))

        def after(index: int) -> None:  # each field's queue runs in order
            if index == len(fields):
                self._submit()
            else:
                fields[index].call_later(after, index + 1)

        after(0)


class SendingForm(BurstForm):
    """A form that makes its call itself: the answer's view on success (dismissed with it); on
    a refusal the dialog stays open with what was typed, says the code beside the buttons, and
    the app's error handler says why (a notification)."""

    class Sent(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Refused(Message):
        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    MESSAGE_ID = ""  # the Static that shows the refusal's code

    def _call(self, values: Any) -> Any:
        raise NotImplementedError

    def send(self, values: Any) -> None:
        if not self.busy(getattr(self, "_sending", None)):
            self._sending = self._send(values)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def _send(self, values: Any) -> None:
        try:
            result = self._call(values)
        except ConsoleError as exc:
            self.report_from_worker(exc)
            self.post_answer(self.Refused(exc.code))
            return
        self.post_answer(self.Sent(result))

    def on_sending_form_sent(self, message: Sent) -> None:
        self.dismiss(message.result)

    def on_sending_form_refused(self, message: Refused) -> None:
        self.query_one(f"#{self.MESSAGE_ID}", Static).update(
            t("staff.form.refused", code=message.code))


class StaffFormModal(SendingForm):
    """A new member, added by the dialog itself: returns the new member's view, or None. The
    two passwords must match; everything else is checked by the service."""

    CSS_PATH = [MODALS_TCSS, TCSS]
    MESSAGE_ID = "staff-message"

    def _call(self, values: Any) -> Any:
        return self.api.add_staff(**values)

    def __init__(self, branches: list[str], branch: str | None) -> None:
        super().__init__()
        self.branches = branches
        self.branch = branch

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="staff-form"):
            yield Static(t("staff.add.title"), classes="dialog-title")
            yield _row(t("staff.field.employee_no"),
                       TextField(id="employee-no", max_length=20, compact=True))
            yield _row(t("staff.field.name"), TextField(id="name", max_length=40, compact=True))
            yield _row(t("staff.field.branch"),
                       TextField(self.branch or "", id="branch", max_length=10, compact=True,
                                 suggester=SuggestFromList(self.branches, case_sensitive=False)))
            with Horizontal(classes="form-row form-roles"):
                yield Label(t("staff.field.role"), classes="form-label")
                with RadioSet(id="role", compact=True):
                    for i, role in enumerate(ROLES):
                        yield RadioButton(fmt.role(role), value=i == 0, id=f"role-{role}")
            yield _row(t("staff.field.password"),
                       TextField(id="password", password=True, max_length=128, compact=True))
            yield _row(t("staff.field.password2"),
                       TextField(id="password2", password=True, max_length=128, compact=True))
            yield Static(t("staff.add.password_hint"), classes="form-hint")
            yield Static("", id="staff-message", classes="dialog-error")
            with DialogButtons():
                yield Button(t("staff.add.submit"), id="ok", variant="primary")
                yield Button(t("confirm.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#employee-no", Input).focus()

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def _submit(self) -> None:
        message = self.query_one("#staff-message", Static)
        missing = [name for name in ("employee-no", "name", "branch", "password")
                   if not self._value(name).strip()]
        if missing:
            message.update(t("staff.form.missing"))
            self.query_one(f"#{missing[0]}", Input).focus()
            return
        if self._value("password") != self._value("password2"):
            message.update(t("staff.form.password_mismatch"))
            self.query_one("#password2", Input).focus()
            return
        pressed = self.query_one("#role", RadioSet).pressed_button
        role = (pressed.id or "role-teller").removeprefix("role-") if pressed else "teller"
        message.update("")
        self.send({"employee_no": self._value("employee-no").strip(),
                   "name": self._value("name").strip(),
                   "branch_code": self._value("branch").strip(), "role": role,
                   "password": self._value("password")})


class ChangeStaffModal(BurstForm):
    """A member's new role and branch: returns (role, branch) or None (nothing changed is said
    in the dialog, not sent)."""

    CSS_PATH = [MODALS_TCSS, TCSS]

    def __init__(self, member: StaffView, branches: list[str]) -> None:
        super().__init__()
        self.target = member
        self.branches = branches

    def compose(self) -> ComposeResult:
        m = self.target
        with Vertical(classes="dialog", id="change-form"):
            yield Static(fmt.plain(t("staff.change.title", employee_no=m.employee_no,
                                     name=m.name)), classes="dialog-title")
            yield Label(fmt.plain(t("staff.change.now", role=fmt.role(m.role),
                                    branch=m.branch_code)))
            with Horizontal(classes="form-row form-roles"):
                yield Label(t("staff.field.role"), classes="form-label")
                with RadioSet(id="role", compact=True):
                    for role in ROLES:
                        yield RadioButton(fmt.role(role), value=role == m.role,
                                          id=f"role-{role}")
            yield _row(t("staff.field.branch"),
                       TextField(m.branch_code, id="branch", max_length=10, compact=True,
                                 suggester=SuggestFromList(self.branches, case_sensitive=False)))
            yield Static(t("staff.change.effects"), classes="form-hint")
            yield Static("", id="change-message", classes="dialog-error")
            with DialogButtons():
                yield Button(t("staff.change.submit"), id="ok", variant="primary")
                yield Button(t("confirm.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#role", RadioSet).focus()

    def _submit(self) -> None:
        pressed = self.query_one("#role", RadioSet).pressed_button
        role = (pressed.id or "").removeprefix("role-") if pressed else self.target.role
        branch = self.query_one("#branch", Input).value.strip().upper()
        if not branch:
            self.query_one("#change-message", Static).update(t("staff.form.missing"))
            return
        if role == self.target.role and branch == self.target.branch_code:
            self.query_one("#change-message", Static).update(t("staff.change.same"))
            return
        self.dismiss((role, branch))


class BranchFormModal(SendingForm):
    """A new branch, added by the dialog itself: returns its view or None."""

    CSS_PATH = [MODALS_TCSS, TCSS]
    MESSAGE_ID = "branch-message"

    def _call(self, values: Any) -> Any:
        return self.api.add_branch(*values)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="branch-form"):
            yield Static(t("branch.add.title"), classes="dialog-title")
            yield _row(t("branch.field.code"), TextField(id="code", max_length=10, compact=True))
            yield _row(t("branch.field.name"), TextField(id="branch-name", max_length=40,
                                                         compact=True))
            yield Static("", id="branch-message", classes="dialog-error")
            with DialogButtons():
                yield Button(t("branch.add.submit"), id="ok", variant="primary")
                yield Button(t("confirm.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def _submit(self) -> None:
        code = self.query_one("#code", Input).value.strip()
        name = self.query_one("#branch-name", Input).value.strip()
        if not code or not name:
            self.query_one("#branch-message", Static).update(t("staff.form.missing"))
            return
        self.query_one("#branch-message", Static).update("")
        self.send((code, name))


class KeyFormModal(BurstForm):
    """A new channel key: returns (channel, name) or None."""

    CSS_PATH = [MODALS_TCSS, TCSS]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="key-form"):
            yield Static(t("keys_admin.add.title"), classes="dialog-title")
            with Horizontal(classes="form-row form-roles"):
                yield Label(t("keys_admin.field.channel"), classes="form-label")
                with RadioSet(id="channel", compact=True):
                    for i, channel in enumerate(CHANNELS):
                        yield RadioButton(fmt.channel(channel), value=i == 0,
                                          id=f"channel-{channel}")
            yield _row(t("keys_admin.field.name"), TextField(id="key-name", max_length=60,
                                                             compact=True))
            with DialogButtons():
                yield Button(t("keys_admin.add.submit"), id="ok", variant="primary")
                yield Button(t("confirm.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#channel", RadioSet).focus()

    def _submit(self) -> None:
        pressed = self.query_one("#channel", RadioSet).pressed_button
        channel = (pressed.id or "channel-mts").removeprefix("channel-") if pressed else "mts"
        self.dismiss((channel, self.query_one("#key-name", Input).value.strip()))


class SecretModal(ConsoleModal):
    """The new key, once: the admin copies it to the channel back-end's configuration. Closing
    the dialog forgets it (the store keeps only its hash)."""

    CSS_PATH = [MODALS_TCSS, TCSS]
    BINDINGS = [Binding("escape", "close", "keys.close", id="secret.close")]

    def __init__(self, created: NewChannelKey) -> None:
        super().__init__()
        self.created = created

    def compose(self) -> ComposeResult:
        key = self.created.key
        with Vertical(classes="dialog", id="secret-dialog"):
            yield Static(fmt.plain(t("keys_admin.secret.title", id=key.id,
                                     channel=fmt.channel(key.channel), name=key.name)),
                         classes="dialog-title")
            yield Static(t("keys_admin.secret.warning"), classes="dialog-body")
            yield Static(fmt.plain(self.created.secret), id="secret-value")
            with DialogButtons():
                yield Button(t("keys_admin.secret.done"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class StaffAdminScreen(ConsoleScreen):
    CSS_PATH = TCSS
    AUTO_FOCUS = "#staff-table"
    BINDINGS = [
        Binding("1", "tab('tab-staff')", "keys.tab_staff", show=False, id="staff.tab_staff"),
        Binding("2", "tab('tab-branches')", "keys.tab_branches", show=False,
                id="staff.tab_branches"),
        Binding("3", "tab('tab-keys')", "keys.tab_keys", show=False, id="staff.tab_keys"),
        Binding("n", "add_staff", "keys.staff_add", id="staff.add"),
        Binding("c", "change_staff", "keys.staff_change", id="staff.change"),
        Binding("l", "lock_staff", "keys.staff_lock", id="staff.lock"),
        Binding("u", "unlock_staff", "keys.staff_unlock", id="staff.unlock"),
        Binding("n", "add_branch", "keys.branch_add", id="staff.branch_add"),
        Binding("n", "add_key", "keys.key_add", id="staff.key_add"),
        Binding("x", "revoke_key", "keys.key_revoke", id="staff.key_revoke"),
        Binding("ctrl+r", "reload", "keys.refresh", id="staff.refresh"),
    ]

    class Loaded(Message):
        def __init__(self, staff: list[StaffView], branches: list[BranchView],
                     keys: list[ChannelKeyView]) -> None:
            super().__init__()
            self.staff = staff
            self.branches = branches
            self.keys = keys

    class Done(Message):
        """A change went through (`text`: what to say), or was refused (None): read again."""

        def __init__(self, text: str | None) -> None:
            super().__init__()
            self.text = text

    class KeyCreated(Message):
        def __init__(self, created: NewChannelKey) -> None:
            super().__init__()
            self.created = created

    def __init__(self) -> None:
        super().__init__()
        self.staff: list[StaffView] = []
        self.branches: list[BranchView] = []
        self.keys: list[ChannelKeyView] = []
        self.branch_filter: str | None = None
        self.loaded = False

    @property
    def help_title(self) -> str:
        return t("nav.staff.title")

    @property
    def help_tips(self) -> str:
        return t("staff.tips")

    def compose(self) -> ComposeResult:
        yield SessionBar(t("nav.staff.title"))
        with TabbedContent(id="staff-tabs"):
            with TabPane(t("staff.tab.staff"), id="tab-staff"):
                with Horizontal(id="staff-filter-row"):
                    yield Label(t("staff.filter"), classes="form-label")
                    yield Select([(t("staff.filter.all"), ALL)], value=ALL, allow_blank=False,
                                 id="staff-filter", compact=True)
                table: DataTable[Text] = DataTable(id="staff-table", cursor_type="row",
                                                   zebra_stripes=True)
                for key in ("employee_no", "name", "branch", "role", "state", "failures"):
                    table.add_column(t(f"staff.col.{key}"), key=key)
                yield table
                yield Static("", id="staff-status")
            with TabPane(t("staff.tab.branches"), id="tab-branches"):
                branches: DataTable[Text] = DataTable(id="branch-table", cursor_type="row",
                                                      zebra_stripes=True)
                for key in ("code", "name", "staff"):
                    branches.add_column(t(f"branch.col.{key}"), key=key)
                yield branches
            with TabPane(t("staff.tab.keys"), id="tab-keys"):
                keys: DataTable[Text] = DataTable(id="key-table", cursor_type="row",
                                                  zebra_stripes=True)
                for key in ("id", "channel", "name", "created_by", "created_at", "state"):
                    keys.add_column(t(f"keys_admin.col.{key}"), key=key)
                yield keys
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        if self.loaded:  # another admin may have changed something
            self.action_reload()

    # ------------------------------------------------------------------ loading

    def action_reload(self) -> None:
        self.loading_while(self.load(self.branch_filter), self.query_one("#staff-tabs"))

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self, branch: str | None) -> None:
        console = self.api
        self.post_answer(self.Loaded(console.list_staff(branch_code=branch),
                                     console.list_branches(), console.list_channel_keys()))

    def on_staff_admin_screen_loaded(self, message: Loaded) -> None:
        self.staff, self.branches, self.keys = (list(message.staff), list(message.branches),
                                                list(message.keys))
        self.loaded = True
        self._fill_filter()
        self._fill_staff()
        self._fill_branches()
        self._fill_keys()
        self._focus_table()
        self.refresh_bindings()

    def _fill_filter(self) -> None:
        select = self.query_one("#staff-filter", Select)
        options = [(t("staff.filter.all"), ALL)] + [
            (fmt.plain(f"{b.code} {b.name}"), b.code) for b in self.branches]
        with select.prevent(Select.Changed):
            select.set_options(options)
            select.value = self.branch_filter or ALL

    def _fill_staff(self) -> None:
        table = self.query_one("#staff-table", DataTable)
        row = table.cursor_row
        table.clear()
        me = self.session.actor.staff_id if self.session is not None else None
        for v in self.staff:
            if not v.active:
                state = Text(t("staff.state.inactive"), style="dim")
            elif v.locked:
                state = Text(t("staff.state.locked"), style="bold red")
            else:
                state = Text(t("staff.state.active"), style="green")
            name = fmt.plain(v.name, "bold" if v.id == me else "")
            table.add_row(*fmt.cells(v.employee_no, name, v.branch_code, fmt.role(v.role),
                                     state, str(v.failed_sign_ins)), key=v.employee_no)
        if self.staff:
            table.move_cursor(row=min(row or 0, len(self.staff) - 1))
        status = self.query_one("#staff-status", Static)
        status.update(t("staff.count", count=len(self.staff)))

    def _fill_branches(self) -> None:
        table = self.query_one("#branch-table", DataTable)
        row = table.cursor_row
        table.clear()
        counts: dict[str, int] = {}
        for v in self.staff:
            counts[v.branch_code] = counts.get(v.branch_code, 0) + 1
        for b in self.branches:
            count = str(counts.get(b.code, 0)) if self.branch_filter is None else "-"
            table.add_row(*fmt.cells(b.code, b.name, count), key=b.code)
        if self.branches:
            table.move_cursor(row=min(row or 0, len(self.branches) - 1))

    def _fill_keys(self) -> None:
        table = self.query_one("#key-table", DataTable)
        row = table.cursor_row
        table.clear()
        for k in self.keys:
            state = (Text(t("keys_admin.state.revoked"), style="dim") if k.revoked_at
                     else Text(t("keys_admin.state.active"), style="green"))
            table.add_row(*fmt.cells(str(k.id), fmt.channel(k.channel), k.name, k.created_by,
                                     fmt.when(k.created_at), state), key=str(k.id))
        if self.keys:
            table.move_cursor(row=min(row or 0, len(self.keys) - 1))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "staff-filter":
            return
        value = event.value
        wanted = None if value in (ALL, Select.NULL) else str(value)
        if wanted != self.branch_filter:
            self.branch_filter = wanted
            self.action_reload()

    # ------------------------------------------------------------------ tabs and selection

    def _tab(self) -> str:
        return str(self.query_one("#staff-tabs", TabbedContent).active)

    def _focus_table(self) -> None:
        table = {"tab-staff": "#staff-table", "tab-branches": "#branch-table",
                 "tab-keys": "#key-table"}.get(self._tab())
        if table is not None and not isinstance(self.focused, Input | Select):
            self.query_one(table, DataTable).focus()

    def action_tab(self, tab: str) -> None:
        self.query_one("#staff-tabs", TabbedContent).active = tab
        self._focus_table()
        self.refresh_bindings()

    def on_tabbed_content_tab_activated(self, _event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def _selected(self, table_id: str, items: list) -> Any:
        row = self.query_one(table_id, DataTable).cursor_row
        if not items or row is None or not 0 <= row < len(items):
            return None
        return items[row]

    def _member(self) -> StaffView | None:
        return self._selected("#staff-table", self.staff)

    def _key(self) -> ChannelKeyView | None:
        return self._selected("#key-table", self.keys)

    def _mine(self, member: StaffView) -> bool:
        return self.session is not None and member.id == self.session.actor.staff_id

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None:
            return False
        tab = self._tab()
        if action in ("add_staff", "change_staff", "lock_staff", "unlock_staff"):
            if tab != "tab-staff":
                return False
            if action == "add_staff":
                return True
            member = self._member()
            if member is None:
                return None
            if action == "unlock_staff":
                return True if member.locked else None
            if action == "lock_staff":
                return None if member.locked else True
            return True
        if action == "add_branch":
            return tab == "tab-branches"
        if action in ("add_key", "revoke_key"):
            if tab != "tab-keys":
                return False
            if action == "revoke_key":
                key = self._key()
                return True if key is not None and key.revoked_at is None else None
            return True
        return True

    def _refuse_own(self, what: str) -> bool:
        """One's own account is never locked or changed here: said at once, with the code
        the service would answer (it refuses anyway)."""
        self.staff_app.report_error(ConsoleError(
            "FORBIDDEN", f"an admin cannot {what} their own account",
            detail="errors.detail.own_account"))
        return True

    # ------------------------------------------------------------------ staff

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_add_staff(self) -> None:
        codes = [b.code for b in self.branches]
        view = await self.app.push_screen_wait(StaffFormModal(codes, self.branch_filter))
        if view is not None:
            self.notify(t("staff.added", employee_no=view.employee_no, name=view.name,
                          branch=view.branch_code, role=fmt.role(view.role)))
            self.action_reload()

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_change_staff(self) -> None:
        member = self._member()
        if member is None:
            return
        if self._mine(member):
            self._refuse_own("change")
            return
        answer = await self.app.push_screen_wait(
            ChangeStaffModal(member, [b.code for b in self.branches]))
        if answer is None:
            return
        role, branch = answer
        changes = []  # only what changes
        if role != member.role:
            changes.append(t("staff.change.role_line", old=fmt.role(member.role),
                             new=fmt.role(role)))
        if branch != member.branch_code:
            changes.append(t("staff.change.branch_line", old=member.branch_code, new=branch))
        question = t("staff.change.confirm", employee_no=member.employee_no, name=member.name,
                     changes="\n".join(changes))
        if not await self.app.push_screen_wait(
                ConfirmModal(question, title=t("staff.change.confirm_title"))):
            return
        self.loading_while(self.call_api(
            lambda: self.api.change_staff(
                member.employee_no, role=role if role != member.role else None,
                branch_code=branch if branch != member.branch_code else None),
            lambda v: t("staff.changed", employee_no=v.employee_no, name=v.name,
                        branch=v.branch_code, role=fmt.role(v.role))),
            self.query_one("#staff-tabs"))

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_lock_staff(self) -> None:
        member = self._member()
        if member is None or member.locked:
            return
        if self._mine(member):
            self._refuse_own("lock")
            return
        question = t("staff.lock.confirm", employee_no=member.employee_no, name=member.name,
                     branch=member.branch_code, role=fmt.role(member.role))
        if not await self.app.push_screen_wait(
                ConfirmModal(question, title=t("staff.lock.confirm_title"))):
            return
        self.loading_while(self.call_api(
            lambda: self.api.lock_staff(member.employee_no),
            lambda v: t("staff.locked", employee_no=v.employee_no, name=v.name)),
            self.query_one("#staff-tabs"))

    def action_unlock_staff(self) -> None:
        member = self._member()
        if member is None or not member.locked:
            return
        self.loading_while(self.call_api(
            lambda: self.api.unlock_staff(member.employee_no),
            lambda v: t("staff.unlocked", employee_no=v.employee_no, name=v.name)),
            self.query_one("#staff-tabs"))

    # ------------------------------------------------------------------ branches and keys

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_add_branch(self) -> None:
        view = await self.app.push_screen_wait(BranchFormModal())
        if view is not None:
            self.notify(t("branch.added", code=view.code, name=view.name))
            self.action_reload()

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_add_key(self) -> None:
        answer = await self.app.push_screen_wait(KeyFormModal())
        if answer is not None:
            channel, name = answer
            self.loading_while(self.create_key(channel, name or None),
                               self.query_one("#staff-tabs"))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def create_key(self, channel: str, name: str | None) -> None:
        try:
            created = self.api.create_channel_key(channel, name=name)
        except Exception:
            self.post_answer(self.Done(None))
            raise
        self.post_answer(self.KeyCreated(created))

    def on_staff_admin_screen_key_created(self, message: KeyCreated) -> None:
        self.app.push_screen(SecretModal(message.created), callback=lambda _: self.action_reload())

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_revoke_key(self) -> None:
        key = self._key()
        if key is None or key.revoked_at is not None:
            return
        question = t("keys_admin.revoke.confirm", id=key.id, channel=fmt.channel(key.channel),
                     name=key.name)
        if not await self.app.push_screen_wait(
                ConfirmModal(question, title=t("keys_admin.revoke.title"))):
            return
        self.loading_while(self.call_api(
            lambda: self.api.revoke_channel_key(key.id),
            lambda v: t("keys_admin.revoked", id=v.id, name=v.name)),
            self.query_one("#staff-tabs"))

    # ------------------------------------------------------------------ the calls

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def call_api(self, call: Callable[[], Any], said: Callable[[Any], str]) -> None:
        """In a worker: `call`, then what to say about its answer; a refusal goes to the
        app's error handler (re-raised) and the lists are read again either way."""
        try:
            view = call()
        except Exception:
            self.post_answer(self.Done(None))
            raise
        self.post_answer(self.Done(said(view)))

    def on_staff_admin_screen_done(self, message: Done) -> None:
        if message.text:
            self.notify(message.text)
        self.action_reload()
