"""Helpers shared by the use cases: row-to-view conversion, actor checks, audit appends.

The statements live in store/ (one module per aggregate); the use cases call them by name on
their transaction's connection and build the views here from the rows they return."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from ..domain.authority import Actor
from ..domain.errors import ConsoleError, not_found
from ..domain.ids import mask_phone, normalize_customer_no
from ..domain.policy import RULES, checker_key, stored_value
from ..domain.states import RequestKind, effective_status
from ..domain.validity import days_left
from ..store import credentials as credential_store
from ..store import customers as customer_store
from ..store import staff as staff_store
from ..store.audit import NewEvent, append_events
from ..store.credentials import Change, CredentialRow
from ..store.engine import Store, Tx
from .views import CredentialView, CustomerSummary, EvidenceView, RequestView

SYSTEM = "system"
CHANNEL = "channel"


def record(
    session: Tx, store: Store, at: datetime, *events: NewEvent, immediate: bool = False,
    change: Change | None = None,
) -> None:
    """Append events to the audit chain. Call it last in the transaction: on SQLite (or with
    `immediate`, for a caller that reads its own event back before commit) it takes the head
    lock, held to commit; on PostgreSQL the events are chained right after commit
    (store/audit.py). `change`: the use case's last change, made first (on PostgreSQL sent with
    a single event, in its statement)."""
    append_events(session, store.keyring, list(events), at, immediate=immediate, change=change)


def event(actor: Actor, action: str, **kwargs) -> NewEvent:
    return NewEvent(actor=actor.employee_no, terminal=actor.terminal, action=action, **kwargs)


def current_staff(session: Tx, actor: Actor) -> None:
    """Re-read the actor's standing in this transaction: a member locked or deactivated since
    signing in is refused from the next call on."""
    check_standing(staff_store.standing(session, actor.staff_id), actor)


def check_standing(standing: str | None, actor: Actor) -> None:
    """Refuse an actor whose `STANDING` is not 'ok' with the role and branch it signed in with:
    a member an admin changed since (change_staff) signs in again, on an embedded terminal too
    (the server also ends the member's sessions at the change)."""
    if standing is None or standing == "inactive":
        raise ConsoleError("AUTH_FAILED", "this staff account is no longer active",
                           detail="errors.detail.staff_inactive")
    if standing == "locked":
        raise ConsoleError("STAFF_LOCKED", "this staff account is locked; an admin unlocks it")
    if standing != f"ok|{actor.role.value}|{actor.branch_code}":
        raise ConsoleError("SESSION_ENDED", "this member's role or branch changed; sign in again",
                           detail="errors.detail.staff_changed")


def require_standing(session: Tx, actor: Actor, row) -> None:
    """Refuse an actor no longer in good standing: from the `standing` column of `row`, the
    first row of a statement that selected `STANDING`; if that statement found nothing, read it
    (so that a refused member hears the refusal, not "not found")."""
    if row is None:
        current_staff(session, actor)
    else:
        check_standing(row.standing, actor)


def customer_by_no(session: Tx, customer_no: str):
    """The customer's row (all columns), unlocked: what changes a customer's credentials locks
    it with `lock_customer_channel` or in the decisions."""
    customer = customer_store.by_no(session, normalize_customer_no(customer_no))
    if customer is None:
        raise not_found("customer", customer_no)
    return customer


class StaffName(NamedTuple):
    employee_no: str
    name: str


def actor_name(actor: Actor) -> dict[int, StaffName]:
    """The actor as `request_view` names it, without reading it again."""
    return {actor.staff_id: StaffName(actor.employee_no, actor.name)}


def lock_customer_channel(
    session: Tx, customer_no: str, channel: str, pending_kind: str, *,
    actor: Actor | None = None, with_policy: bool = False,
) -> tuple:
    """Lock the customer; returns its row, whether a `pending_kind` request is pending on
    `channel`, and its credentials on `channel`, newest first. With a staff `actor`, first
    refuse one who is no longer in good standing (read with the lock). `with_policy`: the row
    also carries the store's policy for a new `pending_kind` request (`request_policy`)."""
    conn = session
    customer = customer_store.lock(
        conn, normalize_customer_no(customer_no), actor.staff_id if actor is not None else None,
        checker_key=checker_key(pending_kind) if with_policy else None)
    if actor is not None:
        require_standing(session, actor, customer)
    if customer is None:
        raise not_found("customer", customer_no)
    pending, creds = credential_store.channel_state(conn, customer.id, channel, pending_kind)
    return customer, pending, creds


def request_policy(customer_row, kind: str) -> tuple[int, bool]:
    """(deadline in days, whether a checker is needed) for a new `kind` request, from a row of
    `lock_customer_channel(..., with_policy=True)`."""
    deadline = stored_value(RULES["request_expiry_days"], customer_row.policy_expiry_days)
    rule = RULES.get(f"checker.{kind}")
    # An action the policy does not name needs a checker: the safe side.
    checker = True if rule is None else stored_value(rule, customer_row.policy_checker)
    return int(deadline), bool(checker)


def staff_names(session: Tx, *ids: int | None) -> dict[int, StaffName]:
    """(employee_no, name) of the given staff ids, in one statement."""
    wanted = sorted({i for i in ids if i is not None})
    found = staff_store.names(session, wanted)
    return {i: StaffName(r.employee_no, r.name) for i, r in found.items()}


def evidence_of(session: Tx, request_ids: Iterable[int]) -> dict[int, list[EvidenceView]]:
    """The verification evidence of each request, in one statement."""
    found = credential_store.evidence_of(session, request_ids)
    return {i: [EvidenceView(v.kind, v.passed, v.verified_at, v.detail) for v in rows]
            for i, rows in found.items()}


def credential_view(cred: CredentialRow, today: date) -> CredentialView:
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
        replaced_by=cred.replaced_by,
    )


def customer_summary(c) -> CustomerSummary:
    """The summary of a customer row (every column, or the search's summary columns)."""
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
    req,
    today: date,
    *,
    customer_no: str,
    customer_name: str,
    credential: CredentialRow | None,
    names: dict[int, StaffName],
    evidence: list[EvidenceView],
) -> RequestView:
    """The view of a request (a row with the columns of `request`), from what the caller read
    with it: its customer's number and name, its credential, the staff names, the evidence."""
    maker = names.get(req.maker_staff_id)
    decider = names.get(req.decider_staff_id)
    return RequestView(
        id=req.id,
        kind=req.kind,
        status=req.status,
        customer_no=customer_no,
        customer_name=customer_name,
        channel=req.channel,
        credential_id=req.credential_id,
        branch_code=req.branch_code,
        origin=req.origin,
        maker=maker.employee_no if maker else None,
        maker_name=maker.name if maker else None,
        maker_id=req.maker_staff_id,
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
        credential=credential_view(credential, today) if credential is not None else None,
    )


def request_views(session: Tx, rows: list, today: date) -> list[RequestView]:
    """Views of requests read with store/requests.py's view columns (customer, credential
    `cred_*`, maker and decider names), with the evidence of all of them in one statement:
    two statements for a list of any length."""
    evidence = evidence_of(session, [
        r.id for r in rows if r.kind == RequestKind.REGISTRATION.value])
    views = []
    for r in rows:
        names = {}
        if r.maker_staff_id is not None:
            names[r.maker_staff_id] = StaffName(r.maker_no, r.maker_name)
        if r.decider_staff_id is not None:
            names[r.decider_staff_id] = StaffName(r.decider_no, r.decider_name)
        credential = (credential_store.as_row(r, "cred_") if r.cred_id is not None else None)
        views.append(request_view(
            r, today, customer_no=r.customer_no, customer_name=r.customer_name,
            credential=credential, names=names, evidence=evidence.get(r.id, [])))
    return views


def loads(detail: str) -> dict:
    return json.loads(detail) if detail else {}
