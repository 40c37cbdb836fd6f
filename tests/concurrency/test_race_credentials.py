"""Never two current credentials for one customer and channel, whatever the interleaving:
approvals of registrations race revocations, logins and new intakes; and the partial unique
index `uq_credential_current` refuses a second current row by itself (raw SQL, and a race that
deliberately skips the customer lock)."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import register
from race_helpers import (
    ROUNDS,
    assert_store_consistent,
    codes,
    race,
    rows,
    scalar,
    terminals_fixture,  # noqa: F401 (the `terminals` fixture)
    unexpected,
)
from sqlalchemy.exc import IntegrityError

from staff_console.services import lifecycle
from staff_console.services.delegations import grant_delegation
from staff_console.services.intake import record_login
from staff_console.services.requests import (
    approve_request,
    reject_request,
    request_revocation,
)
from staff_console.store import credentials as credential_store
from staff_console.store.engine import Tx


def _current(engine, customer_no="C001", channel="mts") -> list[tuple]:
    return rows(engine, """
        SELECT c.id, c.status, c.device_id FROM credential c
        JOIN customer u ON u.id = c.customer_id
        WHERE u.customer_no = :no AND c.channel = :ch AND c.status IN ('active', 'locked')""",
                no=customer_no, ch=channel)


def _pending_ids(engine, customer_no="C001") -> list[int]:
    return [r[0] for r in rows(engine, """
        SELECT r.id FROM request r JOIN customer u ON u.id = r.customer_id
        WHERE u.customer_no = :no AND r.status = 'pending' ORDER BY r.id""", no=customer_no)]


def test_registration_approvals_race_revocations_and_logins(world, terminals):
    b, clock = world.backend, world.clock
    engine = b.store.engine
    now = clock.now()
    grant_delegation(b, world.manager, delegate_employee_no="T002",
                     valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=1),
                     clock=clock)
    first = register(world, device_id="dev-start")
    approve_request(b, world.manager, first.request_id, clock=clock)
    backs = terminals(7)
    device = "dev-start"
    for r in range(ROUNDS):
        reg = register(world, device_id=f"dev-{r}")
        rev = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                                 reason="customer_request", clock=clock)
        reg_id, rev_id = reg.request_id, rev.id
        calls = [
            lambda i=reg_id: approve_request(backs[0], world.manager, i, clock=clock),
            lambda i=rev_id: approve_request(backs[1], world.teller2, i, clock=clock),
            lambda d=device: record_login(backs[2], customer_no="C001", channel="mts",
                                          device_id=d, result="ok", clock=clock),
            lambda d=device: record_login(backs[3], customer_no="C001", channel="mts",
                                          device_id=d, result="fail", clock=clock),
            lambda d=device: record_login(backs[4], customer_no="C001", channel="mts",
                                          device_id=d, result="ok", clock=clock),
            lambda dev=f"dev-{r}-late": register(dataclasses.replace(world, backend=backs[5]),
                                                 device_id=dev),
            lambda dev=f"web-{r}": register(dataclasses.replace(world, backend=backs[6]),
                                            channel="web", device_id=dev),
        ]
        out = race(calls)
        # The revocation approval loses to the registration approval either way: its
        # credential was replaced, which closes the pending revocation (ALREADY_DECIDED), or it
        # is found no longer current (NOT_REGISTERED). Logins on the replaced device and a
        # second intake are refused.
        assert unexpected(out, {"NOT_REGISTERED", "DUPLICATE_PENDING", "ALREADY_DECIDED"}) \
            == [], [repr(o.error) for o in out if not o.ok]
        assert out[0].ok  # the registration approval always succeeds
        current = _current(engine)
        assert len(current) == 1 and current[0][2] == f"dev-{r}", current
        assert len(_current(engine, channel="web")) <= 1
        # Clean up what is still pending (a late intake, a revocation that lost) for the next
        # round, then check the invariants.
        for pending in _pending_ids(engine):
            reject_request(b, world.manager, pending, note="cleanup", clock=clock)
        device = f"dev-{r}"
        assert_store_consistent(b)


def _raw_insert_current(conn, customer_id: int, status: str, device: str):
    conn.execute(sa.text("""
        INSERT INTO credential (customer_id, channel, status, device_id, biometrics, methods,
                                created_at, failed_logins)
        VALUES (:c, 'mts', :s, :d, 'none', 'pin', :t, 0)"""),
        {"c": customer_id, "s": status, "d": device, "t": "2026-11-24 01:00:00"})


@pytest.mark.parametrize("status", ["active", "locked"])
def test_index_itself_refuses_a_second_current_credential(world, status):
    """Plain SQL, no service code: the database refuses a second current row."""
    b = world.backend
    engine = b.store.engine
    approve_request(b, world.manager, register(world).request_id, clock=world.clock)
    customer_id = scalar(engine, "SELECT id FROM customer WHERE customer_no = 'C001'")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _raw_insert_current(conn, customer_id, status, "raw-1")
    # A pending row is fine, but turning it current is refused too.
    with engine.begin() as conn:
        _raw_insert_current(conn, customer_id, "pending", "raw-2")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE credential SET status = :s WHERE device_id = 'raw-2'"),
                     {"s": status})
    # The other channel and other customers are independent.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE credential SET channel = 'web', status = :s "
                             "WHERE device_id = 'raw-2'"), {"s": status})
    assert len(_current(engine)) == 1


def test_index_itself_refuses_a_second_pending_request(world):
    b = world.backend
    engine = b.store.engine
    intake = register(world)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("""
            INSERT INTO request (kind, customer_id, channel, credential_id, branch_code, origin,
                                 status, created_at, expires_at)
            SELECT kind, customer_id, channel, credential_id, branch_code, origin, 'pending',
                   created_at, expires_at FROM request WHERE id = :i"""), {"i": intake.request_id})
    assert scalar(engine, "SELECT count(*) FROM request WHERE status = 'pending'") == 1


def test_activation_without_the_customer_lock_is_still_refused_by_the_index(world, terminals):
    """Two transactions activate two pending credentials of one customer and channel and
    deliberately skip the customer-row lock. The index decides: on PostgreSQL the later one
    fails with a unique violation; on SQLite (one writer at a time) the later one replaces the
    earlier. Never two current."""
    b, clock = world.backend, world.clock
    engine = b.store.engine
    customer_id = scalar(engine, "SELECT id FROM customer WHERE customer_no = 'C001'")
    backs = terminals(2)
    refused = 0
    for r in range(ROUNDS // 2):
        with engine.begin() as conn:
            for t in range(2):
                _raw_insert_current(conn, customer_id, "pending", f"lockless-{r}-{t}")
        ids = [scalar(engine, "SELECT id FROM credential WHERE device_id = :d",
                      d=f"lockless-{r}-{t}") for t in range(2)]

        def activate(backend, cred_id):
            def work(s: Tx):
                cred = credential_store.by_id(s, cred_id)
                lifecycle.activate(s, cred, clock.now(), "test", "test", "C001")
                time.sleep(0.05)  # hold the uncommitted activation while the other one runs
            return backend.store.run(work)

        out = race([lambda bk=bk, i=i: activate(bk, i) for bk, i in zip(backs, ids, strict=True)])
        assert unexpected(out, {"IntegrityError"}) == [], [repr(o.error) for o in out]
        for o in out:
            if not o.ok:
                assert "uq_credential_current" in str(o.error) or "credential" in str(o.error)
        refused += sum(not o.ok for o in out)
        assert len(_current(engine)) == 1
        if b.store.is_postgres:
            assert codes(out) == {"ok": 1, "IntegrityError": 1}, codes(out)
        else:
            assert codes(out) == {"ok": 2}
        # The rejected pending one stays pending; end it so the next round starts clean.
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE credential SET status = 'rejected' "
                                 "WHERE status = 'pending'"))
    assert refused == (ROUNDS // 2 if b.store.is_postgres else 0)
