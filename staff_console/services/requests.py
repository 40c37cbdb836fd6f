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
from ..domain.states import (
    EndReason,
    RequestKind,
    RequestStatus,
    RevocationReason,
    current_credential,
)
from ..domain.text import LIMITS, clean_text
from ..store import credentials as credential_store
from ..store import requests as request_store
from ..store import staff as staff_store
from ..store.audit import NewEvent
from ..store.credentials import Change, CredentialRow
from ..store.engine import Tx
from ..store.requests import RequestRow
from . import lifecycle
from .backend import Backend
from .common import (
    StaffName,
    actor_name,
    current_staff,
    event,
    lock_customer_channel,
    record,
    request_policy,
    request_view,
    request_views,
    require_standing,
)
from .views import EvidenceView, RequestView

MAX_NOTE = LIMITS["note"]


def _clean_note(note: str | None, *, required: bool, field: str = "note") -> str | None:
    """Notes are one line (the app's note fields are single-line inputs): domain.text."""
    return clean_text(note, field, limit=MAX_NOTE, required=required)


MAX_LIST = 200  # the approvals box
MAX_MINE = 100


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


def insert_request(s: Tx, values: dict) -> RequestRow:
    """Insert a request; returns its row."""
    return request_store.insert(s, values)


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

    def work(s: Tx) -> RequestView:
        require_role(actor, BRANCH_ROLES, "request revocations")
        customer, pending, creds = lock_customer_channel(
            s, customer_no, chan.value, RequestKind.REVOCATION.value, actor=actor,
            with_policy=True)
        expiry_days, needs_checker = request_policy(customer, RequestKind.REVOCATION.value)
        cred = current_credential(creds, chan.value, today)
        if cred is None:
            raise ConsoleError(
                "NOT_REGISTERED", f"the customer has no current {chan.value} credential",
                detail="errors.detail.no_current_credential", values={"channel": chan.value})
        if pending:
            raise ConsoleError(
                "DUPLICATE_PENDING", f"a revocation of this {chan.value} credential is pending",
                detail="errors.detail.revocation_pending", values={"channel": chan.value})
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
            more, req, cred = approve_locked(s, req, customer, actor.employee_no, actor.terminal,
                                             now, Authority.POLICY, None, None, today)
            events += more
        # A request made just now has no verification evidence (only channel registrations do).
        view = request_view(req, today, customer_no=customer.customer_no,
                            customer_name=customer.name, credential=cred, names=names,
                            evidence=[])
        record(s, backend.store, now, *events)  # last: the audit head lock is held to commit
        return view

    return backend.store.run(work)


def approve_locked(
    s: Tx, req, customer, actor_no: str, terminal: str, now: datetime,
    authority: Authority, delegation_id: int | None, note: str | None, today,
    decider_id: int | None = None, cred: CredentialRow | None = None,
) -> tuple[list[NewEvent], RequestRow, CredentialRow]:
    """The approval step of a decision: approve a pending request whose customer the caller
    has locked (a decision, or a request that needs no checker: then right after it was made);
    returns the events, and the request's and its credential's rows as they now are. `cred`:
    the request's credential, if the caller locked it already (a decision does, with the
    request)."""
    if cred is None:
        cred = credential_store.by_id(s, req.credential_id, lock=True)
        assert cred is not None  # a request's credential (a foreign key)
    changes: list[Change] = []  # the credential's, sent with the decision
    if req.kind == RequestKind.REGISTRATION.value:
        check_customer_eligible(
            CustomerType(customer.customer_type), Nationality(customer.nationality),
            customer.online_trading,
        )
        events, cred = lifecycle.activate(s, cred, now, actor_no, terminal,
                                          customer.customer_no, defer=changes)
    else:
        if not lifecycle.is_current(cred, today):
            raise ConsoleError(
                "NOT_REGISTERED", "the credential is no longer current (replaced or expired); "
                "reject this request instead", detail="errors.detail.credential_not_current")
        events, cred = lifecycle.revoke(s, cred, now, req.reason or "other", actor_no,
                                        terminal, customer.customer_no, defer=changes)
    req = _set_decision(s, req, RequestStatus.APPROVED, now, decider_id, authority,
                        delegation_id, note, changes)
    events.insert(0, NewEvent(actor_no, terminal, "request.approved",
                              customer_no=customer.customer_no, target=f"request:{req.id}",
                              detail={"kind": req.kind, "authority": authority.value,
                                      "delegation": delegation_id}))
    return events, req, cred


def _set_decision(s: Tx, req, status: RequestStatus, now: datetime, decider_id, authority,
                  delegation_id, note, changes: list[Change] | None = None) -> RequestRow:
    """Write the decision on the locked request, with the change it makes to the request's
    credential if any (`changes`: at most one); returns the request as it now is."""
    authority_value = authority.value if authority else None
    assert not changes or len(changes) == 1
    request_store.set_decision(
        s, req.id, status=status.value, decided_at=now, decider_id=decider_id,
        authority=authority_value, delegation_id=delegation_id, note=note,
        credential=changes[0] if changes else None)
    return request_store.as_row(req)._replace(
        status=status.value, decided_at=now, decider_staff_id=decider_id,
        authority=authority_value, delegation_id=delegation_id, decision_note=note)


def _windows(s: Tx, actor: Actor) -> list[DelegationWindow]:
    rows = staff_store.windows_of(s, actor.staff_id)
    return [
        DelegationWindow(d.id, d.branch_code, d.delegate_id, d.valid_from, d.valid_until,
                         d.ended_at)
        for d in rows
    ]


def _lock_for_decision(s: Tx, actor: Actor, request_id: int,
                       now: datetime) -> tuple:
    """Check the actor's standing, lock customer then request and its credential (one
    statement: store/requests.py `lock_for_decision`), and check the request can still be
    decided. Returns the request, the customer, the credential and the request's evidence."""
    rows = request_store.lock_for_decision(s, request_id, actor.staff_id)
    found = rows[0] if rows else None
    require_standing(s, actor, found)  # before "no such request"
    if found is None:
        raise not_found("request", request_id)
    if found.status != RequestStatus.PENDING.value:
        raise ConsoleError("ALREADY_DECIDED", f"request {request_id} is already {found.status}",
                           detail="errors.detail.already_decided",
                           values={"id": request_id, "status": found.status})
    if now >= found.expires_at:
        raise ConsoleError("REQUEST_EXPIRED", f"request {request_id} passed its deadline",
                           detail="errors.detail.request_expired", values={"id": request_id})
    evidence = [EvidenceView(r.ev_kind, r.ev_passed, r.ev_verified_at, r.ev_detail)
                for r in rows if r.ev_kind is not None]
    return (found, request_store.decision_customer(found), credential_store.as_row(found, "cred_"),
            evidence)


def _decided_view(req: RequestRow, today, customer, cred: CredentialRow,
                  names: dict[int, StaffName], evidence: list[EvidenceView]) -> RequestView:
    """The view of a request just decided, from the rows the decision locked (its evidence
    read with them: a registration's, written with the request and never changed)."""
    return request_view(req, today, customer_no=customer.customer_no,
                        customer_name=customer.name, credential=cred, names=names,
                        evidence=evidence if req.kind == RequestKind.REGISTRATION.value else [])


def _decide(
    backend: Backend, actor: Actor, request_id: int, note: str | None, clock: Clock,
    approve: bool,
) -> RequestView:
    row_id(request_id, "request_id")
    now = clock.now()
    today = seoul_date(now)
    text = _clean_note(note, required=not approve)

    def work(s: Tx) -> RequestView:
        locked, customer, cred, evidence = _lock_for_decision(s, actor, request_id, now)
        # The branch's manager needs no delegation window: do not read them then.
        manager_here = actor.role is Role.MANAGER and actor.branch_code == locked.branch_code
        authority, delegation_id = decision_authority(
            actor, request_branch=locked.branch_code, maker_staff_id=locked.maker_staff_id,
            delegations=[] if manager_here else _windows(s, actor), at=now,
        )
        if approve:
            events, req, cred = approve_locked(
                s, locked, customer, actor.employee_no, actor.terminal, now, authority,
                delegation_id, text, today, decider_id=actor.staff_id, cred=cred)
        else:
            events = [event(actor, "request.rejected", customer_no=customer.customer_no,
                            target=f"request:{locked.id}",
                            detail={"kind": locked.kind, "authority": authority.value,
                                    "delegation": delegation_id,
                                    "note": mask_numbers(text) if text else text})]
            changes: list[Change] = []  # the credential's, sent with the decision
            if locked.kind == RequestKind.REGISTRATION.value:
                more, cred = lifecycle.reject_pending(
                    s, cred, now, EndReason.REGISTRATION_REJECTED, actor.employee_no, actor.terminal,
                    customer.customer_no, defer=changes)
                events += more
            req = _set_decision(s, locked, RequestStatus.REJECTED, now, actor.staff_id,
                                authority, delegation_id, text, changes)
        names = actor_name(actor)
        if locked.maker_staff_id is not None:
            names[locked.maker_staff_id] = StaffName(locked.maker_no, locked.maker_name)
        view = _decided_view(req, today, customer, cred, names, evidence)
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

    def work(s: Tx) -> RequestView:
        locked, customer, cred, evidence = _lock_for_decision(s, actor, request_id, now)
        if locked.maker_staff_id != actor.staff_id:
            raise ConsoleError("FORBIDDEN", "only the maker of a request can withdraw it",
                               detail="errors.detail.withdraw_maker_only")
        req = _set_decision(s, locked, RequestStatus.WITHDRAWN, now, None, None, None, None)
        view = _decided_view(req, today, customer, cred, actor_name(actor), evidence)
        record(s, backend.store, now, event(actor, "request.withdrawn",
                                            customer_no=customer.customer_no,
                                            target=f"request:{req.id}", detail={"kind": req.kind}))
        return view

    return backend.store.run(work)


def list_approvals(backend: Backend, actor: Actor, *, clock: Clock) -> list[RequestView]:
    """Pending requests this person may decide now (as manager or active delegate), newest
    first (the request a teller just made at the counter is the first row: issue 15.10),
    without their own."""
    now = clock.now()
    today = seoul_date(now)

    def work(s: Tx) -> list[RequestView]:
        current_staff(s, actor)
        branches = {d.branch_code for d in _windows(s, actor) if d.active_at(now)}
        if actor.role.value == "manager":
            branches.add(actor.branch_code)
        if not branches:
            return []
        rows = request_store.approvals(s, sorted(branches), actor.staff_id, now,
                                       MAX_LIST)
        views = request_views(s, rows, today)
        if views:
            record(s, backend.store, now, event(
                actor, "approvals.view", category="access",
                detail={"customers": sorted({v.customer_no for v in views})}))
        return views

    return backend.store.run(work)


def count_approvals(backend: Backend, actor: Actor, *, clock: Clock) -> int | None:
    """How many requests `list_approvals` would show now (the live 결재함's count, on every
    screen), or None for a person who decides nothing now (not a manager, no active
    delegation). A number, no customer data: not an access event."""
    now = clock.now()

    def work(s: Tx) -> int | None:
        current_staff(s, actor)
        branches = {d.branch_code for d in _windows(s, actor) if d.active_at(now)}
        if actor.role.value == "manager":
            branches.add(actor.branch_code)
        if not branches:
            return None
        return request_store.count_approvals(s, sorted(branches), actor.staff_id,
                                             now)

    return backend.store.run(work, snapshot=True)


def list_my_requests(
    backend: Backend, actor: Actor, *, clock: Clock, pending_only: bool = False
) -> list[RequestView]:
    now = clock.now()
    today = seoul_date(now)

    def work(s: Tx) -> list[RequestView]:
        current_staff(s, actor)
        rows = request_store.made_by(s, actor.staff_id, pending_only=pending_only,
                                     limit=MAX_MINE)
        views = request_views(s, rows, today)
        if views:
            record(s, backend.store, now, event(
                actor, "requests.view", category="access",
                detail={"customers": sorted({v.customer_no for v in views})}))
        return views

    return backend.store.run(work)


def get_request(backend: Backend, actor: Actor, request_id: int, *, clock: Clock) -> RequestView:
    row_id(request_id, "request_id")
    now = clock.now()

    def work(s: Tx) -> RequestView:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "view requests")  # customer data: need to know
        row = request_store.view_row(s, request_id)
        if row is None:
            raise not_found("request", request_id)
        view = request_views(s, [row], seoul_date(now))[0]
        record(s, backend.store, now, event(actor, "request.view", category="access",
                                            customer_no=view.customer_no,
                                            target=f"request:{view.id}"))
        return view

    return backend.store.run(work)
