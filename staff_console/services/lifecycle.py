"""Credential state changes shared by intake, decisions and the expiry batch.

Each function changes rows in the caller's transaction (Core statements built once: these run
in every decision) and returns the audit events to append, and where the caller shows the
credential afterwards, its row as it now is. The caller holds the customer row lock and appends
the events last.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..domain.clock import seoul_date, seoul_midnight
from ..domain.states import (
    CURRENT,
    CredentialStatus,
    EndReason,
    effective_status,
    transition,
)
from ..domain.validity import is_past_validity, last_valid_day
from ..store import credentials as credential_store
from ..store import requests as request_store
from ..store.audit import NewEvent
from ..store.credentials import Change, CredentialRow
from ..store.engine import Tx


def _checked(status: str, target: CredentialStatus, credential_id: int) -> str:
    try:
        return transition(status, target).value
    except AssertionError as exc:
        raise AssertionError(f"credential {credential_id}: {exc}") from None


def end_of_validity(valid_until: date) -> datetime:
    """The instant a credential stopped being valid: the start of the next Korea-time day."""
    return seoul_midnight(valid_until + timedelta(days=1))


def _send(s: Tx, change: Change, defer: list[Change] | None) -> None:
    """Send a credential's change now, or, with `defer`, leave it there for the caller to send
    with its own (a decision: store/requests.py `set_decision`)."""
    if defer is None:
        s.execute(*change)
    else:
        defer.append(change)


def _end(s: Tx, cred, target: CredentialStatus, ended_at: datetime, reason: EndReason,
         replaced_by: int | None = None, *, defer: list[Change] | None = None):
    """Move a credential to an end state; returns its row as it now is."""
    status = _checked(cred.status, target, cred.id)
    _send(s, credential_store.ended(cred.id, status, ended_at, reason.value, replaced_by),
          defer)
    return credential_store.as_row(cred)._replace(status=status, ended_at=ended_at,
                                                  end_reason=reason.value,
                                                  replaced_by=replaced_by)


def close_moot_revocations(
    s: Tx, cred, now: datetime, actor: str, terminal: str, customer_no: str,
    *, ended_status: str,
) -> list[NewEvent]:
    """A pending revocation of a credential that has just ended (replaced or expired) has nothing
    left to revoke. It is closed as `expired` (no one decided it), so that it does not block a
    revocation of the customer's new credential on that channel."""
    closed = request_store.close_moot_revocations(
        s, cred.id, now, f"credential ended ({ended_status}) before a decision")
    return [NewEvent(actor, terminal, "request.expired", customer_no=customer_no,
                     target=f"request:{req.id}",
                     detail={"kind": req.kind, "why": "credential_ended", "credential": cred.id})
            for req in closed]


def activate(
    s: Tx, cred, now: datetime, actor: str, terminal: str, customer_no: str, *,
    defer: list[Change] | None = None,
) -> tuple[list[NewEvent], CredentialRow]:
    """Activate a pending registration. The previous current credential of the channel ends in
    the same transaction: replaced, or expired if it was already past its last day. `defer`:
    the activation itself is left there for the caller to send (`_send`)."""
    today = seoul_date(now)
    events: list[NewEvent] = []
    previous = credential_store.lock_current_of_channel(s, cred.customer_id,
                                                        cred.channel)
    for old in previous:
        if old.valid_until is not None and is_past_validity(old.valid_until, today):
            ended = _end(s, old, CredentialStatus.EXPIRED, end_of_validity(old.valid_until),
                         EndReason.EXPIRED)
            action = "credential.expired"
        else:
            ended = _end(s, old, CredentialStatus.REPLACED, now, EndReason.REPLACED,
                         replaced_by=cred.id)
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
    _send(s, credential_store.activated(cred.id, now, valid_until), defer)
    active = credential_store.as_row(cred)._replace(
        status=CredentialStatus.ACTIVE.value, activated_at=now, valid_until=valid_until,
        failed_logins=0)
    events.append(NewEvent(actor, terminal, "credential.activated", customer_no=customer_no,
                           target=f"credential:{cred.id}",
                           detail={"channel": cred.channel, "device_id": cred.device_id,
                                   "valid_until": valid_until.isoformat()}))
    return events, active


def expire(
    s: Tx, cred, now: datetime, actor: str, terminal: str, customer_no: str
) -> tuple[list[NewEvent], CredentialRow]:
    """The expiry batch: a current credential past its last valid day ends as expired, at the
    instant its validity ended; a pending revocation of it is closed."""
    expired = _end(s, cred, CredentialStatus.EXPIRED, end_of_validity(cred.valid_until),
                   EndReason.EXPIRED)
    events = [NewEvent(actor, terminal, "credential.expired", customer_no=customer_no,
                       target=f"credential:{cred.id}",
                       detail={"valid_until": cred.valid_until.isoformat()})]
    events += close_moot_revocations(s, cred, now, actor, terminal, customer_no,
                                     ended_status=expired.status)
    return events, expired


def revoke(
    s: Tx, cred, now: datetime, reason: str, actor: str, terminal: str, customer_no: str, *,
    defer: list[Change] | None = None,
) -> tuple[list[NewEvent], CredentialRow]:
    revoked = _end(s, cred, CredentialStatus.REVOKED, now, EndReason.of_revocation(reason),
                   defer=defer)
    return [NewEvent(actor, terminal, "credential.revoked", customer_no=customer_no,
                     target=f"credential:{cred.id}",
                     detail={"channel": cred.channel, "reason": reason})], revoked


def reject_pending(
    s: Tx, cred, now: datetime, why: EndReason, actor: str, terminal: str, customer_no: str, *,
    defer: list[Change] | None = None,
) -> tuple[list[NewEvent], CredentialRow]:
    rejected = _end(s, cred, CredentialStatus.REJECTED, now, why, defer=defer)
    return [NewEvent(actor, terminal, "credential.rejected", customer_no=customer_no,
                     target=f"credential:{cred.id}", detail={"why": why.value})], rejected


def is_current(cred, today: date) -> bool:
    return effective_status(cred.status, cred.valid_until, today) in CURRENT
