"""The channel API's calls (`POST /v1/channel/{channel}/{registrations|logins|revocations}`,
routes_channel.py) served by a pure ASGI middleware in front of FastAPI's router, as the staff
calls are (staff_calls.py): the same answers from the same function
(routes_channel.channel_answer: the key, its rate, the body, the use case, the idempotent
answer), without the router's walk, the dependency layers and the Response objects. A quarter
of the mixed load is channel calls (docs/decisions.md, "The server's cost per call").

Anything else goes on to FastAPI (another method or path: its 404/405; the OpenAPI description
of the routes). BodyLimit's check of a declared Content-Length comes first, in front
(server/app.py); the channel's own smaller limit (MAX_BODY) is checked here as the routes
check it.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain.errors import ConsoleError
from . import errors
from .routes_channel import ENDPOINTS, MAX_BODY, _RateLimiter, channel_answer
from .workers import Lanes

log = logging.getLogger(__name__)

_PREFIX = "/v1/channel/"
_JSON = (b"content-type", b"application/json")
_REPLAYED = (b"idempotent-replayed", b"true")


def _too_large() -> ConsoleError:
    return ConsoleError("PAYLOAD_TOO_LARGE", f"the body is over {MAX_BODY} bytes")


def _headers(scope) -> tuple[str, str | None, str | None]:
    """Authorization, Idempotency-Key and Content-Length (the first of each, as Starlette)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in (b"authorization", b"idempotency-key", b"content-length") \
                and name not in found:
            found[name] = value.decode("latin-1")
    return (found.get(b"authorization", ""), found.get(b"idempotency-key"),
            found.get(b"content-length"))


async def _read(receive, declared: str | None) -> bytes | ConsoleError | None:
    """The body, its refusal (answered once the key is known), or None: the client left."""
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return _too_large()
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def call_parts(scope) -> list[str] | None:
    """The channel and endpoint of a channel call, or None (the rest goes on to FastAPI)."""
    path = scope.get("path", "") if scope["type"] == "http" else ""
    parts = path[len(_PREFIX):].split("/") if path.startswith(_PREFIX) else []
    if len(parts) != 2 or not parts[0] or parts[1] not in ENDPOINTS \
            or scope["method"] != "POST":
        return None
    return parts


def answers(scope) -> bool:
    return call_parts(scope) is not None


class ChannelCalls:
    """Pure ASGI middleware: answers the channel calls, passes on everything else."""

    def __init__(self, app, limiter: _RateLimiter, lanes: Lanes | None = None) -> None:
        self.app = app
        self.limiter = limiter
        self.lanes = lanes or Lanes.of()

    async def __call__(self, scope, receive, send) -> None:
        parts = call_parts(scope)
        if parts is None:
            await self.app(scope, receive, send)
            return
        await self.serve(scope, receive, send, parts)

    async def serve(self, scope, receive, send, parts: list[str]) -> None:
        """Answer a channel call (`parts`: its channel and endpoint, `call_parts(scope)`)."""
        path = scope["path"]
        authorization, idempotency_key, declared = _headers(scope)
        raw = await _read(receive, declared)
        if raw is None:
            return
        url_path = Request(scope).url.path  # the routes' request.url.path (the call's hash)
        try:
            answer = await self.lanes.calls.run(lambda: channel_answer(
                scope["app"].state.backend, self.limiter, path=url_path, channel=parts[0],
                endpoint=parts[1], authorization=authorization,
                idempotency_key=idempotency_key, raw=raw))
        except ConsoleError as exc:
            await errors.refusal(exc)(scope, receive, send)
            return
        except Exception as exc:  # noqa: BLE001  (no trace reaches a person: errors.install)
            log.error("unexpected failure on POST %s", path, exc_info=exc)
            await JSONResponse(errors.error_body(
                errors.UNEXPECTED, "the server failed; the failure is in its log"),
                status_code=500)(scope, receive, send)
            return
        body = json.dumps(answer.body, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")
        headers = [_JSON, (b"content-length", b"%d" % len(body))]
        if answer.replayed:
            headers.append(_REPLAYED)
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
