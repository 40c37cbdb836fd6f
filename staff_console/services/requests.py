"""Maker-checker: revocation requests at a branch, decisions under 지점장 전결, withdrawal.

Concurrency (PostgreSQL at READ COMMITTED; on SQLite BEGIN IMMEDIATE runs writers one at a
time): a decision locks the customer row, then the request row with its credential's (SELECT ...
FOR UPDATE), and re-reads the status under the lock; a second decider (approve, reject or the
maker's withdraw) waits on the lock and then sees the committed status: ALREADY_DECIDED. Exactly
one decision and one decision event per request. Locking the customer first also orders the
decision against everything else that changes that customer's credentials (intake, logins,
revocation requests, other decisions), which all lock the customer row first. The order customer
-> request -> credentials -> audit head is the same in every use case, so two transactions never
wait on each other in a cycle; the audit append comes last (after the result is built) because
the head lock is held until commit. The partial unique indexes back all this up in the database:
a path that forgot a lock would fail with a unique violation, never leave two current
credentials.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from ..domain.authority import (
    BRANCH_ROLES,
    READ_ROLES,
    Actor,
    Authority,
    DelegationWindow,
    Role,
    decision_authority,
    require_role,
)
from ..domain.bounds import row_id
from ..domain.channels import parse_channel
from ..domain.clock import Clock, seoul_date
from ..domain.eligibility import check_customer_eligible
from ..domain.errors import ConsoleError, invalid, not_found
from ..domain.ids import CustomerType, Nationality, mask_numbers
from ..domain.states import RequestKind, RequestStatus, RevocationReason
from ..domain.text import LIMITS, clean_text
from ..store.audit import NewEvent
from ..store.direct import DirectStatement, Row
from ..store.tables import Delegation, Request
from . import lifecycle
from .backend import Backend
from .common import (
    CREDENTIAL,
    CUSTOMER,
    REQUEST,
    STAFF,
    STANDING,
    CredentialRow,
    RequestRow,
    StaffName,
    actor_name,
    current_staff,
    event,
    lock_customer_channel,
    plain,
    prefixed_columns,
    record,
    request_policy,
    request_view,
    require_standing,
    staff_names,
)
from .customers import current_of
from .views import RequestView

MAX_NOTE = LIMITS["note"]


def _clean_note(note: str | None, *, required: bool, field: str = "note") -> str | None:
    """Notes are one line (the app's note fields are single-line inputs): domain.text."""
    return clean_text(note, field, limit=MAX_NOTE, required=required)


_bp = sa.bindparam
DELEGATION = Delegation.__table__
_INSERT_REQUEST = DirectStatement(sa.insert(REQUEST).returning(*REQUEST.c), row_type=RequestRow)
# Decisions lock the customer first, then the request (the order of store/engine.py).
# The decider's standing comes with the lock (one round trip fewer); only the customer row is
# locked.
_LOCK_CUSTOMER_OF_REQUEST = DirectStatement(sa.select(CUSTOMER, STANDING).where(
    CUSTOMER.c.id == sa.select(REQUEST.c.customer_id).where(REQUEST.c.id == _bp("request_id"))
    .scalar_subquery()).with_for_update(of=CUSTOMER))
_MAKER = STAFF.alias("maker")
# The request with its credential (`cred_*` columns), both locked in that order (PostgreSQL
# locks the rows of one statement in the order of FOR UPDATE OF): a decision needs both, and
# one statement is one round trip. Every request has a credential (the one it registers or
# revokes).
_LOCK_REQUEST = DirectStatement(sa.select(
    REQUEST, _MAKER.c.employee_no.label("maker_no"), _MAKER.c.name.label("maker_name"),
    *prefixed_columns(CREDENTIAL, CredentialRow, "cred_"),
).select_from(
    REQUEST.join(CREDENTIAL, CREDENTIAL.c.id == REQUEST.c.credential_id)
    .outerjoin(_MAKER, _MAKER.c.id == REQUEST.c.maker_staff_id),
).where(REQUEST.c.id == _bp("request_id")).with_for_update(of=[REQUEST, CREDENTIAL]))
_LOCK_CREDENTIAL = DirectStatement(sa.select(CREDENTIAL).where(
    CREDENTIAL.c.id == _bp("credential_id")).with_for_update(), row_type=CredentialRow)
_DECIDE = DirectStatement(sa.update(REQUEST).where(REQUEST.c.id == _bp("request_id")).values(
    status=_bp("new_status"), decided_at=_bp("new_decided_at"),
    decider_staff_id=_bp("new_decider"), authority=_bp("new_authority"),
    delegation_id=_bp("new_delegation"), decision_note=_bp("new_note")))
_WINDOWS = DirectStatement(sa.select(
    DELEGATION.c.id, DELEGATION.c.branch_code, DELEGATION.c.delegate_id, DELEGATION.c.valid_from,
    DELEGATION.c.valid_until, DELEGATION.c.ended_at,
).where(DELEGATION.c.delegate_id == _bp("staff_id")))


def new_request(
    *, kind: RequestKind, customer, channel: str, credential_id: int, branch_code: str,
    origin: str, maker_staff_id: int | None, now: datetime, expiry_days: int,
    reason: str | None = None, note: str | None = None,
) -> dict:
    """The values of a new pending request (insert them with `insert_request`)."""
    return dict(
        kind=kind.value, customer_id=customer.id, channel=channel, credential_id=credential_id,
        branch_code=branch_code, origin=origin, maker_staff_id=maker_staff_id,
        status=RequestStatus.PENDING.value, reason=reason, note=note, created_at=now,
        expires_at=now + timedelta(days=expiry_days), decided_at=None, decider_staff_id=None,
        authority=None, delegation_id=None, decision_note=None,
    )


def insert_request(s: Session, values: dict) -> RequestRow:
    """Insert a request; returns its row."""
    return _INSERT_REQUEST.one(s.connection(), values)


def request_revocation(
    backend: Backend, actor: Actor, *, customer_no: str, channel: str, reason: str,
    note: str | None = None, clock: Clock,
) -> RequestView:
    """A teller or manager asks to revoke the customer's current credential on a channel.
    The request belongs to the maker's branch."""
    now = clock.now()
    today = seoul_date(now)
    chan = parse_channel(channel)
    try:
        why = RevocationReason((reason or "").strip().lower())
    except ValueError:
        raise invalid(
            "reason", "must be lost_device, customer_request, incident, death or other"
        ) from None
    text = _clean_note(note, required=why is RevocationReason.OTHER)

    def work(s: Session) -> RequestView:
        require_role(actor, BRANCH_ROLES, "request revocations")
        customer, pending, creds = lock_customer_channel(
            s, customer_no, chan.value, RequestKind.REVOCATION.value, actor=actor,
            with_policy=True)
        expiry_days, needs_checker = request_policy(customer, RequestKind.REVOCATION.value)
        cred = current_of(creds, chan, today)
        if cred is None:
            raise ConsoleError(
                "NOT_REGISTERED", f"the customer has no current {chan.value} credential"
            )
        if pending:
            raise ConsoleError(
                "DUPLICATE_PENDING", f"a revocation of this {chan.value} credential is pending"
            )
        req = insert_request(s, new_request(
            kind=RequestKind.REVOCATION, customer=customer, channel=chan.value,
            credential_id=cred.id, branch_code=actor.branch_code, origin="branch",
            maker_staff_id=actor.staff_id, now=now,
            expiry_days=expiry_days, reason=why.value, note=text,
        ))
        events = [event(actor, "request.created", customer_no=customer.customer_no,
                        target=f"request:{req.id}",
                        detail={"kind": req.kind, "channel": req.channel, "reason": why.value,
                                "credential": cred.id})]
        names = actor_name(actor)
        if not needs_checker:
            more, req, cred = _approve(s, req, customer, actor.employee_no, actor.terminal, now,
                                       Authority.POLICY, None, None, today)
            events += more
        # A request made just now has no verification evidence (only channel registrations do).
        view = request_view(s, req, today, customer=customer, credential=cred, names=names,
                            evidence=[])
        record(s, backend.store, now, *events)  # last: the audit head lock is held to commit
        return view

    return backend.store.run(work)


def _approve(
    s: Session, req, customer, actor_no: str, terminal: str, now: datetime,
    authority: Authority, delegation_id: int | None, note: str | None, today,
    decider_id: int | None = None, cred: CredentialRow | None = None,
) -> tuple[list[NewEvent], RequestRow, object]:
    """Approve a locked pending request; returns the events, and the request's and its
    credential's rows as they now are. `cred`: the request's credential, if the caller
    locked it already (a decision does, with the request)."""
    if cred is None:
        cred = _LOCK_CREDENTIAL.one(s.connection(), {"credential_id": req.credential_id})
    if req.kind == RequestKind.REGISTRATION.value:
        check_customer_eligible(
            CustomerType(customer.customer_type), Nationality(customer.nationality),
            customer.online_trading,
        )
        events, cred = lifecycle.activate(s, cred, now, actor_no, terminal,
                                          customer.customer_no)
    else:
        if not lifecycle.is_current(cred, today):
            raise ConsoleError(
                "NOT_REGISTERED", "the credential is no longer current (replaced or expired); "
                "reject this request instead"
            )
        events, cred = lifecycle.revoke(s, cred, now, req.reason or "other", actor_no,
                                        terminal, customer.customer_no)
    req = _set_decision(s, req, RequestStatus.APPROVED, now, decider_id, authority,
                        delegation_id, note)
    events.insert(0, NewEvent(actor_no, terminal, "request.approved",
                              customer_no=customer.customer_no, target=f"request:{req.id}",
                              detail={"kind": req.kind, "authority": authority.value,
                                      "delegation": delegation_id}))
    return events, req, cred


def _set_decision(s: Session, req, status: RequestStatus, now: datetime, decider_id, authority,
                  delegation_id, note) -> RequestRow:
    """Write the decision on the locked request; returns the request as it now is."""
    authority_value = authority.value if authority else None
    _DECIDE.execute(s.connection(), {
        "request_id": req.id, "new_status": status.value, "new_decided_at": now,
        "new_decider": decider_id, "new_authority": authority_value,
        "new_delegation": delegation_id, "new_note": note,
    })
    return plain(RequestRow, req)._replace(
        status=status.value, decided_at=now, decider_staff_id=decider_id,
        authority=authority_value, delegation_id=delegation_id, decision_note=note)


def _views(s: Session, rows, today) -> list[RequestView]:
    """Views of a list of requests, with the staff names read once for the whole list."""
    names = staff_names(s, *[i for r in rows for i in (r.maker_staff_id, r.decider_staff_id)])
    return [request_view(s, r, today, names=names) for r in rows]


def _windows(s: Session, actor: Actor) -> list[DelegationWindow]:
    rows = _WINDOWS.all(s.connection(), {"staff_id": actor.staff_id})
    return [
        DelegationWindow(d.id, d.branch_code, d.delegate_id, d.valid_from, d.valid_until,
                         d.ended_at)
        for d in rows
    ]


def _lock_for_decision(s: Session, actor: Actor, request_id: int,
                       now: datetime) -> tuple[Row, Row, CredentialRow]:
    """Check the actor's standing, lock customer then request and its credential, and check the
    request can still be decided. Returns the request, the customer and the credential."""
    conn = s.connection()
    customer = _LOCK_CUSTOMER_OF_REQUEST.first(
        conn, {"request_id": request_id, "staff_id": actor.staff_id})
    require_standing(s, actor, customer)  # before "no such request"
    if customer is None:
        raise not_found("request", request_id)
    found = _LOCK_REQUEST.one(conn, {"request_id": request_id})
    if found.status != RequestStatus.PENDING.value:
        raise ConsoleError("ALREADY_DECIDED", f"request {request_id} is already {found.status}")
    if now >= found.expires_at:
        raise ConsoleError("REQUEST_EXPIRED", f"request {request_id} passed its deadline")
    return found, customer, plain(CredentialRow, found, prefix="cred_")


def _decide(
    backend: Backend, actor: Actor, request_id: int, note: str | None, clock: Clock,
    approve: bool,
) -> RequestView:
    row_id(request_id, "request_id")
    now = clock.now()
    today = seoul_date(now)
    text = _clean_note(note, required=not approve)

    def work(s: Session) -> RequestView:
        locked, customer, cred = _lock_for_decision(s, actor, request_id, now)
        # The branch's manager needs no delegation window: do not read them then.
        manager_here = actor.role is Role.MANAGER and actor.branch_code == locked.branch_code
        authority, delegation_id = decision_authority(
            actor, request_branch=locked.branch_code, maker_staff_id=locked.maker_staff_id,
            delegations=[] if manager_here else _windows(s, actor), at=now,
        )
        if approve:
            events, req, cred = _approve(
                s, locked, customer, actor.employee_no, actor.terminal, now, authority,
                delegation_id, text, today, decider_id=actor.staff_id, cred=cred)
        else:
            events = [event(actor, "request.rejected", customer_no=customer.customer_no,
                            target=f"request:{locked.id}",
                            detail={"kind": locked.kind, "authority": authority.value,
                                    "delegation": delegation_id,
                                    "note": mask_numbers(text) if text else text})]
            if locked.kind == RequestKind.REGISTRATION.value:
                more, cred = lifecycle.reject_pending(
                    s, cred, now, "registration rejected", actor.employee_no, actor.terminal,
                    customer.customer_no)
                events += more
            req = _set_decision(s, locked, RequestStatus.REJECTED, now, actor.staff_id,
                                authority, delegation_id, text)
        names = actor_name(actor)
        if locked.maker_staff_id is not None:
            names[locked.maker_staff_id] = StaffName(locked.maker_no, locked.maker_name)
        view = request_view(s, req, today, customer=customer, credential=cred, names=names)
        record(s, backend.store, now, *events)  # last: the audit head lock is held to commit
        return view

    return backend.store.run(work)


def approve_request(
    backend: Backend, actor: Actor, request_id: int, *, note: str | None = None, clock: Clock
) -> RequestView:
    return _decide(backend, actor, request_id, note, clock, approve=True)


def reject_request(
    backend: Backend, actor: Actor, request_id: int, *, note: str, clock: Clock
) -> RequestView:
    """A rejection needs a note: the maker and the customer are owed a reason."""
    return _decide(backend, actor, request_id, note, clock, approve=False)


def withdraw_request(
    backend: Backend, actor: Actor, request_id: int, *, clock: Clock
) -> RequestView:
    """The maker takes back its own pending request."""
    row_id(request_id, "request_id")
    now = clock.now()
    today = seoul_date(now)

    def work(s: Session) -> RequestView:
        locked, customer, cred = _lock_for_decision(s, actor, request_id, now)
        if locked.maker_staff_id != actor.staff_id:
            raise ConsoleError("FORBIDDEN", "only the maker of a request can withdraw it")
        req = _set_decision(s, locked, RequestStatus.WITHDRAWN, now, None, None, None, None)
        view = request_view(s, req, today, customer=customer, names=actor_name(actor),
                            credential=cred)
        record(s, backend.store, now, event(actor, "request.withdrawn",
                                            customer_no=customer.customer_no,
                                            target=f"request:{req.id}", detail={"kind": req.kind}))
        return view

    return backend.store.run(work)


def list_approvals(backend: Backend, actor: Actor, *, clock: Clock) -> list[RequestView]:
    """Pending requests this person may decide now (as manager or active delegate), oldest
    first, without their own."""
    now = clock.now()
    today = seoul_date(now)

    def work(s: Session) -> list[RequestView]:
        current_staff(s, actor)
        branches = {d.branch_code for d in _windows(s, actor) if d.active_at(now)}
        if actor.role.value == "manager":
            branches.add(actor.branch_code)
        if not branches:
            return []
        rows = s.exec(
            select(Request).where(
                Request.branch_code.in_(sorted(branches)),
                Request.status == RequestStatus.PENDING.value,
                Request.expires_at > now,
                sa.or_(Request.maker_staff_id.is_(None), Request.maker_staff_id != actor.staff_id),
            ).order_by(Request.created_at, Request.id).limit(200)
        ).all()
        views = _views(s, rows, today)
        if views:
            record(s, backend.store, now, event(
                actor, "approvals.view", category="access",
                detail={"customers": sorted({v.customer_no for v in views})}))
        return views

    return backend.store.run(work)


def list_my_requests(
    backend: Backend, actor: Actor, *, clock: Clock, pending_only: bool = False
) -> list[RequestView]:
    now = clock.now()
    today = seoul_date(now)

    def work(s: Session) -> list[RequestView]:
        current_staff(s, actor)
        query = select(Request).where(Request.maker_staff_id == actor.staff_id)
        if pending_only:
            query = query.where(Request.status == RequestStatus.PENDING.value)
        rows = s.exec(query.order_by(Request.created_at.desc(), Request.id.desc()).limit(100)).all()
        views = _views(s, rows, today)
        if views:
            record(s, backend.store, now, event(
                actor, "requests.view", category="access",
                detail={"customers": sorted({v.customer_no for v in views})}))
        return views

    return backend.store.run(work)


def get_request(backend: Backend, actor: Actor, request_id: int, *, clock: Clock) -> RequestView:
    row_id(request_id, "request_id")
    now = clock.now()

    def work(s: Session) -> RequestView:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "view requests")  # customer data: need to know
        req = s.get(Request, request_id)
        if req is None:
            raise not_found("request", request_id)
        view = request_view(s, req, seoul_date(now))
        record(s, backend.store, now, event(actor, "request.view", category="access",
                                            customer_no=view.customer_no,
                                            target=f"request:{req.id}"))
        return view

    return backend.store.run(work)
