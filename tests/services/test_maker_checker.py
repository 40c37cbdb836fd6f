"""지점장 전결 and four eyes (DOMAIN.md section 5): who decides which request, the maker never
checks, a decision is final, requests expire, the record names decider and authority."""

from __future__ import annotations

import pytest
from helpers import register, utc
from svc_helpers import (
    activate,
    credential_row,
    events_after,
    last_seq,
    refused,
    request_row,
    snapshot,
)

from staff_console.services.customer_view import show_customer
from staff_console.services.delegations import grant_delegation
from staff_console.services.expiry import expire_due
from staff_console.services.requests import (
    approve_request,
    get_request,
    list_approvals,
    list_my_requests,
    reject_request,
    request_revocation,
    withdraw_request,
)


def _revocation(world, maker=None, customer="C001", channel="mts"):
    return request_revocation(world.backend, maker or world.teller, customer_no=customer,
                              channel=channel, reason="customer_request", clock=world.clock)


@pytest.mark.parametrize("who", ["teller", "teller2", "auditor", "admin", "manager2", "teller_b"])
def test_only_the_branch_manager_approves_a_registration(world, who):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    everything = snapshot(b)
    with refused("FORBIDDEN"):
        approve_request(b, getattr(world, who), intake.request_id, clock=c)
    with refused("FORBIDDEN"):
        reject_request(b, getattr(world, who), intake.request_id, note="no", clock=c)
    assert snapshot(b) == everything
    view = approve_request(b, world.manager, intake.request_id, clock=c)
    assert view.status == "approved"


def test_the_decision_records_decider_authority_and_time(world):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    c.advance(hours=2)
    view = approve_request(b, world.manager, intake.request_id, note="checked the ID", clock=c)
    assert (view.status, view.decider, view.authority, view.delegation_id) == (
        "approved", "M001", "manager", None)
    assert view.decided_at == c.now() and view.decision_note == "checked the ID"
    row = request_row(b, intake.request_id)
    assert row["decider_staff_id"] == world.manager.staff_id and row["authority"] == "manager"
    again = get_request(b, world.auditor, intake.request_id, clock=c)
    assert again.decider_name == "김지점"


def test_a_manager_cannot_approve_their_own_revocation(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    req = _revocation(world, maker=world.manager)
    everything = snapshot(b)
    with refused("SELF_APPROVAL"):
        approve_request(b, world.manager, req.id, clock=c)
    with refused("SELF_APPROVAL"):
        reject_request(b, world.manager, req.id, note="changed my mind", clock=c)
    assert snapshot(b) == everything
    # nobody else in branch 001 has the authority without a delegation
    with refused("FORBIDDEN"):
        approve_request(b, world.teller, req.id, clock=c)


@pytest.mark.parametrize("first", ["approve", "reject"])
@pytest.mark.parametrize("then", ["approve", "reject"])
def test_a_decided_request_cannot_be_decided_again(world, first, then):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    decide = {"approve": lambda: approve_request(b, world.manager, intake.request_id, clock=c),
              "reject": lambda: reject_request(b, world.manager, intake.request_id, note="no",
                                               clock=c)}
    decide[first]()
    everything = snapshot(b)
    with refused("ALREADY_DECIDED"):
        decide[then]()
    assert snapshot(b) == everything


@pytest.mark.parametrize("first", ["approve", "reject", "withdraw"])
def test_a_decided_revocation_cannot_be_withdrawn_or_decided(world, first):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    req = _revocation(world)
    if first == "approve":
        approve_request(b, world.manager, req.id, clock=c)
    elif first == "reject":
        reject_request(b, world.manager, req.id, note="the customer called back", clock=c)
    else:
        withdraw_request(b, world.teller, req.id, clock=c)
    everything = snapshot(b)
    with refused("ALREADY_DECIDED"):
        withdraw_request(b, world.teller, req.id, clock=c)
    with refused("ALREADY_DECIDED"):
        approve_request(b, world.manager, req.id, clock=c)
    with refused("ALREADY_DECIDED"):
        reject_request(b, world.manager, req.id, note="late", clock=c)
    assert snapshot(b) == everything


@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_rejection_needs_a_note(world, note):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    everything = snapshot(b)
    with refused("INVALID_INPUT", "note"):
        reject_request(b, world.manager, intake.request_id, note=note, clock=c)
    assert snapshot(b) == everything


def test_a_rejected_registration_ends_its_pending_credential(world):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    view = reject_request(b, world.manager, intake.request_id, note="photo unreadable", clock=c)
    assert (view.status, view.decider, view.authority, view.decision_note) == (
        "rejected", "M001", "manager", "photo unreadable")
    cred = credential_row(b, intake.credential_id)
    assert cred["status"] == "rejected" and cred["activated_at"] is None


def test_only_the_maker_withdraws(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    req = _revocation(world)
    everything = snapshot(b)
    for other in (world.teller2, world.manager, world.admin, world.auditor):
        with refused("FORBIDDEN"):
            withdraw_request(b, other, req.id, clock=c)
    assert snapshot(b) == everything
    view = withdraw_request(b, world.teller, req.id, clock=c)
    assert view.status == "withdrawn"
    assert credential_row(b, req.credential_id)["status"] == "active"


def test_channel_registrations_cannot_be_withdrawn_by_staff(world):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    for who in (world.teller, world.manager, world.admin):
        with refused("FORBIDDEN"):
            withdraw_request(b, who, intake.request_id, clock=c)
    assert request_row(b, intake.request_id)["status"] == "pending"


def test_an_undecided_request_expires_after_seven_days(world):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    created = c.now()
    assert request_row(b, intake.request_id)["status"] == "pending"
    c.advance(days=7, seconds=-1)
    assert [r.id for r in list_approvals(b, world.manager, clock=c)] == [intake.request_id]
    c.advance(seconds=1)  # exactly 7 days later
    assert c.now() == utc("2026-12-01T10:00:00+09:00") and (c.now() - created).days == 7
    everything = snapshot(b)
    with refused("REQUEST_EXPIRED"):
        approve_request(b, world.manager, intake.request_id, clock=c)
    with refused("REQUEST_EXPIRED"):
        reject_request(b, world.manager, intake.request_id, note="too late", clock=c)
    assert snapshot(b) == everything
    assert list_approvals(b, world.manager, clock=c) == []
    seq = last_seq(b)
    result = expire_due(b, clock=c)
    assert (result.credentials_expired, result.requests_expired) == (0, 1)
    assert request_row(b, intake.request_id)["status"] == "expired"
    assert credential_row(b, intake.credential_id)["status"] == "rejected"
    actions = [e["action"] for e in events_after(b, seq)]
    assert actions == ["request.expired", "credential.rejected"]
    assert expire_due(b, clock=c).requests_expired == 0  # idempotent
    with refused("ALREADY_DECIDED"):
        approve_request(b, world.manager, intake.request_id, clock=c)
    # the customer may register again
    assert register(world, "C001", "mts", "phone-1").status == "pending"


def test_an_expired_revocation_request_leaves_the_credential(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    req = _revocation(world)
    c.advance(days=8)
    with refused("REQUEST_EXPIRED"):
        withdraw_request(b, world.teller, req.id, clock=c)
    assert expire_due(b, clock=c).requests_expired == 1
    assert request_row(b, req.id)["status"] == "expired"
    assert credential_row(b, req.credential_id)["status"] == "active"


def test_request_expiry_is_configurable(world):
    from staff_console.services.policy import set_policy

    b, c = world.backend, world.clock
    # A shorter deadline strengthens the policy: one admin, at once, from the store.
    set_policy(b, world.admin, "request_expiry_days", "2", clock=c)
    intake = register(world, "C001", "mts", "phone-1")
    assert request_row(b, intake.request_id)["expires_at"] is not None
    c.advance(days=2)
    with refused("REQUEST_EXPIRED"):
        approve_request(b, world.manager, intake.request_id, clock=c)


def test_a_registration_belongs_to_the_customers_managing_branch(world):
    b, c = world.backend, world.clock
    intake = register(world, "C003", "web", "chrome")  # C003 is managed by branch 002
    view = get_request(b, world.manager2, intake.request_id, clock=c)
    assert view.branch_code == "002" and view.origin == "channel" and view.maker is None
    with refused("FORBIDDEN"):
        approve_request(b, world.manager, intake.request_id, clock=c)
    assert list_approvals(b, world.manager, clock=c) == []
    assert [r.id for r in list_approvals(b, world.manager2, clock=c)] == [intake.request_id]
    assert approve_request(b, world.manager2, intake.request_id, clock=c).status == "approved"


def test_a_revocation_belongs_to_the_makers_branch(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")  # C001 is managed by branch 001
    req = _revocation(world, maker=world.teller_b)  # made at branch 002
    assert req.branch_code == "002" and req.origin == "branch" and req.maker == "T201"
    with refused("FORBIDDEN"):
        approve_request(b, world.manager, req.id, clock=c)
    assert list_approvals(b, world.manager, clock=c) == []
    assert [r.id for r in list_approvals(b, world.manager2, clock=c)] == [req.id]
    view = approve_request(b, world.manager2, req.id, clock=c)
    assert (view.status, view.decider, view.authority) == ("approved", "M002", "manager")
    assert credential_row(b, req.credential_id)["status"] == "revoked"


def test_list_approvals_shows_exactly_what_the_actor_may_decide(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    activate(world, "C002", "mts", "phone-2")
    activate(world, "C002", "web", "chrome-2")
    reg_001 = register(world, "C001", "web", "chrome")
    reg_002 = register(world, "C007", "web", "chrome")  # branch 002
    own = _revocation(world, maker=world.manager, customer="C002")
    teller_made = _revocation(world, maker=world.teller, customer="C001")
    by_002 = _revocation(world, maker=world.teller_b, customer="C002", channel="web")
    m1 = [r.id for r in list_approvals(b, world.manager, clock=c)]
    assert m1 == [teller_made.id, reg_001.request_id]  # newest first, not its own
    m2 = [r.id for r in list_approvals(b, world.manager2, clock=c)]
    assert m2 == [by_002.id, reg_002.request_id]
    for nobody in (world.teller, world.teller2, world.auditor, world.admin, world.teller_b):
        assert list_approvals(b, nobody, clock=c) == []
    # a delegate sees the branch's requests, except those it made itself
    grant_delegation(b, world.manager, delegate_employee_no="T001", valid_from=c.now(),
                     valid_until=utc("2026-11-30T18:00:00+09:00"), clock=c)
    t1 = [r.id for r in list_approvals(b, world.teller, clock=c)]
    assert t1 == [own.id, reg_001.request_id]
    # once decided, a request leaves every list
    approve_request(b, world.manager, reg_001.request_id, clock=c)
    assert [r.id for r in list_approvals(b, world.manager, clock=c)] == [teller_made.id]


def test_list_my_requests_shows_the_makers_requests(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    activate(world, "C002", "web", "chrome")
    first = _revocation(world, customer="C001")
    c.advance(minutes=5)
    second = request_revocation(b, world.teller, customer_no="C002", channel="web",
                                reason="other", note="customer's wish", clock=c)
    approve_request(b, world.manager, first.id, clock=c)
    mine = list_my_requests(b, world.teller, clock=c)
    assert [(r.id, r.status) for r in mine] == [(second.id, "pending"), (first.id, "approved")]
    assert [r.id for r in list_my_requests(b, world.teller, clock=c, pending_only=True)] == [
        second.id]
    assert list_my_requests(b, world.teller2, clock=c) == []
    assert list_my_requests(b, world.manager, clock=c) == []


def test_decisions_and_lists_are_audited(world):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    seq = last_seq(b)
    list_approvals(b, world.manager, clock=c)
    [view_event] = events_after(b, seq)
    assert view_event["category"] == "access" and view_event["actor"] == "M001"
    seq = last_seq(b)
    approve_request(b, world.manager, intake.request_id, clock=c)
    events = events_after(b, seq)
    assert events[0]["action"] == "request.approved" and events[0]["actor"] == "M001"
    assert '"authority":"manager"' in events[0]["detail"]
    assert {e["at"] for e in events} == {events[0]["at"]}


def test_unknown_request_is_not_found(world):
    with refused("NOT_FOUND"):
        approve_request(world.backend, world.manager, 999, clock=world.clock)
    with refused("NOT_FOUND"):
        withdraw_request(world.backend, world.teller, 999, clock=world.clock)


def test_show_customer_lists_pending_requests(world):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert [p.id for p in detail.pending] == [intake.request_id]
    approve_request(b, world.manager, intake.request_id, clock=c)
    assert show_customer(b, world.teller, "C001", clock=c).pending == []


def test_admins_do_not_read_requests(world):
    """A request carries customer data (name, evidence): need to know, like show_customer."""
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    everything = snapshot(b)
    with refused("FORBIDDEN"):
        get_request(b, world.admin, intake.request_id, clock=c)
    assert snapshot(b) == everything
    assert get_request(b, world.teller, intake.request_id, clock=c).customer_no == "C001"
