"""The expiry batch and the list of credentials expiring soon."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from ..domain.authority import BATCH_ROLES, BRANCH_ROLES, READ_ROLES, Actor, require_role
from ..domain.bounds import whole_number
from ..domain.channels import IDEMPOTENCY_RETENTION_DAYS
from ..domain.clock import Clock, seoul_date
from ..domain.errors import invalid
from ..domain.ids import normalize_branch_code
from ..domain.states import CredentialStatus, EndReason, RequestKind
from ..store import credentials as credential_store
from ..store import idempotency
from ..store import requests as request_store
from ..store.audit import NewEvent
from ..store.engine import Tx
from . import lifecycle
from .backend import Backend
from .common import SYSTEM, current_staff, event, record
from .views import ExpireResult, ExpiringItem

BATCH = 500  # rows per transaction: keeps the batch's locks short on a busy store


def expire_due(backend: Backend, actor: Actor | None = None, *, clock: Clock) -> ExpireResult:
    """Mark credentials past their last valid day, and requests past their deadline.
    Runs in batches, each its own transaction; safe to run again (it only finds what is due).
    `actor` is the staff member who started it from a session (an admin: BATCH_ROLES); None is
    the store's operator (the embedded CLI's `expire`, a scheduled job on the server host)."""
    if actor is not None:
        require_role(actor, BATCH_ROLES, "run the expiry batch")
    now = clock.now()
    today = seoul_date(now)

    def credentials_batch(s: Tx) -> int:
        rows = credential_store.lock_due(s, today, BATCH)
        events = []
        for row in rows:  # through the transition guard, as every state change
            events += lifecycle.expire(s, credential_store.as_row(row), now, SYSTEM, "batch",
                                       row.customer_no)[0]
        record(s, backend.store, now, *events)
        return len(rows)

    def requests_batch(s: Tx) -> int:
        conn = s
        rows = request_store.lock_due(conn, now, BATCH)
        request_store.expire_many(conn, [req.id for req in rows], now)
        events = []
        for req in rows:
            customer_no = req.customer_no
            events.append(NewEvent(SYSTEM, "batch", "request.expired", customer_no=customer_no,
                                   target=f"request:{req.id}", detail={"kind": req.kind}))
            if req.kind == RequestKind.REGISTRATION.value:
                cred = credential_store.by_id(conn, req.credential_id)
                assert cred is not None  # a request's credential (a foreign key)
                if cred.status == CredentialStatus.PENDING.value:
                    events += lifecycle.reject_pending(s, cred, now, EndReason.REQUEST_EXPIRED, SYSTEM,
                                                       "batch", customer_no)[0]
        record(s, backend.store, now, *events)
        return len(rows)

    def answers_batch(s: Tx) -> int:
        return idempotency.purge_before(s, now - timedelta(days=IDEMPOTENCY_RETENTION_DAYS))

    totals = []
    for batch in (credentials_batch, requests_batch):
        total = 0
        while (done := backend.store.run(batch)) > 0:
            total += done
        totals.append(total)
    return ExpireResult(credentials_expired=totals[0], requests_expired=totals[1],
                        answers_purged=backend.store.run(answers_batch))


# The most a list or a forecast shows: a list is read on a screen or by a script (an export
# streams every row), a forecast covers the three years a credential lives and more.
MAX_EXPIRING_LIST = 10_000
MAX_FORECAST_MONTHS = 120


def _scope(actor: Actor, branch_code: str | None) -> str | None:
    """Branch staff see their branch's customers; auditors may ask for any branch or all."""
    if actor.role in BRANCH_ROLES:
        return actor.branch_code
    return normalize_branch_code(branch_code) if branch_code else None


def expiring_scope(actor: Actor, within_days: int, today: date, branch_code: str | None):
    """The window's last day and the branch the actor may see (None: all)."""
    if not 0 <= within_days <= 3660:
        raise invalid("within", "must be between 0 and 3660 days")
    return today + timedelta(days=within_days), _scope(actor, branch_code)


def expiring_query(today: date, until: date, branch: str | None):
    """The statement of the expiring-soon rows, soonest first (an export streams it)."""
    return credential_store.expiring(today, until, branch)


def expiring_item(row, today: date) -> ExpiringItem:
    """The item of a row of `expiring_query`."""
    return ExpiringItem(row.id, row.customer_no, row.name, row.branch_code, row.channel,
                        row.device_model, row.valid_until, (row.valid_until - today).days)


def _expiring(
    backend: Backend, actor: Actor, *, within_days: int, clock: Clock, branch_code: str | None,
    limit: int,
) -> list[ExpiringItem]:
    """The expiring-soon rows, with one access event. (Exports: services/exports.py.)"""
    now = clock.now()
    today = seoul_date(now)
    until, branch = expiring_scope(actor, within_days, today, branch_code)
    whole_number(limit, "limit", 1, MAX_EXPIRING_LIST)

    def work(s: Tx) -> list[ExpiringItem]:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "view customers")
        rows = credential_store.expiring_rows(s, today, until, branch, limit)
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
    whole_number(months, "months", 1, MAX_FORECAST_MONTHS)
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

    def work(s: Tx) -> list[tuple[str, int]]:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "view customers")
        counts: Counter[str] = Counter()
        for day, n in credential_store.expiring_by_day(s, today, end, branch):
            counts[f"{day.year:04d}-{day.month:02d}"] += n
        return [(k, counts.get(k, 0)) for k in keys]

    return backend.store.run(work)
