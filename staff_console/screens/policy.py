"""정책 (F8, admins): the store's policy, a change to one key, and the changes that wait for a
second admin.

`e` changes the selected key (a small form, checked by the domain's rule for that key, then a
confirmation that says whether it applies at once or waits for a second admin). The lower table
lists the pending changes: `a` approves the selected one (never one's own: the service says
SELF_APPROVAL), `x` rejects it. Everyone else never reaches the screen; the services refuse
them anyway.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Input, Label, Static

from ..domain.errors import ConsoleError
from ..domain.policy import RULES, Rule
from ..i18n import t
from ..widgets import format as fmt
from ..widgets.session_bar import SessionBar
from .base import ServiceContext, ServiceScreen
from .modals import ConfirmModal, FormModal, NoteModal


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


def _load(ctx: ServiceContext):
    return ctx.call("policy.show_policy"), ctx.call("policy.list_changes")


class PolicyValueModal(FormModal):
    """A new value for one key, parsed by the key's rule. Returns the value's text or None."""

    DEFAULT_CSS = """
    PolicyValueModal {
        align: center middle;
    }
    PolicyValueModal #policy-value {
        width: 20;
    }
    """

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
            yield Input(self.rule.format(self.current) if not self.rule.is_flag
                        else ("off" if self.current else "on"),
                        id="policy-value", max_length=8)
            yield Static("", id="policy-message", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
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


class PolicyScreen(ServiceScreen):
    CSS_PATH = Path(__file__).with_name("policy.tcss")
    AUTO_FOCUS = "#policy-table"
    BINDINGS = [
        Binding("e", "change", "keys.policy_change"),
        Binding("a", "approve", "keys.approve"),
        Binding("x", "reject", "keys.reject"),
        Binding("ctrl+r", "reload", "keys.refresh"),
    ]

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
        table = DataTable(id="policy-table", cursor_type="row", zebra_stripes=True)
        for key, width in (("name", 30), ("value", 8), ("default", 8), ("range", 10),
                           ("weaker", 30)):
            table.add_column(t(f"policy.col.{key}"), key=key, width=width)
        yield table
        yield Static(t("policy.pending_title"), id="policy-pending-title")
        pending = DataTable(id="policy-pending", cursor_type="row", zebra_stripes=True)
        for key, width in (("id", 5), ("name", 30), ("change", 14), ("maker", 8),
                           ("expires", 16), ("status", 10)):
            pending.add_column(t(f"policy.pcol.{key}"), key=key, width=width)
        yield pending
        yield Static("", id="policy-status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        if self.loaded:  # another admin may have changed or approved something
            self.action_reload()

    def action_reload(self) -> None:
        self.run_service(_load, token="load", loading=self.query_one("#policy-table"))

    def done_load(self, result) -> None:
        entries, changes = result
        self.entries, self.changes = list(entries), list(changes)
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
        return self.session is not None and change.maker == self.session.actor.employee_no

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None:
            return False
        if action == "change":
            return True if self._entry() is not None else None
        if action == "approve":
            change = self._change()
            ok = change is not None and change.status == "pending" and not self._mine(change)
            return True if ok else None
        if action == "reject":
            return True if self._change() is not None else None
        return True

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    # ------------------------------------------------------------------ change

    def action_change(self) -> None:
        entry = self._entry()
        if entry is None:
            return
        rule = RULES[entry.key.removeprefix("policy.")]

        def chosen(value) -> None:
            if value is None:
                return
            weakening = rule.is_weakening(entry.value, value)
            question = t("policy.confirm_weaken" if weakening else "policy.confirm_apply",
                         name=label(entry.key), old=shown(entry.value), new=shown(value))

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.run_service("policy.set_policy", entry.key, rule.format(value),
                                     token="set", loading=self.query_one("#policy-table"))

            self.app.push_screen(ConfirmModal(question, title=t("policy.confirm_title")),
                                 confirmed)

        self.app.push_screen(PolicyValueModal(rule, entry.value), chosen)

    def done_set(self, view) -> None:
        if view.status == "pending":
            self.notify(t("policy.requested", id=view.id, name=label(view.key)))
        else:
            self.notify(t("policy.applied", name=label(view.key), new=shown(view.new_value)))
        self.staff_app.policy_changed()
        self.action_reload()

    def failed_set(self, _error: BaseException) -> bool:
        self.action_reload()
        return False

    # ------------------------------------------------------------------ approve, reject

    def action_approve(self) -> None:
        change = self._change()
        if change is None or change.status != "pending" or self._mine(change):
            return
        question = t("policy.approve_confirm", id=change.id, name=label(change.key),
                     old=shown(change.old_value), new=shown(change.new_value),
                     maker=change.maker)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_service("policy.approve_change", change.id, token="approve",
                                 loading=self.query_one("#policy-pending"))

        self.app.push_screen(ConfirmModal(question, title=t("policy.approve_title")), confirmed)

    def done_approve(self, view) -> None:
        self.notify(t("policy.approved", id=view.id, name=label(view.key),
                      new=shown(view.new_value)))
        self.staff_app.policy_changed()
        self.action_reload()

    def failed_approve(self, _error: BaseException) -> bool:
        self.action_reload()
        return False

    def action_reject(self) -> None:
        change = self._change()
        if change is None:
            return

        def noted(note: str | None) -> None:
            if note is None:
                return
            self.run_service("policy.reject_change", change.id, note=note or None,
                             token="reject", loading=self.query_one("#policy-pending"))

        self.app.push_screen(NoteModal(t("policy.reject_title", id=change.id),
                                       t("policy.reject_prompt"), required=False), noted)

    def done_reject(self, view) -> None:
        self.notify(t("policy.rejected", id=view.id))
        self.action_reload()

    def failed_reject(self, _error: BaseException) -> bool:
        self.action_reload()
        return False
