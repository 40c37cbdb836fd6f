"""The event stream's client (server/events.py): a background thread that listens to
`GET /v1/events` of the console server and calls back with each event, reconnecting after a
dropped connection. Standard library only (http.client, ssl, json, threading): a terminal in
client mode loads no database code for it.

    stream = EventStream(url, token=lambda: my_token, on_event=handle)
    stream.start()          # handle(Event("ready", None, {...})) at every (re)connection
    ...
    stream.stop()

The stream resumes where it was: the client keeps the last `id:` the server sent (events,
`ready`, keep-alives) and sends it as `Last-Event-ID` when it reconnects (the server's routine
end of a stream every few minutes, a dropped connection, the server restarting), so the
events of the gap are replayed by the server; `ready` then says `"resumed": true`. When the
server cannot replay (too far back), `ready` says `"resumed": false`: read the count and lists
again, as at the first connection.

`on_event` runs on the stream's thread: a UI hands it to its own thread (Textual:
`app.call_from_thread`). After `session.ended` (or a refusal of the session: signed out, locked
by an admin, past its lifetime) the stream stops for good and `on_event` gets that event; it
does not retry a dead session. Other failures (the server restarting, the network) are retried
with a growing delay up to MAX_BACKOFF_S, and `on_event` gets `Event("disconnected", ...)` once
per outage.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..domain.documents import read_json

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 40.0  # the server sends a keep-alive comment every 15 s
MAX_BACKOFF_S = 10.0
# The session's refusals: the stream stops (a retry would be refused the same way).
_DEAD_SESSION = {"AUTH_REQUIRED", "SESSION_ENDED", "SESSION_LOCKED", "AUTH_FAILED",
                 "STAFF_LOCKED"}


@dataclass(frozen=True)
class Event:
    kind: str  # ready | request.arrived | request.decided | request.closed | session.locked |
    # session.ended | disconnected
    seq: int | None
    data: dict = field(default_factory=dict)


class EventStream:
    def __init__(self, url: str, *, token: Callable[[], str | None],
                 on_event: Callable[[Event], None], ca_file: Path | str | None = None,
                 connect_timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._host, self._port = parts.hostname, parts.port
        self._path = parts.path.rstrip("/") + "/v1/events"
        self._context = (ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
                         if parts.scheme == "https" else None)
        self._token = token
        self._on_event = on_event
        self._connect_timeout = connect_timeout
        self._stop = threading.Event()
        self._connection: http.client.HTTPConnection | None = None
        self._thread = threading.Thread(target=self._run, name="event-stream", daemon=True)
        self.stopped_by: str | None = None  # the code that ended it (a dead session), if any
        self.last_event_id: int | None = None  # where a reconnection resumes

    @classmethod
    def for_console(cls, console, *, on_event: Callable[[Event], None],
                    ca_file: Path | str | None = None) -> EventStream:
        """The stream of a signed-in `api.remote.RemoteConsole`'s own session."""
        return cls(console.url, token=console.session_token, on_event=on_event,
                   ca_file=ca_file)

    def start(self) -> EventStream:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        connection = self._connection
        if connection is not None:
            try:
                if connection.sock is not None:
                    connection.sock.shutdown(2)  # wakes the blocked read
            except OSError:
                pass
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        delay, connected_before = 0.5, True
        while not self._stop.is_set():
            try:
                dead = self._listen_once()
                delay = 0.5
                if dead is not None:
                    self.stopped_by = dead
                    return
                connected_before = True
            except (OSError, http.client.HTTPException, ValueError):
                if self._stop.is_set():
                    return
                if connected_before:
                    connected_before = False
                    self._emit(Event("disconnected", None, {}))
            finally:
                self._close()
            self._stop.wait(delay)
            delay = min(MAX_BACKOFF_S, delay * 2)

    def _listen_once(self) -> str | None:
        """One connection: events until it drops. A dead session's code, or None."""
        token = self._token()
        if not token:
            self._emit(Event("session.ended", None, {"code": "AUTH_REQUIRED"}))
            return "AUTH_REQUIRED"
        connection: http.client.HTTPConnection
        if self._context is not None:
            connection = http.client.HTTPSConnection(self._host, self._port,
                                                     timeout=self._connect_timeout,
                                                     context=self._context)
        else:
            connection = http.client.HTTPConnection(self._host, self._port,
                                                    timeout=self._connect_timeout)
        self._connection = connection
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        connection.request("GET", self._path, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            body = response.read(4096)
            try:
                code = read_json(body).get("code")
            except (ValueError, AttributeError):  # Unreadable, or not an object
                code = None
            if code in _DEAD_SESSION:
                self._emit(Event("session.ended", None, {"code": code}))
                return code
            raise http.client.HTTPException(f"event stream answered {response.status}")
        if connection.sock is not None:
            connection.sock.settimeout(READ_TIMEOUT_S)
        kind: str = "message"
        seq: int | None = None
        data_lines: list[str] = []
        while not self._stop.is_set():
            raw = response.readline(65536)
            if not raw:
                return None  # the server ended the stream (its lifetime): reconnect
            line = raw.decode("utf-8").rstrip("\r\n")
            if not line:
                if data_lines:
                    event = Event(kind, seq, json.loads("\n".join(data_lines)))
                    self._emit(event)
                    if kind == "session.ended":
                        return "SESSION_ENDED"
                if seq is not None:  # told everything up to here (an event or a bare id)
                    self.last_event_id = seq
                kind, seq, data_lines = "message", None, []
            elif line.startswith(":"):
                continue
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "event":
                    kind = value
                elif name == "id" and value.isdigit():
                    seq = int(value)
                elif name == "data":
                    data_lines.append(value)
        return None

    def _emit(self, event: Event) -> None:
        try:
            self._on_event(event)
        except Exception:  # the callback's failure must not end the stream
            log.exception("event callback failed on %s", event.kind)

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
