"""The 3-year validity in calendar years, Korea time (DOMAIN.md section 3, 민법 157/159/160)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from staff_console.domain.clock import seoul_date, seoul_midnight
from staff_console.domain.validity import (
    VALIDITY_YEARS,
    add_years_clamped,
    days_left,
    is_past_validity,
    last_valid_day,
)

KST = timezone(timedelta(hours=9))

# Aware instants in any fixed offset from -12:00 to +14:00, over two centuries.
OFFSETS = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
INSTANTS = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2150, 12, 31), timezones=OFFSETS
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_validity_is_three_years() -> None:
    assert VALIDITY_YEARS == 3


def test_activation_ends_on_the_same_calendar_date_three_years_on() -> None:
    assert last_valid_day(datetime(2024, 5, 20, 10, 0, tzinfo=KST)) == date(2027, 5, 20)


def test_feb_29_activation_ends_on_feb_28_three_years_on() -> None:
    assert last_valid_day(datetime(2024, 2, 29, 10, 0, tzinfo=KST)) == date(2027, 2, 28)


def test_feb_28_activation_in_a_leap_year_ends_on_feb_28() -> None:
    assert last_valid_day(datetime(2024, 2, 28, 10, 0, tzinfo=KST)) == date(2027, 2, 28)


def test_feb_28_activation_three_years_before_a_leap_year_ends_on_feb_28() -> None:
    # DOMAIN.md: "valid through the end of the same calendar date three years later".
    # (A strict reading of 민법 160② -- the day before 1 March 2028 -- would give 29 Feb 2028;
    # this pins the rule book's wording. See the domain test report.)
    assert last_valid_day(datetime(2025, 2, 28, 10, 0, tzinfo=KST)) == date(2028, 2, 28)


def test_march_1_activation_before_a_leap_february_ends_on_march_1() -> None:
    assert last_valid_day(datetime(2025, 3, 1, 10, 0, tzinfo=KST)) == date(2028, 3, 1)


def test_activation_late_utc_evening_counts_in_korea_time_next_day() -> None:
    # 2024-03-09T16:00Z is 2024-03-10 01:00 in Seoul.
    assert seoul_date(utc("2024-03-09T16:00:00")) == date(2024, 3, 10)
    assert last_valid_day(utc("2024-03-09T16:00:00")) == date(2027, 3, 10)


def test_last_second_of_a_korea_day_in_utc_is_still_that_day() -> None:
    # 2024-03-10T14:59:59Z is 23:59:59 on 2024-03-10 in Seoul.
    assert last_valid_day(utc("2024-03-10T14:59:00")) == date(2027, 3, 10)
    assert last_valid_day(utc("2024-03-10T14:59:59")) == date(2027, 3, 10)


def test_korea_midnight_in_utc_starts_the_next_day() -> None:
    # 2024-03-10T15:00Z is 2024-03-11 00:00 in Seoul.
    assert last_valid_day(utc("2024-03-10T15:00:00")) == date(2027, 3, 11)


def test_utc_feb_28_evening_is_korea_feb_29_in_a_leap_year() -> None:
    # 2024-02-28T15:00Z is 2024-02-29 00:00 in Seoul: a 29 February activation.
    assert last_valid_day(utc("2024-02-28T15:00:00")) == date(2027, 2, 28)
    # 2024-02-29T15:00Z is 2024-03-01 in Seoul.
    assert last_valid_day(utc("2024-02-29T15:00:00")) == date(2027, 3, 1)


def test_naive_activation_is_refused() -> None:
    with pytest.raises(ValueError):
        last_valid_day(datetime(2024, 3, 10, 12, 0))


def test_add_years_clamped_keeps_the_day_or_clamps_to_month_end() -> None:
    assert add_years_clamped(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years_clamped(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years_clamped(date(2023, 12, 31), 3) == date(2026, 12, 31)
    assert add_years_clamped(date(2024, 2, 29), -4) == date(2020, 2, 29)


def test_days_left_is_zero_on_the_last_day_and_negative_after() -> None:
    until = date(2027, 3, 10)
    assert days_left(until, date(2027, 3, 9)) == 1
    assert days_left(until, date(2027, 3, 10)) == 0
    assert days_left(until, date(2027, 3, 11)) == -1
    assert days_left(until, date(2027, 2, 8)) == 30


def test_is_past_validity_only_after_the_last_day() -> None:
    until = date(2027, 3, 10)
    assert not is_past_validity(until, date(2027, 3, 10))
    assert is_past_validity(until, date(2027, 3, 11))
    assert not is_past_validity(None, date(2099, 1, 1))


# --- properties -----------------------------------------------------------------------------

@given(INSTANTS)
def test_last_day_is_same_month_day_three_years_on_or_end_of_february(at: datetime) -> None:
    start = seoul_date(at)
    end = last_valid_day(at)
    assert end.year == start.year + 3
    assert end.month == start.month
    if end.day != start.day:
        assert (start.month, start.day) == (2, 29)
        assert end.day == calendar.monthrange(end.year, 2)[1] == 28


@given(INSTANTS)
def test_last_day_depends_only_on_the_korea_date(at: datetime) -> None:
    day = seoul_date(at)
    noon = seoul_midnight(day) + timedelta(hours=12)
    assert last_valid_day(at) == last_valid_day(noon)
    assert last_valid_day(at) == last_valid_day(at.astimezone(UTC))


@given(INSTANTS)
def test_last_day_is_never_365_times_3_days_when_the_span_covers_29_february(
    at: datetime,
) -> None:
    start = seoul_date(at)
    end = last_valid_day(at)
    spans_leap_day = any(
        calendar.isleap(y) and start < date(y, 2, 29) <= end
        for y in range(start.year, end.year + 1)
    )
    assume(spans_leap_day)
    assert end != start + timedelta(days=365 * 3)
    assert (end - start).days == 365 * 3 + 1


@given(INSTANTS, INSTANTS)
def test_last_day_is_monotonic_in_the_activation_instant(a: datetime, b: datetime) -> None:
    if a > b:
        a, b = b, a
    assert last_valid_day(a) <= last_valid_day(b)


@given(INSTANTS)
def test_validity_covers_at_least_three_years_of_days_and_at_most_one_more(at: datetime) -> None:
    start = seoul_date(at)
    length = (last_valid_day(at) - start).days
    assert 365 * 3 <= length <= 365 * 3 + 1


@given(INSTANTS)
def test_days_left_counts_down_to_zero_on_the_last_day(at: datetime) -> None:
    start = seoul_date(at)
    end = last_valid_day(at)
    assert days_left(end, start) == (end - start).days > 0
    assert days_left(end, end) == 0
    assert days_left(end, end + timedelta(days=1)) == -1
