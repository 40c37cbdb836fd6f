"""직무대행 (DOMAIN.md section 5): a manager delegates approval authority to a staff member of the
same branch for [from, until); no chains; ended early only by the branch manager."""

from __future__ import annotations

import json

from helpers import PASSWORD, register, utc
from svc_helpers import (
    activate,
    events_after,
    execute,
    last_seq,
    refused,
    request_row,
    snapshot,
)

from staff_console.services.delegations import (
    end_delegation,
    grant_delegation,
    list_delegations,
)
from staff_console.services.requests import approve_request, reject_request, request_revocation
from staff_console.services.staff import add_staff, authenticate

FROM = "2026-11-25T09:00:00+09:00"
UNTIL = "2026-11-27T18:00:00+09:00"


def _grant(world, delegate="T002", grantor=None, valid_from=FROM, valid_until=UNTIL):
    return grant_delegation(world.backend, grantor or world.manager,
                            delegate_employee_no=delegate, valid_from=utc(valid_from),
                            valid_until=utc(valid_until), clock=world.clock)


def test_a_delegate_approves_inside_the_window(world):
    b, c = world.backend, world.clock
    d = _grant(world)
    assert (d.grantor, d.delegate, d.branch_code, d.active) == ("M001", "T002", "001", False)
    world.at(FROM)
    intake = register(world, "C001", "mts", "phone-1")
    view = approve_request(b, world.teller2, intake.request_id, clock=c)
    assert (view.status, view.decider, view.authority, view.delegation_id) == (
        "approved", "T002", "delegate", d.id)
    row = request_row(b, intake.request_id)
    assert (row["decider_staff_id"], row["authority"], row["delegation_id"]) == (
        world.teller2.staff_id, "delegate", d.id)


def test_a_delegate_also_rejects_inside_the_window(world):
    b, c = world.backend, world.clock
    d = _grant(world)
    world.at("2026-11-26T12:00:00+09:00")
    intake = register(world, "C002", "web", "chrome")
    view = reject_request(b, world.teller2, intake.request_id, note="wrong browser", clock=c)
    assert (view.status, view.authority, view.delegation_id) == ("rejected", "delegate", d.id)


def test_the_window_is_from_inclusive_until_exclusive(world):
    b, c = world.backend, world.clock
    _grant(world)
    world.at("2026-11-25T08:59:59+09:00")
    intake = register(world, "C001", "mts", "phone-1")
    everything = snapshot(b)
    with refused("DELEGATION_INVALID"):
        approve_request(b, world.teller2, intake.request_id, clock=c)
    assert snapshot(b) == everything
    world.at(UNTIL)  # until is exclusive
    with refused("DELEGATION_INVALID"):
        approve_request(b, world.teller2, intake.request_id, clock=c)
    world.at("2026-11-27T17:59:59+09:00")
    assert approve_request(b, world.teller2, intake.request_id, clock=c).authority == "delegate"


def test_an_ended_delegation_no_longer_approves(world):
    b, c = world.backend, world.clock
    d = _grant(world)
    world.at("2026-11-26T10:00:00+09:00")
    intake = register(world, "C001", "mts", "phone-1")
    ended = end_delegation(b, world.manager, d.id, clock=c)
    assert ended.ended_at == c.now() and not ended.active
    with refused("DELEGATION_INVALID"):
        approve_request(b, world.teller2, intake.request_id, clock=c)
    with refused("DELEGATION_INVALID"):
        end_delegation(b, world.manager, d.id, clock=c)  # ending twice


def test_ending_a_delegation_that_ran_out_is_refused(world):
    d = _grant(world)
    world.at("2026-11-28T09:00:00+09:00")
    with refused("DELEGATION_INVALID"):
        end_delegation(world.backend, world.manager, d.id, clock=world.clock)


def test_only_the_branch_manager_ends_a_delegation(world):
    b, c = world.backend, world.clock
    d = _grant(world)
    for who in (world.teller2, world.teller, world.manager2, world.admin, world.auditor):
        with refused("FORBIDDEN"):
            end_delegation(b, who, d.id, clock=c)
    assert end_delegation(b, world.manager, d.id, clock=c).ended_at is not None
    with refused("NOT_FOUND"):
        end_delegation(b, world.manager, 999, clock=c)


def test_no_chains_a_delegate_cannot_delegate(world):
    b = world.backend
    _grant(world)
    world.at(FROM)
    everything = snapshot(b)
    with refused("FORBIDDEN"):
        _grant(world, delegate="T001", grantor=world.teller2)
    assert snapshot(b) == everything


def test_only_a_manager_grants(world):
    for who in (world.teller, world.admin, world.auditor):
        with refused("FORBIDDEN"):
            _grant(world, delegate="T002", grantor=who)


def test_refused_delegations(world):
    b = world.backend
    everything = snapshot(b)
    with refused("DELEGATION_INVALID"):
        _grant(world, delegate="T201")  # another branch's teller
    with refused("DELEGATION_INVALID"):
        _grant(world, delegate="M002")  # another branch's manager
    with refused("DELEGATION_INVALID"):
        _grant(world, delegate="M001")  # self
    with refused("DELEGATION_INVALID"):
        _grant(world, delegate="AU01")  # an auditor (other branch too)
    with refused("DELEGATION_INVALID"):
        _grant(world, valid_from=UNTIL, valid_until=FROM)  # until before from
    with refused("DELEGATION_INVALID"):
        _grant(world, valid_from=FROM, valid_until=FROM)  # empty period
    with refused("DELEGATION_INVALID"):
        _grant(world, valid_from="2026-11-20T09:00:00+09:00",
               valid_until="2026-11-24T09:00:00+09:00")  # already over
    with refused("DELEGATION_INVALID"):
        _grant(world, valid_from=FROM, valid_until="2027-12-25T09:00:00+09:00")  # > 1 year
    with refused("NOT_FOUND"):
        _grant(world, delegate="NOBODY")
    assert snapshot(b) == everything


def test_cannot_delegate_to_an_auditor_of_the_same_branch(world):
    add_staff(world.backend, world.admin, employee_no="AU02", name="감사2", branch_code="001",
              role="auditor", password=PASSWORD, clock=world.clock)
    with refused("DELEGATION_INVALID"):
        _grant(world, delegate="AU02")


def test_a_delegate_cannot_approve_for_another_branch(world):
    b, c = world.backend, world.clock
    _grant(world)
    world.at(FROM)
    intake = register(world, "C003", "mts", "phone-3")  # branch 002
    with refused("FORBIDDEN"):
        approve_request(b, world.teller2, intake.request_id, clock=c)


def test_a_delegate_cannot_approve_its_own_request(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    _grant(world)
    world.at(FROM)
    req = request_revocation(b, world.teller2, customer_no="C001", channel="mts",
                             reason="lost_device", clock=c)
    with refused("SELF_APPROVAL"):
        approve_request(b, world.teller2, req.id, clock=c)
    # the manager still decides while a delegation runs
    assert approve_request(b, world.manager, req.id, clock=c).authority == "manager"


def test_list_delegations(world):
    b, c = world.backend, world.clock
    first = _grant(world)
    second = _grant(world, delegate="T001", valid_from="2026-12-01T09:00:00+09:00",
                    valid_until="2026-12-02T09:00:00+09:00")
    world.at("2026-11-26T09:00:00+09:00")
    end_delegation(b, world.manager, first.id, clock=c)
    listed = list_delegations(b, world.manager, clock=c)
    assert [(d.id, d.delegate, d.active) for d in listed] == [
        (second.id, "T001", False), (first.id, "T002", False)]
    assert listed[1].ended_at == c.now()
    assert [d.id for d in list_delegations(b, world.teller2, clock=c)] == [first.id]
    assert [d.id for d in list_delegations(b, world.teller, clock=c)] == [second.id]
    assert list_delegations(b, world.manager2, clock=c) == []
    world.at("2026-12-01T12:00:00+09:00")
    assert [d.active for d in list_delegations(b, world.teller, clock=c)] == [True]


def test_delegations_are_audited(world):
    b, c = world.backend, world.clock
    seq = last_seq(b)
    d = _grant(world)
    end_delegation(b, world.manager, d.id, clock=c)
    events = events_after(b, seq)
    assert [(e["action"], e["actor"], e["target"]) for e in events] == [
        ("delegation.granted", "M001", f"delegation:{d.id}"),
        ("delegation.ended", "M001", f"delegation:{d.id}"),
    ]


def test_a_successor_manager_of_the_branch_ends_a_delegation(world):
    b, c = world.backend, world.clock
    d = _grant(world)
    add_staff(b, world.admin, employee_no="M003", name="새지점장", branch_code="001",
              role="manager", password=PASSWORD, clock=c)
    successor = authenticate(b, "M003", PASSWORD, clock=c)
    ended = end_delegation(b, successor, d.id, clock=c)
    assert ended.ended_at == c.now()


def test_a_locked_delegate_cannot_decide(world):
    b, c = world.backend, world.clock
    _grant(world)
    world.at(FROM)
    intake = register(world, "C001", "mts", "phone-1")
    execute(b, "UPDATE staff SET locked_at = :t WHERE employee_no = 'T002'", t=c.now())
    with refused("STAFF_LOCKED"):
        approve_request(b, world.teller2, intake.request_id, clock=c)
    assert request_row(b, intake.request_id)["status"] == "pending"


def test_the_decision_event_names_the_delegation(world):
    b, c = world.backend, world.clock
    d = _grant(world)
    world.at(FROM)
    intake = register(world, "C001", "mts", "phone-1")
    seq = last_seq(b)
    approve_request(b, world.teller2, intake.request_id, clock=c)
    decision = events_after(b, seq)[0]
    assert (decision["action"], decision["actor"]) == ("request.approved", "T002")
    assert json.loads(decision["detail"]) == {"kind": "registration", "authority": "delegate",
                                              "delegation": d.id}
