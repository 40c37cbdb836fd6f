"""Customers: the statements of the search, the customer view and the per-customer lock
(Core, on the use case's connection)."""

from __future__ import annotations

import functools
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.visitors import ExternallyTraversible

from ..domain.policy import RULES
from ..domain.states import RequestStatus
from .credentials import CREDENTIAL, CredentialRow, prefixed
from .requests import RequestRow
from .staff import STANDING
from .tables import ACCOUNT, BRANCH, CUSTOMER, REQUEST, SETTING

_BRANCH = BRANCH
_REQUEST = REQUEST
_SETTING = SETTING
_C = CUSTOMER.c
_bp = sa.bindparam

_BY_NO = sa.select(CUSTOMER).where(_C.customer_no == _bp("no"))

# The per-customer mutex: what changes a customer's credentials and requests (intake, logins,
# revocation requests, decisions) locks the customer row first (store/engine.py), and reads the
# acting member's standing with it (NULL for the channel).
_LOCK = sa.select(
    _C.id, _C.customer_no, _C.name, _C.customer_type, _C.nationality, _C.online_trading,
    _C.branch_code, _C.phone, STANDING,
).where(_C.customer_no == _bp("no")).with_for_update(of=CUSTOMER)
# The same, with the store's policy for a new request (its deadline, whether its kind needs a
# checker) read in the locking statement: a change by an admin holds from the next request on,
# on every terminal, without a round trip of its own.
_LOCK_WITH_POLICY = _LOCK.add_columns(
    sa.select(_SETTING.c.value).where(_SETTING.c.key == RULES["request_expiry_days"].key)
    .scalar_subquery().label("policy_expiry_days"),
    sa.select(_SETTING.c.value).where(_SETTING.c.key == _bp("checker_key"))
    .scalar_subquery().label("policy_checker"),
)


def by_no(conn: Connection, customer_no: str) -> Row | None:
    """The customer's row (every column), unlocked."""
    return conn.execute(_BY_NO, {"no": customer_no}).first()


def lock(conn: Connection, customer_no: str, staff_id: int | None, *,
         checker_key: str | None = None) -> Row | None:
    """Lock the customer; its row carries `standing` of `staff_id`, and with `checker_key`
    the policy for a new request (`policy_expiry_days`, `policy_checker`)."""
    params = {"no": customer_no, "staff_id": staff_id}
    if checker_key is None:
        return conn.execute(_LOCK, params).first()
    params["checker_key"] = checker_key
    return conn.execute(_LOCK_WITH_POLICY, params).first()


# ---------------------------------------------------------------------------- search

# Each search kind's condition, with bind parameters (services/customer_search.py classifies a
# query into kinds and their parameters).
SEARCH_WHERE = {
    "phone_last4": _C.phone_last4 == _bp("value"),
    "birth_date": _C.birth_yymmdd == _bp("value"),
    "phone": _C.phone_digits == _bp("value"),
    "account": _C.id.in_(
        sa.select(ACCOUNT.c.customer_id).where(ACCOUNT.c.account_no == _bp("value"))),
    # Prefixes as ranges [low, high): they walk the (C-collated) indexes.
    "chosung": sa.and_(_C.name_chosung >= _bp("low"), _C.name_chosung < _bp("high")),
    # Mixed (홍ㄱ): syllables must match in place, initials stand for any syllable.
    "chosung_mixed": sa.and_(_C.name_chosung >= _bp("low"), _C.name_chosung < _bp("high"),
                             _C.name.like(_bp("pattern"), escape="\\")),
    "name": sa.and_(_C.name >= _bp("low"), _C.name < _bp("high")),
    # A name with Latin letters, case-insensitively: a prefix of the (case-folded) 초성 key.
    "name_key": sa.and_(_C.name_chosung >= _bp("key_low"), _C.name_chosung < _bp("key_high")),
    "name_key_mixed": sa.and_(_C.name_chosung >= _bp("key_low"),
                              _C.name_chosung < _bp("key_high"),
                              _C.name.like(_bp("pattern"), escape="\\")),
    "customer_no": _C.customer_no == _bp("value"),
    "id_number": _C.id_hash == _bp("value"),
}
_SUMMARY_COLUMNS = (
    _C.customer_no, _C.name, _C.name_chosung, _C.id_masked, _C.customer_type, _C.nationality,
    _C.phone, _C.branch_code, _C.online_trading,
)
_SHARED_PARAMS = frozenset({"want", "staff_id"})


def _search_statement(where, by_chosung: bool) -> sa.Select:
    # One order for every kind and for the merge: the first `want` rows of the union are then
    # among the first `want` of each kind, so pages neither repeat nor skip anyone. A 초성
    # query is ordered by its key first (that walks ix_customer_chosung). Only the columns of
    # a summary, and the searcher's standing, which saves the use case a round trip.
    order = ((_C.name_chosung,) if by_chosung else ()) + (_C.name, _C.customer_no)
    return sa.select(*_SUMMARY_COLUMNS, STANDING).where(where).order_by(*order).limit(
        _bp("want"))


def _numbered(kind: str, by_chosung: bool, n: int) -> sa.Select:
    """A kind's statement with its own parameters renamed `<name>_<n>` (`want` and `staff_id`
    are the same for every kind), so that several kinds fit in one statement."""
    def rename(element: ExternallyTraversible, **_kw: Any) -> ExternallyTraversible | None:
        if (isinstance(element, sa.BindParameter) and not element.unique  # not a literal
                and element.key not in _SHARED_PARAMS):
            return sa.bindparam(f"{element.key}_{n}", type_=element.type)
        return None
    # A copy of the statement with the parameters replaced: a Select again.
    return cast(sa.Select, sa.sql.visitors.replacement_traverse(
        _search_statement(SEARCH_WHERE[kind], by_chosung), {}, rename))


@functools.lru_cache(maxsize=64)  # a handful of combinations: the classification decides them
def _search_of(kinds: tuple[str, ...], by_chosung: bool) -> sa.Executable:
    """One statement for all the kinds a query can mean: a query of digits can be a birth date,
    an account and a customer number at once, and each kind would otherwise cost a round trip.
    Each kind keeps its own order and limit (a subquery); the union is merged by the caller.
    The parameters of the n-th kind are named `<name>_<n>`, whether one kind or several."""
    if len(kinds) == 1:
        return _numbered(kinds[0], by_chosung, 0)
    return sa.union_all(*[
        sa.select(_numbered(kind, by_chosung, n).subquery(f"k{n}"))
        for n, kind in enumerate(kinds)])


def search(conn: Connection, kinds: list[tuple[str, dict]], *, by_chosung: bool, want: int,
           staff_id: int) -> list[Row]:
    """The first `want` customers of each kind (a kind of `SEARCH_WHERE` with its parameters),
    as summary columns plus the searcher's `standing`; a customer found by two kinds comes
    twice."""
    values = {"want": want, "staff_id": staff_id}
    for n, (_kind, params) in enumerate(kinds):
        values.update({f"{name}_{n}": value for name, value in params.items()})
    statement = _search_of(tuple(kind for kind, _ in kinds), by_chosung)
    return list(conn.execute(statement, values))


# ---------------------------------------------------------------------------- the view

# The customer, its branch's name, its accounts, the viewer's standing, its credentials (newest
# first) and their pending requests, in one statement: a row per credential (`cred_*` columns)
# with its pending request if it has one (`req_*`), or one row with no credential. One round
# trip, for the screen staff open most. Every request is about one credential of its customer
# (the one it registers or revokes), and a credential has at most one pending request: a
# pending registration's credential is pending, a revocation's is current.
_PENDING = _REQUEST.alias("pending_request")
_DETAIL = sa.select(
    CUSTOMER, _BRANCH.c.name.label("branch_name"),
    sa.select(sa.func.aggregate_strings(ACCOUNT.c.account_no, " "))
    .where(ACCOUNT.c.customer_id == _C.id).scalar_subquery().label("account_nos"),
    STANDING,
    *prefixed(CREDENTIAL, CredentialRow, "cred_"),
    *prefixed(_PENDING, RequestRow, "req_"),
).select_from(
    CUSTOMER.outerjoin(_BRANCH, _BRANCH.c.code == _C.branch_code)
    .outerjoin(CREDENTIAL, CREDENTIAL.c.customer_id == _C.id)
    # The customer's requests (ix_request_customer), attached to their credential.
    .outerjoin(_PENDING, sa.and_(_PENDING.c.customer_id == _C.id,
                                 _PENDING.c.credential_id == CREDENTIAL.c.id,
                                 _PENDING.c.status == RequestStatus.PENDING.value)),
).where(_C.customer_no == _bp("no")).order_by(
    CREDENTIAL.c.created_at.desc(), CREDENTIAL.c.id.desc(), _PENDING.c.id)


def detail_rows(conn: Connection, customer_no: str, staff_id: int) -> list[Row]:
    """The customer view's rows (see `_DETAIL`); none: no such customer."""
    return list(conn.execute(_DETAIL, {"no": customer_no, "staff_id": staff_id}))


def _span(prefix: str, fields: tuple[str, ...]) -> slice:
    """Where a row of `_DETAIL` holds `prefix` + each field, in order (checked at import)."""
    keys = [column.key for column in _DETAIL.selected_columns]
    start = keys.index(prefix + fields[0])
    if keys[start:start + len(fields)] != [prefix + name for name in fields]:
        raise RuntimeError(f"_DETAIL's {prefix}* columns are not in their row type's order")
    return slice(start, start + len(fields))


# A view reads a credential (and a pending request) per row: by position, not by name.
_DETAIL_CREDENTIAL = _span("cred_", CredentialRow._fields)
_DETAIL_REQUEST = _span("req_", RequestRow._fields)


def detail_credential(row: Row) -> CredentialRow:
    """The credential of a `detail_rows` row (its `cred_id` is not NULL)."""
    return CredentialRow._make(row[_DETAIL_CREDENTIAL])


def detail_request(row: Row) -> RequestRow:
    """The pending request of a `detail_rows` row (its `req_id` is not NULL)."""
    return RequestRow._make(row[_DETAIL_REQUEST])
