"""Staff sessions of the console server: one row per signed-in terminal (migration 0005).

The token itself is never stored: only its SHA-256 (a copy of the table signs nobody in). The
rows live in the database, not in a server process, so that every server process over one
store agrees on who is signed in, and ending a person's sessions ends them everywhere.
Core statements on the caller's transaction (a `sa.Connection` from `Store.run` or a `Connection`).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from .tables import STAFF, metadata
from .types import UTCDateTime

BIG_INTEGER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

STAFF_SESSION = sa.Table(
    "staff_session", metadata,
    sa.Column("id", BIG_INTEGER, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
    sa.Column("terminal", sa.String(64), nullable=False),
    sa.Column("client_address", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("locked_at", UTCDateTime, nullable=True),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("end_reason", sa.String(20), nullable=True),
    sa.Index("ix_staff_session_staff", "staff_id", "ended_at"),
    extend_existing=True,
)
_STAFF = STAFF


class SessionRow(NamedTuple):
    """A session and the standing of its staff member, read in one statement."""

    id: int
    staff_id: int
    terminal: str
    client_address: str
    created_at: datetime
    last_seen_at: datetime
    locked_at: datetime | None
    ended_at: datetime | None
    employee_no: str
    name: str
    branch_code: str
    role: str
    staff_active: bool
    staff_locked: bool


_BY_TOKEN = sa.select(
    STAFF_SESSION.c.id, STAFF_SESSION.c.staff_id, STAFF_SESSION.c.terminal,
    STAFF_SESSION.c.client_address, STAFF_SESSION.c.created_at, STAFF_SESSION.c.last_seen_at,
    STAFF_SESSION.c.locked_at, STAFF_SESSION.c.ended_at,
    _STAFF.c.employee_no, _STAFF.c.name, _STAFF.c.branch_code, _STAFF.c.role,
    _STAFF.c.active.label("staff_active"),
    _STAFF.c.locked_at.is_not(None).label("staff_locked"),
).join(_STAFF, _STAFF.c.id == STAFF_SESSION.c.staff_id).where(
    STAFF_SESSION.c.token_hash == sa.bindparam("token_hash"))


def insert_session(db: sa.Connection, *, token_hash: str, staff_id: int, terminal: str,
                   client_address: str, now: datetime) -> int:
    result = db.execute(sa.insert(STAFF_SESSION).values(
        token_hash=token_hash, staff_id=staff_id, terminal=terminal[:64],
        client_address=client_address[:64], created_at=now, last_seen_at=now,
    ).returning(STAFF_SESSION.c.id))
    return int(result.scalar_one())


def session_by_token(db: sa.Connection, token_hash: str) -> SessionRow | None:
    row = db.execute(_BY_TOKEN, {"token_hash": token_hash}).first()
    return None if row is None else SessionRow._make(row)


def touch(db: sa.Connection, session_id: int, now: datetime) -> None:
    db.execute(sa.update(STAFF_SESSION).where(STAFF_SESSION.c.id == session_id)
               .values(last_seen_at=now))


def lock(db: sa.Connection, session_id: int, now: datetime) -> None:
    """The idle lock: only unlock (the password again) or sign-out use the session now."""
    db.execute(sa.update(STAFF_SESSION).where(STAFF_SESSION.c.id == session_id,
                                              STAFF_SESSION.c.locked_at.is_(None))
               .values(locked_at=now))


def unlock(db: sa.Connection, session_id: int, now: datetime) -> None:
    db.execute(sa.update(STAFF_SESSION).where(STAFF_SESSION.c.id == session_id)
               .values(locked_at=None, last_seen_at=now))


def end_session(db: sa.Connection, session_id: int, now: datetime, reason: str) -> bool:
    """End one session; False when it had ended already (another call ended it)."""
    result = db.execute(sa.update(STAFF_SESSION).where(STAFF_SESSION.c.id == session_id,
                                                       STAFF_SESSION.c.ended_at.is_(None))
                        .values(ended_at=now, end_reason=reason[:20]))
    return bool(result.rowcount)


def end_staff_sessions(db: sa.Connection, staff_id: int, now: datetime,
                       reason: str) -> int:
    """End every open session of one staff member (sign-out, an admin's lock): how many."""
    result = db.execute(
        sa.update(STAFF_SESSION).where(STAFF_SESSION.c.staff_id == staff_id,
                                       STAFF_SESSION.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason[:20]))
    return int(result.rowcount or 0)
