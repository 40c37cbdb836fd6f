"""Chaining the audit outbox in the background, for a process with many use cases a second.

Why (PostgreSQL): sealing right after every commit (store/audit_postgres.py) costs each use case
a second transaction of four round trips and a synchronous commit, and under load the seals are
small: in the load benchmark two use cases in three ran a seal of under two events, and the
seals were more than half of the database's CPU. Here the use case commits durably by itself
and returns; this process's sealer thread wakes, lingers a few milliseconds so that more events
(its own and other terminals') are waiting, checks whether another terminal's seal already took
its events (one cheap query), and if not seals everything waiting in one batch; if another
terminal is sealing at that moment it does not queue behind it but looks again after the next
linger. One seal then serves many use cases of many terminals.

What it changes for readers: an event is in the chain a few milliseconds after its use case
returned, not before. Everything that reads the trail (`services.audit_trail`) seals first
(`Store.flush_audit`), so a reader sees every event committed before it started, chained.
Until then the events are committed rows of `audit_outbox`, as they were between commit and
seal before. If the process dies first, the next seal of any terminal (or reader) chains them.

A seal that fails (the store went away) leaves the events where they are; the sealer tries
again at its next wake-up and `close` tries once more; nothing is lost either way.

The linger adapts to the fleet. A sealer whose events another terminal's seal already took,
or that found another seal at work, doubles its linger (up to `MAX_LINGER_FACTOR` times the
base); one that chained events itself goes back to the base. A terminal working alone keeps
the short linger; with many terminals most of them look less often, because one seal serves
everyone waiting. Measured in the load benchmark (16 terminals): with a fixed 50 ms linger the
sealers made 0.57 attempts per use case, 85% of them wasted (events already taken, or
another seal at work), about 1.7 round trips per use case; see docs/postgresql.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

DEFAULT_LINGER_S = 0.05
MAX_LINGER_FACTOR = 8  # a backed-off sealer looks every 0.4 s at the default linger
# Set on the use case's connection (`Connection.info`) by the PostgreSQL strategy's `append`
# when it put events in the outbox (their outbox ids): after the commit, `Store.run` must see
# them sealed before it reports success.
NEEDS_SEAL = "audit_needs_seal"
# Set on the connection by `Store.run` when its events are chained in the background (after
# `Store.run` returns): the use case's own commit must then be durable by itself.
SEAL_LATER = "audit_seal_later"

BUSY = -1  # what `seal` returns when another seal holds the chain's head


class BackgroundSealer:
    """One per Store. `notify(ids)` after a commit that put events `ids` in the outbox."""

    def __init__(self, seal: Callable[[list[int]], int], *, linger: float = DEFAULT_LINGER_S):
        self._seal = seal  # seals everything waiting; given ids, first checks they still wait
        self._base_linger = linger
        self._linger = linger  # the current one: between the base and MAX_LINGER_FACTOR times it
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._waiting: list[int] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        # Set while the thread lingers before a seal, past its last look at `close` (for a
        # caller that must know a seal is coming, such as a test of `close`).
        self.lingering = threading.Event()

    def notify(self, ids: list[int]) -> None:
        with self._lock:
            self._waiting.extend(ids)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="audit-sealer",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._closed:
                return
            # Let more events gather: one seal for all of them.
            self.lingering.set()
            threading.Event().wait(self._linger)
            self.lingering.clear()
            with self._lock:
                # Under the lock, so that a `close` meanwhile is not forgotten: its wake-up
                # must stay set for the next look at `_closed`.
                if not self._closed:
                    self._wake.clear()
                mine, self._waiting = self._waiting, []
            if not mine:
                continue
            try:
                sealed = self._seal(mine)
                if sealed == BUSY:
                    # Another terminal is sealing; it may or may not take ours (its snapshot
                    # may predate our commit). Look again after the next linger.
                    with self._lock:
                        self._waiting[:0] = mine
                    self._wake.set()
                self._adapt_linger(sealed)
            except Exception as exc:  # noqa: BLE001 - the events wait in the outbox; retry
                log.warning("audit seal failed, events wait in the outbox: %s",
                            type(exc).__name__)
                with self._lock:
                    self._waiting[:0] = mine
                threading.Event().wait(min(1.0, self._linger * 50))
                self._wake.set()

    def _adapt_linger(self, sealed: int) -> None:
        """Back off while other terminals' seals do the work (they took our events, or one was
        at work); back to the base linger once this one chains events itself."""
        if sealed > 0:
            self._linger = self._base_linger
        else:
            self._linger = min(self._linger * 2, self._base_linger * MAX_LINGER_FACTOR)

    @property
    def linger(self) -> float:
        return self._linger

    def close(self) -> None:
        """Stop the thread (the caller then seals what is left)."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._wake.set()
        if thread is not None:
            thread.join(timeout=10)
