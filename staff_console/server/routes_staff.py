"""The staff routes: one `POST /v1/staff/<call>` per call of the `Console` Protocol
(staff_console/api/__init__.py), JSON arguments in, the view as JSON out (api/wire.py), plus
the session's own routes under /v1/session. Thin: each route decodes its arguments by the
LocalConsole method's type hints and calls it on the caller's console; every rule runs in the
services, on the server, whatever the terminal checked first.

Files stay on the terminal: an export's content comes back in the answer (base64) and the
client writes it; an import's content goes up in the request.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import tempfile
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..api import Console, wire
from ..api.local import LocalConsole
from ..domain.errors import invalid
from ..services import sessions
from .deps import (
    Caller,
    Credentials,
    backend_of,
    client_address,
    console,
    credentials,
    quiet_console,
    session_caller,
)

# The session's own calls (routes under /v1/session, or none: `close` is the client's;
# `watch` is the client's too, over GET /v1/events: server/events.py).
SESSION_CALLS = frozenset({"sign_in", "unlock", "sign_out", "close", "watch"})
# Calls that are not the person's activity (a terminal's live count, asked when an event
# arrives): the session is checked, but they neither reset the idle lock nor write last-seen.
QUIET_CALLS = frozenset({"count_approvals"})
# Calls that may take seconds on a big store (the whole chain, every due credential): served by
# their own worker threads, so they never hold the turn of a teller's call (server/workers.py).
LONG_CALLS = frozenset({"verify_audit", "expire_due"})
EXPORTS = ("export_expiring", "export_events", "export_access_log")
IMPORTS = ("import_customers",)
# Every other call of the Protocol is answered by the generic route (arguments and result
# through api/wire.py): a call added to `Console` and LocalConsole is served with no edit here.
CALLS = tuple(name for name, member in vars(Console).items()
              if callable(member) and not name.startswith("_")
              and name not in SESSION_CALLS | set(EXPORTS) | set(IMPORTS))
Payload = Annotated[dict[str, Any] | None, Body()]


@dataclass(frozen=True)
class _Parameter:
    name: str
    hint: Any
    required: bool


@cache
def _parameters(method: Callable) -> tuple[_Parameter, ...]:
    """A method's keyword parameters with their type hints (read once per method: resolving
    the hints' text on every call cost more than the call's own statement)."""
    hints = typing.get_type_hints(method)
    return tuple(_Parameter(name, hints[name], parameter.default is inspect.Parameter.empty)
                 for name, parameter in inspect.signature(method).parameters.items()
                 if name != "self")


def _arguments(method: Callable, payload: dict[str, Any] | None, *,
               skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """`payload`'s keys as the method's keyword arguments, each decoded by its type hint;
    INVALID_INPUT naming an unknown, missing or mistyped one."""
    payload = dict(payload or {})
    arguments: dict[str, Any] = {}
    for parameter in _parameters(method):
        if parameter.name in skip:
            continue
        if parameter.name in payload:
            arguments[parameter.name] = wire.decode(parameter.hint,
                                                    payload.pop(parameter.name), parameter.name)
        elif parameter.required:
            raise invalid(parameter.name, "is required")
    if payload:
        raise invalid(sorted(payload)[0], "no such argument")
    return arguments


def _answer(value: Any) -> JSONResponse:
    return JSONResponse(wire.encode(value))


def _call_route(name: str) -> Callable:
    method = getattr(LocalConsole, name)

    def work(caller: Credentials, payload: dict[str, Any] | None) -> JSONResponse:
        # The session first: nothing is decoded for a refused caller.
        me = caller.open(touch=name not in QUIET_CALLS)
        return _answer(getattr(me, name)(**_arguments(method, payload)))

    async def call(payload: Payload = None,
                   caller: Credentials = Depends(credentials)) -> JSONResponse:
        # One worker thread for the session check and the use case (the body is parsed on
        # the event loop): a thread hop per call, not one per dependency.
        return await run_in_threadpool(work, caller, payload)

    call.__name__ = name
    return call


def _export_route(name: str) -> Callable:
    method = getattr(LocalConsole, name)

    def export(payload: Payload = None, me: LocalConsole = Depends(console)) -> JSONResponse:
        arguments = _arguments(method, payload, skip=("path",))
        # The service writes a new owner-only file; here one in a private temporary directory,
        # read back and removed: the terminal's client writes the file on the terminal.
        with tempfile.TemporaryDirectory(prefix="staff-console-export-") as folder:
            path = Path(folder) / "export"
            result = getattr(me, name)(path=path, **arguments)  # `month` comes first in one
            content = path.read_bytes()
        return JSONResponse({"rows": result.rows,
                             "content": base64.b64encode(content).decode("ascii")})

    export.__name__ = name
    return export


def import_customers(payload: Payload = None,
                     me: LocalConsole = Depends(console)) -> JSONResponse:
    payload = dict(payload or {})
    try:
        content = base64.b64decode(str(payload.pop("content", "")), validate=True)
    except (binascii.Error, ValueError):
        raise invalid("content", "must be the file's bytes in base64") from None
    arguments = _arguments(LocalConsole.import_customers, payload, skip=("path",))
    with tempfile.TemporaryDirectory(prefix="staff-console-import-") as folder:
        path = Path(folder) / "import.csv"
        path.write_bytes(content)
        return _answer(me.import_customers(path, **arguments))


async def sign_in(request: Request, payload: Payload = None) -> JSONResponse:
    async with request.app.state.verifications.admit():  # server/limits.py
        return await run_in_threadpool(_sign_in, request, payload)


def _sign_in(request: Request, payload: dict[str, Any] | None) -> JSONResponse:
    payload = payload or {}
    values = {}
    for name in ("employee_no", "password", "terminal"):
        value = payload.get(name)
        if not isinstance(value, str):
            raise invalid(name, "is required (text)")
        values[name] = value
    backend = backend_of(request)
    signed = sessions.sign_in(backend, values["employee_no"], values["password"],
                              terminal=values["terminal"][:64] or "terminal",
                              client_address=client_address(request), clock=backend.clock)
    backend.policy = signed.policy
    return _answer({"token": signed.token, "actor": signed.actor, "policy": signed.policy,
                    "training": signed.training})


async def unlock(request: Request, payload: Payload = None,
                 caller: Caller = Depends(session_caller)) -> JSONResponse:
    async with request.app.state.verifications.admit():  # server/limits.py
        return await run_in_threadpool(_unlock, request, payload, caller)


def _unlock(request: Request, payload: dict[str, Any] | None, caller: Caller) -> JSONResponse:
    password = (payload or {}).get("password")
    if not isinstance(password, str):
        raise invalid("password", "is required (text)")
    backend = backend_of(request)
    actor = sessions.unlock(backend, caller.token, password, client_address=caller.address,
                            clock=backend.clock)
    return _answer({"actor": actor})


def sign_out(request: Request, payload: Payload = None,
             caller: Caller = Depends(session_caller)) -> JSONResponse:
    reason = (payload or {}).get("reason", "sign_out")
    if not isinstance(reason, str):
        raise invalid("reason", "must be text")
    backend = backend_of(request)
    sessions.sign_out(backend, caller.token, client_address=caller.address,
                      clock=backend.clock, reason=reason)
    return _answer({})


def whoami(me: LocalConsole = Depends(quiet_console)) -> JSONResponse:
    """The session's member, policy and mode (a terminal starting with a stored session)."""
    return _answer({"actor": me.actor, "policy": me.backend.policy, "training": me.training})


def install(app: FastAPI) -> None:
    router = APIRouter(prefix="/v1")
    router.add_api_route("/session/sign-in", sign_in, methods=["POST"])
    router.add_api_route("/session/unlock", unlock, methods=["POST"])
    router.add_api_route("/session/sign-out", sign_out, methods=["POST"])
    router.add_api_route("/session", whoami, methods=["GET"])
    for name in CALLS:
        router.add_api_route(f"/staff/{name}", _call_route(name), methods=["POST"])
    for name in EXPORTS:
        router.add_api_route(f"/staff/{name}", _export_route(name), methods=["POST"])
    router.add_api_route("/staff/import_customers", import_customers, methods=["POST"])
    app.include_router(router)
