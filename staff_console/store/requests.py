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
from .credentials import CREDENTIAL, CredentialRow, prefixed
from .staff import STAFF
from .tables import CUSTOMER, REQUEST

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
# The request with its credential (`cred_*` columns) and its maker's number and name, both rows
# locked in that order (PostgreSQL locks the rows of one statement in the order of FOR UPDATE
# OF): a decision needs both, and one statement is one round trip. Every request has a
# credential (the one it registers or revokes).
_LOCK = sa.select(
    REQUEST, _MAKER.c.employee_no.label("maker_no"), _MAKER.c.name.label("maker_name"),
    *prefixed(CREDENTIAL, CredentialRow, "cred_"),
).select_from(
    REQUEST.join(CREDENTIAL, CREDENTIAL.c.id == REQUEST.c.credential_id)
    .outerjoin(_MAKER, _MAKER.c.id == REQUEST.c.maker_staff_id),
).where(REQUEST.c.id == _bp("request_id")).with_for_update(of=[REQUEST, CREDENTIAL])
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


def lock_with_credential(conn: Connection, request_id: int) -> Row | None:
    """The request (its columns, `maker_no`, `maker_name`, its credential as `cred_*`), the
    request and credential rows locked. The caller locked the customer first."""
    return conn.execute(_LOCK, {"request_id": request_id}).first()


def set_decision(conn: Connection, request_id: int, *, status: str, decided_at: datetime,
                 decider_id: int | None, authority: str | None, delegation_id: int | None,
                 note: str | None) -> None:
    conn.execute(_DECIDE, {
        "request_id": request_id, "new_status": status, "new_decided_at": decided_at,
        "new_decider": decider_id, "new_authority": authority,
        "new_delegation": delegation_id, "new_note": note,
    })


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
