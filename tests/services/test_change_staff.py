"""An admin changes a member's role or branch (issue 15 item 5): admin only, never one's own
account, a known role and branch, something to change; one `staff.changed` event with the old
and new values; the member's server sessions and the delegations naming them end. Runs on
SQLite and (`-m pg`) on PostgreSQL, like every service test (the `world` fixture)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from helpers import PASSWORD
from svc_helpers import activate, events_after, last_seq, query, refused, scalar, snapshot

from staff_console.domain.errors import ConsoleError
from staff_console.services.customer_search import search_customers
from staff_console.services.delegations import grant_delegation, list_delegations
from staff_console.services.requests import approve_request, list_approvals, request_revocation
from staff_console.services.staff import authenticate, change_staff, list_staff


def _row(world, employee_no):
    return query(world.backend, "SELECT role, branch_code FROM staff WHERE employee_no = :e",
                 e=employee_no)[0]


def test_an_admin_changes_a_role_and_the_trail_says_from_and_to(world):
    b, c = world.backend, world.clock
    seq = last_seq(b)
    view = change_staff(b, world.admin, "T001", role="manager", clock=c)
    assert (view.employee_no, view.role, view.branch_code) == ("T001", "manager", "001")
    assert _row(world, "T001") == {"role": "manager", "branch_code": "001"}
    [e] = events_after(b, seq)
    assert (e["action"], e["actor"], e["target"]) == ("staff.changed", "A0001", "T001")
    detail = json.loads(e["detail"])
    assert detail["role"] == {"from": "teller", "to": "manager"}
    assert "branch" not in detail
    # the member signs in again and works under the new role
    actor = authenticate(b, "T001", PASSWORD, clock=c)
    assert actor.role.value == "manager"
    list_approvals(b, actor, clock=c)  # a manager's call: no FORBIDDEN


def test_an_admin_moves_a_member_to_another_branch(world):
    b, c = world.backend, world.clock
    seq = last_seq(b)
    view = change_staff(b, world.admin, "T002", branch_code=" 002 ", clock=c)
    assert (view.role, view.branch_code) == ("teller", "002")
    assert _row(world, "T002") == {"role": "teller", "branch_code": "002"}
    [e] = events_after(b, seq)
    assert json.loads(e["detail"])["branch"] == {"from": "001", "to": "002"}
    assert "T002" in [v.employee_no for v in list_staff(b, world.manager2, clock=c)]
    assert "T002" not in [v.employee_no for v in list_staff(b, world.manager, clock=c)]


def test_both_at_once(world):
    view = change_staff(world.backend, world.admin, "T201", role="auditor", branch_code="HQ",
                        clock=world.clock)
    assert (view.role, view.branch_code) == ("auditor", "HQ")


@pytest.mark.parametrize("who", ["manager", "teller", "auditor"])
def test_only_an_admin_changes_staff(world, who):
    b = world.backend
    before = snapshot(b)
    with refused("FORBIDDEN"):
        change_staff(b, getattr(world, who), "T002", role="manager", clock=world.clock)
    assert snapshot(b) == before  # nothing written, not even an event


def test_an_admin_cannot_change_their_own_account(world):
    b = world.backend
    before = snapshot(b)
    with refused("FORBIDDEN") as info:
        change_staff(b, world.admin, "A0001", role="teller", clock=world.clock)
    assert info.value.detail == "errors.detail.own_account"  # worded for a person
    with refused("FORBIDDEN"):
        change_staff(b, world.admin, "A0001", branch_code="001", clock=world.clock)
    assert snapshot(b) == before


@pytest.mark.parametrize("kwargs, code, field", [
    ({"role": "boss"}, "INVALID_INPUT", "role"),
    ({"role": ""}, "INVALID_INPUT", "role"),
    ({"role": "teller\x1b[2J"}, "INVALID_INPUT", "role"),
    ({"branch_code": "999"}, "NOT_FOUND", "branch"),
    ({"branch_code": "0-1"}, "INVALID_INPUT", "branch"),
    ({}, "INVALID_INPUT", "role"),
    ({"role": "teller", "branch_code": "001"}, "INVALID_INPUT", "role"),  # nothing changes
])
def test_bad_changes_are_refused_with_codes(world, kwargs, code, field):
    b = world.backend
    before = snapshot(b)
    with refused(code, field):
        change_staff(b, world.admin, "T001", clock=world.clock, **kwargs)
    assert snapshot(b) == before


def test_an_unknown_member_is_not_found(world):
    with refused("NOT_FOUND", "staff"):
        change_staff(world.backend, world.admin, "NOBODY", role="teller", clock=world.clock)


def test_a_locked_admin_is_refused(world):
    b = world.backend
    from staff_console.services.staff import lock_staff

    other = authenticate(b, "A0001", PASSWORD, clock=world.clock)
    from staff_console.services.staff import add_staff

    add_staff(b, other, employee_no="A0002", name="부관리자", branch_code="HQ", role="admin",
              password=PASSWORD, clock=world.clock)
    second = authenticate(b, "A0002", PASSWORD, clock=world.clock)
    lock_staff(b, other, "A0002", clock=world.clock)
    with refused("STAFF_LOCKED"):
        change_staff(b, second, "T001", role="manager", clock=world.clock)
    # and an admin may change another admin (here: back to a teller)
    assert change_staff(b, world.admin, "A0002", role="teller",
                        clock=world.clock).role == "teller"


def test_a_move_ends_the_delegations_naming_the_member(world):
    b, c = world.backend, world.clock
    now = c.now()
    granted = grant_delegation(b, world.manager, delegate_employee_no="T001",
                               valid_from=now - timedelta(hours=1),
                               valid_until=now + timedelta(days=3), clock=c)
    later = grant_delegation(b, world.manager, delegate_employee_no="T002",
                             valid_from=now + timedelta(days=1),
                             valid_until=now + timedelta(days=3), clock=c)
    seq = last_seq(b)
    change_staff(b, world.admin, "T001", branch_code="002", clock=c)
    events = events_after(b, seq)
    assert [e["action"] for e in events] == ["staff.changed", "delegation.ended"]
    assert events[1]["target"] == f"delegation:{granted.id}"
    assert json.loads(events[0]["detail"])["delegations_ended"] == [granted.id]
    states = {d.id: d.state for d in list_delegations(b, world.manager, clock=c)}
    assert states == {granted.id: "ended", later.id: "scheduled"}
    # the grantor moved off the manager's role: what they granted ends too
    seq = last_seq(b)
    change_staff(b, world.admin, "M001", role="teller", clock=c)
    events = events_after(b, seq)
    assert [e["action"] for e in events] == ["staff.changed", "delegation.ended"]
    assert events[1]["target"] == f"delegation:{later.id}"
    assert scalar(b, "SELECT ended_at FROM delegation WHERE id = :i", i=later.id) is not None


def test_a_session_opened_before_the_change_is_refused_on_its_next_call(world):
    """The embedded terminal keeps its Actor in memory: a manager demoted (or moved) while
    signed in must not decide as a manager any more. Every use case re-reads the member's
    standing with the role and branch it signed in with; a change ends that session."""
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    request = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                                 reason="customer_request", clock=c)
    manager = world.manager  # signed in before the change
    change_staff(b, world.admin, manager.employee_no, role="teller", clock=c)
    for call in (lambda: list_approvals(b, manager, clock=c),
                 lambda: search_customers(b, manager, "홍", clock=c),
                 lambda: approve_request(b, manager, request.id, clock=c)):
        with pytest.raises(ConsoleError) as refused_:
            call()
        assert refused_.value.code == "SESSION_ENDED"
    moved = world.teller2
    change_staff(b, world.admin, moved.employee_no, branch_code="002", clock=c)
    with pytest.raises(ConsoleError) as refused_:
        search_customers(b, moved, "홍", clock=c)
    assert refused_.value.code == "SESSION_ENDED"
    # Signed in again, the member works under the new role.
    again = authenticate(b, manager.employee_no, PASSWORD, clock=c)
    assert again.role.value == "teller" and list_approvals(b, again, clock=c) == []
