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

from .chain import SEQ, NewEvent, checked_head, event_fields, link
from .keyring import Keyring
from .tables import AUDIT_HEAD

_HEAD = AUDIT_HEAD
HEAD = sa.select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.mac).where(_HEAD.c.id == 1)

# Writes the chained rows (CHAINED_FIELDS order) and moves the tip: the strategy's own way.
WriteChained = Callable[[sa.Connection, list[tuple], int, str, str], None]


def read_head(conn: sa.Connection) -> sa.Row | None:
    """The head row (seq, hash, mac), unchecked; None if it was deleted."""
    return conn.execute(HEAD).first()


def chain_here(conn: sa.Connection, keyring: Keyring, events: list[NewEvent], at: datetime,
               write_chained: WriteChained) -> list[int]:
    """Chain `events` in this transaction under the head lock, which is then held until the
    transaction ends (so call it last); their seqs."""
    head_seq, head_hash = checked_head(keyring, conn.execute(HEAD.with_for_update()).first())
    rows, seq, prev = link(keyring, head_seq, head_hash, event_fields(events, at))
    mac = keyring.head_mac(seq, prev)
    write_chained(conn, rows, seq, prev, mac)
    return [row[SEQ] for row in rows]

