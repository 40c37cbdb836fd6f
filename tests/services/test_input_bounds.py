"""The services bound what a caller passes (they are the trust boundary, not the CLI): ids past
their column (2**31 for row ids, INTEGER on PostgreSQL; 2**63 for audit sequence numbers),
offsets that overflow a LIMIT, and dates whose Korea-time conversion overflows are INVALID_INPUT,
never an OverflowError or a DataError from the driver or the calendar. On both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from svc_helpers import refused

from staff_console.domain.clock import SEOUL
from staff_console.services import audit_trail
from staff_console.services.customer_search import search_customers
from staff_console.services.delegations import end_delegation, grant_delegation
from staff_console.services.requests import (
    approve_request,
    get_request,
    reject_request,
    withdraw_request,
)

TOO_BIG = 2**63


@pytest.mark.parametrize("bad", [2**31, TOO_BIG, 10**30, 0, -1])
def test_request_ids_out_of_range(world, bad):
    w = world
    with refused("INVALID_INPUT", "request_id"):
        approve_request(w.backend, w.manager, bad, clock=w.clock)
    with refused("INVALID_INPUT", "request_id"):
        reject_request(w.backend, w.manager, bad, note="x", clock=w.clock)
    with refused("INVALID_INPUT", "request_id"):
        withdraw_request(w.backend, w.teller, bad, clock=w.clock)
    with refused("INVALID_INPUT", "request_id"):
        get_request(w.backend, w.manager, bad, clock=w.clock)


def test_the_largest_row_id_is_valid_input_and_not_found(world):
    w = world
    with refused("NOT_FOUND"):
        get_request(w.backend, w.manager, 2**31 - 1, clock=w.clock)
    with refused("NOT_FOUND"):
        approve_request(w.backend, w.manager, 2**31 - 1, clock=w.clock)
    with refused("NOT_FOUND"):
        end_delegation(w.backend, w.manager, 2**31 - 1, clock=w.clock)


def test_delegation_ids_and_instants_out_of_range(world):
    w = world
    for bad in (2**31, TOO_BIG):
        with refused("INVALID_INPUT", "delegation_id"):
            end_delegation(w.backend, w.manager, bad, clock=w.clock)
    start = w.clock.now()
    with refused("INVALID_INPUT", "until"):
        grant_delegation(w.backend, w.manager, delegate_employee_no="T001", valid_from=start,
                         valid_until=datetime(9999, 12, 31, 23, tzinfo=SEOUL), clock=w.clock)
    with refused("INVALID_INPUT", "from"):
        grant_delegation(w.backend, w.manager, delegate_employee_no="T001",
                         valid_from=datetime(1, 1, 1, 12, tzinfo=SEOUL),
                         valid_until=start + timedelta(days=1), clock=w.clock)


def test_audit_filters_out_of_range(world):
    w = world
    with refused("INVALID_INPUT", "before"):
        audit_trail.list_events(w.backend, w.auditor, clock=w.clock, before_seq=TOO_BIG)
    with refused("INVALID_INPUT", "before"):
        audit_trail.list_events(w.backend, w.auditor, clock=w.clock, before_seq=-1)
    with refused("INVALID_INPUT", "from"):
        audit_trail.list_events(w.backend, w.auditor, clock=w.clock, date_from=date(1, 1, 1))
    with refused("INVALID_INPUT", "to"):
        audit_trail.list_events(w.backend, w.auditor, clock=w.clock, date_to=date(9999, 12, 31))
    for month in ("0001-01", "9999-12"):
        with refused("INVALID_INPUT", "month"):
            audit_trail.access_log(w.backend, w.auditor, month, clock=w.clock)
        with refused("INVALID_INPUT", "month"):
            audit_trail.sign_off_access_review(w.backend, w.auditor, month, clock=w.clock)
    with refused("INVALID_INPUT", "before"):
        audit_trail.access_log(w.backend, w.auditor, "2026-11", clock=w.clock,
                               before_seq=TOO_BIG)
    # The largest valid values are simply an empty page.
    page = audit_trail.list_events(w.backend, w.auditor, clock=w.clock, before_seq=2**63 - 1,
                                   date_from=date(1900, 1, 1), date_to=date(2999, 12, 31))
    assert page.items


def test_search_offsets_out_of_range(world):
    w = world
    for offset in (TOO_BIG, 2**63 - 2, -1):
        with refused("INVALID_INPUT", "offset"):
            search_customers(w.backend, w.teller, "홍", clock=w.clock, offset=offset, limit=20)
    page = search_customers(w.backend, w.teller, "홍", clock=w.clock, offset=10**6, limit=20)
    assert page.items == []
