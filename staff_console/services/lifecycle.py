"""Credential state changes shared by intake, decisions and the expiry batch.

Each function changes rows in the caller's transaction (Core statements built once: these run
in every decision) and returns the audit events to append, and where the caller shows the
credential afterwards, its row as it now is. The caller holds the customer row lock and appends
the events last.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

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
from ..store.direct import DirectStatement
from .common import CREDENTIAL, REQUEST, CredentialRow, plain

_bp = sa.bindparam
_END = DirectStatement(sa.update(CREDENTIAL).where(CREDENTIAL.c.id == _bp("credential_id")).values(
    status=_bp("new_status"), ended_at=_bp("new_ended_at"), end_reason=_bp("new_end_reason")))
_ACTIVATE = DirectStatement(sa.update(CREDENTIAL).where(
    CREDENTIAL.c.id == _bp("credential_id")).values(
    status=CredentialStatus.ACTIVE.value, activated_at=_bp("new_activated_at"),
    valid_until=_bp("new_valid_until"), failed_logins=0))
_CURRENT_OF_CHANNEL = DirectStatement(sa.select(CREDENTIAL).where(
    CREDENTIAL.c.customer_id == _bp("customer_id"), CREDENTIAL.c.channel == _bp("channel"),
    CREDENTIAL.c.status.in_([c.value for c in CURRENT]),
).order_by(CREDENTIAL.c.id).with_for_update(), row_type=CredentialRow)
_CLOSE_MOOT = DirectStatement(sa.update(REQUEST).where(
    REQUEST.c.credential_id == _bp("ended_credential_id"),
    REQUEST.c.kind == RequestKind.REVOCATION.value,
    REQUEST.c.status == RequestStatus.PENDING.value,
).values(status=RequestStatus.EXPIRED.value, decided_at=_bp("new_decided_at"),
         decision_note=_bp("new_decision_note")).returning(REQUEST.c.id, REQUEST.c.kind))


def _checked(status: str, target: CredentialStatus, credential_id: int) -> str:
    current = CredentialStatus(status)
    if not can_transition(current, target):
        raise AssertionError(f"credential {credential_id}: {current} -> {target} is not a "
                             "transition")
    return target.value


def end_of_validity(valid_until: date) -> datetime:
    """The instant a credential stopped being valid: the start of the next Korea-time day."""
    return seoul_midnight(valid_until + timedelta(days=1))


def _end(s: Session, cred, target: CredentialStatus, ended_at: datetime, reason: str):
    """Move a credential to an end state; returns its row as it now is."""
    status = _checked(cred.status, target, cred.id)
    _END.execute(s.connection(), {"credential_id": cred.id, "new_status": status,
                                  "new_ended_at": ended_at, "new_end_reason": reason})
    return plain(CredentialRow, cred)._replace(status=status, ended_at=ended_at,
                                               end_reason=reason)


def close_moot_revocations(
    s: Session, cred, now: datetime, actor: str, terminal: str, customer_no: str,
    *, ended_status: str,
) -> list[NewEvent]:
    """A pending revocation of a credential that has just ended (replaced or expired) has nothing
    left to revoke. It is closed as `expired` (no one decided it), so that it does not block a
    revocation of the customer's new credential on that channel."""
    closed = _CLOSE_MOOT.all(s.connection(), {
        "ended_credential_id": cred.id, "new_decided_at": now,
        "new_decision_note": f"credential ended ({ended_status}) before a decision",
    })
    return [NewEvent(actor, terminal, "request.expired", customer_no=customer_no,
                     target=f"request:{req.id}",
                     detail={"kind": req.kind, "why": "credential_ended", "credential": cred.id})
            for req in sorted(closed)]


def activate(
    s: Session, cred, now: datetime, actor: str, terminal: str, customer_no: str
) -> tuple[list[NewEvent], CredentialRow]:
    """Activate a pending registration. The previous current credential of the channel ends in
    the same transaction: replaced, or expired if it was already past its last day."""
    today = seoul_date(now)
    events: list[NewEvent] = []
    previous = _CURRENT_OF_CHANNEL.all(s.connection(), {
        "customer_id": cred.customer_id, "channel": cred.channel})
    for old in previous:
        if is_past_validity(old.valid_until, today):
            ended = _end(s, old, CredentialStatus.EXPIRED, end_of_validity(old.valid_until),
                         "expired")
            action = "credential.expired"
        else:
            ended = _end(s, old, CredentialStatus.REPLACED, now, f"replaced by #{cred.id}")
            action = "credential.replaced"
        events.append(NewEvent(actor, terminal, action, customer_no=customer_no,
                               target=f"credential:{old.id}",
                               detail={"channel": old.channel, "device_id": old.device_id,
                                       "by": cred.id}))
        events += close_moot_revocations(s, old, now, actor, terminal, customer_no,
                                          ended_status=ended.status)
    # The old row has left the "current" index (its UPDATE ran) before the new one enters it.
    _checked(cred.status, CredentialStatus.ACTIVE, cred.id)
    valid_until = last_valid_day(now)
    _ACTIVATE.execute(s.connection(), {"credential_id": cred.id, "new_activated_at": now,
                                       "new_valid_until": valid_until})
    active = plain(CredentialRow, cred)._replace(
        status=CredentialStatus.ACTIVE.value, activated_at=now, valid_until=valid_until,
        failed_logins=0)
    events.append(NewEvent(actor, terminal, "credential.activated", customer_no=customer_no,
                           target=f"credential:{cred.id}",
                           detail={"channel": cred.channel, "device_id": cred.device_id,
                                   "valid_until": valid_until.isoformat()}))
    return events, active


def revoke(
    s: Session, cred, now: datetime, reason: str, actor: str, terminal: str, customer_no: str
) -> tuple[list[NewEvent], CredentialRow]:
    revoked = _end(s, cred, CredentialStatus.REVOKED, now, reason)
    return [NewEvent(actor, terminal, "credential.revoked", customer_no=customer_no,
                     target=f"credential:{cred.id}",
                     detail={"channel": cred.channel, "reason": reason})], revoked


def reject_pending(
    s: Session, cred, now: datetime, why: str, actor: str, terminal: str, customer_no: str
) -> tuple[list[NewEvent], CredentialRow]:
    rejected = _end(s, cred, CredentialStatus.REJECTED, now, why)
    return [NewEvent(actor, terminal, "credential.rejected", customer_no=customer_no,
                     target=f"credential:{cred.id}", detail={"why": why})], rejected


def is_current(cred, today: date) -> bool:
    return cred.status in CURRENT and not is_past_validity(cred.valid_until, today)
