"""The channel back-ends' API keys (migration 0005): one row per key an admin created.

The key itself is never stored: only its SHA-256 (a copy of the table lets no one call the
API). A revoked key keeps its row (the audit trail names it) with `revoked_at` set.
Core statements on the caller's transaction (a `sa.Connection` from `Store.run` or a `Connection`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, cast

import sqlalchemy as sa

from .tables import STAFF, metadata
from .types import UTCDateTime

CHANNEL_KEY = sa.Table(
    "channel_key", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(3), nullable=False),
    sa.Column("name", sa.String(60), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    extend_existing=True,
)


class KeyRow(NamedTuple):
    id: int
    channel: str
    name: str
    created_by: str  # the admin's employee number
    created_at: datetime
    revoked_at: datetime | None


_STAFF = STAFF
_KEYS = sa.select(
    CHANNEL_KEY.c.id, CHANNEL_KEY.c.channel, CHANNEL_KEY.c.name, _STAFF.c.employee_no,
    CHANNEL_KEY.c.created_at, CHANNEL_KEY.c.revoked_at,
).join(_STAFF, _STAFF.c.id == CHANNEL_KEY.c.created_by)
_BY_HASH = _KEYS.where(CHANNEL_KEY.c.key_hash == sa.bindparam("key_hash"))
_BY_ID = _KEYS.where(CHANNEL_KEY.c.id == sa.bindparam("key_id"))
_ALL = _KEYS.order_by(CHANNEL_KEY.c.id)
_INSERT = sa.insert(CHANNEL_KEY).returning(CHANNEL_KEY.c.id)
_REVOKE = sa.update(CHANNEL_KEY).where(
    CHANNEL_KEY.c.id == sa.bindparam("key_id"), CHANNEL_KEY.c.revoked_at.is_(None),
).values(revoked_at=sa.bindparam("now"))


def insert_key(db: sa.Connection, *, channel: str, name: str, key_hash: str,
               created_by: int, now: datetime) -> int:
    return int(db.execute(_INSERT, {"channel": channel, "name": name, "key_hash": key_hash,
                                    "created_by": created_by, "created_at": now}).scalar_one())


def key_by_hash(db: sa.Connection, key_hash: str) -> KeyRow | None:
    row = db.execute(_BY_HASH, {"key_hash": key_hash}).first()
    return None if row is None else KeyRow(*row)


def key_by_id(db: sa.Connection, key_id: int) -> KeyRow | None:
    row = db.execute(_BY_ID, {"key_id": key_id}).first()
    return None if row is None else KeyRow(*row)


def all_keys(db: sa.Connection) -> list[KeyRow]:
    return [KeyRow(*row) for row in db.execute(_ALL)]


def revoke_key(db: sa.Connection, key_id: int, now: datetime) -> bool:
    """True if this call revoked it (False: already revoked, or no such key)."""
    result = cast("sa.CursorResult[Any]", db.execute(_REVOKE, {"key_id": key_id, "now": now}))
    return bool(result.rowcount)
