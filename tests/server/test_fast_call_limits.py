"""The body limit of the calls answered in front of FastAPI (server/app.py ConsoleServer,
staff_calls.py, channel_calls.py): BodyLimit's two checks, applied by them (a declared
Content-Length over the limit, a body streaming past it), answer as BodyLimit does."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from staff_console.server.limits import MAX_BODY_BYTES


def _send(url: str, path: str, chunks, headers: dict) -> tuple[int, dict]:
    """POST `chunks` (an iterable: sent chunked, with no Content-Length; bytes: as it is)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", path, body=chunks,
                           headers={"Content-Type": "application/json", **headers})
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    return response.status, json.loads(payload)


def test_a_staff_call_whose_body_streams_past_the_limit_is_refused(site):
    token = site.signed_in("T001")._token

    def body():
        yield b'{"query": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"a" * 65536
        yield b'"}'

    status, answer = _send(site.url, "/v1/staff/search_customers", body(),
                           {"Authorization": f"Bearer {token}"})
    assert (status, answer["code"], answer["field"]) == (413, "PAYLOAD_TOO_LARGE", "body")
    assert str(MAX_BODY_BYTES) in answer["message"]
    # a chunked body within the limit is answered
    status, answer = _send(site.url, "/v1/staff/search_customers",
                           iter([b'{"query": ', b'"\xed\x99\x8d"}']),
                           {"Authorization": f"Bearer {token}"})
    assert status == 200 and "items" in answer


def test_a_declared_length_over_the_limit_is_refused_before_anything_else(site):
    # no token, no key: the size is refused first, as BodyLimit did in front of every call
    for path in ("/v1/staff/search_customers", "/v1/channel/mts/logins"):
        parts = urlsplit(site.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            connection.putrequest("POST", path)
            connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
            connection.endheaders()
            response = connection.getresponse()
            answer = json.loads(response.read())
        finally:
            connection.close()
        assert (response.status, answer["code"]) == (413, "PAYLOAD_TOO_LARGE"), path


def test_a_body_that_does_not_parse_is_one_refusal_on_every_route(site):
    """JSON nested deeper than Python's stack (a few kilobytes of "["), bytes that are not
    UTF-8 and text that is not JSON are one refusal, 422 INVALID_INPUT naming the body, on the
    calls answered in front of FastAPI, on FastAPI's own routes and on the channel API; the
    server goes on answering."""
    token = site.signed_in("T001")._token
    key = site.local("A0001").create_channel_key("mts").secret
    deep = b"[" * 5000 + b"]" * 5000  # within every body limit
    routes = [
        ("/v1/staff/search_customers", {"Authorization": f"Bearer {token}"}),
        ("/v1/staff/import_customers", {"Authorization": f"Bearer {token}"}),
        ("/v1/session/sign-in", {}),
        ("/v1/session/unlock", {"Authorization": f"Bearer {token}"}),
        ("/v1/channel/mts/logins", {"Authorization": f"Bearer {key}",
                                    "Idempotency-Key": "deep-1"}),
    ]
    for path, headers in routes:
        # Too deep, not UTF-8, not JSON: one refusal whether the console parses the body or
        # FastAPI does (FastAPI's own would be 400 or name a character offset as the field).
        for body in (deep, b'{"query": ' + deep + b"}", b'{"query": "\xff"}', b"{bad"):
            status, answer = _send(site.url, path, body, headers)
            assert (status, answer["code"], answer["field"]) == (422, "INVALID_INPUT", "body"), (
                path, body[:12], answer)
    status, answer = _send(site.url, "/v1/staff/search_customers", b'{"query": "C001"}',
                           {"Authorization": f"Bearer {token}"})
    assert status == 200 and answer["items"]
