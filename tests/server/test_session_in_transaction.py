"""The server's session check in the use case's own transaction (server/deps.py
Credentials.call): a session the process has seen is checked by the first statement of the
call's transaction, and anything but a live, unlocked session needing no write falls back to
sessions.resolve's own check before the use case does anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import PASSWORD
from sqlalchemy import event

from staff_console.domain.errors import ConsoleError
from staff_console.server.deps import Credentials
from staff_console.services import sessions
from staff_console.store import sessions as rows
from staff_console.store.tables import STAFF

ADDRESS = "127.0.0.1"


def _signed_in(world, employee_no: str = "T001") -> Credentials:
    world.backend.clock = world.clock
    signed = sessions.sign_in(world.backend, employee_no, PASSWORD, terminal="t",
                              client_address=ADDRESS, clock=world.clock)
    return Credentials(world.backend, signed.token, ADDRESS)


def _checkouts(world) -> list[int]:
    counted: list[int] = []
    event.listen(world.backend.store.engine, "engine_connect", lambda conn: counted.append(1))
    return counted


def _wrote(me) -> list[str]:
    """A use case's statement: it must never run for a refused session."""
    done: list[str] = []
    me.backend.store.run(lambda s: done.append(me.actor.employee_no))
    return done


def test_a_seen_session_costs_no_transaction_of_its_own(world):
    caller = _signed_in(world)
    first = caller.call(lambda me: me.list_branches())
    counted = _checkouts(world)
    again = caller.call(lambda me: me.list_branches())
    assert again == first
    assert len(counted) == 1  # the check and the use case on one connection, one transaction


@pytest.mark.parametrize("how", ["sign_out", "admin_lock"])
def test_a_session_ended_since_is_refused_before_the_use_case(world, how):
    caller = _signed_in(world)
    caller.call(lambda me: me.list_branches())
    staff_id = world.teller.staff_id
    if how == "sign_out":
        sessions.end_all(world.backend, staff_id, clock=world.clock, reason="sign_out")
    else:
        world.backend.store.run(lambda s: s.execute(
            STAFF.update().where(STAFF.c.id == staff_id)
            .values(locked_at=world.clock.now())))
    done: list = []
    with pytest.raises(ConsoleError) as refused:
        caller.call(lambda me: done.extend(_wrote(me)))
    assert refused.value.code == "SESSION_ENDED"
    assert done == []


def test_a_refusal_before_any_statement_is_the_sessions_refusal(world):
    caller = _signed_in(world)
    caller.call(lambda me: me.list_branches())
    sessions.end_all(world.backend, world.teller.staff_id, clock=world.clock, reason="sign_out")

    def refuses(me):
        raise ConsoleError("INVALID_INPUT", "query: too short", field="query")

    with pytest.raises(ConsoleError) as refused:
        caller.call(refuses)
    assert refused.value.code == "SESSION_ENDED"


def test_a_call_without_a_statement_is_checked_too(world):
    caller = _signed_in(world)
    assert caller.call(lambda me: 42) == 42
    sessions.end_all(world.backend, world.teller.staff_id, clock=world.clock, reason="sign_out")
    with pytest.raises(ConsoleError) as refused:
        caller.call(lambda me: 42)
    assert refused.value.code == "SESSION_ENDED"


def test_the_idle_lock_and_the_touch_still_happen(world):
    caller = _signed_in(world)
    caller.call(lambda me: me.list_branches())
    digest = sessions.token_hash(caller.token)
    world.clock.instant += sessions.TOUCH_EVERY + timedelta(seconds=1)
    caller.call(lambda me: me.list_branches())  # due a touch: written, as before
    row = world.backend.store.run(lambda s: rows.session_by_token(s, digest))
    assert row.last_seen_at == world.clock.now()
    world.clock.instant += timedelta(minutes=world.backend.policy.idle_lock_minutes)
    with pytest.raises(ConsoleError) as refused:
        caller.call(lambda me: me.list_branches())
    assert refused.value.code == "SESSION_LOCKED"
    row = world.backend.store.run(lambda s: rows.session_by_token(s, digest))
    assert row.locked_at is not None
