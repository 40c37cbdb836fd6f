"""One customer: header, the MTS and mobile-web credentials side by side (stacked below 100
columns), the credential history and the service matrix for this customer.

Keys: `r` request a revocation (reason and note, then a confirmation); `a`/`x` approve or reject
a pending request of this customer when the signed-in person may decide it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from ..domain.states import is_current
from ..i18n import language, t
from ..widgets import format as fmt
from ..widgets.credential_panel import CredentialPanel
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from .base import ConsoleScreen
from .modals import ConfirmModal, NoteModal, PickModal, RevokeModal

if TYPE_CHECKING:
    from ..services.views import CustomerDetail, DelegationView, RequestView, ServiceAnswerView



class CustomerScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("customer.tcss")
    AUTO_FOCUS = "#customer-body"  # arrows and PgUp/PgDn scroll it on a small terminal
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (150, "-xwide")]
    BINDINGS = [
        Binding("escape", "back", "keys.back", id="customer.back"),
        Binding("r", "revoke", "keys.revoke", id="customer.revoke"),
        Binding("a", "approve", "keys.approve", id="customer.approve"),
        Binding("x", "reject", "keys.reject", id="customer.reject"),
        Binding("ctrl+r", "reload", "keys.refresh", id="customer.refresh"),
    ]

    class Loaded(Message):
        def __init__(self, detail: CustomerDetail, matrix: list[ServiceAnswerView],
                     delegations: list[DelegationView]) -> None:
            super().__init__()
            self.detail = detail
            self.matrix = matrix
            self.delegations = delegations

    class Unavailable(Message):
        """The customer could not be shown (the notification says why)."""

    class Requested(Message):
        def __init__(self, request: RequestView) -> None:
            super().__init__()
            self.request = request

    class Decided(Message):
        def __init__(self, request: RequestView) -> None:
            super().__init__()
            self.request = request

    class Stale(Message):
        """A decision was refused: what is shown may be out of date."""

    def __init__(self, customer_no: str) -> None:
        super().__init__()
        self.customer_no = customer_no
        self.detail: CustomerDetail | None = None
        self.matrix: list[ServiceAnswerView] | None = None

    @property
    def help_title(self) -> str:
        return t("customer.title")

    @property
    def help_tips(self) -> str:
        return t("customer.tips")

    def compose(self) -> ComposeResult:
        yield SessionBar(t("customer.title"))
        with VerticalScroll(id="customer-body"):
            yield Static(t("customer.loading"), id="customer-header")
            with Horizontal(id="credential-panels"):
                yield CredentialPanel("mts", id="panel-mts")
                yield CredentialPanel("web", id="panel-web")
            with Horizontal(id="customer-lower"):
                with Vertical(id="history-box"):
                    yield Label(t("customer.history"), classes="section-label")
                    history: DataTable[Text] = DataTable(id="history", show_cursor=False, zebra_stripes=True)
                    for key, width in (("channel", 8), ("status", 10), ("device", 20),
                                       ("activated", 16), ("until", 10), ("ended", 16),
                                       ("why", 18)):
                        history.add_column(t(f"history.{key}"), key=key, width=width)
                    yield history
                with Vertical(id="matrix-box"):
                    yield Label(t("customer.matrix"), classes="section-label")
                    matrix: DataTable[Text] = DataTable(id="matrix", show_cursor=False, zebra_stripes=True)
                    matrix.add_column(t("matrix.group"), key="group", width=12)
                    matrix.add_column(t("matrix.service"), key="service", width=24)
                    matrix.add_column(t("matrix.available"), key="available", width=4)
                    matrix.add_column(t("matrix.why"), key="why", width=22)
                    yield matrix
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.loading_while(self.load(self.customer_no), self.query_one("#customer-body"))

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self, customer_no: str) -> None:
        console = self.api
        try:
            detail = console.show_customer(customer_no)
        except Exception:
            self.post_answer(self.Unavailable())
            raise
        matrix = console.service_matrix(detail.customer_no)
        self.post_answer(self.Loaded(detail, matrix, console.list_delegations()))

    def on_customer_screen_loaded(self, message: Loaded) -> None:
        detail = self.detail = message.detail
        self.matrix = message.matrix
        if self.session is not None:
            self.session.set_delegations(message.delegations)
        self._show_header(detail)
        ended = {ch: next((c for c in detail.history if c.channel == ch
                           and c.status not in ("pending",)), None) for ch in ("mts", "web")}
        for channel, current in (("mts", detail.mts), ("web", detail.web)):
            pending = [r for r in detail.pending if r.channel == channel]
            self.query_one(f"#panel-{channel}", CredentialPanel).show(
                current, pending, ended=None if current else ended[channel])
        self._show_history(detail)
        self._show_matrix(message.matrix)
        self.refresh_bindings()

    def on_customer_screen_unavailable(self, _message: Unavailable) -> None:
        self.query_one("#customer-header", Static).update(t("customer.unavailable"))

    def _show_header(self, d) -> None:
        head = Text()
        head.append(fmt.safe(d.name), style="bold")
        head.append(fmt.safe(f"  {d.customer_no}  {d.id_masked}  "))
        head.append(fmt.customer_kind(d.customer_type, d.nationality))
        head.append("  ·  ")
        head.append(t("online.yes") if d.online_trading else t("online.no"),
                    style="green" if d.online_trading else "red")
        head.append("\n")
        head.append(fmt.safe(t("customer.branch", code=d.branch_code, name=d.branch_name)))
        head.append(f"  ·  {t('col.phone')} {d.phone_masked}")
        if d.accounts:
            head.append(f"  ·  {t('customer.accounts', count=len(d.accounts))}")
        box = self.query_one("#customer-header", Static)
        box.update(head)
        box.border_title = t("customer.title")

    def _show_history(self, d) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        for c in d.history:
            table.add_row(*fmt.cells(
                fmt.channel(c.channel), fmt.status(c.status), c.device_model or c.device_id,
                fmt.when(c.activated_at), fmt.day(c.valid_until), fmt.when(c.ended_at),
                fmt.end_reason(c.end_reason, c.replaced_by)), key=str(c.id),
            )
        if not d.history:
            table.add_row(t("history.none"), "", "", "", "", "", "")

    def _show_matrix(self, rows) -> None:
        table = self.query_one("#matrix", DataTable)
        table.clear()
        english = language() == "en"
        group = None
        for row in rows:
            name = row.group_en if english else row.group
            shown_group = name if name != group else ""
            group = name
            mark = Text("✓", style="bold green") if row.available else Text("✗", style="bold red")
            why = t(f"matrix.reason.{row.reason_code}", row.reason_code) if row.reason_code else ""
            table.add_row(shown_group, row.name_en if english else row.name, mark, why,
                          key=row.code)

    # ------------------------------------------------------------------ gating

    def _current_channels(self) -> list[str]:
        d = self.detail
        if d is None:
            return []
        return [ch for ch, cred in (("mts", d.mts), ("web", d.web))
                if cred is not None and is_current(cred.status)]

    def decidable(self) -> list:
        session = self.session
        if self.detail is None or session is None:
            return []
        now = self.staff_app.now()
        return [r for r in self.detail.pending if session.authority_for(r, now)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        if session is None:
            return False
        if action == "revoke":
            if not session.may_request():
                return False
            return True if self._current_channels() else None
        if action in ("approve", "reject"):
            if not session.may_decide_any(self.staff_app.now()):
                return False
            return True if self.decidable() else False
        return True

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_revoke(self) -> None:
        channels = self._current_channels()
        if self.detail is None or not channels:
            return
        name = self.detail.name
        answer = await self.app.push_screen_wait(RevokeModal(name, channels))
        if not answer:
            return
        channel, reason, note = answer
        question = t("revoke.confirm", name=name, channel=fmt.channel(channel),
                     reason=fmt.reason(reason))
        if await self.app.push_screen_wait(ConfirmModal(question,
                                                        title=t("revoke.confirm_title"))):
            self.loading_while(self.request_revocation(channel, reason, note),
                               self.query_one("#customer-body"))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def request_revocation(self, channel: str, reason: str, note: str | None) -> None:
        request = self.api.request_revocation(customer_no=self.customer_no,
                                                  channel=channel, reason=reason, note=note)
        self.post_answer(self.Requested(request))

    def on_customer_screen_requested(self, message: Requested) -> None:
        request = message.request
        self.notify(t("revoke.done", id=request.id, channel=fmt.channel(request.channel)),
                    title=t("revoke.done_title"))
        self.action_reload()

    async def _pick_request(self) -> RequestView | None:
        """The pending request to decide: the only one, or the one picked from a list."""
        items = self.decidable()
        if len(items) <= 1:
            return items[0] if items else None
        by_id = {str(r.id): r for r in items}
        choices = [(str(r.id), t("pick.request", id=r.id, kind=fmt.kind(r.kind),
                                 channel=fmt.channel(r.channel),
                                 who=r.maker_name or fmt.origin(r.origin))) for r in items]
        key = await self.app.push_screen_wait(PickModal(t("pick.title"), choices))
        return by_id.get(key) if key is not None else None

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_approve(self) -> None:
        request = await self._pick_request()
        if request is None:
            return
        question = t("approve.confirm", id=request.id, kind=fmt.kind(request.kind),
                     channel=fmt.channel(request.channel), name=request.customer_name)
        if await self.app.push_screen_wait(ConfirmModal(question, title=t("approve.title"))):
            self.loading_while(self.decide(request.id, approve=True, note=None),
                               self.query_one("#customer-body"))

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_reject(self) -> None:
        request = await self._pick_request()
        if request is None:
            return
        note = await self.app.push_screen_wait(
            NoteModal(t("reject.title", id=request.id), t("reject.prompt"), required=True))
        if note:
            self.loading_while(self.decide(request.id, approve=False, note=note),
                               self.query_one("#customer-body"))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def decide(self, request_id: int, *, approve: bool, note: str | None) -> None:
        console = self.api
        try:
            request = (console.approve_request(request_id, note=note) if approve
                       else console.reject_request(request_id, note=note or ""))
        except Exception:
            self.post_answer(self.Stale())
            raise
        self.post_answer(self.Decided(request))

    def on_customer_screen_decided(self, message: Decided) -> None:
        request = message.request
        key = "decide.approved" if request.status == "approved" else "decide.rejected"
        self.notify(t(key, id=request.id, authority=fmt.authority(request.authority)))
        self.action_reload()

    def on_customer_screen_stale(self, _message: Stale) -> None:
        self.action_reload()
