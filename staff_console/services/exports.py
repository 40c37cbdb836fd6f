"""CSV exports: the expiring-soon list, the audit trail and the monthly access log.

One writer for all of them (`_CsvFile`), for the app and the CLI alike:
- UTF-8 with a BOM and CRLF line ends (what Korean Excel opens correctly);
- every cell through domain.text.spreadsheet_safe: a cell that could start a formula (`=`,
  `+`, `-`, `@`, tab, CR) gets a leading `'`, control and bidi characters are escaped;
- `detail` as JSON, instants in Korea time with their offset (`2026-11-24T10:00:00+09:00`);
- every matching row, read in one transaction and streamed to the file (not one page);
- the file is new: created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. An existing path (a file,
  another user's file, a symlink planted to redirect the export) is refused, never followed or
  overwritten.
The export is an access-log event recorded in the same transaction as the read, after the file
is written and synced: the event is committed only with a complete file, and a failed export
removes its file. (A retried transaction rewrites the file from its start.)
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from ..domain.authority import AUDIT_ROLES, READ_ROLES, REVIEW_ROLES, Actor, require_role
from ..domain.clock import SEOUL, Clock, seoul_date
from ..domain.errors import invalid
from ..domain.ids import mask_numbers
from ..domain.text import display_safe, spreadsheet_safe
from ..store import audit_query
from ..store.audit_query import EventFilter
from ..store.engine import Tx
from . import audit_trail, expiry
from .backend import Backend
from .common import current_staff, event, loads, record
from .views import ExportResult

EXPIRING_HEADER = ["customer_no", "customer_name", "branch_code", "channel", "device_model",
                   "last_valid_day", "days_left", "credential_id"]
EVENTS_HEADER = ["seq", "at", "actor", "terminal", "action", "category", "customer_no",
                 "target", "detail"]
_BATCH = 1000  # rows fetched at a time: memory stays flat on a long trail


def korea_time(instant: datetime | None) -> str:
    return "" if instant is None else instant.astimezone(SEOUL).isoformat(timespec="seconds")


class _CsvFile:
    """A new file for one export; `rewrite()` starts it over (a retried transaction)."""

    def __init__(self, path: Path | str, field: str) -> None:
        self.path = Path(path)
        self.field = field
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:
            raise invalid(field, "the file exists already; exports never overwrite a file "
                                 "(choose a new name)") from None
        except OSError as exc:
            raise invalid(field, f"cannot create the file: {exc.strerror or exc}") from None
        os.fchmod(fd, 0o600)  # whatever the umask: it holds customer data
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def rewrite(self, header: list[str]):
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write("\ufeff")
        writer = csv.writer(self.handle, lineterminator="\r\n")
        writer.writerow(header)
        return writer

    def finish(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self, *, keep: bool) -> None:
        self.handle.close()
        if not keep:
            self.path.unlink(missing_ok=True)


def _row(cells: Iterable[object]) -> list[str]:
    return [spreadsheet_safe(cell) for cell in cells]


def _export(backend: Backend, path, field: str, header: list[str], write_rows) -> ExportResult:
    """Create the file, run `write_rows(session, writer) -> count` in one transaction (it
    records the access event last), keep the file only if that committed."""
    out = _CsvFile(path, field)
    kept = False
    try:
        def work(s: Tx) -> int:
            writer = out.rewrite(header)
            count = write_rows(s, writer)
            out.finish()
            return count

        count = backend.store.run(work)
        kept = True
    finally:
        out.close(keep=kept)
    return ExportResult(path=str(out.path), rows=count)


def _file_detail(path) -> str:
    """The file's name as the trail keeps it (typed by a person: escaped, numbers masked)."""
    return mask_numbers(display_safe(Path(path).name))[:200]


def export_expiring(
    backend: Backend, actor: Actor, path, *, within_days: int, clock: Clock,
    branch_code: str | None = None,
) -> ExportResult:
    """Every current credential reaching its last valid day within `within_days` days."""
    now = clock.now()
    today = seoul_date(now)
    until, branch = expiry.expiring_scope(actor, within_days, today, branch_code)

    def write_rows(s: Tx, writer) -> int:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "export customer data")
        count, customers = 0, set()
        query = expiry.expiring_query(today, until, branch).execution_options(yield_per=_BATCH)
        for row in s.execute(query):
            i = expiry.expiring_item(row, today)
            writer.writerow(_row([i.customer_no, i.customer_name, i.branch_code, i.channel,
                                  i.device_model or "", i.valid_until.isoformat(), i.days_left,
                                  i.credential_id]))
            count += 1
            customers.add(i.customer_no)
        record(s, backend.store, now, event(
            actor, "credential.expiring_export", category="access",
            detail={"within_days": within_days, "branch": branch, "count": count,
                    "format": "csv", "file": _file_detail(path),
                    "customers": sorted(customers)[:200], "customer_count": len(customers)}))
        return count

    return _export(backend, path, "csv", EXPIRING_HEADER, write_rows)


def _write_events(s: Tx, writer, where: EventFilter) -> tuple[int, set[str]]:
    count, customers = 0, set()
    for e in audit_query.stream_newest(s, where, _BATCH):
        detail = json.dumps(loads(e.detail), ensure_ascii=False, sort_keys=True) if e.detail \
            else ""
        writer.writerow(_row([e.seq, korea_time(e.at), e.actor, e.terminal, e.action,
                              e.category, e.customer_no or "", e.target or "", detail]))
        count += 1
        if e.customer_no:
            customers.add(e.customer_no)
    return count, customers


def export_events(
    backend: Backend, actor: Actor, path, *, clock: Clock, customer_no: str | None = None,
    staff_no: str | None = None, action: str | None = None, category: str | None = None,
    date_from: date | None = None, date_to: date | None = None, through_seq: int | None = None,
) -> ExportResult:
    """Every event matching the filters, newest first. `through_seq`: none newer than this
    (the app exports what its list showed, and every older page)."""
    if through_seq is not None and through_seq < 1:
        raise invalid("through", "must be 1 or more")
    now = clock.now()
    where = audit_trail.events_filter(
        customer_no=customer_no, staff_no=staff_no, action=action, category=category,
        date_from=date_from, date_to=date_to,
        before_seq=through_seq + 1 if through_seq is not None else None)

    def write_rows(s: Tx, writer) -> int:
        current_staff(s, actor)
        require_role(actor, AUDIT_ROLES, "read the audit trail")
        count, customers = _write_events(s, writer, where)
        record(s, backend.store, now, event(
            actor, "audit.export", category="access",
            detail={"count": count, "format": "csv", "file": _file_detail(path),
                    "customers": sorted(customers)[:200], "customer_count": len(customers)}))
        return count

    backend.store.flush_audit()  # every event committed so far, chained
    return _export(backend, path, "csv", EVENTS_HEADER, write_rows)


def export_access_log(
    backend: Backend, actor: Actor, month: str, path, *, clock: Clock,
    through_seq: int | None = None,
) -> ExportResult:
    """Every access-log event of the month the actor reviews, newest first."""
    if through_seq is not None and through_seq < 1:
        raise invalid("through", "must be 1 or more")
    now = clock.now()
    where = audit_trail.access_filter(
        actor, month, through_seq + 1 if through_seq is not None else None)

    def write_rows(s: Tx, writer) -> int:
        current_staff(s, actor)
        require_role(actor, REVIEW_ROLES, "review the access log")
        count, customers = _write_events(s, writer, where)
        record(s, backend.store, now, event(
            actor, "access_log.export", category="access",
            detail={"month": month, "count": count, "format": "csv",
                    "file": _file_detail(path), "customer_count": len(customers)}))
        return count

    backend.store.flush_audit()
    return _export(backend, path, "csv", EVENTS_HEADER, write_rows)
