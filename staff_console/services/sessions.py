"""Staff sessions on the console server: sign-in, the session behind each call, unlock, sign-out.

A session token is 32 random bytes (`secrets`), shown once to the terminal that signed in and
stored only as its SHA-256. It is bound to the terminal name and the client's address: a token
copied to another address is refused. Every call re-reads the session with its member's standing
(one statement) and refuses, with a code:

* no session behind the token, or one that ended -> SESSION_ENDED (no token at all is the
  server's AUTH_REQUIRED);
* the member was locked or deactivated (an admin's lock, five failed sign-ins) -> every session
  of the member ends at once -> SESSION_ENDED;
* older than the policy's `session_hours` -> it ends -> SESSION_ENDED;
* idle longer than the policy's `idle_lock_minutes`, or locked earlier -> SESSION_LOCKED: only
  unlock (the password, checked on the server) and sign-out take it.

A person's sign-out ends every session of theirs (all terminals), as an admin's lock does.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.authority import Actor, Role
from ..domain.clock import Clock
from ..domain.errors import ConsoleError
from ..domain.policy import Policy
from ..domain.text import clean_text
from ..store import sessions as rows
from ..store.chain import NewEvent
from ..store.engine import Store, Tx
from ..store.meta import POLICY_PREFIX, get_settings
from . import staff
from .backend import Backend
from .common import record

# The last-seen time is written at most this often. Writing it on every call would turn each
# read (a search, a list) into a write transaction, the database's most expensive work; the
# idle lock is measured in minutes, so seeing activity to within 30 s only makes the lock come
# up to 30 s early, never late (the safe side).
TOUCH_EVERY = timedelta(seconds=30)
TOKEN_BYTES = 32
# reason -> whether it ends every session of the member (True) or only the caller's. (A
# session the server ended is not signed out by its terminal: the end is recorded where it
# happens: the sign-out elsewhere, the admin's lock or change, the lifetime (`staff.session_ended`
# below); the terminal, told `session.ended`, only forgets its person: screens/live.py.)
SIGN_OUT_REASONS = {"sign_out": True, "command_end": False}
LIFETIME_ENDED = "staff.session_ended"  # the audit action of a session past its lifetime


@dataclass(frozen=True)
class SignedIn:
    token: str  # shown once, to the terminal that signed in; never stored
    actor: Actor
    policy: Policy
    training: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _ended(message: str, why: str, **values: object) -> ConsoleError:
    """`why`: the session_ended.* detail (errors.detail.session_ended.<why>)."""
    return ConsoleError("SESSION_ENDED", f"{message}; sign in again",
                        detail=f"errors.detail.session_ended.{why}", values=values)


def _actor(row: rows.SessionRow) -> Actor:
    return Actor(staff_id=row.staff_id, employee_no=row.employee_no, name=row.name,
                 branch_code=row.branch_code, role=Role(row.role), terminal=row.terminal)


def sign_in(backend: Backend, employee_no: str, password: str, *, terminal: str,
            client_address: str, clock: Clock) -> SignedIn:
    """The staff sign-in (services/staff.py: the lock, the audit trail), then a new session.
    The terminal's name comes from the client: it reaches the trail only as clean text."""
    terminal = clean_text(terminal, "terminal", limit=64) or "terminal"
    actor = staff.authenticate(backend, employee_no, password, clock=clock, terminal=terminal)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()

    def work(s: Tx) -> Policy:
        rows.insert_session(s, token_hash=token_hash(token), staff_id=actor.staff_id,
                            terminal=actor.terminal, client_address=client_address, now=now)
        return Policy.from_store(get_settings(s, POLICY_PREFIX))

    policy = backend.store.run(work)
    return SignedIn(token=token, actor=actor, policy=policy, training=backend.training)


POLICY_FRESH_S = 5.0  # how long a session check trusts its process's copy of the policy


def resolve(backend: Backend, token: str, *, client_address: str, clock: Clock,
            allow_locked: bool = False, touch: bool = True) -> tuple[Actor, Policy]:
    """The member a token acts for, or the refusal (see the module's docstring).
    `allow_locked`: unlock and sign-out take an idle-locked session. `touch`: the call is the
    person's activity (an event stream's keep-alive is not).

    The session and the policy are read without a transaction block (`reads_only`: on
    PostgreSQL no BEGIN/COMMIT round trips on every call); the rare write (touch, lock, end)
    follows in a transaction of its own. Each write is guarded (`locked_at IS NULL`,
    `ended_at IS NULL`), so a concurrent call's write is never undone."""
    now = clock.now()
    digest = token_hash(token)
    # The policy is read with the session at most every POLICY_FRESH_S per process (a second
    # statement on every call otherwise); a change reaches the other processes within that.
    read_at = backend.policy_read_at
    fresh = read_at is not None and time.monotonic() - read_at < POLICY_FRESH_S
    cached = backend.policy

    def read(s: Tx) -> tuple[rows.SessionRow | None, Policy]:
        return (rows.session_by_token(s, digest),
                cached if fresh else Policy.from_store(get_settings(s, POLICY_PREFIX)))

    started = time.monotonic()
    row, policy = backend.store.run(read, snapshot=True)
    if not fresh:
        backend.policy, backend.policy_read_at = policy, started
    actor, write, error = _verdict(row, policy, now, store=backend.store,
                                   client_address=client_address,
                                   allow_locked=allow_locked, touch=touch)
    if write is not None:
        backend.store.run(write)
    if error is not None:
        raise error
    assert actor is not None
    return actor, policy


Write = Callable[[Tx], object]


def _end_for_lifetime(store: Store, row: rows.SessionRow, now: datetime, hours: int) -> Write:
    """End a session past its lifetime, with its audit event (once: the call that ends it)."""

    def write(s: Tx) -> None:
        if rows.end_session(s, row.id, now, "lifetime"):
            record(s, store, now, NewEvent(
                row.employee_no, row.terminal, LIFETIME_ENDED, target=row.employee_no,
                detail={"reason": "lifetime", "hours": hours}))

    return write


def _verdict(row: rows.SessionRow | None, policy: Policy, now: datetime, *, store: Store,
             client_address: str, allow_locked: bool,
             touch: bool) -> tuple[Actor | None, Write | None, ConsoleError | None]:
    """What a call with this session gets: the actor or the refusal, and the write it needs."""
    if row is None or row.ended_at is not None:
        return None, None, _ended("the session has ended", "ended")
    if row.client_address != client_address:
        # Not ended: the rightful terminal keeps it; the copy is refused.
        return None, None, _ended("the session belongs to another terminal", "other_terminal")
    if not row.staff_active or row.staff_locked:
        staff_id = row.staff_id
        return None, (lambda s: rows.end_staff_sessions(s, staff_id, now, "staff_locked")), \
            _ended("the staff account was locked or deactivated", "staff_locked")
    session_id = row.id
    if now - row.created_at >= timedelta(hours=policy.session_hours):
        return None, _end_for_lifetime(store, row, now, policy.session_hours), \
            _ended(f"the session is older than {policy.session_hours} h", "lifetime",
                   hours=policy.session_hours)
    write: Write | None = None
    locked = row.locked_at is not None
    if not locked and now - row.last_seen_at >= timedelta(minutes=policy.idle_lock_minutes):
        write, locked = (lambda s: rows.lock(s, session_id, now)), True
    if locked and not allow_locked:
        return None, write, ConsoleError(
            "SESSION_LOCKED", "the terminal is locked; enter your password to unlock it")
    if touch and not locked and now - row.last_seen_at >= TOUCH_EVERY:
        write = lambda s: rows.touch(s, session_id, now)  # noqa: E731
    return _actor(row), write, None


def unlock(backend: Backend, token: str, password: str, *, client_address: str,
           clock: Clock) -> Actor:
    """Unlock an idle-locked session: the member's password, checked here with the sign-in's
    rules (a wrong one counts toward the lock; a locked account ends every session)."""
    actor, _ = resolve(backend, token, client_address=client_address, clock=clock,
                       allow_locked=True, touch=False)
    try:
        actor = staff.verify_actor_password(backend, actor, password, clock=clock)
    except ConsoleError as exc:
        if exc.code == "STAFF_LOCKED":
            end_all(backend, actor.staff_id, clock=clock, reason="staff_locked")
        raise
    digest = token_hash(token)
    now = clock.now()

    def work(s: Tx) -> None:
        row = rows.session_by_token(s, digest)
        if row is not None:
            rows.unlock(s, row.id, now)

    backend.store.run(work)
    return actor


def sign_out(backend: Backend, token: str, *, client_address: str, clock: Clock,
             reason: str = "sign_out") -> None:
    """Sign out (the audit event). A person's sign-out ends every session of theirs (all their
    terminals); a command that ends (`command_end`: a CLI command's own short session) ends
    only its own, so that a teller's CLI command does not sign their console out."""
    if reason not in SIGN_OUT_REASONS:
        raise ConsoleError("INVALID_INPUT", f"reason: one of {', '.join(SIGN_OUT_REASONS)}",
                           field="reason")
    actor, _ = resolve(backend, token, client_address=client_address, clock=clock,
                       allow_locked=True, touch=False)
    staff.sign_out(backend, actor, clock=clock)
    if SIGN_OUT_REASONS[reason]:
        end_all(backend, actor.staff_id, clock=clock, reason=reason)
        return
    digest = token_hash(token)
    now = clock.now()

    def work(s: Tx) -> None:
        row = rows.session_by_token(s, digest)
        if row is not None:
            rows.end_session(s, row.id, now, reason)

    backend.store.run(work)


def end_all(backend: Backend, staff_id: int, *, clock: Clock, reason: str) -> int:
    """End every open session of a member (an admin's lock or deactivation calls this too)."""
    now = clock.now()
    return backend.store.run(lambda s: rows.end_staff_sessions(s, staff_id, now, reason))
