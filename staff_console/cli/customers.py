"""`customer ...`, `matrix`, `expire`, `expiring`: customer data and credentials.

Every command calls the facade (`env().console(...)`, embedded or a console server's client);
Rich's tables are imported inside the commands: a command loads what it uses.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..domain.bounds import MAX_INT64, offset_within
from ..domain.errors import invalid
from ..i18n import t
from ._output import (
    cli_language,
    console,
    day,
    emit_json,
    instant,
    jsonable,
    label,
    report_export,
    text,
    yes_no,
)
from ._runtime import AsOpt, CsvOpt, JsonOpt, env, handled
from ._usage import ConsoleTyper

if TYPE_CHECKING:
    from ..services.views import CredentialView, CustomerDetail

customer_app = ConsoleTyper(no_args_is_help=True, help="cli.help.customer")

# services.customer_search.MAX_PAGE, spelled out so that a client loads no services (the same test):
# the limit is refused here before it is multiplied into an offset, and before any password.
SEARCH_PAGE_MAX = 50


@customer_app.command("import", help="cli.help.customer.import")
@handled
def customer_import(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv",
                                         help="cli.help.customer.import.file")],
    as_: AsOpt,
    encoding: Annotated[str, typer.Option(
        "--encoding", metavar="ENC", help="cli.help.customer.import.encoding")] = "utf-8",
    as_json: JsonOpt = False,
) -> None:
    try:
        file.open("rb").close()  # before asking for a password
    except OSError as exc:
        raise invalid("file", f"cannot read {file}: {exc.strerror or exc}") from None
    result = env().console(as_).import_customers(file, encoding=encoding)
    if as_json:
        emit_json(jsonable(result))
    else:
        console().print(t("cli.customer.imported", count=result.imported))


@customer_app.command("search", help="cli.help.customer.search")
@handled
def customer_search(
    query: Annotated[str, typer.Argument(help="cli.help.customer.search.query")],
    as_: AsOpt,
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1,
                                       help="cli.help.customer.search.limit")] = 20,
    page: Annotated[int, typer.Option("--page", metavar="P", min=1, max=MAX_INT64,
                                      help="cli.help.customer.search.page")] = 1,
    as_json: JsonOpt = False,
) -> None:
    from rich.table import Table

    if not 1 <= limit <= SEARCH_PAGE_MAX:
        raise invalid("limit", f"must be between 1 and {SEARCH_PAGE_MAX}")
    offset = offset_within((page - 1) * limit, limit, "page")
    result = env().console(as_).search_customers(query, limit=limit, offset=offset)
    if as_json:
        doc = jsonable(result)
        from ..domain.ids import mask_numbers

        doc["query"] = mask_numbers(result.query)  # as the trail keeps it: numbers masked
        doc["page"] = page
        emit_json(doc)
        return
    out = console()
    table = Table(t("cli.col.customer"), t("cli.col.name"), t("cli.col.id_number"),
                  t("cli.col.customer_type"), t("cli.col.nationality"), t("cli.col.phone"),
                  t("cli.col.branch"), t("cli.col.online"),
                  title=t("cli.customer.search_title",
                          kinds=", ".join(label("search.kind", k) for k in result.kinds),
                          page=page))
    for c in result.items:
        table.add_row(c.customer_no, c.name, c.id_masked, label("customer_type", c.customer_type),
                      label("nationality", c.nationality),
                      c.phone_masked, c.branch_code, yes_no(c.online_trading))
    out.print(table)
    if not result.items:
        out.print(t("cli.customer.none_found"))
    elif result.has_more:
        out.print(t("cli.more_page", page=page + 1))


def _methods(methods) -> str:
    return ",".join(label("method", m) for m in methods)


def _credential_lines(heading: str, cred: "CredentialView | None") -> list[str]:
    if cred is None:
        return [t("cli.customer.not_registered", label=heading)]
    return [
        t("cli.customer.credential", label=heading, id=cred.id, status=label("status", cred.status),
          device=f"{cred.device_id} {text(cred.device_model)}"),
        t("cli.customer.credential_methods", methods=_methods(cred.methods),
          activated=instant(cred.activated_at)),
        t("cli.customer.credential_validity", valid_until=day(cred.valid_until),
          days_left=text(cred.days_left), last_used=instant(cred.last_used_at)),
    ]


def print_detail(d: "CustomerDetail") -> None:
    from rich.table import Table

    out = console()
    out.print(f"{d.customer_no} {d.name}")
    out.print(t("cli.customer.identity", id_number=d.id_masked,
                customer_type=label("customer_type", d.customer_type),
                nationality=label("nationality", d.nationality)))
    out.print(t("cli.customer.branch_phone", branch=d.branch_code, branch_name=d.branch_name,
                phone=d.phone_masked))
    out.print(t("cli.customer.online_accounts", online=yes_no(d.online_trading),
                accounts=", ".join(d.accounts) or "-"))
    for line in (_credential_lines("  MTS", d.mts)
                 + _credential_lines(t("cli.customer.web"), d.web)):
        out.print(line)
    if d.pending:
        table = Table(t("cli.col.request"), t("cli.col.kind"), t("cli.col.channel"),
                      t("cli.col.maker"), t("cli.col.created"), t("cli.col.expires"),
                      title=t("cli.customer.pending_title"))
        for r in d.pending:
            table.add_row(str(r.id), label("kind", r.kind), label("channel", r.channel),
                          text(r.maker), instant(r.created_at),
                          instant(r.expires_at))
        out.print(table)
    if d.history:
        table = Table(t("cli.col.id"), t("cli.col.channel"), t("cli.col.status"),
                      t("cli.col.device"), t("cli.col.activated"), t("cli.col.valid_until"),
                      t("cli.col.ended"), t("cli.col.reason"),
                      title=t("cli.customer.history_title"))
        for c in d.history:
            table.add_row(str(c.id), label("channel", c.channel), label("status", c.status),
                          c.device_id, instant(c.activated_at),
                          day(c.valid_until), instant(c.ended_at), text(c.end_reason))
        out.print(table)


@customer_app.command("show", help="cli.help.customer.show")
@handled
def customer_show(
    customer_no: Annotated[str, typer.Argument(metavar="CUSTOMER_NO")],
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    detail = env().console(as_).show_customer(customer_no)
    if as_json:
        emit_json(jsonable(detail))
    else:
        print_detail(detail)


@handled
def matrix(
    customer: Annotated[str | None, typer.Option("--customer", metavar="C",
                                                 help="cli.help.matrix.customer")] = None,
    as_: Annotated[str | None, typer.Option("--as", metavar="EMPLOYEE_NO",
                                            help="cli.help.matrix.as")] = None,
    as_json: JsonOpt = False,
) -> None:
    from rich.table import Table

    if customer is not None and not as_:
        raise invalid("as", "is required with --customer (reading a customer is logged)")
    answers = env().console(as_ or None).service_matrix(customer)
    if as_json:
        emit_json({"customer_no": customer.strip().upper() if customer else None,
                   "items": [jsonable(a) for a in answers]})
        return
    columns = [t("cli.col.group"), t("cli.col.service"), t("cli.col.online_needed"),
               t("cli.col.verification")]
    if customer is not None:
        columns += [t("cli.col.available"), t("cli.col.reason")]
    title = (t("cli.matrix.title_customer", customer=customer) if customer
             else t("cli.matrix.title"))
    table = Table(*columns, title=title)
    korean = cli_language() == "ko"
    for a in answers:
        row = [a.group if korean else a.group_en, a.name if korean else a.name_en,
               "Y" if a.online_trading else "N", label("matrix.verification", a.verification)]
        if customer is not None:
            row += ["O" if a.available else "X", text(a.reason_code)]
        table.add_row(*row)
    console().print(table)


@handled
def expire(
    as_: Annotated[str | None, typer.Option("--as", metavar="EMPLOYEE_NO",
                                            help="cli.help.expire.as")] = None,
    as_json: JsonOpt = False,
) -> None:
    result = env().console(as_ or None).expire_due()
    if as_json:
        emit_json(jsonable(result))
    else:
        console().print(t("cli.expired", credentials=result.credentials_expired,
                          requests=result.requests_expired))


@handled
def expiring(
    as_: AsOpt,
    within: Annotated[int | None, typer.Option("--within", metavar="DAYS",
                                               help="cli.help.expiring.within")] = None,
    branch: Annotated[str | None, typer.Option("--branch", metavar="CODE",
                                               help="cli.help.expiring.branch")] = None,
    csv_path: CsvOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from rich.table import Table

    con = env().console(as_)
    # The default window is the store's policy, not the terminal's settings.
    days = con.current_policy().expiring_within_days if within is None else within
    if csv_path is not None:
        report_export(con.export_expiring(csv_path, within_days=days, branch_code=branch),
                      as_json)
        return
    items = con.list_expiring(within_days=days, branch_code=branch)
    if as_json:
        emit_json({"within_days": days, "items": [jsonable(i) for i in items]})
        return
    table = Table(t("cli.col.credential"), t("cli.col.customer"), t("cli.col.name"),
                  t("cli.col.branch"), t("cli.col.channel"), t("cli.col.device"),
                  t("cli.col.valid_until"), t("cli.col.days_left"),
                  title=t("cli.expiring.title", days=days))
    for i in items:
        table.add_row(str(i.credential_id), i.customer_no, i.customer_name, i.branch_code,
                      label("channel", i.channel),
                      text(i.device_model), day(i.valid_until), str(i.days_left))
    out = console()
    out.print(table)
    if not items:
        out.print(t("cli.none"))
