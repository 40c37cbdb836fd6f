"""The embedded console's watch (the live 결재함, issue 15.6): what a console server's event
stream tells a terminal (server/events.py), told by a thread of this process over the store.

Every POLL_S seconds the thread asks the store's change probe (store/watch.py: SQLite's data
version, a statement-free look; on PostgreSQL always "maybe") and, only when something may have
been committed, reads the event feed after its last position (services/event_feed.py `poll`)
and hands `on_notice` what this member is told (`notices_for`): a request they may decide
arrived (`request.arrived`), one they made was decided (`request.decided`), one they could
decide is no longer pending (`request.closed`), a delegation to them was granted or ended
(`delegation.changed`). `ready` comes first (reload your lists); `disconnected` once per
outage, then `ready` with `resumed` and the events of the gap (after more than REPLAY_MAX
events a plain `ready`: reload). No customer data, no audit event: the terminal reads the
requests through its own (audited) calls.

`on_notice` runs on the watcher's thread (a UI hands it to its own thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..domain.authority import Actor
from ..store import watch
from . import event_feed
from .backend import Backend

log = logging.getLogger(__name__)

POLL_S = 0.5
REPLAY_MAX = 10_000  # a longer outage: `ready` without a replay (read everything again)
READY = "ready"
DISCONNECTED = "disconnected"


class FeedWatcher:
    """One member's watch over `backend`: `start()`, then `stop()` (joins the thread)."""

    def __init__(self, backend: Backend, actor: Actor,
                 on_notice: Callable[[event_feed.Notice], None], *,
                 interval: float = POLL_S) -> None:
        self.backend = backend
        self.actor = actor
        self._on_notice = on_notice
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-watch", daemon=True)

    def start(self) -> FeedWatcher:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        probe: watch.ChangeProbe | None = None
        after: int | None = None  # None: (re)start, then say `ready`
        resume: int | None = None  # where the watch was when the store went away
        up = True
        try:
            while not self._stop.is_set():
                try:
                    if probe is None:
                        probe = watch.change_probe(self.backend.store)
                    if after is None:
                        head = event_feed.start_seq(self.backend)
                        up = True
                        if resume is not None and 0 <= head - resume <= REPLAY_MAX:
                            # Back where it was: what happened meanwhile follows as events
                            # (as the server's stream resumes at its Last-Event-ID).
                            self._emit(event_feed.Notice(READY, resume, {"resumed": True}))
                            after, resume = self._poll(resume), None
                        else:
                            resume = None
                            after = head
                            self._emit(event_feed.Notice(READY, after, {}))
                    elif probe.changed():
                        after = self._poll(after)
                except Exception:  # the store is away (or the file): say so once, retry
                    if up:
                        up = False
                        log.warning("store watch failed; retrying", exc_info=True)
                        self._emit(event_feed.Notice(DISCONNECTED, after or 0, {}))
                    if after is not None:
                        resume = after
                    after = None  # `ready` again, and the gap replayed from `resume`
                    if probe is not None:
                        probe.close()
                        probe = None
                self._stop.wait(self._interval)
        finally:
            if probe is not None:
                probe.close()

    def _poll(self, after: int) -> int:
        batch = event_feed.poll(self.backend, after, [], clock=self.backend.clock)
        for notice in event_feed.notices_for(self.actor, batch):
            if self._stop.is_set():
                break
            self._emit(notice)
        return batch.head

    def _emit(self, notice: event_feed.Notice) -> None:
        if self._stop.is_set():
            return
        try:
            self._on_notice(notice)
        except Exception:  # the callback's failure must not end the watch
            log.exception("watch callback failed on %s", notice.kind)
