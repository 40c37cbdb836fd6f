"""`audit ...`: the hash-chained trail, the access log and its monthly sign-off.

Every command calls the facade (`env().console(...)`); the anchor file is this terminal's own
(services.anchors: file handling, no store). Rich's tables are imported inside the commands.
"""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..domain.bounds import MAX_INT64
from ..domain.errors import invalid
from ..i18n import t
from ._output import (
    console,
    emit_json,
    instant,
    jsonable,
    label,
    refusal_text,
    report_export,
    text,
)
from ._runtime import AsOpt, CsvOpt, JsonOpt, env, handled, parse_day
from ._usage import ConsoleTyper

if TYPE_CHECKING:
    from ..services.views import AuditEventView, AuditPage

audit_app = ConsoleTyper(no_args_is_help=True, help="cli.help.audit")

MonthOpt = Annotated[str, typer.Option("--month", metavar="YYYY-MM", help="cli.help.audit.month")]
LimitOpt = Annotated[int, typer.Option("--limit", metavar="N", help="cli.help.audit.limit")]
BeforeOpt = Annotated[int | None, typer.Option("--before", metavar="SEQ", min=1, max=MAX_INT64,
                                               help="cli.help.audit.before")]

# Exit code when the chain is not intact (a rule of the trail is broken: category 3).
TAMPERED_EXIT = 3
# audit_trail.MAX_AUDIT_PAGE, spelled out so that a client loads no services (a test keeps the
# two equal): refused before any password is asked for.
AUDIT_PAGE_MAX = 500
AnchorsOpt = Annotated[Path | None, typer.Option("--anchors", metavar="FILE",
                                                help="cli.help.audit.anchors")]
OutOpt = Annotated[Path | None, typer.Option("--out", metavar="FILE", help="cli.help.audit.out")]


def anchor_path(e) -> Path | None:
    """Where anchors are kept by default: the `audit_anchor_path` setting (meant for separate
    storage: a write-once share, a file shipped to syslog, a printed report)."""
    from ..services.anchors import default_anchor_path

    return default_anchor_path(e.settings())


@audit_app.command("verify", help="cli.help.audit.verify")
@handled
def audit_verify(
    anchors: AnchorsOpt = None,
    as_: Annotated[str | None, typer.Option("--as", metavar="EMPLOYEE_NO",
                                            help="cli.help.audit.verify.as")] = None,
    as_json: JsonOpt = False,
) -> None:
    e = env()
    path = anchors
    if path is None:
        default = anchor_path(e)
        path = default if default is not None and default.exists() else None
    from ..services.anchors import read_anchor_file

    lines = read_anchor_file(path) if path is not None else []
    result = e.console(as_ or None).verify_audit(anchors=lines)
    if as_json:
        emit_json({
            "verdict": "intact" if result.ok else "tampered", "events": result.count,
            "first_bad": result.first_bad_seq, "anchors_checked": result.anchors_checked,
            "problem": result.problem,
            "missing": list(result.missing) if result.missing else None,
            "bad_anchors": [{"line": n, "fault": f} for n, f in result.bad_anchors],
            "unanchored_after": result.unanchored_after,
            "anchor_file": str(path) if path is not None else None,
        })
    else:
        _print_verdict(result, path)
    if not result.ok:
        where = f"event {result.first_bad_seq}" if result.first_bad_seq else "anchor file"
        detail, values = (("errors.detail.tampered_at", {"problem": result.problem,
                                                         "seq": result.first_bad_seq})
                          if result.first_bad_seq else
                          ("errors.detail.tampered_anchor", {"problem": result.problem}))
        words = refusal_text("AUDIT_TAMPERED", f"{result.problem}: {where}", None, detail, values)
        typer.echo(f"error: AUDIT_TAMPERED: {words}", err=True)
        raise typer.Exit(TAMPERED_EXIT)


def _print_verdict(result, path: Path | None) -> None:
    out = console()
    if result.ok:
        out.print(t("cli.audit.intact", events=result.count, anchors=result.anchors_checked))
    else:
        out.print(t("cli.audit.tampered_at", problem=result.problem, seq=result.first_bad_seq,
                    events=result.count) if result.first_bad_seq
                  else t("cli.audit.tampered", problem=result.problem, events=result.count))
        if result.missing:
            first, last = result.missing
            out.print(t("cli.audit.missing", first=first, last=last))
    for number, fault in result.bad_anchors:
        out.print(t("cli.audit.bad_anchor", path=path, line=number, fault=fault))
    # What the check cannot see (docs/decisions.md): say it every time.
    if result.unanchored_after:
        out.print(t("cli.audit.anchored_through", seq=result.unanchored_after))
    else:
        out.print(t("cli.audit.no_anchors"))


@audit_app.command("anchor", help="cli.help.audit.anchor")
@handled
def audit_anchor(as_: AsOpt, out: OutOpt = None, as_json: JsonOpt = False) -> None:
    from ..services.anchors import append_anchor

    e = env()
    path = out or anchor_path(e)
    if path is None:
        raise invalid("out", "no anchor file: give --out FILE or set "
                             "STAFF_CONSOLE_AUDIT_ANCHOR_PATH (audit_anchor_path)")
    view = e.console(as_).anchor_audit()
    append_anchor(path, view.line)
    if as_json:
        emit_json({**jsonable(view), "file": str(path)})
    else:
        console().print(t("cli.audit.anchor_written", seq=view.seq, hash=view.hash[:16],
                          path=path))


def _print_page(page: "AuditPage", title: str) -> None:
    from rich.table import Table

    table = Table(t("cli.col.seq"), t("cli.col.at"), t("cli.col.actor"), t("cli.col.terminal"),
                  t("cli.col.action"), t("cli.col.category"), t("cli.col.customer"),
                  t("cli.col.target"), t("cli.col.detail"), title=title)
    for ev in page.items:
        table.add_row(str(ev.seq), instant(ev.at), ev.actor, ev.terminal,
                      label("action", ev.action), label("audit.category", ev.category),
                      text(ev.customer_no), text(ev.target), _detail(ev))
    out = console()
    out.print(table)
    if not page.items:
        out.print(t("cli.none"))
    elif page.has_more:
        out.print(t("cli.more_before", seq=page.items[-1].seq))


def _detail(ev: "AuditEventView") -> str:
    return json.dumps(ev.detail, ensure_ascii=False, sort_keys=True) if ev.detail else "-"


@audit_app.command("list", help="cli.help.audit.list")
@handled
def audit_list(
    as_: AsOpt,
    customer: Annotated[str | None, typer.Option("--customer", metavar="C")] = None,
    staff: Annotated[str | None, typer.Option("--staff", metavar="E",
                                              help="cli.help.audit.list.staff")] = None,
    action: Annotated[str | None, typer.Option("--action", metavar="A",
                                               help="cli.help.audit.list.action")] = None,
    category: Annotated[str | None, typer.Option("--category",
                                                 help="cli.help.audit.list.category")] = None,
    date_from: Annotated[str | None, typer.Option("--from", metavar="DATE",
                                                  help="cli.help.audit.list.from")] = None,
    date_to: Annotated[str | None, typer.Option("--to", metavar="DATE",
                                                help="cli.help.audit.list.to")] = None,
    limit: LimitOpt = 100,
    before: BeforeOpt = None,
    csv_path: CsvOpt = None,
    as_json: JsonOpt = False,
) -> None:
    start = parse_day(date_from, "from")
    end = parse_day(date_to, "to")
    con = env().console(as_)
    if csv_path is not None:
        report_export(con.export_events(
            csv_path, customer_no=customer, staff_no=staff, action=action, category=category,
            date_from=start, date_to=end, through_seq=before - 1 if before else None), as_json)
        return
    page = con.list_events(customer_no=customer, staff_no=staff, action=action,
                           category=category, date_from=start, date_to=end, before_seq=before,
                           limit=limit)
    if as_json:
        emit_json(jsonable(page))
    else:
        _print_page(page, t("cli.audit.trail_title"))


@audit_app.command("access-log", help="cli.help.audit.access_log")
@handled
def audit_access_log(
    month: MonthOpt,
    as_: AsOpt,
    limit: LimitOpt = 500,
    before: BeforeOpt = None,
    csv_path: CsvOpt = None,
    as_json: JsonOpt = False,
) -> None:
    if not 1 <= limit <= AUDIT_PAGE_MAX:
        raise invalid("limit", f"must be between 1 and {AUDIT_PAGE_MAX}")
    con = env().console(as_)
    if csv_path is not None:
        report_export(con.export_access_log(
            month, csv_path, through_seq=before - 1 if before else None), as_json)
        return
    page = con.access_log(month, limit=limit, before_seq=before)
    if as_json:
        emit_json({"month": month, **jsonable(page)})
    else:
        _print_page(page, t("cli.audit.access_log_title", month=month))


@audit_app.command("sign-off", help="cli.help.audit.sign_off")
@handled
def audit_sign_off(
    month: MonthOpt,
    as_: AsOpt,
    note: Annotated[str | None, typer.Option("--note", metavar="T")] = None,
    anchor_out: Annotated[Path | None, typer.Option(
        "--anchor-out", metavar="FILE", help="cli.help.audit.sign_off.anchor_out")] = None,
    as_json: JsonOpt = False,
) -> None:
    e = env()
    con = e.console(as_)
    view = con.sign_off_access_review(month, note=note)
    # The head signed is an anchor: kept beside the others when there is an anchor file.
    path = anchor_out or anchor_path(e)
    if path is not None:
        from ..services.anchors import append_anchor

        append_anchor(path, con.signoff_anchor(view).line)
    if as_json:
        emit_json({**jsonable(view), "anchor_file": str(path) if path is not None else None})
    else:
        signed = {"month": month, "seq": view.seq, "at": instant(view.at),
                  "head": view.detail["head_seq"]}
        console().print(t("cli.audit.signed_off_file", path=path, **signed) if path is not None
                        else t("cli.audit.signed_off", **signed))
