"""The audit trail (DOMAIN.md section 7): every state change appends an event; the HMAC chain
detects an edit, a deletion (in the middle or at the end), a reordering and an insertion, and a
chain recomputed without the key does not pass."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from helpers import PASSWORD, register, utc
from svc_helpers import activate, audit_count, events_after, execute, last_seq, refused

from staff_console.services import staff as staff_service
from staff_console.services.audit_trail import (
    access_log,
    list_events,
    sign_off_access_review,
    verify_audit,
)
from staff_console.services.customer_import import import_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.delegations import end_delegation, grant_delegation
from staff_console.services.expiry import expire_due
from staff_console.services.intake import record_login
from staff_console.services.requests import (
    approve_request,
    reject_request,
    request_revocation,
    withdraw_request,
)
from staff_console.store.audit import canonical_event
from staff_console.store.tables import AUDIT_EVENT, AUDIT_HEAD

CONTENT = ("at", "actor", "terminal", "action", "category", "customer_no", "target", "detail",
           "prev_hash", "hash")


def verify(world):
    return verify_audit(world.backend, clock=world.clock)


def test_every_state_change_appends_an_event(world):
    b, c = world.backend, world.clock
    state: dict = {}

    def step_register():
        state["reg"] = register(world, "C001", "mts", "phone-1")

    def step_register_again():
        state["reg2"] = register(world, "C001", "mts", "phone-2")

    def step_revocation():
        state["rev"] = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                                          reason="lost_device", clock=c)

    def step_grant():
        state["del"] = grant_delegation(b, world.manager, delegate_employee_no="T002",
                                        valid_from=c.now(), valid_until=utc(
                                            "2026-11-30T00:00:00+09:00"), clock=c)

    def failed_sign_in():
        with refused("AUTH_FAILED"):
            staff_service.authenticate(b, "T002", "wrong-password-9", clock=c)

    def login(result):
        return lambda: record_login(b, customer_no="C001", channel="mts", device_id="phone-1",
                                    result=result, clock=c)

    def day_later_expire():
        c.advance(days=8)
        assert expire_due(b, clock=c).requests_expired == 1

    steps = [
        ("branch.add", lambda: staff_service.add_branch(b, world.admin, "003", "판교", clock=c)),
        ("staff.add", lambda: staff_service.add_staff(
            b, world.admin, employee_no="T301", name="새직원", branch_code="003", role="teller",
            password=PASSWORD, clock=c)),
        ("customer.create", lambda: import_customers(
            b, world.admin, "customer_no,name,id_number,phone,branch_code,online_trading,"
            "account_nos\nD001,강감찬,480101-1234567,010-9000-0001,001,Y,\n", clock=c)),
        ("request.created", step_register),
        ("request.approved", lambda: approve_request(b, world.manager, state["reg"].request_id,
                                                     clock=c)),
        ("credential.login", login("ok")),
        ("credential.login_failed", login("fail")),
        ("request.created", step_revocation),
        ("request.withdrawn", lambda: withdraw_request(b, world.teller, state["rev"].id,
                                                       clock=c)),
        ("request.created", step_register_again),
        ("request.rejected", lambda: reject_request(b, world.manager, state["reg2"].request_id,
                                                    note="not the customer", clock=c)),
        ("delegation.granted", step_grant),
        ("delegation.ended", lambda: end_delegation(b, world.manager, state["del"].id,
                                                    clock=c)),
        ("staff.sign_in_failed", failed_sign_in),
        ("staff.sign_in", lambda: staff_service.authenticate(b, "T002", PASSWORD, clock=c)),
        ("staff.sign_out", lambda: staff_service.sign_out(b, world.teller2, clock=c)),
        ("staff.unlock", lambda: staff_service.unlock_staff(b, world.admin, "T002", clock=c)),
        ("request.created", step_revocation),
        ("request.expired", day_later_expire),
        ("access_log.signed_off", lambda: sign_off_access_review(b, world.auditor, "2026-11",
                                                                 clock=c)),
    ]
    for action, run in steps:
        seq = last_seq(b)
        run()
        new = events_after(b, seq)
        assert new, f"{action}: no event"
        assert action in [e["action"] for e in new], (action, [e["action"] for e in new])
    result = verify(world)
    assert result.ok and result.count == audit_count(b)


def test_verify_by_a_person_is_itself_recorded(world):
    b, c = world.backend, world.clock
    seq = last_seq(b)
    result = verify_audit(b, actor=world.auditor, clock=c)
    assert result.ok and result.count == seq
    [e] = events_after(b, seq)
    assert e["action"] == "audit.verified" and e["actor"] == "AU01"
    assert json.loads(e["detail"]) == {"ok": True, "count": seq, "first_bad": None,
                                       "problem": None, "anchors": 0}
    with refused("FORBIDDEN"):
        verify_audit(b, actor=world.teller, clock=c)
    assert verify(world).ok


def test_audit_events_can_be_read_by_auditors_and_managers(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    page = list_events(b, world.auditor, clock=c, customer_no="C001", limit=10)
    assert [e.action for e in page.items][:2] == ["credential.activated", "request.approved"]
    assert all(e.customer_no == "C001" for e in page.items)
    with refused("FORBIDDEN"):
        list_events(b, world.teller, clock=c)
    show_customer(b, world.teller, "C001", clock=c)
    show_customer(b, world.teller_b, "C001", clock=c)
    review = access_log(b, world.manager, "2026-11", clock=c)
    assert review.items and all(e.category == "access" for e in review.items)
    assert {e.actor for e in review.items} <= {"M001", "T001", "T002"}  # not T201 of 002
    assert "T001" in {e.actor for e in review.items}
    everyone = access_log(b, world.auditor, "2026-11", clock=c)
    assert {"T001", "T201"} <= {e.actor for e in everyone.items}


# ------------------------------------------------------------------------------ tampering

@pytest.fixture
def chain(world):
    """A store with some history: 20+ events."""
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    activate(world, "C002", "web", "chrome")
    req = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                             reason="customer_request", clock=c)
    approve_request(b, world.manager, req.id, clock=c)
    assert verify(world).ok
    return world


def _event(backend, seq):
    with backend.store.engine.connect() as conn:
        return _row(conn, seq)


def _row(conn, seq):
    """Event `seq` as a plain object whose attributes can be edited."""
    found = conn.execute(sa.select(AUDIT_EVENT).where(AUDIT_EVENT.c.seq == seq)).one()
    return SimpleNamespace(**found._mapping)


def _save(conn, seq, row, columns=CONTENT):
    conn.execute(sa.update(AUDIT_EVENT).where(AUDIT_EVENT.c.seq == seq)
                 .values({c: getattr(row, c) for c in columns}))


def _head(conn):
    return SimpleNamespace(**conn.execute(sa.select(AUDIT_HEAD).where(AUDIT_HEAD.c.id == 1))
                           .one()._mapping)


def _save_head(conn, head):
    conn.execute(sa.update(AUDIT_HEAD).where(AUDIT_HEAD.c.id == 1)
                 .values(seq=head.seq, hash=head.hash, mac=head.mac))


def test_an_edited_detail_is_found(chain):
    b = chain.backend
    n = last_seq(b)
    k = n // 2
    execute(b, "UPDATE audit_event SET detail = :d WHERE seq = :s", d='{"edited":true}', s=k)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == k and result.count == k - 1


@pytest.mark.parametrize("column, value", [
    ("actor", "X9999"), ("action", "staff.sign_in"), ("customer_no", "C002"),
    ("terminal", "elsewhere"), ("category", "access"),
])
def test_an_edit_of_any_column_is_found(chain, column, value):
    b = chain.backend
    k = 5
    execute(b, f"UPDATE audit_event SET {column} = :v WHERE seq = :s", v=value, s=k)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == k


def test_an_edited_time_is_found(chain):
    b = chain.backend
    k = 7
    row = _event(b, k)
    with b.store.engine.begin() as conn:
        e = _row(conn, k)
        e.at = utc("2020-01-01T00:00:00Z")
        _save(conn, k, e, ("at",))
    assert row.at != utc("2020-01-01T00:00:00Z")
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == k


def test_a_deleted_middle_event_is_named(chain):
    b = chain.backend
    k = last_seq(b) // 2
    execute(b, "DELETE FROM audit_event WHERE seq = :s", s=k)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == k
    assert result.problem == "DELETED" and result.missing == (k, k)


def test_a_deleted_last_event_is_found_by_the_head(chain):
    b = chain.backend
    n = last_seq(b)
    execute(b, "DELETE FROM audit_event WHERE seq = :s", s=n)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == n
    assert result.problem == "TRUNCATED" and result.missing == (n, n)


def test_deleting_the_newest_events_is_found_by_the_head(chain):
    b = chain.backend
    n = last_seq(b)
    execute(b, "DELETE FROM audit_event WHERE seq >= :s", s=n - 2)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == n - 2
    assert result.problem == "TRUNCATED" and result.missing == (n - 2, n)


def test_deleting_the_newest_events_and_rolling_the_head_back_is_found(chain):
    b = chain.backend
    n = last_seq(b)
    kept = _event(b, n - 3)
    execute(b, "DELETE FROM audit_event WHERE seq > :s", s=n - 3)
    execute(b, "UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1", s=n - 3, h=kept.hash)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == n - 2
    assert result.problem == "HEAD_MISMATCH"


def test_swapped_events_are_found(chain):
    b = chain.backend
    i, j = 4, 9
    a, z = _event(b, i), _event(b, j)
    with b.store.engine.begin() as conn:
        ea, ez = _row(conn, i), _row(conn, j)
        for col in CONTENT:
            setattr(ea, col, getattr(z, col))
            setattr(ez, col, getattr(a, col))
        _save(conn, i, ea)
        _save(conn, j, ez)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == i


def test_swapped_contents_keeping_the_hashes_are_found(chain):
    b = chain.backend
    i, j = 4, 9
    a, z = _event(b, i), _event(b, j)
    with b.store.engine.begin() as conn:
        ea, ez = _row(conn, i), _row(conn, j)
        for col in CONTENT[:-2]:
            setattr(ea, col, getattr(z, col))
            setattr(ez, col, getattr(a, col))
        _save(conn, i, ea)
        _save(conn, j, ez)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == i


def _forge(backend, seq, at, detail, prev, digest_fn):
    canonical = canonical_event(seq, at, "M001", "cli", "request.approved", "event", "C001",
                                "request:99", detail)
    return dict(seq=seq, at=at, actor="M001", terminal="cli", action="request.approved",
                category="event", customer_no="C001", target="request:99", detail=detail,
                prev_hash=prev, hash=digest_fn(prev, canonical))


def _sha256(prev, canonical):
    return hashlib.sha256(prev.encode() + canonical).hexdigest()


def test_a_forged_event_appended_with_the_head_moved_is_found(chain):
    b = chain.backend
    n = last_seq(b)
    with b.store.engine.begin() as conn:
        head = _head(conn)
        last = _row(conn, n)
        forged = _forge(b, n + 1, last.at, '{"forged":true}', head.hash, _sha256)
        conn.execute(sa.insert(AUDIT_EVENT).values(forged))
        head.seq, head.hash = n + 1, forged["hash"]
        _save_head(conn, head)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == n + 1


def test_a_forged_event_inserted_in_the_middle_is_found(chain):
    b = chain.backend
    n, k = last_seq(b), 6
    with b.store.engine.begin() as conn:
        # make room: shift every later event up by one (from the end, keys stay unique)
        for seq in range(n, k - 1, -1):
            conn.execute(AUDIT_EVENT.update().where(AUDIT_EVENT.c.seq == seq)
                         .values(seq=seq + 1))
        prev = _row(conn, k - 1)
        conn.execute(sa.insert(AUDIT_EVENT).values(
            _forge(b, k, prev.at, '{"forged":true}', prev.hash, _sha256)))
        head = _head(conn)
        head.seq = n + 1
        _save_head(conn, head)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == k


def _rechain(backend, start, digest_fn, edit):
    """Edit event `start`, then recompute every hash from there on and move the head."""
    with backend.store.engine.begin() as conn:
        seqs = conn.execute(sa.select(AUDIT_EVENT.c.seq).where(AUDIT_EVENT.c.seq >= start)
                            .order_by(AUDIT_EVENT.c.seq)).scalars().all()
        rows = [_row(conn, seq) for seq in seqs]
        prev = _row(conn, start - 1).hash
        for row in rows:
            if row.seq == start:
                edit(row)
            row.prev_hash = prev
            row.hash = digest_fn(prev, canonical_event(
                row.seq, row.at, row.actor, row.terminal, row.action, row.category,
                row.customer_no, row.target, row.detail))
            prev = row.hash
            _save(conn, row.seq, row)
        head = _head(conn)
        head.hash = prev
        if digest_fn == backend.store.keyring.chain_hash:  # the forger holds the key
            head.mac = backend.store.keyring.head_mac(head.seq, prev)
        _save_head(conn, head)


def test_a_chain_recomputed_with_plain_sha256_does_not_pass(chain):
    b = chain.backend
    k = 8

    def edit(row):
        row.actor = "X9999"

    _rechain(b, k, _sha256, edit)
    result = verify(chain)
    assert not result.ok and result.first_bad_seq == k


def test_only_the_key_can_rechain(chain):
    """Control for the test above: the same rewrite done with the key passes, so what stops
    the forger is the key (HMAC), not a mistake in the forging."""
    b = chain.backend
    k = 8

    def edit(row):
        row.actor = "X9999"

    _rechain(b, k, b.store.keyring.chain_hash, edit)
    assert verify(chain).ok


def test_a_wrong_key_does_not_verify(chain):
    from staff_console.services.backend import Backend
    from staff_console.store.engine import Store
    from staff_console.store.keyring import Keyring

    other = Backend(store=Store(chain.backend.store.engine, Keyring(bytes(32))))
    result = verify_audit(other, clock=chain.clock)
    assert not result.ok and result.first_bad_seq == 1
