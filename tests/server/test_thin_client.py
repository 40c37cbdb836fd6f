"""The thin client loads no database code: a terminal of a console server imports no
SQLAlchemy, no driver, no store and no service but the views (checked in a fresh interpreter,
as a terminal starts). Its refusals: no server -> SERVER_UNAVAILABLE; the wire decoder."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import typing
from datetime import UTC, date, datetime

import pytest
from live_server import free_port

from staff_console.api.remote import RemoteConsole
from staff_console.api.wire import decode, encode
from staff_console.domain.errors import ConsoleError
from staff_console.services.views import AuditEventView, PolicyEntry, RequestView, VerifyResult

PROBE = """
import json, sys
from staff_console.settings import load_settings
from staff_console.api import open_console
console = open_console(load_settings(server="https://console.example:8443"))
print(json.dumps({"type": type(console).__name__, "modules": sorted(sys.modules)}))
"""
FORBIDDEN = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "argon2", "cryptography",
             "fastapi", "starlette", "uvicorn", "textual", "httpx", "staff_console.store",
             "staff_console.server", "staff_console.api.local")


def test_a_client_imports_no_database_code(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True, env={"STAFF_CONSOLE_HOME": str(tmp_path),
                                           "PATH": "/usr/bin:/bin"})
    answer = json.loads(done.stdout)
    assert answer["type"] == "RemoteConsole"
    loaded = [m for m in answer["modules"]
              if m.startswith(FORBIDDEN) or (m.startswith("staff_console.services.")
                                             and m != "staff_console.services.views")]
    assert loaded == []


def test_no_server_is_server_unavailable():
    console = RemoteConsole(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConsoleError) as caught:
        console.sign_in("T001", "x", terminal="t")
    assert caught.value.code == "SERVER_UNAVAILABLE"


def test_a_plain_http_server_url_off_the_loopback_is_a_setting_refused(tmp_path, monkeypatch):
    from staff_console.settings import load_settings

    monkeypatch.setenv("STAFF_CONSOLE_HOME", str(tmp_path))
    with pytest.raises(ConsoleError) as caught:
        load_settings(server="http://console.example")
    assert caught.value.code == "INVALID_SETTING" and "https" in caught.value.message
    monkeypatch.setenv("STAFF_CONSOLE_SERVER_ALLOW_HTTP", "1")
    assert load_settings(server="http://console.example").server == "http://console.example"


def _sample(cls, at: datetime):
    """An instance of a view with a value of its type in every field (views gain fields)."""
    samples = {str: "홍길동", int: 7, bool: True, datetime: at, date: at.date()}
    values = {}
    for field in dataclasses.fields(cls):
        hint = typing.get_type_hints(cls)[field.name]
        options = [o for o in typing.get_args(hint) if o is not type(None)] or [hint]
        values[field.name] = samples.get(options[0]) if options[0] in samples else None
        if typing.get_origin(hint) is list:
            values[field.name] = []
    return cls(**values)


def test_the_wire_round_trips_the_views():
    at = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    request = _sample(RequestView, at)
    assert decode(RequestView, json.loads(json.dumps(encode(request)))) == request
    verdict = VerifyResult(ok=False, count=3, first_bad_seq=2, problem="hash", missing=(2, 3),
                           bad_anchors=((1, "signature"),))
    assert decode(VerifyResult, json.loads(json.dumps(encode(verdict)))) == verdict
    entries = [PolicyEntry("policy.checker.revocation", True, True, None, None, "off"),
               PolicyEntry("policy.session_hours", 10, 10, 1, 24, "higher")]
    assert decode(list[PolicyEntry], encode(entries)) == entries
    event = AuditEventView(seq=1, at=at, actor="T001", terminal="t", action="x",
                           category="event", customer_no=None, target=None, detail={"a": [1]})
    assert decode(AuditEventView, encode(event)) == event
    assert decode(date, "2026-11-24") == date(2026, 11, 24)
    for hint, value in ((datetime, "2026-11-24T10:00:00"), (int, True), (RequestView, [])):
        with pytest.raises(ConsoleError):
            decode(hint, value)


def test_both_consoles_answer_every_call_of_the_protocol_with_its_parameters():
    import inspect

    from staff_console.api import Console
    from staff_console.api.local import LocalConsole

    for name, member in vars(Console).items():
        if name.startswith("_") or not callable(member):
            continue
        expected = list(inspect.signature(member).parameters.items())
        for cls in (LocalConsole, RemoteConsole):
            got = list(inspect.signature(getattr(cls, name)).parameters.items())
            assert [(n, p.kind, p.default) for n, p in got] == \
                   [(n, p.kind, p.default) for n, p in expected], (cls.__name__, name)
