"""The list views read a fixed number of statements whatever their length (no N+1): the
approvals box, my requests, the expiring list, the staff list and the delegations list of 200
rows run as many statements as the same lists of a few rows, and only a handful in all.

Counted with the engine's `before_cursor_execute` event, which every statement fires (one way
to the database: nothing runs on the driver's cursor behind SQLAlchemy's back)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from staff_console.services import staff as staff_service
from staff_console.services.delegations import list_delegations
from staff_console.services.expiry import list_expiring
from staff_console.services.requests import list_approvals, list_my_requests
from staff_console.store.credentials import CREDENTIAL, VERIFICATION
from staff_console.store.customers import CUSTOMER
from staff_console.store.requests import REQUEST
from staff_console.store.staff import DELEGATION, STAFF

STATEMENTS: dict[str, list[str]] = {}  # the last count's statements, for a failure's message
# The standing, the delegation windows, the list, the evidence; the access event (SQLite: the
# chained append; PostgreSQL: the outbox insert, then the seal after the commit).
MOST = 10


@contextmanager
def _counting(engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _add_rows(world, start: int, stop: int) -> None:
    """Customers `start`..`stop`-1 of branch 001, each with a pending MTS registration (three
    pieces of evidence) and an active web credential expiring soon under a pending revocation
    made by the teller; a teller of 001 per row, each a delegate of the manager."""
    now = world.clock.now()
    today = now.date()
    with world.backend.store.engine.begin() as conn:
        for n in range(start, stop):
            no = f"L{n:05d}"
            customer_id = conn.execute(sa.insert(CUSTOMER).returning(CUSTOMER.c.id), dict(
                customer_no=no, name=f"고객{n:05d}", name_chosung="ㄱㄱ", id_hash=f"{n:064x}",
                id_cipher="x", id_masked="900101-1******", birth_yymmdd="900101",
                customer_type="individual", nationality="domestic", phone="010-0000-0000",
                phone_digits="01000000000", phone_last4="0000", online_trading=True,
                branch_code="001", created_at=now)).scalar_one()
            pending = conn.execute(sa.insert(CREDENTIAL).returning(CREDENTIAL.c.id), dict(
                customer_id=customer_id, channel="mts", status="pending", device_id=f"d{n}",
                biometrics="none", methods="pin", created_at=now, failed_logins=0)).scalar_one()
            active = conn.execute(sa.insert(CREDENTIAL).returning(CREDENTIAL.c.id), dict(
                customer_id=customer_id, channel="web", status="active", device_id=f"w{n}",
                biometrics="none", methods="pin", created_at=now, activated_at=now,
                valid_until=today + timedelta(days=1 + n % 20), failed_logins=0)).scalar_one()
            registration = conn.execute(sa.insert(REQUEST).returning(REQUEST.c.id), dict(
                kind="registration", customer_id=customer_id, channel="mts",
                credential_id=pending, branch_code="001", origin="channel", status="pending",
                created_at=now, expires_at=now + timedelta(days=3))).scalar_one()
            conn.execute(sa.insert(VERIFICATION), [
                dict(request_id=registration, kind=kind, passed=True, verified_at=now,
                     detail="-") for kind in ("id_card", "one_won", "phone")])
            conn.execute(sa.insert(REQUEST), dict(
                kind="revocation", customer_id=customer_id, channel="web", credential_id=active,
                branch_code="001", origin="branch", maker_staff_id=world.teller.staff_id,
                status="pending", reason="customer_request", created_at=now,
                expires_at=now + timedelta(days=3)))
            staff_id = conn.execute(sa.insert(STAFF).returning(STAFF.c.id), dict(
                employee_no=f"L{n:05d}", name=f"직원{n}", branch_code="001", role="teller",
                password_hash="x", failed_sign_ins=0, active=True, created_at=now)).scalar_one()
            conn.execute(sa.insert(DELEGATION), dict(
                branch_code="001", grantor_id=world.manager.staff_id, delegate_id=staff_id,
                valid_from=now + timedelta(days=n + 1), valid_until=now + timedelta(days=n + 2),
                created_at=now))


def _lists(world):
    b, c = world.backend, world.clock
    return {
        "approvals": lambda: list_approvals(b, world.manager, clock=c),
        "my requests": lambda: list_my_requests(b, world.teller, clock=c),
        "expiring": lambda: list_expiring(b, world.manager, within_days=30, clock=c),
        "staff": lambda: staff_service.list_staff(b, world.manager, clock=c),
        "delegations": lambda: list_delegations(b, world.manager, clock=c),
    }


def _statements_and_lengths(world) -> dict[str, tuple[int, int]]:
    found = {}
    for name, call in _lists(world).items():
        call()  # once first: the same warm state (prepared statements, caches) both times
        with _counting(world.backend.store.engine) as statements:
            rows = call()
        STATEMENTS[name] = [x[:90] for x in statements]
        found[name] = (len(statements), len(rows))
    return found


def test_a_list_of_200_rows_is_as_many_statements_as_a_list_of_3(world):
    _add_rows(world, 0, 3)
    few = _statements_and_lengths(world)
    _add_rows(world, 3, 220)
    many = _statements_and_lengths(world)
    assert many["approvals"][1] == 200 and many["my requests"][1] == 100
    assert many["expiring"][1] == 220 and many["staff"][1] >= 220
    assert many["delegations"][1] == 220
    for name in few:
        assert many[name][0] == few[name][0], (name, few[name], many[name])
        assert many[name][0] <= MOST, (name, many[name], STATEMENTS[name])


def test_the_views_of_a_long_list_carry_what_the_per_row_reads_gave(world):
    _add_rows(world, 0, 5)
    approvals = list_approvals(world.backend, world.manager, clock=world.clock)
    registrations = [v for v in approvals if v.kind == "registration"]
    revocations = [v for v in approvals if v.kind == "revocation"]
    assert len(registrations) == len(revocations) == 5
    assert all([e.kind for e in v.evidence] == ["id_card", "one_won", "phone"]
               for v in registrations)
    assert all(v.evidence == [] and v.maker == "T001" and v.maker_name == "이창구"
               and v.credential.status == "active" for v in revocations)
    assert all(v.customer_name.startswith("고객") and v.credential.id == v.credential_id
               for v in approvals)
    mine = list_my_requests(world.backend, world.teller, clock=world.clock)
    assert {v.id for v in mine} == {v.id for v in revocations}


def test_the_statements_are_compiled_once(world, caplog):
    # SQLAlchemy's compiled cache (issue 13: no private execution path, caching stays on): the
    # engine's log says "[cached since ...]" for a statement found there, "[generated in ...]"
    # for one compiled now, "[raw sql]" for PostgreSQL's own (exec_driver_sql).
    _add_rows(world, 0, 3)
    for call in _lists(world).values():
        call()
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine.Engine")
    for call in _lists(world).values():
        call()
    compiled = [r.getMessage() for r in caplog.records if r.getMessage().startswith("[")]
    assert compiled and not [m for m in compiled if m.startswith("[generated")], compiled
