"""직무대행: a manager delegates approval authority for a bounded period [from, until)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from ..domain.authority import Actor, DelegationWindow, Role, check_delegation_grant
from ..domain.bounds import instant_within, row_id
from ..domain.clock import Clock
from ..domain.errors import ConsoleError, not_found
from ..domain.text import clean_text
from ..store.tables import Delegation, Staff
from .backend import Backend
from .common import current_staff, event, record
from .views import DelegationView


def _view(s: Session, d: Delegation, now: datetime) -> DelegationView:
    grantor = s.get(Staff, d.grantor_id)
    delegate = s.get(Staff, d.delegate_id)
    active = DelegationWindow(d.id, d.branch_code, d.delegate_id, d.valid_from, d.valid_until,
                              d.ended_at).active_at(now)
    return DelegationView(
        id=d.id, branch_code=d.branch_code, grantor=grantor.employee_no,
        grantor_name=grantor.name, delegate=delegate.employee_no, delegate_name=delegate.name,
        valid_from=d.valid_from, valid_until=d.valid_until, ended_at=d.ended_at, active=active,
    )


def grant_delegation(
    backend: Backend, actor: Actor, *, delegate_employee_no: str, valid_from: datetime,
    valid_until: datetime, clock: Clock,
) -> DelegationView:
    delegate_no = clean_text(delegate_employee_no, "delegate", limit="employee_no")
    now = clock.now()
    instant_within(valid_from, "from")
    instant_within(valid_until, "until")

    def work(s: Session) -> DelegationView:
        current_staff(s, actor)
        delegate = s.exec(select(Staff).where(Staff.employee_no == delegate_no)).first()
        if delegate is None:
            raise not_found("staff", delegate_no)
        check_delegation_grant(
            actor, delegate_id=delegate.id, delegate_branch=delegate.branch_code,
            delegate_role=Role(delegate.role),
            delegate_active=delegate.active and delegate.locked_at is None,
            valid_from=valid_from, valid_until=valid_until, now=now,
        )
        d = Delegation(branch_code=actor.branch_code, grantor_id=actor.staff_id,
                       delegate_id=delegate.id, valid_from=valid_from, valid_until=valid_until,
                       created_at=now)
        s.add(d)
        s.flush()
        record(s, backend.store, now, event(
            actor, "delegation.granted", target=f"delegation:{d.id}",
            detail={"delegate": delegate.employee_no, "from": valid_from.isoformat(),
                    "until": valid_until.isoformat()}))
        return _view(s, d, now)

    return backend.store.run(work)


def end_delegation(
    backend: Backend, actor: Actor, delegation_id: int, *, clock: Clock
) -> DelegationView:
    """End a delegation early. The branch manager (the grantor or a successor) ends it."""
    row_id(delegation_id, "delegation_id")
    now = clock.now()

    def work(s: Session) -> DelegationView:
        current_staff(s, actor)
        d = s.get(Delegation, delegation_id, with_for_update=True)
        if d is None:
            raise not_found("delegation", delegation_id)
        if actor.role is not Role.MANAGER or actor.branch_code != d.branch_code:
            raise ConsoleError("FORBIDDEN", "only the branch manager ends a delegation")
        if (d.ended_at is not None and d.ended_at <= now) or d.valid_until <= now:
            raise ConsoleError("DELEGATION_INVALID", f"delegation {d.id} has already ended")
        d.ended_at = now
        d.ended_by_id = actor.staff_id
        s.add(d)
        s.flush()
        record(s, backend.store, now, event(actor, "delegation.ended",
                                            target=f"delegation:{d.id}"))
        return _view(s, d, now)

    return backend.store.run(work)


def list_delegations(backend: Backend, actor: Actor, *, clock: Clock) -> list[DelegationView]:
    """A manager sees the branch's delegations; anyone else those granted to them."""
    now = clock.now()

    def work(s: Session) -> list[DelegationView]:
        current_staff(s, actor)
        query = select(Delegation)
        if actor.role is Role.MANAGER:
            query = query.where(Delegation.branch_code == actor.branch_code)
        else:
            query = query.where(Delegation.delegate_id == actor.staff_id)
        rows = s.exec(query.order_by(Delegation.valid_from.desc(), Delegation.id.desc())).all()
        return [_view(s, d, now) for d in rows]

    return backend.store.run(work)
