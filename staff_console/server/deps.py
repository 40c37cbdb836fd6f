"""Who is calling: the session token of `Authorization: Bearer ...` -> the staff member -> a
`LocalConsole` acting as them. Every staff route takes `console` (or `session_console` for the
calls a locked session may make); none can be reached without a live session (services/
sessions.py says what ends or locks one).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ..api.local import LocalConsole
from ..domain.errors import ConsoleError
from ..services import sessions
from ..services.backend import Backend

_SCHEME = "bearer"
MAX_TOKEN_CHARS = 200  # a token is 43 characters; anything far longer is not one


def backend_of(request: Request) -> Backend:
    return request.app.state.backend


def client_address(request: Request) -> str:
    """The peer's address as the server sees it (behind a trusted reverse proxy, uvicorn's
    --forwarded-allow-ips makes it the terminal's own)."""
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str:
    """The session token, or AUTH_REQUIRED."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != _SCHEME or not token or len(token) > MAX_TOKEN_CHARS:
        raise ConsoleError("AUTH_REQUIRED", "sign in first (no session token)")
    return token


@dataclass(frozen=True)
class Caller:
    """A live session: the token (for unlock and sign-out) and the console acting as its member."""

    token: str
    address: str
    console: LocalConsole


def _caller(request: Request, *, allow_locked: bool, touch: bool) -> Caller:
    backend = backend_of(request)
    token = bearer_token(request)
    address = client_address(request)
    actor, policy = sessions.resolve(backend, token, client_address=address, clock=backend.clock,
                                     allow_locked=allow_locked, touch=touch)
    backend.policy = policy  # the snapshot the calls that only show or time use (backend.py)
    return Caller(token, address, LocalConsole(backend, actor))


def console(request: Request) -> LocalConsole:
    """The console of an unlocked, live session: a use case's dependency."""
    return _caller(request, allow_locked=False, touch=True).console


@dataclass(frozen=True)
class Credentials:
    """What a request says about its caller, read without touching the store (an async
    dependency: no worker thread). `open()` checks the session, in the call's worker thread,
    so that a staff call costs one thread hop, not two."""

    backend: Backend
    token: str
    address: str

    def open(self, *, touch: bool = True) -> LocalConsole:
        """`touch=False`: a call that is not the person's activity (routes_staff.QUIET_CALLS)."""
        actor, policy = sessions.resolve(self.backend, self.token, client_address=self.address,
                                         clock=self.backend.clock, touch=touch)
        self.backend.policy = policy
        return LocalConsole(self.backend, actor)


async def credentials(request: Request) -> Credentials:
    """The token and address of the call (AUTH_REQUIRED without a token)."""
    return Credentials(backend_of(request), bearer_token(request), client_address(request))


def session_caller(request: Request) -> Caller:
    """A live session, locked or not (unlock, sign-out): not the person's activity."""
    return _caller(request, allow_locked=True, touch=False)


def quiet_console(request: Request) -> LocalConsole:
    """An unlocked live session whose call is not the person's activity (an event stream, a
    poll): it neither resets the idle lock nor writes the last-seen time."""
    return _caller(request, allow_locked=False, touch=False).console
