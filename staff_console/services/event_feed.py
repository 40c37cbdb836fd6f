"""What a signed-in terminal is told as it happens (the server's event stream, issue 14.5):
a request it may decide has arrived, one it made was decided, its session ended or locked.

`poll` reads what changed since the last poll for the whole server process (store/event_feed:
the request events of the audit trail up to the chain's head, the requests they name, the
delegations active now, the state of the listening sessions), whatever the number of
terminals; `notices_for` picks what one signed-in member is told, by the rules of DOMAIN.md
section 5 (the branch's manager or an active delegate decides; the maker hears the outcome).
A notice carries the request's number, kind, channel and branch, never customer data: the
terminal reads the request through its own (audited) call.
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
    events: list[tuple[feed.FeedEvent, feed.RequestFacts]] = field(default_factory=list)
    delegates: frozenset[tuple[int, str]] = frozenset()
    sessions: dict[str, feed.SessionState] = field(default_factory=dict)


def start_seq(backend: Backend) -> int:
    """Where a new stream starts: the chain's head now (a terminal reloads its lists when its
    stream opens; the stream tells what changes after)."""
    return backend.store.run(feed.head_seq, reads_only=True)


def _request_id(target: str | None) -> int | None:
    if target and target.startswith("request:") and target[8:].isdigit():
        return int(target[8:])
    return None


def poll(backend: Backend, after: int, session_hashes: list[str], *, clock: Clock) -> Batch:
    now: datetime = clock.now()

    def work(s) -> Batch:
        head = feed.head_seq(s)
        events = feed.request_events(s, after, head) if head > after else []
        ids = sorted({i for e in events if (i := _request_id(e.target)) is not None})
        facts = feed.requests_by_id(s, ids)
        delegates = feed.active_delegates(s, now) if events else set()
        sessions = {row.token_hash: row for row in feed.sessions_by_hash(s, session_hashes)}
        paired = [(e, facts[i]) for e in events
                  if (i := _request_id(e.target)) is not None and i in facts]
        return Batch(max(head, after), paired, frozenset(delegates), sessions)

    return backend.store.run(work, reads_only=True)


def may_decide(actor: Actor, branch_code: str, maker_staff_id: int | None,
               delegates: frozenset[tuple[int, str]]) -> bool:
    """Whether the request is in this member's 결재함 (never the maker's own)."""
    if maker_staff_id is not None and maker_staff_id == actor.staff_id:
        return False
    if actor.role is Role.MANAGER and actor.branch_code == branch_code:
        return True
    return (actor.staff_id, branch_code) in delegates


def notices_for(actor: Actor, batch: Batch) -> list[Notice]:
    notices = []
    for event, req in batch.events:
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
