"""The worker threads of the staff and channel calls (staff_calls.py, channel_calls.py): one
hand-off from the event loop per call, lighter than anyio's `to_thread.run_sync`.

anyio's hand-off takes a capacity token (checkpoints, each a turn of the event loop), opens a
shielded cancel scope, copies the context and goes through `queue.Queue` (a Condition per put
and get); measured on this machine about 50 us of CPU per call, against about 30 us for this
one (a C `SimpleQueue`, the answer handed back with `call_soon_threadsafe`). A call's work is
store work that must not be abandoned half way: as with anyio's default, once handed off it
runs to its end, and a cancelled request (the server's shutdown) waits for it before the
cancellation goes on. Nothing the calls run reads a context variable (the CLI's are the only
ones), so no context is copied.

How many calls run at once is bounded per process (`serve --threads`, default 4), the rest wait
in line: a process has one interpreter lock, so sixteen calls in sixteen threads do not finish
sooner than four, they take turns and each takes longer, and more threads than the store's
pool open and close database connections. Measured at 16 terminals (bench_server.py, three
interleaved rounds): 40 threads gave p95 58-63 ms at 469-496 ops/s, 4 threads 46-51 ms at
536-590 (docs/decisions.md, "Calls in line, not all at once"). The calls that may take
seconds (LONG_CALLS: the whole chain's check, the expiry sweep) have their own lane of two, so
they never hold a teller's turn.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any, TypeVar

from ..domain.errors import ConsoleError
from . import DEFAULT_THREADS, THREADS_BOUNDS, THREADS_VARIABLE

T = TypeVar("T")

LONG_THREADS = 2  # the long calls' own lane
IDLE_SECONDS = 10.0  # as anyio's worker threads: a thread idle this long ends


class Workers:
    """Daemon threads started as calls need them, at most `most`; the rest queue. A thread
    idle for `idle_seconds` ends (a burst's threads do not stay for the process's life)."""

    def __init__(self, most: int = DEFAULT_THREADS, name: str = "console-call",
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self._jobs: SimpleQueue[tuple | None] = SimpleQueue()
        self._most = most
        self._name = name
        self._idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0  # threads between jobs (each takes one job off the queue next)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker thread: its result, or its exception."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._idle:
                self._idle -= 1
            elif self._threads < self._most:
                self._threads += 1
                threading.Thread(target=self._serve, name=f"{self._name}-{self._threads}",
                                 daemon=True).start()
        self._jobs.put((loop, done, fn, args))
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            while not done.done():  # handed off: it runs to its end; wait for it
                try:
                    await asyncio.wait((done,))
                except asyncio.CancelledError:
                    pass
            raise

    @property
    def threads(self) -> int:
        """The worker threads alive now."""
        return self._threads

    def _serve(self) -> None:
        jobs = self._jobs
        while True:
            try:
                job = jobs.get(timeout=self._idle_seconds)
            except Empty:
                with self._lock:
                    # Idle threads outnumber the calls handed to them: this one may end.
                    # (None idle: a call has claimed the waiting threads, this one may be its.)
                    if self._idle:
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue
            if job is None:
                return
            loop, done, fn, args = job
            try:
                result = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                loop.call_soon_threadsafe(_fail, done, exc)
            else:
                loop.call_soon_threadsafe(_succeed, done, result)
            del job, done, fn, args  # nothing of the call kept while idle
            with self._lock:
                self._idle += 1


@dataclass(frozen=True)
class Lanes:
    """A server process's worker threads: `calls` for the staff and channel calls, `long` for
    the staff calls that may take seconds (routes_staff.LONG_CALLS)."""

    calls: Workers
    long: Workers

    @classmethod
    def of(cls, threads: int = DEFAULT_THREADS) -> Lanes:
        return cls(Workers(threads, name="console-call"),
                   Workers(LONG_THREADS, name="console-long-call"))


def threads_from_environment() -> int:
    """`serve --threads` as handed to a worker process; INVALID_SETTING if it is not a whole
    number within THREADS_BOUNDS (someone starting the factory by hand)."""
    text = os.environ.get(THREADS_VARIABLE)
    if text is None:
        return DEFAULT_THREADS
    low, high = THREADS_BOUNDS
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        raise ConsoleError("INVALID_SETTING", f"{THREADS_VARIABLE}: must be a whole number "
                           f"from {low} to {high}", field="threads")
    return int(text)


def _succeed(done: asyncio.Future, result: Any) -> None:
    if not done.done():
        done.set_result(result)


def _fail(done: asyncio.Future, exc: BaseException) -> None:
    if not done.done():
        done.set_exception(exc)
