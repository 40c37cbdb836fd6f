"""직무대행: a manager delegates approval authority for a bounded period [from, until)."""

from __future__ import annotations

from datetime import datetime

from ..domain.authority import (
    Actor,
    DelegationState,
    DelegationWindow,
    Role,
    check_delegation_grant,
)
from ..domain.bounds import instant_within, row_id
from ..domain.clock import Clock
from ..domain.errors import ConsoleError, not_found
from ..domain.text import clean_text
from ..store import staff as staff_store
from ..store.engine import Tx
from .backend import Backend
from .common import current_staff, event, record
from .views import DelegationView


def _view(d, now: datetime) -> DelegationView:
    """The view of a delegation row with its grantor's and delegate's numbers and names
    (store/staff.py `delegations`)."""
    state = DelegationWindow(d.id, d.branch_code, d.delegate_id, d.valid_from, d.valid_until,
                             d.ended_at).state_at(now)
    return DelegationView(
        id=d.id, branch_code=d.branch_code, grantor=d.grantor_no,
        grantor_name=d.grantor_name, delegate=d.delegate_no, delegate_name=d.delegate_name,
        valid_from=d.valid_from, valid_until=d.valid_until, ended_at=d.ended_at,
        active=state is DelegationState.ACTIVE, state=state.value, delegate_id=d.delegate_id,
    )


def grant_delegation(
    backend: Backend, actor: Actor, *, delegate_employee_no: str, valid_from: datetime,
    valid_until: datetime, clock: Clock,
) -> DelegationView:
    delegate_no = clean_text(delegate_employee_no, "delegate", limit="employee_no")
    now = clock.now()
    instant_within(valid_from, "from")
    instant_within(valid_until, "until")

    def work(s: Tx) -> DelegationView:
        current_staff(s, actor)
        conn = s
        delegate = staff_store.by_employee_no(conn, delegate_no)
        if delegate is None:
            raise not_found("staff", delegate_no)
        check_delegation_grant(
            actor, delegate_id=delegate.id, delegate_branch=delegate.branch_code,
            delegate_role=Role(delegate.role),
            delegate_active=delegate.active and delegate.locked_at is None,
            valid_from=valid_from, valid_until=valid_until, now=now,
        )
        delegation_id = staff_store.insert_delegation(conn, dict(
            branch_code=actor.branch_code, grantor_id=actor.staff_id, delegate_id=delegate.id,
            valid_from=valid_from, valid_until=valid_until, ended_at=None, ended_by_id=None,
            created_at=now))
        view = _view(staff_store.delegation_view(conn, delegation_id), now)
        record(s, backend.store, now, event(
            actor, "delegation.granted", target=f"delegation:{delegation_id}",
            detail={"delegate": delegate.employee_no, "from": valid_from.isoformat(),
                    "until": valid_until.isoformat()}))
        return view

    return backend.store.run(work)


def end_delegation(
    backend: Backend, actor: Actor, delegation_id: int, *, clock: Clock
) -> DelegationView:
    """End a delegation early. The branch manager (the grantor or a successor) ends it."""
    row_id(delegation_id, "delegation_id")
    now = clock.now()

    def work(s: Tx) -> DelegationView:
        current_staff(s, actor)
        conn = s
        d = staff_store.lock_delegation(conn, delegation_id)
        if d is None:
            raise not_found("delegation", delegation_id)
        if actor.role is not Role.MANAGER or actor.branch_code != d.branch_code:
            raise ConsoleError("FORBIDDEN", "only the branch manager ends a delegation",
                               detail="errors.detail.delegation_manager_only")
        if not DelegationWindow(d.id, d.branch_code, d.delegate_id, d.valid_from,
                                d.valid_until, d.ended_at).can_end_at(now):
            raise ConsoleError("DELEGATION_INVALID", f"delegation {d.id} has already ended",
                               detail="errors.detail.delegation_ended", values={"id": d.id})
        staff_store.end_delegation(conn, d.id, now, actor.staff_id)
        view = _view(staff_store.delegation_view(conn, d.id), now)
        record(s, backend.store, now, event(actor, "delegation.ended",
                                            target=f"delegation:{d.id}"))
        return view

    return backend.store.run(work)


def list_delegations(backend: Backend, actor: Actor, *, clock: Clock) -> list[DelegationView]:
    """A manager sees the branch's delegations; anyone else those granted to them."""
    now = clock.now()

    def work(s: Tx) -> list[DelegationView]:
        current_staff(s, actor)
        if actor.role is Role.MANAGER:
            rows = staff_store.delegations(s, branch_code=actor.branch_code)
        else:
            rows = staff_store.delegations(s, delegate_id=actor.staff_id)
        return [_view(d, now) for d in rows]

    return backend.store.run(work)
