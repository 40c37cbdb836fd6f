"""Instants in UTC, business dates in Korea time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.clock import (
    FixedClock,
    SystemClock,
    as_utc,
    parse_instant,
    seoul_date,
    seoul_midnight,
)

KST = timezone(timedelta(hours=9))


def test_fixed_clock_stands_still_and_is_utc() -> None:
    clock = FixedClock(datetime(2026, 11, 24, 9, 0, tzinfo=KST))
    assert clock.now() == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)
    assert clock.now() == clock.now()


def test_fixed_clock_advance_moves_it_on() -> None:
    clock = FixedClock(datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    clock.advance(minutes=10)
    assert clock.now() == datetime(2026, 11, 24, 0, 10, tzinfo=UTC)
    clock.advance(days=1, seconds=5)
    assert clock.now() == datetime(2026, 11, 25, 0, 10, 5, tzinfo=UTC)


def test_fixed_clock_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 11, 24, 9, 0))


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_as_utc_refuses_naive_and_converts_aware() -> None:
    with pytest.raises(ValueError):
        as_utc(datetime(2026, 1, 1))
    assert as_utc(datetime(2026, 1, 1, 9, tzinfo=KST)) == datetime(2026, 1, 1, 0, tzinfo=UTC)


def test_seoul_date_is_nine_hours_ahead_of_utc() -> None:
    assert seoul_date(datetime(2026, 3, 9, 14, 59, 59, tzinfo=UTC)) == date(2026, 3, 9)
    assert seoul_date(datetime(2026, 3, 9, 15, 0, tzinfo=UTC)) == date(2026, 3, 10)


def test_seoul_midnight_is_15_00_utc_the_day_before() -> None:
    assert seoul_midnight(date(2026, 3, 10)) == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    assert seoul_midnight(date(2026, 3, 10)).utcoffset() == timedelta(0)


def test_parse_instant_with_z_and_with_offset() -> None:
    assert parse_instant("2026-11-24T00:00:00Z") == datetime(2026, 11, 24, tzinfo=UTC)
    assert parse_instant(" 2026-11-24T09:00:00+09:00 ") == datetime(2026, 11, 24, tzinfo=UTC)
    assert parse_instant("2026-11-24T09:00:00+09:00").tzinfo == UTC


@pytest.mark.parametrize("text", ["2026-11-24T09:00:00", "2026-11-24", "2026-11-24 09:00"])
def test_parse_instant_refuses_naive_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


def test_parse_instant_refuses_garbage() -> None:
    with pytest.raises(ValueError):
        parse_instant("yesterday")


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)))
def test_seoul_midnight_begins_its_own_seoul_date(day: date) -> None:
    midnight = seoul_midnight(day)
    assert seoul_date(midnight) == day
    assert seoul_date(midnight - timedelta(microseconds=1)) == day - timedelta(days=1)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.just(UTC)))
def test_parse_instant_round_trips_isoformat(instant: datetime) -> None:
    assert parse_instant(instant.isoformat()) == instant
    assert parse_instant(instant.astimezone(KST).isoformat()) == instant
