"""A terminal killed (SIGKILL) in the middle of an approval leaves nothing half-written: the
request and the credential are still pending, there is no orphan event, the chain verifies, and
the approval can be made again at once (on PostgreSQL the server ends the dead client's session
and releases its locks when the socket closes; on SQLite the OS drops the file lock and the
uncommitted WAL frames are ignored)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from helpers import NOW, TEST_KEY, register
from race_helpers import assert_chain_verifies, assert_store_consistent, rows, scalar

from staff_console.services.requests import approve_request

CHILD = Path(__file__).with_name("crash_child.py")


def _run_child_until_paused(world, request_id: int, db_url: str, tmp_path: Path, mode: str):
    marker = tmp_path / f"marker-{uuid.uuid4().hex[:8]}"
    app_name = f"crash-child-{uuid.uuid4().hex[:8]}"
    m = world.manager
    args = {"db_url": db_url, "key": TEST_KEY.hex(), "marker": str(marker), "mode": mode,
            "app_name": app_name, "staff_id": m.staff_id, "employee_no": m.employee_no,
            "branch_code": m.branch_code, "role": m.role.value, "request_id": request_id,
            "now": NOW}
    child = subprocess.Popen([sys.executable, str(CHILD), json.dumps(args)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        if child.poll() is not None and not marker.exists():
            out, err = child.communicate()
            pytest.fail(f"the child exited before pausing:\n{err.decode()}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail("the child never reached the pause point")
        time.sleep(0.02)
    if marker.read_text() == "finished":  # it never paused (no such point on this database)
        assert child.wait(30) == 0
        return None
    assert marker.read_text() == "paused"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    assert child.returncode == -signal.SIGKILL
    return app_name


def _wait_session_gone(engine, app_name: str) -> None:
    """PostgreSQL ends the dead client's backend when it notices the closed socket."""
    deadline = time.monotonic() + 15
    while scalar(engine, "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a",
                 a=app_name):
        assert time.monotonic() < deadline, "the killed client's session is still there"
        time.sleep(0.05)


def _state(engine, request_id: int):
    return rows(engine, """
        SELECT r.status, c.status FROM request r JOIN credential c ON c.id = r.credential_id
        WHERE r.id = :i""", i=request_id)[0]


def _approval_events(engine, request_id: int) -> int:
    return scalar(engine, "SELECT count(*) FROM audit_event WHERE target = :t AND action = "
                          "'request.approved'", t=f"request:{request_id}")


def test_kill_inside_the_approval_transaction(world, db_url, tmp_path):
    b = world.backend
    engine = b.store.engine
    for round_ in range(2):
        intake = register(world, device_id=f"dev-crash-{round_}")
        events_before = assert_store_consistent(b)
        app_name = _run_child_until_paused(world, intake.request_id, db_url, tmp_path,
                                           "in_transaction")
        if b.store.is_postgres:
            _wait_session_gone(engine, app_name)
            assert scalar(engine, "SELECT count(*) FROM audit_outbox") == 0
        # Nothing of the approval is there: statuses, events, chain head.
        assert _state(engine, intake.request_id) == ("pending", "pending")
        assert _approval_events(engine, intake.request_id) == 0
        assert scalar(engine, "SELECT count(*) FROM credential c JOIN customer u ON "
                              "u.id = c.customer_id WHERE u.customer_no = 'C001' AND "
                              "c.device_id = :d AND c.activated_at IS NOT NULL",
                      d=f"dev-crash-{round_}") == 0
        assert assert_store_consistent(b) == events_before
        # No lingering lock: the same approval goes through at once (lock_timeout would fail
        # it with STORE_UNAVAILABLE otherwise).
        started = time.monotonic()
        approved = approve_request(b, world.manager, intake.request_id, clock=world.clock)
        assert approved.status == "approved"
        assert time.monotonic() - started < 5
        assert _state(engine, intake.request_id) == ("approved", "active")
        assert _approval_events(engine, intake.request_id) == 1
        assert_store_consistent(b)


def test_kill_between_commit_and_seal_loses_no_event(world, db_url, tmp_path):
    """PostgreSQL: the approval committed, the terminal died before chaining its events. They
    wait in the outbox (the chain still verifies), and the next seal chains them exactly once.
    SQLite chains inside the use case's transaction, so there is no such point: the child runs
    to the end and the events are in the chain as soon as the approval is committed."""
    b = world.backend
    engine = b.store.engine
    intake = register(world, device_id="dev-after-commit")
    events_before = assert_store_consistent(b)
    app_name = _run_child_until_paused(world, intake.request_id, db_url, tmp_path,
                                       "after_commit")
    if not b.store.is_postgres:
        assert app_name is None
        assert _state(engine, intake.request_id) == ("approved", "active")
        assert _approval_events(engine, intake.request_id) == 1
        assert scalar(engine, "SELECT count(*) FROM audit_outbox") == 0
        assert assert_store_consistent(b) > events_before
        return
    _wait_session_gone(engine, app_name)
    assert _state(engine, intake.request_id) == ("approved", "active")
    assert _approval_events(engine, intake.request_id) == 0
    waiting = scalar(engine, "SELECT count(*) FROM audit_outbox")
    assert waiting >= 2  # request.approved, credential.activated
    assert assert_chain_verifies(b) == events_before  # the chain itself is intact
    # The next use case of any terminal seals what was left (here: a search).
    from staff_console.services.customer_search import search_customers

    search_customers(b, world.teller, "홍", clock=world.clock)
    assert scalar(engine, "SELECT count(*) FROM audit_outbox") == 0
    assert _approval_events(engine, intake.request_id) == 1
    assert assert_store_consistent(b) == events_before + waiting + 1
