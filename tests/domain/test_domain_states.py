"""Credential and request states (DOMAIN.md section 6)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.states import (
    CREDENTIAL_TRANSITIONS,
    CURRENT,
    ENDED,
    MAX_FAILED_LOGINS,
    REQUEST_TRANSITIONS,
    CredentialStatus,
    RequestStatus,
    RevocationReason,
    can_transition,
    can_transition_request,
    effective_status,
)

C = CredentialStatus
R = RequestStatus


def test_every_status_has_a_transition_entry() -> None:
    assert set(CREDENTIAL_TRANSITIONS) == set(CredentialStatus)
    assert set(REQUEST_TRANSITIONS) == set(RequestStatus)


@pytest.mark.parametrize("status", sorted(ENDED))
def test_ended_credential_states_are_terminal(status: CredentialStatus) -> None:
    assert CREDENTIAL_TRANSITIONS[status] == frozenset()
    for target in CredentialStatus:
        assert not can_transition(status, target)


def test_pending_credential_goes_only_to_active_or_rejected() -> None:
    assert CREDENTIAL_TRANSITIONS[C.PENDING] == {C.ACTIVE, C.REJECTED}


def test_active_credential_can_be_locked_replaced_revoked_or_expire() -> None:
    assert CREDENTIAL_TRANSITIONS[C.ACTIVE] == {C.LOCKED, C.REPLACED, C.REVOKED, C.EXPIRED}


def test_locked_credential_cannot_be_unlocked_back_to_active() -> None:
    # The customer unlocks by registering again; the old credential is replaced.
    assert not can_transition(C.LOCKED, C.ACTIVE)
    assert CREDENTIAL_TRANSITIONS[C.LOCKED] == {C.REPLACED, C.REVOKED, C.EXPIRED}


def test_no_state_transitions_to_itself_or_back_to_pending() -> None:
    for status in CredentialStatus:
        assert not can_transition(status, status)
        assert not can_transition(status, C.PENDING)
    for request_status in RequestStatus:
        assert not can_transition_request(request_status, request_status)
        assert not can_transition_request(request_status, R.PENDING)


def test_current_and_ended_partition_the_non_pending_states() -> None:
    assert CURRENT == {C.ACTIVE, C.LOCKED}
    assert not CURRENT & ENDED
    assert CURRENT | ENDED | {C.PENDING} == set(CredentialStatus)


def test_pending_request_can_be_decided_withdrawn_or_expire() -> None:
    assert REQUEST_TRANSITIONS[R.PENDING] == {R.APPROVED, R.REJECTED, R.WITHDRAWN, R.EXPIRED}


@pytest.mark.parametrize("status", [R.APPROVED, R.REJECTED, R.WITHDRAWN, R.EXPIRED])
def test_a_decided_request_cannot_be_decided_again(status: RequestStatus) -> None:
    assert REQUEST_TRANSITIONS[status] == frozenset()
    for target in RequestStatus:
        assert not can_transition_request(status, target)


def test_five_failed_logins_lock() -> None:
    assert MAX_FAILED_LOGINS == 5


def test_revocation_reasons_are_the_five_of_the_rule_book() -> None:
    assert {r.value for r in RevocationReason} == {
        "lost_device",
        "customer_request",
        "incident",
        "death",
        "other",
    }


# --- effective status -----------------------------------------------------------------------

UNTIL = date(2027, 3, 10)


@pytest.mark.parametrize("status", ["active", "locked"])
def test_current_credential_past_its_last_day_is_expired(status: str) -> None:
    assert effective_status(status, UNTIL, date(2027, 3, 11)) is C.EXPIRED


@pytest.mark.parametrize("status", ["active", "locked"])
def test_current_credential_on_its_last_day_is_unchanged(status: str) -> None:
    assert effective_status(status, UNTIL, UNTIL) is CredentialStatus(status)


@pytest.mark.parametrize("status", ["pending", "replaced", "revoked", "rejected", "expired"])
def test_other_states_are_left_alone_past_validity(status: str) -> None:
    assert effective_status(status, UNTIL, date(2030, 1, 1)) is CredentialStatus(status)


def test_active_without_a_last_day_stays_active() -> None:
    assert effective_status("active", None, date(2099, 1, 1)) is C.ACTIVE


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError):
        effective_status("frozen", UNTIL, UNTIL)


@given(
    status=st.sampled_from(CredentialStatus),
    until=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
def test_effective_status_only_ever_turns_current_into_expired(status, until, today) -> None:
    result = effective_status(status.value, until, today)
    if status in CURRENT and today > until:
        assert result is C.EXPIRED
    else:
        assert result is status
    # Whatever it became is reachable from what it was.
    assert result is status or can_transition(status, result)
