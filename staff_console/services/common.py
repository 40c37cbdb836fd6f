"""Helpers shared by the use cases: row-to-view conversion, actor checks, audit appends."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlmodel import Session, select

from ..domain.authority import Actor
from ..domain.errors import ConsoleError, not_found
from ..domain.ids import mask_phone
from ..domain.states import effective_status
from ..domain.validity import days_left
from ..store.audit import NewEvent, append_events
from ..store.engine import Store
from ..store.tables import Credential, Customer, Request, Staff, Verification
from .views import CredentialView, CustomerSummary, EvidenceView, RequestView

SYSTEM = "system"
CHANNEL = "channel"


def record(
    session: Session, store: Store, at: datetime, *events: NewEvent, immediate: bool = False
) -> None:
    """Append events to the audit chain. Call it last in the transaction: on SQLite (or with
    `immediate`, for a caller that reads its own event back before commit) it takes the head
    lock, held to commit; on PostgreSQL the events are chained right after commit
    (store/audit.py)."""
    append_events(session, store.keyring, list(events), at, immediate=immediate)


def keep(session: Session, *rows) -> None:
    """Keep rows referenced until the transaction ends. The session's identity map holds rows
    weakly; a row this transaction reads again (the decider's staff row, the credential a
    decision just changed, for the result view) is then found there, without a second query."""
    session.info.setdefault("kept_rows", []).extend(rows)


def event(actor: Actor, action: str, **kwargs) -> NewEvent:
    return NewEvent(actor=actor.employee_no, terminal=actor.terminal, action=action, **kwargs)


def current_staff(session: Session, actor: Actor) -> Staff:
    """The actor's row, re-read in this transaction: a member locked or deactivated since
    signing in is refused from the next call on."""
    staff = session.get(Staff, actor.staff_id)
    keep(session, staff)
    if staff is None or not staff.active:
        raise ConsoleError("AUTH_FAILED", "this staff account is no longer active")
    if staff.locked_at is not None:
        raise ConsoleError("STAFF_LOCKED", "this staff account is locked; an admin unlocks it")
    return staff


def customer_by_no(session: Session, customer_no: str, *, lock: bool = False) -> Customer:
    query = select(Customer).where(Customer.customer_no == customer_no.strip().upper())
    if lock:
        # The customer row is the per-customer mutex for anything that changes credentials.
        query = query.with_for_update()
    customer = session.exec(query).first()
    if customer is None:
        raise not_found("customer", customer_no)
    return customer


def credential_view(cred: Credential, today: date) -> CredentialView:
    status = effective_status(cred.status, cred.valid_until, today)
    return CredentialView(
        id=cred.id,
        channel=cred.channel,
        status=status.value,
        device_id=cred.device_id,
        device_model=cred.device_model,
        biometrics=cred.biometrics,
        methods=[m for m in cred.methods.split(",") if m],
        key_fingerprint=cred.key_fingerprint,
        created_at=cred.created_at,
        activated_at=cred.activated_at,
        valid_until=cred.valid_until,
        days_left=days_left(cred.valid_until, today) if cred.valid_until else None,
        last_used_at=cred.last_used_at,
        failed_logins=cred.failed_logins,
        ended_at=cred.ended_at,
        end_reason=cred.end_reason,
    )


def customer_summary(c: Customer) -> CustomerSummary:
    return CustomerSummary(
        customer_no=c.customer_no,
        name=c.name,
        id_masked=c.id_masked,
        customer_type=c.customer_type,
        nationality=c.nationality,
        phone_masked=mask_phone(c.phone),
        branch_code=c.branch_code,
        online_trading=c.online_trading,
    )


def request_view(
    session: Session,
    req: Request,
    today: date,
    *,
    customer: Customer | None = None,
    with_details: bool = True,
) -> RequestView:
    customer = customer or session.get(Customer, req.customer_id)
    maker = session.get(Staff, req.maker_staff_id) if req.maker_staff_id else None
    decider = session.get(Staff, req.decider_staff_id) if req.decider_staff_id else None
    evidence: list[EvidenceView] = []
    credential = None
    if with_details:
        rows = session.exec(
            select(Verification).where(Verification.request_id == req.id).order_by(Verification.id)
        ).all()
        evidence = [EvidenceView(v.kind, v.passed, v.verified_at, v.detail) for v in rows]
        cred = session.get(Credential, req.credential_id)
        credential = credential_view(cred, today) if cred else None
    return RequestView(
        id=req.id,
        kind=req.kind,
        status=req.status,
        customer_no=customer.customer_no,
        customer_name=customer.name,
        channel=req.channel,
        credential_id=req.credential_id,
        branch_code=req.branch_code,
        origin=req.origin,
        maker=maker.employee_no if maker else None,
        maker_name=maker.name if maker else None,
        reason=req.reason,
        note=req.note,
        created_at=req.created_at,
        expires_at=req.expires_at,
        decided_at=req.decided_at,
        decider=decider.employee_no if decider else None,
        decider_name=decider.name if decider else None,
        authority=req.authority,
        delegation_id=req.delegation_id,
        decision_note=req.decision_note,
        evidence=evidence,
        credential=credential,
    )


def loads(detail: str) -> dict:
    return json.loads(detail) if detail else {}
