"""A terminal's sign-in sent while the command still loads (client mode, the CLI only).

A console server verifies the password (argon2, ~0.15-0.2 s of its CPU) only when the sign-in
reaches it, and a terminal used to send it after importing everything (~0.2 s): the two waited
for each other. The CLI's entry point (cli/__init__.py `main`) now sends it at once on a
thread, from the settings read and judged as `load_settings` judges them (settings_read.py
`quick`: the server URL passes the same rule, https or http to the loopback or in a declared
lab; anything `quick` is not sure of, and no early sign-in is sent: a password never goes to
a URL the settings would refuse). `RemoteConsole.sign_in` takes its answer only for the very
server, CA file, employee number, password and terminal it would send itself (`take`);
otherwise, or when the command never signs in (a usage error, a refusal before the sign-in),
the early session is signed out (`discard`) and nothing of it is used.

Imports only the standard library's http.client, json and ssl (https only): this module runs
before the rest of the program is loaded.
"""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .body import json_body

TIMEOUT_S = 30.0  # as api/remote.py: one call
SIGN_IN_PATH = "/v1/session/sign-in"
SIGN_OUT_PATH = "/v1/session/sign-out"


def sign_in_body(employee_no: str, password: str, terminal: str) -> dict[str, str]:
    """The sign-in's JSON document (RemoteConsole.sign_in sends the same)."""
    return {"employee_no": employee_no, "password": password, "terminal": terminal}


def open_connection(url: str, ca_file: Path | str | None,
                    timeout: float = TIMEOUT_S) -> http.client.HTTPConnection:
    """A connection to the console server at `url` (https: verified against `ca_file`, or the
    system's trust store), as RemoteConsole opens it."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        import ssl

        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        return http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout,
                                           context=context)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)


class EarlySignIn:
    """One sign-in in flight: `outcome` is (connection, HTTP status, body) or the exception
    the exchange raised (the connection closed)."""

    def __init__(self, url: str, ca_file: Path | None, employee_no: str, password: str,
                 terminal: str) -> None:
        self.key = (url, ca_file, employee_no, password, terminal)
        self.outcome: tuple[http.client.HTTPConnection, int, bytes] | BaseException | None = None
        self._thread = threading.Thread(target=self._send, name="early-sign-in", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _send(self) -> None:
        url, ca_file, employee_no, password, terminal = self.key
        connection = None
        try:
            connection = open_connection(url, ca_file)
            data = json_body(sign_in_body(employee_no, password, terminal))
            connection.request("POST", urlsplit(url).path.rstrip("/") + SIGN_IN_PATH,
                               body=data, headers={"Content-Type": "application/json",
                                                   "Accept": "application/json"})
            response = connection.getresponse()
            self.outcome = (connection, response.status, response.read())
        except BaseException as exc:  # noqa: BLE001 - handed to the sign-in that takes it
            if connection is not None:
                connection.close()
            self.outcome = exc

    def wait(self) -> None:
        self._thread.join(TIMEOUT_S + 5)

    def sign_out(self) -> None:
        """End the early session, unused (its token never left this object)."""
        self.wait()
        outcome = self.outcome
        if not isinstance(outcome, tuple):
            return
        connection, status, payload = outcome
        try:
            token = json.loads(payload).get("token") if 200 <= status < 300 else None
            if token:
                connection.request(
                    "POST", urlsplit(self.key[0]).path.rstrip("/") + SIGN_OUT_PATH,
                    body=json.dumps({"reason": "sign_out"}).encode("utf-8"),
                    headers={"Content-Type": "application/json", "Accept": "application/json",
                             "Authorization": f"Bearer {token}"})
                connection.getresponse().read()
        except Exception:  # noqa: BLE001, S110 - the session then ends with its lifetime
            pass
        finally:
            connection.close()


_pending: EarlySignIn | None = None
_lock = threading.Lock()


def start(url: str, ca_file: Path | None, employee_no: str, password: str,
          terminal: str) -> None:
    """Send the sign-in now (`url`: the validated, normalised server URL)."""
    global _pending
    early = EarlySignIn(url, ca_file, employee_no, password, terminal)
    with _lock:
        previous, _pending = _pending, early
    if previous is not None:
        previous.sign_out()
    early.start()


def take(url: str, ca_file: Path | str | None, employee_no: str, password: str,
         terminal: str) -> EarlySignIn | None:
    """The early sign-in, finished, if it was for exactly these; None otherwise (then it is
    signed out: a sign-in for anything else is never used)."""
    global _pending
    with _lock:
        early, _pending = _pending, None
    if early is None:
        return None
    ca = Path(ca_file) if ca_file is not None else None
    if early.key != (url, ca, employee_no, password, terminal):
        early.sign_out()
        return None
    early.wait()
    if early.outcome is None:  # still waiting after the timeout: a new sign-in decides
        early.sign_out()
        return None
    return early


def discard() -> None:
    """At the command's end: an early sign-in nobody took is signed out."""
    global _pending
    with _lock:
        early, _pending = _pending, None
    if early is not None:
        early.sign_out()


def pending() -> Any:
    """The sign-in in flight, if any (tests)."""
    return _pending
