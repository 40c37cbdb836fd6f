"""The entry point builds the root with only the command the line names (cli/_app.py
`app_for`): the same command, options, help and refusals as in the whole app, without the
other command modules."""

from __future__ import annotations

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from typer.testing import CliRunner

from staff_console.cli import _app

LINES = [[name, "--help"] for name, *_ in _app.COMMANDS] + [
    ["customer", "show"], ["customer", "show", "C001", "--bogus"], ["customer", "nope"],
    ["approve", "abc", "--as", "T001"], ["--db", "sqlite:///x", "customer", "--help"],
    ["--now=2026-11-24T09:00:00+09:00", "matrix", "--help"], ["audit"], ["db"],
]


@pytest.mark.parametrize("argv", LINES, ids=" ".join)
def test_one_command_answers_as_the_whole_app(argv):
    runner = CliRunner()
    whole = runner.invoke(_app.app, argv, prog_name="staff-console")
    one = runner.invoke(_app.app_for(argv), argv, prog_name="staff-console")
    assert (one.exit_code, one.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize(("argv", "name"), [
    (["customer", "show", "C001"], "customer"), (["--db", "x", "matrix"], "matrix"),
    (["--server=https://x", "approve", "1"], "approve"), (["--help"], None), ([], None),
    (["--bogus", "customer"], None), (["custmer", "show"], "custmer"),
])
def test_the_command_a_line_names(argv, name):
    assert _app.command_named(argv) == name
    if name not in {entry[0] for entry in _app.COMMANDS}:
        assert _app.app_for(argv) is _app.app  # help, an unknown command: the whole app


def test_a_customer_command_loads_no_other_command_module(cli):
    from test_cli_startup import _loaded

    code, modules = _loaded(cli, "customer", "show", "C001", "--as", "T001", "--json")
    assert code == 0
    others = {f"staff_console.cli.{m}" for m in
              ("admin", "audit", "channel", "policy", "serve", "workflow")}
    assert others & modules == set()
