"""Bad and out-of-range input answers INVALID_INPUT (exit 2) in the one error format: Click's own
usage errors (not a number, an unknown option or command, a missing argument) and values that
would overflow the database or a date computation (ids and pages past 2**63, years 1 and 9999)."""

from __future__ import annotations

import json

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template

BIG = str(2**63)  # one past the largest 64-bit number (the audit trail's sequence numbers)
ROW = str(2**31)  # one past the largest row id (INTEGER on PostgreSQL)
HUGE = str(10**30)


def _one_error_line(result, code="INVALID_INPUT") -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no usage block, no "Try --help", no trace
    assert lines[0].startswith(f"error: {code}: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------- Click's usage errors


@pytest.mark.parametrize("args, field", [
    (["approve", "abc", "--as", "M001"], "request_id"),  # not a number
    (["approve", "--as", "M001"], "request_id"),  # a missing argument
    (["approve", "1", "--bogus", "--as", "M001"], "bogus"),  # an unknown option
    (["customer", "search", "홍", "--page", "x", "--as", "T001"], "page"),
    (["request", "revoke", "--customer", "C001", "--as", "T001"], "channel"),  # missing option
])
def test_usage_errors_are_invalid_input_with_the_json_error(cli, args, field):
    result = cli.fail(2, "INVALID_INPUT", *args)
    _one_error_line(result)
    assert json.loads(result.stdout)["error"]["field"] == field


def test_usage_errors_without_json_print_only_the_error_line(cli):
    for args in (["approve", "abc", "--as", "M001"], ["no-such-command"], ["audit", "nope"],
                 ["approve", "1", "--bogus"]):
        result = cli.run(*args)
        assert result.exit_code == 2, (args, result.output)
        _one_error_line(result)
        assert result.stdout == ""


def test_an_unknown_global_option_and_an_unknown_command(cli):
    result = cli.fail(2, "INVALID_INPUT", "--bogus", "expire")
    assert "--bogus" in _one_error_line(result)
    result = cli.run("approv", "1")  # a typo: Click's suggestion stays in the message
    assert result.exit_code == 2
    assert "approve" in _one_error_line(result)


def test_what_was_typed_is_shown_escaped(cli):
    result = cli.run("approve", "1", "--x\x1b]52;c;aGk=\x07", "--as", "M001", "--json")
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b" in line
    assert "\\x1b" in json.loads(result.stdout)["error"]["message"]


def test_help_and_exit_codes_are_unchanged(cli):
    assert cli.ok("--help").stdout.startswith("Usage: staff-console")
    assert "REQUEST_ID" in cli.ok("approve", "--help").stdout
    group = cli.run("customer")  # a group without its command prints its help, as before
    assert group.exit_code == 2
    assert "search" in group.output and "error:" not in group.output
    # A refusal by a rule keeps its own exit code and format.
    cli.fail(3, "NOT_FOUND", "approve", "999999", "--as", "M001")


def test_end_of_input_at_the_password_prompt_still_aborts(cli):
    result = cli.run("customer", "show", "C001", "--as", "T001", input="",
                     env={"STAFF_CONSOLE_PASSWORD": None})
    assert result.exit_code == 1
    assert "Aborted!" in result.stderr and "error:" not in result.stderr
    korean = cli.run("customer", "show", "C001", "--as", "T001", input="",
                     env={"STAFF_CONSOLE_PASSWORD": None, "STAFF_CONSOLE_LANG": "ko"})
    assert korean.exit_code == 1 and "중단했습니다." in korean.stderr


def test_an_option_without_its_value_names_the_option(cli):
    result = cli.run("expiring", "--as", "T001", "--within")
    assert result.exit_code == 2
    assert "--within" in _one_error_line(result)
    result = cli.run("--db")
    assert result.exit_code == 2
    assert "--db" in _one_error_line(result)


# ---------------------------------------------------------------- ids


@pytest.mark.parametrize("args", [
    ["approve", ROW, "--as", "M001"],
    ["approve", BIG, "--as", "M001"],
    ["approve", HUGE, "--as", "M001"],
    ["approve", "0", "--as", "M001"],
    ["reject", BIG, "--note", "x", "--as", "M001"],
    ["withdraw", BIG, "--as", "T001"],
    ["request", "show", ROW, "--as", "M001"],
    ["delegate", "end", ROW, "--as", "M001"],
    ["audit", "list", "--before", BIG, "--as", "AU01"],
    ["audit", "list", "--before", "0", "--as", "AU01"],
    ["audit", "access-log", "--month", "2026-11", "--before", BIG, "--as", "AU01"],
])
def test_ids_out_of_their_column_range_are_invalid_input(cli, args):
    _one_error_line(cli.fail(2, "INVALID_INPUT", *args))


def test_the_largest_ids_are_valid_input_and_simply_not_found(cli):
    cli.fail(3, "NOT_FOUND", "approve", str(2**31 - 1), "--as", "M001")
    cli.fail(3, "NOT_FOUND", "delegate", "end", str(2**31 - 1), "--as", "M001")
    assert cli.json("audit", "list", "--before", str(2**63 - 1), "--as", "AU01")["items"]


# ---------------------------------------------------------------- pages and sizes


@pytest.mark.parametrize("args, field", [
    (["customer", "search", "홍", "--page", BIG], "page"),
    (["customer", "search", "홍", "--page", str(2**62)], "page"),  # (page-1)*limit overflows
    (["customer", "search", "홍", "--page", "0"], "page"),
    (["customer", "search", "홍", "--limit", "-5"], "limit"),
    (["customer", "search", "홍", "--limit", BIG], "limit"),
])
def test_pages_and_page_sizes_out_of_range(cli, args, field):
    result = cli.fail(2, "INVALID_INPUT", *args, "--as", "T001")
    assert json.loads(result.stdout)["error"]["field"] == field


def test_a_far_page_within_range_is_an_empty_page(cli):
    doc = cli.json("customer", "search", "홍", "--page", "1000000", "--as", "T001")
    assert doc["items"] == [] and doc["page"] == 1000000


@pytest.mark.parametrize("args", [
    ["audit", "list", "--limit", "-1", "--as", "AU01"],
    ["audit", "list", "--limit", BIG, "--as", "AU01"],
    ["audit", "access-log", "--month", "2026-11", "--limit", "0", "--as", "AU01"],
    ["expiring", "--within", BIG, "--as", "T001"],
    ["expiring", "--within", "-5", "--as", "T001"],
])
def test_other_sizes_out_of_range(cli, args):
    _one_error_line(cli.fail(2, "INVALID_INPUT", *args))


# ---------------------------------------------------------------- dates and instants


@pytest.mark.parametrize("args, field", [
    (["audit", "list", "--from", "0001-01-01", "--as", "AU01"], "from"),
    (["audit", "list", "--to", "9999-12-31", "--as", "AU01"], "to"),
    (["audit", "access-log", "--month", "0001-01", "--as", "AU01"], "month"),
    (["audit", "access-log", "--month", "9999-12", "--as", "AU01"], "month"),
    (["audit", "sign-off", "--month", "9999-12", "--as", "AU01"], "month"),
    (["delegate", "grant", "--to", "T001", "--from", "0001-01-01T00:00:00+09:00",
      "--until", "2026-11-25T00:00:00+09:00", "--as", "M001"], "from"),
    (["delegate", "grant", "--to", "T001", "--from", "2026-11-24T00:00:00+09:00",
      "--until", "9999-12-31T23:59:00-09:00", "--as", "M001"], "until"),
    (["delegate", "grant", "--to", "T001", "--from", "2026-11-24T00:00:00+09:00",
      "--until", "9999-12-31T23:00:00+09:00", "--as", "M001"], "until"),
])
def test_dates_whose_korea_time_conversion_overflows(cli, args, field):
    result = cli.fail(2, "INVALID_INPUT", *args)
    assert json.loads(result.stdout)["error"]["field"] == field


def test_dates_inside_the_bounds_still_work(cli):
    cli.json("audit", "list", "--from", "1900-01-01", "--to", "2999-12-31", "--as", "AU01")
    assert cli.json("audit", "access-log", "--month", "2999-12", "--as", "AU01")["items"] == []


def test_a_training_day_outside_the_bounds_is_invalid_input(cli):
    # The CLI test world is a training store: a fixed clock is accepted, within the bounds.
    result = cli.fail(2, "INVALID_INPUT", "--now", "9999-12-31T23:00:00+09:00", "expire")
    assert json.loads(result.stdout)["error"]["field"] == "now"
    cli.fail(2, "INVALID_INPUT", "--now", "0001-01-01T00:00:00+09:00", "expire")
    cli.json("--now", "2999-12-30T10:00:00+09:00", "expire")


def test_on_a_real_store_any_fixed_clock_is_refused_first(fresh_cli):
    real = {"STAFF_CONSOLE_NOW": None}
    fresh_cli.ok("db", "init", env=real)
    fresh_cli.fail(4, "CLOCK_FIXED_REFUSED", "--now", "9999-12-31T23:00:00+09:00", "expire")
