"""What the console server's event stream reads (server/events.py): one batch of statements
per server process every poll, whatever the number of terminals listening.

The audit trail is the feed: every request created or decided, every delegation granted or
ended, is an event in it, in one order (`seq`), committed and chained before it is read here
(`audit_head.seq` bounds the read, so an event is never seen before the chain holds it, on any
server process).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from .sessions import STAFF_SESSION
from .tables import AUDIT_EVENT, AUDIT_HEAD, DELEGATION, REQUEST, STAFF

_EVENT = AUDIT_EVENT
_HEAD = AUDIT_HEAD
_REQUEST = REQUEST
_DELEGATION = DELEGATION
_bp = sa.bindparam

REQUEST_ACTIONS = ("request.created", "request.approved", "request.rejected",
                   "request.withdrawn", "request.expired")
# A delegation granted or ended changes its delegate's 결재함 (issue 15.6).
DELEGATION_ACTIONS = ("delegation.granted", "delegation.ended")
FEED_ACTIONS = REQUEST_ACTIONS + DELEGATION_ACTIONS

_HEAD_SEQ = sa.select(_HEAD.c.seq).where(_HEAD.c.id == 1)
_EVENTS = sa.select(_EVENT.c.seq, _EVENT.c.action, _EVENT.c.target).where(
    _EVENT.c.seq > _bp("after"), _EVENT.c.seq <= _bp("head"),
    _EVENT.c.action.in_(FEED_ACTIONS),
).order_by(_EVENT.c.seq)
_REQUESTS = sa.select(
    _REQUEST.c.id, _REQUEST.c.kind, _REQUEST.c.channel, _REQUEST.c.branch_code,
    _REQUEST.c.maker_staff_id, _REQUEST.c.status,
).where(_REQUEST.c.id.in_(_bp("ids", expanding=True)))
_DELEGATIONS = sa.select(
    _DELEGATION.c.id, _DELEGATION.c.delegate_id, _DELEGATION.c.branch_code,
    _DELEGATION.c.valid_from, _DELEGATION.c.valid_until, _DELEGATION.c.ended_at,
).where(_DELEGATION.c.id.in_(_bp("ids", expanding=True)))
_DELEGATES = sa.select(_DELEGATION.c.delegate_id, _DELEGATION.c.branch_code).where(
    _DELEGATION.c.ended_at.is_(None), _DELEGATION.c.valid_from <= _bp("now"),
    _DELEGATION.c.valid_until > _bp("now"))
_STAFF = STAFF
# A session whose member was locked (failed sign-ins, an admin) or deactivated is over even
# before its next call ends it: `member_blocked`.
_SESSIONS = sa.select(
    STAFF_SESSION.c.token_hash, STAFF_SESSION.c.ended_at, STAFF_SESSION.c.locked_at,
    sa.or_(_STAFF.c.locked_at.is_not(None), _STAFF.c.active.is_not(True)).label("blocked"),
    STAFF_SESSION.c.created_at,
).join(_STAFF, _STAFF.c.id == STAFF_SESSION.c.staff_id).where(
    STAFF_SESSION.c.token_hash.in_(_bp("hashes", expanding=True)))


class FeedEvent(NamedTuple):
    seq: int
    action: str
    target: str | None


class RequestFacts(NamedTuple):
    id: int
    kind: str
    channel: str
    branch_code: str
    maker_staff_id: int | None
    status: str


class DelegationFacts(NamedTuple):
    id: int
    delegate_id: int
    branch_code: str
    valid_from: datetime
    valid_until: datetime
    ended_at: datetime | None


class SessionState(NamedTuple):
    token_hash: str
    ended_at: datetime | None
    locked_at: datetime | None
    member_blocked: bool
    created_at: datetime | None = None  # the session's lifetime runs from here


def head_seq(db: sa.Connection) -> int:
    return int(db.execute(_HEAD_SEQ).scalar() or 0)


def request_events(db: sa.Connection, after: int, head: int) -> list[FeedEvent]:
    return [FeedEvent(*row) for row in db.execute(_EVENTS, {"after": after, "head": head})]


def requests_by_id(db: sa.Connection, ids: list[int]) -> dict[int, RequestFacts]:
    if not ids:
        return {}
    return {row.id: RequestFacts(*row) for row in db.execute(_REQUESTS, {"ids": ids})}


def delegations_by_id(db: sa.Connection, ids: list[int]) -> dict[int, DelegationFacts]:
    if not ids:
        return {}
    return {row.id: DelegationFacts(*row) for row in db.execute(_DELEGATIONS, {"ids": ids})}


def active_delegates(db: sa.Connection, now: datetime) -> set[tuple[int, str]]:
    """(delegate staff id, branch) of every delegation active at `now`."""
    return {(row.delegate_id, row.branch_code) for row in db.execute(_DELEGATES, {"now": now})}


def sessions_by_hash(db: sa.Connection, hashes: list[str]) -> list[SessionState]:
    if not hashes:
        return []
    return [SessionState(*row) for row in db.execute(_SESSIONS, {"hashes": hashes})]
