"""CHECK constraints on the columns that hold a domain enum's value, generated from the enums.

The database refuses a status (or kind, role, channel ...) the domain does not know, whatever
path wrote it. Migration 0006 creates these; a later change to one of the enums needs a
migration that replaces its constraint (tests/store/test_status_checks.py fails until then:
it compares the constraints in a migrated database with the enums).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..domain.authority import Authority, Role
from ..domain.channels import Biometrics, Channel
from ..domain.eligibility import VerificationKind
from ..domain.ids import CustomerType, Nationality
from ..domain.states import (
    CredentialStatus,
    EndReason,
    RequestKind,
    RequestStatus,
    RevocationReason,
)


@dataclass(frozen=True)
class EnumCheck:
    table: str
    column: str
    enum: type[StrEnum]

    @property
    def name(self) -> str:
        return f"ck_{self.table}_{self.column}"

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(member.value for member in self.enum)

    def condition(self) -> str:
        """SQL text; NULL passes a CHECK, so nullable columns stay nullable."""
        quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in self.values)
        return f"{self.column} IN ({quoted})"


ENUM_CHECKS: tuple[EnumCheck, ...] = (
    EnumCheck("staff", "role", Role),
    EnumCheck("customer", "customer_type", CustomerType),
    EnumCheck("customer", "nationality", Nationality),
    EnumCheck("credential", "status", CredentialStatus),
    EnumCheck("credential", "channel", Channel),
    EnumCheck("credential", "biometrics", Biometrics),
    EnumCheck("request", "status", RequestStatus),
    EnumCheck("request", "kind", RequestKind),
    EnumCheck("request", "channel", Channel),
    EnumCheck("request", "authority", Authority),
    EnumCheck("request", "reason", RevocationReason),
    EnumCheck("verification", "kind", VerificationKind),
)


# Added by migration 0007, after the old end-reason texts became codes.
END_REASON_CHECK = EnumCheck("credential", "end_reason", EndReason)
# Added by migration 0008 (the server's table of 0005 was left out of 0006).
CHANNEL_KEY_CHECK = EnumCheck("channel_key", "channel", Channel)
ALL_CHECKS: tuple[EnumCheck, ...] = (*ENUM_CHECKS, END_REASON_CHECK, CHANNEL_KEY_CHECK)


def checks_of(table: str) -> list[EnumCheck]:
    return [check for check in ALL_CHECKS if check.table == table]
