"""The event stream, `GET /v1/events` (Server-Sent Events) for a signed-in staff session.

Within about a second a terminal learns that a request it may decide has arrived, that one it
made was decided, or that its session ended (signed out, an admin's lock, its lifetime) or
idle-locked (services/event_feed.py says who is told what).

One `EventHub` per server process polls the store every POLL_S seconds while at least one
terminal listens (and not at all otherwise): one batch of statements per process, whatever
the number of terminals. The feed is the audit trail, so it does not matter which server
process made the change: every process over one PostgreSQL store tells its own listeners.
Listening is not activity: the stream neither resets the idle lock nor writes the session's
last-seen time (deps.quiet_console).

A session holds at most MAX_STREAMS_PER_SESSION streams in a process (a terminal needs one):
one more is refused with RATE_LIMITED before it starts.

Wire format: `event: <kind>`, `id: <audit seq>`, `data: <JSON>`; `ready` first (reload your
lists), a comment every KEEPALIVE_S seconds; the stream ends after `session.ended` (and the
session's next call is refused with its code). A stream also ends after MAX_STREAM_S, so that
a server shutting down is never held by a stream for long; the client reconnects.

Resumable (the standard SSE way): every event carries `id:` (the audit trail's seq), and so do
`ready` and the keep-alives (an `id:` line with no data: the position this listener has been
told everything up to), so a client always knows where it stands. A reconnection with
`Last-Event-ID: N` is answered with `ready` (`"resumed": true`) and then, in order, what this
session may see of the trail after N (the same `notices_for` as the live events, for the
session's member as the store has it now: a resumed stream gives nothing its session may not
see), then the live events; nothing is lost or told twice across the reconnection. An id more
than REPLAY_MAX events behind the head (or ahead of it, or not a number) is not replayed:
`ready` says `"resumed": false` and the terminal reads its count and lists again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..domain.authority import Actor
from ..domain.errors import ConsoleError
from ..services import event_feed, sessions
from ..services.backend import Backend
from .deps import backend_of, bearer_token, quiet_console

log = logging.getLogger(__name__)

POLL_S = 0.5
KEEPALIVE_S = 15.0
MAX_STREAM_S = 300.0
SESSION_KINDS = frozenset({event_feed.SESSION_ENDED, event_feed.SESSION_LOCKED})
REPLAY_MAX = 10_000  # how far back (audit events) a reconnection is replayed
# Streams one session may hold open in a process. A terminal needs one; a few more cover
# reconnections whose dropped streams the server has not noticed yet (a lost network can
# take until a keep-alive fails). Beyond it, RATE_LIMITED: a token cannot pile up streams.
MAX_STREAMS_PER_SESSION = 8


@dataclass(eq=False)
class Listener:
    actor: Actor
    token_hash: str
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    locked: bool = False
    ended: bool = False


class EventHub:
    """The process's poller and its listeners (created on the first stream)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.listeners: set[Listener] = set()
        # Streams admitted but not yet listening (`admit`); weak, so that a response never
        # sent (its client gone first) lets its listener go without a `remove`.
        self.joining: weakref.WeakSet[Listener] = weakref.WeakSet()
        self.after: int | None = None
        self._task: asyncio.Task | None = None

    def admit(self, listener: Listener) -> None:
        """Count `listener` against its session's streams, or refuse it (RATE_LIMITED)."""
        token = listener.token_hash
        open_now = sum(1 for item in self.listeners if item.token_hash == token) + sum(
            1 for item in self.joining if item.token_hash == token)
        if open_now >= MAX_STREAMS_PER_SESSION:
            raise ConsoleError("RATE_LIMITED", f"this session has {open_now} event streams "
                               "open already; close one first")
        self.joining.add(listener)

    async def add(self, listener: Listener) -> int:
        """Listen from now on: every change after the position returned reaches `listener`
        (the starting point is read before the stream says `ready`).

        The position is read here only, never by the poller: two reads in flight (this one
        and a poller's) could end in either order, and the later one, set last, would skip
        what was written between them (SQLite's busy wait can hold a read back while other
        writers go ahead). The listener joins once the hub has a position, without waiting
        in between, so the next poll tells it everything after what is returned."""
        if self.after is None:
            head = await run_in_threadpool(event_feed.start_seq, self.backend)
            if self.after is None:  # another stream's read may have set it meanwhile: keep it
                self.after = head
        self.joining.discard(listener)
        self.listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self.after

    def remove(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        self.joining.discard(listener)

    async def _run(self) -> None:
        while True:
            if not self.listeners:
                self.after = None  # nobody listens: no reads; start from the head again
                await asyncio.sleep(POLL_S)
                continue
            try:
                await self._poll_once()
            except Exception:  # the store is down, say: the listeners keep waiting
                log.warning("event stream poll failed", exc_info=True)
            await asyncio.sleep(POLL_S)

    async def _poll_once(self) -> None:
        backend = self.backend
        if self.after is None:  # no listener has joined yet (`add` sets it first)
            return
        hashes = sorted({item.token_hash for item in self.listeners})
        batch = await run_in_threadpool(event_feed.poll, backend, self.after, hashes,
                                        clock=backend.clock)
        self.after = batch.head
        # Everyone listening now, a listener that came during the read too (its stream drops
        # what it has sent already, or replayed: `sent` in events_router).
        lifetime = _lifetime_h(backend)
        for item in list(self.listeners):
            tell(item, batch, checked=item.token_hash in hashes, lifetime_h=lifetime)


def tell(item: Listener, batch: event_feed.Batch, *, checked: bool = True,
         lifetime_h: float | None = None) -> None:
    """Queue what `item` is told of `batch`."""
    for notice in told(item, batch, checked=checked, lifetime_h=lifetime_h):
        item.queue.put_nowait(notice)


def _past_lifetime(state, batch: event_feed.Batch, hours: float | None) -> bool:
    """A session older than the policy's lifetime is over (its next call ends it, with its
    audit event: services/sessions.py); the stream says so now rather than at that call."""
    return (hours is not None and state.created_at is not None and batch.now is not None
            and batch.now - state.created_at >= timedelta(hours=hours))


def told(item: Listener, batch: event_feed.Batch, *, checked: bool = True,
         lifetime_h: float | None = None) -> list[event_feed.Notice]:
    """What `item` is told of `batch` (its session's state first, when `checked`)."""
    if item.ended:
        return []
    notices: list[event_feed.Notice] = []
    if checked:
        state = batch.sessions.get(item.token_hash)
        if state is None or state.ended_at is not None or state.member_blocked \
                or _past_lifetime(state, batch, lifetime_h):
            item.ended = True
            return [event_feed.Notice(event_feed.SESSION_ENDED, batch.head, {})]
        if state.locked_at is not None and not item.locked:
            item.locked = True
            notices.append(event_feed.Notice(event_feed.SESSION_LOCKED, batch.head, {}))
        elif state.locked_at is None:
            item.locked = False
    return notices + event_feed.notices_for(item.actor, batch)


def last_event_id(request: Request) -> int | None:
    """The client's `Last-Event-ID`, if it is a seq (anything else: not resumable)."""
    value = request.headers.get("last-event-id", "").strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None


def replay(backend: Backend, listener: Listener,
           after: int) -> tuple[int, list[event_feed.Notice] | None]:
    """What `listener` is told of the trail after `after`, up to the head now: (the head,
    the notices), or (head, None) when `after` is too far back or ahead to replay."""
    head = event_feed.start_seq(backend)
    if after > head or head - after > REPLAY_MAX:
        return head, None
    batch = event_feed.poll(backend, after, [listener.token_hash], clock=backend.clock)
    return batch.head, told(Listener(actor=listener.actor, token_hash=listener.token_hash),
                            batch, lifetime_h=_lifetime_h(backend))


def _lifetime_h(backend: Backend) -> float:
    """The policy's session lifetime as this process last read it (every session check reads
    it: services/sessions.py POLICY_FRESH_S)."""
    return float(backend.policy.session_hours)


def _frame(kind: str, seq: int | None, data: dict) -> bytes:
    head = f"event: {kind}\n" + (f"id: {seq}\n" if seq is not None else "")
    return (head + f"data: {json.dumps(data, ensure_ascii=False)}\n\n").encode("utf-8")


def _hub(request: Request) -> EventHub:
    hub = getattr(request.app.state, "event_hub", None)
    if hub is None:
        hub = request.app.state.event_hub = EventHub(backend_of(request))
    return hub


def events_router() -> APIRouter:
    router = APIRouter(tags=["events"])

    @router.get("/v1/events", summary="Server-Sent Events for the signed-in terminal",
                response_class=StreamingResponse)
    async def events(request: Request) -> StreamingResponse:
        console = await run_in_threadpool(quiet_console, request)  # refused: its code
        assert console.actor is not None  # a live session's console acts as its member
        listener = Listener(actor=console.actor, token_hash=sessions.token_hash(
            bearer_token(request)))
        hub = _hub(request)
        hub.admit(listener)  # before the response: a refusal is an answer with its code

        resume_from = last_event_id(request)

        async def stream() -> AsyncIterator[bytes]:
            ends = time.monotonic() + MAX_STREAM_S
            try:
                joined = await hub.add(listener)
                # Everything after the hub's position reaches the queue from now on; what
                # is replayed goes up to a head read now (>= that position): notices from the
                # queue at or below it were sent already.
                if resume_from is not None:
                    sent, notices = await run_in_threadpool(replay, hub.backend, listener,
                                                            resume_from)
                else:  # from the hub's position: the queue has everything after it
                    sent, notices = joined, None
                yield b"retry: 1000\n\n" + _frame(
                    "ready", resume_from if notices is not None else sent,
                    {"employee_no": listener.actor.employee_no,
                     "resumed": notices is not None})
                if notices is not None:
                    for notice in notices:
                        yield _frame(notice.kind, notice.seq, notice.data)
                        if notice.kind == event_feed.SESSION_ENDED:
                            return
                    yield f"id: {sent}\n\n".encode()  # replayed up to here
                while (left := ends - time.monotonic()) > 0:
                    try:
                        notice = await asyncio.wait_for(listener.queue.get(),
                                                        timeout=min(KEEPALIVE_S, left))
                    except TimeoutError:
                        # Told everything up to the hub's position, when nothing waits in the
                        # queue (a poll may have filled it as the wait ran out: its notices
                        # would otherwise pass for replayed already).
                        if listener.queue.empty():
                            sent = max(sent, hub.after or 0)
                        yield f": keepalive\nid: {sent}\n\n".encode()
                        continue
                    if notice.kind not in SESSION_KINDS:
                        if notice.seq <= sent:
                            continue  # replayed already
                        sent = notice.seq
                    yield _frame(notice.kind, None if notice.kind in SESSION_KINDS
                                 else notice.seq, notice.data)
                    if notice.kind == event_feed.SESSION_ENDED:
                        return
                if listener.queue.empty():  # where the next stream resumes
                    yield f"id: {max(sent, hub.after or 0)}\n\n".encode()
            finally:
                hub.remove(listener)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    return router
