"""The audit screen's first pane, 감사 기록: the events, their chain, their export.

Filters (customer number, employee number, action prefix, from and to dates in Korea time, both
inclusive), the events newest first in pages, the detail of the selected event. `v` recomputes
the hash chain and shows the verdict from its code (all events verified, or the first bad event
and what is wrong: a domain.trail ChainProblem); the check is itself recorded. `e` exports every
event matching the filters up to the newest row shown (all pages, not only the one on screen),
recorded as an export (`audit.export`).

At 80 columns the table leaves out, the first first (widgets/fit_table.py): the
terminal, the target, the customer (kept: sequence, time, actor, action; the detail line
below shows the selected event whole).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from ..domain.errors import ConsoleError
from ..i18n import t
from ..widgets import format as fmt
from ..widgets.fit_table import FitTable
from ..widgets.text_field import TextField
from .base import ConsoleCalls

if TYPE_CHECKING:
    from ..services.views import AuditPage, VerifyResult
    from .session import StaffSession

PAGE = 100
FILTERS = ("customer", "staff", "action", "from", "to")


def audit_table(table_id: str, columns, drop_order=()) -> DataTable[Text]:
    """`drop_order`: the columns a narrow terminal leaves out, first first."""
    table: DataTable[Text] = FitTable(id=table_id, cursor_type="row", zebra_stripes=True,
                                      drop_order=drop_order)
    for key, width in columns:
        label = t("audit.detail") if key == "detail" else t(f"audit.col.{key}")
        table.add_column(label, key=key, width=width)
    return table


def _compact(detail: dict, limit: int = 200) -> str:
    if not detail:
        return ""
    text = json.dumps(detail, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problem_text(result: VerifyResult) -> str:
    """The verdict's problem code (domain/trail.py ChainProblem) in words of the selected
    language, with the events lost where the verdict names them; an unknown code as it is."""
    if not result.problem:
        return "-"
    first, last = result.missing or (result.first_bad_seq, result.first_bad_seq)
    return t(f"audit.problem.{result.problem}", result.problem, first=first, last=last)


def coverage_text(result: VerifyResult) -> str:
    """What the check could not see (docs/decisions.md): said with every verdict."""
    if result.unanchored_after:
        return t("audit.verify_anchored", anchors=result.anchors_checked,
                 seq=result.unanchored_after)
    return t("audit.verify_unanchored")


class EventsPane(ConsoleCalls, Vertical):
    BINDINGS = [
        Binding("v", "verify", "keys.verify", id="audit.verify"),
        Binding("e", "export", "keys.export", id="audit.export"),
        Binding("slash", "focus_filters", "keys.filter", show=False, id="audit.filter"),
        Binding("pagedown", "page(1)", "keys.next_page", priority=True, show=False,
                id="audit.next_page"),
        Binding("pageup", "page(-1)", "keys.prev_page", priority=True, show=False,
                id="audit.prev_page"),
        Binding("ctrl+t", "screen.switch_tab", "keys.switch_tab", id="audit.events.switch_tab"),
        Binding("ctrl+r", "reload", "keys.refresh", id="audit.refresh"),
    ]

    class Loaded(Message):
        def __init__(self, page: AuditPage) -> None:
            super().__init__()
            self.page = page

    class Forbidden(Message):
        """The trail may not be read by this person."""

    class Verified(Message):
        def __init__(self, result: VerifyResult) -> None:
            super().__init__()
            self.result = result

    class NotVerified(Message):
        """The check could not run (the notification says why)."""

    class Exported(Message):
        def __init__(self, path: Path, rows: int) -> None:
            super().__init__()
            self.path = path
            self.rows = rows

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_calls()
        self.events: list = []
        self.has_more = False
        self.filters: dict = {}
        self.pages: list[int | None] = [None]  # before_seq of each page visited
        self.verdict: VerifyResult | None = None
        self._focus_table = False

    @property
    def session(self) -> StaffSession | None:
        return self.staff_app.session

    @property
    def may_read(self) -> bool:
        return self.session is not None and self.session.may_read_audit()

    def compose(self) -> ComposeResult:
        with Horizontal(id="audit-filters"):
            for name in FILTERS:
                yield TextField(placeholder=t(f"audit.filter.{name}"), id=f"filter-{name}",
                                max_length=40)
        yield Static("", id="audit-verdict")
        yield audit_table("audit-table", (("seq", 7), ("at", 16), ("actor", 8), ("action", 28),
                                          ("customer", 10), ("target", 18), ("terminal", 16)),
                              drop_order=("terminal", "target", "customer"))
        yield Static("", id="audit-status", classes="audit-status")
        yield Static("", id="audit-detail")

    def on_mount(self) -> None:
        if not self.may_read:
            self._say_not_allowed()
        # Under load the loading indicator can show before the focus request below is
        # handled; the screen's first focusable (the tabs) then gets the focus. The table takes
        # it again once the first events are in.
        self._focus_table = True
        self.load_events()
        self.query_one("#audit-table", DataTable).focus()

    def _say_not_allowed(self) -> None:
        self.query_one("#audit-status", Static).update(Text(t("audit.not_allowed"),
                                                            style="bold red"))

    # ------------------------------------------------------------------ the events

    def _read_filters(self) -> dict | None:
        values = {name: self.query_one(f"#filter-{name}", Input).value.strip()
                  for name in FILTERS}
        filters: dict = {}
        if values["customer"]:
            filters["customer_no"] = values["customer"].upper()
        if values["staff"]:
            filters["staff_no"] = values["staff"]
        if values["action"]:
            filters["action"] = values["action"]
        for name, key in (("from", "date_from"), ("to", "date_to")):
            if values[name]:
                try:
                    filters[key] = date.fromisoformat(values[name])
                except ValueError:
                    self.notify(t("audit.bad_date", field=t(f"audit.filter.{name}")),
                                severity="warning")
                    self.query_one(f"#filter-{name}", Input).focus()
                    return None
        if "date_from" in filters and "date_to" in filters \
                and filters["date_from"] > filters["date_to"]:
            self.notify(t("audit.bad_range"), severity="warning")
            return None
        return filters

    def load_events(self, before_seq: int | None = None) -> None:
        self.loading_while(self.read(dict(self.filters), before_seq),
                           self.query_one("#audit-table", DataTable))

    @work(thread=True, exclusive=True, group="events", exit_on_error=False)
    def read(self, filters: dict, before_seq: int | None) -> None:
        try:
            page = self.api.list_events(before_seq=before_seq, limit=PAGE, **filters)
        except ConsoleError as error:
            if error.code == "FORBIDDEN":
                self.post_answer(self.Forbidden())
            raise
        self.post_answer(self.Loaded(page))

    def on_events_pane_forbidden(self, _message: Forbidden) -> None:
        self._say_not_allowed()

    def on_events_pane_loaded(self, message: Loaded) -> None:
        self.events = list(message.page.items)
        self.has_more = message.page.has_more
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for e in self.events:
            table.add_row(*fmt.cells(str(e.seq), fmt.when(e.at), e.actor,
                                     t(f"action.{e.action}", e.action),
                                     e.customer_no or "-", e.target or "-", e.terminal),
                          key=str(e.seq))
        status = self.query_one("#audit-status", Static)
        if self.events:
            status.update(t("audit.status", count=len(self.events), first=self.events[0].seq,
                            last=self.events[-1].seq, page=len(self.pages),
                            more=t("audit.status_more") if self.has_more else ""))
        else:
            status.update(t("audit.status_none"))
        self._show_detail()
        if self._focus_table:
            self._focus_table = False
            table.focus()
        self.screen.refresh_bindings()

    def _current_event(self):
        table = self.query_one("#audit-table", DataTable)
        row = table.cursor_row
        if not self.events or row is None or not 0 <= row < len(self.events):
            return None
        return self.events[row]

    def _show_detail(self) -> None:
        e = self._current_event()
        box = self.query_one("#audit-detail", Static)
        if e is None:
            box.update("")
            return
        line = Text(f"#{e.seq} ", style="bold")
        category = t(f"audit.category.{e.category}", e.category)
        line.append(fmt.safe(f"{fmt.when(e.at)} · {e.actor} · {e.terminal} · {e.action} · "
                             f"{category} · "))
        line.append(fmt.safe(_compact(e.detail) or "-"), style="dim")
        box.update(line)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.screen.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        filters = self._read_filters()
        if filters is None:
            return
        self.filters = filters
        self.pages = [None]
        self._focus_table = True  # once loaded: a loading table takes no focus
        self.load_events()

    def action_page(self, step: int) -> None:
        if step > 0 and self.has_more and self.events:
            self.pages.append(self.events[-1].seq)
            self.load_events(self.pages[-1])
        elif step < 0 and len(self.pages) > 1:
            self.pages.pop()
            self.load_events(self.pages[-1])

    def action_reload(self) -> None:
        self.load_events(self.pages[-1])

    def action_focus_filters(self) -> None:
        self.query_one("#filter-customer", Input).focus()

    # ------------------------------------------------------------------ verify

    def action_verify(self) -> None:
        if not self.may_read:
            return
        verdict = self.query_one("#audit-verdict", Static)
        verdict.set_classes("-shown")
        verdict.update(t("audit.verify_running"))
        self.loading_while(self.verify(), verdict)

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def verify(self) -> None:
        """Against the anchor file of the `audit_anchor_path` setting, when it exists (as
        `audit verify` does)."""
        try:
            result = self.api.verify_audit(anchors=self.staff_app.read_anchors())
        except Exception:
            self.post_answer(self.NotVerified())
            raise
        self.post_answer(self.Verified(result))

    def on_events_pane_verified(self, message: Verified) -> None:
        result = self.verdict = message.result
        when = fmt.when(self.staff_app.now())
        box = self.query_one("#audit-verdict", Static)
        coverage = coverage_text(result)
        if result.ok:
            text = t("audit.verify_ok", count=result.count, when=when)
            box.set_classes("-shown")
            shown = Text(text, style="bold green")
            shown.append(f"\n{coverage}", style="dim")
            box.update(shown)
            self.notify(text, title=t("audit.verify_title_ok"))
        else:
            text = t("audit.verify_bad", seq=result.first_bad_seq or "-",
                     problem=problem_text(result), when=when)
            box.set_classes("-shown -bad")
            shown = Text(text, style="bold red")
            shown.append(f"\n{coverage}", style="dim")
            box.update(shown)
            self.notify(f"{text}\n{result.problem}", title=t("audit.verify_title_bad"),
                        severity="error", timeout=15)
        self.load_events(self.pages[-1])  # the check itself is now an event

    def on_events_pane_not_verified(self, _message: NotVerified) -> None:
        box = self.query_one("#audit-verdict", Static)
        box.set_classes("")
        box.update("")

    # ------------------------------------------------------------------ export

    def action_export(self) -> None:
        if not self.events:
            self.notify(t("audit.export_empty"), severity="warning")
            return
        newest = max(e.seq for e in self.events)
        self.loading_while(self.export(dict(self.filters), newest),
                           self.query_one("#audit-table", DataTable))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, filters: dict, newest: int) -> None:
        try:
            path = self.staff_app.new_export_path("audit-events")
            result = self.api.export_events(path, through_seq=newest, **filters)
        except OSError as error:  # the file, on this terminal: said as such
            self.report_export_failure(error)
            return
        self.post_answer(self.Exported(Path(result.path), result.rows))

    def on_events_pane_exported(self, message: Exported) -> None:
        self.notify(t("audit.exported", count=message.rows, path=str(message.path)),
                    title=t("export.title"), timeout=12)

    # ------------------------------------------------------------------ gating

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None:
            return False
        if action == "verify":
            return self.may_read
        if action == "export":
            if not self.may_read:
                return False
            return bool(self.events)  # 15.4: not shown, never dimmed
        if action == "page":
            step = int(str(parameters[0])) if parameters else 1
            ok = self.has_more if step > 0 else len(self.pages) > 1
            return ok
        return True
