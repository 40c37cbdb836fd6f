"""결재함: the pending requests this person may decide (first tab) and the requests this
person made (second tab).

Each request shows the maker, the verification evidence of a registration (ID photo check,
1-won transfer, phone) and the authority that a decision would use (manager or delegate).
Keys: `a` approve, `x` reject with a required note, `w` withdraw one's own pending request;
Enter opens the customer of the request under the cursor, for that request: there `a` decides it.

Nothing is silent (issue 15.4): a key is offered where it acts or where a person expects it to,
and there answers why not with the rule's code. `a`/`x` on one's own request (the second tab)
answer SELF_APPROVAL (the domain's rule, the one the service applies); `w` on a request already
decided asks the service, which answers ALREADY_DECIDED (a decision is final, so that call can
never withdraw anything). A key that can never act here is not offered: `w` on the first tab
(nothing there is one's own), `a`/`x` without a request under the cursor or for a person who
decides nothing.

At 80 columns the table leaves out, the first first (widgets/fit_table.py): to
decide, the evidence (shown in the detail), authority, expiry, received; one's own, the
authority, decided, decider, received (APPROVALS_DROP).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from ..i18n import t
from ..widgets import format as fmt
from ..widgets.fit_table import FitTable
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from .base import ConsoleScreen
from .modals import ConfirmModal, NoteModal

if TYPE_CHECKING:
    from ..services.views import DelegationView, RequestView

# A narrow terminal keeps the request, its kind, channel and customer, and the maker (to decide)
# or the status (one's own); it leaves these out, the first first (widgets/fit_table.py).
APPROVALS_DROP = {
    "inbox": ("evidence", "authority", "expires", "created"),
    "mine": ("authority", "decided", "decider", "created"),
}


class ApprovalsScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("approvals.tcss")
    AUTO_FOCUS = "#inbox-table"
    BINDINGS = [
        Binding("a", "approve", "keys.approve", id="approvals.approve"),
        Binding("x", "reject", "keys.reject", id="approvals.reject"),
        Binding("w", "withdraw", "keys.withdraw", id="approvals.withdraw"),
        Binding("ctrl+r", "reload", "keys.refresh", id="approvals.refresh"),
        Binding("tab", "switch_tab", "keys.switch_tab", show=False, id="approvals.switch_tab"),
        # Priority: the customer's screen is pushed as the app takes Enter off its queue, so
        # `a` `y` typed ahead after it (a burst, SSH lag) reach that screen (no text field here).
        Binding("enter", "open_customer", show=False, priority=True, id="approvals.open"),
    ]

    class Loaded(Message):
        def __init__(self, approvals: list[RequestView], mine: list[RequestView],
                     delegations: list[DelegationView]) -> None:
            super().__init__()
            self.approvals = approvals
            self.mine = mine
            self.delegations = delegations

    class Done(Message):
        """A decision or a withdrawal went through (`request`), or was refused (None): the
        lists are read again either way."""

        def __init__(self, request: RequestView | None) -> None:
            super().__init__()
            self.request = request

    def __init__(self) -> None:
        super().__init__()
        self.approvals: list = []
        self.mine: list = []
        self._live_stale = False

    @property
    def help_title(self) -> str:
        return t("nav.approvals.title")

    @property
    def help_tips(self) -> str:
        return t("approvals.tips")

    def compose(self) -> ComposeResult:
        yield SessionBar(t("nav.approvals.title"))
        with TabbedContent(id="approval-tabs"):
            with TabPane(t("approvals.tab.inbox"), id="tab-inbox"):
                yield self._table("inbox")
                yield Static("", id="inbox-detail", classes="request-detail")
            with TabPane(t("approvals.tab.mine"), id="tab-mine"):
                yield self._table("mine")
                yield Static("", id="mine-detail", classes="request-detail")
        yield ConsoleFooter()

    def _table(self, which: str) -> DataTable:
        table: DataTable[Text] = FitTable(id=f"{which}-table", cursor_type="row", zebra_stripes=True,
                                          drop_order=APPROVALS_DROP[which])
        columns = ["id", "created", "kind", "channel", "customer"]
        if which == "inbox":
            columns += ["maker", "evidence", "authority", "expires"]
        else:
            columns += ["status", "decider", "authority", "decided"]
        for key in columns:  # widths follow the content
            table.add_column(t(f"req.{key}"), key=key)
        return table

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        if self.approvals or self.mine or self._live_stale:
            self.action_reload()

    def live_changed(self) -> None:
        """A request arrived, closed or was decided (screens/live.py): read the lists again
        now if this screen is in front, else when it comes back (not under a dialog)."""
        if self.is_current:
            self.action_reload()
        else:
            self._live_stale = True

    def action_reload(self) -> None:
        self._live_stale = False
        self.loading_while(self.load(), self.query_one("#approval-tabs"))

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        console = self.api
        self.post_answer(self.Loaded(console.list_approvals(), console.list_my_requests(),
                                     console.list_delegations()))

    def on_approvals_screen_loaded(self, message: Loaded) -> None:
        approvals, mine, delegations = message.approvals, message.mine, message.delegations
        if self.session is not None:
            self.session.set_delegations(delegations)
        # A reload (the live 결재함 reloads when a request arrives) keeps the cursor on the
        # request it was on, so a key pressed next acts on the request the person looked at.
        kept = {which: self._cursor_key(which) for which in ("inbox", "mine")}
        self.approvals = approvals
        self.mine = mine
        self._fill_inbox()
        self._fill_mine()
        for which, key in kept.items():
            self._put_cursor(which, key)
        tabs = self.query_one("#approval-tabs", TabbedContent)
        tabs.get_tab("tab-inbox").label = t("approvals.tab.inbox_count", count=len(approvals))
        tabs.get_tab("tab-mine").label = t("approvals.tab.mine_count", count=len(mine))
        # A slow load shows the loading indicator, which takes the focus: give it back.
        which = "inbox" if tabs.active == "tab-inbox" else "mine"
        self.query_one(f"#{which}-table", DataTable).focus()
        self.refresh_bindings()

    def _fill_inbox(self) -> None:
        table = self.query_one("#inbox-table", DataTable)
        table.clear()
        now = self.staff_app.now()
        for r in self.approvals:
            passed = sum(1 for e in r.evidence if e.passed)
            evidence = f"{passed}/3" if r.kind == "registration" else "-"
            authority = self.session.authority_for(r, now) if self.session else None
            table.add_row(*fmt.cells(str(r.id), fmt.when(r.created_at), fmt.kind(r.kind),
                                     fmt.channel(r.channel), f"{r.customer_name} {r.customer_no}",
                                     r.maker_name or fmt.origin(r.origin), evidence,
                                     fmt.authority(authority), fmt.when(r.expires_at)),
                          key=str(r.id))
        self._show_detail("inbox")
        if not self.approvals:
            self.query_one("#inbox-detail", Static).update(
                Text(t("approvals.empty") if self.session and self.session.may_decide_any(now)
                     else t("approvals.not_decider"), style="dim"))

    def _fill_mine(self) -> None:
        table = self.query_one("#mine-table", DataTable)
        table.clear()
        for r in self.mine:
            table.add_row(*fmt.cells(str(r.id), fmt.when(r.created_at), fmt.kind(r.kind),
                                     fmt.channel(r.channel), f"{r.customer_name} {r.customer_no}",
                                     fmt.request_status(r.status),
                                     r.decider_name or "-", fmt.authority(r.authority),
                                     fmt.when(r.decided_at)), key=str(r.id))
        self._show_detail("mine")
        if not self.mine:
            self.query_one("#mine-detail", Static).update(Text(t("approvals.mine_empty"),
                                                                style="dim"))

    def _cursor_key(self, which: str) -> str | None:
        request = self._current(which)
        return str(request.id) if request is not None else None

    def _put_cursor(self, which: str, key: str | None) -> None:
        table = self.query_one(f"#{which}-table", DataTable)
        if key is None or table.row_count == 0:
            return
        try:
            row = table.get_row_index(key)
        except Exception:  # noqa: BLE001 - gone from the list (decided): stay where it is
            return
        table.move_cursor(row=row)

    # ------------------------------------------------------------------ detail

    def _current(self, which: str):
        items = self.approvals if which == "inbox" else self.mine
        table = self.query_one(f"#{which}-table", DataTable)
        if not items or table.row_count == 0:
            return None
        row = table.cursor_row
        if row is None or not 0 <= row < len(items):
            return None
        return items[row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        which = "inbox" if event.data_table.id == "inbox-table" else "mine"
        self._show_detail(which)
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """A row clicked (Enter is the priority binding below)."""
        self._open(event.data_table)

    def action_open_customer(self) -> None:
        """Enter on a request: its customer, opened for that request (its `a` decides it)."""
        table = self.focused
        if not isinstance(table, DataTable) or not self._open(table):
            raise SkipAction()  # not on a request: Enter does what it does there

    def _open(self, table: DataTable) -> bool:
        which = "inbox" if table.id == "inbox-table" else "mine"
        if table.id not in ("inbox-table", "mine-table"):
            return False
        request = self._current(which)
        if request is None:
            return False
        self.staff_app.open_customer(request.customer_no,
                                     came_for=request if which == "inbox" else None)
        return True

    def on_tabbed_content_tab_activated(self, _event) -> None:
        self.refresh_bindings()

    def _show_detail(self, which: str) -> None:
        r = self._current(which)
        box = self.query_one(f"#{which}-detail", Static)
        if r is None:
            box.update("")
            return
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        grid.add_row(t("detail.request"), fmt.plain(t(
            "detail.request_line", id=r.id, kind=fmt.kind(r.kind), channel=fmt.channel(r.channel),
            name=r.customer_name, no=r.customer_no)))
        maker = (f"{r.maker_name} ({r.maker})" if r.maker else fmt.origin(r.origin))
        grid.add_row(t("detail.maker"), fmt.plain(t("detail.maker_line", maker=maker,
                                                     created=fmt.when(r.created_at),
                                                     expires=fmt.when(r.expires_at))))
        if r.reason:
            grid.add_row(t("detail.reason"), fmt.plain(f"{fmt.reason(r.reason)}"
                                                       + (f" — {r.note}" if r.note else "")))
        c = r.credential
        if c is not None:
            label = t("panel.device") if c.channel == "mts" else t("panel.browser")
            grid.add_row(label, fmt.plain(f"{c.device_model or '-'} ({c.device_id}) · "
                                          f"{fmt.methods(c.methods)}"))
        if r.kind == "registration":
            lines = []
            for kind in ("id_card", "one_won", "phone"):
                item = next((e for e in r.evidence if e.kind == kind), None)
                if item is None:
                    lines.append(Text(f"✗ {fmt.evidence(kind)}", style="red"))
                else:
                    mark = "✓" if item.passed else "✗"
                    lines.append(fmt.plain(f"{mark} {fmt.evidence(kind)} · "
                                           f"{fmt.when(item.verified_at)} · {item.detail}",
                                           style="green" if item.passed else "red"))
            grid.add_row(t("detail.evidence"), Group(*lines))
        if which == "inbox" and self.session is not None:
            authority = self.session.authority_for(r, self.staff_app.now())
            text = fmt.authority(authority)
            if authority == "delegate":
                grant = self.session.active_grant(r.branch_code, self.staff_app.now())
                if grant is not None:
                    text = t("detail.delegate_line", id=grant.id,
                             until=fmt.when(grant.valid_until))
            grid.add_row(t("detail.authority"), text)
        else:
            grid.add_row(t("detail.status"), fmt.request_status(r.status))
            if r.decided_at:
                decider = f"{r.decider_name} ({r.decider})" if r.decider else "-"
                grid.add_row(t("detail.decided"), fmt.plain(t(
                    "detail.decided_line", who=decider, authority=fmt.authority(r.authority),
                    when=fmt.when(r.decided_at))))
            if r.decision_note:
                grid.add_row(t("detail.decision_note"), fmt.plain(r.decision_note))
        box.update(grid)

    # ------------------------------------------------------------------ gating

    def _active_tab(self) -> str:
        try:
            active = self.query_one("#approval-tabs", TabbedContent).active
        except Exception:  # noqa: BLE001 - before compose
            return "tab-inbox"
        return active or "tab-inbox"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        if session is None:
            return False
        which = "inbox" if self._active_tab() == "tab-inbox" else "mine"
        if action in ("approve", "reject"):
            # Acts on the first tab; on one's own request (second tab) answers SELF_APPROVAL.
            if not session.may_decide_any(self.staff_app.now()):
                return False
            return self._current(which) is not None
        if action == "withdraw":
            # Acts on one's own pending request; on a decided one answers ALREADY_DECIDED.
            return which == "mine" and self._current("mine") is not None
        return True

    def section_reentered(self) -> None:
        """Its function key pressed while here: read the lists again."""
        self.action_reload()

    def _refuse_own(self) -> bool:
        """On the second tab (one's own requests) `a`/`x` answer why not: the domain's rule
        (SELF_APPROVAL), the one the service applies. True when it answered."""
        if self._active_tab() != "tab-mine":
            return False
        r = self._current("mine")
        session = self.session
        if r is None or session is None:
            return True
        error = session.why_not_decide(r, self.staff_app.now())
        if error is not None:
            self.staff_app.report_error(error)
        return True

    # ------------------------------------------------------------------ actions

    def action_switch_tab(self) -> None:
        tabs = self.query_one("#approval-tabs", TabbedContent)
        tabs.active = "tab-mine" if tabs.active == "tab-inbox" else "tab-inbox"
        which = "inbox" if tabs.active == "tab-inbox" else "mine"
        self.query_one(f"#{which}-table", DataTable).focus()

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_approve(self) -> None:
        if self._refuse_own():
            return
        r = self._current("inbox")
        if r is None:
            return
        question = t("approve.confirm", id=r.id, kind=fmt.kind(r.kind),
                     channel=fmt.channel(r.channel), name=r.customer_name)
        if await self.app.push_screen_wait(ConfirmModal(question, title=t("approve.title"))):
            self.loading_while(self.approve(r.id), self.query_one("#approval-tabs"))

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_reject(self) -> None:
        if self._refuse_own():
            return
        r = self._current("inbox")
        if r is None:
            return
        note = await self.app.push_screen_wait(NoteModal(t("reject.title", id=r.id),
                                                         t("reject.prompt"), required=True))
        if note:
            self.loading_while(self.reject(r.id, note), self.query_one("#approval-tabs"))

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_withdraw(self) -> None:
        r = self._current("mine")
        if r is None:
            return
        if r.status != "pending":
            # Decided (final): the service answers why not (ALREADY_DECIDED); nothing to confirm.
            self.loading_while(self.withdraw(r.id), self.query_one("#approval-tabs"))
            return
        question = t("withdraw.confirm", id=r.id, kind=fmt.kind(r.kind), name=r.customer_name)
        if await self.app.push_screen_wait(ConfirmModal(question, title=t("withdraw.title"))):
            self.loading_while(self.withdraw(r.id), self.query_one("#approval-tabs"))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def approve(self, request_id: int) -> None:
        self._answer(lambda: self.api.approve_request(request_id))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def reject(self, request_id: int, note: str) -> None:
        self._answer(lambda: self.api.reject_request(request_id, note=note))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def withdraw(self, request_id: int) -> None:
        self._answer(lambda: self.api.withdraw_request(request_id))

    def _answer(self, call: Callable[[], RequestView]) -> None:
        """In a worker: the request after `call`, or None (then re-raised: the notification)
        when it was refused; the lists are read again either way."""
        try:
            request = call()
        except Exception:
            self.post_answer(self.Done(None))
            raise
        self.post_answer(self.Done(request))

    def on_approvals_screen_done(self, message: Done) -> None:
        request = message.request
        if request is not None and request.status == "withdrawn":
            self.notify(t("withdraw.done", id=request.id))
        elif request is not None:
            key = "decide.approved" if request.status == "approved" else "decide.rejected"
            self.notify(t(key, id=request.id, authority=fmt.authority(request.authority)))
        self.action_reload()
