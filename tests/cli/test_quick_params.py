"""The CLI's parameters coerced without pydantic (cli/_quick_params.py) give what Typer's own
pydantic adapters give: the same value, or the same refusal, for every parameter of the app."""

from __future__ import annotations

import pytest
import typer.main
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

import staff_console.cli as cli_package
from staff_console.cli._quick_params import qualifies, quick_value

VALUES = ["", "abc", "ㅎㄱㄷ", "T001", " 5", "5 ", "+5", "-5", "0", "1", "007", "1_000", "5.0",
          "20", "50", "51", "64", "65", "2147483647", "2147483648", "9223372036854775807",
          "9223372036854775808", "9" * 30, "١٢", "５", "a\x00b", "\udcff", "x\udcffy", "true",
          "1e3", 0, 1, 20, 51, -1, 2**63, True, False, None, 5.0, b"5", ("5",)]


def _parameters():
    root = typer.main.get_command(cli_package.app)
    seen, out = set(), []

    def walk(command, path):
        for param in command.params:
            key = (param.type_descriptor.annotation, param.type_descriptor.parameter_info.min,
                   param.type_descriptor.parameter_info.max, param.nargs, param.multiple)
            if qualifies(param.type_descriptor) and key not in seen:
                seen.add(key)
                out.append(pytest.param(param, id=f"{path}:{param.name}"))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(root, "")
    return out


def _answer(runtime, value, param, ctx):
    try:
        result = runtime._coerce_value(value, param=param, ctx=ctx)
    except BadParameter as exc:
        return ("refused", exc.format_message())
    return ("value", type(result), result)


@pytest.mark.parametrize("param", _parameters())
def test_the_quick_path_answers_as_typers_adapter(param):
    ctx = typer.main.get_command(cli_package.app).make_context("staff-console", [],
                                                               resilient_parsing=True)
    typer_own = build_runtime_param(param.type_descriptor)
    param._runtime_param = None
    quick = param.get_runtime_param()
    assert type(quick).__name__ == "QuickRuntimeParam"
    decided = 0
    for value in VALUES:
        info = param.type_descriptor.parameter_info
        known, _ = quick_value(param.type_descriptor.annotation, info.min, info.max, value)
        decided += known
        param._runtime_param = quick
        assert _answer(quick, value, param, ctx) == _answer(typer_own, value, param, ctx), value
    assert decided >= 2  # the quick path did answer some values itself


def test_a_command_line_loads_no_pydantic_for_plain_values(cli):
    # Through the entry point in a fresh interpreter: parsing and settings without pydantic;
    # a bad number still gets Typer's own refusal (exit 2, INVALID_INPUT).
    from test_cli_startup import _loaded

    for args in (["customer", "search", "홍", "--as", "T001", "--limit", "5"],
                 ["customer", "show", "C001", "--as", "T001", "--json"]):
        code, modules = _loaded(cli, *args)
        assert code == 0, args
        assert not {"pydantic", "typer._adapters", "staff_console.settings_sources"} & modules
    code, modules = _loaded(cli, "customer", "search", "홍", "--as", "T001", "--limit", "0")
    assert code == 2 and "typer._adapters" in modules
    result = cli.run("customer", "search", "홍", "--as", "T001", "--limit", " 5x")
    assert result.exit_code == 2 and "error: INVALID_INPUT" in result.output
