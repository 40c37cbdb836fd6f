"""Driving `staff-console` in-process through Typer's CliRunner against a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from staff_console.cli import app

PASSWORD = "Branch-Desk-2417"  # passes the staff password rule (not a common password)
NOW = "2026-11-24T10:00:00+09:00"

CUSTOMERS_CSV = """customer_no,name,id_number,phone,branch_code,online_trading,account_nos
C001,홍길동,900101-1234567,010-1234-5678,001,Y,12345678901;12345678902
C002,김철수,850315-1234567,010-2222-3333,001,Y,22345678901
C003,이영희,040229-4234567,010-3333-4444,002,Y,
C004,Smith John,900101-5234567,010-4444-5555,001,Y,32345678901
C005,주식회사 한빛,123-45-67890,010-5555-6666,001,Y,42345678901
C006,박민수,770707-1234567,010-6666-7777,001,N,52345678901
C007,홍길순,910202-2234567,010-7777-5678,002,Y,62345678901
"""

STAFF = [
    ("M001", "김지점", "001", "manager"),
    ("T001", "이창구", "001", "teller"),
    ("T002", "박창구", "001", "teller"),
    ("AU01", "최감사", "HQ", "auditor"),
    ("M002", "정지점", "002", "manager"),
    ("T201", "한창구", "002", "teller"),
]

# What must never reach the screen: full ID numbers, phones (middle digits), the password.
# (C001's phone is also the format example in error messages, so it is not on this list.)
SECRETS = ["900101-1234567", "9001011234567", "850315-1234567", "123-45-67890", "2222-3333",
           "3333-4444", "6666-7777", PASSWORD]


class Cli:
    """One store (a SQLite file under `root`) and the environment every invocation gets."""

    def __init__(self, root: Path, *, now: str = NOW) -> None:
        self.root = root
        self.home = root / "home"
        self.db_path = root / "data" / "store.sqlite3"
        self.env: dict[str, str | None] = {
            "STAFF_CONSOLE_HOME": str(self.home),
            "STAFF_CONSOLE_DB": f"sqlite:///{self.db_path}",
            "STAFF_CONSOLE_NOW": now,
            "STAFF_CONSOLE_PASSWORD": PASSWORD,
            "STAFF_CONSOLE_NEW_PASSWORD": PASSWORD,
            "STAFF_CONSOLE_ARGON2_TIME_COST": "5",
            "STAFF_CONSOLE_ARGON2_MEMORY_KIB": "7168",
            "STAFF_CONSOLE_KEY": None,
            "STAFF_CONSOLE_REQUEST_EXPIRY_DAYS": None,
            "STAFF_CONSOLE_IDLE_MINUTES": None,
            "COLUMNS": "200",
            # Refusals in English (the CLI's language follows the locale): the tests read them.
            "STAFF_CONSOLE_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8",
        }
        self.runner = CliRunner()

    def run(self, *args, input: str | None = None, env: dict | None = None) -> Result:
        result = self.runner.invoke(app, [str(a) for a in args], input=input,
                                    env={**self.env, **(env or {})})
        for secret in SECRETS:
            assert secret not in result.output, f"{secret!r} printed by {args}"
        assert "Traceback" not in result.output, result.output
        return result

    def ok(self, *args, **kwargs) -> Result:
        result = self.run(*args, **kwargs)
        assert result.exit_code == 0, (args, result.exit_code, result.output)
        return result

    def json(self, *args, **kwargs):
        result = self.ok(*args, "--json", **kwargs)
        return json.loads(result.stdout)

    def fail(self, exit_code: int, code: str, *args, **kwargs) -> Result:
        """Run with --json; expect the exit code, `error: CODE:` on stderr and the JSON error."""
        result = self.run(*args, "--json", **kwargs)
        assert result.exit_code == exit_code, (args, result.exit_code, result.output)
        assert f"error: {code}:" in result.stderr, result.output
        doc = json.loads(result.stdout)
        assert doc["error"]["code"] == code, doc
        return result

    # ------------------------------------------------------------ shortcuts

    def register(self, customer="C001", channel="mts", device="dev-1", *extra) -> dict:
        methods = "pin,pattern" if channel == "mts" else "pin"
        return self.json("intake", "register", "--customer", customer, "--channel", channel,
                         "--device-id", device, "--methods", methods,
                         "--verified", "id_card,one_won,phone", *extra)

    def registered(self, customer="C001", channel="mts", device="dev-1", manager="M001") -> dict:
        """Registered and approved: the request view of the approval."""
        intake = self.register(customer, channel, device)
        return self.json("approve", intake["request_id"], "--as", manager)

    def events(self, **filters) -> list[dict]:
        args = ["audit", "list", "--as", "AU01", "--limit", "500"]
        for key, value in filters.items():
            args += [f"--{key}", value]
        return self.json(*args)["items"]


def build_world(cli: Cli, *, training: bool = True) -> None:
    """Schema, the first admin, branches 001/002, six staff, seven customers: all through the CLI.
    A training store (the tests run on a fixed clock, which only a training store accepts);
    `training=False` with the fixed clock unset: a real store on the real clock."""
    cli.ok("db", "init", *(["--training"] if training else []), "--admin", "A0001")
    cli.ok("branch", "add", "001", "강남지점", "--as", "A0001")
    cli.ok("branch", "add", "002", "여의도지점", "--as", "A0001")
    for no, name, branch, role in STAFF:
        cli.ok("staff", "add", "--employee-no", no, "--name", name, "--branch", branch,
               "--role", role, "--as", "A0001")
    csv_file = cli.root / "customers.csv"
    csv_file.write_text(CUSTOMERS_CSV, encoding="utf-8")
    cli.ok("customer", "import", csv_file, "--as", "A0001")
