"""Staff: sign-in with the 5-failure lock, branches, staff administration."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..domain.authority import Actor, DelegationWindow, Role, require_role
from ..domain.clock import Clock
from ..domain.errors import ConsoleError, invalid, not_found
from ..domain.ids import mask_numbers, normalize_branch_code
from ..domain.lockout import MAX_FAILED_ATTEMPTS, after_failure
from ..domain.text import clean_text
from ..store import sessions as session_store
from ..store import staff as staff_store
from ..store.audit import NewEvent
from ..store.engine import Tx
from .backend import Backend
from .common import SYSTEM, current_staff, event, record
from .passwords import check_new_password, dummy_hash, hash_password, verify_password
from .views import BranchView, StaffView

ADMIN_ONLY = frozenset({Role.ADMIN})

# The one answer to every failed sign-in by employee number (unknown, deactivated, wrong
# password, locked): which numbers exist and which accounts are locked is not revealed.
SIGN_IN_FAILED = (f"wrong employee number or password ({MAX_FAILED_ATTEMPTS} failures in a row "
                  "lock an account; an admin unlocks it)")


def _view(staff) -> StaffView:
    """The view of a `staff` row."""
    return StaffView(
        id=staff.id,
        employee_no=staff.employee_no,
        name=staff.name,
        branch_code=staff.branch_code,
        role=staff.role,
        active=staff.active,
        locked=staff.locked_at is not None,
        failed_sign_ins=staff.failed_sign_ins,
    )


def _actor(staff, terminal: str) -> Actor:
    return Actor(
        staff_id=staff.id,
        employee_no=staff.employee_no,
        name=staff.name,
        branch_code=staff.branch_code,
        role=Role(staff.role),
        terminal=terminal,
    )


def authenticate(
    backend: Backend, employee_no: str, password: str, *, clock: Clock, terminal: str = "cli",
    identified: bool = False,
) -> Actor:
    """Sign in. The 5th consecutive failure locks the account; only an admin unlocks it.
    A failure is recorded (counter and audit event) and then refused with AUTH_FAILED, the same
    message whatever the reason, after the same work: one argon2 verification (against a dummy
    hash when there is no account to check), so neither the answer nor its time tells whether
    the employee number exists or the account is locked. A locked account answers AUTH_FAILED
    even to its right password: a different answer would let a guesser go on past the lock.

    `identified`: the person is already known (unlocking the idle lock of their own session);
    only then is a locked account named as such (STAFF_LOCKED), whatever the password."""
    now = clock.now()
    dummy = dummy_hash(backend.password_time_cost, backend.password_memory_kib)
    # Text first: an employee number with a terminal escape never reaches the trail. Staff
    # numbers are letters and digits, so refusing one tells nothing about who exists.
    employee_no = clean_text(employee_no, "employee_no", limit="employee_no")

    def hash_to_check(staff) -> str:
        return staff.password_hash if staff is not None and staff.active else dummy

    # One verification on every path, before any branch (the timing must not tell), and before
    # the transaction rather than in it: verifying takes ~0.2 s, and a sign-in held its row
    # lock that long (on SQLite the store's one write lock: every other terminal's write
    # waited behind each sign-in). The transaction re-reads the row and takes this result only
    # for the very hash it reads; a hash changed in between is verified again there.
    checked = backend.store.run(
        lambda s: hash_to_check(staff_store.by_employee_no(s, employee_no)), snapshot=True)
    checked_matches = verify_password(checked, password)

    def work(s: Tx) -> tuple[Actor | None, ConsoleError | None]:
        conn = s
        staff = staff_store.by_employee_no(conn, employee_no, lock=True)
        known = staff is not None and staff.active
        stored = hash_to_check(staff)
        matches = checked_matches if stored == checked else verify_password(stored, password)
        if not known:
            # Not a staff number: maybe a person's number typed in the wrong field.
            record(s, backend.store, now, NewEvent(mask_numbers(employee_no)[:20] or "?",
                                                    terminal,
                                                    "staff.sign_in_failed",
                                                    detail={"why": "unknown"}))
            return None, ConsoleError("AUTH_FAILED", SIGN_IN_FAILED)
        assert staff is not None  # known
        if staff.locked_at is not None:
            # Still a failed sign-in, and recorded as one: attempts on a locked account are
            # what a reviewer of the trail needs to see.
            record(s, backend.store, now, NewEvent(staff.employee_no, terminal,
                                                    "staff.sign_in_failed",
                                                    detail={"why": "locked"}))
            return None, _locked(identified)
        if not matches:
            failure = after_failure(staff.failed_sign_ins)
            events = [NewEvent(staff.employee_no, terminal, "staff.sign_in_failed",
                               detail={"failures": failure.failures})]
            if failure.locks:
                events.append(NewEvent(staff.employee_no, terminal, "staff.locked",
                                       detail={"failures": failure.failures}))
            staff_store.set_sign_in_state(conn, staff.id, failure.failures,
                                          now if failure.locks else None)
            record(s, backend.store, now, *events)
            if failure.locks:
                return None, _locked(identified)
            return None, ConsoleError("AUTH_FAILED", SIGN_IN_FAILED)
        if staff.failed_sign_ins:
            staff_store.set_sign_in_state(conn, staff.id, 0, None)
        record(s, backend.store, now, NewEvent(staff.employee_no, terminal, "staff.sign_in"))
        return _actor(staff, terminal), None

    # The failure is committed first (it must count), then refused.
    actor, error = backend.store.run(work)
    if error is not None:
        raise error
    assert actor is not None  # no refusal: signed in
    return actor


def _locked(identified: bool) -> ConsoleError:
    if not identified:
        return ConsoleError("AUTH_FAILED", SIGN_IN_FAILED)
    return ConsoleError("STAFF_LOCKED",
                        f"the account is locked after {MAX_FAILED_ATTEMPTS} failed sign-ins; "
                        "ask an admin")


def verify_actor_password(backend: Backend, actor: Actor, password: str, *, clock: Clock) -> Actor:
    """Unlock an idle-locked terminal: the same sign-in rules, for the same person. The session
    already names the member, so a locked account is said to be locked here (and the terminal
    signs out): the answer does not depend on the password, so it helps no guesser."""
    return authenticate(backend, actor.employee_no, password, clock=clock, terminal=actor.terminal,
                        identified=True)


def sign_out(backend: Backend, actor: Actor, *, clock: Clock, reason: str = "sign_out") -> None:
    now = clock.now()
    backend.store.run(lambda s: record(s, backend.store, now, event(actor, f"staff.{reason}")))


def add_branch(backend: Backend, actor: Actor, code: str, name: str, *, clock: Clock) -> BranchView:
    now = clock.now()
    code = normalize_branch_code(code, field="code")
    name = clean_text(name, "name", limit="branch_name")

    def work(s: Tx) -> BranchView:
        current_staff(s, actor)
        require_role(actor, ADMIN_ONLY, "add branches")
        conn = s
        if staff_store.branch_name(conn, code) is not None:
            raise ConsoleError("DUPLICATE", f"branch {code} already exists", field="code")
        staff_store.insert_branch(conn, code, name.strip())
        record(s, backend.store, now, event(actor, "branch.add", target=code,
                                            detail={"name": name.strip()}))
        return BranchView(code, name.strip())

    return backend.store.run(work)


def list_branches(backend: Backend) -> list[BranchView]:
    def work(s: Tx) -> list[BranchView]:
        return [BranchView(b.code, b.name) for b in staff_store.branches(s)]

    return backend.store.run(work)


def _new_staff(
    backend: Backend, employee_no: str, name: str, branch_code: str, role: str, password: str,
    now: datetime,
) -> dict:
    """The values of a new member's row (the password hashed here, before any transaction)."""
    employee_no = clean_text(employee_no, "employee_no", limit="employee_no")
    if not employee_no.isalnum():
        raise invalid("employee_no", "must be 1 to 20 letters or digits")
    name = clean_text(name, "name", limit="staff_name")
    try:
        role_value = Role((role or "").strip().lower())
    except ValueError:
        raise invalid("role", "must be teller, manager, auditor or admin") from None
    check_new_password(password, employee_no=employee_no, name=name)
    return dict(
        employee_no=employee_no,
        name=name.strip(),
        branch_code=normalize_branch_code(branch_code),
        role=role_value.value,
        password_hash=hash_password(
            password,
            time_cost=backend.password_time_cost,
            memory_kib=backend.password_memory_kib,
        ),
        failed_sign_ins=0,
        locked_at=None,
        active=True,
        created_at=now,
    )


def _insert_staff(s: Tx, staff: dict) -> StaffView:
    """Insert a member (values of `_new_staff`); returns its view."""
    conn = s
    if staff_store.branch_name(conn, staff["branch_code"]) is None:
        raise not_found("branch", staff["branch_code"])
    if staff_store.by_employee_no(conn, staff["employee_no"]) is not None:
        raise ConsoleError(
            "DUPLICATE", f"employee {staff['employee_no']} already exists", field="employee_no"
        )
    staff_id = staff_store.insert(conn, staff)
    return StaffView(id=staff_id, employee_no=staff["employee_no"], name=staff["name"],
                     branch_code=staff["branch_code"], role=staff["role"], active=True,
                     locked=False, failed_sign_ins=0)


def add_staff(
    backend: Backend, actor: Actor, *, employee_no: str, name: str, branch_code: str, role: str,
    password: str, clock: Clock,
) -> StaffView:
    now = clock.now()
    staff = _new_staff(backend, employee_no, name, branch_code, role, password, now)

    def work(s: Tx) -> StaffView:
        current_staff(s, actor)
        require_role(actor, ADMIN_ONLY, "add staff")
        view = _insert_staff(s, staff)
        record(s, backend.store, now, event(actor, "staff.add", target=view.employee_no,
                                            detail={"role": view.role,
                                                    "branch": view.branch_code}))
        return view

    return backend.store.run(work)


def bootstrap_admin(
    backend: Backend, *, employee_no: str, name: str, branch_code: str, branch_name: str,
    password: str, clock: Clock,
) -> StaffView:
    """The first admin of an empty store (a system job: there is nobody to act as yet)."""
    now = clock.now()
    staff = _new_staff(backend, employee_no, name, branch_code, Role.ADMIN, password, now)
    branch_name = clean_text(branch_name, "branch_name", limit="branch_name")

    def work(s: Tx) -> StaffView:
        conn = s
        if staff_store.count(conn) > 0:
            raise ConsoleError("FORBIDDEN", "the store already has staff; an admin adds more")
        if staff_store.branch_name(conn, staff["branch_code"]) is None:
            staff_store.insert_branch(conn, staff["branch_code"], branch_name)
        view = _insert_staff(s, staff)
        record(s, backend.store, now, NewEvent(SYSTEM, "cli", "staff.bootstrap_admin",
                                               target=view.employee_no))
        return view

    return backend.store.run(work)


def unlock_staff(backend: Backend, actor: Actor, employee_no: str, *, clock: Clock) -> StaffView:
    now = clock.now()
    employee_no = clean_text(employee_no, "employee_no", limit="employee_no")

    def work(s: Tx) -> StaffView:
        current_staff(s, actor)
        require_role(actor, ADMIN_ONLY, "unlock staff")
        conn = s
        staff = staff_store.by_employee_no(conn, employee_no.strip(), lock=True)
        if staff is None:
            raise not_found("staff", employee_no)
        staff_store.set_sign_in_state(conn, staff.id, 0, None)
        record(s, backend.store, now, event(actor, "staff.unlock", target=staff.employee_no))
        return replace(_view(staff), locked=False, failed_sign_ins=0)

    return backend.store.run(work)


def lock_staff(backend: Backend, actor: Actor, employee_no: str, *, clock: Clock) -> StaffView:
    """An admin's lock (an account suspected, a member gone): no sign-in until an admin unlocks
    it, and every session of the member on the console server ends in the same transaction."""
    now = clock.now()
    employee_no = clean_text(employee_no, "employee_no", limit="employee_no")

    def work(s: Tx) -> StaffView:
        current_staff(s, actor)
        require_role(actor, ADMIN_ONLY, "lock staff")
        conn = s
        staff = staff_store.by_employee_no(conn, employee_no.strip(), lock=True)
        if staff is None:
            raise not_found("staff", employee_no)
        if staff.id == actor.staff_id:
            raise ConsoleError("FORBIDDEN", "an admin cannot lock their own account",
                               detail="errors.detail.own_account")
        staff_store.set_sign_in_state(conn, staff.id, staff.failed_sign_ins,
                                      staff.locked_at or now)
        ended = session_store.end_staff_sessions(conn, staff.id, now, "staff_locked")
        record(s, backend.store, now, event(actor, "staff.locked", target=staff.employee_no,
                                            detail={"by": "admin", "sessions_ended": ended}))
        return replace(_view(staff), locked=True)

    return backend.store.run(work)


def list_staff(
    backend: Backend, actor: Actor, *, branch_code: str | None = None, clock: Clock
) -> list[StaffView]:
    """Admins see everyone; a manager sees their own branch (to pick a delegate)."""

    def work(s: Tx) -> list[StaffView]:
        current_staff(s, actor)
        require_role(actor, frozenset({Role.ADMIN, Role.MANAGER}), "list staff")
        branch = actor.branch_code if actor.role is Role.MANAGER else branch_code
        rows = staff_store.listed(s, normalize_branch_code(branch) if branch else None)
        return [_view(x) for x in rows]

    return backend.store.run(work)


def change_staff(
    backend: Backend, actor: Actor, employee_no: str, *, role: str | None = None,
    branch_code: str | None = None, clock: Clock,
) -> StaffView:
    """An admin moves a member to another role or branch (or both), in one transaction:

    * refused: anyone but an admin (FORBIDDEN), one's own account (FORBIDDEN: an admin cannot
      raise, lower or move themselves; another admin does it), an unknown role (INVALID_INPUT
      naming `role`), an unknown branch (NOT_FOUND naming `branch`), nothing to change
      (INVALID_INPUT naming `role`), an unknown member (NOT_FOUND naming `staff`);
    * every session of the member on the console server ends (they sign in again and work
      under the new role and branch);
    * every delegation not yet over that names the member, as delegate or as grantor, ends
      (a delegation is one branch's manager lending authority to a member of that branch: a
      move of either side breaks what it was granted on), each a `delegation.ended` event;
    * one `staff.changed` event with the old and new role and branch.
    """
    now = clock.now()
    employee_no = clean_text(employee_no, "employee_no", limit="employee_no").strip()
    new_role: Role | None = None
    if role is not None:
        try:
            new_role = Role(clean_text(role, "role", limit=20).strip().lower())
        except ValueError:
            raise invalid("role", "must be teller, manager, auditor or admin",
                          "errors.detail.role_unknown") from None
    new_branch: str | None = None
    if branch_code is not None:
        new_branch = normalize_branch_code(branch_code)
    if new_role is None and new_branch is None:
        raise invalid("role", "give a new role, a new branch or both",
                      "errors.detail.nothing_to_change")

    def work(s: Tx) -> StaffView:
        current_staff(s, actor)
        require_role(actor, ADMIN_ONLY, "change staff")
        conn = s
        staff = staff_store.by_employee_no(conn, employee_no, lock=True)
        if staff is None:
            raise not_found("staff", employee_no)
        if staff.id == actor.staff_id:
            raise ConsoleError("FORBIDDEN",
                               "an admin cannot change their own role or branch; another admin "
                               "does it", detail="errors.detail.own_account")
        role_after = new_role.value if new_role is not None else staff.role
        branch_after = new_branch if new_branch is not None else staff.branch_code
        if staff_store.branch_name(conn, branch_after) is None:
            raise not_found("branch", branch_after)
        if role_after == staff.role and branch_after == staff.branch_code:
            raise invalid("role", f"{staff.employee_no} is already {staff.role} at "
                                  f"branch {staff.branch_code}: nothing to change",
                          "errors.detail.nothing_to_change")
        staff_store.set_role_branch(conn, staff.id, role_after, branch_after)
        sessions_ended = session_store.end_staff_sessions(conn, staff.id, now, "staff_changed")
        ended = _end_delegations_of(conn, staff.id, staff.branch_code, actor.staff_id, now)
        events = [event(actor, "delegation.ended", target=f"delegation:{d}",
                        detail={"why": "staff_changed", "staff": staff.employee_no})
                  for d in ended]
        detail: dict = {"sessions_ended": sessions_ended, "delegations_ended": ended}
        if role_after != staff.role:
            detail["role"] = {"from": staff.role, "to": role_after}
        if branch_after != staff.branch_code:
            detail["branch"] = {"from": staff.branch_code, "to": branch_after}
        record(s, backend.store, now,
               event(actor, "staff.changed", target=staff.employee_no, detail=detail), *events)
        return replace(_view(staff), role=role_after, branch_code=branch_after)

    return backend.store.run(work)


def _end_delegations_of(conn, staff_id: int, branch_code: str, ended_by: int,
                        now: datetime) -> list[int]:
    """End the delegations not yet over granted to `staff_id` or by them (in their branch
    before the change); their ids, in order."""
    rows = staff_store.delegations(conn, delegate_id=staff_id) + [
        d for d in staff_store.delegations(conn, branch_code=branch_code)
        if d.grantor_id == staff_id]
    ended: list[int] = []
    for d in sorted({d.id: d for d in rows}.values(), key=lambda d: d.id):
        window = DelegationWindow(d.id, d.branch_code, d.delegate_id, d.valid_from,
                                  d.valid_until, d.ended_at)
        if window.can_end_at(now):
            staff_store.end_delegation(conn, d.id, now, ended_by)
            ended.append(d.id)
    return ended
