"""The event hub's starting position (server/events.py EventHub), over a fake feed: a stream
is told everything after the position its `ready` gives, however the reads of that position
and the polls interleave. (A CI run once lost a request.arrived this way: the poller read the
head too, its read was held back by SQLite's busy wait while a request was written, and it
overwrote the position the stream had announced.)"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from staff_console.server import events as server_events
from staff_console.services import event_feed


@dataclass
class FakeFeed:
    """The audit trail's head and the reads of it; `hold` makes the next reads of the head
    wait until released (a read held back while others write)."""

    head: int = 10
    reads: int = 0  # of the head alone (a stream's starting point)
    polls: int = 0
    holds: list[threading.Event] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start_seq(self, _backend) -> int:
        with self.lock:
            self.reads += 1
            gate = self.holds.pop(0) if self.holds else None
        if gate is not None:
            assert gate.wait(5), "a held read was never released"
        with self.lock:
            return self.head

    def poll(self, _backend, after: int, _hashes, *, clock) -> SimpleNamespace:
        with self.lock:
            self.polls += 1
            head = self.head
        return SimpleNamespace(head=max(head, after), seqs=list(range(after + 1, head + 1)))

    def write(self, n: int = 1) -> None:
        with self.lock:
            self.head += n


@pytest.fixture
def feed(monkeypatch) -> FakeFeed:
    made = FakeFeed()
    monkeypatch.setattr(event_feed, "start_seq", made.start_seq)
    monkeypatch.setattr(event_feed, "poll", made.poll)
    monkeypatch.setattr(server_events, "POLL_S", 0.01)

    def tell(item, batch, *, checked=True, lifetime_h=None) -> None:
        for seq in batch.seqs:
            item.queue.put_nowait(seq)

    monkeypatch.setattr(server_events, "tell", tell)
    return made


def _listener() -> server_events.Listener:
    return server_events.Listener(actor=None, token_hash="h")  # type: ignore[arg-type]


def _hub() -> server_events.EventHub:
    backend = SimpleNamespace(clock=None, policy=SimpleNamespace(session_hours=8))
    return server_events.EventHub(backend)  # type: ignore[arg-type]


async def _told(listener: server_events.Listener, until: int) -> list[int]:
    got: list[int] = []
    while not got or got[-1] < until:
        got.append(await asyncio.wait_for(listener.queue.get(), timeout=2))
    return got


async def test_a_position_read_slowly_loses_nothing_written_after_it(feed):
    """The stream's read of the head is held back while polls run and requests are written:
    everything after the position it announces is told, once each, in order."""
    hub, listener = _hub(), _listener()
    first = threading.Event()
    feed.holds = [first, threading.Event()]  # a second read (a poller's) would wait longer
    joining = asyncio.get_running_loop().create_task(hub.add(listener))
    await asyncio.sleep(0.1)  # ten poll intervals while the read waits
    first.set()
    position = await joining
    assert position == 10
    feed.write(2)  # two requests made after `ready`
    for gate in feed.holds:
        gate.set()  # a held poller's read would now end, after the writes
    assert await _told(listener, 12) == [11, 12]
    assert feed.reads == 1  # only the stream read the head; the poller never did
    hub._task.cancel()


async def test_a_stream_joining_listeners_gets_their_position(feed):
    """A second stream while one listens starts at the hub's position (no read of its own),
    and is told what the next poll finds."""
    hub, one, two = _hub(), _listener(), _listener()
    assert await hub.add(one) == 10
    feed.write(1)
    assert await _told(one, 11) == [11]
    assert await hub.add(two) == 11
    assert feed.reads == 1
    feed.write(1)
    assert await _told(two, 12) == [12]
    assert await _told(one, 12) == [12]
    hub._task.cancel()


async def test_two_streams_reading_at_once_keep_the_first_position_set(feed):
    """Two streams that both find no position read the head at once: the first read to end
    sets the hub's position and the later one does not move it; each stream is told
    everything after the position it was given (the hub's when it joined). No poller runs
    here (a pending task stands in for it): the polls are run by hand, when they matter."""
    hub, one, two = _hub(), _listener(), _listener()
    hub._task = asyncio.get_running_loop().create_future()  # "running": add starts none
    slow = threading.Event()
    feed.holds = [slow]
    first = asyncio.get_running_loop().create_task(hub.add(one))
    await asyncio.sleep(0.02)
    assert await hub.add(two) == 10  # read and set while the first read still waits
    feed.write(1)
    await hub._poll_once()
    assert await _told(two, 11) == [11]
    feed.write(1)  # 12: the slow read ends on a head the hub has not polled to
    slow.set()
    assert await first == 11 and feed.reads == 2  # the hub's position, not the read's 12
    await hub._poll_once()
    assert await _told(one, 12) == [12]
    assert await _told(two, 12) == [12]


async def test_nobody_listening_means_no_reads_and_a_fresh_start(feed):
    """Once its listeners are gone the hub reads nothing, and the next stream starts at the
    head as it is then."""
    hub, one = _hub(), _listener()
    await hub.add(one)
    hub.remove(one)
    for _ in range(200):  # the poller notices within a round (a poll may be under way)
        if hub.after is None:
            break
        await asyncio.sleep(0.01)
    feed.write(5)
    reads, polls = feed.reads, feed.polls
    await asyncio.sleep(0.05)
    assert (feed.reads, feed.polls) == (reads, polls) and hub.after is None
    two = _listener()
    assert await hub.add(two) == 15
    hub._task.cancel()


def test_a_session_holds_at_most_a_few_streams():
    """MAX_STREAMS_PER_SESSION streams per session, joining or listening; the next is
    RATE_LIMITED, another session's are not counted, and a stream's slot is free again once
    it is removed, or once an admitted stream that never started is gone."""
    import gc

    from staff_console.domain.errors import ConsoleError

    hub = _hub()
    mine = [server_events.Listener(actor=None, token_hash="mine")  # type: ignore[arg-type]
            for _ in range(server_events.MAX_STREAMS_PER_SESSION)]
    for listener in mine:
        hub.admit(listener)
    hub.listeners.add(mine[0])  # one of them listening already: still counted once
    hub.joining.discard(mine[0])
    extra = server_events.Listener(actor=None, token_hash="mine")  # type: ignore[arg-type]
    with pytest.raises(ConsoleError) as refused:
        hub.admit(extra)
    assert refused.value.code == "RATE_LIMITED"
    hub.admit(server_events.Listener(actor=None, token_hash="theirs"))  # type: ignore[arg-type]
    hub.remove(mine[0])
    hub.admit(extra)  # a removed stream's slot
    with pytest.raises(ConsoleError):
        hub.admit(server_events.Listener(actor=None, token_hash="mine"))  # type: ignore[arg-type]
    del mine[1]  # admitted, never started, dropped with its response
    gc.collect()
    hub.admit(server_events.Listener(actor=None, token_hash="mine"))  # type: ignore[arg-type]
