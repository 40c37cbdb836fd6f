"""The server's limits on what one request may cost it: the request body, before any route
reads it (a body larger than MAX_BODY_BYTES, by its Content-Length or counted as it streams in,
answers 413 PAYLOAD_TOO_LARGE), and password verifications (`VerificationGate`)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..domain.errors import ConsoleError

MAX_BODY_BYTES = 1 << 20  # 1 MiB: a console call's arguments are a few hundred bytes
# An import sends its file in the request: the largest file a branch imports in one go.
LARGE_BODY_PATHS = {"/v1/staff/import_customers": 64 << 20}


class _TooLarge(Exception):
    pass


def _refusal(limit: int) -> tuple[dict, dict]:
    body = json.dumps({"code": "PAYLOAD_TOO_LARGE",
                       "message": f"the request body is larger than {limit} bytes",
                       "field": "body"}).encode()
    start = {"type": "http.response.start", "status": 413,
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    return start, {"type": "http.response.body", "body": body}


def limit_of(scope) -> int:
    """The largest body this request may send."""
    return LARGE_BODY_PATHS.get(scope.get("path", ""), MAX_BODY_BYTES)


def declared_over(scope, limit: int) -> bool:
    """Whether a Content-Length says more than `limit` (or is not a number)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = limit + 1
            if declared > limit:
                return True
    return False


async def refuse(send, limit: int) -> None:
    """The 413 PAYLOAD_TOO_LARGE answer."""
    start, body = _refusal(limit)
    await send(start)
    await send(body)


class BodyLimit:
    """Pure ASGI middleware (no buffering of its own). The staff and channel calls answered in
    front of FastAPI (server/app.py) apply the same two checks themselves: `declared_over`
    before they read, `limit_of` while they read."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_of(scope)
        if declared_over(scope, limit):
            await refuse(send, limit)
            return
        seen = 0
        started = False

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await refuse(send, limit)


# A sign-in or an unlock costs the server one argon2 verification: ~0.2 s of a core and the
# hash's memory (64 MiB at the floor's cost). Each request runs on a thread of the pool (40), so
# a flood of sign-ins from one terminal ran 40 at once per process (2.5 GiB at that cost) and
# held every thread, leaving none for the other terminals' calls. The gate lets half the cores
# verify at once; a few more sign-ins wait on the event loop (holding no thread); the rest are
# refused at once, RATE_LIMITED, and the terminal tries again.
WAITING_VERIFICATIONS = 32


def verification_slots() -> int:
    """Verifications one process runs at once: half the cores it may run on, at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 2
    return max(1, cores // 2)


class VerificationGate:
    """At most `slots` password verifications at once in this process, `waiting` more queued
    for a slot, and a refusal for any beyond (per process: `serve --workers N` has N gates)."""

    def __init__(self, slots: int, waiting: int = WAITING_VERIFICATIONS) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._room = slots + waiting
        self.inside = 0  # verifying or waiting to

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        if self.inside >= self._room:
            raise ConsoleError("RATE_LIMITED", "too many sign-ins at once on this server; "
                               "try again in a moment")
        self.inside += 1
        try:
            async with self._slots:
                yield
        finally:
            self.inside -= 1
