"""The live 결재함 (issue 15 item 6): on every screen of a manager or an active delegate, the
number of requests they may decide now, updated within 2 s of a new request or of a decision by
someone else, with a notification; the maker is told when their request is decided.

The facade's `watch` (staff_console.api.Console) tells what happens, on a thread of its own:
in client mode the console server's event stream (api/events.py; nothing polls the server, and
the stream is not the person's activity, so the server's idle lock holds); in embedded mode a
thread that looks at the store's data version every half second (services/live.py). Its events
come here as `LiveEvent` messages posted to the app (Textual's `post_message` is thread-safe);
each carries the generation of the watch that sent it, so an event still on its way after a
sign-out or a lock is dropped: nothing of the previous person reaches the next one.

On `ready` (the watch started, or came back after an outage without resuming),
`request.arrived`, `request.closed` and `delegation.changed` (a delegation to this person
granted or ended; again when its window opens or closes later) the count is read again
(`count_approvals`: a number, no customer data, not an access event; on the server not the
person's activity either) into `app.pending_count` (None for a person who decides nothing
now), and every mounted SessionBar is refreshed; an open 결재함 reloads its lists. A
`request.decided` tells the maker the outcome. A `ready` that says `resumed` (the stream
reconnected where it was: the server replays the gap as events) reads nothing again.

The watch runs while a person is signed in and the console is not locked: `start` at sign-in
and after an unlock, `stop` at the lock, at sign-out and when the app exits.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from textual.message import Message

from ..i18n import t

if TYPE_CHECKING:
    from ..api import Watch
    from ..api.events import Event
    from ..app import StaffConsoleApp

log = logging.getLogger(__name__)

WINDOW_TIMER_MAX_S = 24 * 3600.0  # a window edge further away: the count at the next unlock

DELEGATION = "delegation.changed"  # services/event_feed.py: granted to this person, or ended
RECOUNT = frozenset({"ready", "request.arrived", "request.closed", DELEGATION})
RELOAD = frozenset({"request.arrived", "request.closed", "request.decided", DELEGATION})
# The server ended the session (signed out elsewhere, an admin's lock, its lifetime): the
# terminal signs its person out with the vocabulary's own reason (services/sessions.py
# SIGN_OUT_REASONS); the server recorded the end where it happened.
ENDED_REASON = "sign_out"


class LiveEvent(Message):
    """An event of the watch (from its thread)."""

    def __init__(self, generation: int, event: Event) -> None:
        super().__init__()
        self.generation = generation
        self.event = event


class PendingCounted(Message):
    """The count read again (from a worker thread); `count` None: this person decides nothing
    now."""

    def __init__(self, generation: int, count: int | None) -> None:
        super().__init__()
        self.generation = generation
        self.count = count


class LiveApprovals:
    """The app's one watch and what it does with the events (UI thread, except `_deliver`)."""

    def __init__(self, app: StaffConsoleApp) -> None:
        self.app = app
        self.generation = 0
        self._watch: Watch | None = None
        self._arrived: Counter[str] = Counter()  # kind -> arrivals since the last count
        self._counting = False
        self._count_again = False
        self._down = False  # the watch said `disconnected`: say when it is back
        self._first_ready = True
        self._changed_only = False  # reload the open list after this count if it moved
        self._delegated = False  # a delegation changed: say the new total if it grew

    @property
    def watch(self) -> Watch | None:
        return self._watch

    @property
    def running(self) -> bool:
        return self._watch is not None and self._watch.running

    # -- start and stop -----------------------------------------------------------------------
    def start(self) -> None:
        """For the signed-in person, from now on (again after an unlock)."""
        self.stop()
        self.generation += 1
        generation = self.generation
        self._first_ready = True
        try:
            self._watch = self.app.api.watch(lambda event: self._deliver(generation, event))
        except Exception:  # noqa: BLE001 - the console works without it; say why in the log
            log.warning("live approvals not started", exc_info=True)
            self._watch = None

    def stop(self, *, wait: float = 0) -> None:
        """No event of the current watch is handled after this; its thread ends by itself
        (by default without waiting for it: the UI thread does not block on a thread that may
        be reading the store or the network; the app's exit waits up to `wait` s)."""
        self.generation += 1
        watch, self._watch = self._watch, None
        self._arrived.clear()
        self._count_again = False
        self._down = False
        self._changed_only = False
        self._delegated = False
        if watch is not None:
            try:
                watch.stop(timeout=wait)
            except Exception:  # noqa: BLE001 - stopping must not fail a sign-out
                log.warning("live approvals did not stop cleanly", exc_info=True)

    def _deliver(self, generation: int, event: Event) -> None:
        """On the watch's thread."""
        if generation == self.generation:
            self.app.post_message(LiveEvent(generation, event))

    def _current(self, generation: int) -> bool:
        app = self.app
        return (generation == self.generation and app.session is not None
                and not app.locked)

    # -- events -------------------------------------------------------------------------------
    def on_event(self, message: LiveEvent) -> None:
        if not self._current(message.generation):
            return
        event = message.event
        kind = event.kind
        if kind == "disconnected":
            if not self._down:
                self._down = True
                self.app.notify(t("live.disconnected"), severity="warning", timeout=8)
            return
        if kind == "session.locked":  # the server's idle lock: lock this console too
            self.app.lock(idle=True)
            return
        if kind == "session.ended":  # signed out elsewhere, an admin's lock, its lifetime
            code = str(event.data.get("code") or "SESSION_ENDED")
            self.app.sign_out(reason=ENDED_REASON)
            self.app.notify(t("live.session_ended", code=code), severity="warning",
                            timeout=10)
            return
        if kind == "ready" and event.data.get("resumed") and not self._first_ready:
            # A stream that resumed where it was (Last-Event-ID): what happened meanwhile
            # follows as events of its own; nothing to read again.
            if self._down:
                self._down = False
                self.app.notify(t("live.reconnected"), timeout=4)
            return
        if kind == "ready":
            # Back after an outage: what was missed is read again. A stream also reconnects
            # every few minutes by design (server/events.py MAX_STREAM_S): then the open list
            # is read again only if the count moved meanwhile (a list is the person's call on
            # the server, the count is not).
            reload = self._down
            self._changed_only = not self._down and not self._first_ready
            if self._down:
                self._down = False
                self.app.notify(t("live.reconnected"), timeout=4)
            self._first_ready = False
        else:
            reload = kind in RELOAD
        if kind == "request.arrived":
            self._arrived[str(event.data.get("kind") or "")] += 1
        elif kind == "request.decided":
            self._tell_maker(event.data)
        elif kind == DELEGATION:
            self._delegated = True
            self._at_window_edges(event.data)
        if kind in RECOUNT:
            self.recount()
        if reload:
            self._reload_approvals()

    def _at_window_edges(self, data: dict[str, Any]) -> None:
        """A delegation granted for later (or until a time): read the count again when its
        window opens and when it closes (the server's seconds from its own clock)."""
        generation = self.generation
        for key in ("opens_in_s", "closes_in_s"):
            try:
                delay = float(data.get(key) or 0)
            except (TypeError, ValueError):
                continue
            if 0 < delay <= WINDOW_TIMER_MAX_S:
                self.app.set_timer(delay + 0.5, lambda: self._edge(generation),
                                   name=f"live-{key}")

    def _edge(self, generation: int) -> None:
        if self._current(generation):
            self._delegated = True
            self.recount()
            self._reload_approvals()

    def _tell_maker(self, data: dict[str, Any]) -> None:
        from ..widgets import format as fmt

        status = str(data.get("status") or "")
        if status == "withdrawn":  # only the maker withdraws: they know
            return
        self.app.notify(t("live.decided", id=data.get("request_id", "?"),
                          kind=fmt.kind(str(data.get("kind") or "")),
                          status=fmt.request_status(status)),
                        title=t("nav.approvals.title"),
                        severity="warning" if status != "approved" else "information",
                        timeout=10)

    # -- the count ----------------------------------------------------------------------------
    def recount(self) -> None:
        """Read the count again (one call at a time; a change during the call reads it once
        more afterwards)."""
        if self._counting:
            self._count_again = True
            return
        self._counting = True
        generation = self.generation

        def count() -> None:
            try:
                value = self.app.api.count_approvals()
            except Exception:  # noqa: BLE001 - the bar keeps its last count; a refusal shows
                log.warning("pending count not read", exc_info=True)  # on the next call
                self.app.post_message(PendingCounted(-1, None))
                return
            self.app.post_message(PendingCounted(generation, value))

        self.app.run_worker(count, name="live-count", group="live-count", thread=True,
                            exit_on_error=False)

    def on_counted(self, message: PendingCounted) -> None:
        self._counting = False
        if self._count_again:
            self._count_again = False
            self.recount()
        if not self._current(message.generation):
            return
        app = self.app
        before, after = app.pending_count, message.count
        app.pending_count = after
        arrived, self._arrived = self._arrived, Counter()
        delegated, self._delegated = self._delegated, False  # None -> N: newly a delegate
        if self._changed_only:
            self._changed_only = False
            if before != after:
                self._reload_approvals()
        if after is not None and arrived:
            from ..widgets import format as fmt

            for kind, n in sorted(arrived.items()):
                app.notify(t("live.arrived", kind=fmt.kind(kind), count=n),
                           title=t("nav.approvals.title"), timeout=8)
        elif after is not None and (before is not None or delegated) and after > (before or 0):
            app.notify(t("live.pending", count=after), title=t("nav.approvals.title"),
                       timeout=8)
        self.refresh_bars()

    def clear(self) -> None:
        """Forget the count (sign-out): the next person starts from nothing."""
        self.stop()
        self.app.pending_count = None
        self._counting = False

    # -- the screens --------------------------------------------------------------------------
    def _screens(self) -> list:
        stacks = getattr(self.app, "_screen_stacks", None)
        if not stacks:
            return list(self.app.screen_stack)
        return [screen for stack in stacks.values() for screen in stack]

    def refresh_bars(self) -> None:
        from ..widgets.session_bar import SessionBar

        for screen in self._screens():
            for bar in screen.query(SessionBar):
                bar.refresh_bar()

    def _reload_approvals(self) -> None:
        from .approvals import ApprovalsScreen

        for screen in self._screens():
            if isinstance(screen, ApprovalsScreen):
                screen.live_changed()

