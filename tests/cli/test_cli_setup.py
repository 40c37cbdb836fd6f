"""db init, branches, staff, sign-in through the CLI; the global options; error handling."""

from __future__ import annotations

import json
import subprocess
import sys
import types

from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from cli_support import PASSWORD

# ---------------------------------------------------------------- db init


def test_db_init_creates_the_parent_directory_schema_and_first_admin(fresh_cli):
    fresh_cli.env["STAFF_CONSOLE_NOW"] = None  # a real store: the real clock
    assert not fresh_cli.db_path.parent.exists()
    doc = fresh_cli.json("db", "init", "--admin", "A0001", "--admin-name", "관리자")
    assert fresh_cli.db_path.exists()
    assert (fresh_cli.home / "master.key").exists()
    assert doc["schema"] == "ok"
    assert doc["admin"]["employee_no"] == "A0001"
    assert doc["admin"]["role"] == "admin"
    assert doc["admin"]["branch_code"] == "HQ"
    branches = fresh_cli.json("branch", "list", "--as", "A0001")["items"]
    assert branches == [{"code": "HQ", "name": "본사"}]


def test_db_init_again_is_an_upgrade_and_a_second_bootstrap_is_refused(fresh_cli):
    fresh_cli.env["STAFF_CONSOLE_NOW"] = None  # a real store: the real clock
    fresh_cli.ok("db", "init", "--admin", "A0001")
    fresh_cli.ok("db", "init")
    fresh_cli.fail(4, "FORBIDDEN", "db", "init", "--admin", "A0002")


def test_db_init_admin_branch_option(fresh_cli):
    fresh_cli.env["STAFF_CONSOLE_NOW"] = None  # a real store: the real clock
    doc = fresh_cli.json("db", "init", "--admin", "A9", "--admin-branch", "hq2",
                         "--admin-branch-name", "본점")
    assert doc["admin"]["branch_code"] == "HQ2"


def test_db_init_with_a_weak_admin_password_creates_nothing(fresh_cli):
    result = fresh_cli.fail(2, "INVALID_INPUT", "db", "init", "--admin", "A0001",
                            env={"STAFF_CONSOLE_PASSWORD": "short1"})
    assert json.loads(result.stdout)["error"]["field"] == "password"
    assert not fresh_cli.db_path.exists()


def test_db_init_admin_password_from_a_confirmed_prompt(fresh_cli):
    fresh_cli.env["STAFF_CONSOLE_NOW"] = None  # a real store: the real clock
    result = fresh_cli.run("db", "init", "--admin", "A0001", input=f"{PASSWORD}\n{PASSWORD}\n",
                           env={"STAFF_CONSOLE_PASSWORD": None})
    assert result.exit_code == 0, result.output
    fresh_cli.ok("staff", "list", "--as", "A0001")


def test_db_init_refuses_out_of_range_demo_size(fresh_cli):
    result = fresh_cli.fail(2, "INVALID_INPUT", "db", "init", "--demo", "--customers", "1000001")
    assert json.loads(result.stdout)["error"]["field"] == "customers"
    assert not fresh_cli.db_path.exists()


def test_db_init_demo_loads_the_demo_data(fresh_cli):
    doc = fresh_cli.json("db", "init", "--demo", "--customers", "40", "--seed", "7")
    demo = doc["demo"]
    assert demo["customers"] == 40 and demo["seed"] == 7 and demo["staff"] > 0
    assert demo["cases"]["pending_registration"] == "D0000008"
    staff = {"STAFF_CONSOLE_PASSWORD": demo["password"]}
    queue = fresh_cli.json("approvals", "--as", "M001", env=staff)["items"]
    assert "D0000008" in {r["customer_no"] for r in queue}
    fresh_cli.ok("audit", "verify")
    # Into a store that has customers: refused, nothing loaded twice.
    fresh_cli.fail(3, "DUPLICATE", "db", "init", "--demo", "--customers", "40")
    human = fresh_cli.run("db", "init", "--demo", "--customers", "40",
                          env={"STAFF_CONSOLE_DB": f"sqlite:///{fresh_cli.root / 'demo2.sqlite3'}"})
    assert human.exit_code == 0, human.output
    assert "D0000008" in human.stdout and "40" in human.stdout


def test_db_init_demo_and_admin_together_is_refused(fresh_cli):
    result = fresh_cli.fail(2, "INVALID_INPUT", "db", "init", "--demo", "--admin", "A0001")
    assert json.loads(result.stdout)["error"]["field"] == "admin"
    assert not fresh_cli.db_path.exists()


def test_commands_refuse_a_store_that_was_never_initialised(fresh_cli):
    result = fresh_cli.fail(1, "STORE_NOT_INITIALISED", "expire")
    assert "db init" in result.stderr
    assert not fresh_cli.db_path.exists()


# ---------------------------------------------------------------- global options


def test_bad_now_is_exit_2_naming_the_field(cli):
    result = cli.fail(2, "INVALID_INPUT", "--now", "yesterday", "expire")
    assert json.loads(result.stdout)["error"]["field"] == "now"
    assert "now" in result.stderr
    naive = cli.fail(2, "INVALID_INPUT", "expire", env={"STAFF_CONSOLE_NOW": "2026-11-24T10:00"})
    assert json.loads(naive.stdout)["error"]["field"] == "now"


def test_db_option_overrides_the_environment(cli, tmp_path):
    other = tmp_path / "other" / "x.sqlite3"
    cli.ok("--db", f"sqlite:///{other}", "db", "init", "--training")  # on the fixed clock
    assert other.exists()
    # The other store is empty: nobody can sign in there.
    cli.fail(4, "AUTH_FAILED", "--db", f"sqlite:///{other}", "staff", "list", "--as", "A0001")


def test_help_lists_the_commands(cli):
    result = cli.ok("--help")
    for name in ("db", "branch", "staff", "customer", "intake", "request", "requests",
                 "approvals", "approve", "reject", "withdraw", "delegate", "expire", "expiring",
                 "matrix", "audit", "demo"):
        assert name in result.stdout
    assert cli.run("approve").exit_code == 2  # missing argument: a usage error


def test_the_cli_does_not_import_textual():
    code = ("import sys, staff_console.cli; "
            "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) "
            "else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_no_command_starts_the_app_and_demo_starts_it_on_demo_data(cli, monkeypatch):
    calls = []

    def run_app(settings, demo=False, **kwargs):
        calls.append((settings.db_url, demo, kwargs))

    monkeypatch.setitem(sys.modules, "staff_console.app", types.SimpleNamespace(run_app=run_app))
    cli.ok()
    cli.ok("demo")
    assert [c[1] for c in calls] == [False, True]
    assert calls[0][0] == cli.env["STAFF_CONSOLE_DB"]


# ---------------------------------------------------------------- branches and staff


def test_branch_and_staff_add_by_the_admin(cli):
    branch = cli.json("branch", "add", "003", "판교지점", "--as", "A0001")
    assert branch == {"code": "003", "name": "판교지점"}
    member = cli.json("staff", "add", "--employee-no", "T301", "--name", "서창구", "--branch",
                      "003", "--role", "teller", "--as", "A0001",
                      env={"STAFF_CONSOLE_NEW_PASSWORD": "another-pass42"})
    assert member["employee_no"] == "T301" and member["role"] == "teller"
    listed = cli.json("staff", "list", "--as", "A0001")["items"]
    assert "T301" in {s["employee_no"] for s in listed}
    # The new member signs in with the new password (a teller may read customers).
    cli.ok("customer", "search", "C001", "--as", "T301",
           env={"STAFF_CONSOLE_PASSWORD": "another-pass42"})
    human = cli.ok("branch", "add", "004", "분당지점", "--as", "A0001")
    assert "004" in human.stdout


def test_staff_add_refusals(cli):
    cli.fail(4, "FORBIDDEN", "branch", "add", "009", "X지점", "--as", "M001")
    cli.fail(4, "FORBIDDEN", "staff", "add", "--employee-no", "T9", "--name", "가", "--branch",
             "001", "--role", "teller", "--as", "M001")
    weak = cli.fail(2, "INVALID_INPUT", "staff", "add", "--employee-no", "T9", "--name", "가",
                    "--branch", "001", "--role", "teller", "--as", "A0001",
                    env={"STAFF_CONSOLE_NEW_PASSWORD": "onlyletters"})
    assert json.loads(weak.stdout)["error"]["field"] == "password"
    role = cli.fail(2, "INVALID_INPUT", "staff", "add", "--employee-no", "T9", "--name", "가",
                    "--branch", "001", "--role", "boss", "--as", "A0001")
    assert json.loads(role.stdout)["error"]["field"] == "role"
    cli.fail(3, "DUPLICATE", "staff", "add", "--employee-no", "T001", "--name", "가",
             "--branch", "001", "--role", "teller", "--as", "A0001")
    cli.fail(3, "NOT_FOUND", "staff", "add", "--employee-no", "T9", "--name", "가",
             "--branch", "777", "--role", "teller", "--as", "A0001")
    names = {s["employee_no"] for s in cli.json("staff", "list", "--as", "A0001")["items"]}
    assert "T9" not in names


def test_new_staff_password_from_a_prompt_with_confirmation(cli):
    result = cli.run("staff", "add", "--employee-no", "T9", "--name", "가", "--branch", "001",
                     "--role", "teller", "--as", "A0001",
                     input="fresh-pass77\nfresh-pass77\n",
                     env={"STAFF_CONSOLE_NEW_PASSWORD": None})
    assert result.exit_code == 0, result.output
    assert "fresh-pass77" not in result.output
    cli.ok("customer", "search", "C001", "--as", "T9",
           env={"STAFF_CONSOLE_PASSWORD": "fresh-pass77"})


def test_manager_lists_only_the_branch_staff(cli):
    rows = cli.json("staff", "list", "--as", "M001")["items"]
    assert {r["branch_code"] for r in rows} == {"001"}
    cli.fail(4, "FORBIDDEN", "staff", "list", "--as", "T001")


# ---------------------------------------------------------------- sign-in


def test_password_from_a_hidden_prompt(cli):
    result = cli.run("staff", "list", "--as", "A0001", input=f"{PASSWORD}\n",
                     env={"STAFF_CONSOLE_PASSWORD": None})
    assert result.exit_code == 0, result.output
    assert "A0001" in result.stdout


def test_wrong_password_is_auth_failed(cli):
    result = cli.fail(4, "AUTH_FAILED", "staff", "list", "--as", "A0001",
                      env={"STAFF_CONSOLE_PASSWORD": "wrong-pass1"})
    assert "wrong-pass1" not in result.output
    cli.fail(4, "AUTH_FAILED", "staff", "list", "--as", "NOBODY")


def test_five_wrong_passwords_lock_the_account_and_an_admin_unlocks_it(cli):
    wrong = {"STAFF_CONSOLE_PASSWORD": "wrong-pass1"}
    answers = set()
    for _ in range(5):
        answers.add(cli.fail(4, "AUTH_FAILED", "approvals", "--as", "M001", env=wrong).output)
    # Locked: even the right password is refused, in the same words as a wrong one (and as an
    # unknown employee number): the answer tells no one who exists or who is locked.
    answers.add(cli.fail(4, "AUTH_FAILED", "approvals", "--as", "M001").output)
    answers.add(cli.fail(4, "AUTH_FAILED", "approvals", "--as", "NOBODY").output)
    assert len(answers) == 1, answers
    rows = {s["employee_no"]: s for s in cli.json("staff", "list", "--as", "A0001")["items"]}
    assert rows["M001"]["locked"] is True
    cli.fail(4, "FORBIDDEN", "staff", "unlock", "M001", "--as", "T001")
    unlocked = cli.json("staff", "unlock", "M001", "--as", "A0001")
    assert unlocked["locked"] is False and unlocked["failed_sign_ins"] == 0
    cli.ok("approvals", "--as", "M001")
    actions = [e["action"] for e in cli.events(staff="M001")]
    assert "staff.locked" in actions


# ---------------------------------------------------------------- unexpected errors


def test_an_unexpected_exception_prints_one_line_and_no_traceback(cli, monkeypatch):
    from staff_console.services import expiry

    def boom(*args, **kwargs):
        raise RuntimeError("boom\nsecond line with details")

    monkeypatch.setattr(expiry, "expire_due", boom)
    result = cli.run("expire")
    assert result.exit_code == 1
    assert "error: UNEXPECTED: RuntimeError: boom" in result.stderr
    assert "second line" not in result.output
    assert "Traceback" not in result.output
    as_json = cli.run("expire", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"]["code"] == "UNEXPECTED"


def test_url_helpers():
    from staff_console.cli._runtime import safe_url, sqlite_path

    assert "secret" not in safe_url("postgresql+psycopg://app:secret@db/staff")
    assert sqlite_path("sqlite:////tmp/x/y.sqlite3").as_posix() == "/tmp/x/y.sqlite3"
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql+psycopg://app@db/staff") is None
