"""Validity (DOMAIN.md section 3) and expiry (section 6): three calendar years in Korea time,
days left, effective expiry before the batch, the idempotent batch, the expiring-soon list."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import utc
from svc_helpers import activate, credential_row, events_after, last_seq

from staff_console.domain.errors import ConsoleError
from staff_console.services.customer_view import show_customer
from staff_console.services.expiry import expire_due, expiring_by_month, list_expiring


def _valid_until(world, customer_no="C001", channel="mts"):
    detail = show_customer(world.backend, world.teller, customer_no, clock=world.clock)
    return getattr(detail, channel).valid_until


def test_leap_day_activation_is_valid_through_28_february(world):
    world.at("2024-02-29T10:00:00+09:00")
    activate(world, "C001", "mts", "phone-1")
    assert _valid_until(world) == date(2027, 2, 28)


def test_validity_counts_the_korea_date_not_the_utc_date(world):
    world.at("2026-11-23T15:30:00Z")  # 2026-11-24 00:30 in Seoul
    activate(world, "C001", "mts", "phone-1")
    assert _valid_until(world) == date(2029, 11, 24)


def test_one_second_before_seoul_midnight_is_the_previous_day(world):
    world.at("2026-11-23T14:59:59Z")  # 2026-11-23 23:59:59 in Seoul
    activate(world, "C001", "web", "chrome")
    assert _valid_until(world, channel="web") == date(2029, 11, 23)


def test_validity_is_three_calendar_years_not_1095_days(world):
    activate(world, "C001", "mts", "phone-1")  # 2026-11-24, across the 2028 leap day
    detail = show_customer(world.backend, world.teller, "C001", clock=world.clock)
    assert detail.mts.valid_until == date(2029, 11, 24)
    assert detail.mts.days_left == (date(2029, 11, 24) - date(2026, 11, 24)).days == 1096


def test_days_left_counts_down_to_zero_on_the_last_day(world):
    activate(world, "C001", "mts", "phone-1")
    world.at("2029-11-14T09:00:00+09:00")
    assert show_customer(world.backend, world.teller, "C001", clock=world.clock).mts.days_left == 10
    world.at("2029-11-24T23:59:59+09:00")
    detail = show_customer(world.backend, world.teller, "C001", clock=world.clock)
    assert detail.mts.status == "active" and detail.mts.days_left == 0


def test_past_validity_is_expired_before_the_batch_runs(world):
    b, c = world.backend, world.clock
    intake = activate(world, "C001", "mts", "phone-1")
    world.at("2029-11-25T00:00:00+09:00")
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.mts is None
    assert detail.history[0].id == intake.credential_id
    assert detail.history[0].status == "expired"
    assert detail.history[0].days_left == -1
    assert credential_row(b, intake.credential_id)["status"] == "active"  # not yet marked


def test_expire_due_marks_past_credentials_and_is_idempotent(world):
    b, c = world.backend, world.clock
    mts = activate(world, "C001", "mts", "phone-1")
    c.advance(days=1)
    web = activate(world, "C002", "web", "chrome")  # one day later: not yet due
    world.at("2029-11-25T08:00:00+09:00")
    seq = last_seq(b)
    result = expire_due(b, clock=c)
    assert (result.credentials_expired, result.requests_expired) == (1, 0)
    row = credential_row(b, mts.credential_id)
    assert row["status"] == "expired" and row["end_reason"] == "expired"
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.history[0].ended_at == utc("2029-11-25T00:00:00+09:00")
    assert credential_row(b, web.credential_id)["status"] == "active"
    expired_events = [e for e in events_after(b, seq) if e["action"] == "credential.expired"]
    assert [e["target"] for e in expired_events] == [f"credential:{mts.credential_id}"]
    assert expired_events[0]["actor"] == "system"
    # again: nothing is due, nothing is written
    seq = last_seq(b)
    assert expire_due(b, clock=c).credentials_expired == 0
    assert events_after(b, seq) == []
    c.advance(days=1)
    assert expire_due(b, clock=c).credentials_expired == 1
    assert credential_row(b, web.credential_id)["status"] == "expired"


def test_expire_due_also_ends_locked_credentials(world):
    from staff_console.services.intake import record_login

    b, c = world.backend, world.clock
    intake = activate(world, "C001", "web", "chrome")
    for _ in range(5):
        record_login(b, customer_no="C001", channel="web", device_id="chrome", result="fail",
                     clock=c)
    assert credential_row(b, intake.credential_id)["status"] == "locked"
    world.at("2029-11-26T09:00:00+09:00")
    assert expire_due(b, clock=c).credentials_expired == 1
    assert credential_row(b, intake.credential_id)["status"] == "expired"


def _three_expiring(world):
    activate(world, "C001", "mts", "phone-1")  # 2029-11-24
    world.at("2026-11-25T10:00:00+09:00")
    activate(world, "C002", "web", "chrome")  # 2029-11-25
    activate(world, "C007", "mts", "phone-7")  # 2029-11-25, branch 002
    world.at("2026-12-20T10:00:00+09:00")
    activate(world, "C002", "mts", "phone-2")  # 2029-12-20


def test_expiring_list_includes_the_last_day_and_excludes_past_ones(world):
    b, c = world.backend, world.clock
    _three_expiring(world)
    world.at("2029-11-24T15:00:00+09:00")
    items = list_expiring(b, world.auditor, within_days=30, clock=c)
    assert [(i.customer_no, i.channel, i.days_left) for i in items] == [
        ("C001", "mts", 0), ("C002", "web", 1), ("C007", "mts", 1), ("C002", "mts", 26)]
    world.at("2029-11-25T09:00:00+09:00")
    items = list_expiring(b, world.auditor, within_days=30, clock=c)
    assert [(i.customer_no, i.days_left) for i in items] == [("C002", 0), ("C007", 0),
                                                             ("C002", 25)]
    # the window is inclusive: within 25 days of 2029-11-25 reaches 2029-12-20
    assert len(list_expiring(b, world.auditor, within_days=25, clock=c)) == 3
    assert len(list_expiring(b, world.auditor, within_days=24, clock=c)) == 2


def test_expiring_list_is_scoped_to_the_branch_for_branch_staff(world):
    b, c = world.backend, world.clock
    _three_expiring(world)
    world.at("2029-11-20T09:00:00+09:00")
    teller_items = list_expiring(b, world.teller, within_days=30, clock=c)
    assert {i.customer_no for i in teller_items} == {"C001", "C002"}
    assert {i.customer_no for i in list_expiring(b, world.manager2, within_days=30, clock=c)} == {
        "C007"}
    assert {i.customer_no for i in list_expiring(b, world.auditor, within_days=30, clock=c,
                                                 branch_code="002")} == {"C007"}


def test_expiring_list_is_an_access_event(world):
    b, c = world.backend, world.clock
    _three_expiring(world)
    world.at("2029-11-20T09:00:00+09:00")
    seq = last_seq(b)
    list_expiring(b, world.teller, within_days=30, clock=c)
    [e] = events_after(b, seq)
    assert e["category"] == "access" and e["actor"] == "T001"
    assert e["action"] == "credential.expiring_list"


def test_expiring_by_month_buckets(world):
    b, c = world.backend, world.clock
    _three_expiring(world)
    world.at("2029-10-15T09:00:00+09:00")
    assert expiring_by_month(b, world.auditor, months=4, clock=c) == [
        ("2029-10", 0), ("2029-11", 3), ("2029-12", 1), ("2030-01", 0)]
    assert expiring_by_month(b, world.teller, months=3, clock=c) == [
        ("2029-10", 0), ("2029-11", 2), ("2029-12", 1)]
    # in the month itself, only what is still ahead counts
    world.at("2029-11-25T09:00:00+09:00")
    assert expiring_by_month(b, world.auditor, months=2, clock=c) == [
        ("2029-11", 2), ("2029-12", 1)]


def test_only_an_admin_session_may_start_the_expiry_batch(world):
    """The batch acts as the system, but from a session it is operations' work: a teller's,
    a manager's or an auditor's session (a terminal of a central store) is refused, and nothing
    is marked; an admin's runs it; the store's operator (no session) runs it."""
    b, c = world.backend, world.clock
    mts = activate(world, "C001", "mts", "phone-1")
    world.at("2029-11-26T08:00:00+09:00")
    for actor in (world.teller, world.manager, world.auditor):
        with pytest.raises(ConsoleError) as refused:
            expire_due(b, actor, clock=c)
        assert refused.value.code == "FORBIDDEN"
    assert credential_row(b, mts.credential_id)["status"] == "active"
    assert expire_due(b, world.admin, clock=c).credentials_expired == 1
    assert expire_due(b, clock=c).credentials_expired == 0
