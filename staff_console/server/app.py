"""The console server's ASGI application: `create_app(settings)`.

The only part of the system that holds the store URL and the master key: the lifespan opens
the backend ONCE per process (services.backend.open_backend: the schema, the key and the clock
checked as for an embedded terminal, so a fixed clock on a real store is refused here too) and
every request works on it. Sessions live in the store, so any number of these processes over
one PostgreSQL store serve the same terminals.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..domain.clock import Clock, FixedClock, parse_instant
from ..services.backend import open_backend
from ..settings import Settings, load_settings
from . import DEFAULT_THREADS, channel_calls, errors, limits, routes_staff, staff_calls
from .channel_calls import ChannelCalls
from .events import events_router
from .health import health_router
from .limits import BodyLimit
from .routes_channel import channel_limiter, channel_router
from .workers import LONG_THREADS, Lanes, threads_from_environment

log = logging.getLogger(__name__)

# The fixed clock a `serve --now` asked for, handed to the worker processes (training stores).
NOW_VARIABLE = "STAFF_CONSOLE_SERVER_NOW"


def create_app(settings: Settings, *, clock: Clock | None = None,
               threads: int = DEFAULT_THREADS) -> FastAPI:
    """`threads`: staff and channel calls at once in this process (server/workers.py)."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A connection for each call at once, each long call, and the rest (sign-ins, the
        # sealer, exports and the routes on FastAPI's threads): no connection opened and closed
        # per call under load (the pool's overflow is closed when it is handed back).
        pool_size = max(10, threads + LONG_THREADS + 4)
        backend = open_backend(settings, clock=clock, pool_size=pool_size, background_seal=True)
        app.state.backend = backend
        log.info("console server ready (store %s, %s)", backend.store.dialect,
                 "training" if backend.training else "real")
        try:
            yield
        finally:
            backend.store.dispose()

    app = ConsoleServer(title="staff-console server", version="1", lifespan=lifespan,
                        docs_url=None, redoc_url=None)
    errors.install(app)
    app.state.verifications = limits.VerificationGate(limits.verification_slots())
    routes_staff.install(app)
    limiter = channel_limiter()  # one per process: the routes and ChannelCalls share it
    app.include_router(channel_router(limiter))
    app.include_router(events_router())
    app.include_router(health_router())
    # Every other request: BodyLimit counts its body first, inside FastAPI's error layers.
    app.add_middleware(BodyLimit)
    # The generic staff calls and the channel calls skip the router and FastAPI's own layers
    # (server/staff_calls.py, channel_calls.py; each answers its own failures), with
    # BodyLimit's checks (ConsoleServer.__call__).
    # Their worker threads (server/workers.py): ChannelCalls holds them for both.
    app.channel_calls = ChannelCalls(_unreachable, limiter=limiter, lanes=Lanes.of(threads))
    return app


async def _unreachable(scope, receive, send) -> None:
    raise AssertionError(f"not a fast call: {scope.get('path')}")


class ConsoleServer(FastAPI):
    """FastAPI with the staff and channel calls answered before it: they pass none of its
    layers (the telemetry check, the error page, body size, exceptions, the exit stack, the
    router), each a wrapper of every request's receive or send (docs/decisions.md, "The
    server's cost per call"). BodyLimit's checks are theirs too: a declared Content-Length
    over the limit is refused here, a body streaming past it where it is read. Everything
    else goes through the whole stack as before."""

    channel_calls: ChannelCalls | None = None  # create_app's (with the process's rate limiter)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and self.channel_calls is not None:
            parts = None
            if staff_calls.answers(scope) or (parts := channel_calls.call_parts(scope)):
                if self.root_path:  # as FastAPI.__call__
                    scope["root_path"] = self.root_path
                scope["app"] = self
                limit = limits.limit_of(scope)
                if limits.declared_over(scope, limit):
                    await limits.refuse(send, limit)
                elif parts is None:
                    await staff_calls.serve(scope, receive, send, self.channel_calls.lanes)
                else:
                    await self.channel_calls.serve(scope, receive, send, parts)
                return
        await super().__call__(scope, receive, send)


def from_environment() -> FastAPI:
    """The app of a worker process started by `staff-console serve` (uvicorn's factory): the
    settings from the environment and config.toml, as the parent read them."""
    from ..logs import configure

    settings = load_settings()
    configure(settings.home, settings.log_level)
    now = os.environ.get(NOW_VARIABLE)
    return create_app(settings, clock=FixedClock(parse_instant(now)) if now else None,
                      threads=threads_from_environment())
