"""The CLI's help pages in the person's language (`cli_language`: STAFF_CONSOLE_LANG, else the
locale, else Korean). Imported only when a help page is shown (`_usage.py`: ConsoleCommand and
ConsoleGroup call it), so a command that runs neither reads nor formats any help.

Every `help=` of the CLI is a catalog key (`cli.help.*`): its words, English and Korean, are in
the catalogs. What a person types or reads as it is in every language (option names, values,
environment variables, file formats) is a field of the catalog's text ({json}, {roles}) and
comes from TERMS, never typed into a catalog. Click's own words on a page come from the catalogs
too: the usage line's prefix, the section headings, the text of --help and the brackets after a
help text ([default: ...], [required], [env var: ...]); a number range (x>=1) reads the same in
every language. Typer decides what is shown (its records, its defaults, its order); this module
only words it.

A Hangul character takes two columns in a terminal: the page is laid out in columns, not in
characters (`_Formatter`), so that a Korean line, or an English one with a Korean word, fits the
terminal's width as an all-English line does.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from ..i18n import set_language, t
from ._output import cli_language
from ._runtime import NEW_PASSWORD_ENV, PASSWORD_ENV
from ._usage import click_module

# services.customer_import.IMPORT_HEADER, spelled out for the help text so that `--help` does not
# load the services (tests/cli/test_cli_startup.py keeps the two equal).
IMPORT_HEADER_HELP = "customer_no,name,id_number,phone,branch_code,online_trading,account_nos"

# The words of a help text that are the same in every language, by the field that names them.
TERMS: dict[str, str] = {
    # formats, files and documents
    "json": "JSON", "utf8": "UTF-8", "iso": "ISO-8601", "tls": "TLS", "pem": "PEM",
    "http": "HTTP", "bom": "BOM", "utf8_code": "utf-8", "cp949": "cp949", "euc_kr": "euc-kr",
    "sqlite_url": "sqlite:///path", "postgresql_url": "postgresql+psycopg://...",
    "header": IMPORT_HEADER_HELP, "key_file": "master.key",
    "key_backup_doc": 'docs/decisions.md, "Key backup"',
    # environment variables and settings
    "password_env": f"${PASSWORD_ENV}", "new_password_env": f"${NEW_PASSWORD_ENV}",
    "server_env": "STAFF_CONSOLE_SERVER", "anchor_env": "STAFF_CONSOLE_AUDIT_ANCHOR_PATH",
    "anchor_setting": "audit_anchor_path",
    # options, metavars and commands a text names
    "opt_as": "--as", "opt_customer": "--customer", "opt_csv": "--csv", "opt_limit": "--limit",
    "days": "DAYS", "file": "FILE", "verify_anchors": "`audit verify --anchors`",
    "key_list": "channel key list",
    # the values a person types
    "channels": "mts | web", "mts": "mts", "web": "web",
    "roles": "teller | manager | auditor | admin",
    "reasons": "lost_device | customer_request | incident | death | other",
    "methods": "pin,pattern,fingerprint,face", "verifications": "id_card,one_won,phone",
    "biometrics": "none | fingerprint | face | both", "results": "ok | fail",
    "categories": "event | access", "on_off": "on/off", "policy_key": "checker.revocation",
    "action_prefix": "request.",
}

# Click's words on a help page.
USAGE = "cli.help.usage"
HELP_OPTION = "cli.help.help_option"  # the text of --help
HEADINGS = {"Arguments": "cli.help.arguments", "Options": "cli.help.options",
            "Commands": "cli.help.commands"}
REQUIRED = "cli.help.required"
# A bracket's part that Typer writes in English: its prefix -> (key, the field of its value).
BRACKETS = {"default: ": ("cli.help.default", "default"), "env var: ": ("cli.help.env_var", "var")}


def words(key: str | None) -> str:
    """The text of a help key in the selected language ("" for no help). A help text that is
    not a key is a bug: under the tests t() raises; otherwise the person reads it as written."""
    return t(key, **TERMS) if key else ""


def page(command: Any, ctx: Any) -> str:
    """The help page of `command` (Click's `get_help`) in the person's language."""
    set_language(cli_language())  # `--help` on the root is answered before its callback runs
    formatter = _Formatter(width=ctx.terminal_width, max_width=ctx.max_content_width)
    command.format_help(ctx, formatter)
    return formatter.getvalue().rstrip("\n")


def description(command: Any, formatter: Any) -> None:
    """The command's description under the usage line (Click's `format_help_text`)."""
    text = words(command.help)
    if text:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(text)


def short(command: Any, limit: int) -> str:
    """The command's line in its group's list: its description cut at the first sentence or at
    `limit` columns, as Click cuts it (`get_short_help_str`)."""
    if command.short_help:
        return words(command.short_help)
    shorten = click_module("utils").make_default_short_help
    return _plain(shorten(_columns(words(command.help)), limit)).strip()


def options(command: Any, ctx: Any, formatter: Any) -> None:
    """The arguments and options with their help (Typer's `format_options`), then a group's
    commands."""
    arguments, opts = [], []
    for param in command.get_params(ctx):
        record = _record(command, param, ctx)
        if record is None:
            continue
        if param.param_type_name == "argument":
            arguments.append(record)
        elif param.param_type_name == "option":
            opts.append(record)
    for heading, rows in (("Arguments", arguments), ("Options", opts)):
        if rows:
            with formatter.section(heading):
                formatter.write_dl(rows)
    if hasattr(command, "format_commands"):
        command.format_commands(ctx, formatter)


def _record(command: Any, param: Any, ctx: Any) -> tuple[str, str] | None:
    """Typer's record of a parameter (its name, its help and brackets), worded: the help key's
    text and the brackets' words; what Typer shows and when stays Typer's."""
    record = param.get_help_record(ctx)
    if record is None:
        return None
    name, shown = record
    written = param.help or ""
    key = HELP_OPTION if param is command.get_help_option(ctx) else written
    text = words(key)
    brackets = shown[len(written):].strip()  # Typer writes "help  [a; b]"
    if brackets.startswith("[") and brackets.endswith("]"):
        brackets = "[" + "; ".join(_bracket(part) for part in brackets[1:-1].split("; ")) + "]"
    return name, f"{text}  {brackets}" if text and brackets else text or brackets


def _bracket(part: str) -> str:
    if part == "required":
        return t(REQUIRED)
    for prefix, (key, field) in BRACKETS.items():
        if part.startswith(prefix):
            return t(key, **{field: part[len(prefix):]})
    return part  # a number range: the same in every language


_WIDE = "\ue000"  # a private-use character: the second column of a wide one, while laying out


def _columns(text: str) -> str:
    """`text` with a filler after each wide (two-column) character, so that Click, which
    counts characters, counts columns."""
    if text.isascii():
        return text
    return "".join(c + _WIDE if unicodedata.east_asian_width(c) in "WF" else c for c in text)


def _plain(text: str) -> str:
    return text.replace(_WIDE, "")


class _Formatter(click_module("formatting").HelpFormatter):  # type: ignore[misc]
    """Click's help formatter, laying out in columns and wording its own words (the usage
    prefix, the section headings) from the catalog."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = t(USAGE) + " "
        super().write_usage(_columns(prog), _columns(args), _columns(prefix))

    def write_heading(self, heading: str) -> None:
        super().write_heading(_columns(t(HEADINGS[heading]) if heading in HEADINGS else heading))

    def write_text(self, text: str) -> None:
        super().write_text(_columns(text))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([tuple(_columns(cell) for cell in row) for row in rows], col_max,
                         col_spacing)

    def getvalue(self) -> str:
        return _plain(super().getvalue())
