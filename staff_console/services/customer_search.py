"""Customer search: the search screen's one box (name, 초성, numbers, phone, birth date).

Every search writes an access-log event (개인정보 접속기록): who, when, from which terminal, the
query (numbers masked), and which customers it showed."""

from __future__ import annotations

from sqlalchemy import Row

from ..domain.authority import READ_ROLES, Actor, require_role
from ..domain.bounds import offset_within
from ..domain.clock import Clock
from ..domain.errors import invalid
from ..domain.ids import mask_numbers
from ..domain.search import classify_query, id_number_digits
from ..domain.text import clean_text
from ..store import customers as customer_store
from ..store.engine import Tx
from .backend import Backend
from .common import customer_summary, event, record, require_standing
from .views import SearchPage

MAX_PAGE = 50


def _id_number_kind(backend: Backend, query: str) -> list[tuple[str, dict]]:
    """A whole RRN (or business number) is found through its keyed hash: the number itself is
    stored only encrypted, so it cannot be compared in SQL."""
    digits = id_number_digits(query)
    if digits is None:
        return []
    return [("id_number", {"value": backend.store.keyring.id_lookup_hash(digits)})]


def _condition(kind: str, params: dict) -> str:
    """The store's condition for a kind: over the 초성 key a name has its own, and syllables
    mixed in (홍ㄱ, 김 john) add their pattern."""
    if kind == "name" and "key_low" in params:
        kind = "name_key"
    return kind + "_mixed" if "pattern" in params else kind


def search_customers(
    backend: Backend, actor: Actor, query: str, *, clock: Clock, limit: int = MAX_PAGE,
    offset: int = 0,
) -> SearchPage:
    """Name or name prefix, 초성 prefix, customer number, account number, full phone or its last
    4 digits, birth date (YYMMDD). One page of at most 50, ordered by name."""
    now = clock.now()
    query = clean_text(query, "query", limit="search", paste=True)
    if not 1 <= limit <= MAX_PAGE:
        raise invalid("limit", f"must be between 1 and {MAX_PAGE}", "errors.detail.between",
                      field="limit", low=1, high=MAX_PAGE)
    offset_within(offset, limit)  # offset + limit + 1 rows are asked for: a 64-bit LIMIT
    kinds = _id_number_kind(backend, query) + classify_query(query)
    if not kinds:
        raise invalid("query", "is not a name, 초성, number, phone or birth date",
                      "errors.detail.search_query")
    # Over the 초성 key (a 초성 query, a name with Latin letters): ordered by the key first.
    by_chosung = any(kind == "chosung" or "key_low" in params for kind, params in kinds)
    conditions = [(_condition(kind, params), params) for kind, params in kinds]

    def work(s: Tx) -> SearchPage:
        found: dict[str, Row] = {}
        for c in customer_store.search(s, conditions, by_chosung=by_chosung,
                                       want=offset + limit + 1, staff_id=actor.staff_id):
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
            query=query, kinds=[k for k, _ in kinds], items=[customer_summary(c) for c in page],
            offset=offset, limit=limit, has_more=len(rows) > offset + limit,
        )

    return backend.store.run(work, reads_only=True)
