"""Click's own usage errors answered like every other refusal (`ConsoleGroup`, the root), and
the help pages in the person's language (`ConsoleTyper`: every group a `ConsoleGroup`, every
command a `ConsoleCommand`).

A `help=` of the CLI names a catalog key (`cli.help.*`), never the words: the words are in the
catalogs, English and Korean, and are looked up only when a help page is shown (`_help.py`,
imported then). A command that runs reads no help text and loads nothing for it.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from ._output import cli_language, report_error


def click_module(name: str) -> ModuleType:
    """A module of the Click that Typer runs on (`exceptions`, `formatting`, `utils`)."""
    try:  # Typer 0.2x carries its own copy of Click
        return importlib.import_module(f"typer._click.{name}")
    except ImportError:  # pragma: no cover - older Typer, on Click itself
        return importlib.import_module(f"click.{name}")


def _usage_field(exc) -> str | None:
    """The option or argument a usage error is about, named like `invalid()` names fields."""
    param = getattr(exc, "param", None)
    if param is not None:
        longs = [opt for opt in getattr(param, "opts", ()) if opt.startswith("--")]
        return longs[0][2:] if longs else param.name
    option = getattr(exc, "option_name", None)
    return option.lstrip("-") if option else None


class _Translated:
    """The help page of a command or a group in the person's language (`_help.py`): its
    description, the short one in its group's list, its arguments' and options' help and
    Click's own words (usage, headings, --help, [default: ...], [required]). Everything else
    (parsing, running, the usage errors) is Typer's."""

    def get_help(self, ctx: Any) -> str:
        from . import _help

        return _help.page(self, ctx)

    def format_help_text(self, ctx: Any, formatter: Any) -> None:
        from . import _help

        _help.description(self, formatter)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        from . import _help

        _help.options(self, ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        from . import _help

        return _help.short(self, limit)


class ConsoleCommand(_Translated, TyperCommand):
    """A command whose help page is in the person's language."""


class ConsoleGroup(_Translated, TyperGroup):
    """A group (the root and every group under it) whose help page is in the person's
    language. As the root: Click's own usage errors (a value that is not a number or out of its
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
        click_exc = click_module("exceptions")
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
            from ..i18n import set_language, t

            set_language(cli_language())
            typer.echo(t("cli.aborted"), err=True)
            sys.exit(1)
        # Not standalone, Click returns an exit code (from Exit, --help) instead of exiting.
        sys.exit(result if isinstance(result, int) else 0)


class ConsoleTyper(typer.Typer):
    """typer.Typer whose group is a ConsoleGroup and whose commands are ConsoleCommands: their
    help pages in the person's language. Its `help=` and its commands' are catalog keys. Plain
    pages (no Rich markup), which is what ConsoleGroup and ConsoleCommand format."""

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("rich_markup_mode", None)
        super().__init__(cls=settings.pop("cls", ConsoleGroup), **settings)

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None,
                **settings: Any) -> Any:
        return super().command(name, cls=cls or ConsoleCommand, **settings)
