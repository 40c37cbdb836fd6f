"""domain.bounds: ids, offsets, dates and instants a person may type."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.bounds import (
    MAX_DAY,
    MAX_INT64,
    MAX_ROW_ID,
    MIN_DAY,
    day_within,
    instant_within,
    offset_within,
    positive_id,
    row_id,
)
from staff_console.domain.clock import SEOUL, seoul_midnight
from staff_console.domain.errors import ConsoleError
from staff_console.domain.validity import last_valid_day


def _refused(fn, *args) -> ConsoleError:
    with pytest.raises(ConsoleError) as info:
        fn(*args)
    assert info.value.code == "INVALID_INPUT"
    return info.value


def test_positive_id():
    assert positive_id(1, "id") == 1
    assert positive_id(MAX_INT64, "id") == MAX_INT64
    for bad in (0, -1, MAX_INT64 + 1, 10**40, True, "1", 1.0, None):
        assert _refused(positive_id, bad, "before").field == "before"


def test_row_id_fits_a_32_bit_integer_column():
    assert row_id(MAX_ROW_ID, "request_id") == 2**31 - 1
    for bad in (0, 2**31, MAX_INT64, MAX_INT64 + 1):
        assert _refused(row_id, bad, "request_id").field == "request_id"


def test_offset_within_leaves_room_for_the_page_and_one_more_row():
    assert offset_within(0, 50) == 0
    assert offset_within(MAX_INT64 - 51, 50) == MAX_INT64 - 51
    for bad in (-1, MAX_INT64 - 50, MAX_INT64, 2**64, False, "0"):
        assert _refused(offset_within, bad, 50, "page").field == "page"


def test_days():
    assert day_within(MIN_DAY, "from") == MIN_DAY
    assert day_within(MAX_DAY, "to") == MAX_DAY
    for bad in (date(1, 1, 1), date(1899, 12, 31), date(3000, 1, 1), date(9999, 12, 31)):
        assert _refused(day_within, bad, "to").field == "to"


def test_instants_need_an_offset_and_a_date_within_the_bounds():
    instant_within(datetime(2026, 11, 24, 9, tzinfo=SEOUL), "from")
    _refused(instant_within, datetime(2026, 11, 24, 9), "from")  # naive
    _refused(instant_within, datetime(1, 1, 1, tzinfo=SEOUL), "from")
    _refused(instant_within, datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-9))),
             "until")
    # Inside by its own date, outside once in UTC: refused too.
    _refused(instant_within, datetime(2999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-9))),
             "until")


@given(st.dates(min_value=MIN_DAY, max_value=MAX_DAY))
def test_every_computation_on_a_day_within_the_bounds_stays_in_range(day):
    # Korea-time midnight, the next day's, and a three-year validity from it do not overflow.
    seoul_midnight(day)
    seoul_midnight(day + timedelta(days=1))
    last_valid_day(seoul_midnight(day))


@given(st.datetimes(timezones=st.just(UTC)))
def test_an_instant_is_refused_or_safe_to_convert(value):
    try:
        instant_within(value, "when")
    except ConsoleError:
        return
    value.astimezone(SEOUL)
    last_valid_day(value)
