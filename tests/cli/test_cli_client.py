"""Client mode (`--server URL`, STAFF_CONSOLE_SERVER): the CLI is a terminal of a console
server. It holds no database URL and does not keep the clock, refuses the store-holder commands
before anything is asked or opened, and loads no SQLAlchemy, store or service code (checked in
a fresh interpreter: sys.modules after the command ran). The commands against a live server are
in tests/server (the server's own fixture)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template

# What a client never loads: the database, the store, the use cases, migrations, the UI.
NEVER_ON_A_CLIENT = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "argon2", "cryptography",
                     "textual", "staff_console.store", "staff_console.api.local",
                     "staff_console.demo", "staff_console.app", "staff_console.screens")
# staff_console.services.<module>: only these are allowed on a client (plain data, and the
# terminal's own anchor file).
CLIENT_SERVICES = {"staff_console.services", "staff_console.services.views",
                   "staff_console.services.anchors"}

_PROBE = """
import json, sys
from staff_console.cli import main
sys.argv = ["staff-console", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stdout.flush()
print("\\n@@modules " + json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_env(server: str) -> dict[str, str | None]:
    return {"STAFF_CONSOLE_SERVER": server, "STAFF_CONSOLE_DB": None, "STAFF_CONSOLE_NOW": None}


def run_client(home, server: str, *args: str, password: str | None = "x") -> dict:
    """A command in a fresh interpreter as a client of `server`: exit code, loaded modules,
    stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_CONSOLE_")}
    env.update(STAFF_CONSOLE_HOME=str(home), STAFF_CONSOLE_SERVER=server)
    if password is not None:
        env["STAFF_CONSOLE_PASSWORD"] = password
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], env=env, capture_output=True,
                          text=True, timeout=120)
    marker = proc.stdout.rindex("@@modules ")
    doc = json.loads(proc.stdout[marker + len("@@modules "):])
    doc["stdout"], doc["stderr"] = proc.stdout[:marker], proc.stderr
    return doc


def offending(modules) -> list[str]:
    """Modules a client must not have loaded."""
    bad = [m for m in modules
           if any(m == p or m.startswith(p + ".") for p in NEVER_ON_A_CLIENT)]
    bad += [m for m in modules
            if m.startswith("staff_console.services") and m not in CLIENT_SERVICES]
    return sorted(bad)


STORE_HOLDER_COMMANDS = [
    ["db", "init"],
    ["db", "init", "--demo"],
    ["db", "rotate-key", "--as", "A0001"],
    ["intake", "register", "--customer", "C001", "--channel", "mts", "--device-id", "d",
     "--methods", "pin", "--verified", "id_card,one_won,phone"],
    ["intake", "login", "--customer", "C001", "--channel", "mts", "--device-id", "d",
     "--result", "ok"],
]


@pytest.mark.parametrize("args", STORE_HOLDER_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_store_holder_commands_are_refused_on_a_client_before_anything_is_opened(fresh_cli,
                                                                                  args):
    # No password in the environment: a prompt would abort, not answer INVALID_SETTING.
    env = {**client_env("https://console.example.invalid"), "STAFF_CONSOLE_PASSWORD": None}
    result = fresh_cli.fail(2, "INVALID_SETTING", *args, env=env)
    assert json.loads(result.stdout)["error"]["field"] == "server"
    assert "runs where the store is" in result.stderr
    assert not fresh_cli.db_path.exists() and not (fresh_cli.home / "master.key").exists()


def test_a_client_holds_no_database_url_and_no_clock(fresh_cli):
    server = client_env("https://console.example.invalid")
    for name, extra in (("db", {"STAFF_CONSOLE_DB": f"sqlite:///{fresh_cli.db_path}"}),
                        ("now", {"STAFF_CONSOLE_NOW": "2026-11-24T10:00:00+09:00"})):
        result = fresh_cli.fail(2, "INVALID_SETTING", "customer", "show", "C001", "--as", "T001",
                                env={**server, **extra})
        assert json.loads(result.stdout)["error"]["field"] == name
    result = fresh_cli.fail(2, "INVALID_SETTING", "--db", f"sqlite:///{fresh_cli.db_path}",
                            "--server", "https://console.example.invalid", "customer", "show",
                            "C001", "--as", "T001", env={"STAFF_CONSOLE_NOW": None})
    assert json.loads(result.stdout)["error"]["field"] == "db"
    assert not fresh_cli.db_path.exists()


@pytest.mark.parametrize("args", [["matrix"], ["expire"], ["audit", "verify"]])
def test_system_jobs_need_a_person_on_a_client(fresh_cli, args):
    result = fresh_cli.fail(2, "INVALID_INPUT", *args,
                            env=client_env("https://console.example.invalid"))
    assert json.loads(result.stdout)["error"]["field"] == "as"


@pytest.mark.parametrize("args", [
    ["customer", "show", "C001", "--as", "T001", "--json"],
    ["customer", "search", "홍", "--as", "T001"],
    ["approve", "1", "--as", "M001"],
    ["audit", "list", "--as", "AU01"],
])
def test_a_client_without_its_server_loads_no_database_code(tmp_path, args):
    doc = run_client(tmp_path / "home", f"https://127.0.0.1:{_closed_port()}", *args)
    assert doc["exit"] == 1, doc["stderr"]
    assert "error: SERVER_UNAVAILABLE:" in doc["stderr"]
    assert "Traceback" not in doc["stderr"] + doc["stdout"]
    assert "staff_console.cli" in doc["modules"]  # the probe did run the command
    assert offending(doc["modules"]) == []
    assert not (tmp_path / "home" / "staff_console.sqlite3").exists()
