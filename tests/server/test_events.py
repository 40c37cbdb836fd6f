"""The event stream through live servers: within 2 s a terminal learns that a request it may
decide has arrived, that one it made was decided, or that its session ended; only what its
authority concerns; whichever server process made the change (the feed is the store)."""

from __future__ import annotations

import queue
import time

import httpx
import pytest

from staff_console.api.events import Event, EventStream

WITHIN_S = 2.0


class Listener:
    def __init__(self, console) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self.stream = EventStream.for_console(console, on_event=self.events.put).start()
        assert self.next("ready").kind == "ready"

    def next(self, event_kind: str, timeout: float = WITHIN_S, **data) -> Event:
        """The next event of `event_kind` (with `data`), within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event.kind == event_kind and all(event.data.get(k) == v for k, v in data.items()):
                return event
        raise AssertionError(f"no {event_kind} {data} within {timeout} s")

    def kinds(self, wait: float = 1.2) -> list[tuple[str, dict]]:
        time.sleep(wait)  # more than two polls of the server
        seen = []
        while not self.events.empty():
            event = self.events.get_nowait()
            seen.append((event.kind, event.data))
        return seen

    def close(self) -> None:
        self.stream.stop()


@pytest.fixture
def listen():
    made: list[Listener] = []

    def start(console) -> Listener:
        made.append(Listener(console))
        return made[-1]

    yield start
    for listener in made:
        listener.close()


def _channel_key(site, channel: str) -> str:
    return site.local("A0001").create_channel_key(channel).secret


def _register(url: str, key: str, channel: str, customer_no: str, idem: str) -> dict:
    answer = httpx.post(f"{url}/v1/channel/{channel}/registrations", json={
        "customer_no": customer_no, "device_id": f"{customer_no}-{channel}-2",
        "methods": ["pin"], "verified": ["id_card", "one_won", "phone"]},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_manager_hears_a_channel_registration_of_the_branch_only(site, listen):
    manager, other_branch, teller = (site.signed_in(no) for no in ("M001", "M002", "T001"))
    heard, unconcerned, teller_heard = listen(manager), listen(other_branch), listen(teller)
    started = time.monotonic()
    made = _register(site.url, _channel_key(site, "web"), "web", "C002", "events-1")
    event = heard.next("request.arrived", request_id=made["request_id"])
    assert time.monotonic() - started < WITHIN_S
    assert event.data == {"request_id": made["request_id"], "kind": "registration",
                          "channel": "web", "branch_code": "001", "status": "pending"}
    assert event.seq is not None
    assert unconcerned.kinds() == [] and teller_heard.kinds() == []


def test_the_maker_hears_the_decision_and_the_decider_the_request(site, listen):
    teller, manager = site.signed_in("T002"), site.signed_in("M001")
    teller_heard, manager_heard = listen(teller), listen(manager)
    made = teller.request_revocation(customer_no="C001", channel="mts", reason="lost_device")
    manager_heard.next("request.arrived", request_id=made.id, kind="revocation")
    assert teller_heard.kinds(0.8) == []  # the maker is not told of its own request
    started = time.monotonic()
    manager.approve_request(made.id)
    decided = teller_heard.next("request.decided", request_id=made.id)
    assert time.monotonic() - started < WITHIN_S
    assert decided.data["status"] == "approved"
    manager_heard.next("request.closed", request_id=made.id, status="approved")


def test_a_change_through_another_server_process_is_heard(site, listen):
    second = site.start() if len(site.urls) < 2 else site.urls[1]
    manager = site.signed_in("M002", url=second)
    heard = listen(manager)
    made = _register(site.urls[0], _channel_key(site, "mts"), "mts", "C007", "events-2")
    heard.next("request.arrived", request_id=made["request_id"], branch_code="002")


def test_a_session_that_ends_is_told_and_the_stream_stops(site, listen):
    listening, other = site.signed_in("AU01"), site.signed_in("AU01")
    heard = listen(listening)
    started = time.monotonic()
    other.sign_out()  # signing out ends every session of the person
    heard.next("session.ended")
    assert time.monotonic() - started < WITHIN_S
    heard.stream.stop()
    assert not heard.stream.running


def test_no_stream_without_a_session(site):
    for headers in ({}, {"Authorization": "Bearer not-a-token"},
                    {"Authorization": f"Bearer {_channel_key(site, 'mts')}"}):
        answer = httpx.get(f"{site.url}/v1/events", headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] in ("AUTH_REQUIRED", "SESSION_ENDED")


def test_the_client_stops_for_a_dead_session(site):
    console = site.signed_in("T201")
    token = console.session_token()
    console.sign_out()
    events: queue.Queue[Event] = queue.Queue()
    stream = EventStream(site.url, token=lambda: token, on_event=events.put).start()
    event = events.get(timeout=WITHIN_S)
    assert event.kind == "session.ended"
    stream.stop()
    assert stream.stopped_by in ("SESSION_ENDED", "AUTH_REQUIRED")


def test_the_client_loads_no_database_code():
    import subprocess
    import sys

    code = ("import sys, staff_console.api.events; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'sqlmodel', 'psycopg', 'fastapi', 'httpx') "
            "or m.startswith(('staff_console.store', 'staff_console.services'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def test_a_member_locked_by_failed_sign_ins_is_told_at_once(site, listen):
    from staff_console.domain.errors import ConsoleError

    heard = listen(site.signed_in("T002"))
    started = time.monotonic()
    for _ in range(5):
        with pytest.raises(ConsoleError):
            site.remote().sign_in("T002", "wrong-password-1", terminal="attacker")
    heard.next("session.ended")
    assert time.monotonic() - started < WITHIN_S + 5 * 0.5  # the sign-ins' own time too


def test_the_client_reconnects_when_a_stream_ends_and_after_an_outage():
    """Against a stand-in server: each stream says `ready` and ends (as a server's does after
    its lifetime); the client reconnects. A refused connection is one `disconnected`, then
    the client goes on trying."""
    import http.server
    import socketserver
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            assert self.headers["Authorization"] == "Bearer t0k"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b'retry: 100\n\nevent: ready\ndata: {"n": 1}\n\n')

        def log_message(self, *args):
            pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    events: queue.Queue[Event] = queue.Queue()
    stream = EventStream(url, token=lambda: "t0k", on_event=events.put).start()
    try:
        kinds = [events.get(timeout=5).kind for _ in range(3)]
        assert kinds == ["ready"] * 3
        server.shutdown()
        server.server_close()
        deadline = time.monotonic() + 5
        seen = []
        while time.monotonic() < deadline and "disconnected" not in seen:
            try:
                seen.append(events.get(timeout=0.5).kind)
            except queue.Empty:
                pass
        assert "disconnected" in seen
        assert stream.running  # it keeps trying
    finally:
        stream.stop()
    assert not stream.running


def test_a_session_cannot_pile_up_streams(site):
    """A token opens at most MAX_STREAMS_PER_SESSION streams (a terminal needs one): the next
    is refused with RATE_LIMITED, while another session's stream opens; a closed stream frees
    its slot."""
    import http.client
    import json
    from urllib.parse import urlsplit

    from staff_console.server.events import MAX_STREAMS_PER_SESSION

    parts = urlsplit(site.url)

    def open_stream(token: str) -> tuple[http.client.HTTPConnection, int, bytes]:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("GET", "/v1/events", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        first = response.readline() if response.status == 200 else response.read()
        return connection, response.status, first

    token = site.signed_in("T201")._token  # a member no other test here locks or ends
    streams = [open_stream(token) for _ in range(MAX_STREAMS_PER_SESSION)]
    try:
        assert [status for _c, status, _f in streams] == [200] * MAX_STREAMS_PER_SESSION
        connection, status, body = open_stream(token)
        connection.close()
        assert status == 429 and json.loads(body)["code"] == "RATE_LIMITED"
        other, status, _first = open_stream(site.signed_in("AU01")._token)
        other.close()
        assert status == 200
        streams.pop()[0].close()
        deadline = time.monotonic() + 5
        while True:  # the server notices the closed stream
            connection, status, _first = open_stream(token)
            streams.append((connection, status, _first))
            if status == 200 or time.monotonic() > deadline:
                break
            connection.close()
            streams.pop()
            time.sleep(0.1)
        assert status == 200
    finally:
        for connection, _status, _first in streams:
            connection.close()
