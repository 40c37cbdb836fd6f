"""The hash chain of audit events: append under the head lock, verify as a stream.

Appends take a row lock on the single `audit_head` row (SELECT ... FOR UPDATE on PostgreSQL; on
SQLite the transaction already holds the database write lock). That serializes appenders, so the
chain stays one line with no forks; `seq` is the primary key, so a second event with the same
number cannot exist. Appends happen last in a transaction, to hold the lock for the shortest time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from .keyring import GENESIS_HASH, Keyring
from .tables import AuditEvent, AuditHead


@dataclass(frozen=True, slots=True)
class NewEvent:
    actor: str
    terminal: str
    action: str
    category: str = "event"  # "access" for reads of customer data (개인정보 접속기록)
    customer_no: str | None = None
    target: str | None = None
    detail: dict = field(default_factory=dict)


def canonical_detail(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical_event(
    seq: int,
    at: datetime,
    actor: str,
    terminal: str,
    action: str,
    category: str,
    customer_no: str | None,
    target: str | None,
    detail: str,
) -> bytes:
    body = [seq, at.isoformat(), actor, terminal, action, category, customer_no, target, detail]
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, hash=GENESIS_HASH))
        session.flush()


def append_events(
    session: Session, keyring: Keyring, events: list[NewEvent], at: datetime
) -> list[int]:
    if not events:
        return []
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    seqs = []
    seq, prev = head.seq, head.hash
    for event in events:
        seq += 1
        detail = canonical_detail(event.detail)
        digest = keyring.chain_hash(
            prev,
            canonical_event(
                seq, at, event.actor, event.terminal, event.action, event.category,
                event.customer_no, event.target, detail,
            ),
        )
        session.add(
            AuditEvent(
                seq=seq, at=at, actor=event.actor, terminal=event.terminal, action=event.action,
                category=event.category, customer_no=event.customer_no, target=event.target,
                detail=detail, prev_hash=prev, hash=digest,
            )
        )
        seqs.append(seq)
        prev = digest
    head.seq, head.hash = seq, prev
    session.add(head)
    session.flush()
    return seqs


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    ok: bool
    count: int
    first_bad_seq: int | None = None
    problem: str | None = None


def _stream(session: Session, batch: int) -> Iterator[AuditEvent]:
    # Keyset pagination: bounded memory on both databases, no long-held server cursor.
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session, keyring: Keyring, *, batch: int = 5000) -> ChainVerdict:
    """Recompute the chain. Names the first event that was edited, deleted, inserted or moved."""
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    for row in _stream(session, batch):
        if row.seq != expected_seq:
            return ChainVerdict(False, count, expected_seq, f"event {expected_seq} is missing")
        if row.prev_hash != prev:
            return ChainVerdict(False, count, row.seq, "link to the previous event is broken")
        digest = keyring.chain_hash(
            prev,
            canonical_event(
                row.seq, row.at, row.actor, row.terminal, row.action, row.category,
                row.customer_no, row.target, row.detail,
            ),
        )
        if digest != row.hash:
            return ChainVerdict(False, count, row.seq, "event content does not match its hash")
        prev, expected_seq, count = digest, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != prev):
        bad = count + 1 if head.seq > count else head.seq
        return ChainVerdict(False, count, bad, "the chain head does not match the last event")
    return ChainVerdict(True, count)


def count_events(session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(AuditEvent)).one()
