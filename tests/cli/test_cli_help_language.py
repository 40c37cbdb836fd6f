"""`--help` in the person's language: every command's and group's help page (walked from the
app's Click tree, nothing listed by hand) in Korean leaves no English word of the console's own
and no line of its English page, each page shows its catalog's words whole, and the English page
keeps today's words. The words are looked up only when a page is shown: a command that runs
loads no help and looks up no help text."""

from __future__ import annotations

import os
import re

import pytest
import typer
import typer.main
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from helpers import cli_probe
from typer.testing import CliRunner

from staff_console import i18n
from staff_console.cli import _app
from staff_console.cli._help import TERMS, words
from staff_console.cli._runtime import AsOpt
from staff_console.cli._usage import ConsoleTyper

KOREAN = {"STAFF_CONSOLE_LANG": "ko", "COLUMNS": "200"}
ENGLISH = {"STAFF_CONSOLE_LANG": "en", "COLUMNS": "200"}
LATIN = re.compile(r"[A-Za-z]{2,}")
HANGUL = re.compile(r"[\uac00-\ud7a3]+")
# Latin a Korean page may show besides the names, metavars, values and variables of the
# command itself: the usage line's placeholders and the terms the Korean catalog keeps.
KEPT = {"staff", "console", "OPTIONS", "COMMAND", "ARGS", "MTS", "CSV", "URL", "ID", "https",
        "YYYY", "MM", "DD", "YYMMDD"}


def _paths(command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _paths(sub, (*path, name))
    return found


def _command(root, path: tuple[str, ...]):
    command = root
    for name in path:
        command = command.commands[name]
    return command


def _latin(text: str) -> set[str]:
    return set(LATIN.findall(text))


def _kept(command, ctx, path: tuple[str, ...]) -> set[str]:
    """What a page of `command` shows as it is in every language: its path, its commands'
    names, its parameters' column (names, metavars, types), their defaults and variables, and
    the terms a help text names."""
    kept = set(KEPT) | set().union(*map(_latin, (*path, *TERMS.values())))
    for name in getattr(command, "commands", {}):
        kept |= _latin(name)
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        shown = [record[0] if record else "", *param.opts, *param.secondary_opts,
                 param.metavar or "", param.name or "", str(param.envvar or "")]
        if isinstance(param.default, str):
            shown.append(param.default)
        kept |= set().union(*map(_latin, shown))
    return kept


def _problems(app: typer.Typer, path: tuple[str, ...]) -> list[str]:
    """What is wrong with the help page of `path` in `app`: a page that fails, a command
    without a description, an English word or line left on the Korean page, a help text not
    shown whole in its page's language."""
    runner = CliRunner()
    pages = {}
    for language, env in (("ko", KOREAN), ("en", ENGLISH)):
        # Wide enough for no line to wrap: one help text, one line (a CSV header unbroken).
        result = runner.invoke(app, [*path, "--help"], env=env, prog_name="staff-console",
                               terminal_width=1000, max_content_width=1000)
        if result.exit_code != 0:
            return [f"{language}: exit {result.exit_code}: {result.exception!r}"]
        pages[language] = result.stdout
    root = typer.main.get_command(app)
    command = _command(root, path)
    ctx = command.make_context("staff-console", [], resilient_parsing=True)
    kept = _kept(command, ctx, path)
    problems = [] if command.help else ["no description"]
    korean, english = pages["ko"], pages["en"]
    if left := _latin(korean) - kept:
        problems.append(f"English words on the Korean page: {sorted(left)}")
    korean_lines = {line.strip() for line in korean.splitlines()}
    problems += [f"English line on the Korean page: {line.strip()!r}"
                 for line in english.splitlines()
                 if _latin(line) - kept and line.strip() in korean_lines]
    if not korean.startswith("사용법: staff-console") or not english.startswith(
            "Usage: staff-console"):
        problems.append("usage line")
    if "Show this message and exit." not in english or "이 도움말을" not in korean:
        problems.append("--help's own text")
    if HANGUL.search(korean) is None:
        problems.append("no Korean on the Korean page")
    for language, page in pages.items():  # each help text whole, in its page's language
        shown = " ".join(page.split())
        try:
            problems += [f"{language}: not on the page: {text!r}"
                         for text in _texts(command, ctx, language) if text not in shown]
        except i18n.MissingMessage as exc:
            problems.append(f"{language}: {exc!r}")
    return problems


def _texts(command, ctx, language: str) -> list[str]:
    """The catalog's words (in `language`) of the command's description and of its
    parameters' help, whitespace as a page shows it."""
    i18n.set_language(language)
    keys = [command.help] + [param.help for param in command.get_params(ctx)
                             if param is not command.get_help_option(ctx)]
    return [" ".join(words(key).split()) for key in keys if key]


WHOLE = typer.main.get_command(_app.app)
PATHS = _paths(WHOLE)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "staff-console")
def test_every_help_page_is_in_korean_and_keeps_its_english(path):
    assert _problems(_app.app, path) == []


def test_the_tree_is_walked_whole():
    # Every command the root lists, and the commands under its groups (channel key create).
    assert {p[0] for p in PATHS if p} == {name for name, *_ in _app.COMMANDS}
    assert ("channel", "key", "create") in PATHS and len(PATHS) > 50


def test_a_command_without_korean_help_is_found():
    """A command added with its English words (not a catalog key), a command without a
    description and a group made with a plain typer.Typer fail the check above, and so do
    the pages that list them."""
    root = _app._root()
    added = ConsoleTyper(no_args_is_help=True, help="cli.help.customer")

    @added.command("new", help="Do something new for a customer.")
    def new(as_: AsOpt) -> None: ...

    @added.command("bare")
    def bare(as_: AsOpt) -> None: ...

    plain = typer.Typer(no_args_is_help=True, help="cli.help.channel")

    @plain.command("old")
    def old(as_: AsOpt) -> None:
        """Something old, in English."""

    root.add_typer(added, name="added")
    root.add_typer(plain, name="plain")
    assert "MissingMessage" in " ".join(_problems(root, ("added", "new")))
    assert "MissingMessage" in " ".join(_problems(root, ("added",)))  # its list
    assert _problems(root, ("added", "bare")) == ["no description"]
    assert _problems(root, ("plain", "old")) != []
    assert _problems(root, ("plain",)) != [] and _problems(root, ()) != []


# The page a teller reads most, in English: as it was before the help had a Korean page.
ENGLISH_CUSTOMER_SEARCH = """\
Usage: staff-console customer search [OPTIONS] {query}

  Search customers (every search is in the access log).

Arguments:
  query <str>  Name, 초성, customer no, account no, phone, phone last 4, birth
               date YYMMDD.  [required]

Options:
  --as EMPLOYEE_NO  Act as this staff member (password from
                    $STAFF_CONSOLE_PASSWORD or a prompt).  [required]
  --limit N         Results per page (1-50).  [default: 20; x>=1]
  --page P          Page number, from 1.  [default: 1;
                    1<=x<=9223372036854775807]
  --json            Print one JSON document instead of text.
  --help            Show this message and exit.
"""

KOREAN_CUSTOMER_SEARCH = """\
사용법: staff-console customer search [OPTIONS] {query}

  고객을 검색합니다 (모든 검색은 접속기록에 남습니다).

인수:
  query <str>  이름, 초성, 고객번호, 계좌번호, 휴대폰, 휴대폰 뒤 4자리,
               생년월일(YYMMDD)  [필수]

옵션:
  --as EMPLOYEE_NO  이 직원으로 실행합니다 (비밀번호는 $STAFF_CONSOLE_PASSWORD
                    또는 직접 입력)  [필수]
  --limit N         한 쪽에 보일 건수 (1-50)  [기본값: 20; x>=1]
  --page P          쪽 번호 (1부터)  [기본값: 1; 1<=x<=9223372036854775807]
  --json            텍스트 대신 JSON 문서 하나를 출력합니다
  --help            이 도움말을 보여 주고 끝냅니다
"""


def test_the_pages_of_customer_search():
    runner = CliRunner()
    args = ["customer", "search", "--help"]
    english = runner.invoke(_app.app, args, env=ENGLISH, prog_name="staff-console")
    korean = runner.invoke(_app.app, args, env=KOREAN, prog_name="staff-console")
    assert english.stdout == ENGLISH_CUSTOMER_SEARCH
    assert korean.stdout == KOREAN_CUSTOMER_SEARCH
    # A Hangul character takes two columns: no line is wider than the page (78 columns).
    wide = max(sum(2 if HANGUL.match(c) else 1 for c in line) for line in korean.stdout.splitlines())
    assert wide <= 78


@pytest.mark.parametrize(("variables", "usage"), [
    ({"LANG": "ko_KR.UTF-8"}, "사용법:"), ({"LANG": "C.UTF-8"}, "Usage:"),
    ({"LANG": "C.UTF-8", "STAFF_CONSOLE_LANG": "ko"}, "사용법:"),
])
def test_the_page_follows_the_language_of_the_refusals(variables, usage):
    env = {"STAFF_CONSOLE_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "COLUMNS": "200",
           **variables}
    result = CliRunner().invoke(_app.app, ["--help"], env=env, prog_name="staff-console")
    assert result.exit_code == 0 and result.stdout.startswith(usage + " staff-console")


def test_a_group_called_without_a_command_shows_its_page_in_korean():
    result = CliRunner().invoke(_app.app, ["customer"], env=KOREAN, prog_name="staff-console")
    assert result.exit_code == 2
    assert "사용법: staff-console customer" in result.output and "명령:" in result.output
    assert "고객을 검색합니다" in result.output and "Usage" not in result.output


# The help words looked up while the command ran, and the CLI's modules it loaded.
_HELP_PROBE = """
import sys
from staff_console import i18n
looked_up = []
_t = i18n.t
def t(key, *args, **values):
    if key.startswith("cli.help."):
        looked_up.append(key)
    return _t(key, *args, **values)
i18n.t = t
REPORT = {"help": looked_up,
          "modules": lambda: sorted(m for m in sys.modules if m.startswith("staff_console.cli"))}
"""


def test_a_command_that_runs_reads_no_help(cli):
    env = {**os.environ, **{k: v for k, v in cli.env.items() if v is not None}}
    for key, value in cli.env.items():
        if value is None:
            env.pop(key, None)
    env["STAFF_CONSOLE_LANG"] = "ko"
    ran = cli_probe(_HELP_PROBE, ["customer", "show", "C001", "--as", "T001"], env)
    assert ran["exit"] == 0 and "주민번호" in ran["stdout"]
    assert ran["help"] == [] and "staff_console.cli._help" not in ran["modules"]
    helped = cli_probe(_HELP_PROBE, ["customer", "show", "--help"], env)
    assert helped["exit"] == 0 and "staff_console.cli._help" in helped["modules"]
    assert "cli.help.customer.show" in helped["help"]
