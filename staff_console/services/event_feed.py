"""What a signed-in terminal is told as it happens (the server's event stream, issue 14.5):
a request it may decide has arrived, one it made was decided, its session ended or locked.

`poll` reads what changed since the last poll for the whole server process (store/event_feed:
the request events of the audit trail up to the chain's head, the requests they name, the
delegations active now, the state of the listening sessions), whatever the number of
terminals; `notices_for` picks what one signed-in member is told, by the rules of DOMAIN.md
section 5 (the branch's manager or an active delegate decides; the maker hears the outcome).
A notice carries the request's number, kind, channel and branch, never customer data: the
terminal reads the request through its own (audited) call. A delegation granted or ended
tells its delegate (`delegation.changed`): their count changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..domain.authority import Actor, Role
from ..domain.clock import Clock
from ..store import event_feed as feed
from .backend import Backend

ARRIVED = "request.arrived"  # a request this member may decide
DECIDED = "request.decided"  # a request this member made has been decided (or expired)
CLOSED = "request.closed"  # a request this member could decide is no longer pending
DELEGATION = "delegation.changed"  # a delegation to this member was granted or ended
SESSION_ENDED = "session.ended"
SESSION_LOCKED = "session.locked"
_OUTCOME = {"request.approved": "approved", "request.rejected": "rejected",
            "request.withdrawn": "withdrawn", "request.expired": "expired"}


@dataclass(frozen=True)
class Notice:
    kind: str
    seq: int
    data: dict


@dataclass(frozen=True)
class Batch:
    head: int  # the next poll reads after this
    events: list[tuple[feed.FeedEvent, feed.RequestFacts | feed.DelegationFacts]] = field(
        default_factory=list)
    delegates: frozenset[tuple[int, str]] = frozenset()
    sessions: dict[str, feed.SessionState] = field(default_factory=dict)
    now: datetime | None = None  # the store's time of the poll


def start_seq(backend: Backend) -> int:
    """Where a new stream starts: the chain's head now (a terminal reloads its lists when its
    stream opens; the stream tells what changes after)."""
    return backend.store.run(feed.head_seq, snapshot=True)


def _target_id(target: str | None, prefix: str) -> int | None:
    if target and target.startswith(prefix) and target[len(prefix):].isdigit():
        return int(target[len(prefix):])
    return None


def _request_id(target: str | None) -> int | None:
    return _target_id(target, "request:")


def _delegation_id(target: str | None) -> int | None:
    return _target_id(target, "delegation:")


def poll(backend: Backend, after: int, session_hashes: list[str], *, clock: Clock) -> Batch:
    now: datetime = clock.now()

    def work(s) -> Batch:
        head = feed.head_seq(s)
        events = feed.request_events(s, after, head) if head > after else []
        ids = sorted({i for e in events if (i := _request_id(e.target)) is not None})
        facts = feed.requests_by_id(s, ids)
        dids = sorted({i for e in events if (i := _delegation_id(e.target)) is not None})
        dfacts = feed.delegations_by_id(s, dids)
        delegates = feed.active_delegates(s, now) if events else set()
        sessions = {row.token_hash: row for row in feed.sessions_by_hash(s, session_hashes)}
        paired: list[tuple[feed.FeedEvent, feed.RequestFacts | feed.DelegationFacts]] = []
        for e in events:
            if e.action in feed.DELEGATION_ACTIONS:
                if (i := _delegation_id(e.target)) is not None and i in dfacts:
                    paired.append((e, dfacts[i]))
            elif (i := _request_id(e.target)) is not None and i in facts:
                paired.append((e, facts[i]))
        return Batch(max(head, after), paired, frozenset(delegates), sessions, now)

    return backend.store.run(work, snapshot=True)


def may_decide(actor: Actor, branch_code: str, maker_staff_id: int | None,
               delegates: frozenset[tuple[int, str]]) -> bool:
    """Whether the request is in this member's 결재함 (never the maker's own)."""
    if maker_staff_id is not None and maker_staff_id == actor.staff_id:
        return False
    if actor.role is Role.MANAGER and actor.branch_code == branch_code:
        return True
    return (actor.staff_id, branch_code) in delegates


def _delegation_notice(actor: Actor, event: feed.FeedEvent, d: feed.DelegationFacts,
                       now: datetime | None) -> Notice | None:
    """Its delegate is told that a delegation was granted or ended (their 결재함 changed, or
    will when the window opens: `opens_in_s`/`closes_in_s`, by the store's clock, so that the
    terminal reads its count again then)."""
    if d.delegate_id != actor.staff_id:
        return None
    data: dict = {"delegation_id": d.id, "branch_code": d.branch_code,
                  "status": "granted" if event.action == "delegation.granted" else "ended"}
    if event.action == "delegation.granted" and d.ended_at is None and now is not None:
        data["opens_in_s"] = max(0.0, (d.valid_from - now).total_seconds())
        data["closes_in_s"] = max(0.0, (d.valid_until - now).total_seconds())
    return Notice(DELEGATION, event.seq, data)


def notices_for(actor: Actor, batch: Batch) -> list[Notice]:
    notices = []
    for event, req in batch.events:
        if isinstance(req, feed.DelegationFacts):
            if (notice := _delegation_notice(actor, event, req, batch.now)) is not None:
                notices.append(notice)
            continue
        data = {"request_id": req.id, "kind": req.kind, "channel": req.channel,
                "branch_code": req.branch_code}
        decider = may_decide(actor, req.branch_code, req.maker_staff_id, batch.delegates)
        if event.action == "request.created":
            if decider:
                notices.append(Notice(ARRIVED, event.seq, {**data, "status": "pending"}))
            continue
        outcome = {**data, "status": _OUTCOME.get(event.action, req.status)}
        if req.maker_staff_id is not None and req.maker_staff_id == actor.staff_id:
            notices.append(Notice(DECIDED, event.seq, outcome))
        elif decider:
            notices.append(Notice(CLOSED, event.seq, outcome))
    return notices
