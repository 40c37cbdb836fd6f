"""Who is calling: the session token of `Authorization: Bearer ...` -> the staff member -> a
`LocalConsole` acting as them. Every staff route takes `console` (or `session_console` for the
calls a locked session may make); none can be reached without a live session (services/
sessions.py says what ends or locks one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request

from ..api.local import LocalConsole
from ..domain.authority import Actor
from ..domain.errors import ConsoleError
from ..services import sessions
from ..services.backend import Backend
from ..store.engine import PreludeWrite

T = TypeVar("T")

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
        _remember(sessions.token_hash(self.token), actor)
        return LocalConsole(self.backend, actor)

    def call(self, use: Callable[[LocalConsole], T], *, touch: bool = True) -> T:
        """`use(console)` as the session's member, the session checked inside the use case's
        own transaction, before its first statement: one transaction per call, not two. For a
        session this process has seen (its member as then): sessions.resolve is the prelude of
        the use case's first `store.run` (Store.prelude), its reads on that transaction. If it
        wants a write (touch, idle lock, end: PreludeWrite) or finds another member, the use
        case is rolled back before it did anything, and `open` checks, writes and refuses on
        its own, as for a first call. A use case that refuses before its first statement, or
        makes none, is answered only after `open` passed: the session's refusal comes first,
        and nothing is answered without a check."""
        backend = self.backend
        digest = sessions.token_hash(self.token)
        actor = _ACTORS.get(digest)
        if actor is None:
            return use(self.open(touch=touch))
        checked: list[bool] = []

        def check() -> None:
            found, policy = sessions.resolve(backend, self.token, client_address=self.address,
                                             clock=backend.clock, touch=touch)
            if found != actor:
                raise _Recheck
            backend.policy = policy
            checked.append(True)

        try:
            with backend.store.prelude(check):
                result = use(LocalConsole(backend, actor))
        except (_Recheck, PreludeWrite):
            _ACTORS.pop(digest, None)
            return use(self.open(touch=touch))
        except ConsoleError:
            if not checked:
                self.open(touch=touch)  # the session's refusal, if any, comes first
            raise
        if not checked:
            self.open(touch=touch)
        return result


# The member each session token (its hash) was found acting for by this process, as a first
# guess: every call checks its session again in the store (Credentials.call).
_ACTORS: dict[str, Actor] = {}
_ACTORS_MAX = 4096


class _Recheck(Exception):
    """The session was found acting for another member: sessions.resolve on its own."""


def _remember(digest: str, actor: Actor) -> None:
    if len(_ACTORS) >= _ACTORS_MAX:
        _ACTORS.clear()
    _ACTORS[digest] = actor


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
