"""Logins reported by the channel, the 5-failure lock, and unlocking by registering again
(DOMAIN.md section 6). A refused login changes nothing."""

from __future__ import annotations

import pytest
from helpers import register
from svc_helpers import (
    activate,
    audit_count,
    credential_row,
    events_after,
    last_seq,
    refused,
    snapshot,
)

from staff_console.services.customer_view import show_customer
from staff_console.services.expiry import expire_due
from staff_console.services.intake import record_login
from staff_console.services.requests import approve_request, request_revocation


def login(world, result, device="phone-1", customer="C001", channel="mts"):
    return record_login(world.backend, customer_no=customer, channel=channel, device_id=device,
                        result=result, clock=world.clock)


def test_four_failures_do_not_lock(world):
    cred = activate(world, device_id="phone-1")
    for n in range(1, 5):
        out = login(world, "fail")
        assert (out.status, out.failed_logins) == ("active", n)
    assert credential_row(world.backend, cred.credential_id)["status"] == "active"
    assert login(world, "ok").status == "active"


def test_the_fifth_consecutive_failure_locks(world):
    b = world.backend
    cred = activate(world, device_id="phone-1")
    for _ in range(4):
        login(world, "fail")
    seq = last_seq(b)
    out = login(world, "fail")
    assert (out.status, out.failed_logins) == ("locked", 5)
    assert credential_row(b, cred.credential_id)["status"] == "locked"
    actions = [e["action"] for e in events_after(b, seq)]
    assert actions == ["credential.login_failed", "credential.locked"]
    detail = show_customer(b, world.teller, "C001", clock=world.clock)
    assert detail.mts.status == "locked"  # still the current credential, but locked


def test_a_success_in_between_resets_the_count(world):
    cred = activate(world, device_id="phone-1")
    for _ in range(4):
        login(world, "fail")
    out = login(world, "ok")
    assert out.failed_logins == 0
    row = credential_row(world.backend, cred.credential_id)
    assert row["last_used_at"] is not None
    for _ in range(4):
        assert login(world, "fail").status == "active"
    assert login(world, "fail").status == "locked"


@pytest.mark.parametrize("result", ["ok", "fail"])
def test_a_locked_credential_refuses_login_and_nothing_changes(world, result):
    activate(world, device_id="phone-1")
    for _ in range(5):
        login(world, "fail")
    everything = snapshot(world.backend)
    with refused("CREDENTIAL_LOCKED"):
        login(world, result)
    assert snapshot(world.backend) == everything


@pytest.mark.parametrize("device", ["phone-1", "phone-2"])
def test_registering_again_and_approval_unlocks(world, device):
    """The customer unlocks by registering again (with verification), on the same or another
    device; the approval replaces the locked credential."""
    b, c = world.backend, world.clock
    locked = activate(world, device_id="phone-1")
    for _ in range(5):
        login(world, "fail")
    again = register(world, "C001", "mts", device)
    with refused("CREDENTIAL_LOCKED"):  # not unlocked until approved
        login(world, "ok")
    approve_request(b, world.manager, again.request_id, clock=c)
    old = credential_row(b, locked.credential_id)
    assert old["status"] == "replaced"
    assert (old["end_reason"], old["replaced_by"]) == ("replaced", again.credential_id)
    out = login(world, "ok", device=device)
    assert (out.credential_id, out.status, out.failed_logins) == (again.credential_id, "active", 0)


def test_login_from_another_device_is_not_registered(world):
    activate(world, device_id="phone-1")
    everything = snapshot(world.backend)
    with refused("NOT_REGISTERED"):
        login(world, "ok", device="phone-2")
    with refused("NOT_REGISTERED"):
        login(world, "fail", device="phone-2")
    assert snapshot(world.backend) == everything


def test_login_without_any_credential_or_while_pending_is_not_registered(world):
    with refused("NOT_REGISTERED"):
        login(world, "ok")
    register(world, "C001", "mts", "phone-1")
    with refused("NOT_REGISTERED"):
        login(world, "ok")


def test_login_after_revocation_is_not_registered(world):
    b, c = world.backend, world.clock
    activate(world, device_id="phone-1")
    req = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                             reason="lost_device", clock=c)
    approve_request(b, world.manager, req.id, clock=c)
    with refused("NOT_REGISTERED"):
        login(world, "ok")


def test_login_on_an_expired_credential_before_the_batch(world):
    activate(world, device_id="phone-1")
    world.at("2029-11-24T23:59:00+09:00")
    assert login(world, "ok").status == "active"  # the last valid day
    world.at("2029-11-25T00:00:00+09:00")
    everything = snapshot(world.backend)
    with refused("CREDENTIAL_EXPIRED"):
        login(world, "ok")
    with refused("CREDENTIAL_EXPIRED"):
        login(world, "fail")
    assert snapshot(world.backend) == everything


def test_login_on_an_expired_credential_after_the_batch(world):
    """The answer does not depend on whether the nightly batch has run yet."""
    activate(world, device_id="phone-1")
    world.at("2029-11-26T09:00:00+09:00")
    assert expire_due(world.backend, clock=world.clock).credentials_expired == 1
    everything = snapshot(world.backend)
    with refused("CREDENTIAL_EXPIRED"):
        login(world, "ok")
    assert snapshot(world.backend) == everything
    # another device is still simply not registered
    with refused("NOT_REGISTERED"):
        login(world, "ok", device="phone-2")


def test_logins_are_audited(world):
    b = world.backend
    cred = activate(world, device_id="phone-1")
    n = audit_count(b)
    login(world, "ok")
    login(world, "fail")
    events = events_after(b, 0)[n:]
    assert [e["action"] for e in events] == ["credential.login", "credential.login_failed"]
    assert all(e["target"] == f"credential:{cred.credential_id}" for e in events)
    assert all(e["customer_no"] == "C001" and e["actor"] == "channel" for e in events)


def test_login_input_is_validated(world):
    activate(world, device_id="phone-1")
    with refused("INVALID_INPUT", "result"):
        login(world, "maybe")
    with refused("INVALID_INPUT", "device_id"):
        login(world, "ok", device="  ")
