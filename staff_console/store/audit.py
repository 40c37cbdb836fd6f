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

Cutting the trail from the end (why the head is keyed, and what anchors add):

* The head row carries `mac` = Keyring.head_mac(seq, hash). Deleting the newest events and
  moving the head back, or deleting every event and resetting the head to the genesis, needs a
  new MAC, hence the key. Every append checks the MAC of the head it extends (a head that fails
  it is never built upon, which would launder the cut) and refuses with AUDIT_TAMPERED; verify
  reports HEAD_MISSING or HEAD_MISMATCH.
* The genesis head is written once, with the store id, when the store is initialised
  (`init_chain`, from `db init`). A store that has events or a store id but no head was
  tampered with: nothing recreates its head.
* What the store alone cannot show: a head row copied earlier and put back later (with the
  events after it deleted), or a cut by someone holding the key who re-MACs the head. Anchors
  kept outside the store cover that up to the last anchor: a signed line (store id, seq, hash,
  time) that verify checks against the chain (`make_anchor`, `read_anchors`). An anchor can
  only make verify stricter, never hide a break, so whoever holds the key may write one.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ..domain.errors import ConsoleError
from ..domain.trail import AnchorFault, ChainProblem
from .keyring import GENESIS_HASH, Keyring
from .meta import STORE_ID, get_setting, put_setting
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


def _details(detail: dict, encoded: dict[int, str]) -> str:
    """canonical_detail, once per detail object of one append (the objects outlive it)."""
    text = encoded.get(id(detail))
    if text is None:
        text = encoded[id(detail)] = _DETAIL_JSON.encode(detail)
    return text


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


def tampered(message: str) -> ConsoleError:
    return ConsoleError("AUDIT_TAMPERED", message)


HEAD_SQL = sa.select(AuditHead.__table__.c.seq, AuditHead.__table__.c.hash,
                     AuditHead.__table__.c.mac).where(AuditHead.__table__.c.id == 1)


def checked_head(keyring: Keyring, head) -> tuple[int, str]:
    """(seq, hash) of a head row (seq, hash, mac) that passes its MAC; AUDIT_TAMPERED if the
    row is missing or fails: nothing may be chained onto it."""
    if head is None:
        raise tampered("the audit chain head is missing (deleted outside the console); "
                       "run `staff-console audit verify` and restore the store from a backup")
    seq, digest, mac = head[0], head[1], head[2]
    if mac is None or not hmac.compare_digest(mac, keyring.head_mac(seq, digest)):
        raise tampered("the audit chain head fails its check (moved or reset outside the "
                       "console); run `staff-console audit verify`")
    return seq, digest


def init_chain(session: Session, keyring: Keyring, *, seal_unkeyed: bool = False) -> str:
    """At `db init`: give a new store its genesis head and its id, once; returns the store id.

    A fresh store has no head, no event and no id. A store with events or an id but no head
    was cut: refused (AUDIT_TAMPERED), never given a new genesis. A head without a MAC is
    sealed only with `seal_unkeyed` (the upgrade that just added the column: a store from
    before migration 0004), and only once its whole chain verifies; otherwise it is refused.
    Idempotent."""
    head = session.execute(HEAD_SQL).first()
    store_id = get_setting(session, STORE_ID)
    if head is None:
        has_events = session.execute(sa.select(_EVENT_TABLE.c.seq).limit(1)).first()
        if has_events is not None or store_id is not None:
            checked_head(keyring, None)  # raises
        session.execute(sa.insert(_HEAD_TABLE).values(
            id=1, seq=0, hash=GENESIS_HASH, mac=keyring.head_mac(0, GENESIS_HASH)))
    elif head[2] is None and seal_unkeyed:
        verdict = _verify(session, keyring, (), 10000, legacy_head=True)
        if not verdict.ok:
            raise tampered(f"the audit chain does not verify ({verdict.problem} at event "
                           f"{verdict.first_bad_seq}); its head is left unsealed")
        session.execute(sa.update(_HEAD_TABLE).where(_HEAD_TABLE.c.id == 1).values(
            mac=keyring.head_mac(head[0], head[1])))
    else:
        checked_head(keyring, head)
    if store_id is None:
        store_id = str(uuid.uuid4())
        put_setting(session, STORE_ID, store_id)
    session.flush()
    return store_id


# Set on the session by `append_events` when it put events in the outbox (their outbox ids):
# after the commit, `Store.run` must see them sealed (`seal_pending`) before it reports success.
NEEDS_SEAL = "audit_needs_seal"

_EVENT_TABLE = AuditEvent.__table__
_HEAD_TABLE = AuditHead.__table__
_OUTBOX_TABLE = AuditOutbox.__table__
_HEAD_KEY = sa.inspect(AuditHead).identity_key_from_primary_key([1])
_HEAD_FOR_UPDATE = sa.select(_HEAD_TABLE.c.seq, _HEAD_TABLE.c.hash, _HEAD_TABLE.c.mac).where(
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
# The head is read in the same statement (a snapshot read, no lock): a row is inserted only if
# the head exists, and its MAC comes back with the ids, so a use case on a cut store fails
# before it commits (AUDIT_TAMPERED) at no extra round trip.
_HEAD_NOW = "head_now AS (SELECT seq, hash, mac FROM audit_head WHERE id = 1)"
_OUTBOX_INSERT = (
    "INSERT INTO audit_outbox (at, actor, terminal, action, category, customer_no, target, "
    "detail) SELECT e.* FROM head_now, ")
_OUTBOX_RETURNING = (" RETURNING id, (SELECT seq FROM head_now), (SELECT hash FROM head_now), "
                     "(SELECT mac FROM head_now)")
_ASYNC_COMMIT = (
    "async_commit AS (SELECT set_config('synchronous_commit', 'off', true)), ")
_OUTBOX_VALUES_ROW = ("(%s::timestamp, %s::varchar, %s::varchar, %s::varchar, %s::varchar, "
                      "%s::varchar, %s::varchar, %s::varchar)")
_OUTBOX_VALUES_MAX = 8


def _outbox_sql(source: str, async_commit: bool) -> str:
    if async_commit:
        return ("WITH " + _ASYNC_COMMIT + _HEAD_NOW + " " + _OUTBOX_INSERT + "async_commit, "
                + source + _OUTBOX_RETURNING)
    return "WITH " + _HEAD_NOW + " " + _OUTBOX_INSERT + source + _OUTBOX_RETURNING


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
            returned = cursor.fetchall()
        # No row: no head to insert against. The transaction is rolled back by the raise.
        checked_head(keyring, returned[0][1:] if returned else None)
        session.info.setdefault(NEEDS_SEAL, []).extend(r[0] for r in returned)
        return []
    # Everything else this transaction writes goes out before the lock, not while holding it.
    session.flush()
    encoded: dict[int, str] = {}  # events that share one detail object (a bulk import)
    head_seq, head_hash = checked_head(keyring, session.execute(_HEAD_FOR_UPDATE).first())
    rows, seq, prev = _chain(keyring, head_seq, head_hash, [
        (at, e.actor, e.terminal, e.action, e.category, e.customer_no, e.target,
         _details(e.detail, encoded)) for e in events])
    mac = keyring.head_mac(seq, prev)
    _write_chained(session.connection(), rows, seq, prev, mac, postgres)
    _sync_loaded_head(session, seq, prev, mac)
    return [r[_SEQ] for r in rows]


# The columns of audit_event in table order: `_chain` gives rows as tuples in this order.
_EVENT_COLUMNS = tuple(c.name for c in _EVENT_TABLE.columns)
_SEQ, _PREV, _HASH = (_EVENT_COLUMNS.index(n) for n in ("seq", "prev_hash", "hash"))


def _chain(keyring: Keyring, seq: int, prev: str, events: list[tuple]) -> tuple[list, int, str]:
    rows = []
    last_at = last_iso = None
    for at, actor, terminal, action, category, customer_no, target, detail in events:
        seq += 1
        if at is not last_at:  # a use case's events share one instant: format it once
            last_at, last_iso = at, at.isoformat()
        digest = keyring.chain_hash(prev, _canonical(
            seq, last_iso, actor, terminal, action, category, customer_no, target, detail))
        rows.append((seq, at, actor, terminal, action, category, customer_no, target, detail,
                     prev, digest))
        prev = digest
    return rows, seq, prev


def _write_chained(conn: sa.Connection, rows: list[tuple], seq: int, prev: str, mac: str,
                   postgres: bool) -> None:
    move_head = sa.update(_HEAD_TABLE).where(_HEAD_TABLE.c.id == 1).values(
        seq=seq, hash=prev, mac=mac)
    if postgres:
        # One round trip: the events and the new tip in a single statement.
        conn.execute(move_head.add_cte(sa.insert(_EVENT_TABLE).values(rows).cte("appended")))
    else:
        # Many rows (an import chains 100,000): the INSERT SQLAlchemy compiles for this
        # dialect, run by `exec_driver_sql` (events and logging still see it) with each
        # row's instant bound once per distinct instant by the column type's own processor,
        # instead of a dict and two processor calls per row (0.98 -> 0.60 s per 100,000).
        bind_at = _EVENT_TABLE.c.at.type.bind_processor(conn.dialect) or (lambda v: v)
        stored: dict[datetime, object] = {}
        at = _EVENT_COLUMNS.index("at")
        conn.exec_driver_sql(_insert_sql(conn.dialect), [
            (*row[:at], stored.setdefault(row[at], bind_at(row[at])), *row[at + 1:])
            for row in rows])
        conn.execute(move_head)


@lru_cache(maxsize=4)
def _insert_sql(dialect) -> str:
    return str(sa.insert(_EVENT_TABLE).compile(dialect=dialect))


def _sync_loaded_head(session: Session, seq: int, digest: str, mac: str) -> None:
    """If this session holds the head as an ORM object, keep it in step with the row, without
    marking it changed."""
    loaded = session.identity_map.get(_HEAD_KEY)
    if loaded is not None:
        set_committed_value(loaded, "seq", seq)
        set_committed_value(loaded, "hash", digest)
        set_committed_value(loaded, "mac", mac)


_SEAL_HEAD_SQL = "SELECT seq, hash, mac FROM audit_head WHERE id = 1 FOR UPDATE"
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
    "UPDATE audit_head SET seq = %s, hash = %s, mac = %s WHERE id = 1 "
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
            if head is None and not wait:  # SKIP LOCKED: another seal is at work
                rollback_keeping_prepared(raw)
                return total or BUSY
            taken = raw.execute(_SEAL_TAKE_SQL, (batch,)).fetchall()
            if not taken:
                rollback_keeping_prepared(raw)
                return total
            head_seq, head_hash = checked_head(keyring, head)  # missing or failing: raises
            rows, seq, prev = _chain(keyring, head_seq, head_hash, [
                (r[1].replace(tzinfo=UTC), *r[2:]) for r in taken])
            written = raw.execute(_SEAL_WRITE_SQL, (
                [r[0] for r in taken], [row[_SEQ] for row in rows],
                [row[_PREV] for row in rows], [row[_HASH] for row in rows], seq, prev,
                keyring.head_mac(seq, prev),
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
class Anchor:
    """A point of the chain vouched for outside the store: event `seq` had hash `digest`."""

    store_id: str
    seq: int
    digest: str
    at: str
    kind: str
    line: str


ANCHOR_VERSION = 1
_ANCHOR_KEYS = frozenset({"v", "kind", "store", "seq", "hash", "at", "mac"})
_MAX_ANCHOR_LINE = 1000
_HEX = frozenset("0123456789abcdef")


def _anchor_body(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()


def make_anchor(keyring: Keyring, store_id: str, seq: int, digest: str, at: datetime,
                kind: str = "anchor") -> Anchor:
    """One signed anchor line (JSON, one line, ASCII) for event `seq` with hash `digest`."""
    fields = {"v": ANCHOR_VERSION, "kind": kind, "store": store_id, "seq": seq, "hash": digest,
              "at": at.astimezone(UTC).isoformat(timespec="seconds")}
    line = _anchor_body({**fields, "mac": keyring.anchor_mac(_anchor_body(fields))}).decode()
    return Anchor(store_id, seq, digest, fields["at"], kind, line)


def read_anchors(keyring: Keyring, store_id: str | None, lines: Iterable[str],
                 ) -> tuple[list[Anchor], list[tuple[int, AnchorFault]]]:
    """The anchors of this store among `lines` (blank lines skipped), and the faulty lines by
    their number (1-based): not trusted, reported."""
    good: list[Anchor] = []
    bad: list[tuple[int, AnchorFault]] = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        fault, anchor = _read_anchor(keyring, store_id, text)
        if anchor is not None:
            good.append(anchor)
        else:
            bad.append((number, fault))
    return good, bad


def _read_anchor(keyring: Keyring, store_id: str | None, text: str):
    if len(text) > _MAX_ANCHOR_LINE:
        return AnchorFault.FORMAT, None
    try:
        fields = json.loads(text)
    except ValueError:
        return AnchorFault.FORMAT, None
    if not isinstance(fields, dict) or set(fields) != _ANCHOR_KEYS:
        return AnchorFault.FORMAT, None
    seq, digest, mac = fields["seq"], fields["hash"], fields["mac"]
    if (fields["v"] != ANCHOR_VERSION or type(seq) is not int or seq < 0
            or not all(isinstance(fields[k], str) for k in ("kind", "store", "hash", "at", "mac"))
            or len(digest) != 64 or not set(digest) <= _HEX):
        return AnchorFault.FORMAT, None
    body = _anchor_body({k: v for k, v in fields.items() if k != "mac"})
    # Under the key of its time: an anchor written before a key rotation (store_identity).
    if not any(hmac.compare_digest(mac, ring.anchor_mac(body)) for ring in keyring.generations()):
        return AnchorFault.MAC, None
    if fields["store"] != store_id:
        return AnchorFault.STORE, None
    return None, Anchor(store_id, seq, digest, fields["at"], fields["kind"], text)


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """`missing`: the seqs (first, last) whose events are gone or can no longer be trusted
    (DELETED, TRUNCATED). `unanchored_after`: the last seq an anchor vouches for; a cut after it
    by someone holding the key (head re-MACed) or with an old head row put back is not
    detectable (0: no anchor, then only the head's MAC stands guard)."""

    ok: bool
    count: int
    first_bad_seq: int | None = None
    problem: ChainProblem | None = None
    missing: tuple[int, int] | None = None
    anchors_checked: int = 0
    bad_anchors: tuple[tuple[int, AnchorFault], ...] = ()
    unanchored_after: int = 0


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


def verify_chain(session: Session, keyring: Keyring, *, anchors: Sequence[Anchor] = (),
                 bad_anchors: Sequence[tuple[int, AnchorFault]] = (),
                 batch: int = 10000) -> ChainVerdict:
    """Recompute the chain. Names the first event that was edited, deleted, inserted or moved,
    a head that is missing or fails its MAC, and a chain shorter than the head or than an
    anchor, or different at an anchored event (TRUNCATED, with the seqs lost). `anchors` come
    from `read_anchors`; its faulty lines (`bad_anchors`) make the verdict BAD_ANCHOR if
    nothing worse is found.

    Verifies the chain up to the head as it is when the check starts: terminals may go on
    appending meanwhile (each append moves the head in the same transaction), and what they
    append is for the next check; an event beyond the head that no append put there is found
    at the end."""
    verdict = _verify(session, keyring, anchors, batch)
    if not bad_anchors:
        return verdict
    if verdict.ok:  # nothing worse found
        verdict = replace(verdict, ok=False, problem=ChainProblem.BAD_ANCHOR)
    return replace(verdict, bad_anchors=tuple(bad_anchors))


def _verify(session: Session, keyring: Keyring, anchors: Sequence[Anchor], batch: int, *,
            legacy_head: bool = False) -> ChainVerdict:
    head = session.execute(HEAD_SQL).first()
    head_ok = head is not None and (legacy_head or (head[2] is not None and hmac.compare_digest(
        head[2], keyring.head_mac(head[0], head[1]))))
    # A head that fails its MAC says nothing about where the chain ends: read every event.
    upto = head[0] if head_ok else None
    pending = sorted(anchors, key=lambda a: a.seq)
    checked = len(pending)
    unanchored_after = pending[-1].seq if pending else 0

    def bad(problem, first, missing=None, count=0):
        return ChainVerdict(False, count, first, problem, missing, checked,
                            unanchored_after=unanchored_after)

    # Vouched-for events at or before the last one that matched are original.
    matched = 0
    i = 0
    while i < len(pending) and pending[i].seq == 0:  # an anchor of the empty chain
        if pending[i].digest != GENESIS_HASH:
            return bad(ChainProblem.TRUNCATED, 1, (1, pending[-1].seq))
        i += 1
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    next_anchor = pending[i].seq if i < len(pending) else -1
    # The chain key changes at each key rotation (services/store_identity.py).
    epochs = keyring.chain_epochs()
    chain_hash, switches = epochs[0][1], epochs[1:]
    for seq, at_iso, actor, terminal, action, category, customer_no, target, detail, \
            prev_hash, digest_stored in _stream(session, batch, upto):
        if seq != expected_seq:
            return bad(ChainProblem.DELETED, expected_seq, (expected_seq, seq - 1), count)
        if prev_hash != prev:
            return bad(ChainProblem.REORDERED, seq, None, count)
        while switches and seq >= switches[0][0]:
            chain_hash = switches.pop(0)[1]
        digest = chain_hash(prev, _canonical(
            seq, at_iso, actor, terminal, action, category, customer_no, target, detail))
        if digest != digest_stored:
            return bad(ChainProblem.EDITED, seq, None, count)
        if seq == next_anchor:
            while i < len(pending) and pending[i].seq == seq:
                if pending[i].digest != digest:  # re-chained with the key after a cut
                    return bad(ChainProblem.TRUNCATED, matched + 1,
                               (matched + 1, pending[-1].seq), count)
                i += 1
            matched = seq
            next_anchor = pending[i].seq if i < len(pending) else -1
        prev, expected_seq, count = digest, expected_seq + 1, count + 1
    if i < len(pending):  # the chain ends before an anchored event
        return bad(ChainProblem.TRUNCATED, count + 1, (count + 1, pending[-1].seq), count)
    if head is None:
        return bad(ChainProblem.HEAD_MISSING, count + 1, None, count)
    if not head_ok:
        return bad(ChainProblem.HEAD_MISMATCH, count + 1, None, count)
    if head[0] > count:  # the head vouches for events that are gone
        return bad(ChainProblem.TRUNCATED, count + 1, (count + 1, head[0]), count)
    if head[1] != prev:
        return bad(ChainProblem.HEAD_MISMATCH, count, None, count)
    # One snapshot: an append moves the head with its events, so nothing legitimate lies
    # beyond the head.
    now = session.execute(sa.select(
        _HEAD_TABLE.c.seq, sa.select(sa.func.max(_EVENT_TABLE.c.seq)).scalar_subquery(),
    ).where(_HEAD_TABLE.c.id == 1)).first()
    if now is None:  # deleted while we read
        return bad(ChainProblem.HEAD_MISSING, count + 1, None, count)
    head_now, last_seq = now
    if last_seq is not None and last_seq > head_now:
        return bad(ChainProblem.INSERTED, head_now + 1, None, count)
    return ChainVerdict(True, count, anchors_checked=checked, unanchored_after=unanchored_after)


def count_events(session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(AuditEvent)).one()
