"""감사 기록 (F7, managers, auditors, admins): the audit trail, its chain, the access-log review.

Tab 1, 감사 기록: filters (customer number, employee number, action prefix, from and to dates in
Korea time, both inclusive), the events newest first in pages, the detail of the selected event.
`v` recomputes the hash chain and shows the verdict (all events verified, or the first bad event
and what is wrong); the check is itself recorded. `e` exports to CSV.

Tab 2, 접속기록 점검 (managers and auditors): the month's personal-data access events (a manager
sees the branch's staff, an auditor everyone), the month's sign-off if there is one, and `s` to
sign the review off (an optional note, a confirmation), which is itself an audit event.

An export writes every row matching the filters up to the newest row shown (all pages, not only
the one on screen) through services/exports.py, which records it as an export (`audit.export`,
`access_log.export`).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Input, Label, Static, TabbedContent, TabPane

from ..domain.errors import ConsoleError
from ..i18n import t
from ..widgets import format as fmt
from ..widgets.export_file import export_dir
from ..widgets.session_bar import SessionBar
from .base import ServiceContext, ServiceScreen, resolve
from .modals import ConfirmModal, NoteModal

PAGE = 100
ACCESS_LIMIT = 500
FILTERS = ("customer", "staff", "action", "from", "to")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _compact(detail: dict, limit: int = 200) -> str:
    if not detail:
        return ""
    text = json.dumps(detail, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(detail: dict, limit: int = 60) -> str:
    """`query=홍길동 kinds=2 results=1`: scalars as they are, lists by their length."""
    parts = []
    for key, value in (detail or {}).items():
        if isinstance(value, list | tuple):
            parts.append(f"{key}={len(value)}")
        elif not isinstance(value, dict) and value not in (None, ""):
            parts.append(f"{key}={value}")
    text = " ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problem_text(result) -> str:
    """The verdict's problem code (domain/trail.py ChainProblem) in words of the selected
    language, with the events lost where the verdict names them; an unknown code as it is."""
    if not result.problem:
        return "-"
    first, last = result.missing or (result.first_bad_seq, result.first_bad_seq)
    return t(f"audit.problem.{result.problem}", result.problem, first=first, last=last)


def coverage_text(result) -> str:
    """What the check could not see (docs/decisions.md): said with every verdict."""
    if result.unanchored_after:
        return t("audit.verify_anchored", anchors=result.anchors_checked,
                 seq=result.unanchored_after)
    return t("audit.verify_unanchored")


def _verify(anchor_file: Path | None):
    """The check against the anchor file of the `audit_anchor_path` setting, when it exists
    (as `audit verify` does)."""

    def call(ctx: ServiceContext):
        lines = (resolve("anchors.read_anchor_file")(anchor_file)
                 if anchor_file is not None and anchor_file.exists() else [])
        return ctx.call("audit_trail.verify_audit", with_actor=False, actor=ctx.actor,
                        anchors=lines)

    return call


def _sign_off(month: str, note: str | None, anchor_file: Path | None):
    """The sign-off, then its signed head appended to the anchor file when there is one. A
    failed append does not undo the sign-off: it is returned, to be shown."""

    def call(ctx: ServiceContext):
        signed = ctx.call("audit_trail.sign_off_access_review", month, note=note)
        problem = None
        if anchor_file is not None:
            try:
                anchor = resolve("audit_trail.signoff_anchor")(ctx.backend, signed)
                resolve("anchors.append_anchor")(anchor_file, anchor.line)
            except ConsoleError as exc:
                problem = exc
        return signed, problem

    return call


def _access(month: str, scope_all: bool):
    def call(ctx: ServiceContext):
        page = ctx.call("audit_trail.access_log", month, limit=ACCESS_LIMIT)
        signed = ctx.call("audit_trail.list_events", action="access_log.signed_off", limit=200)
        want = "all" if scope_all else ctx.actor.branch_code
        signoffs = [e for e in signed.items
                    if e.detail.get("month") == month and e.detail.get("scope") == want]
        return month, page, signoffs

    return call


def _export_events(filters: dict, newest: int, home):
    """Every event matching the filters up to the newest shown: the pages on screen and all
    older ones (services/exports)."""
    def call(ctx: ServiceContext):
        path = resolve("exports.new_export_path")(export_dir(home), "audit-events",
                                                  ctx.clock.now())
        result = ctx.call("exports.export_events", path, through_seq=newest, **filters)
        return Path(result.path), result.rows

    return call


def _export_access(month: str, newest: int, home):
    def call(ctx: ServiceContext):
        path = resolve("exports.new_export_path")(export_dir(home), f"access-log-{month}",
                                                  ctx.clock.now())
        result = ctx.call("exports.export_access_log", month, path, through_seq=newest)
        return Path(result.path), result.rows

    return call


class AuditScreen(ServiceScreen):
    DEFAULT_CSS = """
    AuditScreen #audit-tabs {
        height: 1fr;
    }
    AuditScreen #audit-filters, AuditScreen #access-controls {
        height: 3;
    }
    AuditScreen #audit-filters Input {
        width: 24;
    }
    AuditScreen #audit-filters #filter-customer {
        width: 16;
    }
    AuditScreen #audit-filters #filter-staff {
        width: 12;
    }
    AuditScreen #audit-filters #filter-action {
        width: 1fr;
    }
    AuditScreen #access-controls Label {
        padding: 1 1 0 1;
    }
    AuditScreen #access-month {
        width: 14;
    }
    AuditScreen #access-signed {
        padding: 1 0 0 2;
        width: 1fr;
    }
    AuditScreen #audit-verdict {
        height: auto;
        padding: 0 1;
        border: round $success;
        display: none;
    }
    AuditScreen #audit-verdict.-bad {
        border: heavy $error;
    }
    AuditScreen #audit-verdict.-shown {
        display: block;
    }
    AuditScreen #audit-table, AuditScreen #access-table {
        height: 1fr;
        min-height: 5;
    }
    AuditScreen .audit-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    AuditScreen #audit-detail {
        height: 2;
        padding: 0 1;
        border-top: solid $primary;
    }
    """
    BINDINGS = [
        Binding("v", "verify", "keys.verify"),
        Binding("s", "sign_off", "keys.sign_off"),
        Binding("e", "export", "keys.export"),
        Binding("slash", "focus_filters", "keys.filter", show=False),
        Binding("pagedown", "page(1)", "keys.next_page", priority=True, show=False),
        Binding("pageup", "page(-1)", "keys.prev_page", priority=True, show=False),
        Binding("ctrl+t", "switch_tab", "keys.switch_tab"),
        Binding("ctrl+r", "reload", "keys.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.events: list = []
        self.has_more = False
        self.filters: dict = {}
        self.pages: list[int | None] = [None]  # before_seq of each page visited
        self.access: list = []
        self.access_month: str | None = None
        self.access_more = False
        self.signoffs: list = []
        self.verdict = None
        self._events_stale = False
        self._focus_table = False

    @property
    def help_title(self) -> str:
        return t("nav.audit.title")

    @property
    def help_tips(self) -> str:
        return t("audit.tips")

    @property
    def may_read(self) -> bool:
        return self.session is not None and self.session.may_read_audit()

    @property
    def may_review(self) -> bool:
        return self.session is not None and self.session.may_review_access()

    def compose(self) -> ComposeResult:
        yield SessionBar(t("nav.audit.title"))
        with TabbedContent(id="audit-tabs"):
            with TabPane(t("audit.tab.events"), id="tab-events"):
                with Horizontal(id="audit-filters"):
                    for name in FILTERS:
                        yield Input(placeholder=t(f"audit.filter.{name}"), id=f"filter-{name}",
                                    max_length=40)
                yield Static("", id="audit-verdict")
                yield self._table("audit-table", (("seq", 7), ("at", 16), ("actor", 8),
                                                  ("action", 28), ("customer", 10),
                                                  ("target", 18), ("terminal", 16)))
                yield Static("", id="audit-status", classes="audit-status")
                yield Static("", id="audit-detail")
            with TabPane(t("audit.tab.access"), id="tab-access"):
                with Horizontal(id="access-controls"):
                    yield Label(t("audit.month"))
                    yield Input(self._this_month(), id="access-month", max_length=7)
                    yield Static("", id="access-signed")
                yield self._table("access-table", (("seq", 7), ("at", 16), ("actor", 8),
                                                   ("terminal", 12), ("action", 18),
                                                   ("customer", 10), ("detail", 30)))
                yield Static("", id="access-status", classes="audit-status")
        yield Footer(show_command_palette=False)

    def _table(self, table_id: str, columns) -> DataTable:
        table = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
        for key, width in columns:
            label = t("audit.detail") if key == "detail" else t(f"audit.col.{key}")
            table.add_column(label, key=key, width=width)
        return table

    def _this_month(self) -> str:
        today = self.staff_app.today()
        return f"{today.year:04d}-{today.month:02d}"

    def on_mount(self) -> None:
        if not self.may_review:
            self.query_one("#audit-tabs", TabbedContent).hide_tab("tab-access")
        if not self.may_read:
            self.query_one("#audit-status", Static).update(Text(t("audit.not_allowed"),
                                                                style="bold red"))
        # Under load the loading indicator can show before the focus request below is
        # handled; the screen's first focusable (the tabs) then gets the focus. The table takes
        # it again once the first events are in (done_events).
        self._focus_table = True
        self.load_events()
        self.query_one("#audit-table", DataTable).focus()

    # ------------------------------------------------------------------ events

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
        self.run_service("audit_trail.list_events", token="events",
                         loading=self.query_one("#audit-table"), before_seq=before_seq,
                         limit=PAGE, **self.filters)

    def done_events(self, page) -> None:
        self.events = list(page.items)
        self.has_more = page.has_more
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for e in self.events:
            table.add_row(*fmt.cells(str(e.seq), fmt.when(e.at), e.actor, e.action,
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
        self.refresh_bindings()

    def failed_events(self, error: BaseException) -> bool:
        if getattr(error, "code", None) == "FORBIDDEN":
            self.query_one("#audit-status", Static).update(Text(t("audit.not_allowed"),
                                                                style="bold red"))
        return False

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
        line.append(fmt.safe(f"{fmt.when(e.at)} · {e.actor} · {e.terminal} · {e.category} · "))
        line.append(fmt.safe(_compact(e.detail) or "-"), style="dim")
        box.update(line)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "audit-table":
            self._show_detail()
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "access-month":
            self.load_access()
            return
        filters = self._read_filters()
        if filters is None:
            return
        self.filters = filters
        self.pages = [None]
        self._focus_table = True  # once loaded: a loading table takes no focus
        self.load_events()

    def action_page(self, step: int) -> None:
        if self._active_tab() != "tab-events":
            return
        if step > 0 and self.has_more and self.events:
            self.pages.append(self.events[-1].seq)
            self.load_events(self.pages[-1])
        elif step < 0 and len(self.pages) > 1:
            self.pages.pop()
            self.load_events(self.pages[-1])

    # ------------------------------------------------------------------ verify

    def action_verify(self) -> None:
        if not self.may_read:
            return
        verdict = self.query_one("#audit-verdict", Static)
        verdict.set_classes("-shown")
        verdict.update(t("audit.verify_running"))
        self.run_service(_verify(self._anchor_file()), token="verify", loading=verdict)

    def done_verify(self, result) -> None:
        self.verdict = result
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

    def failed_verify(self, _error: BaseException) -> bool:
        box = self.query_one("#audit-verdict", Static)
        box.set_classes("")
        box.update("")
        return False

    # ------------------------------------------------------------------ access-log review

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-access" and self.access_month is None:
            self.load_access()
        self.refresh_bindings()

    def load_access(self) -> None:
        if not self.may_review:
            return
        box = self.query_one("#access-month", Input)
        month = box.value.strip()
        if not MONTH.match(month):
            self.notify(t("audit.bad_month"), severity="warning")
            box.focus()
            return
        scope_all = self.session.role.value == "auditor"
        self.run_service(_access(month, scope_all), token="access",
                         loading=self.query_one("#access-table"))

    def done_access(self, result) -> None:
        month, page, signoffs = result
        self.access_month = month
        self.access = list(page.items)
        self.access_more = page.has_more
        self.signoffs = signoffs
        table = self.query_one("#access-table", DataTable)
        table.clear()
        for e in self.access:
            table.add_row(*fmt.cells(str(e.seq), fmt.when(e.at), e.actor, e.terminal,
                                     t(f"action.{e.action}", e.action), e.customer_no or "-",
                                     _summary(e.detail)), key=str(e.seq))
        actor = self.session.actor
        scope = (t("audit.access_scope.all") if actor.role.value == "auditor"
                 else t("audit.access_scope.branch", branch=actor.branch_code))
        status = self.query_one("#access-status", Static)
        if self.access:
            more = t("audit.access_more", limit=ACCESS_LIMIT) if self.access_more else ""
            status.update(t("audit.access_status", month=month, count=len(self.access),
                            more=more, scope=scope))
        else:
            status.update(t("audit.access_none", month=month))
        self._show_signoff()
        self.query_one("#access-table", DataTable).focus()
        self.refresh_bindings()
        if self._events_stale:
            self._events_stale = False
            self.load_events(self.pages[-1])

    def _show_signoff(self) -> None:
        box = self.query_one("#access-signed", Static)
        if not self.signoffs:
            box.update(Text(t("audit.not_signed", month=self.access_month), style="yellow"))
            return
        latest = self.signoffs[0]
        note = latest.detail.get("note") or ""
        box.update(fmt.plain(t("audit.signed", when=fmt.when(latest.at), actor=latest.actor,
                               scope=latest.detail.get("scope", "-"),
                               note=f" · {note}" if note else ""), style="green"))

    def action_sign_off(self) -> None:
        if not self.may_review or self.access_month is None:
            return
        month = self.access_month
        count = len(self.access)

        def noted(note: str | None) -> None:
            if note is None:
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.run_service(_sign_off(month, note or None, self._anchor_file()),
                                     token="sign_off", loading=self.query_one("#access-table"))

            self.app.push_screen(ConfirmModal(t("audit.sign_confirm", month=month, count=count),
                                              title=t("audit.sign_confirm_title")), confirmed)

        self.app.push_screen(NoteModal(t("audit.sign_title", month=month),
                                       t("audit.sign_prompt"), required=False), noted)

    def _anchor_file(self) -> Path | None:
        return resolve("anchors.default_anchor_path")(self.staff_app.settings)

    def done_sign_off(self, result) -> None:
        event, problem = result
        self.notify(t("audit.signed_done", month=event.detail.get("month"), seq=event.seq))
        if problem is not None:
            self.notify(t("audit.anchor_failed", error=problem.message), severity="warning",
                        timeout=15)
        self._events_stale = True  # reloaded after the access log, one call at a time
        self.load_access()

    # ------------------------------------------------------------------ export

    def action_export(self) -> None:
        home = self.staff_app.settings.home
        if self._active_tab() == "tab-access":
            if not self.access or self.access_month is None:
                self.notify(t("audit.export_empty"), severity="warning")
                return
            newest = max(e.seq for e in self.access)
            self.run_service(_export_access(self.access_month, newest, home),
                             token="export", loading=self.query_one("#access-table"))
            return
        if not self.events:
            self.notify(t("audit.export_empty"), severity="warning")
            return
        newest = max(e.seq for e in self.events)
        self.run_service(_export_events(dict(self.filters), newest, home),
                         token="export", loading=self.query_one("#audit-table"))

    def done_export(self, result) -> None:
        path, count = result
        self.notify(t("audit.exported", count=count, path=str(path)), title=t("export.title"),
                    timeout=12)

    def failed_export(self, error: BaseException) -> bool:
        if isinstance(error, OSError):
            self.notify(t("export.failed", error=error.strerror or type(error).__name__),
                        severity="error", timeout=12)
            return True
        return False

    # ------------------------------------------------------------------ keys and gating

    def _active_tab(self) -> str:
        try:
            return self.query_one("#audit-tabs", TabbedContent).active or "tab-events"
        except Exception:  # noqa: BLE001 - before compose
            return "tab-events"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None:
            return False
        tab = self._active_tab()
        if action == "verify":
            return self.may_read and tab == "tab-events"
        if action == "sign_off":
            if not self.may_review or tab != "tab-access":
                return False
            return True if self.access_month is not None else None
        if action == "export":
            if not self.may_read:
                return False
            shown = self.access if tab == "tab-access" else self.events
            return True if shown else None
        if action == "page":
            if tab != "tab-events":
                return False
            step = int(parameters[0]) if parameters else 1
            ok = self.has_more if step > 0 else len(self.pages) > 1
            return True if ok else None
        if action == "switch_tab":
            return self.may_review
        return True

    def action_switch_tab(self) -> None:
        if not self.may_review:
            return
        tabs = self.query_one("#audit-tabs", TabbedContent)
        tabs.active = "tab-access" if tabs.active == "tab-events" else "tab-events"
        target = "#access-table" if tabs.active == "tab-access" else "#audit-table"
        self.query_one(target, DataTable).focus()

    def action_focus_filters(self) -> None:
        if self._active_tab() == "tab-access":
            self.query_one("#access-month", Input).focus()
        else:
            self.query_one("#filter-customer", Input).focus()

    def action_reload(self) -> None:
        if self._active_tab() == "tab-access":
            self.load_access()
        else:
            self.load_events(self.pages[-1])
