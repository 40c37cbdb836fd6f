"""The 3-year validity of a credential, counted in calendar years (민법 157, 159, 160).

The day of activation is not counted (157); the period runs from the next day and ends at the end
of the day before the corresponding date three years on (160②), i.e. through the same calendar
date three years later. If that month has no such date (activated on 29 February), the period
ends on the last day of the month (160③). All dates are Korea time.

Decision: the proviso of 157 (a period that starts at 00:00 counts its first day) is not applied.
Activation is the instant of approval, which is part-way through a business day; a credential
approved at 00:00:00 exactly gets the same last day as one approved a second later, to the
customer's benefit. Never `365 * 3` days: leap years would shift the date.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

from .clock import seoul_date

VALIDITY_YEARS = 3


def add_years_clamped(day: date, years: int) -> date:
    """Same month and day `years` on; the last day of the month if that day does not exist."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def last_valid_day(activated_at: datetime, years: int = VALIDITY_YEARS) -> date:
    """The last Korea-time date on which a credential activated at `activated_at` is valid."""
    return add_years_clamped(seoul_date(activated_at), years)


def days_left(valid_until: date, today: date) -> int:
    """Whole days from today to the last valid day: 0 on the last day, negative once past."""
    return (valid_until - today).days


def is_past_validity(valid_until: date | None, today: date) -> bool:
    return valid_until is not None and today > valid_until
