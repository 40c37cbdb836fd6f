"""Credential state changes shared by intake, decisions and the expiry batch.

Each function changes rows in the caller's transaction and returns the audit events to append;
the caller appends them last. The caller holds the customer row lock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from ..domain.clock import seoul_date, seoul_midnight
from ..domain.states import (
    CURRENT,
    CredentialStatus,
    RequestKind,
    RequestStatus,
    can_transition,
)
from ..domain.validity import is_past_validity, last_valid_day
from ..store.audit import NewEvent
from ..store.tables import Credential, Request


def _move(cred: Credential, target: CredentialStatus) -> None:
    current = CredentialStatus(cred.status)
    if not can_transition(current, target):
        raise AssertionError(f"credential {cred.id}: {current} -> {target} is not a transition")
    cred.status = target.value


def end_of_validity(valid_until: date) -> datetime:
    """The instant a credential stopped being valid: the start of the next Korea-time day."""
    return seoul_midnight(valid_until + timedelta(days=1))


def close_moot_revocations(
    s: Session, cred: Credential, now: datetime, actor: str, terminal: str, customer_no: str
) -> list[NewEvent]:
    """A pending revocation of a credential that has just ended (replaced or expired) has nothing
    left to revoke. It is closed as `expired` (no one decided it), so that it does not block a
    revocation of the customer's new credential on that channel."""
    pending = s.exec(
        select(Request).where(
            Request.credential_id == cred.id,
            Request.kind == RequestKind.REVOCATION.value,
            Request.status == RequestStatus.PENDING.value,
        ).with_for_update()
    ).all()
    events = []
    for req in pending:
        req.status = RequestStatus.EXPIRED.value
        req.decided_at = now
        req.decision_note = f"credential ended ({cred.status}) before a decision"
        s.add(req)
        events.append(NewEvent(actor, terminal, "request.expired", customer_no=customer_no,
                               target=f"request:{req.id}",
                               detail={"kind": req.kind, "why": "credential_ended",
                                       "credential": cred.id}))
    return events


def activate(
    s: Session, cred: Credential, now: datetime, actor: str, terminal: str, customer_no: str
) -> list[NewEvent]:
    """Activate a pending registration. The previous current credential of the channel ends in
    the same transaction: replaced, or expired if it was already past its last day."""
    today = seoul_date(now)
    events: list[NewEvent] = []
    previous = s.exec(
        select(Credential).where(
            Credential.customer_id == cred.customer_id,
            Credential.channel == cred.channel,
            Credential.status.in_([c.value for c in CURRENT]),
        ).with_for_update()
    ).all()
    for old in previous:
        if is_past_validity(old.valid_until, today):
            _move(old, CredentialStatus.EXPIRED)
            old.ended_at = end_of_validity(old.valid_until)
            old.end_reason = "expired"
            action = "credential.expired"
        else:
            _move(old, CredentialStatus.REPLACED)
            old.ended_at = now
            old.end_reason = f"replaced by #{cred.id}"
            action = "credential.replaced"
        s.add(old)
        events.append(NewEvent(actor, terminal, action, customer_no=customer_no,
                               target=f"credential:{old.id}",
                               detail={"channel": old.channel, "device_id": old.device_id,
                                       "by": cred.id}))
        events += close_moot_revocations(s, old, now, actor, terminal, customer_no)
    # The old row must leave the "current" index before the new one enters it.
    s.flush()
    _move(cred, CredentialStatus.ACTIVE)
    cred.activated_at = now
    cred.valid_until = last_valid_day(now)
    cred.failed_logins = 0
    s.add(cred)
    s.flush()
    events.append(NewEvent(actor, terminal, "credential.activated", customer_no=customer_no,
                           target=f"credential:{cred.id}",
                           detail={"channel": cred.channel, "device_id": cred.device_id,
                                   "valid_until": cred.valid_until.isoformat()}))
    return events


def revoke(
    cred: Credential, now: datetime, reason: str, actor: str, terminal: str, customer_no: str
) -> list[NewEvent]:
    _move(cred, CredentialStatus.REVOKED)
    cred.ended_at = now
    cred.end_reason = reason
    return [NewEvent(actor, terminal, "credential.revoked", customer_no=customer_no,
                     target=f"credential:{cred.id}",
                     detail={"channel": cred.channel, "reason": reason})]


def reject_pending(
    cred: Credential, now: datetime, why: str, actor: str, terminal: str, customer_no: str
) -> list[NewEvent]:
    _move(cred, CredentialStatus.REJECTED)
    cred.ended_at = now
    cred.end_reason = why
    return [NewEvent(actor, terminal, "credential.rejected", customer_no=customer_no,
                     target=f"credential:{cred.id}", detail={"why": why})]


def is_current(cred: Credential, today: date) -> bool:
    return cred.status in CURRENT and not is_past_validity(cred.valid_until, today)
