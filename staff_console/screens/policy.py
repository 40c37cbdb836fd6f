"""정책 (F8, admins): the store's policy, a change to one key, and the changes that wait for a
second admin.

`e` changes the selected key (a small form, checked by the domain's rule for that key, then a
confirmation that says whether it applies at once or waits for a second admin). The lower table
lists the pending changes: `a` approves the selected one (never one's own: the service says
SELF_APPROVAL), `x` rejects it. Everyone else never reaches the screen; the services refuse
them anyway.

At 80 columns the table leaves out, the first first (widgets/fit_table.py): what
weakens, the default, the range; of the pending changes the expiry, the status, the maker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static

from ..domain.authority import is_own_request
from ..domain.errors import ConsoleError
from ..domain.policy import RULES, Rule
from ..i18n import t
from ..widgets import format as fmt
from ..widgets.fit_table import FitTable
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from ..widgets.text_field import TextField
from .base import ConsoleScreen
from .modals import MODALS_TCSS, ConfirmModal, DialogButtons, FormModal, NoteModal

if TYPE_CHECKING:
    from ..services.views import PolicyChangeView, PolicyEntry


def shown(value) -> str:
    if isinstance(value, bool):
        return t("policy.on") if value else t("policy.off")
    return str(value)


def label(key: str) -> str:
    return t(f"policy.name.{key.removeprefix('policy.')}", key)


def span(rule: Rule) -> str:
    return t("policy.onoff") if rule.is_flag else f"{rule.low}–{rule.high}"


def _cells(*values) -> list:
    """A DataTable row as literal Text: a str cell would be parsed as markup."""
    return [Text(v) if isinstance(v, str) else v for v in values]


class PolicyValueModal(FormModal):
    """A new value for one key, parsed by the key's rule. Returns the value's text or None."""

    CSS_PATH = [MODALS_TCSS, Path(__file__).with_name("policy.tcss")]

    def __init__(self, rule: Rule, current) -> None:
        super().__init__()
        self.rule = rule
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="policy-dialog"):
            yield Static(t("policy.form.title", name=label(self.rule.key)),
                         classes="dialog-title")
            yield Label(t("policy.form.value", range=span(self.rule),
                          current=shown(self.current)))
            yield TextField(self.rule.format(self.current) if not self.rule.is_flag
                            else ("off" if self.current else "on"),
                            id="policy-value", max_length=8)
            yield Static("", id="policy-message", classes="dialog-error")
            with DialogButtons():
                yield Button(t("policy.form.submit"), id="ok", variant="primary")
                yield Button(t("confirm.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#policy-value", Input).focus()

    def _submit(self) -> None:
        text = self.query_one("#policy-value", Input).value
        try:
            value = self.rule.parse(text)
        except ConsoleError:
            self.query_one("#policy-message", Static).update(
                t("policy.form.bad", range=span(self.rule)))
            return
        if value == self.current:
            self.query_one("#policy-message", Static).update(t("policy.form.same"))
            return
        self.dismiss(value)


class PolicyScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("policy.tcss")
    AUTO_FOCUS = "#policy-table"
    BINDINGS = [
        Binding("e", "change", "keys.policy_change", id="policy.change"),
        Binding("a", "approve", "keys.approve", id="policy.approve"),
        Binding("x", "reject", "keys.reject", id="policy.reject"),
        Binding("ctrl+r", "reload", "keys.refresh", id="policy.refresh"),
    ]

    class Loaded(Message):
        def __init__(self, entries: list[PolicyEntry], changes: list[PolicyChangeView]) -> None:
            super().__init__()
            self.entries = entries
            self.changes = changes

    class Done(Message):
        """A change asked for, applied, approved or rejected (`view`), or refused (None): the
        policy is read again either way."""

        def __init__(self, view: PolicyChangeView | None) -> None:
            super().__init__()
            self.view = view

    def __init__(self) -> None:
        super().__init__()
        self.entries: list = []
        self.changes: list = []
        self.loaded = False

    @property
    def help_title(self) -> str:
        return t("nav.policy.title")

    @property
    def help_tips(self) -> str:
        return t("policy.tips")

    def compose(self) -> ComposeResult:
        yield SessionBar(t("nav.policy.title"))
        yield Static(t("policy.intro"), id="policy-intro")
        # A narrow terminal leaves out, first first: what weakens, the default, the range; and of
        # the pending changes the expiry, the status, the maker.
        table: DataTable[Text] = FitTable(id="policy-table", cursor_type="row", zebra_stripes=True,
                                          drop_order=("weaker", "default", "range"))
        for key, width in (("name", 30), ("value", 8), ("default", 8), ("range", 10),
                           ("weaker", 30)):
            table.add_column(t(f"policy.col.{key}"), key=key, width=width)
        yield table
        yield Static(t("policy.pending_title"), id="policy-pending-title")
        pending: DataTable[Text] = FitTable(id="policy-pending", cursor_type="row",
                                            zebra_stripes=True,
                                            drop_order=("expires", "status", "maker"))
        for key, width in (("id", 5), ("name", 30), ("change", 14), ("maker", 8),
                           ("expires", 16), ("status", 10)):
            pending.add_column(t(f"policy.pcol.{key}"), key=key, width=width)
        yield pending
        yield Static("", id="policy-status")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        if self.loaded:  # another admin may have changed or approved something
            self.action_reload()

    def action_reload(self) -> None:
        self.loading_while(self.load(), self.query_one("#policy-table"))

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        console = self.api
        self.post_answer(self.Loaded(console.show_policy(), console.list_policy_changes()))

    def on_policy_screen_loaded(self, message: Loaded) -> None:
        self.entries, self.changes = list(message.entries), list(message.changes)
        self.loaded = True
        self._fill()
        self.refresh_bindings()

    def _fill(self) -> None:
        table = self.query_one("#policy-table", DataTable)
        row = table.cursor_row
        table.clear()
        for e in self.entries:
            rule = RULES[e.key.removeprefix("policy.")]
            weaker = t(f"policy.weaker.{rule.weaker or 'none'}")
            table.add_row(*_cells(label(e.key), Text(shown(e.value), style="bold"),
                                  shown(e.default), span(rule), weaker), key=e.key)
        if self.entries:
            table.move_cursor(row=min(row or 0, len(self.entries) - 1))
        pending = self.query_one("#policy-pending", DataTable)
        prow = pending.cursor_row
        pending.clear()
        for c in self.changes:
            style = "dim" if c.status == "expired" else "yellow"
            pending.add_row(*_cells(str(c.id), label(c.key),
                                    f"{shown(c.old_value)} → {shown(c.new_value)}", c.maker,
                                    fmt.when(c.expires_at),
                                    Text(t(f"policy.status.{c.status}", c.status), style=style)),
                            key=str(c.id))
        if self.changes:
            pending.move_cursor(row=min(prow or 0, len(self.changes) - 1))
        status = self.query_one("#policy-status", Static)
        if self.changes:
            status.update(t("policy.count", count=len(self.changes)))
        else:
            status.update(Text(t("policy.empty"), style="dim"))

    # ------------------------------------------------------------------ selection and gating

    def _entry(self):
        row = self.query_one("#policy-table", DataTable).cursor_row
        if not self.entries or row is None or not 0 <= row < len(self.entries):
            return None
        return self.entries[row]

    def _change(self):
        row = self.query_one("#policy-pending", DataTable).cursor_row
        if not self.changes or row is None or not 0 <= row < len(self.changes):
            return None
        return self.changes[row]

    def _mine(self, change) -> bool:
        return self.session is not None and is_own_request(self.session.actor, change.maker_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None:
            return False
        # issue 15.4: offered where it acts, or answers why not (approve on one's own change:
        # SELF_APPROVAL; on a decided one: its code, from the service); else not shown.
        if action == "change":
            return self._entry() is not None
        if action in ("approve", "reject"):
            return self._change() is not None
        return True

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    # ------------------------------------------------------------------ change

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_change(self) -> None:
        entry = self._entry()
        if entry is None:
            return
        rule = RULES[entry.key.removeprefix("policy.")]
        value = await self.app.push_screen_wait(PolicyValueModal(rule, entry.value))
        if value is None:
            return
        weakening = rule.is_weakening(entry.value, value)
        question = t("policy.confirm_weaken" if weakening else "policy.confirm_apply",
                     name=label(entry.key), old=shown(entry.value), new=shown(value))
        if await self.app.push_screen_wait(ConfirmModal(question,
                                                        title=t("policy.confirm_title"))):
            self.loading_while(self.set_value(entry.key, rule.format(value)),
                               self.query_one("#policy-table"))

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_approve(self) -> None:
        change = self._change()
        if change is None:
            return
        if change.status != "pending" or self._mine(change):
            # One's own or a decided change can never be approved: the service says why
            # (SELF_APPROVAL, or the decided change's code), with nothing to confirm.
            self.loading_while(self.approve(change.id), self.query_one("#policy-pending"))
            return
        question = t("policy.approve_confirm", id=change.id, name=label(change.key),
                     old=shown(change.old_value), new=shown(change.new_value),
                     maker=change.maker)
        if await self.app.push_screen_wait(ConfirmModal(question,
                                                        title=t("policy.approve_title"))):
            self.loading_while(self.approve(change.id),
                               self.query_one("#policy-pending"))

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_reject(self) -> None:
        change = self._change()
        if change is None:
            return
        note = await self.app.push_screen_wait(NoteModal(t("policy.reject_title", id=change.id),
                                                         t("policy.reject_prompt"),
                                                         required=False))
        if note is not None:
            self.loading_while(self.reject(change.id, note or None),
                               self.query_one("#policy-pending"))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def set_value(self, key: str, value: str) -> None:
        self._answer(lambda: self.api.set_policy(key, value))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def approve(self, change_id: int) -> None:
        self._answer(lambda: self.api.approve_policy_change(change_id))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def reject(self, change_id: int, note: str | None) -> None:
        self._answer(lambda: self.api.reject_policy_change(change_id, note=note))

    def _answer(self, call: Callable[[], PolicyChangeView]) -> None:
        """In a worker: the change after `call`, or None (then re-raised: the notification)
        when it was refused; the policy is read again either way."""
        try:
            view = call()
        except Exception:
            self.post_answer(self.Done(None))
            raise
        self.post_answer(self.Done(view))

    def on_policy_screen_done(self, message: Done) -> None:
        view = message.view
        if view is not None:
            if view.status == "rejected":
                self.notify(t("policy.rejected", id=view.id))
            elif view.status == "approved":
                self.notify(t("policy.approved", id=view.id, name=label(view.key),
                              new=shown(view.new_value)))
            elif view.status == "pending":
                self.notify(t("policy.requested", id=view.id, name=label(view.key)))
            else:
                self.notify(t("policy.applied", name=label(view.key), new=shown(view.new_value)))
            if view.status != "rejected":
                self.staff_app.policy_changed()
        self.action_reload()
