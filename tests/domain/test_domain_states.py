"""Credential and request states (DOMAIN.md section 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.states import (
    CREDENTIAL_TRANSITIONS,
    CURRENT,
    CURRENT_VALUES,
    ENDED,
    REQUEST_TRANSITIONS,
    CredentialStatus,
    EndReason,
    IllegalTransition,
    RequestStatus,
    RevocationReason,
    can_transition,
    can_transition_request,
    channel_status,
    current_credential,
    effective_status,
    transition,
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


# --- the guard, "current", end reasons ------------------------------------------------------

@given(current=st.sampled_from(CredentialStatus), target=st.sampled_from(CredentialStatus))
def test_transition_is_the_guard_of_the_table(current, target) -> None:
    if can_transition(current, target):
        assert transition(current.value, target) is target
    else:
        with pytest.raises(IllegalTransition):
            transition(current.value, target)


def test_current_values_are_the_current_statuses_for_sql() -> None:
    assert set(CURRENT_VALUES) == {s.value for s in CURRENT}
    assert CURRENT_VALUES == tuple(sorted(CURRENT_VALUES))  # stable SQL text


def test_every_revocation_reason_is_an_end_reason() -> None:
    for reason in RevocationReason:
        assert EndReason.of_revocation(reason).value == reason.value
        assert EndReason.of_revocation(reason.value) is EndReason(reason.value)
    with pytest.raises(ValueError):
        EndReason.of_revocation("expired")  # not a revocation reason


class Cred(NamedTuple):
    channel: str
    status: str
    valid_until: date | None
    activated_at: datetime | None = datetime(2024, 1, 1, tzinfo=UTC)


TODAY = date(2027, 3, 10)


def test_current_credential_is_the_channels_usable_one() -> None:
    old = Cred("mts", "replaced", TODAY)
    web = Cred("web", "active", TODAY)
    locked = Cred("mts", "locked", TODAY)
    assert current_credential([web, locked, old], "mts", TODAY) is locked
    assert current_credential([web, locked, old], "web", TODAY) is web
    assert current_credential([Cred("mts", "active", date(2027, 3, 9))], "mts", TODAY) is None
    assert current_credential([Cred("mts", "pending", None, None)], "mts", TODAY) is None


@given(
    statuses=st.lists(st.tuples(st.sampled_from(["mts", "web"]), st.sampled_from(CredentialStatus),
                                st.booleans()), max_size=6),
)
def test_current_credential_is_current_and_within_validity(statuses) -> None:
    creds = [Cred(ch, s.value, TODAY if fresh else date(2020, 1, 1)) for ch, s, fresh in statuses]
    for channel in ("mts", "web"):
        found = current_credential(creds, channel, TODAY)
        usable = [c for c in creds if c.channel == channel and c.status in CURRENT_VALUES
                  and c.valid_until == TODAY]
        assert found == (usable[0] if usable else None)


def test_channel_status_reads_the_newest_activated_credential() -> None:
    never = Cred("web", "pending", None, None)
    assert channel_status([never], "web", TODAY) is None
    assert channel_status([Cred("web", "locked", TODAY)], "web", TODAY) is C.LOCKED
    assert channel_status([Cred("web", "active", date(2027, 3, 9))], "web", TODAY) is C.EXPIRED
    # Replaced or revoked: not registered now, whatever older ones say.
    assert channel_status([Cred("web", "revoked", TODAY), Cred("web", "active", TODAY)],
                          "web", TODAY) is None
    # The pending newer one does not count; the MTS one is another channel.
    assert channel_status([never, Cred("mts", "active", TODAY), Cred("web", "active", TODAY)],
                          "web", TODAY) is C.ACTIVE
