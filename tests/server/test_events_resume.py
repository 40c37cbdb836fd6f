"""The event stream, continued (issue 15.6 with issue 14.5): a delegation granted or ended is
told to its delegate within 2 s; a stream that reconnects resumes where it was
(`Last-Event-ID`): the events of the gap are replayed, only those its session may see, and an
id the server cannot replay is answered `"resumed": false`; a session past its lifetime is told
at once and its end is in the audit trail. On SQLite and on PostgreSQL (-m pg), through a
live server."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from helpers import PASSWORD

from staff_console.api.events import Event, EventStream
from staff_console.domain.errors import ConsoleError
from staff_console.services import sessions
from staff_console.store.sessions import STAFF_SESSION
from staff_console.store.tables import AUDIT_EVENT

WITHIN_S = 2.0


class Heard:
    """What one stream tells, as it comes."""

    def __init__(self, stream_of) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self.stream: EventStream = stream_of(self.events.put).start()

    def next(self, kind: str, timeout: float = WITHIN_S, **data) -> Event:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event.kind == kind and all(event.data.get(k) == v for k, v in data.items()):
                return event
        raise AssertionError(f"no {kind} {data} within {timeout} s")

    def drain(self, wait: float = 1.2) -> list[Event]:
        time.sleep(wait)  # more than two polls of the server
        seen = []
        while not self.events.empty():
            seen.append(self.events.get_nowait())
        return seen


@pytest.fixture
def heard():
    made: list[Heard] = []

    def start(console) -> Heard:
        made.append(Heard(lambda put: EventStream.for_console(console, on_event=put)))
        made[-1].next("ready")
        return made[-1]

    yield start
    for item in made:
        item.stream.stop()


def _frames(url: str, token: str, last_event_id: str | None, *, until_bare_id: bool = True,
            timeout: float = 5.0) -> list[tuple[str | None, str | None, dict | None]]:
    """The frames of one stream (kind, id, data) up to the bare `id:` that ends a replay (or
    the `ready` when nothing is replayed)."""
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    frames: list[tuple[str | None, str | None, dict | None]] = []
    with httpx.stream("GET", f"{url}/v1/events", headers=headers, timeout=timeout) as answer:
        assert answer.status_code == 200, answer.read()
        kind = seq = data = None
        for line in answer.iter_lines():
            if line:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "event":
                    kind = value
                elif name == "id":
                    seq = value
                elif name == "data":
                    data = json.loads(value)
                continue
            if kind is None and seq is None:
                continue  # the `retry:` line
            frames.append((kind, seq, data))
            ready = frames[0][2] or {}
            if not until_bare_id or not ready.get("resumed") or (kind is None and seq):
                break
            kind = seq = data = None
    return frames


def _sealed(engine, *where) -> list:
    """The `staff.session_ended` events (on PostgreSQL the server's sealer chains an event
    into the trail just after its commit: wait for it a moment)."""
    query = sa.select(AUDIT_EVENT.c.actor, AUDIT_EVENT.c.detail).where(
        AUDIT_EVENT.c.action == "staff.session_ended", *where)
    deadline = time.monotonic() + WITHIN_S
    while True:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def _head(site) -> int:
    with site.store_backend().store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(AUDIT_EVENT.c.seq))).scalar() or 0)


# -- a delegation is an event of its delegate -----------------------------------------------------

def test_a_delegation_granted_and_ended_reaches_its_delegates_count_within_2_s(site, heard):
    manager, delegate, other = (site.signed_in(no) for no in ("M001", "T001", "T002"))
    assert delegate.count_approvals() is None
    delegate_heard, other_heard = heard(delegate), heard(other)
    now = site.store_backend().clock.now()
    started = time.monotonic()
    granted = manager.grant_delegation(delegate_employee_no="T001",
                                       valid_from=now - timedelta(minutes=1),
                                       valid_until=now + timedelta(hours=1))
    try:
        event = delegate_heard.next("delegation.changed", delegation_id=granted.id)
        assert time.monotonic() - started < WITHIN_S
        assert event.data["status"] == "granted" and event.data["branch_code"] == "001"
        assert event.data["opens_in_s"] == 0 and 3500 < event.data["closes_in_s"] <= 3600
        assert delegate.count_approvals() is not None  # what the terminal reads on the event
    finally:
        ended = manager.end_delegation(granted.id)
    delegate_heard.next("delegation.changed", delegation_id=ended.id, status="ended")
    assert delegate.count_approvals() is None
    assert [e.kind for e in other_heard.drain(0.8)] == []  # not the delegate: nothing


# -- a reconnection resumes where it was ------------------------------------------------------------

def test_a_dropped_stream_resumes_with_last_event_id_and_loses_nothing(site):
    """The client's connection is cut; while it is away, a request of the manager's branch and
    one of another branch are made; the reconnection (with Last-Event-ID) replays the first,
    not the second, then goes on live."""
    manager = site.signed_in("M002")
    open_gate, asking = threading.Event(), threading.Event()
    open_gate.set()

    def token() -> str | None:
        if not open_gate.is_set():
            asking.set()
            open_gate.wait(10)
        return manager.session_token()

    heard = Heard(lambda put: EventStream(site.url, token=token, on_event=put))
    try:
        first = heard.next("ready")
        assert first.data["resumed"] is False and first.seq is not None
        open_gate.clear()
        connection = heard.stream._connection
        assert connection is not None and connection.sock is not None
        connection.sock.shutdown(socket.SHUT_RDWR)  # the connection drops
        assert asking.wait(WITHIN_S), "the client did not try again"
        resume_at = heard.stream.last_event_id
        assert resume_at is not None and resume_at >= first.seq

        mine = site.signed_in("T201").request_revocation(
            customer_no="C003", channel="mts", reason="customer_request", note="gap")
        elsewhere = site.signed_in("T001").request_revocation(
            customer_no="C002", channel="mts", reason="customer_request", note="gap")
        time.sleep(1.2)  # more than two polls of the server: no listener is there to hear
        open_gate.set()

        again = heard.next("ready")
        assert again.data["resumed"] is True and again.seq == resume_at
        arrived = heard.next("request.arrived", request_id=mine.id)
        assert arrived.data["branch_code"] == "002"
        seen = heard.drain(1.0)
        assert elsewhere.id not in [e.data.get("request_id") for e in seen]
        assert [e for e in seen if e.kind == "ready"] == []  # no second reconnection

        site.signed_in("T201").withdraw_request(mine.id)  # live again
        heard.next("request.closed", request_id=mine.id, status="withdrawn")
        told = [(e.kind, e.data.get("request_id")) for e in heard.drain(0.8)]
        assert ("request.arrived", mine.id) not in told  # nothing told twice
    finally:
        open_gate.set()
        heard.stream.stop()
    site.signed_in("T001").withdraw_request(elsewhere.id)


def test_a_resumed_stream_replays_only_what_its_session_may_see(site):
    before = _head(site)
    made = site.signed_in("T201").request_revocation(
        customer_no="C003", channel="mts", reason="customer_request", note="replay")
    try:
        wanted = ("request.arrived", made.id)
        for employee_no, told in (("M002", True), ("T201", False), ("M001", False),
                                  ("AU01", False)):
            console = site.signed_in(employee_no)
            frames = _frames(site.url, console.session_token(), str(before))
            assert frames[0][0] == "ready" and frames[0][2]["resumed"] is True, frames
            assert frames[0][1] == str(before)
            replayed = [(kind, (data or {}).get("request_id")) for kind, _, data in frames[1:]
                        if kind]
            assert (wanted in replayed) is told, (employee_no, replayed)
            if employee_no != "M002":  # another branch's manager, the maker, an auditor
                assert [r for r in replayed if r[1] == made.id] == [], (employee_no, replayed)
            assert frames[-1][0] is None and int(frames[-1][1]) >= made.id  # the replay's end
    finally:
        site.signed_in("T201").withdraw_request(made.id)


@pytest.mark.parametrize("last", ["ahead", "junk"])
def test_an_id_the_server_cannot_replay_says_read_everything_again(site, last):
    console = site.signed_in("M001")
    value = {"ahead": str(_head(site) + 1000), "junk": "abc"}[last]
    frames = _frames(site.url, console.session_token(), value)
    kind, _, data = frames[0]
    assert kind == "ready" and data is not None and data["resumed"] is False


def test_the_replay_is_bounded(site, monkeypatch):
    """More than REPLAY_MAX audit events back: no replay (the terminal reads its count and
    lists again); within it, the replay."""
    from staff_console.server import events as server_events

    monkeypatch.setattr(server_events, "REPLAY_MAX", 3)
    local = site.local("M001")
    assert local.actor is not None
    token = site.signed_in("M001").session_token()
    listener = server_events.Listener(actor=local.actor,
                                      token_hash=sessions.token_hash(token))
    head = _head(site)
    assert head > 4
    backend = site.store_backend()
    assert server_events.replay(backend, listener, head - 4) == (head, None)
    seen_to, notices = server_events.replay(backend, listener, head - 3)
    assert seen_to >= head and notices is not None
    assert "session.ended" not in [n.kind for n in notices]


# -- the session's lifetime --------------------------------------------------------------------------

def test_a_session_past_its_lifetime_is_told_at_once_and_its_end_is_recorded(site, heard):
    console = site.remote()
    console.sign_in("AU01", PASSWORD, terminal="lifetime-desk")
    listening = heard(console)
    digest = sessions.token_hash(console.session_token())
    engine = site.store_backend().store.engine
    with engine.begin() as conn:
        created = conn.execute(sa.select(STAFF_SESSION.c.created_at)
                               .where(STAFF_SESSION.c.token_hash == digest)).scalar_one()
        conn.execute(sa.update(STAFF_SESSION).where(STAFF_SESSION.c.token_hash == digest)
                     .values(created_at=created - timedelta(hours=25)))
    started = time.monotonic()
    listening.next("session.ended")
    assert time.monotonic() - started < WITHIN_S
    token = console.session_token()
    with pytest.raises(ConsoleError) as refused:  # the next call ends it and is refused
        console.list_branches()
    assert refused.value.code == "SESSION_ENDED"
    again = httpx.post(f"{site.url}/v1/staff/list_branches", json={},
                       headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401 and again.json()["code"] == "SESSION_ENDED"
    ended = _sealed(engine, AUDIT_EVENT.c.terminal == "lifetime-desk")
    with engine.connect() as conn:
        reason = conn.execute(sa.select(STAFF_SESSION.c.end_reason)
                              .where(STAFF_SESSION.c.token_hash == digest)).scalar_one()
    assert len(ended) == 1 and ended[0].actor == "AU01", ended
    assert reason == "lifetime"

