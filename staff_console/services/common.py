"""Helpers shared by the use cases: row-to-view conversion, actor checks, audit appends."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from ..domain.authority import Actor
from ..domain.errors import ConsoleError, not_found
from ..domain.ids import mask_phone
from ..domain.policy import RULES, checker_key, stored_value
from ..domain.states import RequestKind, effective_status
from ..domain.validity import days_left
from ..store.audit import NewEvent, append_events
from ..store.direct import DirectStatement, Row
from ..store.engine import Store
from ..store.tables import Credential, Customer, Request, Setting, Staff, Verification
from .views import CredentialView, CustomerSummary, EvidenceView, RequestView

SYSTEM = "system"
CHANNEL = "channel"

# The tables as Core objects. The use cases that every terminal runs all day (search, show,
# channel logins and registrations, requests and decisions) read and write through statements
# built once here and in their modules, with bind parameters, run on the driver's cursor
# (store/direct.py), and get plain rows back: building a statement and its cache key per call,
# ORM objects per row, and then SQLAlchemy's per-execution machinery were most of a use case's
# CPU time (benchmarks/bench_load.py; docs/postgresql.md). Rows answer attribute access like the
# ORM objects did (`row.status`), so the view builders take either.
CUSTOMER = Customer.__table__
STAFF = Staff.__table__
CREDENTIAL = Credential.__table__
REQUEST = Request.__table__
VERIFICATION = Verification.__table__
REQUEST_EXPIRY_KEY = RULES["request_expiry_days"].key

# The acting staff member's standing, as one column: 'ok', 'locked' or 'inactive', NULL if the
# row is gone. The hot use cases add it to their first statement instead of reading it in a
# round trip of its own (`check_standing`); the others call `current_staff`.
STANDING = sa.select(sa.case(
    (STAFF.c.active.is_not(True), "inactive"),
    (STAFF.c.locked_at.is_not(None), "locked"),
    else_="ok",
)).where(STAFF.c.id == sa.bindparam("staff_id")).scalar_subquery().label("standing")
_STAFF_STANDING = DirectStatement(sa.select(STANDING))
_CUSTOMER_BY_NO = DirectStatement(
    sa.select(CUSTOMER).where(CUSTOMER.c.customer_no == sa.bindparam("no")))
_STAFF_NAMES = sa.select(STAFF.c.id, STAFF.c.employee_no, STAFF.c.name).where(
    STAFF.c.id.in_(sa.bindparam("ids", expanding=True)))
_EVIDENCE = DirectStatement(sa.select(
    VERIFICATION.c.kind, VERIFICATION.c.passed, VERIFICATION.c.verified_at, VERIFICATION.c.detail,
).where(VERIFICATION.c.request_id == sa.bindparam("request_id")).order_by(VERIFICATION.c.id))


def record(
    session: Session, store: Store, at: datetime, *events: NewEvent, immediate: bool = False
) -> None:
    """Append events to the audit chain. Call it last in the transaction: on SQLite (or with
    `immediate`, for a caller that reads its own event back before commit) it takes the head
    lock, held to commit; on PostgreSQL the events are chained right after commit
    (store/audit.py)."""
    append_events(session, store.keyring, list(events), at, immediate=immediate)


def event(actor: Actor, action: str, **kwargs) -> NewEvent:
    return NewEvent(actor=actor.employee_no, terminal=actor.terminal, action=action, **kwargs)


def current_staff(session: Session, actor: Actor) -> None:
    """Re-read the actor's standing in this transaction: a member locked or deactivated since
    signing in is refused from the next call on."""
    check_standing(_STAFF_STANDING.scalar(session.connection(), {"staff_id": actor.staff_id}))


def check_standing(standing: str | None) -> None:
    """Refuse an actor whose `STANDING` is not 'ok'."""
    if standing is None or standing == "inactive":
        raise ConsoleError("AUTH_FAILED", "this staff account is no longer active")
    if standing == "locked":
        raise ConsoleError("STAFF_LOCKED", "this staff account is locked; an admin unlocks it")


def require_standing(session: Session, actor: Actor, row) -> None:
    """Refuse an actor no longer in good standing: from the `standing` column of `row`, the
    first row of a statement that selected `STANDING`; if that statement found nothing, read it
    (so that a refused member hears the refusal, not "not found")."""
    if row is None:
        current_staff(session, actor)
    else:
        check_standing(row.standing)


def customer_by_no(session: Session, customer_no: str) -> Row:
    """The customer's row (all columns), unlocked: what changes a customer's credentials locks
    it with `lock_customer_channel` or in the decisions."""
    customer = _CUSTOMER_BY_NO.first(session.connection(), {"no": customer_no.strip().upper()})
    if customer is None:
        raise not_found("customer", customer_no)
    return customer


class StaffName(NamedTuple):
    employee_no: str
    name: str


def actor_name(actor: Actor) -> dict[int, StaffName]:
    """The actor as `request_view` names it, without reading it again."""
    return {actor.staff_id: StaffName(actor.employee_no, actor.name)}


class CredentialRow(NamedTuple):
    """A credential as the hot use cases read it: every column of `credential`, in order
    (tests/services/test_rows.py keeps them equal)."""

    id: int
    customer_id: int
    channel: str
    status: str
    device_id: str
    device_model: str | None
    biometrics: str
    methods: str
    key_fingerprint: str | None
    created_at: datetime
    activated_at: datetime | None
    valid_until: date | None
    last_used_at: datetime | None
    failed_logins: int
    ended_at: datetime | None
    end_reason: str | None


# What a channel login, a registration and a revocation request decide on: the customer, locked
# (the per-customer mutex), then in a second statement its credentials on one channel, newest
# first, and whether a request of one kind is pending there. Two statements, not one: at READ
# COMMITTED a statement that waited for a row lock re-reads the locked row but sees every other
# row as of its start, so credentials read in the locking statement could predate the commit
# that the lock waited for (the race tests caught a login writing back a replaced credential's
# old status).
_CREDENTIAL_FIELDS = CredentialRow._fields
_CREDENTIAL_BY_ID = DirectStatement(
    sa.select(CREDENTIAL).where(CREDENTIAL.c.id == sa.bindparam("id")), row_type=CredentialRow)
_LOCK_CUSTOMER = DirectStatement(sa.select(
    CUSTOMER.c.id, CUSTOMER.c.customer_no, CUSTOMER.c.name, CUSTOMER.c.customer_type,
    CUSTOMER.c.nationality, CUSTOMER.c.online_trading, CUSTOMER.c.branch_code, CUSTOMER.c.phone,
    STANDING,  # of the staff member acting, if one is (NULL for the channel)
).where(CUSTOMER.c.customer_no == sa.bindparam("no")).with_for_update(of=CUSTOMER))
# The same, with the store's policy for a new request (its deadline, whether its kind needs a
# checker) read in the locking statement: a change by an admin holds from the next request on,
# on every terminal, without a round trip of its own.
_SETTING_VALUE = Setting.__table__.c.value
_LOCK_CUSTOMER_FOR_REQUEST = DirectStatement(_LOCK_CUSTOMER.statement.add_columns(
    sa.select(_SETTING_VALUE).where(Setting.__table__.c.key == REQUEST_EXPIRY_KEY)
    .scalar_subquery().label("policy_expiry_days"),
    sa.select(_SETTING_VALUE).where(Setting.__table__.c.key == sa.bindparam("checker_key"))
    .scalar_subquery().label("policy_checker"),
))
_ONE_ROW = sa.select(sa.literal(1).label("one")).subquery("one_row")
_CHANNEL_STATE = DirectStatement(sa.select(
    sa.exists().where(
        REQUEST.c.customer_id == sa.bindparam("customer_id"),
        REQUEST.c.channel == sa.bindparam("channel"), REQUEST.c.kind == sa.bindparam("kind"),
        REQUEST.c.status == "pending",
    ).label("pending"),
    *[CREDENTIAL.c[name] for name in _CREDENTIAL_FIELDS],
).select_from(_ONE_ROW.outerjoin(CREDENTIAL, sa.and_(
    CREDENTIAL.c.customer_id == sa.bindparam("customer_id"),
    CREDENTIAL.c.channel == sa.bindparam("channel"),
))).order_by(CREDENTIAL.c.created_at.desc(), CREDENTIAL.c.id.desc()))


class RequestRow(NamedTuple):
    """A request as it is after a decision, built from the row read under lock."""

    id: int
    kind: str
    customer_id: int
    channel: str
    credential_id: int
    branch_code: str
    origin: str
    maker_staff_id: int | None
    status: str
    reason: str | None
    note: str | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    decider_staff_id: int | None
    authority: str | None
    delegation_id: int | None
    decision_note: str | None


def lock_customer_channel(
    session: Session, customer_no: str, channel: str, pending_kind: str, *,
    actor: Actor | None = None, with_policy: bool = False,
) -> tuple[Row, bool, list[CredentialRow]]:
    """Lock the customer; returns its row, whether a `pending_kind` request is pending on
    `channel`, and its credentials on `channel`, newest first. With a staff `actor`, first
    refuse one who is no longer in good standing (read with the lock). `with_policy`: the row
    also carries the store's policy for a new `pending_kind` request (`request_policy`)."""
    conn = session.connection()
    params = {"no": customer_no.strip().upper(),
              "staff_id": actor.staff_id if actor is not None else None}
    if with_policy:
        params["checker_key"] = checker_key(pending_kind)
    customer = (_LOCK_CUSTOMER_FOR_REQUEST if with_policy else _LOCK_CUSTOMER).first(conn, params)
    if actor is not None:
        require_standing(session, actor, customer)
    if customer is None:
        raise not_found("customer", customer_no)
    rows = _CHANNEL_STATE.all(conn, {
        "customer_id": customer.id, "channel": channel, "kind": pending_kind})
    creds = [plain(CredentialRow, row) for row in rows if row.id is not None]
    return customer, rows[0].pending, creds


def request_policy(customer_row, kind: str) -> tuple[int, bool]:
    """(deadline in days, whether a checker is needed) for a new `kind` request, from a row of
    `lock_customer_channel(..., with_policy=True)`."""
    deadline = stored_value(RULES["request_expiry_days"], customer_row.policy_expiry_days)
    rule = RULES.get(f"checker.{kind}")
    # An action the policy does not name needs a checker: the safe side.
    checker = True if rule is None else stored_value(rule, customer_row.policy_checker)
    return int(deadline), bool(checker)


def plain(row_type, row, *, prefix: str = ""):
    """`row` (an ORM object, a result row, or already a `row_type`) as a `row_type`, by field
    name (`prefix` + name, for a row that joins several tables): a value that `_replace` can
    give a decision's outcome."""
    if isinstance(row, row_type):
        return row
    return row_type(*[getattr(row, prefix + name) for name in row_type._fields])


def prefixed_columns(table: sa.Table | sa.Alias, row_type, prefix: str) -> list:
    """The columns of `row_type` from `table`, labelled `prefix` + name: for a statement that
    joins several tables, read back with `plain(row_type, row, prefix=prefix)`."""
    return [table.c[name].label(prefix + name) for name in row_type._fields]


def staff_names(session: Session, *ids: int | None) -> dict[int, sa.Row]:
    """(employee_no, name) of the given staff ids, in one statement."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {r.id: r for r in session.connection().execute(_STAFF_NAMES, {"ids": wanted})}


def evidence_of(session: Session, request_id: int) -> list[EvidenceView]:
    rows = _EVIDENCE.all(session.connection(), {"request_id": request_id})
    return [EvidenceView(v.kind, v.passed, v.verified_at, v.detail) for v in rows]


def credential_by_id(session: Session, credential_id: int) -> CredentialRow | None:
    return _CREDENTIAL_BY_ID.first(session.connection(), {"id": credential_id})


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
    req,
    today: date,
    *,
    customer=None,
    with_details: bool = True,
    credential=None,
    names: dict | None = None,
    evidence: list[EvidenceView] | None = None,
) -> RequestView:
    """The view of a request (an ORM object or a row of `request`). What the caller already
    holds is not read again: the customer, the credential row, the staff names."""
    customer = customer or session.get(Customer, req.customer_id)
    if names is None:
        names = staff_names(session, req.maker_staff_id, req.decider_staff_id)
    maker = names.get(req.maker_staff_id)
    decider = names.get(req.decider_staff_id)
    credential_shown = None
    if not with_details:
        evidence = []
    elif evidence is None:
        # Only registrations from the channel carry verification evidence (services/intake.py).
        evidence = (evidence_of(session, req.id) if req.kind == RequestKind.REGISTRATION.value
                    else [])
    if with_details:
        cred = credential if credential is not None else credential_by_id(
            session, req.credential_id)
        credential_shown = credential_view(cred, today) if cred else None
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
        credential=credential_shown,
    )


def loads(detail: str) -> dict:
    return json.loads(detail) if detail else {}
