"""States and allowed transitions of a credential and of a request."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from .validity import is_past_validity


class CredentialStatus(StrEnum):
    PENDING = "pending"  # registered by the channel, waiting for approval
    ACTIVE = "active"
    LOCKED = "locked"  # lockout.MAX_FAILED_ATTEMPTS failed logins; the customer registers again
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


class EndReason(StrEnum):
    """Why a credential ended (credential.end_reason). A replacement names the new credential
    in its own column (credential.replaced_by), never inside this text."""

    REPLACED = "replaced"
    EXPIRED = "expired"
    REGISTRATION_REJECTED = "registration_rejected"
    REQUEST_EXPIRED = "request_expired"
    # A revocation ends the credential for its reason (RevocationReason, the same values).
    LOST_DEVICE = "lost_device"
    CUSTOMER_REQUEST = "customer_request"
    INCIDENT = "incident"
    DEATH = "death"
    OTHER = "other"

    @classmethod
    def of_revocation(cls, reason: str | RevocationReason) -> EndReason:
        return cls(RevocationReason(reason).value)


# The one definition of "current": the credential a channel uses now, at most one per customer
# and channel (the partial unique index uq_credential_current is built from CURRENT_VALUES).
CURRENT = frozenset({CredentialStatus.ACTIVE, CredentialStatus.LOCKED})
CURRENT_VALUES: tuple[str, ...] = tuple(sorted(s.value for s in CURRENT))
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

def can_transition(current: CredentialStatus, target: CredentialStatus) -> bool:
    return target in CREDENTIAL_TRANSITIONS[current]


class IllegalTransition(AssertionError):
    """A state change the rules do not allow: a bug in the caller, never a person's input."""


def transition(current: str | CredentialStatus, target: CredentialStatus) -> CredentialStatus:
    """The guard every credential state change goes through: `target`, or IllegalTransition."""
    value = CredentialStatus(current)
    if not can_transition(value, target):
        raise IllegalTransition(f"credential {value} -> {target} is not a transition")
    return target


def can_transition_request(current: RequestStatus, target: RequestStatus) -> bool:
    return target in REQUEST_TRANSITIONS[current]


def effective_status(status: str, valid_until: date | None, today: date) -> CredentialStatus:
    """What a credential is today. An active or locked credential past its last valid day is
    expired even before the batch has marked it, so no screen shows it as usable."""
    value = CredentialStatus(status)
    if value in CURRENT and is_past_validity(valid_until, today):
        return CredentialStatus.EXPIRED
    return value


class CredentialFacts(Protocol):
    """What the rules below read of a credential row or view."""

    @property
    def channel(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def valid_until(self) -> date | None: ...
    @property
    def activated_at(self) -> datetime | None: ...


CredentialT = TypeVar("CredentialT", bound=CredentialFacts)


def is_current(status: str | CredentialStatus) -> bool:
    """Active or locked (whether past its validity or not: see `current_credential`)."""
    return status in CURRENT


def current_credential(
    credentials: Iterable[CredentialT], channel: str, today: date
) -> CredentialT | None:
    """The channel's credential in use today: current and not past its last valid day."""
    for cred in credentials:
        if cred.channel == channel and is_current(
            effective_status(cred.status, cred.valid_until, today)
        ):
            return cred
    return None


def channel_status(
    credentials: Iterable[CredentialFacts], channel: str, today: date
) -> CredentialStatus | None:
    """The state that decides the channel's simple-login services (the service matrix): that of
    the newest credential of the channel ever activated, `credentials` newest first. Active,
    locked or expired; None when it was replaced or revoked (not registered now) or none was."""
    for cred in credentials:
        if cred.channel != channel or cred.activated_at is None:
            continue
        status = effective_status(cred.status, cred.valid_until, today)
        if status in CURRENT or status is CredentialStatus.EXPIRED:
            return status
        return None
    return None
