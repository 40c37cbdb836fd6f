"""The `staff-console` command line.

Without a subcommand it starts the Textual console; `demo` starts it on the demo data. Every other
command is a thin translation: arguments -> one call of the typed facade (`api.Console`) -> text
or one JSON document. Embedded mode (the default) runs the facade in-process over the store on
this PC; client mode (`--server URL`, STAFF_CONSOLE_SERVER) talks to a console server and loads
no database code; the store-holder commands (`db ...`, `intake ...`) are refused there.

Exit codes: 0 done; 2 bad input (the message names the field; Click's own usage errors too);
3 refused by a rule; 4 not authenticated or not authorized; 1 unexpected. Errors print
`error: CODE: message` on stderr.
A command imports only what it uses (the command modules import services inside the commands):
the Textual app only when it is started, migrations only for `db`, the demo generator only for
`db init --demo`.
"""

import gc
import importlib
import os
import sys
from typing import Annotated

import typer

from . import admin, audit, channel, customers, policy, serve, workflow
from ._runtime import env, handled, start
from ._usage import ConsoleGroup

app = typer.Typer(
    cls=ConsoleGroup,
    name="staff-console",
    help="간편인증 지점 직원 콘솔 (branch staff console for mobile simple authentication).",
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL", envvar="STAFF_CONSOLE_DB",
        help="Database URL (sqlite:///path or postgresql+psycopg://...).")] = None,
    now: Annotated[str | None, typer.Option(
        "--now", metavar="ISO", envvar="STAFF_CONSOLE_NOW",
        help="Fix the clock (training stores only; a real store refuses it): ISO-8601 with an "
             "offset, e.g. 2026-11-24T09:00:00+09:00.")] = None,
    server: Annotated[str | None, typer.Option(
        "--server", metavar="URL", envvar="STAFF_CONSOLE_SERVER",
        help="Work as a terminal of this console server (https://...): no database URL, no "
             "key on this PC.")] = None,
) -> None:
    """Without a command: start the console (Textual)."""
    start(db, now, server)
    if ctx.invoked_subcommand is None:
        _start_ui(demo=False)


@handled
def _start_ui(*, demo: bool, as_json: bool = False) -> None:
    gc.set_threshold(*_GC_DEFAULT)  # an app runs for hours: the interpreter's own rhythm
    e = env()
    settings = e.settings()
    clock = e.requested_clock()  # a bad --now is refused before the screen opens
    if clock is not None and not demo:
        e.backend()  # and a fixed clock on a real store too (CLOCK_FIXED_REFUSED, exit 4)
        e.close()
    # Imported by name at run time: the CLI layer does not depend on the UI layer (nor Textual).
    run_app = importlib.import_module("staff_console.app").run_app
    run_app(settings, demo=demo, clock=clock)


@app.command("demo")
def demo() -> None:
    """Start the console on the demo data."""
    _start_ui(demo=True)


app.add_typer(admin.db_app, name="db")
app.add_typer(admin.branch_app, name="branch")
app.add_typer(admin.staff_app, name="staff")
app.add_typer(customers.customer_app, name="customer")
app.add_typer(workflow.intake_app, name="intake")
app.add_typer(workflow.request_app, name="request")
app.command("requests")(workflow.requests)
app.command("approvals")(workflow.approvals)
app.command("approve")(workflow.approve)
app.command("reject")(workflow.reject)
app.command("withdraw")(workflow.withdraw)
app.add_typer(workflow.delegate_app, name="delegate")
app.command("expire")(customers.expire)
app.command("expiring")(customers.expiring)
app.command("matrix")(customers.matrix)
app.add_typer(audit.audit_app, name="audit")
app.add_typer(policy.policy_app, name="policy")
app.command("serve")(serve.serve)
app.add_typer(channel.channel_app, name="channel")


_GC_DEFAULT = gc.get_threshold()


def _option(argv: list[str], name: str) -> str | None:
    """The value given to option `name` (`--as X` or `--as=X`) in a command line, read by
    hand before Click parses it (`_verify_early`); the last one wins, as in Click."""
    value = None
    for i, token in enumerate(argv):
        if token == "--":
            break
        if token == name and i + 1 < len(argv):
            value = argv[i + 1]
        elif token.startswith(name + "="):
            value = token[len(name) + 1:]
    return value


def _verify_early(argv: list[str]) -> None:
    """A signed-in command's argon2 verification (~0.15 s) started on a second core at once,
    before Typer, pydantic, the settings and SQLAlchemy are imported (~0.2 s more) rather than
    after them: then the verification, not the imports, set the command's time. Embedded mode
    with the password in the environment only, as `Env.verify_early` (which runs again when
    the command starts, and keeps this verification when it is for the same hash and
    password). Only a head start: the command line is read by hand here and the settings
    without validation (settings.py `early_store_hint`); Click and `load_settings` still
    refuse what they refuse, and the sign-in uses the early result only for the very hash and
    password it reads in its own transaction (services/passwords.py)."""
    password = os.environ.get("STAFF_CONSOLE_PASSWORD")
    employee_no = _option(argv, "--as")
    if (not password or not employee_no or os.environ.get("STAFF_CONSOLE_SERVER")
            or _option(argv, "--server")):
        return
    from ..services.passwords import start_verification
    from ..settings import early_store_hint

    db_url, time_cost, memory_kib = early_store_hint(_option(argv, "--db"))
    start_verification(db_url, employee_no, password, time_cost=time_cost,
                       memory_kib=memory_kib)


def main() -> None:
    try:
        _verify_early(sys.argv[1:])
    except Exception:  # noqa: BLE001 - only a head start: the command verifies as usual
        pass
    # Start-up allocates hundreds of thousands of objects that live to the end (the modules of
    # SQLAlchemy, pydantic, the tables): the young generation's default threshold (700 here)
    # collected them dozens of times for nothing. Cycles are still collected, less often.
    gc.set_threshold(50_000, 20, 20)  # back to _GC_DEFAULT when the app starts
    try:
        app(prog_name="staff-console")
    finally:
        # At exit the interpreter's garbage collector walks every object the command loaded
        # (SQLAlchemy, pydantic: ~0.17 s here, a fifth of `customer show`); frozen objects are
        # skipped. Only this entry point does it: a process that goes on running does not.
        gc.freeze()


__all__ = ["app", "main"]
