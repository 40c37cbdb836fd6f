"""Helpers for the service tests: refusals with a code, raw reads of the store, snapshots.

Raw SQL is used on purpose: the assertions look at what is really stored, not at what a service
chooses to show.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from helpers import register

from staff_console.domain.errors import ConsoleError
from staff_console.domain.states import CURRENT_VALUES
from staff_console.services.requests import approve_request

TABLES = (
    "branch", "staff", "customer", "account", "credential", "request", "verification",
    "delegation", "audit_event", "audit_head",
)


@contextmanager
def refused(code: str, field: str | None = None):
    """`with refused("FORBIDDEN"): ...` - the block must raise ConsoleError with that code."""
    with pytest.raises(ConsoleError) as info:
        yield info
    assert info.value.code == code, f"expected {code}, got {info.value}"
    if field is not None:
        assert info.value.field == field, f"expected field {field}, got {info.value.field}"


def query(backend, text: str, **params) -> list[dict]:
    with backend.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(text), params)]


def scalar(backend, text: str, **params):
    with backend.store.engine.connect() as conn:
        return conn.execute(sa.text(text), params).scalar_one()


def execute(backend, text: str, **params) -> int:
    with backend.store.engine.begin() as conn:
        return conn.execute(sa.text(text), params).rowcount


def row_counts(backend) -> dict[str, int]:
    with backend.store.engine.connect() as conn:
        return {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar_one() for t in TABLES}


def snapshot(backend) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: equal snapshots mean nothing was written."""
    out = {}
    with backend.store.engine.connect() as conn:
        for t in TABLES:
            rows = conn.exec_driver_sql(f'SELECT * FROM "{t}"').all()
            out[t] = sorted((tuple(r) for r in rows), key=repr)
    return out


def audit_count(backend) -> int:
    return scalar(backend, "SELECT count(*) FROM audit_event")


def events_after(backend, seq: int) -> list[dict]:
    return query(backend, "SELECT * FROM audit_event WHERE seq > :s ORDER BY seq", s=seq)


def last_seq(backend) -> int:
    return scalar(backend, "SELECT coalesce(max(seq), 0) FROM audit_event")


def credential_row(backend, cred_id: int) -> dict:
    return query(backend, "SELECT * FROM credential WHERE id = :i", i=cred_id)[0]


def request_row(backend, req_id: int) -> dict:
    return query(backend, "SELECT * FROM request WHERE id = :i", i=req_id)[0]


def credentials_of(backend, customer_no: str, channel: str | None = None) -> list[dict]:
    sql = ("SELECT cr.* FROM credential cr JOIN customer cu ON cu.id = cr.customer_id "
           "WHERE cu.customer_no = :c")
    if channel:
        sql += " AND cr.channel = :ch"
    return query(backend, sql + " ORDER BY cr.id", c=customer_no, ch=channel)


def current_count(backend, customer_no: str, channel: str) -> int:
    return sum(1 for c in credentials_of(backend, customer_no, channel)
               if c["status"] in CURRENT_VALUES)


def activate(world, customer_no="C001", channel="mts", device_id="dev-1", *, approver=None,
             **kwargs):
    """Register from the channel and approve (by the customer's branch manager by default)."""
    intake = register(world, customer_no, channel, device_id, **kwargs)
    if approver is None:
        approver = world.manager2 if customer_no in ("C003", "C007") else world.manager
    approve_request(world.backend, approver, intake.request_id, clock=world.clock)
    return intake
