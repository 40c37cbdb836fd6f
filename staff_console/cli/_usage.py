"""Click's own usage errors answered like every other refusal (`ConsoleGroup`, the root)."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import typer
from typer.core import TyperGroup

from ._output import report_error


def _click_exceptions() -> ModuleType:
    try:  # Typer 0.2x carries its own copy of Click
        return importlib.import_module("typer._click.exceptions")
    except ImportError:  # pragma: no cover - older Typer, on Click itself
        return importlib.import_module("click.exceptions")


def _usage_field(exc) -> str | None:
    """The option or argument a usage error is about, named like `invalid()` names fields."""
    param = getattr(exc, "param", None)
    if param is not None:
        longs = [opt for opt in getattr(param, "opts", ()) if opt.startswith("--")]
        return longs[0][2:] if longs else param.name
    option = getattr(exc, "option_name", None)
    return option.lstrip("-") if option else None


class ConsoleGroup(TyperGroup):
    """The root command. Click's own usage errors (a value that is not a number or out of its
    range, an unknown option or command, a missing argument) answer like every other refusal:
    `error: INVALID_INPUT: message` on stderr, the JSON error with --json, exit 2. Help (also
    the help a group prints when called without a command), --help and the exit codes of the
    commands are Click's as before."""

    # Click's parameters, without repeating its overloads on standalone_mode (hence the ignore).
    def main(self, args=None, prog_name=None, complete_var=None,  # type: ignore[override]
             standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        click_exc = _click_exceptions()
        try:
            result = super().main(argv, prog_name, complete_var, False, **extra)
        except getattr(click_exc, "NoArgsIsHelpError", ()) as exc:  # Click >= 8.2
            exc.show()
            sys.exit(exc.exit_code)
        except click_exc.ClickException as exc:  # UsageError, BadParameter, NoSuchOption ...
            # Click quotes what was typed: report_error shows it escaped (display_safe).
            report_error("INVALID_INPUT", exc.format_message(), _usage_field(exc),
                         "--json" in argv)
            sys.exit(2)
        except typer.Abort:  # Ctrl+C or end of input at a prompt, as Click reports it
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        # Not standalone, Click returns an exit code (from Exit, --help) instead of exiting.
        sys.exit(result if isinstance(result, int) else 0)
