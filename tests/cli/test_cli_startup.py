"""A command loads only what it uses: `customer show` and `customer search` load no migrations
(Alembic), no UI (Textual), no demo generator, no ORM and (on a SQLite store) no PostgreSQL
dialect; help and usage errors load no database at all.
Checked in a fresh interpreter (sys.modules after the command ran), since the test process itself
has imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from helpers import cli_probe

# Runs the CLI in-process with the given arguments, then prints the loaded modules as JSON.
_PROBE = """
import gc, json, sys
from staff_console.cli import main
sys.argv = ["staff-console", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stdout.flush()
print("\\n@@modules " + json.dumps({"exit": code, "modules": sorted(sys.modules),
                                   "frozen": gc.get_freeze_count()}))
"""

NEVER_FOR_A_CUSTOMER = ("alembic", "textual", "textual_plotext", "staff_console.app",
                        "staff_console.screens", "staff_console.widgets",
                        "staff_console.demo.load", "staff_console.store.migrate",
                        # Core statements on a Connection; a SQLite store's dialect only
                        "sqlalchemy.orm", "sqlmodel", "sqlalchemy.dialects.postgresql",
                        "psycopg",
                        # nothing to encrypt or decrypt: AES-GCM is made on first use
                        "cryptography")


def _probe(cli, *args) -> dict:
    env = {**os.environ, **{k: v for k, v in cli.env.items() if v is not None}}
    for key, value in cli.env.items():
        if value is None:
            env.pop(key, None)
    proc = subprocess.run([sys.executable, "-c", _PROBE, *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)
    marker = proc.stdout.rindex("@@modules ")
    return json.loads(proc.stdout[marker + len("@@modules "):])


def _loaded(cli, *args) -> tuple[int, set[str]]:
    doc = _probe(cli, *args)
    return doc["exit"], set(doc["modules"])


def _offending(modules: set[str], prefixes) -> list[str]:
    return sorted(m for m in modules
                  if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args", [
    ["customer", "show", "C001", "--as", "T001"],
    ["customer", "show", "C001", "--as", "T001", "--json"],
    ["customer", "search", "홍", "--as", "T001"],
])
def test_reading_a_customer_loads_no_migrations_ui_or_demo(cli, args):
    code, modules = _loaded(cli, *args)
    assert code == 0
    # the probe did run the command (the facade imports only the use case it calls)
    use_case = "customer_search" if "search" in args else "customer_view"
    assert f"staff_console.services.{use_case}" in modules
    assert _offending(modules, NEVER_FOR_A_CUSTOMER) == []


def test_help_and_usage_errors_load_no_database(cli):
    heavy = ("sqlalchemy", "sqlmodel", "alembic", "textual", "argon2", "staff_console.services",
             "staff_console.store")
    for args in (["--help"], ["approve", "abc"], ["customer", "search", "--help"]):
        code, modules = _loaded(cli, *args)
        assert code in (0, 2), args
        assert _offending(modules, heavy) == [], args


def test_the_entry_point_spares_the_exit_a_collection_of_everything_loaded(cli):
    # main() freezes what is loaded, so the interpreter's exit does not walk it (~0.17 s).
    doc = _probe(cli, "customer", "show", "C001", "--as", "T001")
    assert doc["exit"] == 0 and doc["frozen"] > 10_000


def test_the_cli_spells_the_services_constants_alike():
    # Spelled out in the CLI so that a client loads no services: the same values.
    from staff_console.cli._help import IMPORT_HEADER_HELP
    from staff_console.cli.audit import AUDIT_PAGE_MAX
    from staff_console.cli.customers import SEARCH_PAGE_MAX
    from staff_console.services.audit_trail import MAX_AUDIT_PAGE
    from staff_console.services.customer_import import IMPORT_HEADER
    from staff_console.services.customer_search import MAX_PAGE

    assert IMPORT_HEADER_HELP == ",".join(IMPORT_HEADER)
    assert SEARCH_PAGE_MAX == MAX_PAGE
    assert AUDIT_PAGE_MAX == MAX_AUDIT_PAGE


def test_an_embedded_sign_in_uses_the_verification_started_early(cli, monkeypatch):
    # The facade's sign-in (LocalConsole -> services) takes the result of the argon2
    # verification the command started on a second core: one verification, on that thread.
    from staff_console.services import passwords

    threads: list[str] = []
    verify = passwords._verify

    def counted(stored_hash, password):
        threads.append(threading.current_thread().name)
        return verify(stored_hash, password)

    monkeypatch.setattr(passwords, "_verify", counted)
    cli.ok("customer", "show", "C001", "--as", "T001")
    assert threads == ["sign-in-verify"]


# The entry point with start_verification and the verification counted: what was loaded when
# it started, and on which threads the argon2 verifications ran.
_EARLY_PROBE = """
import sys, threading
from staff_console.services import passwords
starts, verifications = [], []
start, verify = passwords.start_verification, passwords._verify
def counted_start(*args, **kwargs):
    starts.append(sorted(m for m in ("typer._adapters", "pydantic", "sqlalchemy",
                                     "staff_console.settings_sources") if m in sys.modules))
    return start(*args, **kwargs)
def counted_verify(stored, password):
    verifications.append(threading.current_thread().name)
    return verify(stored, password)
passwords.start_verification, passwords._verify = counted_start, counted_verify
REPORT = {"starts": starts, "verifications": verifications}
"""


def _early(cli, *args, env: dict | None = None) -> dict:
    merged = {**os.environ, **{k: v for k, v in cli.env.items() if v is not None}, **(env or {})}
    for key, value in cli.env.items():
        if value is None:
            merged.pop(key, None)
    return cli_probe(_EARLY_PROBE, [str(a) for a in args], merged)


@pytest.mark.parametrize("who", ["T001", "NOBODY1"])
def test_the_entry_point_starts_the_verification_before_the_heavy_imports(cli, who):
    # Started before Typer builds its pydantic adapters, the settings model and SQLAlchemy
    # load, and used by the sign-in: one verification, on that thread, for a known member
    # and (against the dummy hash, as long) for an unknown one.
    doc = _early(cli, "customer", "show", "C001", "--json", "--as", who)
    assert doc["exit"] == (0 if who == "T001" else 4)
    assert doc["starts"][0] == []
    assert doc["verifications"] == ["sign-in-verify"]


def test_the_early_start_changes_no_refusal(cli):
    # A bad setting is still refused (the early read validated nothing), and a client starts
    # nothing (its server verifies).
    doc = _early(cli, "customer", "show", "C001", "--as", "T001",
                 env={"STAFF_CONSOLE_ARGON2_TIME_COST": "abc"})
    assert doc["exit"] == 2
    doc = _early(cli, "customer", "show", "C001", "--as", "T001",
                 env={"STAFF_CONSOLE_SERVER": "http://127.0.0.1:9", "STAFF_CONSOLE_DB": "",
                      "STAFF_CONSOLE_NOW": ""})
    assert doc["starts"] == [] and doc["verifications"] == []
