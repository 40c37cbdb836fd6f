"""The writes of the load benchmark's mix send few statements, and the fewer statements leave
the same rows and the same trail (issue 13's performance hold: the terminals' CPU follows the
statements each operation sends through SQLAlchemy).

Counted with the engine's `before_cursor_execute` event (every statement fires it), in the
use case's transaction: a decision locks customer, request and credential and reads the
evidence in one statement; on PostgreSQL a registration's credential, request and evidence are
one statement, a decision's change of the request's credential rides the request's update, and
a login's change of the credential rides its single event's outbox insert. On SQLite the same
changes are separate statements, in the same order."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa
from helpers import register
from svc_helpers import credential_row, events_after, last_seq, request_row

from staff_console.services.intake import record_login
from staff_console.services.requests import approve_request, reject_request
from staff_console.store.credentials import VERIFICATION


@contextmanager
def _counting(engine):
    """The statements of the use case's transaction: up to its commit (on PostgreSQL the seal
    that follows is a transaction of its own)."""
    statements: list[str] = []
    committed: list[int] = []

    def count(_conn, _cursor, statement, *_args):
        if not committed:
            statements.append(" ".join(statement.split())[:80])

    def commit(_conn):
        committed.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    sa.event.listen(engine, "commit", commit)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
        sa.event.remove(engine, "commit", commit)


def _pg(world) -> bool:
    return world.backend.store.is_postgres


def test_a_registration_and_its_approval_in_few_statements(world):
    engine = world.backend.store.engine
    with _counting(engine) as intake_statements:
        intake = register(world, "C001", "mts", "dev-1")
    with _counting(engine) as approve_statements:
        view = approve_request(world.backend, world.manager, intake.request_id,
                               clock=world.clock)
    intake_n = len(intake_statements)
    approve_n = len(approve_statements)
    if _pg(world):
        # lock customer; channel state; credential + request + evidence; outbox
        assert intake_n == 4, intake_statements
        # lock customer, request, credential + evidence; current credentials of the channel;
        # credential activated + request decided; outbox
        assert approve_n == 4, approve_statements
    # What the fewer statements wrote: the same rows as before.
    assert view.status == "approved" and view.credential.status == "active"
    assert sorted(e.kind for e in view.evidence) == ["id_card", "one_won", "phone"]
    assert all(e.passed for e in view.evidence)
    cred = credential_row(world.backend, intake.credential_id)
    assert cred["status"] == "active" and cred["activated_at"] is not None
    req = request_row(world.backend, intake.request_id)
    assert req["status"] == "approved" and req["decider_staff_id"] == world.manager.staff_id
    with engine.connect() as conn:
        evidence = conn.execute(sa.select(VERIFICATION.c.kind, VERIFICATION.c.detail).where(
            VERIFICATION.c.request_id == intake.request_id).order_by(VERIFICATION.c.kind)).all()
    assert [k for k, _ in evidence] == ["id_card", "one_won", "phone"]
    assert "010-****-5678" in dict(evidence)["phone"]


def test_a_replacement_and_a_rejection_leave_the_rows_they_did(world):
    first = register(world, "C001", "mts", "dev-1")
    approve_request(world.backend, world.manager, first.request_id, clock=world.clock)
    second = register(world, "C001", "mts", "dev-2")
    approve_request(world.backend, world.manager, second.request_id, clock=world.clock)
    old = credential_row(world.backend, first.credential_id)
    assert old["status"] == "replaced" and old["replaced_by"] == second.credential_id
    assert credential_row(world.backend, second.credential_id)["status"] == "active"
    third = register(world, "C001", "mts", "dev-3")
    engine = world.backend.store.engine
    with _counting(engine) as statements:
        view = reject_request(world.backend, world.manager, third.request_id, note="no",
                              clock=world.clock)
    if _pg(world):
        # lock (with evidence); credential rejected + request decided; outbox
        assert len(statements) == 3, statements
    assert view.status == "rejected" and view.credential.status == "rejected"
    assert len(view.evidence) == 3
    assert credential_row(world.backend, third.credential_id)["status"] == "rejected"
    assert request_row(world.backend, third.request_id)["decision_note"] == "no"
    assert credential_row(world.backend, second.credential_id)["status"] == "active"


def test_a_login_sends_its_change_with_its_event(world):
    intake = register(world, "C001", "mts", "dev-1")
    approve_request(world.backend, world.manager, intake.request_id, clock=world.clock)
    engine = world.backend.store.engine
    seq = last_seq(world.backend)
    with _counting(engine) as statements:
        record_login(world.backend, customer_no="C001", channel="mts", device_id="dev-1",
                     result="fail", clock=world.clock)
    if _pg(world):
        # lock customer; channel state; credential change + outbox insert
        assert len(statements) == 3, statements
    assert credential_row(world.backend, intake.credential_id)["failed_logins"] == 1
    world.backend.store.seal_pending()
    assert [e["action"] for e in events_after(world.backend, seq)] == [
        "credential.login_failed"]
    for _ in range(4):  # the 5th failure locks: two events, the change sent on its own
        record_login(world.backend, customer_no="C001", channel="mts", device_id="dev-1",
                     result="fail", clock=world.clock)
    cred = credential_row(world.backend, intake.credential_id)
    assert cred["status"] == "locked" and cred["failed_logins"] == 5
    world.backend.store.seal_pending()
    assert [e["action"] for e in events_after(world.backend, seq)][-2:] == [
        "credential.login_failed", "credential.locked"]
