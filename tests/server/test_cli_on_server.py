"""The CLI as a terminal of a live console server (issue 14.2): each command in a fresh
interpreter with STAFF_CONSOLE_SERVER and no database URL or key, answering as in embedded mode,
with no SQLAlchemy, store or service code loaded (sys.modules after the command ran), and no
server session left open behind it. The refusals that need no server: tests/cli/test_cli_client.py.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

from helpers import PASSWORD, cli_probe

# What a command leaves loaded, read when it has ended.
_MODULES = "import sys\nREPORT = {'modules': lambda: sorted(sys.modules)}\n"

NEVER_ON_A_CLIENT = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "argon2", "cryptography",
                     "fastapi", "uvicorn", "textual", "staff_console.store",
                     "staff_console.server", "staff_console.api.local", "staff_console.demo")
CLIENT_SERVICES = {"staff_console.services", "staff_console.services.views",
                   "staff_console.services.anchors"}


def cli(site, home, *args, password: str = PASSWORD, extra_env: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_CONSOLE_")}
    env.update(STAFF_CONSOLE_HOME=str(home), STAFF_CONSOLE_SERVER=site.url,
               STAFF_CONSOLE_PASSWORD=password, COLUMNS="200", **(extra_env or {}))
    doc = cli_probe(_MODULES, [str(a) for a in args], env)
    bad = [m for m in doc["modules"]
           if any(m == p or m.startswith(p + ".") for p in NEVER_ON_A_CLIENT)
           or (m.startswith("staff_console.services") and m not in CLIENT_SERVICES)]
    assert bad == [], (args, bad)
    assert "Traceback" not in doc["stdout"] + doc["stderr"], doc["stderr"]
    return doc


def ok_json(site, home, *args, **kwargs) -> dict:
    doc = cli(site, home, *args, "--json", **kwargs)
    assert doc["exit"] == 0, (args, doc["stderr"])
    assert "staff_console.api.remote" in doc["modules"]  # it did talk to the server
    return json.loads(doc["stdout"])


def refused(site, home, exit_code: int, code: str, *args, **kwargs) -> dict:
    doc = cli(site, home, *args, "--json", **kwargs)
    assert doc["exit"] == exit_code, (args, doc["exit"], doc["stderr"])
    assert f"error: {code}:" in doc["stderr"]
    return json.loads(doc["stdout"])["error"]


def open_sessions(site) -> int:
    with site.store_backend().store.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT count(*) FROM staff_session WHERE ended_at IS NULL").scalar_one()


def test_reading_customers_through_the_server(site, tmp_path):
    home = tmp_path / "terminal"
    shown = ok_json(site, home, "customer", "show", "C001", "--as", "T001")
    assert shown["customer_no"] == "C001" and shown["mts"]["status"] == "active"
    found = cli(site, home, "customer", "search", "홍", "--as", "T001")
    assert found["exit"] == 0, found["stderr"]
    assert "C001" in found["stdout"] and "rich.table" in found["modules"]
    matrix = ok_json(site, home, "matrix", "--customer", "C002", "--as", "T001")
    assert len(matrix["items"]) == 17
    # The terminal's home holds no store and no key.
    assert not (home / "staff_console.sqlite3").exists() and not (home / "master.key").exists()


def test_maker_checker_through_the_server(site, tmp_path):
    home = tmp_path / "terminal"
    made = ok_json(site, home, "request", "revoke", "--customer", "C002", "--channel", "mts",
                   "--reason", "lost_device", "--note", "분실", "--as", "T002")
    request_id = made["request_id"]
    assert made["status"] == "pending"
    waiting = ok_json(site, home, "approvals", "--as", "M001")["items"]
    assert request_id in [r["request_id"] for r in waiting]
    assert refused(site, home, 4, "FORBIDDEN", "approve", request_id, "--as", "T001")
    assert refused(site, home, 4, "FORBIDDEN", "approve", request_id, "--as", "M002")
    decided = ok_json(site, home, "approve", request_id, "--as", "M001")
    assert decided["status"] == "approved" and decided["decider"] == "M001"
    verdict = ok_json(site, home, "audit", "verify", "--as", "AU01")
    assert verdict["verdict"] == "intact"


def test_sign_in_refusals_and_no_session_left_behind(site, tmp_path):
    home = tmp_path / "terminal"
    before = open_sessions(site)
    error = refused(site, home, 4, "AUTH_FAILED", "customer", "show", "C001", "--as", "T001",
                    password="not-the-password")
    assert "not-the-password" not in json.dumps(error)
    ok_json(site, home, "staff", "list", "--as", "M001")
    ok_json(site, home, "delegate", "list", "--as", "M001")
    assert open_sessions(site) == before  # every command signed its session out


def test_every_kind_of_staff_command_through_the_server(site, tmp_path):
    home = tmp_path / "terminal"
    assert {b["code"] for b in ok_json(site, home, "branch", "list", "--as", "A0001")["items"]} \
        >= {"HQ", "001", "002"}
    added = ok_json(site, home, "staff", "add", "--employee-no", "T009", "--name", "구창구",
                    "--branch", "001", "--role", "teller", "--as", "A0001",
                    extra_env={"STAFF_CONSOLE_NEW_PASSWORD": PASSWORD})
    assert added["employee_no"] == "T009"
    assert ok_json(site, home, "staff", "unlock", "T009", "--as", "A0001")["locked"] is False
    csv_file = tmp_path / "more.csv"
    csv_file.write_text("customer_no,name,id_number,phone,branch_code,online_trading,"
                        "account_nos\nC900,나신규,900101-1234560,010-9000-9000,001,Y,\n",
                        encoding="utf-8")
    assert ok_json(site, home, "customer", "import", csv_file, "--as", "A0001")["imported"] == 1
    assert ok_json(site, home, "expiring", "--within", "2000", "--as", "M001")["items"]
    exported = ok_json(site, home, "expiring", "--within", "2000", "--csv", tmp_path / "exp.csv",
                       "--as", "M001")
    assert exported["rows"] >= 1 and (tmp_path / "exp.csv").exists()  # on the terminal

    made = ok_json(site, home, "request", "revoke", "--customer", "C001", "--channel", "web",
                   "--reason", "customer_request", "--as", "T001")
    assert ok_json(site, home, "request", "show", made["request_id"], "--as", "T001")["id"] \
        == made["request_id"]
    assert made["request_id"] in [r["request_id"] for r in
                                  ok_json(site, home, "requests", "--as", "T001")["items"]]
    assert ok_json(site, home, "withdraw", made["request_id"], "--as", "T001")["status"] \
        == "withdrawn"
    again = ok_json(site, home, "request", "revoke", "--customer", "C001", "--channel", "web",
                    "--reason", "customer_request", "--as", "T001")
    assert ok_json(site, home, "reject", again["request_id"], "--note", "서류 미비",
                   "--as", "M001")["status"] == "rejected"

    now = datetime.now(UTC).replace(microsecond=0)  # a real store: its own clock
    granted = ok_json(site, home, "delegate", "grant", "--to", "T002",
                      "--from", (now - timedelta(hours=1)).isoformat(),
                      "--until", (now + timedelta(days=1)).isoformat(), "--as", "M001")
    assert granted["id"] in [d["id"] for d in
                             ok_json(site, home, "delegate", "list", "--as", "M001")["items"]]
    assert ok_json(site, home, "delegate", "end", granted["id"], "--as", "M001")["ended_at"]

    assert ok_json(site, home, "audit", "list", "--as", "AU01", "--limit", "5")["items"]
    month = ok_json(site, home, "audit", "list", "--as", "AU01", "--limit", "1")["items"][0]["at"][:7]
    assert "items" in ok_json(site, home, "audit", "access-log", "--month", month, "--as", "AU01")
    anchors = tmp_path / "anchors.txt"
    ok_json(site, home, "audit", "anchor", "--out", anchors, "--as", "AU01")
    signed = ok_json(site, home, "audit", "sign-off", "--month", month, "--anchor-out", anchors,
                     "--as", "AU01")
    assert signed["anchor_file"] == str(anchors)
    verdict = ok_json(site, home, "audit", "verify", "--anchors", anchors, "--as", "AU01")
    assert verdict["verdict"] == "intact" and verdict["anchors_checked"] == 2

    assert ok_json(site, home, "policy", "show", "--as", "A0001")["items"]
    assert "items" in ok_json(site, home, "policy", "pending", "--as", "A0001")
    assert "credentials_expired" in ok_json(site, home, "expire", "--as", "A0001")
    assert len(ok_json(site, home, "matrix", "--as", "T001")["items"]) == 17


def test_bytes_that_are_not_utf8_are_refused_naming_their_field(site, tmp_path):
    """Undecodable bytes on the command line or as the password (Python reads them as lone
    surrogates) reach the server escaped and are refused as in embedded mode, naming the
    field; a password of them is a wrong password."""
    home, bad = tmp_path / "terminal", "\udcff"
    doc = cli(site, home, "customer", "search", bad, "--as", "T001")
    assert doc["exit"] != 0 and "error: INVALID_INPUT: query:" in doc["stderr"]
    doc = cli(site, home, "customer", "search", "홍", "--as", bad)
    assert doc["exit"] != 0 and "error: INVALID_INPUT: employee_no:" in doc["stderr"]
    doc = cli(site, home, "customer", "search", "홍", "--as", "T201", password=bad)
    assert doc["exit"] != 0 and "error: AUTH_FAILED:" in doc["stderr"]
