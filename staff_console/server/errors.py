"""The server's answers to refusals: ONE table from a ConsoleError code to its HTTP status, and
the JSON error body `{"code", "message", "field"}` (docs/server-api.md lists the table).

An exception that is not a ConsoleError is logged with its trace on the server and answered
500 UNEXPECTED with a fixed message: no trace, no driver text reaches a terminal.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..domain.errors import CODES, Category, ConsoleError

log = logging.getLogger(__name__)

UNEXPECTED = "UNEXPECTED"  # the body code of a failure that is not a refusal

# Every code of domain/errors.py CODES (tests/server check it is complete). 401: who you are is
# not established (sign in again); 403: known, and not allowed; 409: the state of the thing
# refuses it; 423: the session is locked (unlock); 503: the store behind the server failed.
STATUS: dict[str, int] = {
    "INVALID_INPUT": 422,
    "INVALID_SETTING": 422,
    "NOT_FOUND": 404,
    "INELIGIBLE_CORPORATION": 409,
    "INELIGIBLE_FOREIGNER": 409,
    "NO_ONLINE_TRADING": 409,
    "VERIFICATION_INCOMPLETE": 409,
    "METHOD_NOT_ALLOWED": 409,
    "NOT_REGISTERED": 409,
    "CREDENTIAL_LOCKED": 409,
    "CREDENTIAL_EXPIRED": 409,
    "DUPLICATE_PENDING": 409,
    "DUPLICATE": 409,
    "ALREADY_DECIDED": 409,
    "REQUEST_EXPIRED": 409,
    "SELF_APPROVAL": 403,
    "DELEGATION_INVALID": 403,
    "AUTH_FAILED": 401,
    "STAFF_LOCKED": 403,
    "FORBIDDEN": 403,
    "CLOCK_FIXED_REFUSED": 403,
    "KEY_MISMATCH": 500,
    "AUTH_REQUIRED": 401,
    "SESSION_ENDED": 401,
    "SESSION_LOCKED": 423,
    "IDEMPOTENCY_CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "RATE_LIMITED": 429,
    "SERVER_UNAVAILABLE": 503,
    "STORE_UNAVAILABLE": 503,
    "STORE_NOT_INITIALISED": 503,
    "STORE_READ_ONLY": 503,
    "STORE_NOT_A_DATABASE": 503,
    "STORE_FULL": 507,
    "STORE_VERSION": 503,
    "AUDIT_TAMPERED": 500,
}
_BY_CATEGORY = {Category.INPUT: 422, Category.RULE: 409, Category.AUTH: 403,
                Category.UNEXPECTED: 500}


def not_json() -> ConsoleError:
    """The refusal of a request body that does not parse (not JSON, not UTF-8, nested too
    deep), on every route: the console's calls and FastAPI's own."""
    return ConsoleError("INVALID_INPUT", "body: the request body is not JSON", field="body")


def status_of(code: str) -> int:
    return STATUS.get(code) or _BY_CATEGORY.get(CODES.get(code, Category.UNEXPECTED), 500)


def error_body(code: str, message: str, field: str | None = None, detail: str | None = None,
               values: dict | None = None) -> dict:
    """The error document; a refusal with a detail (an `errors.detail.*` key and its values,
    worded by the terminal in its person's language) carries both."""
    body: dict = {"code": code, "message": message, "field": field}
    if detail:
        body.update(detail=detail, values={k: v if isinstance(v, (int, float)) or v is None
                                           else str(v) for k, v in (values or {}).items()})
    return body


def refusal(exc: ConsoleError) -> JSONResponse:
    status = status_of(exc.code)
    # 401 says how to authenticate; 429 when to come back (a second: every limit here is a
    # short burst, and the terminals back off further on their own).
    headers = ({"WWW-Authenticate": "Bearer"} if status == 401
               else {"Retry-After": "1"} if status == 429 else None)
    return JSONResponse(error_body(exc.code, exc.message, exc.field, exc.detail, exc.values),
                        status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Every failure of every route answers the error body."""

    @app.exception_handler(ConsoleError)
    async def _console_error(_request: Request, exc: ConsoleError) -> JSONResponse:
        return refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = (exc.errors() or [{}])[0]
        if first.get("type") == "json_invalid":  # its place is a character offset, not a field
            return refusal(not_json())
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return refusal(ConsoleError("INVALID_INPUT", f"{where}: {first.get('msg', 'invalid')}",
                                    field=where))

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI could not read the body (not UTF-8, too deep)
            return refusal(not_json())
        code = {401: "AUTH_REQUIRED", 404: "NOT_FOUND", 413: "PAYLOAD_TOO_LARGE",
                429: "RATE_LIMITED"}.get(exc.status_code, "INVALID_INPUT")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected failure on %s %s", request.method, request.url.path,
                  exc_info=exc)
        return JSONResponse(error_body(UNEXPECTED, "the server failed; the failure is in its "
                                       "log"), status_code=500)
