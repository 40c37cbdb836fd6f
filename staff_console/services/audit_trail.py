"""Reading the audit trail: filtered lists, the monthly access-log review, chain verification."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from ..domain.authority import AUDIT_ROLES, Actor, Role, require_role
from ..domain.bounds import day_within, positive_id
from ..domain.clock import Clock, seoul_midnight
from ..domain.errors import ConsoleError, invalid
from ..domain.ids import mask_numbers
from ..domain.text import clean_text
from ..store.audit import HEAD_SQL, checked_head, make_anchor, read_anchors, verify_chain
from ..store.meta import STORE_ID, get_setting
from ..store.tables import AuditEvent, Staff
from .backend import Backend
from .common import current_staff, event, loads, record
from .views import AnchorView, AuditEventView, AuditPage, VerifyResult

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
    if date_from is not None:
        day_within(date_from, "from")
    if date_to is not None:
        day_within(date_to, "to")
    if before_seq is not None:
        positive_id(before_seq, "before")
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


# Who may write an anchor: the trail's guardians. (An anchor can only make verify stricter,
# never hide a break; docs/decisions.md.)
ANCHOR_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})


def verify_audit(backend: Backend, *, actor: Actor | None = None, clock: Clock,
                 anchors: list[str] | None = None) -> VerifyResult:
    """Recompute the chain, against the anchor lines given (kept outside the store: `anchor`).
    A system job from the CLI; from the console, the check by a person is itself recorded
    (after the verdict, so the verdict is about the chain as it was; on a chain whose head was
    cut nothing can be recorded, and the verdict is returned all the same)."""

    def work(s: Session) -> VerifyResult:
        keyring = backend.store.keyring
        good, bad = read_anchors(keyring, get_setting(s, STORE_ID), anchors or [])
        v = verify_chain(s, keyring, anchors=good, bad_anchors=bad)
        return VerifyResult(v.ok, v.count, v.first_bad_seq,
                            None if v.problem is None else v.problem.value, v.missing,
                            v.anchors_checked, tuple((n, f.value) for n, f in v.bad_anchors),
                            v.unanchored_after)

    try:
        backend.store.flush_audit()
    except ConsoleError as exc:  # a cut head refuses the seal: verify says what is wrong
        if exc.code != "AUDIT_TAMPERED":
            raise
    result = backend.store.run(work)
    if actor is not None:
        now = clock.now()

        def note(s: Session) -> None:
            current_staff(s, actor)
            require_role(actor, AUDIT_ROLES, "verify the audit trail")
            record(s, backend.store, now, event(
                actor, "audit.verified",
                detail={"ok": result.ok, "count": result.count, "first_bad": result.first_bad_seq,
                        "problem": result.problem, "anchors": result.anchors_checked}))

        try:
            backend.store.run(note)
        except ConsoleError as exc:
            if exc.code != "AUDIT_TAMPERED" or result.ok:
                raise
    return result


def _signed_head(s: Session, backend: Backend) -> tuple[str, int, str]:
    """(store id, seq, hash) of the chain's head, checked: its MAC, and the event it names. An
    anchor or a sign-off never vouches for a head that was cut."""
    seq, digest = checked_head(backend.store.keyring, s.execute(HEAD_SQL).first())
    if seq and s.exec(select(AuditEvent.hash).where(AuditEvent.seq == seq)).first() != digest:
        raise ConsoleError("AUDIT_TAMPERED", f"the chain head names event {seq}, which is "
                           "missing or different; run `staff-console audit verify`")
    store_id = get_setting(s, STORE_ID)
    if store_id is None:
        raise ConsoleError("AUDIT_TAMPERED", "the store has no id (deleted outside the "
                           "console); run `staff-console audit verify`")
    return store_id, seq, digest


def anchor_audit(backend: Backend, actor: Actor, *, clock: Clock) -> AnchorView:
    """A signed anchor line for the chain's head now, to be kept outside the store (the CLI
    appends it to the anchor file); recorded as `audit.anchored`."""
    now = clock.now()

    def work(s: Session) -> AnchorView:
        current_staff(s, actor)
        require_role(actor, ANCHOR_ROLES, "anchor the audit trail")
        store_id, seq, digest = _signed_head(s, backend)
        anchor = make_anchor(backend.store.keyring, store_id, seq, digest, now)
        record(s, backend.store, now, event(actor, "audit.anchored",
                                            detail={"seq": seq, "hash": digest}))
        return AnchorView(anchor.line, store_id, seq, digest, anchor.at, anchor.kind)

    backend.store.flush_audit()  # every event committed so far, chained: the anchor covers them
    return backend.store.run(work)


def _month_range(month: str) -> tuple[datetime, datetime]:
    try:
        year, mon = (int(x) for x in month.split("-"))
        start = date(year, mon, 1)
    except ValueError:
        raise invalid("month", "must be YYYY-MM") from None
    day_within(start, "month")  # year 1 or 9999 would overflow Korea time or the next month
    end = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    return seoul_midnight(start), seoul_midnight(end)


def access_query(actor: Actor, month: str, before_seq: int | None = None):
    """The month's access-log events the actor reviews (a manager: the branch's staff; an
    auditor: everyone), unordered."""
    start, end = _month_range(month)
    if before_seq is not None:
        positive_id(before_seq, "before")
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
        # The head signed: the sign-off vouches for the trail up to it (an anchor).
        _store_id, head_seq, head_hash = _signed_head(s, backend)
        record(s, backend.store, now, event(actor, "access_log.signed_off",
                                            detail={"month": month, "scope": scope,
                                                    "note": mask_numbers(text or ""),
                                                    "head_seq": head_seq,
                                                    "head_hash": head_hash}),
               immediate=True)  # chained now: the event is read back just below
        last = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        return _view(last)

    backend.store.flush_audit()  # the head signed covers every event committed so far
    return backend.store.run(work)


def signoff_anchor(backend: Backend, signoff: AuditEventView) -> AnchorView:
    """The anchor line of a sign-off (`sign_off_access_review`): the head it signed, signed
    with the store key, for the anchor file beside the other anchors."""

    def work(s: Session) -> AnchorView:
        store_id = get_setting(s, STORE_ID)
        if store_id is None:
            raise ConsoleError("AUDIT_TAMPERED", "the store has no id (deleted outside the "
                               "console); run `staff-console audit verify`")
        seq, digest = signoff.detail["head_seq"], signoff.detail["head_hash"]
        anchor = make_anchor(backend.store.keyring, store_id, seq, digest, signoff.at,
                             kind="sign-off")
        return AnchorView(anchor.line, store_id, seq, digest, anchor.at, anchor.kind)

    return backend.store.run(work, reads_only=True)
