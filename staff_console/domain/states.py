"""States and allowed transitions of a credential and of a request."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from .validity import is_past_validity


class CredentialStatus(StrEnum):
    PENDING = "pending"  # registered by the channel, waiting for approval
    ACTIVE = "active"
    LOCKED = "locked"  # 5 failed logins; the customer registers again to unlock
    REPLACED = "replaced"  # a newer registration on the same channel was approved
    REVOKED = "revoked"  # 해지 at a branch
    EXPIRED = "expired"  # past the last valid day
    REJECTED = "rejected"  # its registration request was rejected, withdrawn or expired


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class RequestKind(StrEnum):
    REGISTRATION = "registration"  # from a channel
    REVOCATION = "revocation"  # made at a branch


class RevocationReason(StrEnum):
    LOST_DEVICE = "lost_device"
    CUSTOMER_REQUEST = "customer_request"
    INCIDENT = "incident"
    DEATH = "death"
    OTHER = "other"


CURRENT = frozenset({CredentialStatus.ACTIVE, CredentialStatus.LOCKED})
ENDED = frozenset(
    {
        CredentialStatus.REPLACED,
        CredentialStatus.REVOKED,
        CredentialStatus.EXPIRED,
        CredentialStatus.REJECTED,
    }
)

CREDENTIAL_TRANSITIONS: dict[CredentialStatus, frozenset[CredentialStatus]] = {
    CredentialStatus.PENDING: frozenset({CredentialStatus.ACTIVE, CredentialStatus.REJECTED}),
    CredentialStatus.ACTIVE: frozenset(
        {
            CredentialStatus.LOCKED,
            CredentialStatus.REPLACED,
            CredentialStatus.REVOKED,
            CredentialStatus.EXPIRED,
        }
    ),
    CredentialStatus.LOCKED: frozenset(
        {CredentialStatus.REPLACED, CredentialStatus.REVOKED, CredentialStatus.EXPIRED}
    ),
    CredentialStatus.REPLACED: frozenset(),
    CredentialStatus.REVOKED: frozenset(),
    CredentialStatus.EXPIRED: frozenset(),
    CredentialStatus.REJECTED: frozenset(),
}

REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.PENDING: frozenset(
        {
            RequestStatus.APPROVED,
            RequestStatus.REJECTED,
            RequestStatus.WITHDRAWN,
            RequestStatus.EXPIRED,
        }
    ),
    RequestStatus.APPROVED: frozenset(),
    RequestStatus.REJECTED: frozenset(),
    RequestStatus.WITHDRAWN: frozenset(),
    RequestStatus.EXPIRED: frozenset(),
}

MAX_FAILED_LOGINS = 5


def can_transition(current: CredentialStatus, target: CredentialStatus) -> bool:
    return target in CREDENTIAL_TRANSITIONS[current]


def can_transition_request(current: RequestStatus, target: RequestStatus) -> bool:
    return target in REQUEST_TRANSITIONS[current]


def effective_status(status: str, valid_until: date | None, today: date) -> CredentialStatus:
    """What a credential is today. An active or locked credential past its last valid day is
    expired even before the batch has marked it, so no screen shows it as usable."""
    value = CredentialStatus(status)
    if value in CURRENT and is_past_validity(valid_until, today):
        return CredentialStatus.EXPIRED
    return value
