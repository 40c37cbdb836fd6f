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

Wire format: `event: <kind>`, `id: <audit seq>`, `data: <JSON>`; `ready` first (reload your
lists), a comment every KEEPALIVE_S seconds; the stream ends after `session.ended` (and the
session's next call is refused with its code). A stream also ends after MAX_STREAM_S, so that
a server shutting down is never held by a stream for long; the client reconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..domain.authority import Actor
from ..services import event_feed, sessions
from ..services.backend import Backend
from .deps import backend_of, bearer_token, quiet_console

log = logging.getLogger(__name__)

POLL_S = 0.5
KEEPALIVE_S = 15.0
MAX_STREAM_S = 300.0


@dataclass(eq=False)
class Listener:
    actor: Actor
    token_hash: str
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    locked: bool = False


class EventHub:
    """The process's poller and its listeners (created on the first stream)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.listeners: set[Listener] = set()
        self.after: int | None = None
        self._task: asyncio.Task | None = None

    async def add(self, listener: Listener) -> None:
        """Listen from now on: when this returns, every later change reaches `listener` (the
        starting point is read before the stream says `ready`)."""
        self.listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        if self.after is None:
            head = await run_in_threadpool(event_feed.start_seq, self.backend)
            if self.after is None:  # the poller may have started meanwhile: keep its
                self.after = head

    def remove(self, listener: Listener) -> None:
        self.listeners.discard(listener)

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
        if self.after is None:
            self.after = await run_in_threadpool(event_feed.start_seq, backend)
            return
        listeners = list(self.listeners)
        hashes = sorted({item.token_hash for item in listeners})
        batch = await run_in_threadpool(event_feed.poll, backend, self.after, hashes,
                                        clock=backend.clock)
        self.after = batch.head
        for item in listeners:
            state = batch.sessions.get(item.token_hash)
            if state is None or state.ended_at is not None or state.member_blocked:
                item.queue.put_nowait(event_feed.Notice(event_feed.SESSION_ENDED, batch.head, {}))
                continue
            if state.locked_at is not None and not item.locked:
                item.locked = True
                item.queue.put_nowait(event_feed.Notice(event_feed.SESSION_LOCKED, batch.head, {}))
            elif state.locked_at is None:
                item.locked = False
            for notice in event_feed.notices_for(item.actor, batch):
                item.queue.put_nowait(notice)


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

        async def stream() -> AsyncIterator[bytes]:
            ends = time.monotonic() + MAX_STREAM_S
            try:
                await hub.add(listener)
                yield b"retry: 1000\n\n" + _frame("ready", None, {
                    "employee_no": listener.actor.employee_no})
                while (left := ends - time.monotonic()) > 0:
                    try:
                        notice = await asyncio.wait_for(listener.queue.get(),
                                                        timeout=min(KEEPALIVE_S, left))
                    except TimeoutError:
                        yield b": keepalive\n\n"
                        continue
                    yield _frame(notice.kind, notice.seq, notice.data)
                    if notice.kind == event_feed.SESSION_ENDED:
                        return
            finally:
                hub.remove(listener)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    return router
