"""The one failed-attempt lock of staff sign-ins and channel logins (DOMAIN.md 6 and 7)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.lockout import MAX_FAILED_ATTEMPTS, after_failure


def test_five_consecutive_failures_lock() -> None:
    assert MAX_FAILED_ATTEMPTS == 5
    failures = 0
    outcomes = []
    for _ in range(MAX_FAILED_ATTEMPTS):
        outcome = after_failure(failures)
        failures = outcome.failures
        outcomes.append(outcome.locks)
    assert outcomes == [False] * (MAX_FAILED_ATTEMPTS - 1) + [True]
    assert failures == MAX_FAILED_ATTEMPTS


@given(st.integers(min_value=-3, max_value=50))
def test_a_failure_counts_one_and_locks_exactly_from_the_limit(previous: int) -> None:
    outcome = after_failure(previous)
    assert outcome.failures == max(previous, 0) + 1
    assert outcome.locks == (outcome.failures >= MAX_FAILED_ATTEMPTS)
