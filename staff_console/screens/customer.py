"""One customer: header, the MTS and mobile-web credentials side by side (stacked below 100
columns), the credential history and the service matrix for this customer.

Keys: `r` request a revocation (channel, reason and note; Enter files it: the form is the
confirmation, and a request waits for a checker and can be withdrawn); `a`/`x` approve (with a
confirmation) or reject a pending request of this customer when the signed-in person may decide
it.

Nothing is silent (issue 15.4): `r` reads the customer again first and answers DUPLICATE_PENDING
(every current credential has a revocation pending) or NOT_REGISTERED (none is current) before
any form opens; the form shows both channels, one that cannot be revoked disabled. `a`/`x` are
offered to a person who decides requests whenever this customer has a pending one; when none of
them is theirs to decide, the key answers with the domain's own refusal (SELF_APPROVAL for one's
own request, FORBIDDEN or DELEGATION_INVALID for another branch's). The services still refuse on
submit whatever the screen believed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from ..domain.channels import Channel
from ..domain.errors import ConsoleError
from ..domain.states import CredentialStatus, is_current
from ..i18n import language, t
from ..widgets import format as fmt
from ..widgets.credential_panel import CredentialPanel
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from .base import ConsoleScreen
from .modals import REVOCABLE, ConfirmModal, NoteModal, PickModal, RevokeModal

if TYPE_CHECKING:
    from ..services.views import CustomerDetail, DelegationView, RequestView, ServiceAnswerView



class CustomerScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("customer.tcss")
    AUTO_FOCUS = "#customer-body"  # arrows and PgUp/PgDn scroll it on a small terminal
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (150, "-xwide")]
    BINDINGS = [
        Binding("escape", "back", "keys.back", id="customer.back"),
        # Priority: taken as the app takes `r` off its queue, so the form is there for the
        # keys typed after it (a burst: typed ahead, SSH lag). No text field on this screen.
        Binding("r", "revoke", "keys.revoke", priority=True, id="customer.revoke"),
        # Priority too: `a` typed ahead after Enter on 결재함 (the screen still loading) pushes
        # the confirmation in its own handler, so the `y` typed after it answers it.
        Binding("a", "approve", "keys.approve", priority=True, id="customer.approve"),
        Binding("x", "reject", "keys.reject", priority=True, id="customer.reject"),
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

    class Fresh(Message):
        """The customer as the store has him now, read while the revocation form is open."""

        def __init__(self, detail: CustomerDetail, form: RevokeModal) -> None:
            super().__init__()
            self.detail = detail
            self.form = form

    def __init__(self, customer_no: str, *, came_for: RequestView | None = None) -> None:
        super().__init__()
        self.customer_no = customer_no
        # The pending request this screen was opened for (Enter on 결재함): the one `a`/`x`
        # decide, whatever else of this customer's is pending (docs/decisions.md).
        self.came_for = came_for
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
                    # As wide as the language's label and words (fmt.width): nothing cut.
                    words = {"channel": [fmt.channel(c) for c in Channel],
                             "status": [fmt.status(s) for s in CredentialStatus]}
                    for key, width in (("channel", 8), ("status", 10), ("device", 20),
                                       ("activated", 16), ("until", 10), ("ended", 16),
                                       ("why", 18)):
                        history.add_column(t(f"history.{key}"), key=key, width=fmt.width(
                            width, t(f"history.{key}"), *words.get(key, ())))
                    yield history
                with Vertical(id="matrix-box"):
                    yield Label(t("customer.matrix"), classes="section-label")
                    matrix: DataTable[Text] = DataTable(id="matrix", show_cursor=False, zebra_stripes=True)
                    _matrix_columns(matrix, [])
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
        self.matrix = message.matrix
        if self.session is not None:
            self.session.set_delegations(message.delegations)
        self._show_detail(message.detail)
        self._show_matrix(message.matrix)
        self.refresh_bindings()

    def _show_detail(self, detail: CustomerDetail) -> None:
        """The header, the two panels and the history (also after `r` read them again)."""
        self.detail = detail
        self._show_header(detail)
        ended = {ch: next((c for c in detail.history if c.channel == ch
                           and c.status not in ("pending",)), None) for ch in ("mts", "web")}
        for channel, current in (("mts", detail.mts), ("web", detail.web)):
            pending = [r for r in detail.pending if r.channel == channel]
            self.query_one(f"#panel-{channel}", CredentialPanel).show(
                current, pending, ended=None if current else ended[channel])
        self._show_history(detail)
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
        table.clear(columns=True)
        _matrix_columns(table, rows)
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

    @staticmethod
    def revocable(detail: CustomerDetail) -> dict[str, str]:
        """Each channel's state for a revocation request: `REVOCABLE`, or why not (`pending`:
        a revocation of its credential is pending; `none`: no current credential)."""
        states = {}
        for channel, cred in (("mts", detail.mts), ("web", detail.web)):
            if cred is None or not is_current(cred.status):
                states[channel] = "none"
            elif any(r.kind == "revocation" and r.channel == channel for r in detail.pending):
                states[channel] = "pending"
            else:
                states[channel] = REVOCABLE
        return states

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
            # Offered to whoever may request; what the customer's state refuses is answered
            # with its code when pressed (never a silent, dimmed key).
            return session.may_request()
        if action in ("approve", "reject"):
            if not session.may_decide_any(self.staff_app.now()):
                return False
            if self.detail is None:  # loading: the request it was opened for, typed ahead
                return self.came_for is not None
            # Shown while the customer has a pending request: decided, or refused in words.
            return bool(self.detail.pending)
        return True

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def _read_detail(self) -> CustomerDetail:
        """In a thread: the customer as the store has it now (an access event, like any
        view)."""
        return self.api.show_customer(self.customer_no)

    def _refuse_revocation(self, detail: CustomerDetail) -> bool:
        """Nothing of `detail` can be revoked: answer why (True), before any form."""
        states = self.revocable(detail)
        if REVOCABLE not in states.values():
            pending = [ch for ch, state in states.items() if state == "pending"]
            if pending:  # the service's words (services/requests.py request_revocation)
                error = ConsoleError(
                    "DUPLICATE_PENDING", f"a revocation of this {pending[0]} credential is pending",
                    detail="errors.detail.revocation_pending", values={"channel": pending[0]})
            else:
                error = ConsoleError("NOT_REGISTERED", "the customer has no current credential")
            self.staff_app.report_error(error)
            return True
        return False

    def action_revoke(self) -> None:
        # What the screen shows answers at once, and the form is pushed in this key's own
        # handler, so the keys typed after `r` reach it (a worker would start a turn later);
        # the store is read again meanwhile: a request made at another terminal since then
        # closes the form with the refusal, or disables its channel. The service refuses the
        # submit whatever the screen believed.
        if self.detail is None:  # not shown yet: ask the store first
            self._revoke_after_read()
        else:
            self._open_revoke(self.detail)

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def _revoke_after_read(self) -> None:
        detail = await asyncio.to_thread(self._read_detail)
        if not self.is_attached or self.staff_app.session is None or self.staff_app.locked:
            return  # signed out or locked meanwhile
        self._show_detail(detail)
        self._open_revoke(detail)

    def _open_revoke(self, detail: CustomerDetail) -> None:
        if self._refuse_revocation(detail):
            return
        form = RevokeModal(detail.name, self.revocable(detail))
        self.read_again(form)
        self.app.push_screen(form, callback=self._revoke_answered)

    def _revoke_answered(self, answer: tuple | None) -> None:
        """The form was filed (no confirmation: the form is one, and a request is not a
        decision; it waits for a checker and its maker may withdraw it) or closed (None)."""
        if not answer:
            return
        channel, reason, note = answer
        self.loading_while(self.request_revocation(channel, reason, note),
                           self.query_one("#customer-body"))

    @work(thread=True, exclusive=True, group="fresh", exit_on_error=False)
    def read_again(self, form: RevokeModal) -> None:
        self.post_answer(self.Fresh(self._read_detail(), form))

    def on_customer_screen_fresh(self, message: Fresh) -> None:
        self._show_detail(message.detail)
        form = message.form
        if form not in self.app.screen_stack:  # answered or closed meanwhile
            return
        if REVOCABLE not in self.revocable(message.detail).values():
            form.dismiss(None)
            self._refuse_revocation(message.detail)
        else:
            form.restrict(self.revocable(message.detail))

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

    def _request_came_for(self) -> RequestView | None:
        """The request this screen was opened for, while it is this person's to decide and
        (once the customer is shown) still pending."""
        request, session = self.came_for, self.session
        if request is None or session is None:
            return None
        if self.detail is not None and request.id not in {r.id for r in self.detail.pending}:
            return None  # decided or withdrawn meanwhile: as if opened from the search
        return request if session.authority_for(request, self.staff_app.now()) else None

    async def _pick_request(self) -> RequestView | None:
        """The pending request to decide: the one the screen was opened for (결재함), else the
        only one, or the one picked from a list."""
        came_for = self._request_came_for()
        if came_for is not None:
            return came_for
        items = self.decidable()
        if len(items) <= 1:
            return items[0] if items else None
        by_id = {str(r.id): r for r in items}
        choices = [(str(r.id), t("pick.request", id=r.id, kind=fmt.kind(r.kind),
                                 channel=fmt.channel(r.channel),
                                 who=r.maker_name or fmt.origin(r.origin))) for r in items]
        key = await self.app.push_screen_wait(PickModal(t("pick.title"), choices))
        return by_id.get(key) if key is not None else None

    def _refuse_decision(self) -> bool:
        """No pending request of this customer is this person's to decide: answer why, with
        the domain's rule (the one the service applies: SELF_APPROVAL, FORBIDDEN,
        DELEGATION_INVALID) for the first of them. True when it answered."""
        session = self.session
        if self.detail is None or session is None or not self.detail.pending or self.decidable():
            return False
        error = session.why_not_decide(self.detail.pending[0], self.staff_app.now())
        if error is not None:
            self.staff_app.report_error(error)
            return True
        return False  # pragma: no cover - authority_for and decision_authority agree

    def action_approve(self) -> None:
        request = self._request_came_for()
        if request is not None:
            # Pushed in this key's own handler (not a worker, a turn later): a `y` typed
            # ahead after `a` answers the confirmation.
            self._confirm_approval(request)
        else:
            self._approve_picked()

    def _confirm_approval(self, request: RequestView) -> None:
        question = t("approve.confirm", id=request.id, kind=fmt.kind(request.kind),
                     channel=fmt.channel(request.channel), name=request.customer_name)

        def answered(yes: bool | None) -> None:
            if yes:
                self.loading_while(self.decide(request.id, approve=True, note=None),
                                   self.query_one("#customer-body"))

        self.app.push_screen(ConfirmModal(question, title=t("approve.title")), callback=answered)

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def _approve_picked(self) -> None:
        if self.detail is None:
            return  # not shown yet (and not opened for a request): nothing to decide
        if self._refuse_decision():
            return
        request = await self._pick_request()
        if request is None:
            return
        self._confirm_approval(request)

    @work(exclusive=True, group="dialog", exit_on_error=False)
    async def action_reject(self) -> None:
        if self.detail is None and self._request_came_for() is None:
            return  # not shown yet: nothing to decide
        if self._request_came_for() is None and self._refuse_decision():
            return
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


def _matrix_columns(table: DataTable, rows) -> None:
    """The service table's columns, as wide as the language's names of these rows (fmt.width:
    "Personal (credit) information ..." is not cut in English)."""
    english = language() == "en"
    groups = [row.group_en if english else row.group for row in rows]
    names = [row.name_en if english else row.name for row in rows]
    reasons = [t(f"matrix.reason.{row.reason_code}", row.reason_code)
               for row in rows if row.reason_code]
    table.add_column(t("matrix.group"), key="group", width=fmt.width(12, t("matrix.group"),
                                                                       *groups))
    table.add_column(t("matrix.service"), key="service",
                     width=fmt.width(24, t("matrix.service"), *names))
    table.add_column(t("matrix.available"), key="available",
                     width=fmt.width(4, t("matrix.available")))
    table.add_column(t("matrix.why"), key="why", width=fmt.width(22, t("matrix.why"), *reasons))
