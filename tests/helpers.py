"""Test helpers importable from any test module (`from helpers import ...`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from staff_console.domain.authority import Actor
from staff_console.domain.clock import FixedClock, parse_instant
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

    def at(self, iso: str) -> FixedClock:
        self.clock.instant = parse_instant(iso)
        return self.clock


def register(world: World, customer_no="C001", channel="mts", device_id="dev-1", **kwargs):
    from staff_console.services.intake import register_from_channel

    params = {"methods": "pin,pattern" if channel == "mts" else "pin",
              "verified": "id_card,one_won,phone"}
    params.update(kwargs)
    return register_from_channel(world.backend, customer_no=customer_no, channel=channel,
                                 device_id=device_id, clock=world.clock, **params)


def utc(iso: str) -> datetime:
    return parse_instant(iso)
