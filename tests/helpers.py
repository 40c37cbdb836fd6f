"""Test helpers importable from any test module (`from helpers import ...`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from staff_console.domain.authority import Actor
from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.services.backend import Backend

TEST_KEY = bytes(range(32))
PASSWORD = "password123"
NOW = "2026-11-24T10:00:00+09:00"
CHEAP_ARGON2 = {"password_time_cost": 1, "password_memory_kib": 8192}


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
