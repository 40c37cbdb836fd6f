"""A server process runs a bounded number of calls at once (server/workers.py, `serve
--threads`): the rest wait in line, and the long calls (routes_staff.LONG_CALLS) have a lane of
their own, so a whole-chain check never holds a teller's turn."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD

from staff_console.domain.errors import ConsoleError
from staff_console.server import DEFAULT_THREADS, THREADS_VARIABLE
from staff_console.server.app import create_app
from staff_console.server.workers import threads_from_environment


def _token(client: TestClient, employee_no: str) -> dict[str, str]:
    signed = client.post("/v1/session/sign-in", json={
        "employee_no": employee_no, "password": PASSWORD, "terminal": "desk"})
    assert signed.status_code == 200, signed.text
    return {"authorization": f"Bearer {signed.json()['token']}"}


@contextmanager
def _released(event: threading.Event) -> Iterator[None]:
    try:
        yield
    finally:
        event.set()  # a failed check leaves no thread busy for the server's shutdown


def test_calls_beyond_the_threads_wait_and_a_long_call_has_its_own_lane(site):
    app = create_app(site.settings, threads=1)
    release = threading.Event()
    with TestClient(app) as client, _released(release):
        teller, auditor = _token(client, "T001"), _token(client, "AU01")
        # The one thread of the calls' lane is busy until `release`.
        client.portal.start_task_soon(app.channel_calls.lanes.calls.run, release.wait)
        answers: dict[str, object] = {}

        def call(name: str, headers: dict[str, str]) -> threading.Thread:
            def post() -> None:
                answer = client.post(f"/v1/staff/{name}", json={}, headers=headers)
                answers[name] = (answer.status_code, answer.json())
            thread = threading.Thread(target=post, daemon=True)
            thread.start()
            return thread

        waiting = call("list_branches", teller)
        waiting.join(1.0)
        assert waiting.is_alive() and answers == {}  # in line behind the busy thread
        call("verify_audit", auditor).join(10)  # its own lane: answered meanwhile
        status, verdict = answers.pop("verify_audit")
        assert status == 200 and verdict["ok"] is True
        assert waiting.is_alive()  # and it did not take the line's turn
        release.set()
        waiting.join(10)
        assert answers["list_branches"][0] == 200


def test_the_threads_handed_to_a_worker_process(monkeypatch):
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert threads_from_environment() == DEFAULT_THREADS
    monkeypatch.setenv(THREADS_VARIABLE, "8")
    assert threads_from_environment() == 8
    for bad in ("0", "65", "-1", "4.0", "abc", "", "\u0663"):  # "\u0663": an Arabic-Indic 3
        monkeypatch.setenv(THREADS_VARIABLE, bad)
        with pytest.raises(ConsoleError) as refused:
            threads_from_environment()
        assert (refused.value.code, refused.value.field) == ("INVALID_SETTING", "threads"), bad
