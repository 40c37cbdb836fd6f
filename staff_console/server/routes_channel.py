"""The channel API, `/v1/channel/{channel}/...`: what the MTS and mobile-web back-ends send.

- POST registrations: a registration after the three-kind verification (intake.register_from_channel)
- POST logins: a simple login's result (intake.record_login)
- POST revocations: the customer's own 간편인증 해지 after a simple login (self_service)

Every call carries `Authorization: Bearer sck_...`, a channel key an admin created
(`staff-console channel key create mts --as ADMIN`); the key acts for its own channel only
(another channel in the path: FORBIDDEN), and no staff route accepts it (a staff route reads a
session token). Every write carries an `Idempotency-Key` (services/channel_api.py): a retry
gets the first answer, with the header `Idempotent-Replayed: true`. The answer is the use
case's result and nothing else about the customer.

Limits, checked once the key is known (a caller without a valid key hears AUTH_REQUIRED
whatever it sent), before the use case: each key may make `rate` calls a second with bursts of
`burst` (RATE_LIMITED), counted per server process (docs/deployment.md: with N processes a key
gets up to N times it); a body over MAX_BODY bytes is PAYLOAD_TOO_LARGE; a body that is not the
endpoint's JSON object is INVALID_INPUT naming the field.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ..domain.channels import parse_channel
from ..domain.documents import Unreadable, read_json
from ..domain.errors import ConsoleError, invalid
from ..services import channel_api, channel_keys, intake, self_service
from ..services.backend import Backend
from .deps import backend_of
from .errors import error_body, not_json, status_of

MAX_BODY = 16 * 1024
RATE_ENV = "STAFF_CONSOLE_CHANNEL_RATE"  # "calls per second[/burst]" per key and process
DEFAULT_RATE, DEFAULT_BURST = 200.0, 400.0


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200)

    customer_no: str = Field(min_length=1, max_length=20)
    device_id: str = Field(min_length=1, max_length=128,
                           description="the device (MTS) or browser (web) identifier")


class RegistrationBody(_Body):
    device_model: str | None = Field(default=None, max_length=64)
    biometrics: Literal["none", "fingerprint", "face", "both"] = "none"
    methods: list[str] = Field(min_length=1, max_length=4,
                               description="pin, pattern, fingerprint, face")
    verified: list[str] = Field(min_length=1, max_length=3,
                                description="id_card, one_won, phone: all three are required")
    key_fingerprint: str | None = Field(default=None, max_length=100)


class LoginBody(_Body):
    result: Literal["ok", "fail"]


class RevocationBody(_Body):
    pass


class _RateLimiter:
    """A token bucket per channel key, in this process."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key_id] = (tokens, now)
                raise ConsoleError("RATE_LIMITED", f"more than {self.rate:g} calls a second "
                                   "with this key; retry after a second")
            self._buckets[key_id] = (tokens - 1, now)


def _rate_from_env() -> tuple[float, float]:
    text = os.environ.get(RATE_ENV, "").strip()
    if not text:
        return DEFAULT_RATE, DEFAULT_BURST
    try:
        rate_text, _, burst_text = text.partition("/")
        rate = float(rate_text)
        burst = float(burst_text) if burst_text else 2 * rate
    except ValueError:
        raise ConsoleError("INVALID_SETTING", f"{RATE_ENV}: calls per second[/burst], "
                           f"e.g. 200/400") from None
    if not (0 < rate <= 1e6 and 1 <= burst <= 1e6):
        raise ConsoleError("INVALID_SETTING", f"{RATE_ENV}: out of range")
    return rate, burst


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise ConsoleError("PAYLOAD_TOO_LARGE", f"the body is over {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ConsoleError("PAYLOAD_TOO_LARGE", f"the body is over {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(raw: bytes, model: type[BaseModel]) -> tuple[dict[str, Any], BaseModel]:
    try:
        document = read_json(raw)
    except Unreadable:
        raise not_json() from None
    if not isinstance(document, dict):
        raise invalid("body", "must be a JSON object")
    try:
        return document, model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise invalid(where, first.get("msg", "invalid")) from None


def _openapi(model: type[BaseModel]) -> dict:
    return {
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": model.model_json_schema()}}},
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True,
                        "schema": {"type": "string", "maxLength": 100},
                        "description": "a retry with the same key gets the first answer"}],
    }


def _register(backend: Backend, chan: str, body: Any, then: Callable) -> Any:
    return intake.register_from_channel(
        backend, customer_no=body.customer_no, channel=chan, device_id=body.device_id,
        device_model=body.device_model, biometrics=body.biometrics, methods=body.methods,
        verified=body.verified, key_fingerprint=body.key_fingerprint, clock=backend.clock,
        then=then)


def _login(backend: Backend, chan: str, body: Any, then: Callable) -> Any:
    return intake.record_login(backend, customer_no=body.customer_no, channel=chan,
                               device_id=body.device_id, result=body.result,
                               clock=backend.clock, then=then)


def _revoke(backend: Backend, chan: str, body: Any, then: Callable) -> Any:
    return self_service.revoke_own_credential(
        backend, customer_no=body.customer_no, channel=chan, device_id=body.device_id,
        clock=backend.clock, then=then)


Run = Callable[[Backend, str, Any, Callable], Any]
# The endpoints: the last part of the path -> its body and its use case.
ENDPOINTS: dict[str, tuple[type[BaseModel], Run]] = {
    "registrations": (RegistrationBody, _register),
    "logins": (LoginBody, _login),
    "revocations": (RevocationBody, _revoke),
}


def channel_limiter() -> _RateLimiter:
    """This process's rate limiter of the channel keys (one for the routes and ChannelCalls)."""
    return _RateLimiter(*_rate_from_env())


def channel_answer(backend: Backend, limiter: _RateLimiter, *, path: str, channel: str,
                   endpoint: str, authorization: str, idempotency_key: str | None,
                   raw: bytes | ConsoleError) -> channel_api.ChannelAnswer:
    """One channel call, in a worker thread: the key, its rate, the body, the use case, once
    per Idempotency-Key. `raw`: the body, or its refusal (answered once the key is known: a
    caller without a valid key hears AUTH_REQUIRED whatever it sent). Served by ChannelCalls
    (server/channel_calls.py) and by the routes below alike."""
    model, run = ENDPOINTS[endpoint]
    scheme, _, token = authorization.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    parsed: list = []
    chosen: list[str] = []

    def admit(caller: channel_keys.ChannelCaller) -> None:
        limiter.take(caller.key_id)
        chan = parse_channel(channel).value
        chosen.append(chan)
        if chan != caller.channel:
            raise ConsoleError("FORBIDDEN", f"this key acts for the {caller.channel} channel only")
        if isinstance(raw, ConsoleError):
            raise raw
        parsed.extend(_parse(raw, model))

    def digest() -> str:
        return channel_api.call_hash(path, parsed[0])

    return channel_api.run_idempotent(
        backend, token, idempotency_key, digest,
        lambda then: run(backend, chosen[0], parsed[1], then), clock=backend.clock,
        ok_status=200, status_of=status_of,
        error_body=lambda e: error_body(e.code, e.message, e.field), admit=admit)


def channel_router(limiter: _RateLimiter | None = None) -> APIRouter:
    """The channel routes, for server/app.py to include. Served by ChannelCalls in front of
    the router (server/channel_calls.py); declared here for the OpenAPI description, and they
    answer the same way if a request reaches them."""
    limiter = limiter or channel_limiter()
    router = APIRouter(prefix="/v1/channel", tags=["channel"])

    async def handle(request: Request, channel: str, endpoint: str) -> JSONResponse:
        try:
            raw: bytes | ConsoleError = await _read_body(request)
        except ConsoleError as exc:  # answered after the key is checked
            raw = exc
        # One hand-off to a worker thread per call: the key, its rate, the body, the use case.
        answer = await run_in_threadpool(
            lambda: channel_answer(backend_of(request), limiter, path=request.url.path,
                                   channel=channel, endpoint=endpoint,
                                   authorization=request.headers.get("authorization", ""),
                                   idempotency_key=request.headers.get("idempotency-key"),
                                   raw=raw))
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)

    @router.post("/{channel}/registrations", openapi_extra=_openapi(RegistrationBody),
                 summary="A registration after the three-kind verification")
    async def register(request: Request, channel: str) -> JSONResponse:
        return await handle(request, channel, "registrations")

    @router.post("/{channel}/logins", openapi_extra=_openapi(LoginBody),
                 summary="A simple login's result (the 5th failure in a row locks)")
    async def login(request: Request, channel: str) -> JSONResponse:
        return await handle(request, channel, "logins")

    @router.post("/{channel}/revocations", openapi_extra=_openapi(RevocationBody),
                 summary="The customer's own 간편인증 해지 after a simple login")
    async def revoke(request: Request, channel: str) -> JSONResponse:
        return await handle(request, channel, "revocations")

    return router
