"""Replacement (DOMAIN.md sections 1 and 6): one current credential per customer and channel; a
newly approved registration ends the previous one at the moment of approval, in the same
transaction. The two channels are independent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import register, utc
from svc_helpers import (
    activate,
    credential_row,
    credentials_of,
    current_count,
    events_after,
    execute,
    last_seq,
    refused,
    snapshot,
)

from staff_console.services import requests as requests_service
from staff_console.services.customer_view import show_customer
from staff_console.services.intake import record_login
from staff_console.services.requests import approve_request, reject_request


def test_second_mts_registration_replaces_the_first_at_approval(world):
    b, c = world.backend, world.clock
    first = activate(world, "C001", "mts", "galaxy")
    c.advance(days=2)
    second = register(world, "C001", "mts", "iphone")
    # while the second waits for approval the first keeps working
    assert credential_row(b, first.credential_id)["status"] == "active"
    assert record_login(b, customer_no="C001", channel="mts", device_id="galaxy", result="ok",
                        clock=c).status == "active"
    c.advance(hours=3)
    approved_at = c.now()
    seq = last_seq(b)
    approve_request(b, world.manager, second.request_id, clock=c)

    old = credential_row(b, first.credential_id)
    new = credential_row(b, second.credential_id)
    assert old["status"] == "replaced" and new["status"] == "active"
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.mts.id == second.credential_id
    assert detail.mts.activated_at == approved_at
    old_view = next(h for h in detail.history if h.id == first.credential_id)
    assert old_view.status == "replaced"
    assert old_view.ended_at == approved_at
    assert (old_view.end_reason, old_view.replaced_by) == ("replaced", second.credential_id)
    # one transaction: the decision, the replacement and the activation are one batch of events
    actions = [(e["action"], e["target"]) for e in events_after(b, seq)]
    assert ("request.approved", f"request:{second.request_id}") in actions
    assert ("credential.replaced", f"credential:{first.credential_id}") in actions
    assert ("credential.activated", f"credential:{second.credential_id}") in actions
    # the old device is refused from now on
    with refused("NOT_REGISTERED"):
        record_login(b, customer_no="C001", channel="mts", device_id="galaxy", result="ok",
                     clock=c)
    assert record_login(b, customer_no="C001", channel="mts", device_id="iphone", result="ok",
                        clock=c).status == "active"


def test_replacement_and_activation_are_one_transaction(world, monkeypatch):
    """If anything fails after the old credential was ended, nothing of the approval stays."""
    b, c = world.backend, world.clock
    first = activate(world, "C001", "mts", "galaxy")
    second = register(world, "C001", "mts", "iphone")
    everything = snapshot(b)

    def broken_record(*args, **kwargs):
        raise RuntimeError("disk full while writing the audit trail")

    monkeypatch.setattr(requests_service, "record", broken_record)
    with pytest.raises(RuntimeError):
        approve_request(b, world.manager, second.request_id, clock=c)
    assert snapshot(b) == everything
    assert credential_row(b, first.credential_id)["status"] == "active"
    assert credential_row(b, second.credential_id)["status"] == "pending"


def test_web_and_mts_are_independent(world):
    b, c = world.backend, world.clock
    mts = activate(world, "C001", "mts", "galaxy")
    web = activate(world, "C001", "web", "chrome")
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.mts.id == mts.credential_id and detail.web.id == web.credential_id
    # replacing the web credential leaves MTS alone, and the reverse
    safari = activate(world, "C001", "web", "safari")
    assert credential_row(b, web.credential_id)["status"] == "replaced"
    assert credential_row(b, mts.credential_id)["status"] == "active"
    iphone = activate(world, "C001", "mts", "iphone")
    assert credential_row(b, safari.credential_id)["status"] == "active"
    assert credential_row(b, mts.credential_id)["status"] == "replaced"
    assert credential_row(b, iphone.credential_id)["status"] == "active"
    # an MTS registration does not log in on the web, and the reverse
    with refused("NOT_REGISTERED"):
        record_login(b, customer_no="C001", channel="web", device_id="iphone", result="ok",
                     clock=c)
    with refused("NOT_REGISTERED"):
        record_login(b, customer_no="C001", channel="mts", device_id="safari", result="ok",
                     clock=c)


def test_never_two_current_credentials_on_one_channel(world):
    b = world.backend
    for n in range(4):
        activate(world, "C001", "mts", f"phone-{n}")
        activate(world, "C001", "web", f"browser-{n}")
        assert current_count(b, "C001", "mts") == 1
        assert current_count(b, "C001", "web") == 1
    statuses = [c["status"] for c in credentials_of(b, "C001", "mts")]
    assert statuses == ["replaced", "replaced", "replaced", "active"]


def test_the_database_refuses_a_second_current_credential(world):
    """The partial unique index holds even against a path that forgets the rule."""
    b = world.backend
    first = activate(world, "C001", "mts", "galaxy")
    row = credential_row(b, first.credential_id)
    with pytest.raises(sa.exc.IntegrityError):
        execute(b, "INSERT INTO credential (customer_id, channel, status, device_id, biometrics, "
                   "methods, created_at, failed_logins) VALUES (:cid, 'mts', 'locked', 'x', "
                   "'none', 'pin', :at, 0)", cid=row["customer_id"], at=row["created_at"])


def test_reregistration_on_the_same_device_replaces(world):
    b, c = world.backend, world.clock
    first = activate(world, "C001", "web", "chrome")
    c.advance(days=30)
    second = activate(world, "C001", "web", "chrome")
    old = credential_row(b, first.credential_id)
    assert old["status"] == "replaced"
    assert (old["end_reason"], old["replaced_by"]) == ("replaced", second.credential_id)
    assert credential_row(b, second.credential_id)["status"] == "active"
    assert current_count(b, "C001", "web") == 1


def test_an_old_credential_past_validity_ends_as_expired_not_replaced(world):
    b, c = world.backend, world.clock
    first = activate(world, "C001", "mts", "galaxy")  # last valid day 2029-11-24
    world.at("2029-12-01T11:00:00+09:00")
    second = activate(world, "C001", "mts", "iphone")
    old = credential_row(b, first.credential_id)
    assert old["status"] == "expired" and old["end_reason"] == "expired"
    detail = show_customer(b, world.teller, "C001", clock=c)
    old_view = next(h for h in detail.history if h.id == first.credential_id)
    # it stopped being valid at the start of 2029-11-25, Korea time, not at the approval
    assert old_view.ended_at == utc("2029-11-25T00:00:00+09:00")
    assert detail.mts.id == second.credential_id


def test_a_rejected_reregistration_leaves_the_current_credential(world):
    b, c = world.backend, world.clock
    first = activate(world, "C001", "mts", "galaxy")
    second = register(world, "C001", "mts", "iphone")
    reject_request(b, world.manager, second.request_id, note="customer did not ask for it",
                   clock=c)
    assert credential_row(b, first.credential_id)["status"] == "active"
    rejected = credential_row(b, second.credential_id)
    assert rejected["status"] == "rejected" and rejected["activated_at"] is None
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.mts.id == first.credential_id


def test_the_customer_view_shows_every_credential_newest_first_with_both_channels(world):
    """The view reads the customer and all its credentials in one statement: every credential
    once, newest first; the accounts once; the pending requests beside them."""
    b, c = world.backend, world.clock
    first = activate(world, "C001", "mts", "galaxy")
    c.advance(days=1)
    web = activate(world, "C001", "web", "chrome")
    c.advance(days=1)
    second = activate(world, "C001", "mts", "iphone")
    c.advance(days=1)
    waiting = register(world, "C001", "web", "firefox")
    c.advance(hours=1)
    revoking = requests_service.request_revocation(
        b, world.teller, customer_no="C001", channel="mts", reason="lost_device", clock=c)
    statements = []
    sa.event.listen(b.store.engine, "before_cursor_execute",
                    seen := lambda _conn, _cur, statement, *_: statements.append(statement))
    try:
        detail = show_customer(b, world.teller, "C001", clock=c)
    finally:
        sa.event.remove(b.store.engine, "before_cursor_execute", seen)
    # One statement reads the customer, its credentials and their pending requests.
    assert len([x for x in statements if "FROM customer" in x or "FROM request" in x]) == 1
    assert [h.id for h in detail.history] == [
        waiting.credential_id, second.credential_id, web.credential_id, first.credential_id]
    assert [h.status for h in detail.history] == ["pending", "active", "active", "replaced"]
    assert detail.mts.id == second.credential_id and detail.web.id == web.credential_id
    assert detail.accounts == ["12345678901", "12345678902"]
    # The pending requests, oldest first, each with its credential; the decided ones (the
    # three approved registrations) are not among them.
    assert [(p.id, p.kind, p.credential.id) for p in detail.pending] == [
        (waiting.request_id, "registration", waiting.credential_id),
        (revoking.id, "revocation", second.credential_id)]
    assert [(p.maker, p.maker_name) for p in detail.pending] == [(None, None), ("T001", "이창구")]
    assert {e.kind for e in detail.pending[0].evidence} == {"id_card", "one_won", "phone"}
    # A customer with no credential at all: one row, no history.
    bare = show_customer(b, world.teller, "C002", clock=c)
    assert bare.history == [] and bare.mts is None and bare.web is None
    assert bare.accounts == ["22345678901"]
