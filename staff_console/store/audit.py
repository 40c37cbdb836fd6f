"""The audit trail's store: append events, seal the outbox, verify the chain.

What every caller uses, by name; the work is done by:

* store/chain.py: the chain itself, with no database (canonical forms, linking, the keyed head,
  the verdict), and store/chain_anchors.py: anchor lines kept outside the store;
* store/audit_head.py: the head row, and chaining in the caller's transaction under its lock;
* one strategy per database, `ChainStrategy`: store/audit_sqlite.py (chained in the use case's
  own transaction) and store/audit_postgres.py (an outbox sealed in batches, which explains
  why and how the chain stays one line with many terminals appending, and what is durable when);
* store/audit_query.py: the trail's reads for the services (lists, exports, the signed head).

Cutting the trail from the end: the head row carries `mac` = Keyring.head_mac(seq, hash), so
deleting the newest events and moving the head back, or deleting every event and resetting the
head to the genesis, needs a new MAC, hence the key. Every append checks the MAC of the head it
extends and refuses with AUDIT_TAMPERED; verify reports HEAD_MISSING or HEAD_MISMATCH. The
genesis head is written once, with the store id, when the store is initialised (`init_chain`,
from `db init`); nothing recreates a deleted head. Anchors cover what the store alone cannot
show (store/chain_anchors.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa

from ..domain.trail import AnchorFault, ChainProblem
from .audit_head import chain_here, read_head
from .chain import (
    CHAINED_FIELDS,
    ChainVerdict,
    NewEvent,
    beyond_head,
    canonical_detail,
    canonical_event,
    checked_head,
    head_is_sound,
    tampered,
    walk,
)
from .chain_anchors import Anchor, make_anchor, read_anchors
from .credentials import Change
from .keyring import GENESIS_HASH, Keyring
from .meta import STORE_ID, get_setting, put_setting
from .sealer import BUSY, NEEDS_SEAL, SEAL_LATER
from .tables import AUDIT_EVENT, AUDIT_HEAD, AUDIT_OUTBOX

__all__ = [
    "BUSY", "NEEDS_SEAL", "SEAL_LATER", "Anchor", "ChainStrategy", "ChainVerdict", "NewEvent",
    "append_events", "canonical_detail", "canonical_event", "checked_head", "count_events",
    "durable_flush", "init_chain", "make_anchor", "pending_count", "read_anchors",
    "seal_pending", "strategy_for", "verify_chain",
]

_EVENT = AUDIT_EVENT
_HEAD = AUDIT_HEAD
if tuple(c.name for c in _EVENT.columns) != CHAINED_FIELDS:  # rows are written positionally
    raise RuntimeError("audit_event's columns differ from store/chain.py CHAINED_FIELDS")

SEAL_BATCH = 1000


class ChainStrategy(Protocol):
    """What differs between the databases (one implementation each)."""

    name: str

    def append(self, session: sa.Connection, keyring: Keyring, events: list[NewEvent],
               at: datetime, change: Change | None = None) -> list[int]:
        """A use case's events, atomically with its changes; their seqs if chained here.
        `change`: the use case's last change, sent before or with the events."""

    def write_chained(self, conn: sa.Connection, rows: list[tuple], seq: int, prev: str,
                      mac: str) -> None:
        """Chained rows (store/chain.py CHAINED_FIELDS order) and the new tip, under the lock."""

    def seal(self, conn: sa.Connection, keyring: Keyring, *, mine: list[int] | None,
             batch: int, wait: bool) -> int:
        """Chain what waits outside the chain; how many (or BUSY)."""


_STRATEGIES: dict[str, ChainStrategy] = {}


def strategy_for(dialect_name: str) -> ChainStrategy:
    """The database's strategy, its module imported on first use: a SQLite store never loads
    the PostgreSQL one (nor SQLAlchemy's postgresql dialect package, with all its drivers)."""
    strategy = _STRATEGIES.get(dialect_name)
    if strategy is None:
        if dialect_name == "postgresql":
            from .audit_postgres import PostgresChain
            strategy = PostgresChain()
        elif dialect_name == "sqlite":
            from .audit_sqlite import SqliteChain
            strategy = SqliteChain()
        else:
            raise KeyError(dialect_name)
        _STRATEGIES[dialect_name] = strategy
    return strategy


def durable_flush(connection: sa.Connection) -> None:
    """PostgreSQL: make every earlier commit of this server durable (store/audit_postgres.py)."""
    from .audit_postgres import durable_flush as flush

    flush(connection)


def append_events(
    session: sa.Connection, keyring: Keyring, events: list[NewEvent], at: datetime, *,
    immediate: bool = False, change: Change | None = None,
) -> list[int]:
    """Record `events` in this transaction; returns their seqs when chained here.

    PostgreSQL (unless `immediate`): into the outbox, no lock taken; chained after the commit
    (store/audit_postgres.py). Returns []. SQLite, or `immediate` (a caller that must read its
    own event back in the transaction): chained here under the head lock, which is then held
    until the transaction ends, so call it last.

    `change` (a statement and its parameters, store/credentials.py `Change`): the use case's
    last change, made before the events are recorded. On PostgreSQL, for one event into the
    outbox, it rides the outbox insert as a data-modifying CTE (one round trip where there were
    two; both in the same statement, so they commit or fail together as before); otherwise it
    is sent first, on its own."""
    strategy = strategy_for(session.dialect.name)
    if change is not None and (immediate or len(events) != 1
                               or strategy.name != "postgresql"):
        session.execute(*change)
        change = None
    if not events:
        return []
    if immediate:
        return chain_here(session, keyring, events, at, strategy.write_chained)
    if change is not None:
        return strategy.append(session, keyring, events, at, change)
    return strategy.append(session, keyring, events, at)


def seal_pending(conn: sa.Connection, keyring: Keyring, *, mine: list[int] | None = None,
                 batch: int = SEAL_BATCH, wait: bool = True) -> int:
    """Move every event waiting in the outbox into the chain (PostgreSQL; SQLite: 0). `mine`:
    the caller's outbox ids (nothing to do if another seal took them); `wait=False`: BUSY
    instead of queueing behind another seal (store/audit_postgres.py `seal`)."""
    return strategy_for(conn.dialect.name).seal(conn, keyring, mine=mine, batch=batch,
                                                wait=wait)


def init_chain(session: sa.Connection, keyring: Keyring, *, seal_unkeyed: bool = False) -> str:
    """At `db init`: give a new store its genesis head and its id, once; returns the store id.

    A fresh store has no head, no event and no id. A store with events or an id but no head
    was cut: refused (AUDIT_TAMPERED), never given a new genesis. A head without a MAC is
    sealed only with `seal_unkeyed` (the upgrade that just added the column: a store from
    before migration 0004), and only once its whole chain verifies; otherwise it is refused.
    Idempotent."""
    head = read_head(session)
    store_id = get_setting(session, STORE_ID)
    if head is None:
        has_events = session.execute(sa.select(_EVENT.c.seq).limit(1)).first()
        if has_events is not None or store_id is not None:
            checked_head(keyring, None)  # raises
        session.execute(sa.insert(_HEAD).values(
            id=1, seq=0, hash=GENESIS_HASH, mac=keyring.head_mac(0, GENESIS_HASH)))
    elif head[2] is None and seal_unkeyed:
        verdict = _verify(session, keyring, (), 10000, legacy_head=True)
        if not verdict.ok:
            raise tampered(f"the audit chain does not verify ({verdict.problem} at event "
                           f"{verdict.first_bad_seq}); its head is left unsealed")
        session.execute(sa.update(_HEAD).where(_HEAD.c.id == 1).values(
            mac=keyring.head_mac(head[0], head[1])))
    else:
        checked_head(keyring, head)
    if store_id is None:
        store_id = str(uuid.uuid4())
        put_setting(session, STORE_ID, store_id)
    return store_id


def pending_count(session: sa.Connection) -> int:
    """Events committed but not chained yet (normally 0; see AuditOutbox)."""
    return session.execute(sa.select(sa.func.count()).select_from(AUDIT_OUTBOX)
                           ).scalar_one()


def count_events(session: sa.Connection) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(_EVENT)).scalar_one()


def verify_chain(session: sa.Connection, keyring: Keyring, *, anchors: Sequence[Anchor] = (),
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


def _verify(session: sa.Connection, keyring: Keyring, anchors: Sequence[Anchor], batch: int, *,
            legacy_head: bool = False) -> ChainVerdict:
    conn = session
    head = read_head(conn)
    head_ok = head is not None and (legacy_head or head_is_sound(keyring, head))
    # A head that fails its MAC says nothing about where the chain ends: read every event.
    verdict = walk(keyring, head, head_ok,
                   _stream(conn, batch, head[0] if head_ok and head is not None else None),
                   anchors)
    if not verdict.ok:
        return verdict
    # One snapshot: the head and the highest seq.
    now = conn.execute(sa.select(
        _HEAD.c.seq, sa.select(sa.func.max(_EVENT.c.seq)).scalar_subquery(),
    ).where(_HEAD.c.id == 1)).first()
    return beyond_head(verdict, *(now if now is not None else (None, None)))


# `at` read as the plain naive UTC the column stores (the UTCDateTime wrapper's per-row call
# would double the time spent reading: 1M events are read in the check).
_STREAM = sa.select(*(sa.type_coerce(_EVENT.c.at, sa.DateTime()).label("at") if name == "at"
                      else _EVENT.c[name] for name in CHAINED_FIELDS)).where(
    _EVENT.c.seq > sa.bindparam("last"), _EVENT.c.seq <= sa.bindparam("upto")).order_by(
    _EVENT.c.seq).limit(sa.bindparam("batch", type_=sa.Integer))


def _stream(conn: sa.Connection, batch: int, upto: int | None) -> Iterator[tuple]:
    """Events in seq order as plain tuples, `batch` at a time by keyset pagination: bounded
    memory on both databases, no long-held server cursor, and each batch is a short
    statement, so verifying never holds back the terminals. `at` as the ISO text of the UTC
    instant, exactly as the chain hashed it."""
    last, limit = 0, upto if upto is not None else 2**62
    while True:
        rows = conn.execute(_STREAM, {"last": last, "upto": limit, "batch": batch}).all()
        if not rows:
            return
        for row in rows:
            yield (row[0], row[1].isoformat() + "+00:00", *row[2:])
        last = rows[-1][0]
