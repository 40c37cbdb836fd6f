"""One customer: the customer screen (credentials side by side, history, pending requests) and
the service matrix for that customer.

Every read of customer data writes an access-log event (개인정보 접속기록): who, when, from which
terminal, which customer, what was done."""

from __future__ import annotations

from ..domain.authority import READ_ROLES, Actor, require_role
from ..domain.channels import Channel
from ..domain.clock import Clock, seoul_date
from ..domain.errors import ConsoleError, not_found
from ..domain.ids import CustomerType, Nationality, mask_phone, normalize_customer_no
from ..domain.matrix import CustomerFacts, evaluate
from ..domain.states import RequestKind, channel_status, current_credential
from ..store import credentials as credential_store
from ..store import customers as customer_store
from ..store.credentials import CredentialRow
from ..store.engine import Tx
from ..store.requests import RequestRow
from .backend import Backend
from .common import (
    credential_view,
    current_staff,
    customer_by_no,
    event,
    evidence_of,
    record,
    request_view,
    require_standing,
    staff_names,
)
from .views import CustomerDetail, ServiceAnswerView


def show_customer(backend: Backend, actor: Actor, customer_no: str, *, clock: Clock) -> CustomerDetail:
    """The customer, its current MTS and web credentials, its history and pending requests:
    one statement (store/customers.py `detail_rows`), and for pending requests, if any, one
    for their makers' names and one for their evidence."""
    now = clock.now()
    today = seoul_date(now)
    number = normalize_customer_no(customer_no)  # a number's form: INVALID_INPUT otherwise

    def work(s: Tx) -> CustomerDetail:
        rows = customer_store.detail_rows(s, number, actor.staff_id)
        require_standing(s, actor, rows[0] if rows else None)  # before "no such customer"
        require_role(actor, READ_ROLES, "view customers")
        if not rows:
            raise not_found("customer", customer_no)
        c = rows[0]
        by_id: dict[int, CredentialRow] = {}  # newest first; once each, should one repeat
        pending: list[RequestRow] = []
        for row in rows:
            if row.cred_id is not None and row.cred_id not in by_id:
                by_id[row.cred_id] = customer_store.detail_credential(row)
            if row.req_id is not None:
                pending.append(customer_store.detail_request(row))
        creds = list(by_id.values())
        pending.sort(key=lambda r: (r.created_at, r.id))  # oldest first: the customer's story in order
        mts = current_credential(creds, Channel.MTS.value, today)
        web = current_credential(creds, Channel.WEB.value, today)
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
            pending=_pending_views(s, c, pending, by_id, today),
            today=today,
        )
        record(s, backend.store, now, event(actor, "customer.view", category="access",
                                            customer_no=c.customer_no))  # last: head lock
        return detail

    return backend.store.run(work, reads_only=True)


def _pending_views(s: Tx, customer, pending: list[RequestRow],
                   credentials: dict[int, CredentialRow], today) -> list:
    if not pending:
        return []
    names = staff_names(s, *[r.maker_staff_id for r in pending])
    evidence = evidence_of(s, [r.id for r in pending
                               if r.kind == RequestKind.REGISTRATION.value])
    return [request_view(r, today, customer_no=customer.customer_no,
                         customer_name=customer.name, credential=credentials.get(r.credential_id),
                         names=names, evidence=evidence.get(r.id, []))
            for r in pending]


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

    def work(s: Tx) -> list[ServiceAnswerView]:
        current_staff(s, actor)
        require_role(actor, READ_ROLES, "view customers")
        c = customer_by_no(s, customer_no)
        facts = CustomerFacts(
            customer_type=CustomerType(c.customer_type),
            nationality=Nationality(c.nationality),
            online_trading=c.online_trading,
            web_status=channel_status(credential_store.of_customer(s, c.id),
                                      Channel.WEB.value, today),
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
