"""Time: instants are UTC, business dates are Korea time (Asia/Seoul)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still (training, demos, tests); `advance` moves it on."""

    instant: datetime

    def __post_init__(self) -> None:
        self.instant = as_utc(self.instant)

    def now(self) -> datetime:
        return self.instant

    def advance(self, **delta: float) -> None:
        self.instant = self.instant + timedelta(**delta)


def as_utc(instant: datetime) -> datetime:
    """Aware datetime in UTC. Naive datetimes are refused: their zone would be a guess."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: an instant needs a UTC offset")
    return instant.astimezone(UTC)


def seoul_date(instant: datetime) -> date:
    """The business date (Korea time) of an instant."""
    return as_utc(instant).astimezone(SEOUL).date()


def seoul_midnight(day: date) -> datetime:
    """The instant (UTC) at which a Korea-time date begins."""
    return datetime(day.year, day.month, day.day, tzinfo=SEOUL).astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """ISO-8601 with an offset (`2026-11-24T09:00:00+09:00`, or `Z`)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return as_utc(value)
