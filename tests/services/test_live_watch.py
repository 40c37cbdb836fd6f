"""The embedded watch and the event feed (issue 15.6): a delegation granted or ended is told to
its delegate only; after the store was away the watch resumes where it was and tells what
happened meanwhile (as the server's stream does with Last-Event-ID)."""

from __future__ import annotations

import queue
from datetime import timedelta

from svc_helpers import activate

from staff_console.services import event_feed, live
from staff_console.services.delegations import end_delegation, grant_delegation
from staff_console.services.requests import request_revocation


def test_a_delegation_is_told_to_its_delegate_only(world):
    b, c = world.backend, world.clock
    start = event_feed.start_seq(b)
    now = c.now()
    d = grant_delegation(b, world.manager, delegate_employee_no="T002",
                         valid_from=now + timedelta(hours=1), valid_until=now + timedelta(hours=3),
                         clock=c)
    batch = event_feed.poll(b, start, [], clock=c)
    told = event_feed.notices_for(world.teller2, batch)
    assert [(n.kind, n.data["delegation_id"], n.data["status"]) for n in told] == [
        (event_feed.DELEGATION, d.id, "granted")]
    assert told[0].data["opens_in_s"] == 3600 and told[0].data["closes_in_s"] == 3 * 3600
    for other in (world.manager, world.teller, world.manager2, world.auditor):
        assert event_feed.notices_for(other, batch) == []

    middle = batch.head
    end_delegation(b, world.manager, d.id, clock=c)
    ended = event_feed.notices_for(world.teller2, event_feed.poll(b, middle, [], clock=c))
    assert [(n.kind, n.data["status"]) for n in ended] == [(event_feed.DELEGATION, "ended")]
    assert "opens_in_s" not in ended[0].data


def test_the_watch_resumes_after_the_store_was_away(world, monkeypatch):
    b, c = world.backend, world.clock
    activate(world)
    heard: queue.Queue[event_feed.Notice] = queue.Queue()
    watcher = live.FeedWatcher(b, world.manager, heard.put, interval=0.05).start()
    try:
        assert heard.get(timeout=2).kind == live.READY
        real_poll = live.event_feed.poll

        def away(*args, **kwargs):
            raise ConnectionError("the store is away")

        monkeypatch.setattr(live.event_feed, "poll", away)
        made = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                                  reason="lost_device", note=None, clock=c)
        assert heard.get(timeout=2).kind == live.DISCONNECTED
        monkeypatch.setattr(live.event_feed, "poll", real_poll)
        back = heard.get(timeout=2)
        assert back.kind == live.READY and back.data == {"resumed": True}
        arrived = heard.get(timeout=2)
        assert (arrived.kind, arrived.data["request_id"]) == (event_feed.ARRIVED, made.id)
    finally:
        watcher.stop()
    assert not watcher.running
