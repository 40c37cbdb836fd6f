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
* PostgreSQL: holding the head lock inside every use case makes the whole firm wait, event by
  event, for one client round trip after another and for one disk flush each; when the CPUs are
  busy the holder is descheduled with the lock held and everyone queues (benchmarks/bench_load.py
  with BENCH_AUDIT_DIRECT=1: p99 about twice as long, throughput lower or equal; figures in
  docs/postgresql.md). So the use case inserts its events into `audit_outbox` in its
  own transaction, with no shared lock, atomically with its changes; then a *seal* takes the
  head lock, moves *every* waiting event (its own and any other terminal's) into `audit_event`,
  chained in outbox order, and commits. One seal serves however many events are waiting, so the
  chain advances in batches and the lock is taken once per batch instead of once per event.
* Who seals: in the console, a sealer thread per terminal, a few milliseconds after the commit
  (store/sealer.py); in the CLI, `Store.run` right after the commit, before it returns. Readers
  of the trail seal first (`Store.flush_audit`).
* Durability: with the background sealer the use case commits synchronously. With the seal
  right after the commit, the use case's transaction commits without waiting for the disk
  (`synchronous_commit = off` for that transaction only) and the seal commits synchronously:
  whoever chained our events committed after our commit (it read our rows), and the WAL is
  flushed in order, so when the seal returns our commit is on disk as well: one fsync per batch
  instead of two per use case. If that seal cannot run (the connection dropped right after the
  commit) the events wait in the outbox for the next seal, and `Store.run` flushes the WAL
  explicitly (`durable_flush`) before it reports success. A crash can only lose a suffix that
  no caller was told had succeeded, and the chain that survives verifies.
* Events in the outbox are not chained yet: for those milliseconds, or until the next seal if
  the terminal died right after its commit, they are protected like any other row, not by the
  chain. `Store.seal_pending()` chains leftovers on demand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from .keyring import GENESIS_HASH, Keyring
from .prepared import rollback_keeping_prepared
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


# Built once (json.dumps would build an encoder per call; the output is the same).
_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                                default=str)
_EVENT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def canonical_detail(detail: dict) -> str:
    return _DETAIL_JSON.encode(detail)


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
    return _canonical(seq, at.isoformat(), actor, terminal, action, category, customer_no,
                      target, detail)


def _canonical(seq, at_iso, actor, terminal, action, category, customer_no, target,
               detail) -> bytes:
    body = [seq, at_iso, actor, terminal, action, category, customer_no, target, detail]
    return _EVENT_JSON.encode(body).encode()


def ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, hash=GENESIS_HASH))
        session.flush()


# Set on the session by `append_events` when it put events in the outbox (their outbox ids):
# after the commit, `Store.run` must see them sealed (`seal_pending`) before it reports success.
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
# The outbox insert. When the seal follows the commit at once, the transaction may commit without
# waiting for the disk (the seal commits synchronously after it, and so makes it durable: module
# docstring); the setting rides on this statement to save a round trip. A use case appends one
# to a few events:
# for those a VALUES list with one statement text per count (prepared once per connection by
# the driver); more go as arrays (one text for any number: an import appends thousands).
_OUTBOX_INSERT = (
    "INSERT INTO audit_outbox (at, actor, terminal, action, category, customer_no, target, "
    "detail) SELECT e.* FROM ")
_ASYNC_COMMIT = (
    "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)) ")
_OUTBOX_VALUES_ROW = ("(%s::timestamp, %s::varchar, %s::varchar, %s::varchar, %s::varchar, "
                      "%s::varchar, %s::varchar, %s::varchar)")
_OUTBOX_VALUES_MAX = 8


def _outbox_sql(source: str, async_commit: bool) -> str:
    if async_commit:
        return _ASYNC_COMMIT + _OUTBOX_INSERT + "async_commit, " + source + " RETURNING id"
    return _OUTBOX_INSERT + source + " RETURNING id"


_OUTBOX_SQL = {
    (n, async_commit): _outbox_sql(
        "(VALUES " + ", ".join([_OUTBOX_VALUES_ROW] * n) + ") AS e", async_commit)
    for n in range(1, _OUTBOX_VALUES_MAX + 1) for async_commit in (False, True)
}
for _async in (False, True):
    _OUTBOX_SQL["arrays", _async] = _outbox_sql(
        "unnest(%s::timestamp[], %s::varchar[], %s::varchar[], %s::varchar[], "
        "%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[]) AS e", _async)

# Set on the session by `Store.run` when its events are chained in the background (after
# `Store.run` returns): the use case's own commit must then be durable by itself.
SEAL_LATER = "audit_seal_later"
_STILL_WAITING_SQL = "SELECT EXISTS (SELECT 1 FROM audit_outbox WHERE id = ANY(%s::bigint[]))"


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
        naive_utc = at.astimezone(UTC).replace(tzinfo=None)  # as the UTCDateTime column stores
        rows = [(naive_utc, e.actor, e.terminal, e.action, e.category, e.customer_no, e.target,
                 canonical_detail(e.detail)) for e in events]
        # On the driver's cursor: fixed statement texts, nothing for SQLAlchemy to compile.
        # Chained right after the commit by `Store.run`: the commit need not wait for the disk
        # (the seal's synchronous commit follows it). Chained later: it must.
        async_commit = not session.info.get(SEAL_LATER)
        with session.connection().connection.driver_connection.cursor() as cursor:
            if len(rows) <= _OUTBOX_VALUES_MAX:
                cursor.execute(_OUTBOX_SQL[len(rows), async_commit],
                               [v for row in rows for v in row])
            else:
                cursor.execute(_OUTBOX_SQL["arrays", async_commit],
                               [list(column) for column in zip(*rows, strict=True)])
            ids = [r[0] for r in cursor.fetchall()]
        session.info.setdefault(NEEDS_SEAL, []).extend(ids)
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


_SEAL_HEAD_SQL = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
_SEAL_HEAD_SKIP_SQL = _SEAL_HEAD_SQL + " SKIP LOCKED"

# `seal_pending(..., wait=False)` found another seal at work.
BUSY = -1
_SEAL_TAKE_SQL = (
    "SELECT id, at, actor, terminal, action, category, customer_no, target, detail "
    "FROM audit_outbox ORDER BY id LIMIT %s")
# One fixed statement for any batch size (prepared once per connection): the taken rows move
# from the outbox into the chain with the seq and hashes computed here (the event text is not
# sent back: the server copies it from the rows it deletes), and the tip moves. It returns how
# many events it wrote, which must be how many were taken.
_SEAL_WRITE_SQL = (
    "WITH link AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], "
    "%s::varchar[]) AS l(id, seq, prev_hash, hash)), "
    "moved AS (DELETE FROM audit_outbox o USING link WHERE o.id = link.id RETURNING link.seq, "
    "o.at, o.actor, o.terminal, o.action, o.category, o.customer_no, o.target, o.detail, "
    "link.prev_hash, link.hash), "
    "appended AS (INSERT INTO audit_event (seq, at, actor, terminal, action, category, "
    "customer_no, target, detail, prev_hash, hash) SELECT * FROM moved RETURNING 1) "
    "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1 "
    "RETURNING (SELECT count(*) FROM appended)")


def seal_pending(conn: sa.Connection, keyring: Keyring, *, mine: list[int] | None = None,
                 batch: int = SEAL_BATCH, wait: bool = True) -> int:
    """Move every event waiting in the outbox into the chain, in outbox order; returns how many.
    PostgreSQL only (SQLite chains in the use case's transaction).

    One short transaction per batch on `conn` (which must not be in a transaction): lock the
    head (this also waits for any other sealer to commit), take the waiting rows, chain them,
    write them and the new tip in one statement, commit synchronously. Nothing waiting: roll
    back (no disk flush needed: the sealer that took our rows committed synchronously before we
    got the lock, so our own earlier commit is durable too). Safe to call from many terminals
    at once: the head lock lets one sealer work at a time, and a row is deleted by the sealer
    that chains it, in the same transaction.

    Runs on the driver connection (no SQL compiled per call): lock, take, write, commit. The
    take is a separate statement after the lock, so its snapshot is taken once the lock is
    held: every row committed before the seal started is visible to it (ours among them)
    unless an earlier sealer already chained it.

    `mine`: the caller's own outbox ids. If another terminal's seal already took them (often,
    under load: one seal serves everyone waiting), there is nothing to do and no lock to queue
    for; their absence proves that seal committed, synchronously, after our commit, so ours is
    durable too. One autocommit query decides it.

    `wait=False` (the background sealer): if another seal holds the head, do not queue behind
    it; return BUSY and let the caller try again shortly (that seal may take our events)."""
    raw = conn.connection.driver_connection
    total = 0
    if mine:
        raw.autocommit = True
        try:
            waiting = raw.execute(_STILL_WAITING_SQL, (mine,)).fetchone()[0]
        finally:
            raw.autocommit = False
        if not waiting:
            return 0
    while True:
        try:
            head = raw.execute(_SEAL_HEAD_SQL if wait else _SEAL_HEAD_SKIP_SQL).fetchone()
            if head is None:  # SKIP LOCKED: another seal is at work
                rollback_keeping_prepared(raw)
                return total or BUSY
            taken = raw.execute(_SEAL_TAKE_SQL, (batch,)).fetchall()
            if not taken:
                rollback_keeping_prepared(raw)
                return total
            rows, seq, prev = _chain(keyring, head[0], head[1], [
                (r[1].replace(tzinfo=UTC), *r[2:]) for r in taken])
            written = raw.execute(_SEAL_WRITE_SQL, (
                [r[0] for r in taken], [row["seq"] for row in rows],
                [row["prev_hash"] for row in rows], [row["hash"] for row in rows], seq, prev,
            )).fetchone()[0]
            if written != len(taken):  # only sealers delete, one at a time: cannot happen
                raise RuntimeError(f"audit seal wrote {written} of {len(taken)} events")
            raw.commit()
        except BaseException:
            if not raw.closed:
                raw.rollback()
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


_VERIFY_COLUMNS = [_EVENT_TABLE.c[name] for name in (
    "seq", "at", "actor", "terminal", "action", "category", "customer_no", "target", "detail",
    "prev_hash", "hash")]


_VERIFY_SQL_PG = (
    "SELECT seq, at, actor, terminal, action, category, customer_no, target, detail, "
    "prev_hash, hash FROM audit_event WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s")


def _stream(session: Session, batch: int, upto: int | None) -> Iterator[tuple]:
    """Events in seq order as plain tuples (no ORM objects), `batch` at a time by keyset
    pagination: bounded memory on both databases, no long-held server cursor, and each batch is
    a short statement, so verifying never holds back the terminals. `at` comes as an ISO string
    of the UTC instant, exactly as the chain hashed it. On PostgreSQL the rows are read from
    the driver directly (a third faster: 1M events are read and hashed in the check)."""
    conn = session.connection()
    last = 0
    if conn.dialect.name == "postgresql":
        limit = upto if upto is not None else 2**62
        with conn.connection.driver_connection.cursor() as cur:
            while True:
                rows = cur.execute(_VERIFY_SQL_PG, (last, limit, batch)).fetchall()
                if not rows:
                    return
                for row in rows:  # naive UTC (the column type's storage): same ISO text
                    yield (row[0], row[1].isoformat() + "+00:00", *row[2:])
                last = rows[-1][0]
    seq_col = _EVENT_TABLE.c.seq
    query = sa.select(*_VERIFY_COLUMNS).where(seq_col > sa.bindparam("last"))
    if upto is not None:
        query = query.where(seq_col <= upto)
    query = query.order_by(seq_col).limit(batch)
    while True:
        rows = conn.execute(query, {"last": last}).all()
        if not rows:
            return
        for row in rows:
            yield (row[0], row[1].isoformat(), *row[2:])
        last = rows[-1][0]


def verify_chain(session: Session, keyring: Keyring, *, batch: int = 10000) -> ChainVerdict:
    """Recompute the chain. Names the first event that was edited, deleted, inserted or moved.

    Verifies the chain up to the head as it is when the check starts: terminals may go on
    appending meanwhile (each append moves the head in the same transaction), and what they
    append is for the next check; an event beyond the head that no append put there is found
    at the end."""
    head_cols = (_HEAD_TABLE.c.seq, _HEAD_TABLE.c.hash)
    start = session.execute(sa.select(*head_cols).where(_HEAD_TABLE.c.id == 1)).first()
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    chain_hash = keyring.chain_hash
    for seq, at_iso, actor, terminal, action, category, customer_no, target, detail, \
            prev_hash, digest_stored in _stream(
                session, batch, start[0] if start is not None else None):
        if seq != expected_seq:
            return ChainVerdict(False, count, expected_seq, f"event {expected_seq} is missing")
        if prev_hash != prev:
            return ChainVerdict(False, count, seq, "link to the previous event is broken")
        digest = chain_hash(prev, _canonical(
            seq, at_iso, actor, terminal, action, category, customer_no, target, detail))
        if digest != digest_stored:
            return ChainVerdict(False, count, seq, "event content does not match its hash")
        prev, expected_seq, count = digest, expected_seq + 1, count + 1
    if start is not None:
        if start[0] != count or start[1] != prev:
            bad = count + 1 if start[0] > count else start[0]
            return ChainVerdict(False, count, bad, "the chain head does not match the last event")
        # One snapshot: an append moves the head with its events, so nothing legitimate lies
        # beyond the head.
        head_now, last_seq = session.execute(sa.select(
            _HEAD_TABLE.c.seq, sa.select(sa.func.max(_EVENT_TABLE.c.seq)).scalar_subquery(),
        ).where(_HEAD_TABLE.c.id == 1)).one()
        if last_seq is not None and last_seq > head_now:
            return ChainVerdict(False, count, head_now + 1,
                                "an event lies beyond the chain head")
    return ChainVerdict(True, count)


def count_events(session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(AuditEvent)).one()
