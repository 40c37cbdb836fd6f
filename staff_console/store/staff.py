"""Staff, branches and delegations: the statements the sign-in, the staff administration and
the decisions run (Core, on the use case's connection)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .tables import BRANCH, DELEGATION, STAFF

_bp = sa.bindparam

# The acting staff member's standing, as one column: 'ok', 'locked' or 'inactive', NULL if the
# row is gone. The hot statements (a search, a customer view, a lock before a change) select it
# beside what they read, which saves the use case a round trip of its own.
# 'inactive', 'locked', or 'ok|<role>|<branch>': the role and branch the member holds now, so
# that a session opened before an admin changed them is refused (services.common.check_standing).
STANDING = sa.select(sa.case(
    (STAFF.c.active.is_not(True), "inactive"),
    (STAFF.c.locked_at.is_not(None), "locked"),
    else_=sa.literal("ok|") + STAFF.c.role + "|" + STAFF.c.branch_code,
)).where(STAFF.c.id == _bp("staff_id")).scalar_subquery().label("standing")

_STANDING = sa.select(STANDING)
_NAMES = sa.select(STAFF.c.id, STAFF.c.employee_no, STAFF.c.name).where(
    STAFF.c.id.in_(_bp("ids", expanding=True)))
_BY_NUMBER = sa.select(STAFF).where(STAFF.c.employee_no == _bp("employee_no"))
_BY_NUMBER_LOCKED = _BY_NUMBER.with_for_update()
_SET_SIGN_IN = sa.update(STAFF).where(STAFF.c.id == _bp("staff_id")).values(
    failed_sign_ins=_bp("new_failures"), locked_at=_bp("new_locked_at"))
_STAFF_COUNT = sa.select(sa.func.count()).select_from(STAFF)
_INSERT_STAFF = sa.insert(STAFF).returning(STAFF.c.id)
_LIST_STAFF = sa.select(STAFF).order_by(STAFF.c.branch_code, STAFF.c.employee_no)
_BRANCH_NAME = sa.select(BRANCH.c.name).where(BRANCH.c.code == _bp("code"))
_INSERT_BRANCH = sa.insert(BRANCH)
_LIST_BRANCHES = sa.select(BRANCH.c.code, BRANCH.c.name).order_by(BRANCH.c.code)


def standing(conn: Connection, staff_id: int) -> str | None:
    """The member's `STANDING` ('ok|role|branch', 'locked', 'inactive'; None: no such
    member)."""
    return conn.execute(_STANDING, {"staff_id": staff_id}).scalar()


def names(conn: Connection, ids: list[int]) -> dict[int, Row]:
    """(id, employee_no, name) of the given staff ids, in one statement."""
    if not ids:
        return {}
    return {r.id: r for r in conn.execute(_NAMES, {"ids": ids})}


def by_employee_no(conn: Connection, employee_no: str, *, lock: bool = False) -> Row | None:
    """A member's row (every column); `lock`: FOR UPDATE (the sign-in counts under it)."""
    return conn.execute(_BY_NUMBER_LOCKED if lock else _BY_NUMBER,
                        {"employee_no": employee_no}).first()


def set_sign_in_state(conn: Connection, staff_id: int, failures: int,
                      locked_at: datetime | None) -> None:
    conn.execute(_SET_SIGN_IN, {"staff_id": staff_id, "new_failures": failures,
                                "new_locked_at": locked_at})


_SET_ROLE_BRANCH = sa.update(STAFF).where(STAFF.c.id == _bp("staff_id")).values(
    role=_bp("new_role"), branch_code=_bp("new_branch"))


def set_role_branch(conn: Connection, staff_id: int, role: str, branch_code: str) -> None:
    """An admin's change of a member's role and branch (services/staff.py change_staff)."""
    conn.execute(_SET_ROLE_BRANCH, {"staff_id": staff_id, "new_role": role,
                                    "new_branch": branch_code})


def count(conn: Connection) -> int:
    return conn.execute(_STAFF_COUNT).scalar_one()


def insert(conn: Connection, values: dict) -> int:
    """Insert a member; returns its id."""
    return conn.execute(_INSERT_STAFF, values).scalar_one()


def listed(conn: Connection, branch_code: str | None) -> list[Row]:
    """Every member (of one branch, if given), by branch and employee number."""
    query = _LIST_STAFF if branch_code is None else _LIST_STAFF.where(
        STAFF.c.branch_code == branch_code)
    return list(conn.execute(query))


def branch_name(conn: Connection, code: str) -> str | None:
    return conn.execute(_BRANCH_NAME, {"code": code}).scalar()


def insert_branch(conn: Connection, code: str, name: str) -> None:
    conn.execute(_INSERT_BRANCH, {"code": code, "name": name})


def branches(conn: Connection) -> list[Row]:
    return list(conn.execute(_LIST_BRANCHES))


# ------------------------------------------------------------------------- delegations

_GRANTOR = STAFF.alias("grantor")
_DELEGATE = STAFF.alias("delegate")
# A delegation with its grantor's and delegate's numbers and names: a list is one statement.
_DELEGATION_VIEW = sa.select(
    DELEGATION,
    _GRANTOR.c.employee_no.label("grantor_no"), _GRANTOR.c.name.label("grantor_name"),
    _DELEGATE.c.employee_no.label("delegate_no"), _DELEGATE.c.name.label("delegate_name"),
).select_from(
    DELEGATION.join(_GRANTOR, _GRANTOR.c.id == DELEGATION.c.grantor_id)
    .join(_DELEGATE, _DELEGATE.c.id == DELEGATION.c.delegate_id))
_DELEGATIONS_ORDER = (DELEGATION.c.valid_from.desc(), DELEGATION.c.id.desc())
_ONE_DELEGATION = _DELEGATION_VIEW.where(DELEGATION.c.id == _bp("delegation_id"))
_INSERT_DELEGATION = sa.insert(DELEGATION).returning(DELEGATION.c.id)
_LOCK_DELEGATION = sa.select(DELEGATION).where(
    DELEGATION.c.id == _bp("delegation_id")).with_for_update()
_END_DELEGATION = sa.update(DELEGATION).where(DELEGATION.c.id == _bp("delegation_id")).values(
    ended_at=_bp("new_ended_at"), ended_by_id=_bp("new_ended_by"))
_WINDOWS = sa.select(
    DELEGATION.c.id, DELEGATION.c.branch_code, DELEGATION.c.delegate_id, DELEGATION.c.valid_from,
    DELEGATION.c.valid_until, DELEGATION.c.ended_at,
).where(DELEGATION.c.delegate_id == _bp("staff_id"))


def windows_of(conn: Connection, delegate_id: int) -> list[Row]:
    """The delegations granted to a member (id, branch_code, delegate_id, valid_from,
    valid_until, ended_at): what decides whether they may decide now."""
    return list(conn.execute(_WINDOWS, {"staff_id": delegate_id}))


def insert_delegation(conn: Connection, values: dict) -> int:
    return conn.execute(_INSERT_DELEGATION, values).scalar_one()


def lock_delegation(conn: Connection, delegation_id: int) -> Row | None:
    return conn.execute(_LOCK_DELEGATION, {"delegation_id": delegation_id}).first()


def end_delegation(conn: Connection, delegation_id: int, ended_at: datetime,
                   ended_by: int) -> None:
    conn.execute(_END_DELEGATION, {"delegation_id": delegation_id, "new_ended_at": ended_at,
                                   "new_ended_by": ended_by})


def delegation_view(conn: Connection, delegation_id: int) -> Row:
    """One delegation with its grantor's and delegate's numbers and names."""
    return conn.execute(_ONE_DELEGATION, {"delegation_id": delegation_id}).one()


def delegations(conn: Connection, *, branch_code: str | None = None,
                delegate_id: int | None = None) -> list[Row]:
    """A branch's delegations, or those granted to one member, newest first, with names."""
    query = _DELEGATION_VIEW
    if branch_code is not None:
        query = query.where(DELEGATION.c.branch_code == branch_code)
    if delegate_id is not None:
        query = query.where(DELEGATION.c.delegate_id == delegate_id)
    return list(conn.execute(query.order_by(*_DELEGATIONS_ORDER)))
