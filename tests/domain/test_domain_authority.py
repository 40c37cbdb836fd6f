"""지점장 전결: maker-checker and delegation (DOMAIN.md section 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.authority import (
    AUDIT_ROLES,
    BRANCH_ROLES,
    ENDABLE,
    MAX_DELEGATION,
    READ_ROLES,
    REVIEW_ROLES,
    Actor,
    Authority,
    DelegationState,
    DelegationWindow,
    Role,
    check_delegation_grant,
    decision_authority,
    is_own_request,
    require_role,
)
from staff_console.domain.errors import ConsoleError

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
FROM = T0
UNTIL = T0 + timedelta(days=5)

MANAGER = Actor(1, "E001", "김지점", "101", Role.MANAGER)
TELLER = Actor(2, "E002", "이창구", "101", Role.TELLER)
OTHER_TELLER = Actor(3, "E003", "박창구", "101", Role.TELLER)
OTHER_MANAGER = Actor(9, "E009", "최지점", "202", Role.MANAGER)
AUDITOR = Actor(4, "E004", "정감사", "101", Role.AUDITOR)


def window(
    *,
    id: int = 7,
    branch: str = "101",
    delegate: int = TELLER.staff_id,
    valid_from: datetime = FROM,
    valid_until: datetime = UNTIL,
    ended_at: datetime | None = None,
) -> DelegationWindow:
    return DelegationWindow(id, branch, delegate, valid_from, valid_until, ended_at)


def decide(actor: Actor, *, maker: int | None = 2, delegations=(), at: datetime = T0,
           branch: str = "101"):
    return decision_authority(
        actor, request_branch=branch, maker_staff_id=maker, delegations=list(delegations), at=at
    )


def code_of(fn, *args, **kwargs) -> str | None:
    try:
        fn(*args, **kwargs)
    except ConsoleError as exc:
        return exc.code
    return None


# --- decision_authority ---------------------------------------------------------------------

def test_manager_of_the_requests_branch_decides_under_own_authority() -> None:
    assert decide(MANAGER, maker=TELLER.staff_id) == (Authority.MANAGER, None)


def test_manager_decides_a_channel_request_with_no_maker() -> None:
    assert decide(MANAGER, maker=None) == (Authority.MANAGER, None)


def test_the_maker_cannot_decide_even_as_manager() -> None:
    assert code_of(decide, MANAGER, maker=MANAGER.staff_id) == "SELF_APPROVAL"


def test_the_maker_cannot_decide_even_as_an_active_delegate() -> None:
    assert code_of(decide, TELLER, maker=TELLER.staff_id, delegations=[window()]) == (
        "SELF_APPROVAL"
    )


def test_manager_of_another_branch_is_forbidden() -> None:
    assert code_of(decide, OTHER_MANAGER, maker=TELLER.staff_id) == "FORBIDDEN"


def test_teller_without_delegation_is_forbidden() -> None:
    assert code_of(decide, OTHER_TELLER, maker=TELLER.staff_id) == "FORBIDDEN"


def test_auditor_is_forbidden() -> None:
    assert code_of(decide, AUDITOR, maker=TELLER.staff_id) == "FORBIDDEN"


def test_teller_with_active_delegation_decides_as_delegate() -> None:
    assert decide(TELLER, maker=OTHER_TELLER.staff_id, delegations=[window(id=7)], at=T0) == (
        Authority.DELEGATE,
        7,
    )


def test_delegation_window_includes_its_start() -> None:
    assert decide(TELLER, maker=3, delegations=[window()], at=FROM)[0] is Authority.DELEGATE


def test_delegation_window_excludes_its_end() -> None:
    assert code_of(decide, TELLER, maker=3, delegations=[window()], at=UNTIL) == (
        "DELEGATION_INVALID"
    )
    just_before = UNTIL - timedelta(microseconds=1)
    assert decide(TELLER, maker=3, delegations=[window()], at=just_before)[0] is (
        Authority.DELEGATE
    )


def test_delegation_not_yet_started_is_invalid() -> None:
    before = FROM - timedelta(seconds=1)
    assert code_of(decide, TELLER, maker=3, delegations=[window()], at=before) == (
        "DELEGATION_INVALID"
    )


def test_delegation_ended_early_is_respected() -> None:
    ended = FROM + timedelta(days=1)
    delegation = window(ended_at=ended)
    assert decide(TELLER, maker=3, delegations=[delegation], at=ended - timedelta(seconds=1))
    assert code_of(decide, TELLER, maker=3, delegations=[delegation], at=ended) == (
        "DELEGATION_INVALID"
    )
    assert code_of(
        decide, TELLER, maker=3, delegations=[delegation], at=ended + timedelta(hours=1)
    ) == "DELEGATION_INVALID"


def test_delegation_of_another_branch_does_not_help() -> None:
    other = window(branch="202")
    assert code_of(decide, TELLER, maker=3, delegations=[other], at=T0) == "FORBIDDEN"


def test_delegation_to_someone_else_does_not_help() -> None:
    theirs = window(delegate=OTHER_TELLER.staff_id)
    assert code_of(decide, TELLER, maker=3, delegations=[theirs], at=T0) == "FORBIDDEN"


def test_delegation_does_not_cover_requests_of_another_branch() -> None:
    # A delegation names a branch; it only covers requests of that branch.
    assert code_of(decide, TELLER, maker=3, delegations=[window()], branch="202") == "FORBIDDEN"


def test_one_active_window_among_stale_ones_is_enough() -> None:
    stale = window(id=1, valid_from=FROM - timedelta(days=30), valid_until=FROM - timedelta(days=20))
    active = window(id=2)
    assert decide(TELLER, maker=3, delegations=[stale, active], at=T0) == (Authority.DELEGATE, 2)


def test_delegation_active_at_is_half_open_and_honours_ended_at() -> None:
    delegation = window()
    assert delegation.active_at(FROM)
    assert not delegation.active_at(UNTIL)
    assert not window(ended_at=FROM).active_at(FROM)


@given(
    start=st.integers(min_value=0, max_value=1000),
    length=st.integers(min_value=1, max_value=1000),
    ended=st.one_of(st.none(), st.integers(min_value=-10, max_value=2000)),
    at=st.integers(min_value=-10, max_value=2500),
)
def test_delegate_decides_exactly_inside_from_until_and_before_ended(start, length, ended, at):
    minute = timedelta(minutes=1)
    delegation = window(
        valid_from=T0 + start * minute,
        valid_until=T0 + (start + length) * minute,
        ended_at=None if ended is None else T0 + ended * minute,
    )
    inside = start <= at < start + length and (ended is None or at < ended)
    result = code_of(decide, TELLER, maker=3, delegations=[delegation], at=T0 + at * minute)
    assert result == (None if inside else "DELEGATION_INVALID")


def test_delegation_states_over_its_life() -> None:
    hour = timedelta(hours=1)
    assert window().state_at(FROM - hour) is DelegationState.SCHEDULED
    assert window().state_at(FROM) is DelegationState.ACTIVE
    assert window().state_at(UNTIL) is DelegationState.EXPIRED
    assert window(ended_at=FROM + hour).state_at(FROM + hour) is DelegationState.ENDED
    assert window(ended_at=FROM + hour).state_at(FROM) is DelegationState.ACTIVE


@given(
    start=st.integers(min_value=0, max_value=1000),
    length=st.integers(min_value=1, max_value=1000),
    ended=st.one_of(st.none(), st.integers(min_value=-10, max_value=2000)),
    at=st.integers(min_value=-10, max_value=2500),
)
def test_delegation_state_agrees_with_active_at_and_can_end(start, length, ended, at) -> None:
    minute = timedelta(minutes=1)
    delegation = window(
        valid_from=T0 + start * minute,
        valid_until=T0 + (start + length) * minute,
        ended_at=None if ended is None else T0 + ended * minute,
    )
    instant = T0 + at * minute
    state = delegation.state_at(instant)
    assert delegation.active_at(instant) == (state is DelegationState.ACTIVE)
    assert delegation.can_end_at(instant) == (
        state in (DelegationState.ACTIVE, DelegationState.SCHEDULED))
    if ended is not None and ended <= at:
        assert state is DelegationState.ENDED
    elif at >= start + length:
        assert state is DelegationState.EXPIRED


def test_own_request_is_decided_by_staff_id() -> None:
    assert is_own_request(TELLER, TELLER.staff_id)
    assert not is_own_request(TELLER, OTHER_TELLER.staff_id)
    assert not is_own_request(TELLER, None)  # a channel's request is no one's own
    # Same employee number, another person (ids differ): not one's own.
    namesake = Actor(99, TELLER.employee_no, "동명이인", "101", Role.TELLER)
    assert not is_own_request(namesake, TELLER.staff_id)


# --- check_delegation_grant -----------------------------------------------------------------

def grant(grantor: Actor = MANAGER, **overrides) -> str | None:
    args = dict(
        delegate_id=TELLER.staff_id,
        delegate_branch="101",
        delegate_role=Role.TELLER,
        delegate_active=True,
        valid_from=FROM,
        valid_until=UNTIL,
        now=T0,
    )
    args.update(overrides)
    return code_of(check_delegation_grant, grantor, **args)


def test_manager_may_delegate_to_an_active_teller_of_the_branch() -> None:
    assert grant() is None


def test_delegation_may_start_in_the_past_if_it_has_not_ended() -> None:
    assert grant(valid_from=T0 - timedelta(days=1), now=T0) is None


@pytest.mark.parametrize("role", [Role.TELLER, Role.AUDITOR, Role.ADMIN])
def test_only_a_manager_may_delegate(role: Role) -> None:
    grantor = Actor(5, "E005", "x", "101", role)
    assert grant(grantor, delegate_id=6) == "FORBIDDEN"


def test_manager_cannot_delegate_to_themselves() -> None:
    assert grant(delegate_id=MANAGER.staff_id, delegate_role=Role.MANAGER) == "DELEGATION_INVALID"


def test_delegate_must_be_of_the_same_branch() -> None:
    assert grant(delegate_branch="202") == "DELEGATION_INVALID"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_auditor_or_admin_cannot_be_a_delegate(role: Role) -> None:
    assert grant(delegate_role=role) == "DELEGATION_INVALID"


def test_inactive_staff_cannot_be_a_delegate() -> None:
    assert grant(delegate_active=False) == "DELEGATION_INVALID"


def test_period_must_end_after_it_starts() -> None:
    assert grant(valid_until=FROM) == "DELEGATION_INVALID"
    assert grant(valid_until=FROM - timedelta(hours=1)) == "DELEGATION_INVALID"


def test_period_must_not_have_ended_already() -> None:
    past_from, past_until = T0 - timedelta(days=3), T0 - timedelta(days=1)
    assert grant(valid_from=past_from, valid_until=past_until) == "DELEGATION_INVALID"
    assert grant(valid_from=past_from, valid_until=T0) == "DELEGATION_INVALID"


def test_period_is_at_most_366_days() -> None:
    assert MAX_DELEGATION == timedelta(days=366)
    assert grant(valid_until=FROM + timedelta(days=366)) is None
    assert grant(valid_until=FROM + timedelta(days=366, seconds=1)) == "DELEGATION_INVALID"


# --- roles ----------------------------------------------------------------------------------

def test_role_sets() -> None:
    assert BRANCH_ROLES == {Role.TELLER, Role.MANAGER}
    assert READ_ROLES == {Role.TELLER, Role.MANAGER, Role.AUDITOR}
    assert Role.ADMIN not in READ_ROLES  # an administrator does not see customer data
    assert AUDIT_ROLES == {Role.MANAGER, Role.AUDITOR, Role.ADMIN}
    assert REVIEW_ROLES == {Role.MANAGER, Role.AUDITOR}
    assert ENDABLE == {DelegationState.ACTIVE, DelegationState.SCHEDULED}


def test_require_role_refuses_other_roles_with_forbidden() -> None:
    require_role(TELLER, BRANCH_ROLES, "prepare requests")
    with pytest.raises(ConsoleError) as exc_info:
        require_role(AUDITOR, BRANCH_ROLES, "prepare requests")
    assert exc_info.value.code == "FORBIDDEN"
    assert exc_info.value.exit_code == 4
