"""Who is signed in, and what the UI offers them.

The UI hides or disables what a role may not do; the services still refuse it (they are the
authority). Nothing here touches the database: the delegations are handed in by a service call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..domain.authority import (
    AUDIT_ROLES,
    BRANCH_ROLES,
    READ_ROLES,
    REVIEW_ROLES,
    Actor,
    DelegationWindow,
    Role,
    decision_authority,
    is_own_request,
)
from ..domain.errors import ConsoleError


@dataclass
class StaffSession:
    actor: Actor
    grants: list[DelegationWindow] = field(default_factory=list)

    @property
    def role(self) -> Role:
        return self.actor.role

    def set_delegations(self, views) -> None:
        """Keep the delegations granted to this person (a manager's list holds the branch's)."""
        self.grants = [
            DelegationWindow(d.id, d.branch_code, self.actor.staff_id, d.valid_from,
                             d.valid_until, d.ended_at)
            for d in views if d.delegate_id == self.actor.staff_id
        ]

    def may_view_customers(self) -> bool:
        return self.role in READ_ROLES

    def may_request(self) -> bool:
        return self.role in BRANCH_ROLES

    def may_delegate(self) -> bool:
        """Grant and end delegations (직무대행): the branch manager only."""
        return self.role is Role.MANAGER

    def may_read_audit(self) -> bool:
        """Read and verify the audit trail."""
        return self.role in AUDIT_ROLES

    def may_review_access(self) -> bool:
        """The monthly access-log review and its sign-off: a manager (the branch) or an
        auditor (everyone)."""
        return self.role in REVIEW_ROLES

    def active_grant(self, branch_code: str, now: datetime) -> DelegationWindow | None:
        for grant in self.grants:
            if grant.branch_code == branch_code and grant.active_at(now):
                return grant
        return None

    def may_decide_any(self, now: datetime) -> bool:
        """Manager of a branch, or a delegate inside an active window."""
        return self.role is Role.MANAGER or any(g.active_at(now) for g in self.grants)

    def authority_for(self, request, now: datetime) -> str | None:
        """`manager` or `delegate` if this person may decide the request now, else None."""
        if is_own_request(self.actor, request.maker_id):
            return None
        if self.role is Role.MANAGER and request.branch_code == self.actor.branch_code:
            return "manager"
        if self.active_grant(request.branch_code, now) is not None:
            return "delegate"
        return None

    def why_not_decide(self, request, now: datetime) -> ConsoleError | None:
        """The refusal the service would give this person deciding `request` now
        (SELF_APPROVAL, FORBIDDEN, DELEGATION_INVALID: the domain's rule), or None."""
        try:
            decision_authority(self.actor, request_branch=request.branch_code,
                               maker_staff_id=request.maker_id, delegations=self.grants, at=now)
        except ConsoleError as error:
            return error
        return None
