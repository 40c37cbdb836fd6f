"""Test helpers importable from any test module (`from helpers import ...`).

The one test world: ADMIN, BRANCHES, STAFF and CUSTOMERS_CSV say what it holds, `build_world`
builds it through the services (the `world` fixture, the stateful test's template, the server
tests); the CLI tests build the same world through the CLI (tests/cli/cli_support.py), from these
same definitions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from staff_console.domain.authority import Actor
from staff_console.domain.clock import Clock, FixedClock, parse_instant
from staff_console.services.backend import Backend

TEST_KEY = bytes(range(32))
PASSWORD = "Branch-Desk-2417"  # passes the staff password rule (not a common password)
NOW = "2026-11-24T10:00:00+09:00"
CHEAP_ARGON2 = {"password_time_cost": 1, "password_memory_kib": 8192}

CUSTOMERS_CSV = """customer_no,name,id_number,phone,branch_code,online_trading,account_nos
C001,홍길동,900101-1234567,010-1234-5678,001,Y,12345678901;12345678902
C002,김철수,850315-1234567,010-2222-3333,001,Y,22345678901
C003,이영희,040229-4234567,010-3333-4444,002,Y,
C004,Smith John,900101-5234567,010-4444-5555,001,Y,32345678901
C005,주식회사 한빛,123-45-67890,010-5555-6666,001,Y,42345678901
C006,박민수,770707-1234567,010-6666-7777,001,N,52345678901
C007,홍길순,910202-2234567,010-7777-5678,002,Y,62345678901
"""

ADMIN = ("A0001", "관리자", "HQ", "본사")  # employee no, name, branch code, branch name
BRANCHES = [("001", "강남지점"), ("002", "여의도지점")]
STAFF = [  # employee no, name, branch, role
    ("M001", "김지점", "001", "manager"),
    ("T001", "이창구", "001", "teller"),
    ("T002", "박창구", "001", "teller"),
    ("AU01", "최감사", "HQ", "auditor"),
    ("M002", "정지점", "002", "manager"),
    ("T201", "한창구", "002", "teller"),
]


@dataclass
class World:
    backend: Backend
    clock: FixedClock
    admin: Actor
    manager: Actor  # 지점장 of 001
    teller: Actor  # 001
    teller2: Actor  # 001
    auditor: Actor
    manager2: Actor  # 지점장 of 002
    teller_b: Actor  # 002

    @property
    def actors(self) -> dict[str, Actor]:
        """Everyone signed in, by employee number."""
        return {a.employee_no: a for a in (self.admin, self.manager, self.teller, self.teller2,
                                           self.auditor, self.manager2, self.teller_b)}

    def at(self, iso: str) -> FixedClock:
        self.clock.instant = parse_instant(iso)
        return self.clock


def build_world(backend: Backend, clock: FixedClock | Clock) -> World:
    """ADMIN, BRANCHES, STAFF and the CUSTOMERS_CSV customers, through the services, on a
    migrated empty store; everyone signed in. (The live server's world runs on its store's own
    clock: then `World.at` is not for it.)"""
    from staff_console.services import staff as staff_service
    from staff_console.services.customer_import import import_customers

    def sign_in(employee_no: str) -> Actor:
        return staff_service.authenticate(backend, employee_no, PASSWORD, clock=clock)

    admin_no, admin_name, hq, hq_name = ADMIN
    staff_service.bootstrap_admin(backend, employee_no=admin_no, name=admin_name,
                                  branch_code=hq, branch_name=hq_name, password=PASSWORD,
                                  clock=clock)
    admin = sign_in(admin_no)
    for code, name in BRANCHES:
        staff_service.add_branch(backend, admin, code, name, clock=clock)
    for no, name, branch, role in STAFF:
        staff_service.add_staff(backend, admin, employee_no=no, name=name, branch_code=branch,
                                role=role, password=PASSWORD, clock=clock)
    import_customers(backend, admin, CUSTOMERS_CSV, clock=clock)
    return World(
        backend=backend, clock=clock, admin=admin, manager=sign_in("M001"),
        teller=sign_in("T001"), teller2=sign_in("T002"), auditor=sign_in("AU01"),
        manager2=sign_in("M002"), teller_b=sign_in("T201"),
    )


def register(world: World, customer_no="C001", channel="mts", device_id="dev-1", **kwargs):
    from staff_console.services.intake import register_from_channel

    params = {"methods": "pin,pattern" if channel == "mts" else "pin",
              "verified": "id_card,one_won,phone"}
    params.update(kwargs)
    return register_from_channel(world.backend, customer_no=customer_no, channel=channel,
                                 device_id=device_id, clock=world.clock, **params)


def utc(iso: str) -> datetime:
    return parse_instant(iso)


# The CLI's entry point run after a probe's `setup`, which defines REPORT (a dict it fills
# while the command runs; a value that is a function is called when the command has ended);
# the last line printed is the exit code and REPORT, as JSON.
_PROBE_RUN = """
import json as _json, sys as _sys
from staff_console.cli import main
_sys.argv = ["staff-console", *_sys.argv[1:]]
_code = 0
try:
    main()
except SystemExit as exc:
    _code = exc.code
_sys.stdout.flush()
print("\\n@@probe " + _json.dumps({"exit": _code, **{k: v() if callable(v) else v
                                                    for k, v in REPORT.items()}}))
"""


def cli_probe(setup: str, args: list[str], env: Mapping[str, str]) -> dict:
    """`staff-console *args` in a new process with `env`, after `setup` (Python that patches
    what it watches and defines REPORT): {"exit": the exit code, **REPORT, "stdout": what the
    command printed, "stderr": ...}."""
    proc = subprocess.run([sys.executable, "-c", setup + _PROBE_RUN, *args], env=dict(env),
                          capture_output=True, text=True, timeout=120)
    marker = proc.stdout.rfind("@@probe ")
    assert marker >= 0, proc.stderr
    doc = json.loads(proc.stdout[marker + len("@@probe "):])
    doc["stdout"], doc["stderr"] = proc.stdout[:marker], proc.stderr
    return doc
