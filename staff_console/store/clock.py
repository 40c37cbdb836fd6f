"""The store's clock: on PostgreSQL "now" is the database server's time, not the terminal's.

A round trip per use case just to ask the time would cost every terminal a few hundred
microseconds for nothing, so `StoreClock` asks the server once (`clock_timestamp()`) and then
runs on the terminal's *monotonic* clock, which measures elapsed time and cannot be set by the
terminal's user: now = server time at the last sync + time elapsed since. It asks again every
`resync_seconds` (drift of a monotonic clock is a few seconds a day at worst) and whenever the
terminal's wall clock jumps relative to the monotonic one (suspend and resume: the monotonic
clock may have stopped while the machine slept). The terminal's wall clock itself is never used
as "now"; its offset from the server is kept (`skew`) and logged when large, for operations.

SQLite has no server: the store is the local file and the system clock is the only clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..domain.errors import ConsoleError

log = logging.getLogger(__name__)

DEFAULT_RESYNC_SECONDS = 300.0
# A terminal whose wall clock is this far from the server's is reported in the log (it is not
# used, but a clock that far off is a sign of trouble worth an operator's look).
SKEW_WARNING_SECONDS = 5.0
# The wall clock moved this much more (or less) than the monotonic one between two reads: the
# machine slept, or someone set the clock. Ask the server again.
JUMP_SECONDS = 2.0
RETRY_SECONDS = 5.0


class StoreClock:
    def __init__(self, engine: Engine, *, resync_seconds: float = DEFAULT_RESYNC_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._resync = resync_seconds
        self._monotonic = monotonic
        self._wall = wall  # the terminal's own clock: only to detect jumps and report skew
        self._lock = threading.Lock()
        self._server_at_sync: datetime | None = None
        self._mono_at_sync = 0.0
        self._wall_at_sync = 0.0
        self.skew: float = 0.0  # terminal wall clock minus server clock, seconds
        self._retry_at = 0.0  # after a failed reading, not before this (monotonic)

    def sync(self) -> None:
        """Read the server's clock (one round trip), halfway through the round trip."""
        with self._engine.connect() as conn:
            before = self._monotonic()
            server = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
            after = self._monotonic()
        server = server.astimezone(UTC)
        mid = (before + after) / 2
        with self._lock:
            self._server_at_sync = server
            self._mono_at_sync = mid
            self._wall_at_sync = self._wall() - (after - mid)
        self.skew = self._wall_at_sync - server.timestamp()
        if abs(self.skew) > SKEW_WARNING_SECONDS:
            log.warning("terminal clock is %.1f s off the store's clock; the store's is used",
                        self.skew)

    def now(self) -> datetime:
        with self._lock:
            base = self._server_at_sync
            elapsed = self._monotonic() - self._mono_at_sync
            wall_elapsed = self._wall() - self._wall_at_sync
        due = base is None or elapsed >= self._resync or elapsed < 0 \
            or abs(wall_elapsed - elapsed) > JUMP_SECONDS
        if due and (base is None or self._monotonic() >= self._retry_at):
            try:
                self.sync()
            except DBAPIError as exc:
                if base is None:
                    raise ConsoleError("STORE_UNAVAILABLE", "the store's clock could not be "
                                                            "read") from exc
                # The store is away: go on counting from the last reading (the use case that
                # asked will meet the same store and say so itself); ask again in a while.
                log.warning("store clock not read again; counting from the last reading")
                self._retry_at = self._monotonic() + RETRY_SECONDS
            return self.now_without_sync()
        assert base is not None  # not due: it was read before
        return base + timedelta(seconds=elapsed)

    def now_without_sync(self) -> datetime:
        with self._lock:
            assert self._server_at_sync is not None
            return self._server_at_sync + timedelta(
                seconds=self._monotonic() - self._mono_at_sync)
