"""The `staff-console` Typer app: the root (its options, the Textual console without a
subcommand) and every command group. Imported by the entry point (`main`, cli/__init__.py)
after it has started what can start early, and by whoever uses `app` itself (tests).

`app` (every command: help, completion, tests) is built on first use. The entry point runs
`app_for(argv)`: the root with only the command the line names, built from the same table, so
that `customer show` neither imports the other command modules nor has Typer turn their ~60
functions into Click commands (~0.015 s). A line that names no known command (help, an
unknown command, an option the root does not have) gets the whole app, and its answer.
"""

import gc
import importlib
from typing import Annotated

import typer

from . import _GC_DEFAULT, _quick_params
from ._runtime import env, handled, start
from ._usage import ConsoleTyper

_quick_params.install()  # a plain str or int parameter without pydantic (see the module)


def root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL", envvar="STAFF_CONSOLE_DB",
        help="cli.help.root.db")] = None,
    now: Annotated[str | None, typer.Option(
        "--now", metavar="ISO", envvar="STAFF_CONSOLE_NOW",
        help="cli.help.root.now")] = None,
    server: Annotated[str | None, typer.Option(
        "--server", metavar="URL", envvar="STAFF_CONSOLE_SERVER",
        help="cli.help.root.server")] = None,
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


def demo() -> None:
    _start_ui(demo=True)


# Every command of the root, in the order `--help` lists them: (name, module, attribute,
# the catalog key of a command's help or None for a group, whose ConsoleTyper has its own);
# module None: defined here.
COMMANDS: tuple[tuple[str, str | None, str, str | None], ...] = (
    ("demo", None, "demo", "cli.help.demo"),
    ("db", "admin", "db_app", None),
    ("branch", "admin", "branch_app", None),
    ("staff", "admin", "staff_app", None),
    ("customer", "customers", "customer_app", None),
    ("intake", "workflow", "intake_app", None),
    ("request", "workflow", "request_app", None),
    ("requests", "workflow", "requests", "cli.help.requests"),
    ("approvals", "workflow", "approvals", "cli.help.approvals"),
    ("approve", "workflow", "approve", "cli.help.approve"),
    ("reject", "workflow", "reject", "cli.help.reject"),
    ("withdraw", "workflow", "withdraw", "cli.help.withdraw"),
    ("delegate", "workflow", "delegate_app", None),
    ("expire", "customers", "expire", "cli.help.expire"),
    ("expiring", "customers", "expiring", "cli.help.expiring"),
    ("matrix", "customers", "matrix", "cli.help.matrix"),
    ("audit", "audit", "audit_app", None),
    ("policy", "policy", "policy_app", None),
    ("serve", "serve", "serve", "cli.help.serve"),
    ("channel", "channel", "channel_app", None),
)
_ROOT_OPTIONS = ("--db", "--now", "--server")  # the root's options, each with a value


def _root() -> typer.Typer:
    built = ConsoleTyper(
        name="staff-console",
        help="cli.help.root",
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
    )
    built.callback(invoke_without_command=True)(root)
    return built


def _add(target: typer.Typer, entry: tuple[str, str | None, str, str | None]) -> None:
    name, module, attribute, help_key = entry
    found = (globals()[attribute] if module is None
             else getattr(importlib.import_module(f"{__package__}.{module}"), attribute))
    if help_key is None:
        target.add_typer(found, name=name)
    else:
        target.command(name, help=help_key)(found)


def _whole() -> typer.Typer:
    built = _root()
    for entry in COMMANDS:
        _add(built, entry)
    return built


def command_named(argv: list[str]) -> str | None:
    """The command a command line names after the root's options, or None (`--help`, an
    option the root does not have, nothing)."""
    tokens = iter(argv)
    for token in tokens:
        if token in _ROOT_OPTIONS:
            next(tokens, None)
        elif not token.startswith(tuple(option + "=" for option in _ROOT_OPTIONS)):
            return None if token.startswith("-") else token
    return None


def app_for(argv: list[str]) -> typer.Typer:
    """The root with only the command `argv` names (the whole app if it names none)."""
    name = command_named(argv)
    for entry in COMMANDS:
        if entry[0] == name:
            built = _root()
            _add(built, entry)
            return built
    return __getattr__("app")


_APP: list[typer.Typer] = []


def __getattr__(name: str) -> typer.Typer:
    """`app`: every command, built on first use."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not _APP:
        _APP.append(_whole())
    return _APP[0]


