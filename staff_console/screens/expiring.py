"""만료 예정 (F6, roles that see customer data): credentials whose last valid day comes within N
days (default: the store's policy `expiring_within_days`, 30), soonest first, and a chart of how many
expire in each of the next 12 months.

Branch staff see their branch's customers, an auditor every branch (the service decides). Enter
opens the customer; `e` exports every credential of the window to `<home>/exports/` as CSV
through services/exports.py, which records the export in the access log.

At 80 columns the table leaves out, the first first (widgets/fit_table.py): the device, then the branch
(kept: customer number, name, channel, valid until, days). Below 32 rows the chart gives
the list the height.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from ..domain.authority import BRANCH_ROLES
from ..i18n import t
from ..widgets import format as fmt
from ..widgets.days_bar import DANGER_DAYS
from ..widgets.expiry_chart import ExpiryChart
from ..widgets.fit_table import FitTable
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from ..widgets.text_field import TextField
from .base import ConsoleScreen

if TYPE_CHECKING:
    from ..services.views import ExpiringItem

MAX_WITHIN = 3660
LIST_LIMIT = 1000


class ExpiringScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("expiring.tcss")
    # Below 32 rows (80x24) the chart gives up height to the list (expiring.tcss).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    AUTO_FOCUS = "#expiring-table"
    BINDINGS = [
        Binding("e", "export", "keys.export", id="expiring.export"),
        Binding("slash", "focus_within", "keys.within", id="expiring.focus_within"),
        Binding("ctrl+r", "reload", "keys.refresh", id="expiring.refresh"),
    ]

    class Loaded(Message):
        """The window's credentials, and the 12 months' counts when they were asked for."""

        def __init__(self, within: int, items: list[ExpiringItem],
                     months: list[tuple[str, int]] | None) -> None:
            super().__init__()
            self.within = within
            self.items = items
            self.months = months

    class NotLoaded(Message):
        """The read was refused (the notification says why): the chart stops waiting."""

    class Exported(Message):
        def __init__(self, path: Path, rows: int) -> None:
            super().__init__()
            self.path = path
            self.rows = rows

    def __init__(self) -> None:
        super().__init__()
        self.items: list = []
        self.months: list | None = None
        self.within: int | None = None
        self._focus_table = False

    @property
    def help_title(self) -> str:
        return t("nav.expiring.title")

    @property
    def help_tips(self) -> str:
        return t("expiring.tips")

    def compose(self) -> ComposeResult:
        yield SessionBar(t("nav.expiring.title"))
        with Horizontal(id="expiring-controls"):
            yield Label(t("expiring.within"))
            yield TextField(str(self._default_within()), id="expiring-within", type="integer",
                            max_length=4)
            yield Static("", id="expiring-status")
        table: DataTable[Text] = FitTable(id="expiring-table", cursor_type="row", zebra_stripes=True,
                                          drop_order=("device", "branch"))
        for key, width in (("customer_no", 10), ("name", 14), ("branch", 6), ("channel", 8),
                           ("device", 28), ("until", 13), ("days", 9)):
            table.add_column(t(f"expiring.col.{key}"), key=key, width=width)
        yield table
        with Vertical(id="expiring-chart-box"):
            yield ExpiryChart(id="expiring-chart")
        yield ConsoleFooter()

    def _default_within(self) -> int:
        # The store's policy (read at sign-in), never the terminal's settings.
        value = getattr(self.staff_app.policy, "expiring_within_days", 30)
        try:
            return min(max(int(value), 0), MAX_WITHIN)
        except (TypeError, ValueError):
            return 30

    def on_mount(self) -> None:
        self.query_one("#expiring-chart-box").border_title = t("expiring.chart")
        self.load(self._default_within(), with_chart=True)

    # ------------------------------------------------------------------ loading

    def load(self, within: int, *, with_chart: bool) -> None:
        self.within = within
        self.loading_while(self.read(within, with_chart), self.query_one("#expiring-table"))
        if with_chart:
            self.query_one("#expiring-chart").loading = True

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def read(self, within: int, with_chart: bool) -> None:
        console = self.api
        try:
            items = console.list_expiring(within_days=within, limit=LIST_LIMIT)
            months = console.expiring_by_month(months=12) if with_chart else None
        except Exception:
            self.post_answer(self.NotLoaded())
            raise
        self.post_answer(self.Loaded(within, items, months))

    def action_reload(self) -> None:
        within = self._within_input()
        if within is not None:
            self.load(within, with_chart=True)

    def on_expiring_screen_not_loaded(self, _message: NotLoaded) -> None:
        self.query_one("#expiring-chart").loading = False

    def on_expiring_screen_loaded(self, message: Loaded) -> None:
        self.items = list(message.items)
        self._fill(message.within)
        if message.months is not None:
            self.months = list(message.months)
            chart = self.query_one("#expiring-chart", ExpiryChart)
            chart.loading = False
            chart.show(self.months)
            total = sum(n for _, n in self.months)
            self.query_one("#expiring-chart-box").border_subtitle = t("expiring.chart_total",
                                                                      total=total)
        if self._focus_table:
            self._focus_table = False
            self.query_one("#expiring-table", DataTable).focus()
        self.refresh_bindings()

    def _fill(self, within: int) -> None:
        table = self.query_one("#expiring-table", DataTable)
        table.clear()
        for item in self.items:
            days = Text(t("expiring.today") if item.days_left == 0
                        else t("expiring.days", days=item.days_left), justify="right",
                        style="bold red" if item.days_left <= 7
                        else "red" if item.days_left <= DANGER_DAYS else "yellow")
            table.add_row(*fmt.cells(item.customer_no, item.customer_name, item.branch_code,
                                     fmt.channel(item.channel), item.device_model or "-",
                                     fmt.day(item.valid_until), days),
                          key=str(item.credential_id))
        today = self.staff_app.today()
        actor = self.session.actor if self.session is not None else None
        if actor is not None and actor.role in BRANCH_ROLES:
            scope = t("expiring.scope.branch", branch=actor.branch_code)
        else:
            scope = t("expiring.scope.all")
        key = "expiring.status_limited" if len(self.items) >= LIST_LIMIT else "expiring.status"
        text = t(key, count=len(self.items), today=fmt.day(today), days=within,
                 until=fmt.day(today + timedelta(days=within)), scope=scope)
        if not self.items:
            text = f"{t('expiring.empty')} · {text}"
        self.query_one("#expiring-status", Static).update(text)

    # ------------------------------------------------------------------ the days

    def _within_input(self) -> int | None:
        box = self.query_one("#expiring-within", Input)
        text = box.value.strip()
        if not text:
            return self._default_within()
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not 0 <= value <= MAX_WITHIN:
            self.notify(t("expiring.bad_within"), severity="warning")
            box.focus()
            return None
        return value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "expiring-within":
            return
        event.stop()
        within = self._within_input()
        if within is not None:
            self._focus_table = True
            self.load(within, with_chart=self.months is None)

    def action_focus_within(self) -> None:
        self.query_one("#expiring-within", Input).focus()

    # ------------------------------------------------------------------ open, export

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = event.cursor_row
        if 0 <= row < len(self.items):
            self.staff_app.open_customer(self.items[row].customer_no)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            if self.session is None or not self.session.may_view_customers():
                return False
            return bool(self.items)  # 15.4: not shown, never dimmed
        return True

    def action_export(self) -> None:
        if not self.items or self.within is None:
            return
        self.loading_while(self.export(self.within), self.query_one("#expiring-table"))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, within: int) -> None:
        """Every credential of the window (not only the rows shown)."""
        try:
            path = self.staff_app.new_export_path("expiring")
            result = self.api.export_expiring(path, within_days=within)
        except OSError as error:  # the file, on this terminal: said as such
            self.report_export_failure(error)
            return
        self.post_answer(self.Exported(Path(result.path), result.rows))

    def on_expiring_screen_exported(self, message: Exported) -> None:
        self.notify(t("expiring.exported", count=message.rows, path=str(message.path)),
                    title=t("export.title"), timeout=12)
