"""The chunks of a large demo made in forked processes while the store writes the previous
ones (the generator is pure Python; the database's bulk path keeps one core busy)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from multiprocessing.pool import AsyncResult

from ..store import bulk
from . import generator

# Set in the parent just before forking the generator processes; read by them.
_FORKED: tuple[generator.Generator, int, bool] | None = None


def _forked_batch(number: int) -> bulk.Batch:
    assert _FORKED is not None
    gen, total, copy_text = _FORKED
    return bulk.prepare(gen.chunk(number, total), copy_text=copy_text)


def worker_count(chunks: int, *, parent_writes: bool = True) -> int:
    """Generator processes, at most 4: one per core when the parent only streams COPY text to
    PostgreSQL, one less when it also binds every row for SQLite (measured: on 2 cores one
    generator beats two there). None for small loads, where the platform cannot fork, or when
    the caller runs threads (forking a threaded process can deadlock)."""
    if (chunks < 4 or "fork" not in multiprocessing.get_all_start_methods()
            or threading.active_count() > 1):
        return 0
    return max(1, min(4, (os.cpu_count() or 1) - (1 if parent_writes else 0)))


def batches(gen: generator.Generator, total: int, *, copy_text: bool) -> Iterator[bulk.Batch]:
    """The chunks in order, ready for `bulk.load`; at most 2 chunks per process wait, so
    memory stays bounded."""
    global _FORKED
    chunks = -(-total // generator.CHUNK)
    workers = worker_count(chunks, parent_writes=not copy_text)
    if workers == 0:
        for number in range(chunks):
            yield bulk.prepare(gen.chunk(number, total), copy_text=copy_text)
        return
    _FORKED = (gen, total, copy_text)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            waiting: deque[AsyncResult[bulk.Batch]] = deque()
            submitted = 0
            while submitted < chunks or waiting:
                while submitted < chunks and len(waiting) < 2 * workers:
                    waiting.append(pool.apply_async(_forked_batch, (submitted,)))
                    submitted += 1
                yield waiting.popleft().get()
    finally:
        _FORKED = None
