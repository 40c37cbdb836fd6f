"""Revocation (해지) at a branch (DOMAIN.md section 6) and the checker policy (section 5)."""

from __future__ import annotations

import pytest
from helpers import CHEAP_ARGON2, register
from svc_helpers import (
    activate,
    credential_row,
    events_after,
    execute,
    last_seq,
    refused,
    request_row,
    scalar,
    snapshot,
)

from staff_console.domain.states import RevocationReason
from staff_console.services.backend import Backend
from staff_console.services.customer_view import show_customer
from staff_console.services.expiry import expire_due
from staff_console.services.intake import record_login
from staff_console.services.requests import (
    approve_request,
    get_request,
    reject_request,
    request_revocation,
)

REASONS = [reason.value for reason in RevocationReason]


def _revoke(world, reason="lost_device", note=None, maker=None, customer="C001", channel="mts"):
    return request_revocation(world.backend, maker or world.teller, customer_no=customer,
                              channel=channel, reason=reason, note=note, clock=world.clock)


@pytest.mark.parametrize("reason", REASONS)
def test_approving_a_revocation_ends_the_credential_with_its_reason(world, reason):
    b, c = world.backend, world.clock
    intake = activate(world, "C001", "mts", "phone-1")
    req = _revoke(world, reason=reason, note="신분증 확인 후 요청")
    assert (req.kind, req.status, req.reason, req.credential_id) == (
        "revocation", "pending", reason, intake.credential_id)
    assert credential_row(b, intake.credential_id)["status"] == "active"  # not before approval
    c.advance(minutes=10)
    approve_request(b, world.manager, req.id, clock=c)
    row = credential_row(b, intake.credential_id)
    assert row["status"] == "revoked" and row["end_reason"] == reason
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.mts is None
    assert detail.history[0].status == "revoked" and detail.history[0].ended_at == c.now()
    with refused("NOT_REGISTERED"):
        record_login(b, customer_no="C001", channel="mts", device_id="phone-1", result="ok",
                     clock=c)


def test_revocation_reasons_are_validated(world):
    activate(world, "C001", "mts", "phone-1")
    everything = snapshot(world.backend)
    with refused("INVALID_INPUT", "reason"):
        _revoke(world, reason="bored")
    with refused("INVALID_INPUT", "reason"):
        _revoke(world, reason="")
    with refused("INVALID_INPUT", "note"):
        _revoke(world, reason="other")
    with refused("INVALID_INPUT", "note"):
        _revoke(world, reason="other", note="   ")
    with refused("INVALID_INPUT", "note"):
        _revoke(world, reason="lost_device", note="x" * 501)
    with refused("INVALID_INPUT", "channel"):
        _revoke(world, channel="hts")
    assert snapshot(world.backend) == everything
    assert _revoke(world, reason="other", note="고객 요청 (전화)").note == "고객 요청 (전화)"


def test_revoking_without_a_current_credential_is_not_registered(world):
    b = world.backend
    everything = snapshot(b)
    with refused("NOT_REGISTERED"):
        _revoke(world)
    assert snapshot(b) == everything
    register(world, "C001", "mts", "phone-1")  # pending is not current
    with refused("NOT_REGISTERED"):
        _revoke(world)
    activate(world, "C002", "mts", "phone-2")
    with refused("NOT_REGISTERED"):
        _revoke(world, customer="C002", channel="web")  # the other channel
    assert scalar(b, "SELECT count(*) FROM request WHERE kind = 'revocation'") == 0


def test_a_second_pending_revocation_is_refused(world):
    activate(world, "C001", "mts", "phone-1")
    _revoke(world)
    everything = snapshot(world.backend)
    with refused("DUPLICATE_PENDING"):
        _revoke(world, maker=world.teller2, reason="incident")
    with refused("DUPLICATE_PENDING"):
        _revoke(world, maker=world.teller_b)  # even from another branch
    assert snapshot(world.backend) == everything


def test_replacing_a_credential_closes_its_pending_revocation(world):
    b, c = world.backend, world.clock
    old = activate(world, "C001", "mts", "phone-1")
    req = _revoke(world)
    new = activate(world, "C001", "mts", "phone-2")  # replaced while the revocation waits
    assert credential_row(b, old.credential_id)["status"] == "replaced"
    closed = get_request(b, world.manager, req.id, clock=c)
    assert closed.status == "expired" and "replaced" in closed.decision_note
    with refused("ALREADY_DECIDED"):
        approve_request(b, world.manager, req.id, clock=c)
    # the new credential can be revoked at once: the old request no longer blocks it
    again = _revoke(world)
    assert again.credential_id == new.credential_id
    approve_request(b, world.manager, again.id, clock=c)
    assert credential_row(b, new.credential_id)["status"] == "revoked"
    assert credential_row(b, old.credential_id)["status"] == "replaced"


def test_the_expiry_batch_closes_a_pending_revocation_of_an_expired_credential(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    world.at("2029-11-20T10:00:00+09:00")
    req = _revoke(world)
    world.at("2029-11-25T10:00:00+09:00")
    assert expire_due(b, clock=c).credentials_expired == 1
    assert get_request(b, world.manager, req.id, clock=c).status == "expired"


def test_a_revocation_of_an_expired_credential_is_refused(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    world.at("2029-11-20T10:00:00+09:00")
    req = _revoke(world)
    world.at("2029-11-25T10:00:00+09:00")
    with refused("NOT_REGISTERED"):
        approve_request(b, world.manager, req.id, clock=c)
    assert reject_request(b, world.manager, req.id, note="expired anyway",
                          clock=c).status == "rejected"


def test_a_locked_credential_can_be_revoked(world):
    b, c = world.backend, world.clock
    intake = activate(world, "C001", "web", "chrome")
    for _ in range(5):
        record_login(b, customer_no="C001", channel="web", device_id="chrome", result="fail",
                     clock=c)
    req = _revoke(world, channel="web", reason="incident")
    approve_request(b, world.manager, req.id, clock=c)
    assert credential_row(b, intake.credential_id)["status"] == "revoked"


def test_after_revocation_a_new_registration_is_needed(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    req = _revoke(world)
    approve_request(b, world.manager, req.id, clock=c)
    again = activate(world, "C001", "mts", "phone-1")
    assert record_login(b, customer_no="C001", channel="mts", device_id="phone-1", result="ok",
                        clock=c).credential_id == again.credential_id


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_only_branch_staff_request_revocations(world, who):
    activate(world, "C001", "mts", "phone-1")
    with refused("FORBIDDEN"):
        _revoke(world, maker=getattr(world, who))


def test_revocation_is_audited(world):
    b, c = world.backend, world.clock
    intake = activate(world, "C001", "mts", "phone-1")
    seq = last_seq(b)
    req = _revoke(world, reason="death", note="사망 확인서")
    approve_request(b, world.manager, req.id, clock=c)
    events = events_after(b, seq)
    assert [(e["action"], e["actor"]) for e in events] == [
        ("request.created", "T001"), ("request.approved", "M001"), ("credential.revoked", "M001")]
    assert events[2]["target"] == f"credential:{intake.credential_id}"


def _store_policy(backend, key: str, value: str) -> None:
    """Write a policy row as an approved change leaves it (services/policy.py tests the
    approval itself)."""
    execute(backend, "INSERT INTO setting (key, value) VALUES (:k, :v)", k=key, v=value)


@pytest.fixture
def no_checker_backend(world):
    """A second terminal on the same store, whose policy says revocations need no checker."""
    _store_policy(world.backend, "policy.checker.revocation", "false")
    return Backend(store=world.backend.store, **CHEAP_ARGON2)


def test_policy_without_checker_revokes_at_once(world, no_checker_backend):
    b, c = no_checker_backend, world.clock
    intake = activate(world, "C001", "mts", "phone-1")
    seq = last_seq(b)
    view = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                              reason="lost_device", clock=c)
    assert (view.status, view.authority, view.delegation_id) == ("approved", "policy", None)
    assert view.decided_at == c.now()
    row = credential_row(b, intake.credential_id)
    assert row["status"] == "revoked" and row["end_reason"] == "lost_device"
    assert request_row(b, view.id)["authority"] == "policy"
    actions = [e["action"] for e in events_after(b, seq)]
    assert actions == ["request.created", "request.approved", "credential.revoked"]
    # registration still needs the manager under this policy
    world_backend_intake = register(world, "C001", "mts", "phone-2")
    assert world_backend_intake.status == "pending"


def test_policy_without_checker_for_registration(world):
    b, c = world.backend, world.clock
    _store_policy(b, "policy.checker.registration", "false")
    first = register(world, "C001", "mts", "phone-1")
    assert first.status == "approved"
    assert credential_row(b, first.credential_id)["status"] == "active"
    second = register(world, "C001", "mts", "phone-2")
    assert credential_row(b, first.credential_id)["status"] == "replaced"
    assert request_row(b, second.request_id)["authority"] == "policy"
    # revocation still needs a checker
    req = _revoke(world)
    assert req.status == "pending"
    assert approve_request(b, world.manager, req.id, clock=c).authority == "manager"
