"""The operations log (staff_console/logs.py): what a full walkthrough writes to
`<home>/staff-console.log`, and what it must never write."""

from __future__ import annotations

import logging
import os
import re
import stat

from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from cli_support import Cli, build_world
from helpers import CUSTOMERS_CSV, PASSWORD, cli_probe

from staff_console import logs


def _secrets() -> set[str]:
    """Every ID number, phone and customer name of the world, each in its spellings."""
    found: set[str] = {PASSWORD, "Demo12345!"}
    for line in CUSTOMERS_CSV.strip().splitlines()[1:]:
        _no, name, id_number, phone, *_ = line.split(",")
        found |= {name, id_number, id_number.replace("-", ""), phone, phone.replace("-", "")}
    return found


def _walkthrough(cli: Cli) -> None:
    cli.ok("customer", "search", "홍길동", "--as", "T001")
    cli.ok("customer", "search", "900101-1234567", "--as", "T001")
    cli.ok("customer", "search", "010 1234 5678", "--as", "T001")
    cli.ok("customer", "show", "C001", "--as", "T001")
    cli.registered("C001", "mts", "dev-1")
    request = cli.json("request", "revoke", "--customer", "C001", "--channel", "mts",
                       "--reason", "lost_device", "--note", "홍길동 010-1234-5678 분실",
                       "--as", "T001")
    cli.json("approve", request["request_id"], "--as", "M001")
    cli.run("customer", "show", "C001", "--as", "T001",
            env={"STAFF_CONSOLE_PASSWORD": "wrong-" + PASSWORD})
    cli.ok("audit", "verify")


def test_a_walkthrough_logs_commands_and_the_store_but_no_personal_data(fresh_cli):
    build_world(fresh_cli)
    _walkthrough(fresh_cli)
    path = fresh_cli.home / logs.LOG_FILE
    text = path.read_text(encoding="utf-8")
    # What operations needs: each command and its outcome, the store, the migrations.
    assert re.search(r"INFO staff_console\.cli\._runtime .* command customer search: 0 in ", text)
    assert "command approve: 0" in text
    assert re.search(r"command customer show: 4 AUTH_FAILED", text)
    assert "store opened: sqlite:///" in text
    assert "schema at " in text
    # What it must never hold.
    leaked = [secret for secret in _secrets() if secret in text]
    assert not leaked, leaked
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_an_unexpected_error_is_one_line_on_screen_and_a_trace_in_the_log(cli, monkeypatch):
    from staff_console.services import customer_view

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom for 900101-1234567")

    monkeypatch.setattr(customer_view, "show_customer", broken)
    result = cli.run("customer", "show", "C001", "--as", "T001")
    assert result.exit_code == 1
    assert "error: UNEXPECTED: RuntimeError" in result.stderr
    assert "Traceback" not in result.output
    text = (cli.home / logs.LOG_FILE).read_text(encoding="utf-8")
    assert "unexpected error in customer show" in text and "Traceback" in text
    assert "RuntimeError: boom for 900101-1******" in text  # masked in the log too
    assert "900101-1234567" not in text


def test_the_level_comes_from_the_setting(cli):
    cli.ok("customer", "search", "홍", "--as", "T001", env={"STAFF_CONSOLE_LOG_LEVEL": "WARNING"})
    text = (cli.home / logs.LOG_FILE).read_text(encoding="utf-8")
    assert "command customer search" not in text
    cli.fail(2, "INVALID_SETTING", "customer", "search", "홍", "--as", "T001",
             env={"STAFF_CONSOLE_LOG_LEVEL": "CHATTY"})


def test_the_file_rotates_within_its_bound(tmp_path):
    path = logs.configure(tmp_path, "INFO")
    logger = logging.getLogger("staff_console.test")
    line = "x" * 1000
    for _ in range(logs.MAX_BYTES // 1000 * (logs.BACKUPS + 2)):
        logger.info(line)
    files = sorted(tmp_path.glob(logs.LOG_FILE + "*"))
    assert len(files) == logs.BACKUPS + 1
    assert all(f.stat().st_size <= logs.MAX_BYTES + 2000 for f in files)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert path == tmp_path / logs.LOG_FILE


def test_a_link_in_place_of_the_log_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("untouched\n")
    (tmp_path / logs.LOG_FILE).symlink_to(target)
    assert logs.configure(tmp_path, "INFO") is None  # no file log then, and no error
    logging.getLogger("staff_console.test").warning("written nowhere")
    assert target.read_text() == "untouched\n"


def test_a_failure_before_the_log_is_open_prints_no_trace(tmp_path):
    """A command that fails unexpectedly before its settings are read (so before the log file
    is open) still shows one line: Python's last-resort handler never prints the trace."""
    setup = """
from staff_console import settings_read
def broken(*args, **kwargs):
    raise RuntimeError("boom before the settings")
settings_read.sources = broken
REPORT = {}
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_CONSOLE_")}
    env.update(STAFF_CONSOLE_HOME=str(tmp_path), STAFF_CONSOLE_PASSWORD=PASSWORD)
    doc = cli_probe(setup, ["customer", "show", "C001", "--as", "T001"], env)
    assert doc["exit"] == 1
    assert "error: UNEXPECTED: RuntimeError: boom before the settings" in doc["stderr"]
    assert "Traceback" not in doc["stderr"], doc["stderr"]


def test_undecodable_bytes_as_the_password_or_the_member(tmp_path, cli):
    """Bytes that are not UTF-8 in STAFF_CONSOLE_PASSWORD (Python reads them as surrogates)
    are a wrong password like any other: AUTH_FAILED, not a crash; in --as, a refused
    employee number."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_CONSOLE_")}
    env.update({k: v for k, v in cli.env.items() if v is not None})
    env["STAFF_CONSOLE_PASSWORD"] = "\udcff\udcfe"  # os.environ's reading of b"\xff\xfe"
    doc = cli_probe("REPORT = {}\n", ["customer", "show", "C001", "--as", "T002"], env)
    assert doc["exit"] != 0
    assert "error: AUTH_FAILED" in doc["stderr"] and "Traceback" not in doc["stderr"]
    # ... and as the employee number: refused naming it (the early read of the hash too)
    doc = cli_probe("REPORT = {}\n", ["customer", "show", "C001", "--as", "\udcff"], env)
    assert doc["exit"] != 0 and "Traceback" not in doc["stderr"]
    assert "error: INVALID_INPUT: employee_no:" in doc["stderr"]
