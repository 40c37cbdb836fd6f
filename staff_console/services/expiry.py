"""The expiry batch and the list of credentials expiring soon."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from ..domain.authority import READ_ROLES, Actor, Role, require_role
from ..domain.clock import Clock, seoul_date
from ..domain.errors import invalid
from ..domain.states import CURRENT, CredentialStatus, RequestKind, RequestStatus
from ..store.audit import NewEvent
from ..store.tables import Credential, Customer, Request
from . import lifecycle
from .backend import Backend
from .common import SYSTEM, credential_by_id, current_staff, event, record
from .views import ExpireResult, ExpiringItem

BATCH = 500  # rows per transaction: keeps the batch's locks short on a busy store


def expire_due(backend: Backend, *, clock: Clock) -> ExpireResult:
    """Mark credentials past their last valid day, and requests past their deadline.
    Runs in batches, each its own transaction; safe to run again (it only finds what is due)."""
    now = clock.now()
    today = seoul_date(now)
    current = [c.value for c in CURRENT]

    def credentials_batch(s: Session) -> int:
        rows = s.exec(
            select(Credential, Customer.customer_no).join(Customer)
            .where(Credential.status.in_(current), Credential.valid_until < today)
            .order_by(Credential.id).limit(BATCH).with_for_update(of=Credential)
        ).all()
        events = []
        for cred, customer_no in rows:
            cred.status = CredentialStatus.EXPIRED.value
            cred.ended_at = lifecycle.end_of_validity(cred.valid_until)
            cred.end_reason = "expired"
            s.add(cred)
            events.append(NewEvent(SYSTEM, "batch", "credential.expired",
                                   customer_no=customer_no, target=f"credential:{cred.id}",
                                   detail={"valid_until": cred.valid_until.isoformat()}))
            events += lifecycle.close_moot_revocations(s, cred, now, SYSTEM, "batch",
                                                       customer_no, ended_status=cred.status)
        s.flush()
        record(s, backend.store, now, *events)
        return len(rows)

    def requests_batch(s: Session) -> int:
        rows = s.exec(
            select(Request, Customer.customer_no).join(Customer)
            .where(Request.status == RequestStatus.PENDING.value, Request.expires_at <= now)
            .order_by(Request.id).limit(BATCH).with_for_update(of=Request)
        ).all()
        events = []
        for req, customer_no in rows:
            req.status = RequestStatus.EXPIRED.value
            req.decided_at = now
            s.add(req)
            events.append(NewEvent(SYSTEM, "batch", "request.expired", customer_no=customer_no,
                                   target=f"request:{req.id}", detail={"kind": req.kind}))
            if req.kind == RequestKind.REGISTRATION.value:
                cred = credential_by_id(s, req.credential_id)
                if cred.status == CredentialStatus.PENDING.value:
                    events += lifecycle.reject_pending(s, cred, now, "request expired", SYSTEM,
                                                       "batch", customer_no)[0]
        s.flush()
        record(s, backend.store, now, *events)
        return len(rows)

    totals = []
    for batch in (credentials_batch, requests_batch):
        total = 0
        while (done := backend.store.run(batch)) > 0:
            total += done
        totals.append(total)
    return ExpireResult(credentials_expired=totals[0], requests_expired=totals[1])


def _scope(actor: Actor, branch_code: str | None) -> str | None:
    """Branch staff see their branch's customers; auditors may ask for any branch or all."""
    if actor.role in (Role.TELLER, Role.MANAGER):
        return actor.branch_code
    return branch_code.upper() if branch_code else None


def expiring_scope(actor: Actor, within_days: int, today: date, branch_code: str | None):
    """The window's last day and the branch the actor may see (None: all)."""
    if not 0 <= within_days <= 3660:
        raise invalid("within", "must be between 0 and 3660 days")
    return today + timedelta(days=within_days), _scope(actor, branch_code)


def expiring_query(today: date, until: date, branch: str | None):
    """Rows (credential, customer_no, name, branch_code), soonest first."""
    query = (
        select(Credential, Customer.customer_no, Customer.name, Customer.branch_code)
        .join(Customer)
        .where(Credential.status.in_([c.value for c in CURRENT]),
               Credential.valid_until >= today, Credential.valid_until <= until)
    )
    if branch:
        query = query.where(Customer.branch_code == branch)
    return query.order_by(Credential.valid_until, Credential.id)


def expiring_item(row, today: date) -> ExpiringItem:
    c, no, name, br = row
    return ExpiringItem(c.id, no, name, br, c.channel, c.device_model, c.valid_until,
                        (c.valid_until - today).days)


def _expiring(
    backend: Backend, actor: Actor, *, within_days: int, clock: Clock, branch_code: str | None,
    limit: int,
) -> list[ExpiringItem]:
    """The expiring-soon rows, with one access event. (Exports: services/exports.py.)"""
    now = clock.now()
    today = seoul_date(now)
    until, branch = expiring_scope(actor, within_days, today, branch_code)

    def work(s: Session) -> list[ExpiringItem]:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "view customers")
        rows = s.exec(expiring_query(today, until, branch).limit(limit)).all()
        items = [expiring_item(row, today) for row in rows]
        detail = {"within_days": within_days, "branch": branch, "count": len(items),
                  "customers": sorted({i.customer_no for i in items})[:200]}
        record(s, backend.store, now, event(actor, "credential.expiring_list",
                                            category="access", detail=detail))
        return items

    return backend.store.run(work)


def list_expiring(
    backend: Backend, actor: Actor, *, within_days: int = 30, clock: Clock,
    branch_code: str | None = None, limit: int = 1000,
) -> list[ExpiringItem]:
    """Current credentials whose last valid day falls within the next `within_days` days
    (today included), soonest first."""
    return _expiring(backend, actor, within_days=within_days, clock=clock,
                     branch_code=branch_code, limit=limit)


def expiring_by_month(
    backend: Backend, actor: Actor, *, months: int = 12, clock: Clock,
    branch_code: str | None = None,
) -> list[tuple[str, int]]:
    """How many current credentials reach their last valid day in each of the next months
    (the current month first). Counts only: no customer data, no access event."""
    now = clock.now()
    today = seoul_date(now)
    first = today.replace(day=1)
    keys = []
    year, month = first.year, first.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    end = date(year, month, 1)
    branch = _scope(actor, branch_code)

    def work(s: Session) -> list[tuple[str, int]]:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "view customers")
        query = (
            select(Credential.valid_until, sa.func.count())
            .where(Credential.status.in_([c.value for c in CURRENT]),
                   Credential.valid_until >= today, Credential.valid_until < end)
            .group_by(Credential.valid_until)
        )
        if branch:
            query = query.join(Customer).where(Customer.branch_code == branch)
        counts: Counter[str] = Counter()
        for day, n in s.exec(query):
            counts[f"{day.year:04d}-{day.month:02d}"] += n
        return [(k, counts.get(k, 0)) for k in keys]

    return backend.store.run(work)
