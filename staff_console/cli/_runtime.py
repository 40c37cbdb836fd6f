"""What every command shares: the invocation context, sign-in and error handling (what a
person reads: `_output.py`; Click's usage errors: `_usage.py`).

The CLI is thin: it turns arguments into calls of the typed facade (`api.Console`) and views
into text or JSON. `Env.console` is the one way to it: in embedded mode a `LocalConsole` over the
store on this PC; in client mode (`--server URL`, STAFF_CONSOLE_SERVER) the console server's
`RemoteConsole`, and then the CLI holds no database URL and no key and imports no store or
service code. The store-holder commands (db init, key rotation, the channels' intake) run where
the store is: `Env.backend` refuses them on a client (`refuse_on_client`).
Every command runs inside `handled`, which turns a ConsoleError into `error: CODE: message` on
stderr (and a JSON error document on stdout with --json) and its exit code, and any other
exception into `error: UNEXPECTED: <one line>` and exit 1, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..domain.bounds import day_out_of_range, day_within, instant_within
from ..domain.clock import Clock, FixedClock, parse_instant
from ..domain.errors import ConsoleError, invalid
from ..files import private_dir
from ..i18n import set_language, t
from . import terminal as terminal  # the trail's name of this terminal (cli/__init__.py)
from ._output import cli_language, one_line, report_error

# The store, the services and Rich are imported where they are used, not here: every command
# imports this module, and a command pays only for what it uses (`customer show` loads no
# migrations, no demo generator, no UI). tests/cli/test_cli_startup.py keeps it so.
if TYPE_CHECKING:
    from ..api import Console as StaffConsole
    from ..domain.authority import Actor
    from ..services.backend import Backend
    from ..settings import Settings

log = logging.getLogger(__name__)

PASSWORD_ENV = "STAFF_CONSOLE_PASSWORD"
NEW_PASSWORD_ENV = "STAFF_CONSOLE_NEW_PASSWORD"

# Options shared by many commands (a help= is a catalog key: cli/_usage.py).
AsOpt = Annotated[str, typer.Option("--as", metavar="EMPLOYEE_NO", help="cli.help.opt.as")]
JsonOpt = Annotated[bool, typer.Option("--json", help="cli.help.opt.json")]
CsvOpt = Annotated[Path | None, typer.Option("--csv", metavar="PATH", help="cli.help.opt.csv")]


@dataclass
class Env:
    """Per-invocation state, built lazily: nothing touches the store until a command needs it."""

    db: str | None = None
    now_text: str | None = None
    server: str | None = None
    _settings: Settings | None = None
    _backend: Backend | None = None
    _console: StaffConsole | None = None

    @property
    def client(self) -> bool:
        """Client mode: a terminal of a console server (`--server`, STAFF_CONSOLE_SERVER)."""
        return bool(self.server)

    def settings(self) -> Settings:
        if self._settings is None:
            from ..settings import load_settings

            if self.client:
                self._refuse_local_options()
                self._settings = load_settings(server=self.server)
            else:
                self._settings = load_settings(db_url=self.db or None)
            from ..logs import configure

            configure(self._settings.home, self._settings.log_level)
        return self._settings

    def requested_clock(self) -> FixedClock | None:
        """The fixed clock asked for (--now, STAFF_CONSOLE_NOW), or None. Only a request: the
        store accepts it only if it is a training store (services/store_identity.py)."""
        if not self.now_text:
            return None
        try:
            return FixedClock(parse_instant(self.now_text))
        except (ValueError, OverflowError):
            raise invalid(
                "now", "must be ISO-8601 with an offset, e.g. 2026-11-24T09:00:00+09:00"
            ) from None

    def clock(self) -> Clock:
        """The clock the store accepted when it was opened (its own, or a training store's
        fixed clock)."""
        return self.backend().clock

    def _refuse_local_options(self) -> None:
        """A client holds no database URL and does not keep the clock (the server does)."""
        if self.db:
            raise ConsoleError("INVALID_SETTING", "db: a terminal of a console server holds no "
                               "database URL; unset STAFF_CONSOLE_DB (or --db) or the server",
                               field="db")
        if self.now_text:
            raise ConsoleError("INVALID_SETTING", "now: the console server keeps the clock; "
                               "unset STAFF_CONSOLE_NOW (or --now)", field="now")

    def refuse_on_client(self, command: str) -> None:
        """A store-holder command runs where the store and its key are, never on a terminal of
        a console server. INVALID_SETTING naming `server`: the command and its input are
        fine, this terminal's configuration is what cannot run it (exit 2, before any
        password is asked for)."""
        if self.client:
            raise ConsoleError(
                "INVALID_SETTING",
                f"server: `{command}` runs where the store is (on the server's host, without "
                "STAFF_CONSOLE_SERVER); this terminal is a client of a console server",
                field="server")

    def console(self, employee_no: str | None = None) -> StaffConsole:
        """The facade, signed in as `employee_no` (password from the environment or a hidden
        prompt) when given. Without one: in embedded mode the system jobs' console (no person:
        `expire`, the plain matrix, `audit verify`); a console server answers staff only."""
        if employee_no is not None and not employee_no.strip():
            raise invalid("as", "an employee number is required")
        if employee_no is None and self.client:
            raise invalid("as", "a console server answers signed-in staff only: give --as")
        if self._console is None:
            if self.client:
                from ..api import open_console  # RemoteConsole: no store or service code

                self._console = open_console(self.settings())
            else:
                from ..api.local import LocalConsole

                # The store is opened (and refused with its code) before the password prompt.
                self._console = LocalConsole(self.backend())
        if employee_no is not None and self._console.actor is None:
            self._console.sign_in(employee_no, self._password(employee_no), terminal=terminal())
        return self._console

    @staticmethod
    def _password(employee_no: str) -> str:
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            from ..domain.text import display_safe  # the number is checked only at sign-in

            password = typer.prompt(t("cli.prompt.password",
                                      employee_no=display_safe(employee_no)),
                                    hide_input=True, err=True)
        return password

    def backend(self, *, create: bool = False, mode: str | None = None) -> Backend:
        """The store, its key and the clock checked. Unless `create`, a SQLite file that does
        not exist is refused instead of being created empty by the driver. `create` (`db
        init`): create or upgrade it; `mode` "real" / "training" / None (see
        services/database.py `init_backend`). Only in embedded mode and for the store-holder
        commands (a client refuses: `refuse_on_client`)."""
        if self._backend is None:
            self.refuse_on_client("db")
            settings = self.settings()
            if create:  # 0700 (the key goes there); every command's log setup checks it too
                private_dir(settings.home)
            path = sqlite_path(settings.db_url)
            if path is not None:
                if create:
                    # 0700; an existing folder other than the data directory is only checked
                    # (it may be shared on purpose: the store file itself is 0600).
                    private_dir(path.parent, tighten=path.parent == settings.home)
                elif not path.exists():
                    raise ConsoleError(
                        "STORE_NOT_INITIALISED",
                        f"no database at {path}; run `staff-console db init` first",
                    )
            requested = self.requested_clock()  # a bad --now is refused before anything opens
            if create:
                from ..services.database import init_backend

                self._backend = init_backend(settings, mode=mode, clock=requested)
            else:
                from ..services.backend import open_backend

                self._backend = open_backend(settings, clock=requested)
        return self._backend

    def actor(self, employee_no: str) -> Actor:
        """The signed-in member of the embedded console (store-holder commands that act on the
        store directly, e.g. key rotation, still need to know who asked)."""
        actor = self.console(employee_no).actor
        assert actor is not None  # console() signed in
        return actor

    def verify_early(self, employee_no: str) -> None:
        """Start the sign-in's argon2 verification on a second core, before the command imports
        and opens the store (services/passwords.py `start_verification`); only in embedded mode
        (a console server verifies the password itself) and when the password comes from the
        environment (a prompt waits for a person anyway)."""
        password = os.environ.get(PASSWORD_ENV)
        if not password or not employee_no or self.client:
            return
        settings = self.settings()
        from ..services.passwords import start_verification

        start_verification(settings.db_url, employee_no, password,
                           time_cost=settings.argon2_time_cost,
                           memory_kib=settings.argon2_memory_kib)

    def close(self) -> None:
        console, self._console = self._console, None
        if console is not None and self.client:
            try:  # the server's session ends with the command (no token outlives it)
                if console.actor is not None:
                    console.sign_out()
            except Exception as exc:  # noqa: BLE001 - the command's answer is already out
                log.warning("sign-out at the end of a command failed: %s", one_line(exc))
            finally:
                console.close()
        if self._backend is not None:  # embedded: the console only borrowed the store
            self._backend.store.dispose()
            self._backend = None


_CURRENT: ContextVar[Env | None] = ContextVar("staff_console_cli_env", default=None)


def start(db: str | None, now_text: str | None, server: str | None = None) -> Env:
    """Called by the root callback at the start of each invocation."""
    set_language(cli_language())  # the catalog itself is read when the first words are
    current = Env(db=db, now_text=now_text, server=server)
    _CURRENT.set(current)
    return current


def env() -> Env:
    current = _CURRENT.get()
    if current is None:  # a sub-app invoked on its own, without the root callback
        current = start(os.environ.get("STAFF_CONSOLE_DB"), os.environ.get("STAFF_CONSOLE_NOW"),
                        os.environ.get("STAFF_CONSOLE_SERVER"))
    return current


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None (another database, or in memory)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return None
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def new_password() -> str:
    """The new staff member's password: $STAFF_CONSOLE_NEW_PASSWORD or a hidden prompt."""
    value = os.environ.get(NEW_PASSWORD_ENV)
    if value is None:
        value = typer.prompt(t("cli.prompt.new_password"), hide_input=True,
                             confirmation_prompt=True, err=True)
    return value


def parse_day(text: str | None, field_name: str) -> date | None:
    if text is None:
        return None
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise invalid(field_name, "must be a date YYYY-MM-DD") from None
    return day_within(value, field_name)


def parse_when(text: str, field_name: str) -> datetime:
    try:
        value = parse_instant(text)
    except OverflowError:  # year 1 or 9999: the conversion to UTC left the calendar
        raise day_out_of_range(field_name) from None
    except ValueError:
        raise invalid(
            field_name, "must be ISO-8601 with an offset, e.g. 2026-11-24T09:00:00+09:00"
        ) from None
    return instant_within(value, field_name)


# Typer's own control flow (exit, abort, usage errors) goes on to Typer.
_PASS_THROUGH = (typer.Exit, typer.Abort) + (
    (typer.TyperException,) if hasattr(typer, "TyperException") else ())


def handled(fn):
    """Run a command: errors become a message and an exit code, never a traceback."""

    # The log names the command, never its arguments (search text, names, notes).
    command = fn.__name__.strip("_").replace("_", " ")

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        as_json = bool(kwargs.get("as_json", False))
        started = time.monotonic()
        outcome = "0"
        try:
            if isinstance(kwargs.get("as_"), str):  # a signed-in command: see verify_early
                env().verify_early(kwargs["as_"])
            return fn(*args, **kwargs)
        except _PASS_THROUGH:
            outcome = "exit"
            raise
        except ConsoleError as exc:
            outcome = f"{exc.exit_code} {exc.code}"
            report_error(exc.code, exc.message, exc.field, as_json, exc.detail, exc.values)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:  # noqa: BLE001 - the user gets one line, never a trace
            outcome = "1 UNEXPECTED"
            log.error("unexpected error in %s", command, exc_info=exc)  # the trace: log only
            report_error("UNEXPECTED", one_line(exc), None, as_json)
            raise typer.Exit(1) from None
        finally:
            current = _CURRENT.get()
            if current is not None:
                current.close()
            log.info("command %s: %s in %.0f ms", command, outcome,
                     (time.monotonic() - started) * 1000)

    return wrapper
