"""모바일웹 서비스표 (F5, everyone): the service matrix of DOMAIN.md section 4, grouped.

The 17 services by group (간편인증 / MY 정보 / 모바일 지점), whether they need the online trading
agreement (Y/-) and the verification they need. A customer number (optional; roles that see
customer data only) adds, for that customer, available or not (✓/✗) and why; that lookup is a
customer-data access and the service records it.

At 80 columns the table leaves out, the first first (widgets/fit_table.py): the
group, the verification, the online-trading need, the reason (kept: the service and, with a
customer, the available mark).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from ..domain.errors import ConsoleError
from ..i18n import language, t
from ..widgets import format as fmt
from ..widgets.fit_table import FitTable
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from ..widgets.text_field import TextField
from .base import ConsoleScreen

if TYPE_CHECKING:
    from ..services.views import ServiceAnswerView


class MatrixScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("matrix.tcss")
    AUTO_FOCUS = "#matrix-table"
    BINDINGS = [
        Binding("slash", "focus_customer", "keys.customer_input", id="matrix.focus_customer"),
        Binding("escape", "clear_customer", "keys.back", show=False, id="matrix.clear_customer"),
        Binding("ctrl+r", "reload", "keys.refresh", id="matrix.refresh"),
    ]

    class Answered(Message):
        def __init__(self, rows: list[ServiceAnswerView]) -> None:
            super().__init__()
            self.rows = rows

    class Forgotten(Message):
        """The customer asked for could not be shown: the plain matrix follows."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []
        self.customer_no: str | None = None
        self._focus_table = False

    @property
    def help_title(self) -> str:
        return t("nav.matrix.title")

    @property
    def help_tips(self) -> str:
        return t("matrix.tips")

    @property
    def may_look_up(self) -> bool:
        return self.session is not None and self.session.may_view_customers()

    def compose(self) -> ComposeResult:
        yield SessionBar(t("nav.matrix.title"))
        yield TextField(placeholder=t("matrix.customer_placeholder"), id="matrix-customer",
                        max_length=20)
        yield Static("", id="matrix-status")
        yield FitTable(id="matrix-table", cursor_type="row", zebra_stripes=True,
                       drop_order=("group", "verification", "online", "why"))
        yield ConsoleFooter()

    def on_mount(self) -> None:
        box = self.query_one("#matrix-customer", Input)
        box.disabled = not self.may_look_up
        box.display = self.may_look_up
        self.action_reload()

    def action_reload(self) -> None:
        self.loading_while(self.answer(self.customer_no),
                           self.query_one("#matrix-table", DataTable))

    @work(thread=True, exclusive=True, group="matrix", exit_on_error=False)
    def answer(self, customer_no: str | None) -> None:
        try:
            rows = self.api.service_matrix(customer_no)
        except ConsoleError as error:
            if not customer_no:
                raise
            # An unknown customer: say why, and keep showing the plain matrix.
            self.report_from_worker(error)
            self.post_answer(self.Forgotten())
            rows = self.api.service_matrix(None)
        self.post_answer(self.Answered(rows))

    def on_matrix_screen_answered(self, message: Answered) -> None:
        self.rows = list(message.rows)
        self._fill()
        if self._focus_table:
            self._focus_table = False
            self.query_one("#matrix-table", DataTable).focus()

    def on_matrix_screen_forgotten(self, _message: Forgotten) -> None:
        self.customer_no = None

    def _fill(self) -> None:
        table = self.query_one("#matrix-table", DataTable)
        table.clear(columns=True)
        english = language() == "en"  # as wide as this language's names (fmt.width)
        table.add_column(t("matrix.group"), key="group", width=fmt.width(
            12, t("matrix.group"), *(r.group_en if english else r.group for r in self.rows)))
        table.add_column(t("matrix.service"), key="service", width=fmt.width(
            24, t("matrix.service"), *(r.name_en if english else r.name for r in self.rows)))
        table.add_column(t("matrix.online_needed"), key="online", width=14)
        table.add_column(t("matrix.verification"), key="verification", width=26)
        with_customer = bool(self.rows) and self.rows[0].available is not None
        if with_customer:
            table.add_column(t("matrix.available"), key="available", width=4)
            table.add_column(t("matrix.why"), key="why", width=22)
        english = language() == "en"
        group = None
        for row in self.rows:
            name = row.group_en if english else row.group
            shown = Text(name, style="bold") if name != group else Text("")
            group = name
            cells = [
                shown,
                row.name_en if english else row.name,
                Text(t("matrix.needed.yes") if row.online_trading else t("matrix.needed.no"),
                     justify="center"),
                t(f"matrix.verification.{row.verification}", row.verification),
            ]
            if with_customer:
                cells.append(Text("✓", style="bold green", justify="center") if row.available
                             else Text("✗", style="bold red", justify="center"))
                cells.append(t(f"matrix.reason.{row.reason_code}", row.reason_code)
                             if row.reason_code else "")
            table.add_row(*cells, key=row.code)
        status = self.query_one("#matrix-status", Static)
        if with_customer:
            status.update(fmt.plain(t("matrix.status.customer", customer_no=self.customer_no,
                                      available=sum(1 for r in self.rows if r.available),
                                      count=len(self.rows))))
        elif self.may_look_up:
            status.update(t("matrix.status.plain", count=len(self.rows)))
        else:
            status.update(t("matrix.status.no_customers", count=len(self.rows)))

    # ------------------------------------------------------------------ the customer

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "matrix-customer":
            return
        event.stop()
        text = event.value.strip().upper()
        if text and not self.may_look_up:
            return
        self.customer_no = text or None
        self._focus_table = True
        self.action_reload()

    def action_focus_customer(self) -> None:
        if self.may_look_up:
            self.query_one("#matrix-customer", Input).focus()

    def action_clear_customer(self) -> None:
        box = self.query_one("#matrix-customer", Input)
        if self.customer_no or box.value:
            box.value = ""
            self.customer_no = None
            self.action_reload()
        self.query_one("#matrix-table", DataTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_customer":
            return self.may_look_up
        return True
