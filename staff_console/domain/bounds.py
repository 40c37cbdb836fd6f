"""Bounds on numbers and dates typed by a person or a script.

A value outside them is bad input (INVALID_INPUT naming the field), refused before it reaches
the database or a date computation: a 2**63 id overflows the SQLite driver, 2**31 overflows
PostgreSQL's INTEGER id columns, a page of 2**62 overflows an OFFSET, and year 1 or 9999
overflows the Korea-time conversion or the three-year validity. The services check them (they
are the trust boundary); the CLI checks them too, so a script gets the refusal before anything
is opened.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from .errors import ConsoleError, invalid

# The largest value of a signed 64-bit column (SQLite INTEGER, PostgreSQL BIGINT): the audit
# trail's sequence numbers.
MAX_INT64 = 2**63 - 1
# The largest row id: the ids of requests, delegations, credentials, customers and staff are
# INTEGER columns, 32-bit on PostgreSQL. The same bound on SQLite, so both answer alike.
MAX_ROW_ID = 2**31 - 1

# Dates and instants a person may type: wide enough for any business date, narrow enough that
# every computation on them (Korea time, the next day or month, three years on) stays in range.
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2999, 12, 31)


def whole_number(value: object, field: str, low: int, high: int) -> int:
    """A whole number from `low` to `high` (both included): a count asked for, an id."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, "must be a whole number", "errors.detail.whole_number", field=field)
    if not low <= value <= high:
        raise invalid(field, f"must be between {low} and {high}", "errors.detail.between",
                      field=field, low=low, high=high)
    return value


def positive_id(value: object, field: str, maximum: int = MAX_INT64) -> int:
    """A sequence number (or, with `maximum`, another id): a whole number from 1."""
    return whole_number(value, field, 1, maximum)


def row_id(value: object, field: str) -> int:
    """The id of a request, delegation, credential, customer or staff row."""
    return positive_id(value, field, MAX_ROW_ID)


def offset_within(offset: object, limit: int, field: str = "offset") -> int:
    """A result offset such that offset + limit + 1 (one row more, to see if there is a next
    page) still fits a 64-bit LIMIT."""
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise invalid(field, "must be a whole number", "errors.detail.whole_number", field=field)
    if not 0 <= offset <= MAX_INT64 - limit - 1:
        raise invalid(field, "is out of range")
    return offset


def day_within(value: date, field: str) -> date:
    """A business date from MIN_DAY to MAX_DAY."""
    if isinstance(value, datetime):
        value = value.date()
    if not MIN_DAY <= value <= MAX_DAY:
        raise day_out_of_range(field)
    return value


def day_out_of_range(field: str) -> ConsoleError:
    """The refusal of a date or instant outside the bounds (also for one whose conversion
    already overflowed)."""
    return invalid(field, f"must be between {MIN_DAY.isoformat()} and {MAX_DAY.isoformat()}",
                   "errors.detail.between", field=field, low=MIN_DAY.isoformat(),
                   high=MAX_DAY.isoformat())


def instant_within(value: datetime, field: str) -> datetime:
    """An aware instant whose date, in its own offset and in UTC, is within the day bounds
    (within them, the conversion to UTC or Korea time cannot overflow)."""
    if value.tzinfo is None:
        raise invalid(field, "needs a UTC offset")
    day_within(value.date(), field)
    day_within(value.astimezone(UTC).date(), field)
    return value
