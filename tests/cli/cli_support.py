"""Driving `staff-console` in-process through Typer's CliRunner against a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import ADMIN, BRANCHES, CUSTOMERS_CSV, NOW, PASSWORD, STAFF
from typer.testing import CliRunner, Result

from staff_console.cli import app

__all__ = ["CUSTOMERS_CSV", "NOW", "PASSWORD", "STAFF", "SECRETS", "Cli", "build_world"]

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
    """The test world of tests/helpers.py (its ADMIN, BRANCHES, STAFF and customers), built
    through the CLI: the same world the services' `build_world` makes. A training store (the
    tests run on a fixed clock, which only a training store accepts);
    `training=False` with the fixed clock unset: a real store on the real clock."""
    admin = ADMIN[0]
    cli.ok("db", "init", *(["--training"] if training else []), "--admin", admin)
    for code, name in BRANCHES:
        cli.ok("branch", "add", code, name, "--as", admin)
    for no, name, branch, role in STAFF:
        cli.ok("staff", "add", "--employee-no", no, "--name", name, "--branch", branch,
               "--role", role, "--as", admin)
    csv_file = cli.root / "customers.csv"
    csv_file.write_text(CUSTOMERS_CSV, encoding="utf-8")
    cli.ok("customer", "import", csv_file, "--as", admin)
