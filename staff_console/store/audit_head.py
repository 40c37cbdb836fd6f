"""The chain's head row, and chaining events in the caller's transaction under its lock.

Extending the chain takes a row lock on the single `audit_head` row (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite the transaction already holds the database write lock from BEGIN
IMMEDIATE). The lock serializes chain writers: each reads the tip (seq, hash) that the previous
one committed, chains its events onto it and moves the tip, so there are no forks and no gaps.
`seq` is the primary key, so a second event with the same number cannot exist even if the lock
were bypassed. A transaction that rolls back (or whose client dies) releases the lock without
moving the tip, so it leaves no gap either. A row lock rather than an advisory lock or
SERIALIZABLE: see store/engine.py. Every append checks the MAC of the head it extends (a head
that fails it is never built upon, which would launder a cut: store/chain.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .chain import SEQ, NewEvent, checked_head, event_fields, link
from .keyring import Keyring
from .tables import AuditHead

_HEAD = AuditHead.__table__
_HEAD_KEY = sa.inspect(AuditHead).identity_key_from_primary_key((1,))
HEAD = sa.select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.mac).where(_HEAD.c.id == 1)

# Writes the chained rows (CHAINED_FIELDS order) and moves the tip: the strategy's own way.
WriteChained = Callable[[sa.Connection, list[tuple], int, str, str], None]


def read_head(conn: sa.Connection | Session) -> sa.Row | None:
    """The head row (seq, hash, mac), unchecked; None if it was deleted."""
    return conn.execute(HEAD).first()


def chain_here(session: Session, keyring: Keyring, events: list[NewEvent], at: datetime,
               write_chained: WriteChained) -> list[int]:
    """Chain `events` in this transaction under the head lock, which is then held until the
    transaction ends (so call it last); their seqs."""
    # Everything else this transaction writes goes out before the lock, not while holding it.
    session.flush()
    conn = session.connection()
    head_seq, head_hash = checked_head(keyring, conn.execute(HEAD.with_for_update()).first())
    rows, seq, prev = link(keyring, head_seq, head_hash, event_fields(events, at))
    mac = keyring.head_mac(seq, prev)
    write_chained(conn, rows, seq, prev, mac)
    _sync_loaded_head(session, seq, prev, mac)
    return [row[SEQ] for row in rows]


def _sync_loaded_head(session: Session, seq: int, digest: str, mac: str) -> None:
    """If this session holds the head as an ORM object, keep it in step with the row, without
    marking it changed."""
    loaded = session.identity_map.get(_HEAD_KEY)
    if loaded is not None:
        set_committed_value(loaded, "seq", seq)
        set_committed_value(loaded, "hash", digest)
        set_committed_value(loaded, "mac", mac)
