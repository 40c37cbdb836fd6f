"""`audit ...`: the hash-chained trail, the access log and its monthly sign-off."""

import json
from typing import Annotated

import typer
from rich.table import Table

from ..domain.errors import invalid
from ..services import audit_trail
from ..services.views import AuditEventView, AuditPage
from ._runtime import (
    AsOpt,
    CsvOpt,
    JsonOpt,
    console,
    emit_json,
    env,
    handled,
    instant,
    jsonable,
    parse_day,
    report_export,
    text,
)

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail and the access log.")

MonthOpt = Annotated[str, typer.Option("--month", metavar="YYYY-MM", help="Month, Korea time.")]
LimitOpt = Annotated[int, typer.Option("--limit", metavar="N", help="At most N events (1-500).")]
BeforeOpt = Annotated[int | None, typer.Option("--before", metavar="SEQ",
                                               help="Page on: events before this number.")]

# Exit code when the chain is broken: something that must never happen has happened.
TAMPERED_EXIT = 1


@audit_app.command("verify")
@handled
def audit_verify(as_json: JsonOpt = False) -> None:
    """Recompute the hash chain (system job): the verdict, the event count, the first bad event."""
    e = env()
    result = audit_trail.verify_audit(e.backend(), clock=e.clock())
    if as_json:
        emit_json(jsonable(result))
    elif result.ok:
        console().print(f"감사기록 정상 (audit trail intact): {result.count} events")
    else:
        console().print(f"감사기록 변조 감지 (audit trail TAMPERED): first bad event "
                        f"{result.first_bad_seq} ({result.problem}); {result.count} events "
                        "verified before it")
    if not result.ok:
        typer.echo(f"error: AUDIT_TAMPERED: event {result.first_bad_seq}: {result.problem}",
                   err=True)
        raise typer.Exit(TAMPERED_EXIT)


def _print_page(page: AuditPage, title: str) -> None:
    table = Table("#", "시각 At", "직원 Actor", "단말 Terminal", "행위 Action", "구분 Category",
                  "고객 Customer", "대상 Target", "내용 Detail", title=title)
    for ev in page.items:
        table.add_row(str(ev.seq), instant(ev.at), ev.actor, ev.terminal, ev.action, ev.category,
                      text(ev.customer_no), text(ev.target), _detail(ev))
    out = console()
    out.print(table)
    if not page.items:
        out.print("없음 (none)")
    elif page.has_more:
        out.print(f"더 있음 (more): --before {page.items[-1].seq}")


def _detail(ev: AuditEventView) -> str:
    return json.dumps(ev.detail, ensure_ascii=False, sort_keys=True) if ev.detail else "-"


@audit_app.command("list")
@handled
def audit_list(
    as_: AsOpt,
    customer: Annotated[str | None, typer.Option("--customer", metavar="C")] = None,
    staff: Annotated[str | None, typer.Option("--staff", metavar="E", help="Acting employee no.")] = None,
    action: Annotated[str | None, typer.Option("--action", metavar="A",
                                               help="Action or its prefix, e.g. request.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="event | access")] = None,
    date_from: Annotated[str | None, typer.Option("--from", metavar="DATE",
                                                  help="From this Korea-time date (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", metavar="DATE",
                                                help="Through this Korea-time date (YYYY-MM-DD).")] = None,
    limit: LimitOpt = 100,
    before: BeforeOpt = None,
    csv_path: CsvOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit events, newest first."""
    start = parse_day(date_from, "from")
    end = parse_day(date_to, "to")
    e = env()
    actor = e.actor(as_)
    if csv_path is not None:
        from ..services import exports

        report_export(exports.export_events(
            e.backend(), actor, csv_path, clock=e.clock(), customer_no=customer, staff_no=staff,
            action=action, category=category, date_from=start, date_to=end,
            through_seq=before - 1 if before else None), as_json)
        return
    page = audit_trail.list_events(
        e.backend(), actor, clock=e.clock(), customer_no=customer, staff_no=staff, action=action,
        category=category, date_from=start, date_to=end, before_seq=before, limit=limit)
    if as_json:
        emit_json(jsonable(page))
    else:
        _print_page(page, "감사기록 (audit trail)")


@audit_app.command("access-log")
@handled
def audit_access_log(
    month: MonthOpt,
    as_: AsOpt,
    limit: LimitOpt = 500,
    before: BeforeOpt = None,
    csv_path: CsvOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The month's 개인정보 접속기록 for review (manager: the branch's staff; auditor: all)."""
    if not 1 <= limit <= audit_trail.MAX_AUDIT_PAGE:
        raise invalid("limit", f"must be between 1 and {audit_trail.MAX_AUDIT_PAGE}")
    e = env()
    actor = e.actor(as_)
    if csv_path is not None:
        from ..services import exports

        report_export(exports.export_access_log(
            e.backend(), actor, month, csv_path, clock=e.clock(),
            through_seq=before - 1 if before else None), as_json)
        return
    page = audit_trail.access_log(e.backend(), actor, month, clock=e.clock(), limit=limit,
                                  before_seq=before)
    if as_json:
        emit_json({"month": month, **jsonable(page)})
    else:
        _print_page(page, f"접속기록 (access log) {month}")


@audit_app.command("sign-off")
@handled
def audit_sign_off(
    month: MonthOpt,
    as_: AsOpt,
    note: Annotated[str | None, typer.Option("--note", metavar="T")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign off the month's access-log review (recorded as an audit event)."""
    e = env()
    actor = e.actor(as_)
    view = audit_trail.sign_off_access_review(e.backend(), actor, month, note=note, clock=e.clock())
    if as_json:
        emit_json(jsonable(view))
    else:
        console().print(f"검토 확인됨 (review signed off): {month} · event #{view.seq} · "
                        f"{instant(view.at)}")
