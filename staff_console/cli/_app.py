"""The `staff-console` Typer app: the root (its options, the Textual console without a
subcommand) and every command group. Imported by the entry point (`main`, cli/__init__.py)
after it has started what can start early, and by whoever uses `app` itself (tests)."""

import gc
import importlib
from typing import Annotated

import typer

from . import _GC_DEFAULT, _quick_params, admin, audit, channel, customers, policy, serve, workflow
from ._runtime import env, handled, start
from ._usage import ConsoleGroup

_quick_params.install()  # a plain str or int parameter without pydantic (see the module)

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


