"""server/workers.py: the staff and channel calls' hand-off to worker threads."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from staff_console.server.workers import Workers


def test_the_result_and_the_exception_come_back_from_a_worker_thread():
    workers = Workers(most=2)

    async def main():
        loop_thread = threading.get_ident()
        assert await workers.run(threading.get_ident) != loop_thread
        assert await workers.run(lambda a, b: a + b, 2, 3) == 5
        with pytest.raises(ZeroDivisionError):
            await workers.run(lambda: 1 / 0)

    asyncio.run(main())


def test_at_most_most_threads_and_the_rest_queue():
    workers = Workers(most=2)
    running, peak = [0], [0]
    lock = threading.Lock()

    def job(i: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return i

    async def main():
        return await asyncio.gather(*(workers.run(job, i) for i in range(8)))

    assert asyncio.run(main()) == list(range(8))
    assert peak[0] == 2
    assert workers._threads == 2


def test_a_cancelled_call_waits_for_its_work_to_end():
    workers = Workers(most=1)
    started, ended = threading.Event(), threading.Event()

    def work() -> None:
        started.set()
        time.sleep(0.2)
        ended.set()

    async def main():
        task = asyncio.create_task(workers.run(work))
        while not started.is_set():
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return ended.is_set()

    assert asyncio.run(main())  # the work ended before the cancellation went on


def test_idle_threads_end_and_new_calls_start_new_ones():
    """A burst's threads end once idle (as anyio's do), so a process does not keep them all
    its life (a forked demo load refuses to fork a threaded process); calls after that, and
    calls racing an ending thread, are all answered."""
    workers = Workers(most=4, name="idle-test", idle_seconds=0.2)

    def named() -> str:
        time.sleep(0.05)
        return threading.current_thread().name

    def alive() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name.startswith("idle-test")]

    async def burst(n: int) -> list[str]:
        return await asyncio.gather(*(workers.run(named) for _ in range(n)))

    assert len(set(asyncio.run(burst(4)))) == 4
    deadline = time.monotonic() + 5
    while (alive() or workers.threads) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive() == [] and workers.threads == 0
    for pause in (0.0, 0.19, 0.2, 0.21):  # around the idle limit
        assert len(asyncio.run(burst(3))) == 3
        time.sleep(pause)
    assert workers.threads <= 4
