"""Requests (maker-checker): the statements that create, lock, decide, list and expire them
(Core, on the use case's connection).

A list of requests is read in one statement (each request with its customer, its credential and
its maker's and decider's names) plus one for the verification evidence of all of them
(store/credentials.py `evidence_of`): two statements whatever the length of the list."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..domain.states import RequestKind, RequestStatus
from .credentials import CREDENTIAL, Change, CredentialRow, prefixed
from .staff import STAFF, STANDING
from .tables import CUSTOMER, REQUEST, VERIFICATION

_bp = sa.bindparam
_PENDING = RequestStatus.PENDING.value


class RequestRow(NamedTuple):
    """A request: every column of `request`, in order (tests/store/test_rows.py keeps them
    equal), as a value `_replace` can give a decision."""

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


def as_row(row, prefix: str = "") -> RequestRow:
    """A result row (its `prefix` + name columns) as a RequestRow."""
    if isinstance(row, RequestRow):
        return row
    return RequestRow(*[getattr(row, prefix + name) for name in RequestRow._fields])


_INSERT = sa.insert(REQUEST).returning(*REQUEST.c)
_MAKER = STAFF.alias("maker")
_DECIDER = STAFF.alias("decider")
# A decision's one locking statement: the request's customer, the request and its credential,
# locked in that order (the order of store/engine.py: PostgreSQL's LockRows takes each output
# row's locks in the order of FOR UPDATE OF), read with the decider's standing, the maker's
# number and name, and the request's verification evidence (a row per piece of evidence, or
# one row with `ev_*` NULL; evidence is written once, with its request, and never changed).
# At READ COMMITTED a row another decision changed meanwhile is locked in its newest version
# and the statement re-checked on it (EvalPlanQual), as the separate lock statements did.
# One round trip where there were three (customer, request, evidence).
_DECISION_CUSTOMER = ("id", "customer_no", "name", "customer_type", "nationality",
                      "online_trading", "branch_code", "phone")


class DecisionCustomer(NamedTuple):
    """The locked customer of a decision: what the decision and its view use, and the
    decider's `standing` (store/staff.py `STANDING`)."""

    id: int
    customer_no: str
    name: str
    customer_type: str
    nationality: str
    online_trading: bool
    branch_code: str
    phone: str
    standing: str | None


_LOCK_FOR_DECISION = sa.select(
    REQUEST, _MAKER.c.employee_no.label("maker_no"), _MAKER.c.name.label("maker_name"),
    *prefixed(CREDENTIAL, CredentialRow, "cred_"),
    *[CUSTOMER.c[name].label("cust_" + name) for name in _DECISION_CUSTOMER],
    STANDING,
    VERIFICATION.c.kind.label("ev_kind"), VERIFICATION.c.passed.label("ev_passed"),
    VERIFICATION.c.verified_at.label("ev_verified_at"), VERIFICATION.c.detail.label("ev_detail"),
).select_from(
    REQUEST.join(CUSTOMER, CUSTOMER.c.id == REQUEST.c.customer_id)
    .join(CREDENTIAL, CREDENTIAL.c.id == REQUEST.c.credential_id)
    .outerjoin(_MAKER, _MAKER.c.id == REQUEST.c.maker_staff_id)
    .outerjoin(VERIFICATION, VERIFICATION.c.request_id == REQUEST.c.id),
).where(REQUEST.c.id == _bp("request_id")).order_by(VERIFICATION.c.id).with_for_update(
    of=[CUSTOMER, REQUEST, CREDENTIAL])
_DECIDE = sa.update(REQUEST).where(REQUEST.c.id == _bp("request_id")).values(
    status=_bp("new_status"), decided_at=_bp("new_decided_at"),
    decider_staff_id=_bp("new_decider"), authority=_bp("new_authority"),
    delegation_id=_bp("new_delegation"), decision_note=_bp("new_note"))
# A pending revocation of a credential that has just ended: closed as expired.
_CLOSE_MOOT = sa.update(REQUEST).where(
    REQUEST.c.credential_id == _bp("ended_credential_id"),
    REQUEST.c.kind == RequestKind.REVOCATION.value,
    REQUEST.c.status == _PENDING,
).values(status=RequestStatus.EXPIRED.value, decided_at=_bp("new_decided_at"),
         decision_note=_bp("new_decision_note")).returning(REQUEST.c.id, REQUEST.c.kind)
# What a view of a request shows: the request, its customer's number and name, its credential
# (`cred_*`), its maker's and decider's numbers and names.
_VIEW = sa.select(
    REQUEST, CUSTOMER.c.customer_no, CUSTOMER.c.name.label("customer_name"),
    _MAKER.c.employee_no.label("maker_no"), _MAKER.c.name.label("maker_name"),
    _DECIDER.c.employee_no.label("decider_no"), _DECIDER.c.name.label("decider_name"),
    *prefixed(CREDENTIAL, CredentialRow, "cred_"),
).select_from(
    REQUEST.join(CUSTOMER, CUSTOMER.c.id == REQUEST.c.customer_id)
    .outerjoin(CREDENTIAL, CREDENTIAL.c.id == REQUEST.c.credential_id)
    .outerjoin(_MAKER, _MAKER.c.id == REQUEST.c.maker_staff_id)
    .outerjoin(_DECIDER, _DECIDER.c.id == REQUEST.c.decider_staff_id))
_ONE = _VIEW.where(REQUEST.c.id == _bp("request_id"))
_APPROVALS = _VIEW.where(
    REQUEST.c.branch_code.in_(_bp("branches", expanding=True)),
    REQUEST.c.status == _PENDING,
    REQUEST.c.expires_at > _bp("now"),
    sa.or_(REQUEST.c.maker_staff_id.is_(None), REQUEST.c.maker_staff_id != _bp("staff_id")),
).order_by(REQUEST.c.created_at.desc(), REQUEST.c.id.desc()).limit(_bp("limit"))
# How many of them (the live 결재함's count): the same conditions, no view's joins.
_COUNT_APPROVALS = sa.select(sa.func.count()).select_from(REQUEST).where(
    REQUEST.c.branch_code.in_(_bp("branches", expanding=True)),
    REQUEST.c.status == _PENDING,
    REQUEST.c.expires_at > _bp("now"),
    sa.or_(REQUEST.c.maker_staff_id.is_(None), REQUEST.c.maker_staff_id != _bp("staff_id")),
)
_MINE = _VIEW.where(REQUEST.c.maker_staff_id == _bp("staff_id"))
_MINE_ORDER = (REQUEST.c.created_at.desc(), REQUEST.c.id.desc())
_MY_REQUESTS = _MINE.order_by(*_MINE_ORDER).limit(_bp("limit"))
_MY_PENDING = _MINE.where(REQUEST.c.status == _PENDING).order_by(*_MINE_ORDER).limit(_bp("limit"))
# The expiry batch: pending requests past their deadline, locked, with the customer's number.
_DUE = sa.select(REQUEST, CUSTOMER.c.customer_no).join(
    CUSTOMER, CUSTOMER.c.id == REQUEST.c.customer_id,
).where(REQUEST.c.status == _PENDING, REQUEST.c.expires_at <= _bp("now")).order_by(
    REQUEST.c.id).limit(_bp("batch")).with_for_update(of=REQUEST)
_EXPIRE = sa.update(REQUEST).where(REQUEST.c.id == _bp("request_id")).values(
    status=RequestStatus.EXPIRED.value, decided_at=_bp("new_decided_at"))


def insert(conn: Connection, values: dict) -> RequestRow:
    """Insert a request; returns its row."""
    return RequestRow(*conn.execute(_INSERT, values).one())


_REGISTRATION: sa.Executable | None = None


def _registration_statement() -> sa.Executable:
    """PostgreSQL: a registration's credential, request and evidence in one statement (three
    data-modifying CTEs; the foreign keys are checked at its end, when all three rows are
    there); it returns the request's row. Built on first use: it needs the PostgreSQL dialect's
    ARRAY, which a SQLite store never loads."""
    global _REGISTRATION
    if _REGISTRATION is None:
        from sqlalchemy.dialects.postgresql import ARRAY

        credential = sa.insert(CREDENTIAL).values(
            {name: _bp("c_" + name, type_=CREDENTIAL.c[name].type)
             for name in _REGISTRATION_CREDENTIAL}).returning(CREDENTIAL.c.id).cte(
            "new_credential")
        names = [name for name in RequestRow._fields if name != "id"]
        request = sa.insert(REQUEST).from_select(names, sa.select(*[
            credential.c.id if name == "credential_id"
            else _bp("r_" + name, type_=REQUEST.c[name].type) for name in names
        ])).returning(*REQUEST.c).cte("new_request")
        evidence = sa.func.unnest(
            _bp("ev_kinds", type_=ARRAY(sa.String())), _bp("ev_passed", type_=ARRAY(sa.Boolean())),
            _bp("ev_details", type_=ARRAY(sa.String())),
        ).table_valued("kind", "passed", "detail").render_derived("evidence")
        verification = sa.insert(VERIFICATION).from_select(
            ["request_id", "kind", "passed", "verified_at", "detail"],
            sa.select(request.c.id, evidence.c.kind, evidence.c.passed,
                      _bp("ev_at", type_=VERIFICATION.c.verified_at.type), evidence.c.detail)
            .select_from(request.join(evidence, sa.true())),
        ).cte("new_evidence")
        _REGISTRATION = sa.select(*request.c).add_cte(verification)
    return _REGISTRATION


# The columns a new credential is given (the rest start NULL).
_REGISTRATION_CREDENTIAL = ("customer_id", "channel", "status", "device_id", "device_model",
                            "biometrics", "methods", "key_fingerprint", "created_at",
                            "failed_logins")


def insert_registration(conn: Connection, credential: dict, request: dict,
                        evidence: list[dict]) -> RequestRow:
    """A registration: its pending credential (`credential`: the columns of
    `_REGISTRATION_CREDENTIAL`), its request (`request`: every column but `id` and
    `credential_id`) and its evidence (each: kind, passed, verified_at, detail, with one
    `verified_at` for all); returns the request's row. On PostgreSQL one statement (one round
    trip where there were three), on SQLite three."""
    if conn.dialect.name != "postgresql":
        from . import credentials

        credential_id = credentials.insert(conn, credential)
        row = insert(conn, {**request, "credential_id": credential_id})
        credentials.insert_evidence(conn, [{**item, "request_id": row.id} for item in evidence])
        return row
    at = {item["verified_at"] for item in evidence}
    if len(at) != 1:
        raise ValueError("a registration's evidence is verified at one instant")
    params = {"c_" + name: credential[name] for name in _REGISTRATION_CREDENTIAL}
    params.update({"r_" + name: value for name, value in request.items()})
    params.update(ev_kinds=[e["kind"] for e in evidence], ev_passed=[e["passed"] for e in evidence],
                  ev_details=[e["detail"] for e in evidence], ev_at=at.pop())
    return RequestRow(*conn.execute(_registration_statement(), params).one())


def lock_for_decision(conn: Connection, request_id: int, staff_id: int) -> list[Row]:
    """Lock the request's customer, the request and its credential, in that order (see
    `_LOCK_FOR_DECISION`); its rows: the request's columns, `maker_no`, `maker_name`, the
    credential as `cred_*`, the customer as `cust_*` (`decision_customer`), the decider's
    `standing`, and one piece of evidence each (`ev_kind`, `ev_passed`, `ev_verified_at`,
    `ev_detail`; NULL: none). No rows: no such request."""
    return list(conn.execute(_LOCK_FOR_DECISION, {"request_id": request_id,
                                                  "staff_id": staff_id}))


def decision_customer(row) -> DecisionCustomer:
    """The customer of a `lock_for_decision` row."""
    return DecisionCustomer._make(
        [getattr(row, "cust_" + name) for name in _DECISION_CUSTOMER] + [row.standing])


_DECIDE_WITH: dict[sa.Update, sa.Executable] = {}


def set_decision(conn: Connection, request_id: int, *, status: str, decided_at: datetime,
                 decider_id: int | None, authority: str | None, delegation_id: int | None,
                 note: str | None, credential: Change | None = None) -> None:
    """Write the decision on the request; `credential`: the change the decision makes to the
    request's credential (store/credentials.py `activated`, `ended`), sent with it: on
    PostgreSQL in the same statement (a data-modifying CTE: one round trip where there were
    two), on SQLite first."""
    params = {
        "request_id": request_id, "new_status": status, "new_decided_at": decided_at,
        "new_decider": decider_id, "new_authority": authority,
        "new_delegation": delegation_id, "new_note": note,
    }
    if credential is None:
        conn.execute(_DECIDE, params)
    elif conn.dialect.name != "postgresql":
        conn.execute(*credential)
        conn.execute(_DECIDE, params)
    else:
        statement = _DECIDE_WITH.get(credential.statement)
        if statement is None:  # once per kind of change: built statements are cached
            statement = _DECIDE.add_cte(credential.statement.cte("credential_change"))
            _DECIDE_WITH[credential.statement] = statement
        conn.execute(statement, {**credential.params, **params})


def close_moot_revocations(conn: Connection, credential_id: int, at: datetime,
                           note: str) -> list[Row]:
    """Close the pending revocations of an ended credential as expired; returns (id, kind)."""
    return sorted(conn.execute(_CLOSE_MOOT, {
        "ended_credential_id": credential_id, "new_decided_at": at, "new_decision_note": note}))


def view_row(conn: Connection, request_id: int) -> Row | None:
    """One request as a view shows it (see `_VIEW`)."""
    return conn.execute(_ONE, {"request_id": request_id}).first()


def approvals(conn: Connection, branches: list[str], staff_id: int, now: datetime,
              limit: int) -> list[Row]:
    """Pending requests of the branches, not past their deadline and not made by `staff_id`,
    oldest first, as a view shows them."""
    return list(conn.execute(_APPROVALS, {"branches": branches, "now": now,
                                          "staff_id": staff_id, "limit": limit}))


def count_approvals(conn: Connection, branches: list[str], staff_id: int, now: datetime) -> int:
    """How many requests `approvals` would list (without its limit)."""
    return int(conn.execute(_COUNT_APPROVALS, {"branches": branches, "now": now,
                                               "staff_id": staff_id}).scalar() or 0)


def made_by(conn: Connection, staff_id: int, *, pending_only: bool, limit: int) -> list[Row]:
    """A maker's requests, newest first, as a view shows them."""
    return list(conn.execute(_MY_PENDING if pending_only else _MY_REQUESTS,
                             {"staff_id": staff_id, "limit": limit}))


def lock_due(conn: Connection, now: datetime, batch: int) -> list[Row]:
    """Up to `batch` pending requests past their deadline, locked, oldest id first; each row
    is the request's columns and `customer_no`."""
    return list(conn.execute(_DUE, {"now": now, "batch": batch}))


def expire_many(conn: Connection, request_ids: list[int], at: datetime) -> None:
    if request_ids:
        conn.execute(_EXPIRE, [{"request_id": i, "new_decided_at": at} for i in request_ids])
