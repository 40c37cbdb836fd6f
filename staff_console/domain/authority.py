"""지점장 전결: who may make, decide and delegate (DOMAIN.md section 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .errors import ConsoleError


class Role(StrEnum):
    TELLER = "teller"
    MANAGER = "manager"  # 지점장
    AUDITOR = "auditor"
    ADMIN = "admin"


class Authority(StrEnum):
    MANAGER = "manager"  # the branch manager's own authority
    DELEGATE = "delegate"  # 직무대행 under a delegation
    POLICY = "policy"  # the action needs no checker by configuration


# Roles that prepare requests at a branch and see customer data.
BRANCH_ROLES = frozenset({Role.TELLER, Role.MANAGER})
# Roles that may read customer data (every read is logged).
READ_ROLES = frozenset({Role.TELLER, Role.MANAGER, Role.AUDITOR})
# Roles that review the audit trail.
AUDIT_ROLES = frozenset({Role.MANAGER, Role.AUDITOR, Role.ADMIN})
# Roles that review the access log and sign the review off (a manager: the branch's).
REVIEW_ROLES = frozenset({Role.MANAGER, Role.AUDITOR})
# Staff who may start the system's batches (expiry) from a terminal. The batch acts as the
# system on the store's clock and only does what is due, but it is operations' work, not a
# branch's: a teller's session cannot set it going on a central store.
BATCH_ROLES = frozenset({Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in staff member a service acts for."""

    staff_id: int
    employee_no: str
    name: str
    branch_code: str
    role: Role
    terminal: str = "cli"


class DelegationState(StrEnum):
    SCHEDULED = "scheduled"  # its period has not started
    ACTIVE = "active"  # inside [from, until) and not ended
    ENDED = "ended"  # ended early by the branch manager
    EXPIRED = "expired"  # its period is over


# A delegation not yet over may be ended early (by the branch manager).
ENDABLE = frozenset({DelegationState.ACTIVE, DelegationState.SCHEDULED})


def delegation_state(
    valid_from: datetime, valid_until: datetime, ended_at: datetime | None, instant: datetime
) -> DelegationState:
    """[from, until), unless ended early at or before the instant."""
    if ended_at is not None and ended_at <= instant:
        return DelegationState.ENDED
    if valid_until <= instant:
        return DelegationState.EXPIRED
    if instant < valid_from:
        return DelegationState.SCHEDULED
    return DelegationState.ACTIVE


@dataclass(frozen=True, slots=True)
class DelegationWindow:
    id: int
    branch_code: str
    delegate_id: int
    valid_from: datetime
    valid_until: datetime
    ended_at: datetime | None

    def state_at(self, instant: datetime) -> DelegationState:
        return delegation_state(self.valid_from, self.valid_until, self.ended_at, instant)

    def active_at(self, instant: datetime) -> bool:
        return self.state_at(instant) is DelegationState.ACTIVE

    def can_end_at(self, instant: datetime) -> bool:
        """Ending early is for a delegation not yet over (active or scheduled)."""
        return self.state_at(instant) in ENDABLE


def require_role(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise ConsoleError("FORBIDDEN", f"role {actor.role.value} may not {what}",
                           detail="errors.detail.role_may_not", values={"role": actor.role.value})


def is_own_request(actor: Actor, maker_staff_id: int | None) -> bool:
    """The actor made the request (by staff id: employee numbers are display, not identity).
    A channel's request (no maker) is no one's own."""
    return maker_staff_id is not None and maker_staff_id == actor.staff_id


def decision_authority(
    actor: Actor,
    *,
    request_branch: str,
    maker_staff_id: int | None,
    delegations: list[DelegationWindow],
    at: datetime,
) -> tuple[Authority, int | None]:
    """The authority under which `actor` may decide a request of `request_branch` at `at`.

    Returns (authority, delegation id). The checker is never the maker; the branch manager
    decides, or a delegate inside an active window for that branch. Raises otherwise.
    """
    if is_own_request(actor, maker_staff_id):
        raise ConsoleError("SELF_APPROVAL", "the maker of a request cannot decide it",
                           detail="errors.detail.self_decide")
    if actor.role is Role.MANAGER and actor.branch_code == request_branch:
        return Authority.MANAGER, None
    mine = [
        d for d in delegations if d.delegate_id == actor.staff_id and d.branch_code == request_branch
    ]
    for window in mine:
        if window.active_at(at):
            return Authority.DELEGATE, window.id
    if mine:
        raise ConsoleError(
            "DELEGATION_INVALID", "the delegation is not active now (outside its period or ended)",
            detail="errors.detail.delegation_inactive"
        )
    raise ConsoleError(
        "FORBIDDEN", f"only the manager of branch {request_branch} or an active delegate decides",
        detail="errors.detail.decide_branch_only", values={"branch": request_branch}
    )


MAX_DELEGATION = timedelta(days=366)


def check_delegation_grant(
    grantor: Actor,
    *,
    delegate_id: int,
    delegate_branch: str,
    delegate_role: Role,
    delegate_active: bool,
    valid_from: datetime,
    valid_until: datetime,
    now: datetime,
) -> None:
    """A manager delegates to a staff member of the same branch for a bounded period.

    No chains: only a manager grants, so a delegate (who is not the manager) cannot delegate on.
    The delegate must be able to work on requests (teller or manager), not an auditor or admin.
    """
    if grantor.role is not Role.MANAGER:
        raise ConsoleError("FORBIDDEN", "only a branch manager may delegate approval authority",
                           detail="errors.detail.delegate_manager_only")
    if delegate_id == grantor.staff_id:
        raise ConsoleError("DELEGATION_INVALID", "a manager cannot delegate to themselves",
                           detail="errors.detail.delegate_self")
    if delegate_branch != grantor.branch_code:
        raise ConsoleError("DELEGATION_INVALID", "the delegate must belong to the same branch",
                           detail="errors.detail.delegate_other_branch")
    if delegate_role not in BRANCH_ROLES or not delegate_active:
        raise ConsoleError(
            "DELEGATION_INVALID", "the delegate must be an active teller or manager",
            detail="errors.detail.delegate_role"
        )
    if valid_until <= valid_from:
        raise ConsoleError("DELEGATION_INVALID", "the period must end after it starts",
                           detail="errors.detail.delegate_order")
    if valid_until <= now:
        raise ConsoleError("DELEGATION_INVALID", "the period has already ended",
                           detail="errors.detail.delegate_past")
    if valid_until - valid_from > MAX_DELEGATION:
        raise ConsoleError("DELEGATION_INVALID", "a delegation lasts at most one year",
                           detail="errors.detail.delegate_too_long")
