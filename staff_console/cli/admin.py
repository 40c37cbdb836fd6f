"""`db init`, `branch ...`, `staff ...`: setting up the store and its people.

`branch` and `staff` call the facade (`env().console(as_)`), embedded or on a console server.
`db init` (schema, first admin, demo data) and `db rotate-key` are the store-holder commands:
they run where the store and its key are, over the services (with `db init` the migrations),
imported inside the commands; on a terminal of a console server they are refused
(INVALID_SETTING naming `server`) before anything is asked or opened.
"""

import importlib
import os
from typing import Annotated

import typer

from ..domain.errors import invalid
from ..i18n import t
from ._output import console, emit_json, jsonable, label, yes_no
from ._runtime import PASSWORD_ENV, AsOpt, JsonOpt, env, handled, new_password, safe_url
from ._usage import ConsoleTyper

MAX_DEMO_CUSTOMERS = 1_000_000

db_app = ConsoleTyper(no_args_is_help=True, help="cli.help.db")
branch_app = ConsoleTyper(no_args_is_help=True, help="cli.help.branch")
staff_app = ConsoleTyper(no_args_is_help=True, help="cli.help.staff")


def _admin_password() -> str:
    value = os.environ.get(PASSWORD_ENV)
    if value is None:
        value = typer.prompt(t("cli.prompt.first_admin"), hide_input=True,
                             confirmation_prompt=True, err=True)
    return value


@db_app.command("init", help="cli.help.db.init")
@handled
def db_init(
    demo: Annotated[bool, typer.Option("--demo", help="cli.help.db.init.demo")] = False,
    training: Annotated[bool, typer.Option("--training", help="cli.help.db.init.training")] = False,
    customers: Annotated[int | None, typer.Option(
        "--customers", metavar="N", help="cli.help.db.init.customers")] = None,
    seed: Annotated[int | None, typer.Option("--seed", metavar="S",
                                             help="cli.help.db.init.seed")] = None,
    admin: Annotated[str | None, typer.Option(
        "--admin", metavar="EMP", help="cli.help.db.init.admin")] = None,
    admin_name: Annotated[str, typer.Option("--admin-name",
                                            help="cli.help.db.init.admin_name")] = "관리자",
    admin_branch: Annotated[str, typer.Option(
        "--admin-branch", help="cli.help.db.init.admin_branch")] = "HQ",
    admin_branch_name: Annotated[str, typer.Option(
        "--admin-branch-name", help="cli.help.db.init.admin_branch_name")] = "본사",
    as_json: JsonOpt = False,
) -> None:
    e = env()
    e.refuse_on_client("db init")
    from ..services import staff as staff_service
    from ..services.passwords import check_new_password

    if customers is not None and not 1 <= customers <= MAX_DEMO_CUSTOMERS:
        raise invalid("customers", f"must be between 1 and {MAX_DEMO_CUSTOMERS:,}")
    if (customers is not None or seed is not None) and not demo:
        raise invalid("demo", "--customers and --seed go with --demo")
    if demo and admin is not None:
        raise invalid("admin", "the demo brings its own staff (admin A0001); use one or the other")
    e.requested_clock()  # a bad --now is refused before anything else
    password = None
    if admin is not None:
        password = _admin_password()
        # Refused before anything is created (the service checks it again).
        check_new_password(password, employee_no=admin, name=admin_name)
    demo_loader = _demo_loader() if demo else None
    # Mode, key and clock are checked before anything is written (services/store_identity).
    backend = e.backend(create=True, mode="training" if demo or training else None)
    clock = backend.clock
    identity = backend.identity
    assert identity is not None  # a store opened by db init has read its identity
    result: dict = {"db": safe_url(e.settings().db_url), "schema": "ok",
                    "mode": identity.mode, "store_id": identity.store_id,
                    "key_id": identity.key_id, "admin": None, "demo": None}
    if admin is not None and password is not None:  # the password was asked with --admin
        view = staff_service.bootstrap_admin(
            backend, employee_no=admin, name=admin_name, branch_code=admin_branch,
            branch_name=admin_branch_name, password=password, clock=clock)
        result["admin"] = jsonable(view)
    if demo_loader is not None:
        kwargs = {}
        if customers is not None:
            kwargs["customers"] = customers
        if seed is not None:
            kwargs["seed"] = seed
        summary = demo_loader(backend, clock=clock, **kwargs)
        result["demo"] = jsonable(summary)
    if as_json:
        emit_json(result)
        return
    out = console()
    out.print(t("cli.db.ready", db=result["db"]))
    out.print(t("cli.db.store_training", key_id=identity.key_id) if identity.training
              else t("cli.db.store_real", key_id=identity.key_id))
    if result["admin"]:
        out.print(t("cli.db.first_admin", admin=admin, branch=admin_branch.upper()))
    if demo_loader is not None:
        _print_demo(out, result["demo"])


@db_app.command("rotate-key", help="cli.help.db.rotate_key")
@handled
def db_rotate_key(as_: AsOpt, as_json: JsonOpt = False) -> None:
    e = env()
    e.refuse_on_client("db rotate-key")
    from ..services.store_identity import rotate_key

    actor = e.actor(as_)
    settings = e.settings()
    result = rotate_key(e.backend(), actor, key_file=settings.key_file,
                        key_from_setting=bool(settings.key_text), clock=e.clock())
    if as_json:
        emit_json(result)
        return
    console().print(t("cli.db.key_rotated", old=result["old_key_id"], new=result["new_key_id"],
                      customers=f"{result['customers']:,}", key_file=settings.key_file,
                      old_file=f"{settings.key_file.name}.old"))


def _print_demo(out, summary: dict) -> None:
    from rich.table import Table

    counts = " · ".join(f"{key} {summary[key]:,}" for key in (
        "customers", "credentials", "requests", "staff", "branches", "accounts")
        if isinstance(summary.get(key), int))
    out.print(t("cli.demo.data", counts=counts, seed=summary.get("seed")))
    if summary.get("password"):
        # A published training constant (docs), not a real secret: the trainer needs it.
        out.print(t("cli.demo.password", password=summary["password"]))
    cases = summary.get("cases") or {}
    if cases:
        table = Table(t("cli.col.case"), t("cli.col.customer"), title=t("cli.demo.cases_title"))
        for key, customer_no in cases.items():
            table.add_row(key, customer_no)
        out.print(table)


def _demo_loader():
    """demo.load.load_demo, imported only when asked for."""
    try:
        module = importlib.import_module("staff_console.demo.load")
    except ImportError:
        raise invalid("demo", "the demo loader is not installed in this build") from None
    return module.load_demo


@branch_app.command("add", help="cli.help.branch.add")
@handled
def branch_add(
    code: Annotated[str, typer.Argument(help="cli.help.branch.add.code")],
    name: Annotated[str, typer.Argument(help="cli.help.branch.add.name")],
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).add_branch(code, name)
    if as_json:
        emit_json(jsonable(view))
    else:
        console().print(t("cli.branch.added", code=view.code, name=view.name))


@branch_app.command("list", help="cli.help.branch.list")
@handled
def branch_list(as_: AsOpt, as_json: JsonOpt = False) -> None:
    from rich.table import Table

    views = env().console(as_).list_branches()
    if as_json:
        emit_json({"items": [jsonable(v) for v in views]})
        return
    table = Table(t("cli.col.code"), t("cli.col.branch_name"))
    for v in views:
        table.add_row(v.code, v.name)
    console().print(table)


@staff_app.command("add", help="cli.help.staff.add")
@handled
def staff_add(
    employee_no: Annotated[str, typer.Option("--employee-no", metavar="E",
                                             help="cli.help.staff.add.employee_no")],
    name: Annotated[str, typer.Option("--name", metavar="N", help="cli.help.staff.add.name")],
    branch: Annotated[str, typer.Option("--branch", metavar="CODE",
                                        help="cli.help.staff.add.branch")],
    role: Annotated[str, typer.Option("--role", help="cli.help.staff.add.role")],
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    con = env().console(as_)
    password = new_password()
    view = con.add_staff(employee_no=employee_no, name=name, branch_code=branch, role=role,
                         password=password)
    if as_json:
        emit_json(jsonable(view))
    else:
        console().print(t("cli.staff.added", employee_no=view.employee_no, name=view.name,
                          branch=view.branch_code, role=label("role", view.role)))


@staff_app.command("unlock", help="cli.help.staff.unlock")
@handled
def staff_unlock(
    employee_no: Annotated[str, typer.Argument(metavar="E",
                                               help="cli.help.staff.unlock.employee_no")],
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).unlock_staff(employee_no)
    if as_json:
        emit_json(jsonable(view))
    else:
        console().print(t("cli.staff.unlocked", employee_no=view.employee_no, name=view.name))


@staff_app.command("list", help="cli.help.staff.list")
@handled
def staff_list(
    as_: AsOpt,
    branch: Annotated[str | None, typer.Option("--branch", metavar="CODE",
                                               help="cli.help.staff.list.branch")] = None,
    as_json: JsonOpt = False,
) -> None:
    from rich.table import Table

    views = env().console(as_).list_staff(branch_code=branch)
    if as_json:
        emit_json({"items": [jsonable(v) for v in views]})
        return
    table = Table(t("cli.col.employee_no"), t("cli.col.name"), t("cli.col.branch"),
                  t("cli.col.role"), t("cli.col.active"), t("cli.col.locked"))
    for v in views:
        table.add_row(v.employee_no, v.name, v.branch_code, label("role", v.role), yes_no(v.active),
                      yes_no(v.locked))
    console().print(table)


@staff_app.command("change", help="cli.help.staff.change")
@handled
def staff_change(
    employee_no: Annotated[str, typer.Argument(metavar="E",
                                               help="cli.help.staff.change.employee_no")],
    as_: AsOpt,
    role: Annotated[str | None, typer.Option("--role", help="cli.help.staff.change.role")] = None,
    branch: Annotated[str | None, typer.Option("--branch", metavar="CODE",
                                               help="cli.help.staff.change.branch")] = None,
    as_json: JsonOpt = False,
) -> None:
    if role is None and branch is None:
        raise invalid("role", "give --role, --branch or both")
    view = env().console(as_).change_staff(employee_no, role=role, branch_code=branch)
    if as_json:
        emit_json(jsonable(view))
    else:
        console().print(t("cli.staff.changed", employee_no=view.employee_no, name=view.name,
                          branch=view.branch_code, role=label("role", view.role)))
