"""Credentials and their verification evidence: the statements intake, logins, decisions, the
customer view and the expiry batch run (Core, on the use case's connection)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..domain.states import CURRENT_VALUES, CredentialStatus, RequestStatus
from .tables import CREDENTIAL, CUSTOMER, REQUEST, VERIFICATION

_CUSTOMER = CUSTOMER
_REQUEST = REQUEST
_CURRENT = CURRENT_VALUES
_bp = sa.bindparam


class CredentialRow(NamedTuple):
    """A credential as the use cases read it: every column of `credential`, in order
    (tests/store/test_rows.py keeps them equal), as a value `_replace` can give a change."""

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
    replaced_by: int | None


def as_row(row, prefix: str = "") -> CredentialRow:
    """A result row (its `prefix` + name columns, for a statement joining several tables) as a
    CredentialRow."""
    if isinstance(row, CredentialRow):
        return row
    return CredentialRow(*[getattr(row, prefix + name) for name in CredentialRow._fields])


def prefixed(table, row_type, prefix: str) -> list:
    """The columns of `row_type` from `table`, labelled `prefix` + name (read back with
    `as_row(row, prefix)` or the request module's equivalent)."""
    return [table.c[name].label(prefix + name) for name in row_type._fields]


_BY_ID = sa.select(CREDENTIAL).where(CREDENTIAL.c.id == _bp("id"))
_LOCK = _BY_ID.with_for_update()
_OF_CUSTOMER = sa.select(CREDENTIAL).where(CREDENTIAL.c.customer_id == _bp("customer_id")).order_by(
    CREDENTIAL.c.created_at.desc(), CREDENTIAL.c.id.desc())
# A customer's credentials on one channel, newest first, and whether a request of one kind is
# pending there: one statement, a row per credential (or one row of NULLs and the flag).
_ONE_ROW = sa.select(sa.literal(1).label("one")).subquery("one_row")
_CHANNEL_STATE = sa.select(
    sa.exists().where(
        _REQUEST.c.customer_id == _bp("customer_id"),
        _REQUEST.c.channel == _bp("channel"), _REQUEST.c.kind == _bp("kind"),
        _REQUEST.c.status == RequestStatus.PENDING.value,
    ).label("pending"),
    *[CREDENTIAL.c[name] for name in CredentialRow._fields],
).select_from(_ONE_ROW.outerjoin(CREDENTIAL, sa.and_(
    CREDENTIAL.c.customer_id == _bp("customer_id"),
    CREDENTIAL.c.channel == _bp("channel"),
))).order_by(CREDENTIAL.c.created_at.desc(), CREDENTIAL.c.id.desc())
# `status IN` the current statuses as one bind parameter each, in the statement as built: a
# plain list is an "expanding" parameter that SQLAlchemy renders into the SQL again at every
# execution (about 35 µs of a terminal's CPU per statement, measured; the SQL sent is the same).
_IS_CURRENT = CREDENTIAL.c.status.in_([sa.literal(value) for value in _CURRENT])
_CURRENT_OF_CHANNEL = sa.select(CREDENTIAL).where(
    CREDENTIAL.c.customer_id == _bp("customer_id"), CREDENTIAL.c.channel == _bp("channel"),
    _IS_CURRENT,
).order_by(CREDENTIAL.c.id).with_for_update()
_INSERT = sa.insert(CREDENTIAL).returning(CREDENTIAL.c.id)
# The bind names of the credential's changes differ from the request's decision's
# (store/requests.py `set_decision`), which can carry one of them in its statement.
_END = sa.update(CREDENTIAL).where(CREDENTIAL.c.id == _bp("cred_id")).values(
    status=_bp("cred_status"), ended_at=_bp("cred_ended_at"), end_reason=_bp("cred_end_reason"),
    replaced_by=_bp("cred_replaced_by"))
_ACTIVATE = sa.update(CREDENTIAL).where(CREDENTIAL.c.id == _bp("cred_id")).values(
    status=CredentialStatus.ACTIVE.value, activated_at=_bp("new_activated_at"),
    valid_until=_bp("new_valid_until"), failed_logins=0)
_LOGIN_OK = sa.update(CREDENTIAL).where(CREDENTIAL.c.id == _bp("credential_id")).values(
    failed_logins=0, last_used_at=_bp("new_last_used"))
_LOGIN_FAILED = sa.update(CREDENTIAL).where(CREDENTIAL.c.id == _bp("credential_id")).values(
    failed_logins=_bp("new_failures"))
_LOGIN_LOCKED = _LOGIN_FAILED.values(status=CredentialStatus.LOCKED.value)
_INSERT_VERIFICATION = sa.insert(VERIFICATION)
_EVIDENCE_COLUMNS = sa.select(
    VERIFICATION.c.request_id, VERIFICATION.c.kind, VERIFICATION.c.passed,
    VERIFICATION.c.verified_at, VERIFICATION.c.detail,
).order_by(VERIFICATION.c.request_id, VERIFICATION.c.id)
_EVIDENCE = _EVIDENCE_COLUMNS.where(
    VERIFICATION.c.request_id.in_(_bp("request_ids", expanding=True)))
# One request's (a decision, a request's view): no list to expand at each execution.
_EVIDENCE_OF_ONE = _EVIDENCE_COLUMNS.where(VERIFICATION.c.request_id == _bp("request_id"))
# The expiry batch: current credentials past their last valid day, locked, with the customer's
# number (for the events).
_DUE = sa.select(CREDENTIAL, _CUSTOMER.c.customer_no).join(
    _CUSTOMER, _CUSTOMER.c.id == CREDENTIAL.c.customer_id,
).where(_IS_CURRENT, CREDENTIAL.c.valid_until < _bp("today")).order_by(
    CREDENTIAL.c.id).limit(_bp("batch")).with_for_update(of=CREDENTIAL)


def by_id(conn: Connection, credential_id: int, *, lock: bool = False) -> CredentialRow | None:
    row = conn.execute(_LOCK if lock else _BY_ID, {"id": credential_id}).first()
    return None if row is None else CredentialRow(*row)


def of_customer(conn: Connection, customer_id: int) -> list[CredentialRow]:
    """All of a customer's credentials, newest first."""
    return [CredentialRow(*r) for r in conn.execute(_OF_CUSTOMER, {"customer_id": customer_id})]


def channel_state(conn: Connection, customer_id: int, channel: str,
                  pending_kind: str) -> tuple[bool, list[CredentialRow]]:
    """Whether a `pending_kind` request is pending on the channel, and the customer's
    credentials there, newest first (read after the customer row was locked)."""
    rows = conn.execute(_CHANNEL_STATE, {
        "customer_id": customer_id, "channel": channel, "kind": pending_kind}).all()
    # The credential's columns follow `pending`, in CredentialRow's order.
    return bool(rows[0].pending), [CredentialRow._make(r[1:]) for r in rows if r.id is not None]


def lock_current_of_channel(conn: Connection, customer_id: int,
                            channel: str) -> list[CredentialRow]:
    """The channel's current (active or locked) credentials, locked."""
    return [CredentialRow(*r) for r in conn.execute(_CURRENT_OF_CHANNEL, {
        "customer_id": customer_id, "channel": channel})]


def insert(conn: Connection, values: dict) -> int:
    """Insert a credential; returns its id."""
    return conn.execute(_INSERT, values).scalar_one()


class Change(NamedTuple):
    """A change of a credential not sent yet: an UPDATE built once and its parameters. The
    caller sends it (`conn.execute(*change)`), or lets the next statement of its use case carry
    it as a data-modifying CTE on PostgreSQL (store/requests.py `set_decision`, store/audit.py
    `append_events`): one round trip for two changes. Its bind names differ from those
    statements' own."""

    statement: sa.Update
    params: dict


def ended(credential_id: int, status: str, ended_at: datetime, reason: str,
          replaced_by: int | None = None) -> Change:
    """The credential moved to an end state (services/lifecycle.py checks the transition)."""
    return Change(_END, {"cred_id": credential_id, "cred_status": status,
                         "cred_ended_at": ended_at, "cred_end_reason": reason,
                         "cred_replaced_by": replaced_by})


def activated(credential_id: int, activated_at: datetime, valid_until: date) -> Change:
    """A pending credential activated (its failed logins back to 0)."""
    return Change(_ACTIVATE, {"cred_id": credential_id,
                              "new_activated_at": activated_at, "new_valid_until": valid_until})


def login_succeeded(credential_id: int, at: datetime) -> Change:
    """A login's change (sent by the caller, or with its event: store/audit.py
    `append_events`)."""
    return Change(_LOGIN_OK, {"credential_id": credential_id, "new_last_used": at})


def login_failed(credential_id: int, failures: int, *, lock: bool) -> Change:
    """A failed login's change (as `login_succeeded`)."""
    return Change(_LOGIN_LOCKED if lock else _LOGIN_FAILED,
                  {"credential_id": credential_id, "new_failures": failures})


def insert_evidence(conn: Connection, rows: list[dict]) -> None:
    """Verification evidence of a request (request_id, kind, passed, verified_at, detail)."""
    if rows:
        conn.execute(_INSERT_VERIFICATION, rows)


def evidence_of(conn: Connection, request_ids: Iterable[int]) -> dict[int, list[Row]]:
    """The evidence of each request (kind, passed, verified_at, detail), in one statement."""
    wanted = sorted(set(request_ids))
    found: dict[int, list[Row]] = {}
    if wanted:
        rows = (conn.execute(_EVIDENCE_OF_ONE, {"request_id": wanted[0]}) if len(wanted) == 1
                else conn.execute(_EVIDENCE, {"request_ids": wanted}))
        for row in rows:
            found.setdefault(row.request_id, []).append(row)
    return found


def lock_due(conn: Connection, today: date, batch: int) -> list[Row]:
    """Up to `batch` current credentials past their last valid day, locked, oldest id first;
    each row is the credential's columns and `customer_no`."""
    return list(conn.execute(_DUE, {"today": today, "batch": batch}))


# ------------------------------------------------------------------------ expiring soon

def expiring(today: date, until: date, branch: str | None) -> sa.Select:
    """Current credentials whose last valid day is in [today, until] (of one branch's
    customers, if given), soonest first: (id, channel, device_model, valid_until,
    customer_no, name, branch_code). A statement, so that an export can stream it."""
    query = sa.select(
        CREDENTIAL.c.id, CREDENTIAL.c.channel, CREDENTIAL.c.device_model,
        CREDENTIAL.c.valid_until, _CUSTOMER.c.customer_no, _CUSTOMER.c.name,
        _CUSTOMER.c.branch_code,
    ).join(_CUSTOMER, _CUSTOMER.c.id == CREDENTIAL.c.customer_id).where(
        CREDENTIAL.c.status.in_(_CURRENT),
        CREDENTIAL.c.valid_until >= today, CREDENTIAL.c.valid_until <= until)
    if branch:
        query = query.where(_CUSTOMER.c.branch_code == branch)
    return query.order_by(CREDENTIAL.c.valid_until, CREDENTIAL.c.id)


def expiring_rows(conn: Connection, today: date, until: date, branch: str | None,
                  limit: int) -> list[Row]:
    """The first `limit` rows of `expiring`."""
    return list(conn.execute(expiring(today, until, branch).limit(limit)))


def expiring_by_day(conn: Connection, first: date, end: date,
                    branch: str | None) -> list[tuple[date, int]]:
    """How many current credentials reach their last valid day on each day in [first, end)."""
    query = sa.select(CREDENTIAL.c.valid_until, sa.func.count()).where(
        CREDENTIAL.c.status.in_(_CURRENT),
        CREDENTIAL.c.valid_until >= first, CREDENTIAL.c.valid_until < end,
    ).group_by(CREDENTIAL.c.valid_until)
    if branch:
        query = query.join(_CUSTOMER, _CUSTOMER.c.id == CREDENTIAL.c.customer_id).where(
            _CUSTOMER.c.branch_code == branch)
    return [(day, n) for day, n in conn.execute(query)]

