"""Reading the audit trail: filtered lists, the monthly access-log review, chain verification."""

from __future__ import annotations

from datetime import date, datetime

from ..domain.authority import AUDIT_ROLES, REVIEW_ROLES, Actor, Role, require_role
from ..domain.bounds import day_within, positive_id, whole_number
from ..domain.clock import Clock, seoul_midnight
from ..domain.errors import ConsoleError, invalid, not_found
from ..domain.ids import mask_numbers
from ..domain.text import clean_text
from ..store import audit_query
from ..store.audit import make_anchor, read_anchors, verify_chain
from ..store.audit_query import EventFilter
from ..store.engine import Tx
from ..store.meta import STORE_ID, get_setting
from .backend import Backend
from .common import current_staff, event, loads, record
from .views import AnchorView, AuditEventView, AuditPage, VerifyResult

MAX_AUDIT_PAGE = 500


def _view(e) -> AuditEventView:
    """A listed event's row (store/audit_query.py LISTED) as the view."""
    return AuditEventView(e.seq, e.at, e.actor, e.terminal, e.action, e.category, e.customer_no,
                          e.target, loads(e.detail))


def events_filter(
    *, customer_no: str | None = None, staff_no: str | None = None, action: str | None = None,
    category: str | None = None, date_from: date | None = None, date_to: date | None = None,
    before_seq: int | None = None,
) -> EventFilter:
    """The trail's filters (text from a person: domain.text; dates are Korea-time business
    dates, both inclusive)."""
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
    return EventFilter(
        customer_no=customer_no.upper() if customer_no else None, actor=staff_no or None,
        action_prefix=action or None, category=category or None,
        at_from=seoul_midnight(date_from) if date_from else None,
        at_before=seoul_midnight(date.fromordinal(date_to.toordinal() + 1)) if date_to else None,
        before_seq=before_seq or None)


def list_events(
    backend: Backend, actor: Actor, *, clock: Clock, customer_no: str | None = None,
    staff_no: str | None = None, action: str | None = None, category: str | None = None,
    date_from: date | None = None, date_to: date | None = None, before_seq: int | None = None,
    limit: int = 100,
) -> AuditPage:
    """Newest first. Dates are Korea-time business dates, both inclusive. (Exports of every
    matching event: services/exports.py.)"""
    whole_number(limit, "limit", 1, MAX_AUDIT_PAGE)
    now = clock.now()
    where = events_filter(customer_no=customer_no, staff_no=staff_no, action=action,
                          category=category, date_from=date_from, date_to=date_to,
                          before_seq=before_seq)

    def work(s: Tx) -> AuditPage:
        current_staff(s, actor)
        require_role(actor, AUDIT_ROLES, "read the audit trail")
        rows = audit_query.newest(s, where, limit + 1)
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

    def work(s: Tx) -> VerifyResult:
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

        def note(s: Tx) -> None:
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


def anchor_audit(backend: Backend, actor: Actor, *, clock: Clock) -> AnchorView:
    """A signed anchor line for the chain's head now, to be kept outside the store (the CLI
    appends it to the anchor file); recorded as `audit.anchored`."""
    now = clock.now()

    def work(s: Tx) -> AnchorView:
        current_staff(s, actor)
        require_role(actor, ANCHOR_ROLES, "anchor the audit trail")
        store_id, seq, digest = audit_query.signed_head(s, backend.store.keyring)
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


def access_filter(actor: Actor, month: str, before_seq: int | None = None) -> EventFilter:
    """The month's access-log events the actor reviews (a manager: the branch's staff; an
    auditor: everyone)."""
    start, end = _month_range(month)
    if before_seq is not None:
        positive_id(before_seq, "before")
    return EventFilter(
        category="access", at_from=start, at_before=end, before_seq=before_seq or None,
        actor_branch=actor.branch_code if actor.role is Role.MANAGER else None)


def access_log(
    backend: Backend, actor: Actor, month: str, *, clock: Clock, limit: int = MAX_AUDIT_PAGE,
    before_seq: int | None = None,
) -> AuditPage:
    """The month's access-log events for review: a manager sees the branch's staff, an
    auditor everyone."""
    whole_number(limit, "limit", 1, MAX_AUDIT_PAGE)
    where = access_filter(actor, month, before_seq)
    now = clock.now()

    def work(s: Tx) -> AuditPage:
        current_staff(s, actor)
        require_role(actor, REVIEW_ROLES, "review the access log")
        rows = audit_query.newest(s, where, limit + 1)
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

    def work(s: Tx) -> AuditEventView:
        current_staff(s, actor)
        require_role(actor, REVIEW_ROLES, "sign off the review")
        scope = actor.branch_code if actor.role is Role.MANAGER else "all"
        # The head signed: the sign-off vouches for the trail up to it (an anchor).
        _store_id, head_seq, head_hash = audit_query.signed_head(s,
                                                                 backend.store.keyring)
        record(s, backend.store, now, event(actor, "access_log.signed_off",
                                            detail={"month": month, "scope": scope,
                                                    "note": mask_numbers(text or ""),
                                                    "head_seq": head_seq,
                                                    "head_hash": head_hash}),
               immediate=True)  # chained now: the event is read back just below
        return _view(audit_query.last_event(s))

    backend.store.flush_audit()  # the head signed covers every event committed so far
    return backend.store.run(work)


def signoff_anchor(backend: Backend, signoff: AuditEventView) -> AnchorView:
    """The anchor line of a sign-off (`sign_off_access_review`): the head it signed, signed
    with the store key, for the anchor file beside the other anchors."""

    def work(s: Tx) -> AnchorView:
        store_id = audit_query.store_id(s)
        # The head comes from the sign-off as the chain holds it, never from the caller: a
        # console server signs with the store key only what the trail itself says.
        row = audit_query.event_at(s, signoff.seq)
        if row is None or row.action != "access_log.signed_off":
            raise not_found("sign-off", signoff.seq)
        recorded = _view(row)
        seq, digest = recorded.detail["head_seq"], recorded.detail["head_hash"]
        anchor = make_anchor(backend.store.keyring, store_id, seq, digest, recorded.at,
                             kind="sign-off")
        return AnchorView(anchor.line, store_id, seq, digest, anchor.at, anchor.kind)

    return backend.store.run(work, reads_only=True)
