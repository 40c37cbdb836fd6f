"""What a person reads: text and JSON on stdout, refusals on stderr, in one language.

Every printed string goes through domain.text.display_safe (`_safe.py`); JSON is one document.
The words come from the catalogs (i18n, `cli.*` and `errors.*`) in the CLI's language
(`cli_language`: STAFF_CONSOLE_LANG, else the locale, else Korean); codes, data and JSON are
the same in every language. Rich is imported only when a console is made.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from typing import TYPE_CHECKING

import typer

from ..domain.clock import SEOUL
from ..i18n import refusal, set_language, t, t_opt

if TYPE_CHECKING:
    from rich.console import Console


def console() -> Console:
    """Rich on stdout; no markup parsing (names are data), wide when not a terminal."""
    from ._safe import safe_console  # every printed string through domain.text.display_safe

    tty = sys.stdout.isatty()
    return safe_console(markup=False, highlight=False, emoji=False, width=None if tty else 200,
                        soft_wrap=not tty)


def emit_json(doc) -> None:
    from ._safe import safe_json

    typer.echo(safe_json(doc, indent=2, default=str))


def jsonable(view) -> dict:
    """A view (a services.views dataclass) as a JSON-ready dict."""
    from ..services.views import as_dict

    return as_dict(view)


def instant(value: datetime | None) -> str:
    """An instant in Korea time with its offset."""
    if value is None:
        return "-"
    return value.astimezone(SEOUL).isoformat(sep=" ", timespec="minutes")


def day(value: date | None) -> str:
    return value.isoformat() if value else "-"


def label(prefix: str, value: str | None) -> str:
    """A code shown to a person (a status, a kind, a channel ...): in Korean the catalog's word
    for it (`t_opt`: `status.active` -> 사용중); in English the code itself, the word the
    options and the JSON use (active, lost_device, mts)."""
    if value is None or value == "":
        return "-"
    return t_opt(prefix, value) if cli_language() == "ko" else value


def yes_no(value: bool | None) -> str:
    if value is None:
        return "-"
    return t("cli.yes") if value else t("cli.no")


def text(value) -> str:
    from ..domain.text import display_safe

    return "-" if value is None or value == "" else display_safe(value)


def report_export(result, as_json: bool) -> None:
    """What a `--csv` export prints: the file and its row count."""
    if as_json:
        emit_json(jsonable(result))
    else:
        console().print(t("cli.exported", rows=result.rows, path=result.path))


def one_line(exc: BaseException) -> str:
    """An unexpected error in one line; a number in it that could be an ID number or a phone
    is masked (an exception's text may quote data)."""
    from ..domain.ids import mask_numbers

    message = str(exc).strip().splitlines()
    first = message[0] if message else ""
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return mask_numbers(line)[:300]


LANGUAGE_ENV = "STAFF_CONSOLE_LANG"  # the `language` setting's variable (settings_sources)


def cli_language() -> str:
    """The language of the words a person reads: the `language` setting when given in the
    environment (STAFF_CONSOLE_LANG), else the locale's (LC_ALL, LC_MESSAGES, LANG, the first
    set: ko… is Korean, any other English), else Korean (the setting's default). Read from the
    environment, not from the loaded settings: a usage error is answered before any settings
    are read, and in the same language as every other refusal."""
    chosen = os.environ.get(LANGUAGE_ENV, "").strip().lower()
    if chosen in ("ko", "en"):
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip()
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "ko"


def refusal_text(code: str, message: str, field_name: str | None = None,
                 detail: str | None = None, values: dict | None = None) -> str:
    """A refusal in the person's language. In Korean: the catalog's words for the code
    (`errors.CODE`) and the service's detail (`errors.detail.*` with its values) or the field
    it names, never the English `message` (logged, and in the JSON document). In English: the
    message itself, as scripts have always read it (it is English and carries the detail)."""
    if cli_language() != "ko":
        return message
    set_language("ko")  # a usage error comes before the root callback
    words, line = refusal(code, detail, values, field_name)
    if not line and field_name:  # a field the catalog has no words for: the option typed
        line = t("errors.field", field="--" + field_name.replace("_", "-"))
    return f"{words} {line}" if line else words


def report_error(code: str, message: str, field_name: str | None, as_json: bool,
                 detail: str | None = None, values: dict | None = None) -> None:
    """`error: CODE: words` on stderr (the code and the prefix are the scripts' contract, the
    words are the person's language); with --json the error document on stdout, its
    `message` the code's own message in every language."""
    import logging

    from ..domain.text import display_safe  # messages may quote what was typed

    logging.getLogger(__name__).info("refused %s: %s", code, message)
    typer.echo(f"error: {code}: "
               f"{display_safe(refusal_text(code, message, field_name, detail, values))}",
               err=True)
    if as_json:
        emit_json({"error": {"code": code, "message": message, "field": field_name}})
