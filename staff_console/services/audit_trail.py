"""Reading the audit trail: filtered lists, the monthly access-log review, chain verification."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from ..domain.authority import AUDIT_ROLES, Actor, Role, require_role
from ..domain.clock import Clock, seoul_midnight
from ..domain.errors import invalid
from ..domain.ids import mask_numbers
from ..domain.text import clean_text
from ..store.audit import verify_chain
from ..store.tables import AuditEvent, Staff
from .backend import Backend
from .common import current_staff, event, loads, record
from .views import AuditEventView, AuditPage, VerifyResult

MAX_AUDIT_PAGE = 500


def _view(e: AuditEvent) -> AuditEventView:
    return AuditEventView(e.seq, e.at, e.actor, e.terminal, e.action, e.category, e.customer_no,
                          e.target, loads(e.detail))


def events_query(
    *, customer_no: str | None = None, staff_no: str | None = None, action: str | None = None,
    category: str | None = None, date_from: date | None = None, date_to: date | None = None,
    before_seq: int | None = None,
):
    """The trail filtered (the filters are text from a person: domain.text), unordered."""
    customer_no, staff_no, action, category = (
        clean_text(value, name, limit=40, required=False) for name, value in (
            ("customer", customer_no), ("staff", staff_no), ("action", action),
            ("category", category)))
    query = select(AuditEvent)
    if customer_no:
        query = query.where(AuditEvent.customer_no == customer_no.upper())
    if staff_no:
        query = query.where(AuditEvent.actor == staff_no)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if category:
        query = query.where(AuditEvent.category == category)
    if date_from:
        query = query.where(AuditEvent.at >= seoul_midnight(date_from))
    if date_to:
        query = query.where(AuditEvent.at < seoul_midnight(date.fromordinal(
            date_to.toordinal() + 1)))
    if before_seq:
        query = query.where(AuditEvent.seq < before_seq)
    return query


def list_events(
    backend: Backend, actor: Actor, *, clock: Clock, customer_no: str | None = None,
    staff_no: str | None = None, action: str | None = None, category: str | None = None,
    date_from: date | None = None, date_to: date | None = None, before_seq: int | None = None,
    limit: int = 100,
) -> AuditPage:
    """Newest first. Dates are Korea-time business dates, both inclusive. (Exports of every
    matching event: services/exports.py.)"""
    if not 1 <= limit <= MAX_AUDIT_PAGE:
        raise invalid("limit", f"must be between 1 and {MAX_AUDIT_PAGE}")
    now = clock.now()
    query = events_query(customer_no=customer_no, staff_no=staff_no, action=action,
                         category=category, date_from=date_from, date_to=date_to,
                         before_seq=before_seq)

    def work(s: Session) -> AuditPage:
        current_staff(s, actor)
        require_role(actor, AUDIT_ROLES, "read the audit trail")
        rows = s.exec(query.order_by(AuditEvent.seq.desc()).limit(limit + 1)).all()
        items = [_view(e) for e in rows[:limit]]
        customers = sorted({i.customer_no for i in items if i.customer_no})
        if customers:
            record(s, backend.store, now, event(actor, "audit.view", category="access",
                                                detail={"customers": customers[:200]}))
        return AuditPage(items=items, has_more=len(rows) > limit)

    backend.store.flush_audit()  # every event committed so far, chained (store/sealer.py)
    return backend.store.run(work)


def verify_audit(backend: Backend, *, actor: Actor | None = None, clock: Clock) -> VerifyResult:
    """Recompute the chain. A system job from the CLI; from the console, the check by a person
    is itself recorded (after the verdict, so the verdict is about the chain as it was)."""

    def work(s: Session) -> VerifyResult:
        verdict = verify_chain(s, backend.store.keyring)
        return VerifyResult(verdict.ok, verdict.count, verdict.first_bad_seq, verdict.problem)

    backend.store.flush_audit()
    result = backend.store.run(work)
    if actor is not None:
        now = clock.now()

        def note(s: Session) -> None:
            current_staff(s, actor)
            require_role(actor, AUDIT_ROLES, "verify the audit trail")
            record(s, backend.store, now, event(
                actor, "audit.verified",
                detail={"ok": result.ok, "count": result.count, "first_bad": result.first_bad_seq}))

        backend.store.run(note)
    return result


def _month_range(month: str) -> tuple[datetime, datetime]:
    try:
        year, mon = (int(x) for x in month.split("-"))
        start = date(year, mon, 1)
    except ValueError:
        raise invalid("month", "must be YYYY-MM") from None
    end = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    return seoul_midnight(start), seoul_midnight(end)


def access_query(actor: Actor, month: str, before_seq: int | None = None):
    """The month's access-log events the actor reviews (a manager: the branch's staff; an
    auditor: everyone), unordered."""
    start, end = _month_range(month)
    query = select(AuditEvent).where(
        AuditEvent.category == "access", AuditEvent.at >= start, AuditEvent.at < end)
    if actor.role is Role.MANAGER:
        staff = select(Staff.employee_no).where(Staff.branch_code == actor.branch_code)
        query = query.where(AuditEvent.actor.in_(staff))
    if before_seq:
        query = query.where(AuditEvent.seq < before_seq)
    return query


REVIEW_ROLES = frozenset({Role.MANAGER, Role.AUDITOR})


def access_log(
    backend: Backend, actor: Actor, month: str, *, clock: Clock, limit: int = MAX_AUDIT_PAGE,
    before_seq: int | None = None,
) -> AuditPage:
    """The month's access-log events for review: a manager sees the branch's staff, an
    auditor everyone."""
    query = access_query(actor, month, before_seq)
    now = clock.now()

    def work(s: Session) -> AuditPage:
        current_staff(s, actor)
        require_role(actor, REVIEW_ROLES, "review the access log")
        rows = s.exec(query.order_by(AuditEvent.seq.desc()).limit(limit + 1)).all()
        detail = {"month": month, "count": len(rows[:limit])}
        record(s, backend.store, now, event(actor, "access_log.view", category="access",
                                            detail=detail))
        return AuditPage(items=[_view(e) for e in rows[:limit]], has_more=len(rows) > limit)

    backend.store.flush_audit()
    return backend.store.run(work)


def sign_off_access_review(
    backend: Backend, actor: Actor, month: str, *, note: str | None = None, clock: Clock
) -> AuditEventView:
    """The monthly review's sign-off, itself an audit event."""
    _month_range(month)
    text = clean_text(note, "note", limit="note", required=False)
    now = clock.now()

    def work(s: Session) -> AuditEventView:
        current_staff(s, actor)
        require_role(actor, frozenset({Role.MANAGER, Role.AUDITOR}), "sign off the review")
        scope = actor.branch_code if actor.role is Role.MANAGER else "all"
        record(s, backend.store, now, event(actor, "access_log.signed_off",
                                            detail={"month": month, "scope": scope,
                                                    "note": mask_numbers(text or "")}),
               immediate=True)  # chained now: the event is read back just below
        last = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        return _view(last)

    return backend.store.run(work)
