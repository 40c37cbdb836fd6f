"""Customers: search, show, and the service matrix for one customer.

Every read of customer data writes an access-log event (개인정보 접속기록): who, when, from which
terminal, which customers, what was done.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlmodel import Session

from ..domain.authority import READ_ROLES, Actor, require_role
from ..domain.bounds import offset_within
from ..domain.channels import Channel
from ..domain.clock import Clock, seoul_date
from ..domain.errors import ConsoleError, invalid, not_found
from ..domain.ids import (
    CustomerType,
    Nationality,
    mask_numbers,
    mask_phone,
)
from ..domain.matrix import CustomerFacts, evaluate
from ..domain.search import classify_query, id_number_digits
from ..domain.states import RequestStatus, channel_status, current_credential
from ..domain.text import clean_text
from ..store.direct import DirectStatement, Row
from ..store.tables import Account, Branch
from .backend import Backend
from .common import (
    CREDENTIAL,
    CUSTOMER,
    REQUEST,
    STANDING,
    CredentialRow,
    RequestRow,
    credential_view,
    current_staff,
    customer_by_no,
    event,
    plain,
    prefixed_columns,
    record,
    request_view,
    require_standing,
)
from .customer_import import (  # noqa: F401 - the import, a use case of its own, from here too
    IMPORT_HEADER,
    IMPORT_ROLES,
    import_customers,
)
from .views import CustomerDetail, CustomerSummary, SearchPage, ServiceAnswerView

MAX_PAGE = 50


# ---------------------------------------------------------------- search

_C = CUSTOMER.c
_ACCOUNT = Account.__table__
_BRANCH = Branch.__table__
_bp = sa.bindparam

# Each search kind's condition, with bind parameters: the statements are built once (below).
_SEARCH_WHERE = {
    "phone_last4": _C.phone_last4 == _bp("value"),
    "birth_date": _C.birth_yymmdd == _bp("value"),
    "phone": _C.phone_digits == _bp("value"),
    "account": _C.id.in_(
        sa.select(_ACCOUNT.c.customer_id).where(_ACCOUNT.c.account_no == _bp("value"))),
    # Prefixes as ranges [low, high): they walk the (C-collated) indexes.
    "chosung": sa.and_(_C.name_chosung >= _bp("low"), _C.name_chosung < _bp("high")),
    # Mixed (홍ㄱ): syllables must match in place, initials stand for any syllable.
    "chosung_mixed": sa.and_(_C.name_chosung >= _bp("low"), _C.name_chosung < _bp("high"),
                             _C.name.like(_bp("pattern"), escape="\\")),
    "name": sa.and_(_C.name >= _bp("low"), _C.name < _bp("high")),
    "customer_no": _C.customer_no == _bp("value"),
    "id_number": _C.id_hash == _bp("value"),
}


def _id_number_kind(backend: Backend, query: str) -> list[tuple[str, dict]]:
    """A whole RRN (or business number) is found through its keyed hash: the number itself is
    stored only encrypted, so it cannot be compared in SQL."""
    digits = id_number_digits(query)
    if digits is None:
        return []
    return [("id_number", {"value": backend.store.keyring.id_lookup_hash(digits)})]


_SUMMARY_COLUMNS = (
    _C.customer_no, _C.name, _C.name_chosung, _C.id_masked, _C.customer_type, _C.nationality,
    _C.phone, _C.branch_code, _C.online_trading,
)


def _search_statement(where, by_chosung: bool) -> sa.Select:
    # One order for every kind and for the merge: the first `want` rows of the union are then
    # among the first `want` of each kind, so pages neither repeat nor skip anyone. A 초성
    # query is ordered by its key first (that walks ix_customer_chosung).
    order = ((_C.name_chosung,) if by_chosung else ()) + (_C.name, _C.customer_no)
    # Only the columns of a summary (plain rows): a page is up to 51 rows per kind. And the
    # searcher's standing, which saves the use case a round trip.
    return sa.select(*_SUMMARY_COLUMNS, STANDING).where(where).order_by(*order).limit(
        _bp("want"))


_SEARCH = {(kind, by_chosung): _search_statement(where, by_chosung)
           for kind, where in _SEARCH_WHERE.items() for by_chosung in (False, True)}
_SHARED_PARAMS = frozenset({"want", "staff_id"})


def _numbered(kind: str, by_chosung: bool, n: int) -> sa.Select:
    """A kind's statement with its own parameters renamed `<name>_<n>` (`want` and `staff_id`
    are the same for every kind), so that several kinds fit in one statement."""
    def rename(element):
        if (isinstance(element, sa.BindParameter) and not element.unique  # not a literal
                and element.key not in _SHARED_PARAMS):
            return sa.bindparam(f"{element.key}_{n}", type_=element.type)
        return None
    return sa.sql.visitors.replacement_traverse(_SEARCH[kind, by_chosung], {}, rename)


@functools.lru_cache(maxsize=64)  # a handful of combinations: classify_query decides them
def _search_of(kinds: tuple[str, ...], by_chosung: bool) -> DirectStatement:
    """One statement for all the kinds a query can mean: a query of digits can be a birth date,
    an account and a customer number at once, and each kind would otherwise cost a round trip.
    Each kind keeps its own order and limit (a subquery); the union is merged by the caller.
    The parameters of the n-th kind are named `<name>_<n>`, whether one kind or several."""
    if len(kinds) == 1:
        return DirectStatement(_numbered(kinds[0], by_chosung, 0))
    return DirectStatement(sa.union_all(*[
        sa.select(_numbered(kind, by_chosung, n).subquery(f"k{n}"))
        for n, kind in enumerate(kinds)]))


def _summary(c: Row) -> CustomerSummary:
    """`customer_summary` of a row of _SUMMARY_COLUMNS."""
    return CustomerSummary(
        customer_no=c.customer_no, name=c.name, id_masked=c.id_masked,
        customer_type=c.customer_type, nationality=c.nationality,
        phone_masked=mask_phone(c.phone), branch_code=c.branch_code,
        online_trading=c.online_trading,
    )


def search_customers(
    backend: Backend, actor: Actor, query: str, *, clock: Clock, limit: int = MAX_PAGE,
    offset: int = 0,
) -> SearchPage:
    """Name or name prefix, 초성 prefix, customer number, account number, full phone or its last
    4 digits, birth date (YYMMDD). One page of at most 50, ordered by name."""
    now = clock.now()
    query = clean_text(query, "query", limit="search", paste=True)
    if not 1 <= limit <= MAX_PAGE:
        raise invalid("limit", f"must be between 1 and {MAX_PAGE}")
    offset_within(offset, limit)  # offset + limit + 1 rows are asked for: a 64-bit LIMIT
    kinds = _id_number_kind(backend, query) + classify_query(query)
    if not kinds:
        raise invalid("query", "is not a name, 초성, number, phone or birth date")

    def work(s: Session) -> SearchPage:
        conn = s.connection()
        want = offset + limit + 1
        by_chosung = any(kind == "chosung" for kind, _ in kinds)
        statement = _search_of(tuple(
            "chosung_mixed" if kind == "chosung" and "pattern" in params else kind
            for kind, params in kinds), by_chosung)
        values = {"want": want, "staff_id": actor.staff_id}
        for n, (_kind, params) in enumerate(kinds):
            values.update({f"{name}_{n}": value for name, value in params.items()})
        found: dict[str, Row] = {}
        for c in statement.all(conn, values):
            found.setdefault(c.customer_no, c)  # a customer found by two kinds comes twice
        rows = list(found.values())
        require_standing(s, actor, rows[0] if rows else None)  # before saying "none"
        require_role(actor, READ_ROLES, "search customers")
        if len(kinds) > 1:
            rows.sort(key=lambda c: ((c.name_chosung,) if by_chosung else ()) + (
                c.name, c.customer_no))
        page = rows[offset: offset + limit]
        record(s, backend.store, now, event(
            actor, "customer.search", category="access",
            # The query as the trail keeps it: any ID number or phone in it masked.
            detail={"query": mask_numbers(query), "kinds": [k for k, _ in kinds],
                    "results": [c.customer_no for c in page]}))
        return SearchPage(
            query=query, kinds=[k for k, _ in kinds], items=[_summary(c) for c in page],
            offset=offset, limit=limit, has_more=len(rows) > offset + limit,
        )

    return backend.store.run(work, reads_only=True)


# ---------------------------------------------------------------- show

_CREDENTIALS_OF = DirectStatement(sa.select(CREDENTIAL).where(
    CREDENTIAL.c.customer_id == _bp("customer_id"),
).order_by(CREDENTIAL.c.created_at.desc(), CREDENTIAL.c.id.desc()), row_type=CredentialRow)
# The customer, its branch's name, its accounts, the viewer's standing, its credentials (newest
# first) and their pending requests, in one statement: a row per credential (`cred_*` columns)
# with its pending request if it has one (`req_*`), or one row with no credential. One round
# trip, for the screen staff open most. Every request is about one credential of its customer
# (the one it registers or revokes), and a credential has at most one pending request: a
# pending registration's credential is pending, a revocation's is current.
_PENDING = REQUEST.alias("pending_request")
_CUSTOMER_DETAIL = DirectStatement(sa.select(
    CUSTOMER, _BRANCH.c.name.label("branch_name"),
    sa.select(sa.func.aggregate_strings(_ACCOUNT.c.account_no, " "))
    .where(_ACCOUNT.c.customer_id == _C.id).scalar_subquery().label("account_nos"),
    STANDING,
    *prefixed_columns(CREDENTIAL, CredentialRow, "cred_"),
    *prefixed_columns(_PENDING, RequestRow, "req_"),
).select_from(
    CUSTOMER.outerjoin(_BRANCH, _BRANCH.c.code == _C.branch_code)
    .outerjoin(CREDENTIAL, CREDENTIAL.c.customer_id == _C.id)
    # The customer's requests (ix_request_customer, as before), attached to their credential.
    .outerjoin(_PENDING, sa.and_(_PENDING.c.customer_id == _C.id,
                                 _PENDING.c.credential_id == CREDENTIAL.c.id,
                                 _PENDING.c.status == RequestStatus.PENDING.value)),
).where(_C.customer_no == _bp("no")).order_by(
    CREDENTIAL.c.created_at.desc(), CREDENTIAL.c.id.desc(), _PENDING.c.id))


def credentials_of(s: Session, customer_id: int) -> list[CredentialRow]:
    """All of a customer's credentials, newest first."""
    return _CREDENTIALS_OF.all(s.connection(), {"customer_id": customer_id})


def current_of(creds: list, channel: Channel, today):
    return current_credential(creds, channel.value, today)


def show_customer(backend: Backend, actor: Actor, customer_no: str, *, clock: Clock) -> CustomerDetail:
    now = clock.now()
    today = seoul_date(now)

    def work(s: Session) -> CustomerDetail:
        conn = s.connection()
        rows = _CUSTOMER_DETAIL.all(conn, {"no": customer_no.strip().upper(),
                                           "staff_id": actor.staff_id})
        require_standing(s, actor, rows[0] if rows else None)  # before "no such customer"
        require_role(actor, READ_ROLES, "view customers")
        if not rows:
            raise not_found("customer", customer_no)
        c = rows[0]
        by_id: dict[int, CredentialRow] = {}  # newest first; once each, should one repeat
        pending: list[RequestRow] = []
        for row in rows:
            if row.cred_id is not None:
                by_id.setdefault(row.cred_id, plain(CredentialRow, row, prefix="cred_"))
            if row.req_id is not None:
                pending.append(plain(RequestRow, row, prefix="req_"))
        creds = list(by_id.values())
        pending.sort(key=lambda r: (r.created_at, r.id))  # oldest first, as the approvals box
        mts = current_of(creds, Channel.MTS, today)
        web = current_of(creds, Channel.WEB, today)
        detail = CustomerDetail(
            customer_no=c.customer_no,
            name=c.name,
            id_masked=c.id_masked,
            customer_type=c.customer_type,
            nationality=c.nationality,
            online_trading=c.online_trading,
            branch_code=c.branch_code,
            branch_name=c.branch_name or c.branch_code,
            phone_masked=mask_phone(c.phone),
            accounts=sorted(c.account_nos.split()) if c.account_nos else [],
            mts=credential_view(mts, today) if mts else None,
            web=credential_view(web, today) if web else None,
            history=[credential_view(x, today) for x in creds],
            pending=[request_view(s, r, today, customer=c, credential=by_id.get(r.credential_id))
                     for r in pending],
            today=today,
        )
        record(s, backend.store, now, event(actor, "customer.view", category="access",
                                            customer_no=c.customer_no))  # last: head lock
        return detail

    return backend.store.run(work, reads_only=True)


# ---------------------------------------------------------------- matrix

def service_matrix(
    backend: Backend, actor: Actor | None = None, customer_no: str | None = None, *,
    clock: Clock,
) -> list[ServiceAnswerView]:
    """The matrix; with a customer, each service available or not and why."""
    rows = backend.matrix
    if customer_no is None:
        return [
            ServiceAnswerView(r.code, r.group_ko, r.group_en, r.name_ko, r.name_en,
                              r.online_trading, r.verification.value, None, None)
            for r in rows
        ]
    if actor is None:
        raise ConsoleError("FORBIDDEN", "a customer's matrix needs a signed-in staff member")
    now = clock.now()
    today = seoul_date(now)

    def work(s: Session) -> list[ServiceAnswerView]:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "view customers")
        c = customer_by_no(s, customer_no)
        facts = CustomerFacts(
            customer_type=CustomerType(c.customer_type),
            nationality=Nationality(c.nationality),
            online_trading=c.online_trading,
            web_status=channel_status(credentials_of(s, c.id), Channel.WEB.value, today),
        )
        answers = evaluate(rows, facts)
        record(s, backend.store, now, event(actor, "customer.matrix", category="access",
                                            customer_no=c.customer_no))
        return [
            ServiceAnswerView(a.row.code, a.row.group_ko, a.row.group_en, a.row.name_ko,
                              a.row.name_en, a.row.online_trading, a.row.verification.value,
                              a.available, a.reason_code)
            for a in answers
        ]

    return backend.store.run(work)

