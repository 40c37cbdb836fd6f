"""`staff-console policy`: the store's policy (which actions need a checker, the request
deadline, the idle lock, the expiring window); admins change it, a second admin approves a
change that weakens a control.

Every command calls the facade (`env().console(as_)`); Rich's tables are imported inside the
commands: a command loads what it uses.
"""

from typing import TYPE_CHECKING, Annotated

import typer

from ..i18n import t
from ._output import console, emit_json, instant, jsonable, text
from ._runtime import AsOpt, JsonOpt, env, handled
from ._usage import ConsoleTyper

if TYPE_CHECKING:
    from ..services.views import PolicyChangeView

policy_app = ConsoleTyper(no_args_is_help=True, help="cli.help.policy")

IdArg = Annotated[int, typer.Argument(metavar="ID", help="cli.help.policy.change_id")]


def _value(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _emit_change(view: "PolicyChangeView", as_json: bool) -> None:
    if as_json:
        emit_json(jsonable(view))
        return
    out = console()
    out.print(t("cli.policy.change", key=view.key, old=_value(view.old_value),
                new=_value(view.new_value), state=_state(view.status)))
    if view.id is not None:
        out.print(t("cli.policy.change_id", id=view.id, maker=view.maker,
                    expires=instant(view.expires_at)))


def _state(status: str) -> str:
    if status == "applied":
        return t("cli.policy.applied")
    if status == "pending":
        return t("cli.policy.pending")
    if status == "approved":
        return t("cli.policy.approved")
    if status == "rejected":
        return t("cli.policy.rejected")
    return status


def _emit_changes(views: "list[PolicyChangeView]", as_json: bool) -> None:
    from rich.table import Table

    if as_json:
        emit_json({"items": [jsonable(v) for v in views]})
        return
    table = Table(t("cli.col.id"), t("cli.col.key"), t("cli.col.old"), t("cli.col.new"),
                  t("cli.col.maker"), t("cli.col.created"), t("cli.col.expires"),
                  t("cli.col.status"), title=t("cli.policy.pending_title"))
    for v in views:
        table.add_row(str(v.id), v.key, _value(v.old_value), _value(v.new_value), v.maker,
                      instant(v.created_at), instant(v.expires_at), v.status)
    out = console()
    out.print(table)
    if not views:
        out.print(t("cli.none"))


@policy_app.command("show", help="cli.help.policy.show")
@handled
def policy_show(as_: AsOpt, as_json: JsonOpt = False) -> None:
    from rich.table import Table

    entries = env().console(as_).show_policy()
    if as_json:
        emit_json({"items": [jsonable(x) for x in entries],
                   "policy": {x.key: x.value for x in entries}})
        return
    table = Table(t("cli.col.key"), t("cli.col.value"), t("cli.col.default"),
                  t("cli.col.range"), t("cli.col.weakening"), title=t("cli.policy.title"))
    for x in entries:
        span = f"{x.low}..{x.high}" if x.low is not None else "on/off"
        weaker = t(f"policy.weaker.{x.weaker or 'none'}")  # in the person's language
        table.add_row(x.key, _value(x.value), _value(x.default), span, weaker)
    console().print(table)


@policy_app.command("set", help="cli.help.policy.set")
@handled
def policy_set(
    key: Annotated[str, typer.Argument(metavar="KEY", help="cli.help.policy.set.key")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="cli.help.policy.set.value")],
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).set_policy(key, value)
    _emit_change(view, as_json)


@policy_app.command("pending", help="cli.help.policy.pending")
@handled
def policy_pending(as_: AsOpt, as_json: JsonOpt = False) -> None:
    _emit_changes(env().console(as_).list_policy_changes(), as_json)


@policy_app.command("approve", help="cli.help.policy.approve")
@handled
def policy_approve(change_id: IdArg, as_: AsOpt, as_json: JsonOpt = False) -> None:
    _emit_change(env().console(as_).approve_policy_change(change_id), as_json)


@policy_app.command("reject", help="cli.help.policy.reject")
@handled
def policy_reject(
    change_id: IdArg,
    as_: AsOpt,
    note: Annotated[str | None, typer.Option("--note", metavar="T",
                                             help="cli.help.policy.reject.note")] = None,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).reject_policy_change(change_id, note=note)
    _emit_change(view, as_json)
    if not as_json and view.note:
        console().print(t("cli.policy.note", note=text(view.note)))
