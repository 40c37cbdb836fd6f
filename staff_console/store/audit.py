"""The hash chain of audit events: append under the head lock, verify as a stream.

Mechanism (why the chain stays one verifiable line with many terminals appending at once):

* Extending the chain takes a row lock on the single `audit_head` row (SELECT ... FOR UPDATE on
  PostgreSQL; on SQLite the transaction already holds the database write lock from BEGIN
  IMMEDIATE). The lock serializes chain writers: each reads the tip (seq, hash) that the
  previous one committed, chains its events onto it and moves the tip, so there are no forks
  and no gaps. `seq` is the primary key, so a second event with the same number cannot exist
  even if the lock were bypassed. A transaction that rolls back (or whose client dies) releases
  the lock without moving the tip, so it leaves no gap either.
* A row lock rather than an advisory lock or SERIALIZABLE: see store/engine.py. The head row is
  the one place every writer meets; everything else locks per customer.
* SQLite: the use case's own transaction chains its events (last, just before commit).
* PostgreSQL: holding the head lock inside every use case would make the whole firm wait, event
  by event, for one client round trip after another and for one disk flush each (measured: the
  head lock then caps the store at a few hundred operations per second, far less when the
  terminals' machines are busy). So the use case inserts its events into `audit_outbox` in its
  own transaction, with no shared lock, atomically with its changes; right after the commit
  `Store.run` calls `seal_pending`, which takes the head lock, moves *every* waiting event
  (its own and any other terminal's) into `audit_event`, chained in outbox order, and commits.
  One seal serves however many events are waiting, so under load the chain advances in batches
  and the lock is taken once per batch instead of once per event. `Store.run` returns only
  after its events are chained (by its own seal or by an earlier one that took them).
* Durability: the use case's transaction commits without waiting for the disk
  (`synchronous_commit = off` for that transaction only); the seal commits synchronously.
  Whoever chained our events committed after our commit (it read our rows), and the WAL is
  flushed in order, so when the seal returns our commit is on disk as well: one fsync per batch
  instead of two per use case. A crash can only lose a suffix that no caller was told had
  succeeded, and the chain that survives verifies. If the seal cannot run (the connection
  dropped right after the commit) the events wait in the outbox for the next seal, and
  `Store.run` flushes the WAL explicitly (`durable_flush`) before it reports success.
* Events in the outbox are not chained yet: for those milliseconds, or until the next seal if
  the terminal died right after its commit, they are protected like any other row, not by the
  chain. `Store.seal_pending()` chains leftovers on demand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from .keyring import GENESIS_HASH, Keyring
from .tables import AuditEvent, AuditHead, AuditOutbox


@dataclass(frozen=True, slots=True)
class NewEvent:
    actor: str
    terminal: str
    action: str
    category: str = "event"  # "access" for reads of customer data (개인정보 접속기록)
    customer_no: str | None = None
    target: str | None = None
    detail: dict = field(default_factory=dict)


def canonical_detail(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical_event(
    seq: int,
    at: datetime,
    actor: str,
    terminal: str,
    action: str,
    category: str,
    customer_no: str | None,
    target: str | None,
    detail: str,
) -> bytes:
    body = [seq, at.isoformat(), actor, terminal, action, category, customer_no, target, detail]
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, hash=GENESIS_HASH))
        session.flush()


# Set on the session by `append_events` when it put events in the outbox: after the commit,
# `Store.run` must seal them (`seal_pending`) before it reports success.
NEEDS_SEAL = "audit_needs_seal"

_EVENT_TABLE = AuditEvent.__table__
_HEAD_TABLE = AuditHead.__table__
_OUTBOX_TABLE = AuditOutbox.__table__
_HEAD_KEY = sa.inspect(AuditHead).identity_key_from_primary_key([1])
_HEAD_FOR_UPDATE = sa.select(_HEAD_TABLE.c.seq, _HEAD_TABLE.c.hash).where(
    _HEAD_TABLE.c.id == 1).with_for_update()
_EVENT_FIELDS = ("at", "actor", "terminal", "action", "category", "customer_no", "target",
                 "detail")
SEAL_BATCH = 1000


def append_events(
    session: Session, keyring: Keyring, events: list[NewEvent], at: datetime, *,
    immediate: bool = False,
) -> list[int]:
    """Record `events` in this transaction; returns their seqs when chained here.

    PostgreSQL (unless `immediate`): the events go to the outbox, no lock taken; `Store.run`
    chains them right after the commit (see the module docstring). Returns [].
    SQLite, or `immediate` (a caller that must read its own event back in the transaction):
    chained here under the head lock, which is then held until the transaction ends, so call
    it last."""
    if not events:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not immediate:
        rows = [{
            "at": at, "actor": e.actor, "terminal": e.terminal, "action": e.action,
            "category": e.category, "customer_no": e.customer_no, "target": e.target,
            "detail": canonical_detail(e.detail),
        } for e in events]
        # The transaction may commit without waiting for the disk: the seal that follows
        # commits synchronously after it, and so makes it durable (module docstring). The
        # setting rides on this statement to save a round trip.
        session.execute(sa.insert(_OUTBOX_TABLE).values(rows).returning(
            sa.func.set_config("synchronous_commit", "off", True)))
        session.info[NEEDS_SEAL] = True
        return []
    # Everything else this transaction writes goes out before the lock, not while holding it.
    session.flush()
    head = session.execute(_HEAD_FOR_UPDATE).one()
    rows, seq, prev = _chain(keyring, head[0], head[1], [
        (at, e.actor, e.terminal, e.action, e.category, e.customer_no, e.target,
         canonical_detail(e.detail)) for e in events])
    _write_chained(session.connection(), rows, seq, prev, postgres)
    _sync_loaded_head(session, seq, prev)
    return [r["seq"] for r in rows]


def _chain(keyring: Keyring, seq: int, prev: str, events: list[tuple]) -> tuple[list, int, str]:
    rows = []
    for at, actor, terminal, action, category, customer_no, target, detail in events:
        seq += 1
        digest = keyring.chain_hash(prev, canonical_event(
            seq, at, actor, terminal, action, category, customer_no, target, detail))
        rows.append({
            "seq": seq, "at": at, "actor": actor, "terminal": terminal, "action": action,
            "category": category, "customer_no": customer_no, "target": target,
            "detail": detail, "prev_hash": prev, "hash": digest,
        })
        prev = digest
    return rows, seq, prev


def _write_chained(conn: sa.Connection, rows: list[dict], seq: int, prev: str,
                   postgres: bool) -> None:
    move_head = sa.update(_HEAD_TABLE).where(_HEAD_TABLE.c.id == 1).values(seq=seq, hash=prev)
    if postgres:
        # One round trip: the events and the new tip in a single statement.
        conn.execute(move_head.add_cte(sa.insert(_EVENT_TABLE).values(rows).cte("appended")))
    else:
        conn.execute(sa.insert(_EVENT_TABLE), rows)
        conn.execute(move_head)


def _sync_loaded_head(session: Session, seq: int, digest: str) -> None:
    """If this session holds the head as an ORM object (ensure_head, verify), keep it in step
    with the row, without marking it changed."""
    loaded = session.identity_map.get(_HEAD_KEY)
    if loaded is not None:
        set_committed_value(loaded, "seq", seq)
        set_committed_value(loaded, "hash", digest)


def seal_pending(conn: sa.Connection, keyring: Keyring, *, batch: int = SEAL_BATCH) -> int:
    """Move every event waiting in the outbox into the chain, in outbox order; returns how many.

    One short transaction per batch on `conn` (which must not be in a transaction): lock the
    head (this also waits for any other sealer to commit), take the waiting rows, chain them,
    write them and the new tip in one statement, commit synchronously. Nothing waiting: roll
    back (no disk flush; the sealer that took our rows committed synchronously before we got
    the lock, so our own commit is durable too). Safe to call from many terminals at once: the
    head lock lets one sealer work at a time, and rows are deleted by the sealer that chains
    them, in the same transaction."""
    total = 0
    while True:
        trans = conn.begin()
        try:
            head = conn.execute(_HEAD_FOR_UPDATE).one()
            # Taken after the head lock, so no other sealer is at work and every row committed
            # before this statement is visible, ours among them.
            picked = sa.select(_OUTBOX_TABLE.c.id).order_by(_OUTBOX_TABLE.c.id).limit(batch)
            taken = conn.execute(
                sa.delete(_OUTBOX_TABLE).where(_OUTBOX_TABLE.c.id.in_(picked.scalar_subquery()))
                .returning(_OUTBOX_TABLE.c.id, *(_OUTBOX_TABLE.c[f] for f in _EVENT_FIELDS))
            ).all()
            if not taken:
                trans.rollback()
                return total
            taken.sort(key=lambda r: r[0])
            rows, seq, prev = _chain(keyring, head[0], head[1], [tuple(r[1:]) for r in taken])
            _write_chained(conn, rows, seq, prev, conn.dialect.name == "postgresql")
            trans.commit()
        except BaseException:
            if trans.is_active:
                trans.rollback()
            raise
        total += len(taken)
        if len(taken) < batch:
            return total


def pending_count(session: Session) -> int:
    """Events committed but not chained yet (normally 0; see AuditOutbox)."""
    return session.exec(select(sa.func.count()).select_from(AuditOutbox)).one()


# The statement that makes an asynchronous commit durable when the seal could not run: a
# transactional logical message gets a transaction id and writes WAL, so its (synchronous)
# commit flushes the WAL up to and including every earlier commit of this server. It needs no
# table and no privilege beyond the default EXECUTE.
DURABLE_FLUSH_SQL = "SELECT pg_logical_emit_message(true, 'staff_console', '')"


def durable_flush(connection: sa.Connection) -> None:
    """Wait until everything this server committed so far is on disk (and, with synchronous
    replication configured, on the standbys). `connection` must be in autocommit mode."""
    connection.exec_driver_sql(DURABLE_FLUSH_SQL)


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    ok: bool
    count: int
    first_bad_seq: int | None = None
    problem: str | None = None


def _stream(session: Session, batch: int) -> Iterator[AuditEvent]:
    # Keyset pagination: bounded memory on both databases, no long-held server cursor.
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session, keyring: Keyring, *, batch: int = 5000) -> ChainVerdict:
    """Recompute the chain. Names the first event that was edited, deleted, inserted or moved."""
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    for row in _stream(session, batch):
        if row.seq != expected_seq:
            return ChainVerdict(False, count, expected_seq, f"event {expected_seq} is missing")
        if row.prev_hash != prev:
            return ChainVerdict(False, count, row.seq, "link to the previous event is broken")
        digest = keyring.chain_hash(
            prev,
            canonical_event(
                row.seq, row.at, row.actor, row.terminal, row.action, row.category,
                row.customer_no, row.target, row.detail,
            ),
        )
        if digest != row.hash:
            return ChainVerdict(False, count, row.seq, "event content does not match its hash")
        prev, expected_seq, count = digest, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != prev):
        bad = count + 1 if head.seq > count else head.seq
        return ChainVerdict(False, count, bad, "the chain head does not match the last event")
    return ChainVerdict(True, count)


def count_events(session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(AuditEvent)).one()
