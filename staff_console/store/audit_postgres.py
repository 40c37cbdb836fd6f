"""The audit chain on PostgreSQL: an outbox written by the use cases, sealed into the chain in
batches.

Why not chain in the use case's transaction: holding the head lock inside every use case makes
the whole firm wait, event by event, for one client round trip after another and for one disk
flush each; when the CPUs are busy the holder is descheduled with the lock held and everyone
queues (benchmarks/bench_load.py with BENCH_AUDIT_DIRECT=1: p99 about twice as long,
throughput lower or equal; docs/postgresql.md). So:

* The use case inserts its events into `audit_outbox` in its own transaction, with no shared
  lock, atomically with its changes (`append`). The same statement reads the head (a snapshot
  read, no lock) and returns it with the ids: a use case on a cut store fails with
  AUDIT_TAMPERED before it commits, at no extra round trip.
* A *seal* takes the head lock, moves *every* waiting event (its own and any other terminal's)
  into `audit_event`, chained in outbox order, and commits (`seal`). One seal serves however
  many events are waiting, so the lock is taken once per batch instead of once per event.
* Who seals: in the console a sealer thread per terminal a few milliseconds after the commit
  (store/sealer.py); in the CLI `Store.run` right after the commit. Readers seal first.
* Durability: sealed right after the commit (the CLI), the use case commits without waiting for
  the disk (`synchronous_commit` off for that transaction, set by the outbox insert itself) and
  the seal commits synchronously: whoever chained our events committed after our commit, and
  the WAL is flushed in order, so when the seal returns our commit is on disk too. If that seal
  cannot run, `Store.run` flushes the WAL (`durable_flush`) before it reports success. With the
  background sealer the use case commits synchronously by itself.

Every statement runs on a SQLAlchemy `Connection` (events and echo see each one): Core where
Core says it, `exec_driver_sql` for the seal's one PostgreSQL-only statement and the WAL flush.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .chain import HASH, PREV, SEQ, NewEvent, checked_head, event_fields, link
from .credentials import Change
from .keyring import Keyring
from .sealer import BUSY, NEEDS_SEAL, SEAL_LATER
from .tables import AUDIT_EVENT, AUDIT_HEAD, AUDIT_OUTBOX

_EVENT = AUDIT_EVENT
_HEAD = AUDIT_HEAD
_OUTBOX = AUDIT_OUTBOX
_FIELDS = ("at", "actor", "terminal", "action", "category", "customer_no", "target", "detail")



# The outbox insert, one statement for one event or many (insertmanyvalues batches them). Its
# RETURNING brings the head back with the ids: read once per statement (the CTE), as a snapshot.
_HEAD_NOW = sa.select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.mac).where(_HEAD.c.id == 1).cte(
    "head_now")
_HEAD_RETURNED = tuple(sa.select(column).scalar_subquery() for column in _HEAD_NOW.c)
_OUTBOX_INSERT = sa.insert(_OUTBOX).add_cte(_HEAD_NOW).returning(_OUTBOX.c.id, *_HEAD_RETURNED)
# ... and, when the seal follows the commit at once, lets the commit skip the disk flush (a
# transaction-local setting made inside the statement, so it holds in autocommit mode too).
_OUTBOX_INSERT_ASYNC = sa.insert(_OUTBOX).add_cte(_HEAD_NOW).returning(
    _OUTBOX.c.id, *_HEAD_RETURNED, sa.func.set_config("synchronous_commit", "off", True))

_STILL_WAITING = sa.select(sa.exists().where(_OUTBOX.c.id == sa.any_(
    sa.bindparam("ids", type_=postgresql.ARRAY(sa.BigInteger)))))
_HEAD_FOR_UPDATE = sa.select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.mac).where(_HEAD.c.id == 1)
# The seal's head lock, waiting or not (built once: a statement built per call is keyed anew).
_LOCK_HEAD = {True: _HEAD_FOR_UPDATE.with_for_update(),
              False: _HEAD_FOR_UPDATE.with_for_update(skip_locked=True)}
_TAKE = sa.select(_OUTBOX.c.id, *(_OUTBOX.c[name] for name in _FIELDS)).order_by(
    _OUTBOX.c.id).limit(sa.bindparam("batch", type_=sa.Integer))
# One statement for any batch size (prepared once per connection): the taken rows move from the
# outbox into the chain with the seq and hashes computed by `link` (the event text is not sent
# back: the server copies it from the rows it deletes), and the tip moves. It returns how many
# events it wrote, which must be how many were taken. PostgreSQL only (data-modifying CTEs
# joined to arrays), hence `exec_driver_sql`.
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
# A transactional logical message gets a transaction id and writes WAL, so its (synchronous)
# commit flushes the WAL up to and including every earlier commit of this server. It needs no
# table and no privilege beyond the default EXECUTE.
_DURABLE_FLUSH_SQL = "SELECT pg_logical_emit_message(true, 'staff_console', '')"


_WITH_CHANGE: dict[tuple[sa.Insert, sa.Update], sa.Insert] = {}


def _with_change(insert: sa.Insert, change: sa.Update) -> sa.Insert:
    """The outbox insert with a data-modifying CTE in front (built once per pair: the compiled
    cache finds a built statement by its memoized key)."""
    statement = _WITH_CHANGE.get((insert, change))
    if statement is None:
        statement = _WITH_CHANGE[insert, change] = insert.add_cte(change.cte("use_case_change"))
    return statement


class PostgresChain:
    """The strategy for PostgreSQL (store/audit.py `ChainStrategy`)."""

    name = "postgresql"

    def __init__(self) -> None:
        # The last head `append` found sound, with the keyring it was checked with.
        self._verified: tuple[Keyring, tuple | None] | None = None

    def append(self, session: sa.Connection, keyring: Keyring, events: list[NewEvent],
               at: datetime, change: Change | None = None) -> list[int]:
        """Into the outbox, no lock taken; returns [] (chained by the next seal). `change`
        (one event only): the use case's last change, sent in the same statement (store/audit.py
        `append_events`)."""
        # Chained right after the commit by `Store.run`: the commit need not wait for the disk
        # (the seal's synchronous commit follows it). Chained later: it must.
        statement: sa.Insert = (_OUTBOX_INSERT if session.info.get(SEAL_LATER)
                                else _OUTBOX_INSERT_ASYNC)
        rows = [dict(zip(_FIELDS, row, strict=True)) for row in event_fields(events, at)]
        if change is not None:
            if len(rows) != 1:  # an executemany would run the change once per batch
                raise ValueError("a change rides only a single event's insert")
            statement = _with_change(statement, change.statement)
            rows[0].update(change.params)
        returned = session.execute(statement, rows).all()
        # No head, or one that fails its MAC: raised here, so the transaction rolls back. A head
        # this process verified already with this key (the head moves once per seal, and many
        # appends see the same one) is not hashed again: the same row passes the same check.
        head = None if returned[0][1] is None else tuple(returned[0][1:4])
        if head is None or (keyring, head) != self._verified:
            checked_head(keyring, head)
            self._verified = (keyring, head)
        session.info.setdefault(NEEDS_SEAL, []).extend(r[0] for r in returned)
        return []

    def write_chained(self, conn: sa.Connection, rows: list[tuple], seq: int, prev: str,
                      mac: str) -> None:
        """One round trip: the chained rows and the new tip in a single statement."""
        conn.execute(sa.update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq, hash=prev, mac=mac)
                     .add_cte(sa.insert(_EVENT).values(rows).cte("appended")))

    def seal(self, conn: sa.Connection, keyring: Keyring, *, mine: list[int] | None,
             batch: int, wait: bool) -> int:
        """Move every event waiting in the outbox into the chain, in outbox order; returns how
        many (BUSY: `wait` False and another seal holds the head).

        One short transaction per batch on `conn` (not in a transaction): lock the head (this
        also waits for any other sealer to commit), take the waiting rows, chain them, write
        them and the new tip in one statement, commit synchronously. Nothing waiting: roll back
        (no disk flush needed: the sealer that took our rows committed synchronously before we
        got the lock, so our own earlier commit is durable too). The take is a statement after
        the lock, so its snapshot is taken once the lock is held: every row committed before
        the seal started is visible to it unless an earlier sealer already chained it.

        `mine`: the caller's own outbox ids. If another terminal's seal already took them
        (often, under load), there is nothing to do and no lock to queue for; their absence
        proves that seal committed, synchronously, after our commit. One autocommit query."""
        if mine and not self._still_waiting(conn, mine):
            return 0
        lock = _LOCK_HEAD[wait]
        total = 0
        while True:
            with conn.begin() as transaction:
                head = conn.execute(lock).first()
                if head is None and not wait:  # SKIP LOCKED: another seal is at work
                    transaction.rollback()
                    return total or BUSY
                taken = conn.execute(_TAKE, {"batch": batch}).all()
                if not taken:
                    transaction.rollback()
                    return total
                head_seq, head_hash = checked_head(keyring, head)  # missing or failing: raises
                rows, seq, prev = link(keyring, head_seq, head_hash, (r[1:] for r in taken))
                written = conn.exec_driver_sql(_SEAL_WRITE_SQL, (
                    [r[0] for r in taken], [row[SEQ] for row in rows],
                    [row[PREV] for row in rows], [row[HASH] for row in rows], seq, prev,
                    keyring.head_mac(seq, prev),
                )).scalar_one()
                if written != len(taken):  # only sealers delete, one at a time: cannot happen
                    raise RuntimeError(f"audit seal wrote {written} of {len(taken)} events")
            total += len(taken)
            if len(taken) < batch:
                return total

    @staticmethod
    def _still_waiting(conn: sa.Connection, ids: list[int]) -> bool:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            return bool(conn.execute(_STILL_WAITING, {"ids": ids}).scalar())
        finally:
            conn.commit()  # autocommit: ends SQLAlchemy's transaction, sends nothing
            conn.execution_options(isolation_level=conn.default_isolation_level)


def durable_flush(connection: sa.Connection) -> None:
    """Wait until everything this server committed so far is on disk (and, with synchronous
    replication configured, on the standbys). `connection` must be in autocommit mode."""
    connection.exec_driver_sql(_DURABLE_FLUSH_SQL)
