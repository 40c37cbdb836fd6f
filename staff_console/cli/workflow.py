"""Channel intake, maker-checker requests and decisions, and 직무대행 delegations.

Requests and delegations go through the facade (`env().console(as_)`). `intake ...` plays a
channel back-end in embedded mode (the demo, training, one terminal) and calls the intake
service on the store directly, as a channel system would: on a terminal of a console server it
is refused (the channels send there through the server's channel API, with a channel key).
Rich's tables are imported inside the commands: a command loads what it uses.
"""

from typing import TYPE_CHECKING, Annotated

import typer

from ..domain.bounds import MAX_ROW_ID
from ..i18n import t
from ._output import console, day, emit_json, instant, jsonable, label, text, yes_no
from ._runtime import AsOpt, JsonOpt, env, handled, parse_when
from ._usage import ConsoleTyper

if TYPE_CHECKING:
    from ..api import Console as StaffConsole
    from ..services.views import DelegationView, RequestView

intake_app = ConsoleTyper(no_args_is_help=True, help="cli.help.intake")
request_app = ConsoleTyper(no_args_is_help=True, help="cli.help.request")
delegate_app = ConsoleTyper(no_args_is_help=True, help="cli.help.delegate")

NoteOpt = Annotated[str | None, typer.Option("--note", metavar="T", help="cli.help.opt.note")]
CustomerOpt = Annotated[str, typer.Option("--customer", metavar="C",
                                          help="cli.help.opt.customer_no")]
ChannelOpt = Annotated[str, typer.Option("--channel", help="cli.help.opt.channel")]
# A request or delegation id: bounded here as in the services (domain.bounds.row_id).
RequestIdArg = Annotated[int, typer.Argument(metavar="REQUEST_ID", min=1, max=MAX_ROW_ID)]
IdArg = Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ROW_ID)]


# ---------------------------------------------------------------- output

def request_doc(view: "RequestView") -> dict:
    return {"request_id": view.id, **jsonable(view)}


def print_request(view: "RequestView", headline: str | None = None) -> None:
    out = console()
    if headline:
        out.print(headline)
    out.print(t("cli.request.head", id=view.id, kind=label("kind", view.kind),
                status=label("request_status", view.status), branch=view.branch_code,
                origin=label("origin", view.origin)))
    out.print(t("cli.request.customer", customer=view.customer_no, name=view.customer_name,
                channel=label("channel", view.channel), credential=view.credential_id))
    if view.maker:
        out.print(t("cli.request.maker", maker=view.maker, name=text(view.maker_name)))
    if view.reason or view.note:
        out.print(t("cli.request.reason", reason=label("reason", view.reason),
                    note=text(view.note)))
    out.print(t("cli.request.times", created=instant(view.created_at),
                expires=instant(view.expires_at)))
    if view.decided_at:
        decided = {"at": instant(view.decided_at), "decider": text(view.decider),
                   "name": text(view.decider_name), "authority": label("authority", view.authority)}
        out.print(t("cli.request.decided_delegation", delegation=view.delegation_id, **decided)
                  if view.delegation_id else t("cli.request.decided", **decided))
        if view.decision_note:
            out.print(t("cli.request.decision_note", note=view.decision_note))
    for ev in view.evidence:
        shown = {"kind": label("evidence", ev.kind), "at": instant(ev.verified_at),
                 "detail": ev.detail}
        out.print(t("cli.request.evidence_passed", **shown) if ev.passed
                  else t("cli.request.evidence_failed", **shown))
    cred = view.credential
    if cred is not None:
        out.print(t("cli.request.credential", status=label("status", cred.status),
                    device=f"{cred.device_id} {text(cred.device_model)}",
                    methods=",".join(label("method", m) for m in cred.methods),
                    valid_until=day(cred.valid_until)))


def print_requests(views: "list[RequestView]", title: str) -> None:
    from rich.table import Table

    out = console()
    table = Table(t("cli.col.id"), t("cli.col.kind"), t("cli.col.status"), t("cli.col.customer"),
                  t("cli.col.name"), t("cli.col.channel"), t("cli.col.branch"),
                  t("cli.col.maker"), t("cli.col.created"), t("cli.col.expires"), title=title)
    for v in views:
        table.add_row(str(v.id), label("kind", v.kind), label("request_status", v.status),
                      v.customer_no, v.customer_name, label("channel", v.channel),
                      v.branch_code, text(v.maker), instant(v.created_at), instant(v.expires_at))
    out.print(table)
    if not views:
        out.print(t("cli.none"))


def _signed_in(con: "StaffConsole") -> str:
    return con.actor.employee_no if con.actor is not None else "-"


def _emit_request(view: "RequestView", as_json: bool, headline: str) -> None:
    if as_json:
        emit_json(request_doc(view))
    else:
        print_request(view, headline)


# ---------------------------------------------------------------- intake (system job)

@intake_app.command("register", help="cli.help.intake.register")
@handled
def intake_register(
    customer: CustomerOpt,
    channel: ChannelOpt,
    device_id: Annotated[str, typer.Option("--device-id", metavar="ID",
                                           help="cli.help.intake.register.device_id")],
    methods: Annotated[str, typer.Option("--methods", help="cli.help.intake.register.methods")],
    verified: Annotated[str, typer.Option("--verified",
                                          help="cli.help.intake.register.verified")],
    device_model: Annotated[str | None, typer.Option("--device-model", metavar="M")] = None,
    biometrics: Annotated[str, typer.Option("--biometrics",
                                            help="cli.help.intake.register.biometrics")] = "none",
    key_fingerprint: Annotated[str | None, typer.Option("--key-fingerprint", metavar="F")] = None,
    as_json: JsonOpt = False,
) -> None:
    e = env()
    e.refuse_on_client("intake register")
    from ..services import intake as intake_service

    result = intake_service.register_from_channel(
        e.backend(), customer_no=customer, channel=channel, device_id=device_id,
        device_model=device_model, biometrics=biometrics, methods=methods, verified=verified,
        key_fingerprint=key_fingerprint, clock=e.clock())
    if as_json:
        emit_json(jsonable(result))
    else:
        console().print(t("cli.intake.registered", request=result.request_id,
                          credential=result.credential_id,
                          status=label("request_status", result.status)))


@intake_app.command("login", help="cli.help.intake.login")
@handled
def intake_login(
    customer: CustomerOpt,
    channel: ChannelOpt,
    device_id: Annotated[str, typer.Option("--device-id", metavar="ID")],
    result: Annotated[str, typer.Option("--result", help="cli.help.intake.login.result")],
    as_json: JsonOpt = False,
) -> None:
    e = env()
    e.refuse_on_client("intake login")
    from ..services import intake as intake_service

    outcome = intake_service.record_login(
        e.backend(), customer_no=customer, channel=channel, device_id=device_id, result=result,
        clock=e.clock())
    if as_json:
        emit_json(jsonable(outcome))
    else:
        console().print(t("cli.intake.login", credential=outcome.credential_id,
                          result=outcome.result, status=label("status", outcome.status),
                          failures=outcome.failed_logins))


# ---------------------------------------------------------------- requests

@request_app.command("revoke", help="cli.help.request.revoke")
@handled
def request_revoke(
    customer: CustomerOpt,
    channel: ChannelOpt,
    reason: Annotated[str, typer.Option("--reason", help="cli.help.request.revoke.reason")],
    as_: AsOpt,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).request_revocation(customer_no=customer, channel=channel,
                                                 reason=reason, note=note)
    _emit_request(view, as_json, t("cli.request.revocation_requested"))


@request_app.command("show", help="cli.help.request.show")
@handled
def request_show(
    request_id: IdArg,
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).get_request(request_id)
    _emit_request(view, as_json, "")


@handled
def requests(
    as_: AsOpt,
    pending: Annotated[bool, typer.Option("--pending", help="cli.help.requests.pending")] = False,
    as_json: JsonOpt = False,
) -> None:
    con = env().console(as_)
    views = con.list_my_requests(pending_only=pending)
    if as_json:
        emit_json({"items": [request_doc(v) for v in views]})
    else:
        print_requests(views, t("cli.requests.mine_title", employee_no=_signed_in(con)))


@handled
def approvals(as_: AsOpt, as_json: JsonOpt = False) -> None:
    con = env().console(as_)
    views = con.list_approvals()
    if as_json:
        emit_json({"items": [request_doc(v) for v in views]})
    else:
        print_requests(views, t("cli.requests.approvals_title", employee_no=_signed_in(con)))


@handled
def approve(
    request_id: RequestIdArg,
    as_: AsOpt,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).approve_request(request_id, note=note)
    _emit_request(view, as_json, t("cli.request.approved"))


@handled
def reject(
    request_id: RequestIdArg,
    as_: AsOpt,
    note: Annotated[str | None, typer.Option("--note", metavar="T",
                                             help="cli.help.reject.note")] = None,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).reject_request(request_id, note=note or "")
    _emit_request(view, as_json, t("cli.request.rejected"))


@handled
def withdraw(
    request_id: RequestIdArg,
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).withdraw_request(request_id)
    _emit_request(view, as_json, t("cli.request.withdrawn"))


# ---------------------------------------------------------------- delegations

def _emit_delegations(views: "list[DelegationView]", as_json: bool, title: str) -> None:
    from rich.table import Table

    if as_json:
        emit_json({"items": [jsonable(v) for v in views]})
        return
    table = Table(t("cli.col.id"), t("cli.col.branch"), t("cli.col.grantor"),
                  t("cli.col.delegate"), t("cli.col.from"), t("cli.col.until"),
                  t("cli.col.ended_early"), t("cli.col.valid_now"), title=title)
    for v in views:
        table.add_row(str(v.id), v.branch_code, f"{v.grantor} {v.grantor_name}",
                      f"{v.delegate} {v.delegate_name}", instant(v.valid_from),
                      instant(v.valid_until), instant(v.ended_at), yes_no(v.active))
    out = console()
    out.print(table)
    if not views:
        out.print(t("cli.none"))


@delegate_app.command("grant", help="cli.help.delegate.grant")
@handled
def delegate_grant(
    to: Annotated[str, typer.Option("--to", metavar="EMP", help="cli.help.delegate.grant.to")],
    valid_from: Annotated[str, typer.Option("--from", metavar="ISO",
                                            help="cli.help.delegate.grant.from")],
    valid_until: Annotated[str, typer.Option("--until", metavar="ISO",
                                             help="cli.help.delegate.grant.until")],
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    start = parse_when(valid_from, "from")
    end = parse_when(valid_until, "until")
    view = env().console(as_).grant_delegation(delegate_employee_no=to, valid_from=start,
                                               valid_until=end)
    if as_json:
        emit_json(jsonable(view))
    else:
        _emit_delegations([view], False, t("cli.delegation.granted"))


@delegate_app.command("end", help="cli.help.delegate.end")
@handled
def delegate_end(
    delegation_id: IdArg,
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).end_delegation(delegation_id)
    if as_json:
        emit_json(jsonable(view))
    else:
        _emit_delegations([view], False, t("cli.delegation.ended"))


@delegate_app.command("list", help="cli.help.delegate.list")
@handled
def delegate_list(as_: AsOpt, as_json: JsonOpt = False) -> None:
    con = env().console(as_)
    _emit_delegations(con.list_delegations(), as_json,
                      t("cli.delegation.list_title", employee_no=_signed_in(con)))
