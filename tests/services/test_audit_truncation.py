"""Cutting the trail from the end (issue 12 item 4, DOMAIN.md section 8): the head row deleted,
reset or moved back, every event deleted, the newest events cut with and without anchors kept
outside the store, an anchored event rewritten, bad anchor lines. Each is reported with its code
(domain/trail.py), never "intact" and never an unexpected error; nothing is chained onto a head
that fails its MAC, and no genesis is written twice. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from helpers import TEST_KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from svc_helpers import activate, execute, last_seq, refused, scalar

from staff_console.services import staff as staff_service
from staff_console.services.audit_trail import (
    anchor_audit,
    list_events,
    sign_off_access_review,
    signoff_anchor,
    verify_audit,
)
from staff_console.store.audit import (
    canonical_event,
    init_chain,
    make_anchor,
)
from staff_console.store.engine import make_engine
from staff_console.store.keyring import GENESIS_HASH, Keyring
from staff_console.store.meta import STORE_ID, get_setting
from staff_console.store.migrate import upgrade
from staff_console.store.tables import AUDIT_EVENT, AUDIT_HEAD

EVENT = AUDIT_EVENT
HEAD = AUDIT_HEAD
CUTS = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def chain(world):
    """A store with some history (20+ events)."""
    activate(world, "C001", "mts", "phone-1")
    activate(world, "C002", "web", "chrome")
    assert verify(world).ok
    return world


def verify(world, anchors=None):
    return verify_audit(world.backend, clock=world.clock, anchors=anchors)


def _hash(b, seq: int) -> str:
    if seq == 0:
        return GENESIS_HASH
    return scalar(b, "SELECT hash FROM audit_event WHERE seq = :s", s=seq)


def _head(b) -> dict | None:
    with b.store.engine.connect() as conn:
        row = conn.execute(sa.select(HEAD)).first()
    return None if row is None else dict(row._mapping)


def _store_id(b) -> str:
    with b.store.engine.connect() as conn:
        return get_setting(conn, STORE_ID)


def _anchor(world, seq: int, digest: str | None = None, **kwargs) -> str:
    b = world.backend
    return make_anchor(b.store.keyring, kwargs.pop("store_id", _store_id(b)), seq,
                       digest or _hash(b, seq), world.clock.now(), **kwargs).line


def _snapshot(b):
    with b.store.engine.connect() as conn:
        events = [dict(r._mapping) for r in conn.execute(sa.select(EVENT).order_by(EVENT.c.seq))]
        head = [dict(r._mapping) for r in conn.execute(sa.select(HEAD))]
    return events, head


def _restore(b, snap) -> None:
    events, head = snap
    with b.store.engine.begin() as conn:
        conn.execute(sa.delete(EVENT))
        conn.execute(sa.delete(HEAD))
        if events:
            conn.execute(sa.insert(EVENT), events)
        if head:
            conn.execute(sa.insert(HEAD), head)


def _cut(b, keep: int, *, key: bool) -> None:
    """Delete the events after `keep` and move the head back to `keep`: by SQL alone (the MAC
    left as it was) or by someone holding the key (the head re-MACed)."""
    digest = _hash(b, keep)
    execute(b, "DELETE FROM audit_event WHERE seq > :s", s=keep)
    mac = b.store.keyring.head_mac(keep, digest) if key else _head(b)["mac"]
    execute(b, "UPDATE audit_head SET seq = :s, hash = :h, mac = :m WHERE id = 1",
            s=keep, h=digest, m=mac)


def _audited_use_case(world):
    """Any use case that appends an event: adding a branch."""
    return staff_service.add_branch(world.backend, world.admin, "009", "새지점",
                                    clock=world.clock)


def _refused_without_change(world):
    b = world.backend
    before = _snapshot(b)
    with refused("AUDIT_TAMPERED"):
        _audited_use_case(world)
    assert scalar(b, "SELECT count(*) FROM branch WHERE code = '009'") == 0  # rolled back
    assert _snapshot(b) == before  # nothing chained onto the cut head, no head recreated


# ------------------------------------------------------------------------------ the head

def test_a_deleted_head_is_reported_and_never_recreated(chain):
    b = chain.backend
    n = last_seq(b)
    execute(b, "DELETE FROM audit_head")
    result = verify(chain)
    assert not result.ok and result.problem == "HEAD_MISSING"
    assert result.count == n and result.first_bad_seq == n + 1
    _refused_without_change(chain)
    with refused("AUDIT_TAMPERED"):  # `db init` on the cut store: no new genesis
        upgrade(b.store.engine, b.store.keyring)
    with b.store.engine.connect() as s, refused("AUDIT_TAMPERED"):
        init_chain(s, b.store.keyring)
    assert _head(b) is None
    assert verify(chain).problem == "HEAD_MISSING"


def test_a_head_reset_to_the_genesis_by_sql_is_reported(chain):
    b = chain.backend
    n = last_seq(b)
    execute(b, "UPDATE audit_head SET seq = 0, hash = :h WHERE id = 1", h=GENESIS_HASH)
    result = verify(chain)
    # The events still chain, but the head vouches for none of them: every event is read.
    assert not result.ok and result.problem == "HEAD_MISMATCH"
    assert result.count == n and result.first_bad_seq == n + 1
    _refused_without_change(chain)


def test_every_event_deleted_and_the_head_reset_is_reported(chain):
    b = chain.backend
    execute(b, "DELETE FROM audit_event")
    execute(b, "UPDATE audit_head SET seq = 0, hash = :h WHERE id = 1", h=GENESIS_HASH)
    result = verify(chain)
    assert not result.ok and result.problem == "HEAD_MISMATCH"
    assert result.count == 0 and result.first_bad_seq == 1
    _refused_without_change(chain)  # a new chain is not started on the cut one
    with b.store.engine.connect() as s, refused("AUDIT_TAMPERED"):
        init_chain(s, b.store.keyring)


def test_every_event_deleted_is_reported_with_the_range_lost(chain):
    b = chain.backend
    n = last_seq(b)
    execute(b, "DELETE FROM audit_event")
    result = verify(chain)
    assert not result.ok and result.problem == "TRUNCATED"
    assert result.missing == (1, n) and result.first_bad_seq == 1 and result.count == 0


def test_every_event_and_the_head_deleted_is_not_a_new_store(chain):
    b = chain.backend
    execute(b, "DELETE FROM audit_event")
    execute(b, "DELETE FROM audit_head")
    assert verify(chain).problem == "HEAD_MISSING"
    # The store keeps its id: it was initialised, so it gets no second genesis.
    with b.store.engine.connect() as s, refused("AUDIT_TAMPERED"):
        init_chain(s, b.store.keyring)
    _refused_without_change(chain)


@CUTS
@given(data=st.data())
def test_a_tail_cut_with_the_head_moved_back_by_sql_is_found(chain, data):
    b = chain.backend
    snap = _snapshot(b)
    n = len(snap[0])
    keep = data.draw(st.integers(0, n - 1), label="keep")
    try:
        _cut(b, keep, key=False)
        result = verify(chain)
        assert not result.ok and result.problem == "HEAD_MISMATCH"
        assert result.count == keep and result.first_bad_seq == keep + 1
        _refused_without_change(chain)
    finally:
        _restore(b, snap)
    assert verify(chain).ok


# ------------------------------------------------------------------------------ anchors

@CUTS
@given(data=st.data())
def test_a_tail_cut_by_a_key_holder_is_found_only_up_to_the_last_anchor(chain, data):
    b = chain.backend
    snap = _snapshot(b)
    n = len(snap[0])
    keep = data.draw(st.integers(0, n - 1), label="keep")
    anchored = data.draw(st.integers(1, n), label="anchored")
    line = _anchor(chain, anchored)
    try:
        _cut(b, keep, key=True)
        # Without anchors the cut is invisible (documented): the verdict says how far it sees.
        alone = verify(chain)
        assert alone.ok and alone.count == keep and alone.unanchored_after == 0
        result = verify(chain, [line])
        assert result.anchors_checked == 1 and result.unanchored_after == anchored
        if anchored > keep:
            assert not result.ok and result.problem == "TRUNCATED"
            assert result.first_bad_seq == keep + 1 and result.missing == (keep + 1, anchored)
        else:
            assert result.ok
    finally:
        _restore(b, snap)


def _rechain_from(b, keep: int, count: int) -> None:
    """Someone holding the key cuts after `keep` and writes `count` events of their own, chained
    and with the head re-MACed: a consistent chain that is not the original."""
    keyring = b.store.keyring
    with b.store.engine.begin() as conn:
        at = conn.execute(sa.select(EVENT.c.at).where(EVENT.c.seq == max(keep, 1))).scalar()
        conn.execute(sa.delete(EVENT).where(EVENT.c.seq > keep))
        prev = GENESIS_HASH if keep == 0 else conn.execute(
            sa.select(EVENT.c.hash).where(EVENT.c.seq == keep)).scalar()
        for seq in range(keep + 1, keep + count + 1):
            fields = dict(at=at, actor="A0001", terminal="cli", action="branch.added",
                          category="event", customer_no=None, target="branch:X",
                          detail=json.dumps({"forged": seq}))
            digest = keyring.chain_hash(prev, canonical_event(seq, **fields))
            conn.execute(sa.insert(EVENT).values(seq=seq, prev_hash=prev, hash=digest, **fields))
            prev = digest
        seq = keep + count
        conn.execute(sa.update(HEAD).values(seq=seq, hash=prev, mac=keyring.head_mac(seq, prev)))


@CUTS
@given(data=st.data())
def test_an_anchored_event_rewritten_with_the_key_is_found(chain, data):
    b = chain.backend
    snap = _snapshot(b)
    n = len(snap[0])
    anchored = data.draw(st.integers(2, n), label="anchored")
    keep = data.draw(st.integers(1, anchored - 1), label="keep")
    earlier = data.draw(st.integers(1, keep), label="earlier anchor")
    lines = [_anchor(chain, anchored), _anchor(chain, earlier)]  # any order in the file
    try:
        _rechain_from(b, keep, n - keep + 2)  # longer than before: only the anchor can tell
        assert verify(chain).ok
        result = verify(chain, lines)
        assert not result.ok and result.problem == "TRUNCATED"
        # What the earlier anchor vouches for is original; after it, nothing can be trusted.
        assert result.first_bad_seq == earlier + 1 and result.missing == (earlier + 1, anchored)
    finally:
        _restore(b, snap)


def test_an_anchored_event_edited_in_place_is_named(chain):
    b = chain.backend
    n = last_seq(b)
    k = n // 2
    line = _anchor(chain, k)
    execute(b, "UPDATE audit_event SET detail = :d WHERE seq = :s", d='{"edited":1}', s=k)
    result = verify(chain, [line])
    assert not result.ok and result.problem == "EDITED" and result.first_bad_seq == k


def test_an_anchor_of_the_empty_chain(chain):
    assert verify(chain, [_anchor(chain, 0)]).ok
    forged = _anchor(chain, 0, digest="f" * 64)  # the key holder signed a wrong genesis
    result = verify(chain, [forged])
    assert not result.ok and result.problem == "TRUNCATED" and result.first_bad_seq == 1


def test_bad_anchor_lines_are_reported_never_trusted(chain):
    b = chain.backend
    n = last_seq(b)
    good = _anchor(chain, n)
    fields = json.loads(good)
    wrong_mac = json.dumps({**fields, "mac": ("0" if fields["mac"][0] != "0" else "1")
                            + fields["mac"][1:]})
    moved = json.dumps({**fields, "seq": n + 5})  # the MAC covers the seq
    other_store = _anchor(chain, n, store_id=str(uuid.uuid4()))
    other_key = make_anchor(Keyring(bytes(32)), _store_id(b), n, _hash(b, n),
                            chain.clock.now()).line
    not_json, wrong_shape = "anchor: 12 abc", json.dumps({**fields, "extra": 1})
    bool_seq = json.dumps({**fields, "seq": True})
    lines = [good, "", wrong_mac, moved, other_store, other_key, not_json, wrong_shape,
             bool_seq, "x" * 5000, "\x1b]52;c;aGVsbG8=\x07",
             "[" * 999]  # within the line's length, nested deeper than Python's stack
    result = verify(chain, lines)
    assert not result.ok and result.problem == "BAD_ANCHOR" and result.first_bad_seq is None
    assert result.anchors_checked == 1 and result.count == n
    assert result.bad_anchors == ((3, "MAC"), (4, "MAC"), (5, "STORE"), (6, "MAC"),
                                  (7, "FORMAT"), (8, "FORMAT"), (9, "FORMAT"), (10, "FORMAT"),
                                  (11, "FORMAT"), (12, "FORMAT"))
    # A worse problem wins, and the bad lines are still listed.
    snap = _snapshot(b)
    try:
        _cut(b, n - 2, key=True)
        cut = verify(chain, lines)
        assert cut.problem == "TRUNCATED" and cut.missing == (n - 1, n)
        assert len(cut.bad_anchors) == 10
        # A forged anchor cannot make a cut chain pass either: it is simply not trusted.
        forged = json.dumps({**json.loads(_anchor(chain, n - 2)), "seq": n})
        assert verify(chain, [forged]).problem == "BAD_ANCHOR"
    finally:
        _restore(b, snap)


def test_an_old_head_row_put_back_is_caught_by_a_later_anchor(chain):
    """The limit of the head's MAC: a copy of an earlier head row, put back after deleting what
    came after it, passes its MAC. An anchor taken meanwhile catches it."""
    b = chain.backend
    old = _head(b)
    activate(chain, "C003", "mts", "phone-3")
    anchor = anchor_audit(b, chain.auditor, clock=chain.clock)
    execute(b, "DELETE FROM audit_event WHERE seq > :s", s=old["seq"])
    execute(b, "UPDATE audit_head SET seq = :s, hash = :h, mac = :m WHERE id = 1",
            s=old["seq"], h=old["hash"], m=old["mac"])
    assert verify(chain).ok  # without the anchor: not detectable (docs/decisions.md)
    result = verify(chain, [anchor.line])
    assert not result.ok and result.problem == "TRUNCATED"
    assert result.missing == (old["seq"] + 1, anchor.seq)


# ------------------------------------------------------------------------------ services

def test_an_anchor_is_signed_recorded_and_checked(chain):
    b, c = chain.backend, chain.clock
    n = last_seq(b)
    view = anchor_audit(b, chain.auditor, clock=c)
    assert view.seq == n and view.hash == _hash(b, n) and view.kind == "anchor"
    assert view.store_id == _store_id(b)
    line = json.loads(view.line)
    assert set(line) == {"v", "kind", "store", "seq", "hash", "at", "mac"}
    assert line["seq"] == n and line["store"] == view.store_id and "\n" not in view.line
    [e] = list_events(b, chain.auditor, clock=c, action="audit.anchored").items
    assert e.actor == "AU01" and e.detail == {"seq": n, "hash": view.hash}
    assert anchor_audit(b, chain.admin, clock=c).seq == n + 1  # the first anchor's event
    for who in (chain.manager, chain.teller):
        with refused("FORBIDDEN"):
            anchor_audit(b, who, clock=c)
    result = verify(chain, [view.line])
    assert result.ok and result.anchors_checked == 1 and result.unanchored_after == n


def test_an_anchor_is_refused_on_a_cut_head(chain):
    b = chain.backend
    n = last_seq(b)
    execute(b, "UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1", s=n - 1,
            h=_hash(b, n - 1))
    with refused("AUDIT_TAMPERED"):
        anchor_audit(b, chain.auditor, clock=chain.clock)


def test_a_signoff_records_the_head_it_signed_and_serves_as_an_anchor(chain):
    b, c = chain.backend, chain.clock
    n = last_seq(b)
    signed = sign_off_access_review(b, chain.auditor, "2026-11", note="ok", clock=c)
    assert signed.seq == n + 1
    assert signed.detail["head_seq"] == n and signed.detail["head_hash"] == _hash(b, n)
    anchor = signoff_anchor(b, signed)
    assert anchor.kind == "sign-off" and anchor.seq == n
    assert verify(chain, [anchor.line]).ok
    snap = _snapshot(b)
    try:
        _cut(b, n - 3, key=True)
        result = verify(chain, [anchor.line])
        assert result.problem == "TRUNCATED" and result.missing == (n - 2, n)
    finally:
        _restore(b, snap)


def test_verify_by_a_person_on_a_cut_head_still_gives_the_verdict(chain):
    b = chain.backend
    execute(b, "DELETE FROM audit_head")
    result = verify_audit(b, actor=chain.auditor, clock=chain.clock)
    assert result.problem == "HEAD_MISSING"  # the check cannot be recorded on a cut chain
    with refused("FORBIDDEN"):  # the role check still holds
        verify_audit(b, actor=chain.teller, clock=chain.clock)


# ------------------------------------------------------------------------------ genesis

def test_a_new_store_gets_its_genesis_and_id_once(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    keyring = Keyring(TEST_KEY)
    try:
        upgrade(engine, keyring)
        with engine.connect() as conn:
            head = conn.execute(sa.select(HEAD)).one()
            store_id = get_setting(conn, STORE_ID)
        assert (head.seq, head.hash) == (0, GENESIS_HASH)
        assert head.mac == keyring.head_mac(0, GENESIS_HASH)
        assert str(uuid.UUID(store_id)) == store_id
        upgrade(engine, keyring)  # again: nothing changes
        with engine.connect() as conn:
            assert conn.execute(sa.select(HEAD)).one() == head
            assert get_setting(conn, STORE_ID) == store_id
    finally:
        engine.dispose()


def _migrate(b, step: str, revision: str) -> None:
    from alembic import command

    from staff_console.store.migrate import alembic_config

    config = alembic_config(b.store.engine.url.render_as_string(hide_password=False))
    with b.store.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a batch rebuild drops referenced tables: as store.migrate.upgrade does
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            config.attributes["connection"] = connection
            getattr(command, step)(config, revision)
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    b.store.engine.dispose()  # no connection keeps the old table layout


def _as_before_head_macs(b) -> None:
    """The store as a program from before migration 0004 left it: no MAC column."""
    _migrate(b, "downgrade", "0003")


def test_a_store_from_before_head_macs_is_sealed_at_db_init_once_it_verifies(chain):
    b = chain.backend
    _as_before_head_macs(b)
    upgrade(b.store.engine, b.store.keyring)  # `db init` after the program's update
    head = _head(b)
    assert head["mac"] == b.store.keyring.head_mac(head["seq"], head["hash"])
    assert verify(chain).ok
    _audited_use_case(chain)
    assert verify(chain).ok


def test_a_store_from_before_head_macs_with_a_broken_chain_is_not_sealed(chain):
    b = chain.backend
    execute(b, "UPDATE audit_event SET actor = 'X' WHERE seq = 2")
    _as_before_head_macs(b)
    try:
        with refused("AUDIT_TAMPERED"):
            upgrade(b.store.engine, b.store.keyring)
        with b.store.engine.connect() as conn:  # nothing of it committed: the old schema
            assert "mac" not in {c["name"] for c in sa.inspect(conn).get_columns("audit_head")}
    finally:  # the PostgreSQL test database is shared by the session's tests
        _migrate(b, "upgrade", "head")


def test_a_mac_removed_by_sql_is_not_sealed_again(chain):
    """Only the upgrade that adds the MAC column seals a head without one: anywhere else a
    missing MAC is tampering (a cut head with its MAC removed would otherwise be laundered)."""
    b = chain.backend
    n = last_seq(b)
    _cut(b, n - 2, key=False)
    execute(b, "UPDATE audit_head SET mac = NULL")
    assert verify(chain).problem == "HEAD_MISMATCH"
    with refused("AUDIT_TAMPERED"):
        _audited_use_case(chain)
    with refused("AUDIT_TAMPERED"):
        upgrade(b.store.engine, b.store.keyring)
    assert _head(b)["mac"] is None and verify(chain).problem == "HEAD_MISMATCH"


def test_events_waiting_in_the_outbox_are_not_sealed_onto_a_cut_head(chain):
    b = chain.backend
    if not b.store.is_postgres:
        pytest.skip("the outbox and its seal are PostgreSQL's (SQLite chains in the use case)")
    n = last_seq(b)
    # A use case committed and its terminal died before the seal: its event waits.
    execute(b, "INSERT INTO audit_outbox (at, actor, terminal, action, category, detail) "
               "VALUES (now() AT TIME ZONE 'UTC', 'A0001', 'x', 'branch.added', 'event', '{}')")
    _cut(b, n - 2, key=False)
    with refused("AUDIT_TAMPERED"):
        b.store.seal_pending()
    assert scalar(b, "SELECT count(*) FROM audit_outbox") == 1  # still waiting, not chained
    assert last_seq(b) == n - 2
    result = verify(chain)  # readers seal first; a refused seal does not stop the verdict
    assert result.problem == "HEAD_MISMATCH" and result.first_bad_seq == n - 1
