"""The policy lives in the store (DOMAIN.md section 8): admins change it, each change audited,
weakening maker-checker needs a second admin, and a terminal's own idea of the policy counts
for nothing."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from helpers import CHEAP_ARGON2, PASSWORD, register
from svc_helpers import (
    activate,
    events_after,
    execute,
    last_seq,
    query,
    refused,
    snapshot,
)

from staff_console.domain.errors import ConsoleError
from staff_console.domain.policy import Policy
from staff_console.services import staff as staff_service
from staff_console.services.backend import Backend
from staff_console.services.policy import (
    approve_change,
    current_policy,
    list_changes,
    reject_change,
    set_policy,
    show_policy,
)
from staff_console.services.requests import approve_request, get_request, request_revocation


@pytest.fixture
def admin2(world):
    staff_service.add_staff(world.backend, world.admin, employee_no="A0002", name="부관리자",
                            branch_code="HQ", role="admin", password=PASSWORD, clock=world.clock)
    return staff_service.authenticate(world.backend, "A0002", PASSWORD, clock=world.clock)


def _revoke(world, customer="C001"):
    return request_revocation(world.backend, world.teller, customer_no=customer, channel="mts",
                              reason="lost_device", clock=world.clock)


def _values(backend, actor) -> dict:
    return {e.key: e.value for e in show_policy(backend, actor)}


# ------------------------------------------------------------------ reading


def test_an_empty_store_has_the_safe_defaults_and_every_staff_member_may_read_them(world):
    expected = {"policy.checker.registration": True, "policy.checker.revocation": True,
                "policy.request_expiry_days": 7, "policy.idle_lock_minutes": 10,
                "policy.expiring_within_days": 30, "policy.session_hours": 10}
    for actor in (world.teller, world.manager, world.auditor, world.admin):
        assert _values(world.backend, actor) == expected
    assert current_policy(world.backend) == Policy()


def test_an_unreadable_row_written_around_the_console_counts_as_the_safe_default(world):
    b = world.backend
    execute(b, "INSERT INTO setting (key, value) VALUES ('policy.checker.revocation', 'nah')")
    execute(b, "INSERT INTO setting (key, value) VALUES ('policy.request_expiry_days', '-5')")
    activate(world)
    req = _revoke(world)
    assert req.status == "pending"
    assert req.expires_at - req.created_at == timedelta(days=7)


# ------------------------------------------------------------------ strengthening


def test_a_strengthening_change_applies_at_once_and_is_audited_with_old_and_new(world):
    b, c = world.backend, world.clock
    seq = last_seq(b)
    view = set_policy(b, world.admin, "request_expiry_days", "3", clock=c)
    assert (view.status, view.old_value, view.new_value, view.id) == ("applied", 7, 3, None)
    [ev] = events_after(b, seq)
    assert (ev["action"], ev["actor"], ev["target"]) == ("policy.changed", "A0001",
                                                         "policy.request_expiry_days")
    assert json.loads(ev["detail"]) == {"key": "policy.request_expiry_days", "old": "7",
                                        "new": "3"}
    intake = register(world, "C001", "mts", "phone-1")
    req = get_request(b, world.manager, intake.request_id, clock=c)
    assert req.expires_at - req.created_at == timedelta(days=3)
    # switching a checker back on and a shorter idle lock are strengthening too
    assert set_policy(b, world.admin, "policy.idle_lock_minutes", "5", clock=c).status == "applied"
    assert current_policy(b).idle_lock_minutes == 5


@pytest.mark.parametrize("key,value", [
    ("request_expiry_days", "0"), ("request_expiry_days", "31"), ("request_expiry_days", "-1"),
    ("request_expiry_days", "7502"), ("request_expiry_days", "abc"),
    ("request_expiry_days", "1e1"), ("request_expiry_days", "٣"), ("request_expiry_days", ""),
    ("request_expiry_days", "99999999999999999999"),
    ("idle_lock_minutes", "0"), ("idle_lock_minutes", "61"), ("idle_lock_minutes", "2.5"),
    ("expiring_within_days", "0"), ("expiring_within_days", "366"),
    ("checker.revocation", "maybe"), ("checker.registration", "offf"),
])
def test_out_of_range_values_are_refused_naming_the_key_and_write_nothing(world, key, value):
    b = world.backend
    before = snapshot(b)
    with refused("INVALID_INPUT", f"policy.{key}"):
        set_policy(b, world.admin, key, value, clock=world.clock)
    assert snapshot(b) == before


@pytest.mark.parametrize("key", ["checker.approval", "policy.", "", "store_mode", "key_check",
                                 "policy.checker.revocation\x1b[2J", "checker"])
def test_only_policy_keys_can_be_set(world, key):
    before = snapshot(world.backend)
    with refused("INVALID_INPUT", "key"):
        set_policy(world.backend, world.admin, key, "1", clock=world.clock)
    assert snapshot(world.backend) == before


def test_setting_the_value_it_already_has_is_refused(world):
    with refused("INVALID_INPUT", "policy.checker.revocation"):
        set_policy(world.backend, world.admin, "checker.revocation", "on", clock=world.clock)


@pytest.mark.parametrize("who", ["teller", "manager", "auditor"])
def test_only_admins_change_the_policy(world, who):
    before = snapshot(world.backend)
    with refused("FORBIDDEN"):
        set_policy(world.backend, getattr(world, who), "request_expiry_days", "3",
                   clock=world.clock)
    assert snapshot(world.backend) == before


# ------------------------------------------------------------------ weakening: two admins


def test_switching_a_checker_off_waits_for_a_second_admin(world, admin2):
    b, c = world.backend, world.clock
    activate(world)
    seq = last_seq(b)
    pending = set_policy(b, world.admin, "checker.revocation", "off", clock=c)
    assert (pending.status, pending.old_value, pending.new_value) == ("pending", True, False)
    assert pending.expires_at == c.now() + timedelta(days=7)
    [ev] = events_after(b, seq)
    assert (ev["action"], ev["target"]) == ("policy.change_requested",
                                            f"policy_change:{pending.id}")
    # not applied yet: a teller's revocation still waits for the manager
    assert _values(b, world.teller)["policy.checker.revocation"] is True
    first = _revoke(world)
    assert first.status == "pending"
    assert [v.id for v in list_changes(b, admin2, clock=c)] == [pending.id]
    assert [v.id for v in list_changes(b, world.auditor, clock=c)] == [pending.id]

    with refused("SELF_APPROVAL"):
        approve_change(b, world.admin, pending.id, clock=c)
    for other in (world.manager, world.teller, world.auditor):
        with refused("FORBIDDEN"):
            approve_change(b, other, pending.id, clock=c)

    seq = last_seq(b)
    done = approve_change(b, admin2, pending.id, clock=c)
    assert (done.status, done.decider) == ("approved", "A0002")
    [ev] = events_after(b, seq)
    assert (ev["action"], ev["actor"]) == ("policy.changed", "A0002")
    assert json.loads(ev["detail"]) == {"key": "policy.checker.revocation", "old": "true",
                                        "new": "false", "change": pending.id, "maker": "A0001"}
    assert list_changes(b, admin2, clock=c) == []
    # from the next request on, on this terminal and every other
    approve_request(b, world.manager, first.id, clock=c)
    activate(world, "C002", "mts", "phone-2")
    other_terminal = Backend(store=b.store, **CHEAP_ARGON2)
    at_once = request_revocation(other_terminal, world.teller, customer_no="C002",
                                 channel="mts", reason="lost_device", clock=c)
    assert (at_once.status, at_once.authority) == ("approved", "policy")
    with refused("ALREADY_DECIDED"):
        approve_change(b, admin2, pending.id, clock=c)
    with refused("ALREADY_DECIDED"):
        reject_change(b, admin2, pending.id, clock=c)


@pytest.mark.parametrize("key,value", [("request_expiry_days", "30"),
                                       ("idle_lock_minutes", "60"),
                                       ("checker.registration", "false")])
def test_loosening_any_control_waits_for_a_second_admin(world, admin2, key, value):
    b, c = world.backend, world.clock
    before = _values(b, world.admin)
    view = set_policy(b, world.admin, key, value, clock=c)
    assert view.status == "pending"
    assert _values(b, world.admin) == before
    approve_change(b, admin2, view.id, clock=c)
    assert _values(b, world.admin)[f"policy.{key}"] == view.new_value


def test_a_rejected_change_changes_nothing_and_the_maker_may_withdraw_it(world, admin2):
    b, c = world.backend, world.clock
    first = set_policy(b, world.admin, "checker.revocation", "off", clock=c)
    seq = last_seq(b)
    view = reject_change(b, admin2, first.id, note="4-eyes stays", clock=c)
    assert (view.status, view.note) == ("rejected", "4-eyes stays")
    [ev] = events_after(b, seq)
    assert (ev["action"], ev["actor"]) == ("policy.change_rejected", "A0002")
    assert _values(b, world.admin)["policy.checker.revocation"] is True
    second = set_policy(b, world.admin, "checker.revocation", "off", clock=c)
    assert reject_change(b, world.admin, second.id, clock=c).status == "rejected"
    with refused("FORBIDDEN"):
        reject_change(b, world.manager, second.id, clock=c)


def test_one_pending_change_per_key(world, admin2):
    b, c = world.backend, world.clock
    first = set_policy(b, world.admin, "checker.revocation", "off", clock=c)
    before = snapshot(b)
    with refused("DUPLICATE_PENDING"):
        set_policy(b, admin2, "checker.revocation", "off", clock=c)
    assert snapshot(b) == before
    # another key is independent
    other = set_policy(b, admin2, "checker.registration", "off", clock=c)
    assert other.id == first.id + 1


def test_a_pending_change_expires_with_the_request_deadline(world, admin2):
    b, c = world.backend, world.clock
    view = set_policy(b, world.admin, "checker.revocation", "off", clock=c)
    c.advance(days=7)
    with refused("REQUEST_EXPIRED"):
        approve_change(b, admin2, view.id, clock=c)
    assert [v.status for v in list_changes(b, admin2, clock=c)] == ["expired"]
    assert _values(b, world.admin)["policy.checker.revocation"] is True
    # an expired change no longer blocks a new one
    assert set_policy(b, world.admin, "checker.revocation", "off", clock=c).status == "pending"


@pytest.mark.parametrize("bad", [0, -1, 2**40, 999])
def test_unknown_change_ids(world, admin2, bad):
    with pytest.raises(ConsoleError) as info:
        approve_change(world.backend, admin2, bad, clock=world.clock)
    assert info.value.code in ("NOT_FOUND", "INVALID_INPUT")


def test_a_locked_admin_is_refused(world, admin2):
    b, c = world.backend, world.clock
    view = set_policy(b, world.admin, "checker.revocation", "off", clock=c)
    execute(b, "UPDATE staff SET locked_at = created_at WHERE employee_no = 'A0002'")
    with refused("STAFF_LOCKED"):
        approve_change(b, admin2, view.id, clock=c)


# ------------------------------------------------------------------ the terminal is not authority


def test_a_terminals_own_policy_object_changes_nothing(world):
    """What a terminal believes (its Backend.policy, from its settings in the old code) is
    ignored by the rules: the store decides."""
    activate(world)
    hostile = Backend(store=world.backend.store, policy=Policy(
        checker_required={"revocation": False, "registration": False},
        request_expiry_days=0), **CHEAP_ARGON2)
    view = request_revocation(hostile, world.teller, customer_no="C001", channel="mts",
                              reason="lost_device", clock=world.clock)
    assert view.status == "pending"
    assert view.expires_at - view.created_at == timedelta(days=7)


def test_concurrent_weakening_changes_give_one_pending_change(world, admin2):
    b, c = world.backend, world.clock
    results: list = []
    barrier = threading.Barrier(2)

    def propose(actor):
        barrier.wait()
        try:
            results.append(set_policy(b, actor, "checker.revocation", "off", clock=c).status)
        except ConsoleError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=propose, args=(a,)) for a in (world.admin, admin2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["DUPLICATE_PENDING", "pending"]
    rows = query(b, "SELECT key FROM setting WHERE key LIKE 'policy_change.%'")
    assert len(rows) == 1


def test_a_new_request_reads_the_policy_in_its_locking_statement(world):
    """No round trip of its own: the deadline and the checker flag come with the customer lock."""
    import sqlalchemy as sa

    b = world.backend
    activate(world)
    execute(b, "INSERT INTO setting (key, value) VALUES ('policy.request_expiry_days', '5')")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(b.store.engine, "before_cursor_execute", seen)
    try:
        view = _revoke(world)
    finally:
        sa.event.remove(b.store.engine, "before_cursor_execute", seen)
    assert view.expires_at - view.created_at == timedelta(days=5)
    reading = [s for s in statements if "setting" in s.lower()]
    assert len(reading) == 1 and "customer" in reading[0].lower()


@pytest.mark.parametrize("note", ["\x1b[2J", "ok\u202eevil", "zero\u200bwidth", "x" * 501])
def test_a_rejection_note_is_text(world, admin2, note):
    view = set_policy(world.backend, world.admin, "checker.revocation", "off", clock=world.clock)
    before = snapshot(world.backend)
    with refused("INVALID_INPUT", "note"):
        reject_change(world.backend, admin2, view.id, note=note, clock=world.clock)
    assert snapshot(world.backend) == before


def test_a_rejection_note_is_masked_in_the_trail(world, admin2):
    b = world.backend
    view = set_policy(b, world.admin, "checker.revocation", "off", clock=world.clock)
    seq = last_seq(b)
    reject_change(b, admin2, view.id, note="고객 900101 1234567 문의", clock=world.clock)
    [ev] = events_after(b, seq)
    assert "1234567" not in ev["detail"]
