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

if TYPE_CHECKING:
    from ..api import Console as StaffConsole
    from ..services.views import DelegationView, RequestView

intake_app = typer.Typer(no_args_is_help=True,
                         help="What the channels send (system job): registrations and logins.")
request_app = typer.Typer(no_args_is_help=True, help="Requests made at a branch.")
delegate_app = typer.Typer(no_args_is_help=True, help="직무대행: delegated approval authority.")

NoteOpt = Annotated[str | None, typer.Option("--note", metavar="T", help="A note for the record.")]
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

@intake_app.command("register")
@handled
def intake_register(
    customer: Annotated[str, typer.Option("--customer", metavar="C", help="Customer number.")],
    channel: Annotated[str, typer.Option("--channel", help="mts | web")],
    device_id: Annotated[str, typer.Option("--device-id", metavar="ID",
                                           help="Device (MTS) or browser (web) identifier.")],
    methods: Annotated[str, typer.Option("--methods", help="Comma list: pin,pattern,fingerprint,face")],
    verified: Annotated[str, typer.Option("--verified",
                                          help="Passed verifications: id_card,one_won,phone")],
    device_model: Annotated[str | None, typer.Option("--device-model", metavar="M")] = None,
    biometrics: Annotated[str, typer.Option("--biometrics",
                                            help="none | fingerprint | face | both")] = "none",
    key_fingerprint: Annotated[str | None, typer.Option("--key-fingerprint", metavar="F")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A registration from a channel after the three-kind verification; waits for approval."""
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


@intake_app.command("login")
@handled
def intake_login(
    customer: Annotated[str, typer.Option("--customer", metavar="C", help="Customer number.")],
    channel: Annotated[str, typer.Option("--channel", help="mts | web")],
    device_id: Annotated[str, typer.Option("--device-id", metavar="ID")],
    result: Annotated[str, typer.Option("--result", help="ok | fail")],
    as_json: JsonOpt = False,
) -> None:
    """A login reported by the channel; the 5th consecutive failure locks the credential."""
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

@request_app.command("revoke")
@handled
def request_revoke(
    customer: Annotated[str, typer.Option("--customer", metavar="C", help="Customer number.")],
    channel: Annotated[str, typer.Option("--channel", help="mts | web")],
    reason: Annotated[str, typer.Option(
        "--reason", help="lost_device | customer_request | incident | death | other")],
    as_: AsOpt,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask to revoke (해지) the customer's current credential on a channel."""
    view = env().console(as_).request_revocation(customer_no=customer, channel=channel,
                                                 reason=reason, note=note)
    _emit_request(view, as_json, t("cli.request.revocation_requested"))


@request_app.command("show")
@handled
def request_show(
    request_id: IdArg,
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    """One request with its verification evidence and credential."""
    view = env().console(as_).get_request(request_id)
    _emit_request(view, as_json, "")


@handled
def requests(
    as_: AsOpt,
    pending: Annotated[bool, typer.Option("--pending", help="Only pending ones.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """My requests, newest first."""
    con = env().console(as_)
    views = con.list_my_requests(pending_only=pending)
    if as_json:
        emit_json({"items": [request_doc(v) for v in views]})
    else:
        print_requests(views, t("cli.requests.mine_title", employee_no=_signed_in(con)))


@handled
def approvals(as_: AsOpt, as_json: JsonOpt = False) -> None:
    """Pending requests I may decide now (as branch manager or active delegate)."""
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
    """Approve a pending request (branch manager or active delegate; never the maker)."""
    view = env().console(as_).approve_request(request_id, note=note)
    _emit_request(view, as_json, t("cli.request.approved"))


@handled
def reject(
    request_id: RequestIdArg,
    as_: AsOpt,
    note: Annotated[str | None, typer.Option("--note", metavar="T",
                                             help="Why (required).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject a pending request; a note is required."""
    view = env().console(as_).reject_request(request_id, note=note or "")
    _emit_request(view, as_json, t("cli.request.rejected"))


@handled
def withdraw(
    request_id: RequestIdArg,
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    """The maker takes back its own pending request."""
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


@delegate_app.command("grant")
@handled
def delegate_grant(
    to: Annotated[str, typer.Option("--to", metavar="EMP", help="The delegate's employee number.")],
    valid_from: Annotated[str, typer.Option("--from", metavar="ISO",
                                            help="Start, ISO-8601 with offset (inclusive).")],
    valid_until: Annotated[str, typer.Option("--until", metavar="ISO",
                                             help="End, ISO-8601 with offset (exclusive).")],
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    """Delegate approval authority to a staff member of my branch for [from, until)."""
    start = parse_when(valid_from, "from")
    end = parse_when(valid_until, "until")
    view = env().console(as_).grant_delegation(delegate_employee_no=to, valid_from=start,
                                               valid_until=end)
    if as_json:
        emit_json(jsonable(view))
    else:
        _emit_delegations([view], False, t("cli.delegation.granted"))


@delegate_app.command("end")
@handled
def delegate_end(
    delegation_id: IdArg,
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    """End a delegation early."""
    view = env().console(as_).end_delegation(delegation_id)
    if as_json:
        emit_json(jsonable(view))
    else:
        _emit_delegations([view], False, t("cli.delegation.ended"))


@delegate_app.command("list")
@handled
def delegate_list(as_: AsOpt, as_json: JsonOpt = False) -> None:
    """Managers: the branch's delegations; others: those granted to me."""
    con = env().console(as_)
    _emit_delegations(con.list_delegations(), as_json,
                      t("cli.delegation.list_title", employee_no=_signed_in(con)))
