"""The channel API's first answers, by (channel key, Idempotency-Key) (migration 0005).

A write of the channel API stores its answer in the same transaction as its change (success),
or right after its refusal rolled back (an error answer): the unique constraint on
(channel_key_id, idempotency_key) lets exactly one answer in, whichever server process and
however many concurrent retries; every retry reads that answer back. `body_hash` is the
SHA-256 of the call (path and canonical body): the same key with another call is a conflict.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .constraints import violated_constraint
from .tables import metadata
from .types import UTCDateTime

BIG_INTEGER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNIQUE_NAME = "uq_idempotency_key"

IDEMPOTENCY_RECORD = sa.Table(
    "idempotency_record", metadata,
    sa.Column("id", BIG_INTEGER, primary_key=True),
    sa.Column("channel_key_id", sa.Integer, sa.ForeignKey("channel_key.id"), nullable=False),
    sa.Column("idempotency_key", sa.String(100), nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("response_json", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("channel_key_id", "idempotency_key", name=UNIQUE_NAME),
    extend_existing=True,
)


class StoredAnswer(NamedTuple):
    body_hash: str
    status: int
    response_json: str


_T = IDEMPOTENCY_RECORD
_FIND = sa.select(_T.c.body_hash, _T.c.status, _T.c.response_json).where(
    _T.c.channel_key_id == sa.bindparam("key_id"),
    _T.c.idempotency_key == sa.bindparam("idem"))
_INSERT = sa.insert(_T)


def find_answer(db: sa.Connection, key_id: int, idempotency_key: str
                ) -> StoredAnswer | None:
    row = db.execute(_FIND, {"key_id": key_id, "idem": idempotency_key}).first()
    return None if row is None else StoredAnswer(*row)


def save_answer(db: sa.Connection, *, key_id: int, idempotency_key: str,
                body_hash: str, status: int, response_json: str, now: datetime) -> None:
    """Insert the answer; a concurrent or earlier one for the same key raises IntegrityError
    (`is_taken`), which rolls the caller's transaction back: its change never commits."""
    db.execute(_INSERT, {"channel_key_id": key_id, "idempotency_key": idempotency_key,
                         "body_hash": body_hash, "status": status,
                         "response_json": response_json, "created_at": now})


_PURGE = sa.delete(_T).where(_T.c.created_at < sa.bindparam("before"))


def purge_before(db: sa.Connection, before: datetime) -> int:
    """Forget the answers stored before `before` (the expiry batch: retention)."""
    return db.execute(_PURGE, {"before": before}).rowcount


def is_taken(exc: BaseException) -> bool:
    """The unique constraint on (channel key, Idempotency-Key) refused an insert."""
    return isinstance(exc, IntegrityError) and violated_constraint(exc) == UNIQUE_NAME
