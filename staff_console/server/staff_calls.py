"""The generic staff calls (`POST /v1/staff/<call>`, routes_staff.CALLS) answered in front of
FastAPI's router (server/app.py ConsoleServer.__call__ hands them to `serve`): the same session
check, argument decoding, answers and refusals as the routes in routes_staff.py, without the
router's walk over every route, the dependency solver, FastAPI's own middleware layers and the
response's extra copies. Measured
with benchmarks/bench_server_call.py: those layers cost the server more CPU than the call itself
(docs/decisions.md, "The server's cost per call").

Anything else (another method or path, the session, exports, imports, channels, events) goes
on to FastAPI unchanged; so do the routes' OpenAPI descriptions. The body limit is BodyLimit's
(server/limits.py): a declared Content-Length over it is refused in front (server/app.py), a
body that streams past it here, both with BodyLimit's own 413 answer.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse

from ..api import wire
from ..api.local import LocalConsole
from ..domain.documents import Unreadable, read_json
from ..domain.errors import ConsoleError
from . import errors, limits
from .deps import MAX_TOKEN_CHARS, Credentials
from .routes_staff import CALLS, LONG_CALLS, QUIET_CALLS, _arguments
from .workers import Lanes

log = logging.getLogger(__name__)

_PREFIX = "/v1/staff/"
_METHODS = {name: getattr(LocalConsole, name) for name in CALLS}


def _token(headers: list[tuple[bytes, bytes]]) -> str:
    """The bearer token of `Authorization` (deps.bearer_token's rule on raw headers)."""
    header = ""
    for name, value in headers:
        if name == b"authorization":
            header = value.decode("latin-1")
            break
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
        raise ConsoleError("AUTH_REQUIRED", "sign in first (no session token)")
    return token


def _payload(body: bytes) -> dict[str, Any] | None:
    """The JSON object of the body (none: no arguments), or INVALID_INPUT."""
    if not body:
        return None
    try:
        payload = read_json(body)
    except Unreadable:
        raise errors.not_json() from None
    if payload is not None and not isinstance(payload, dict):
        raise ConsoleError("INVALID_INPUT", "body: must be a JSON object", field="body")
    return payload


def _work(caller: Credentials, name: str, payload: dict[str, Any] | None) -> bytes:
    # The session checked in the use case's transaction, first (deps.Credentials.call); the
    # answer's JSON in one pass, in the worker thread (not on the event loop).
    return wire.dumps(caller.call(
        lambda me: getattr(me, name)(**_arguments(_METHODS[name], payload)),
        touch=name not in QUIET_CALLS))


_JSON = (b"content-type", b"application/json")


def answers(scope) -> bool:
    """Whether this is a generic staff call (the rest goes on to FastAPI)."""
    path = scope.get("path", "")
    return (path.startswith(_PREFIX) and path[len(_PREFIX):] in _METHODS
            and scope["method"] == "POST")


async def serve(scope, receive, send, lanes: Lanes) -> None:
    """Answer a generic staff call (`answers(scope)`; its declared length checked)."""
    path = scope["path"]
    name = path[len(_PREFIX):]
    limit = limits.limit_of(scope)
    body = await _body(receive, limit)
    if body is None:  # over the limit as it streamed in: BodyLimit's answer
        await limits.refuse(send, limit)
        return
    try:
        payload = _payload(body)  # as FastAPI's route: a malformed body is refused first
        client = scope.get("client")
        caller = Credentials(scope["app"].state.backend, _token(scope["headers"]),
                             client[0] if client else "unknown")
        # One worker thread for the session check and the use case (server/workers.py).
        lane = lanes.long if name in LONG_CALLS else lanes.calls
        answer = await lane.run(_work, caller, name, payload)
    except ConsoleError as exc:
        response = errors.refusal(exc)
    except Exception as exc:  # noqa: BLE001  (no trace reaches a person: errors.install)
        log.error("unexpected failure on POST %s", path, exc_info=exc)
        response = JSONResponse(errors.error_body(
            errors.UNEXPECTED, "the server failed; the failure is in its log"),
            status_code=500)
    else:  # the answer sent as it is (a Response object would copy and re-encode it)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [_JSON, (b"content-length", b"%d" % len(answer))]})
        await send({"type": "http.response.body", "body": answer})
        return
    await response(scope, receive, send)


async def _body(receive, limit: int) -> bytes | None:
    """The body, or None once it is over `limit` bytes."""
    chunks, seen = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
