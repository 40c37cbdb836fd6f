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
import os
import socket
import sys
from typing import Any

# The interpreter's own collection thresholds, before `main` changes them (the app restores
# them: cli/_app.py `_start_ui`).
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
    before the settings and SQLAlchemy are imported rather than after them: then the
    verification, not the imports, set the command's time. Embedded mode with the password in
    the environment only, as `Env.verify_early` (which runs again when the command starts, and
    keeps this verification when it is for the same hash and password). Only a head start:
    the command line is read by hand here and the settings without validation (settings.py
    `early_store_hint`); Click and `load_settings` still refuse what they refuse, and the
    sign-in uses the early result only for the very hash and password it reads in its own
    transaction (services/passwords.py). A terminal of a console server sends its sign-in
    instead (`_sign_in_early`)."""
    password = os.environ.get("STAFF_CONSOLE_PASSWORD")
    employee_no = _option(argv, "--as")
    if not password or not employee_no:
        return
    server = _option(argv, "--server")
    if server is None:  # the flag, else its variable (as Click reads them; "" is not set)
        server = os.environ.get("STAFF_CONSOLE_SERVER")
    if server:
        _sign_in_early(argv, server, employee_no, password)
        return
    from ..services.passwords import start_verification
    from ..settings import early_store_hint

    db_url, time_cost, memory_kib = early_store_hint(_option(argv, "--db"))
    start_verification(db_url, employee_no, password, time_cost=time_cost,
                       memory_kib=memory_kib)


def _sign_in_early(argv: list[str], server: str, employee_no: str, password: str) -> None:
    """Client mode: send the sign-in now, so that the server verifies the password while this
    terminal loads (api/early_sign_in.py). Only when the settings are plainly valid as
    `load_settings` judges them (settings_read.py `quick`, the server URL's rule included) and
    nothing the command would refuse before its sign-in is set (a database URL or a fixed
    clock on a terminal); RemoteConsole.sign_in takes the answer only for the same server,
    member, password and terminal, and an answer nobody takes is signed out."""
    for flag, variable in (("--db", "STAFF_CONSOLE_DB"), ("--now", "STAFF_CONSOLE_NOW")):
        if _option(argv, flag) or os.environ.get(variable):
            return
    from ..api import early_sign_in
    from ..settings_read import given_keys, quick, sources

    settings = quick(sources(given_keys({"server": server})))
    if settings is None or not settings["server"]:
        return
    early_sign_in.start(settings["server"], settings["server_ca_file"], employee_no, password,
                        terminal())


def main() -> None:
    try:
        _verify_early(sys.argv[1:])
    except Exception:  # noqa: BLE001 - only a head start: the command verifies as usual
        pass
    # Start-up allocates hundreds of thousands of objects that live to the end (the modules of
    # SQLAlchemy, pydantic, the tables): the young generation's default threshold (700 here)
    # collected them dozens of times for nothing. Cycles are still collected, less often.
    gc.set_threshold(50_000, 20, 20)  # back to _GC_DEFAULT when the app starts
    # Typer, the command and what the commands share load only now, after the early start
    # above; only the command the line names (cli/_app.py `app_for`).
    from ._app import app_for

    app = app_for(sys.argv[1:])

    try:
        app(prog_name="staff-console")
    finally:
        if "staff_console.api.early_sign_in" in sys.modules:  # a client's sign-in not taken
            sys.modules["staff_console.api.early_sign_in"].discard()
        # At exit the interpreter's garbage collector walks every object the command loaded
        # (SQLAlchemy, pydantic: ~0.17 s here, a fifth of `customer show`); frozen objects are
        # skipped. Only this entry point does it: a process that goes on running does not.
        gc.freeze()


def terminal() -> str:
    """This terminal's name in the trail (a sign-in's `terminal`)."""
    return f"cli@{socket.gethostname()}"[:64]


def __getattr__(name: str) -> Any:
    """`staff_console.cli.app` (tests, `python -m`) loads the Typer app on first use."""
    if name == "app":
        from ._app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
