"""The failed-attempt lock, one rule for staff sign-ins and channel logins (DOMAIN.md 6 and 7).

Five consecutive failures lock: a staff account (an admin unlocks it) and a credential (the
customer registers again). A success resets the count; the services store the count and apply
what `after_failure` says, under the row's lock so concurrent failures count once each.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_FAILED_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    failures: int  # consecutive failures, this one included
    locks: bool  # this failure reaches the limit: lock now


def after_failure(previous_failures: int) -> FailureOutcome:
    """What one more failure means after `previous_failures` consecutive ones."""
    failures = max(previous_failures, 0) + 1
    return FailureOutcome(failures, failures >= MAX_FAILED_ATTEMPTS)
