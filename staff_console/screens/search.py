"""Customer search: results update as the person types (debounced), paged, Enter opens.

Every search kind of the core works from the one input: name, 초성, customer number, account
number, full phone or its last 4 digits, birth date (YYMMDD). Lists show masked ID numbers and
phones. The search runs in an exclusive worker: a newer query makes older results stale.

A narrow terminal keeps the customer number, name, masked ID and phone, and drops the branch
first, then the customer type, the online-trading mark and the phone (widgets/fit_table.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from ..domain.errors import ConsoleError
from ..domain.ids import CustomerType, Nationality
from ..i18n import t
from ..widgets import format as fmt
from ..widgets.fit_table import FitTable
from ..widgets.footer import ConsoleFooter
from ..widgets.session_bar import SessionBar
from ..widgets.text_field import TextField
from .base import ConsoleScreen

if TYPE_CHECKING:
    from ..services.views import SearchPage

DEBOUNCE_SECONDS = 0.12  # the ceiling is 150 ms
YES = Text("✓", style="green")
NO = Text("✗", style="red")
PAGE_SIZE = 20


class SearchScreen(ConsoleScreen):
    CSS_PATH = Path(__file__).with_name("search.tcss")
    AUTO_FOCUS = "#search-input"
    BINDINGS = [
        Binding("pagedown", "page(1)", "keys.next_page", priority=True, id="search.next_page"),
        Binding("pageup", "page(-1)", "keys.prev_page", priority=True, id="search.prev_page"),
        Binding("slash", "focus_query", "keys.focus_query", id="search.focus"),
        # Priority: taken as the app takes the key off its queue, so that the keys typed after
        # it (Down, Down, Enter in one burst) reach the table, not the search box.
        Binding("down", "down_to_results", "keys.results", show=False, priority=True,
                id="search.results"),
    ]

    class Found(Message):
        """A page of results, and the seconds the console took for it."""

        def __init__(self, page: SearchPage, elapsed: float) -> None:
            super().__init__()
            self.page = page
            self.elapsed = elapsed

    class Invalid(Message):
        """Half-typed input the search does not accept (INVALID_INPUT)."""

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.result_offset = 0
        self.page: SearchPage | None = None
        self._debounce: Timer | None = None
        # Enters pressed in the query before the results for its text were on screen (typed
        # in a burst): the first moves to the results (or opens the only one), the second opens
        # the first row, once the results arrive. Nothing typed ahead is lost.
        self._enters_ahead = 0
        self.issued_at: float | None = None
        # (query, seconds from the query being issued to the table updated, of which in the
        # service): the benchmark reads these.
        self.timings: list[tuple[str, float, float]] = []

    @property
    def help_title(self) -> str:
        return t("nav.search.title")

    @property
    def help_tips(self) -> str:
        return t("search.tips")

    def compose(self) -> ComposeResult:
        yield SessionBar(t("nav.search.title"))
        yield TextField(placeholder=t("search.placeholder"), id="search-input", max_length=40)
        yield Static(t("search.status.idle"), id="search-status")
        table: DataTable[Text] = FitTable(id="search-results", cursor_type="row", zebra_stripes=True,
                                          drop_order=("branch", "type", "online", "phone"))
        table.add_column(t("col.customer_no"), key="no", width=10)
        table.add_column(t("col.name"), key="name", width=16)
        table.add_column(t("col.id"), key="id", width=16)
        table.add_column(t("col.phone"), key="phone", width=15)
        table.add_column(t("col.branch"), key="branch", width=8)
        kinds = [fmt.customer_kind(c, n) for c in CustomerType for n in Nationality]
        table.add_column(t("col.type"), key="type", width=fmt.width(14, t("col.type"), *kinds))
        table.add_column(t("col.online"), key="online")
        yield table
        yield ConsoleFooter()

    # ------------------------------------------------------------------ typing

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search-input":
            return
        self._enters_ahead = 0  # a new text: Enters typed for the old one are void
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._fire)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search-input":
            return
        if self._debounce is not None:
            self._debounce.stop()
        text = event.value.strip()
        if text and (text != self.query_text or self.page is None):
            # The results for this text are not on screen yet: act on them when they are.
            self._enters_ahead += 1
            searching = (text == self.query_text and self.busy(self._loading_for.get(
                self.query_one("#search-results", DataTable))))
            if not searching:
                self._fire()
        elif self.page is not None and len(self.page.items) == 1:
            self.staff_app.open_customer(self.page.items[0].customer_no)
        else:
            self.action_focus_results()

    def _fire(self) -> None:
        self._debounce = None
        text = self.query_one("#search-input", Input).value.strip()
        self.search(text, 0)

    def search(self, text: str, offset: int) -> None:
        self.query_text = text
        self.result_offset = offset
        table = self.query_one("#search-results", DataTable)
        if not text:
            self.page = None
            self.stop_loading(table)  # a running search's answer is no longer wanted
            table.clear()
            self.query_one("#search-status", Static).update(t("search.status.idle"))
            return
        self.issued_at = time.perf_counter()
        self.loading_while(self.find(text, offset), table)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def find(self, text: str, offset: int) -> None:
        started = time.perf_counter()
        try:
            page = self.api.search_customers(text, limit=PAGE_SIZE, offset=offset)
        except ConsoleError as error:
            if error.code != "INVALID_INPUT":
                raise
            self.post_answer(self.Invalid())
            return
        self.post_answer(self.Found(page, time.perf_counter() - started))

    def on_search_screen_found(self, message: Found) -> None:
        page = self.page = message.page
        table = self.query_one("#search-results", DataTable)
        table.clear()
        for item in page.items:
            table.add_row(*fmt.cells(
                item.customer_no, item.name, item.id_masked, item.phone_masked,
                item.branch_code, fmt.customer_kind(item.customer_type, item.nationality),
                YES if item.online_trading else NO),
                key=item.customer_no,
            )
        status = self.query_one("#search-status", Static)
        kinds = ", ".join(t(f"search.kind.{k}", k) for k in page.kinds)
        if not page.items:
            status.update(fmt.plain(t("search.status.none", query=page.query, kinds=kinds)))
        else:
            first = page.offset + 1
            last = page.offset + len(page.items)
            more = t("search.status.more") if page.has_more else ""
            status.update(fmt.plain(t("search.status.results", query=page.query, kinds=kinds,
                                      first=first, last=last,
                                      page=page.offset // PAGE_SIZE + 1, more=more)))
        self.refresh_bindings()  # PgDn/PgUp enabled or not
        enters, self._enters_ahead = self._enters_ahead, 0
        current = self.query_one("#search-input", Input).value.strip()
        if enters and page.items and self.query_text == current:
            if len(page.items) == 1 or enters >= 2:
                self.staff_app.open_customer(page.items[0].customer_no)
            else:
                self.action_focus_results()
        if self.issued_at is not None:
            self.timings.append((page.query, time.perf_counter() - self.issued_at,
                                 message.elapsed))

    def on_search_screen_invalid(self, _message: Invalid) -> None:
        # Half-typed input: say so under the box, no notification per keystroke.
        self.query_one("#search-results", DataTable).clear()
        self.page = None
        self.query_one("#search-status", Static).update(t("search.status.invalid"))

    # ------------------------------------------------------------------ keys

    def action_page(self, step: int) -> None:
        page = self.page
        if page is None:
            return
        if step > 0 and page.has_more:
            self.search(self.query_text, page.offset + PAGE_SIZE)
        elif step < 0 and page.offset > 0:
            self.search(self.query_text, max(0, page.offset - PAGE_SIZE))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page":
            page = self.page
            if page is None:
                return False  # 15.4: not shown, never dimmed
            step = int(str(parameters[0])) if parameters else 1
            return page.has_more if step > 0 else page.offset > 0
        return True

    def action_focus_query(self) -> None:
        self.query_one("#search-input", Input).focus()

    def section_reentered(self) -> None:
        """F2 pressed while here (from the results, or back from a customer): the query has
        the focus, selected, so what is typed next is a new search (issue 15.4: never a key
        that does nothing)."""
        self.focus_start()

    def focus_start(self) -> None:
        """The query has the focus, its text selected (F2 from here or from another
        section)."""
        box = self.query_one("#search-input", Input)
        self.set_focus(box)
        box.select_all()

    def action_focus_results(self) -> None:
        table = self.query_one("#search-results", DataTable)
        if table.row_count:
            self.set_focus(table)  # now, not after the keys already on their way

    def action_down_to_results(self) -> None:
        """Down in the search box: to the results. Anywhere else the key is the table's own
        (its cursor), and with no results there is nowhere to go."""
        table = self.query_one("#search-results", DataTable)
        if self.focused is table or not table.row_count:
            raise SkipAction()
        self.set_focus(table)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key is not None and event.row_key.value:
            self.staff_app.open_customer(event.row_key.value)
