"""Who may register (DOMAIN.md section 2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import ConsoleError, invalid
from .ids import CustomerType, Nationality


class VerificationKind(StrEnum):
    """The three kinds of non-face-to-face real-name verification (비대면 실명확인 3종)."""

    ID_CARD = "id_card"  # photo of 주민등록증/운전면허증 with authenticity check
    ONE_WON = "one_won"  # 1-won transfer from an own account at another institution
    PHONE = "phone"  # mobile phone identity verification


REQUIRED_VERIFICATIONS = frozenset(VerificationKind)


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: VerificationKind
    passed: bool
    detail: str = ""  # masked details only


def parse_verifications(raw: str | list[str], *, field: str = "verified") -> frozenset[str]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    names = {item.strip().lower() for item in items if item.strip()}
    unknown = names - {k.value for k in VerificationKind}
    if unknown:
        raise invalid(field, f"unknown kind {', '.join(sorted(unknown))}; "
                             "use id_card, one_won, phone")
    return frozenset(names)


def check_customer_eligible(
    customer_type: CustomerType, nationality: Nationality, online_trading: bool
) -> None:
    """Domestic individuals with the online trading agreement only."""
    if customer_type is CustomerType.CORPORATION:
        raise ConsoleError(
            "INELIGIBLE_CORPORATION", "corporations (법인) cannot register simple authentication"
        )
    if nationality is Nationality.FOREIGN:
        raise ConsoleError(
            "INELIGIBLE_FOREIGNER", "foreigners (외국인) cannot register simple authentication"
        )
    if not online_trading:
        raise ConsoleError(
            "NO_ONLINE_TRADING", "the customer has no online trading agreement (온라인거래신청)"
        )


def check_verification(evidence: list[Evidence]) -> None:
    """All three kinds must have passed."""
    passed = {e.kind for e in evidence if e.passed}
    missing = REQUIRED_VERIFICATIONS - passed
    if missing:
        names = ", ".join(k.value for k in VerificationKind if k in missing)
        raise ConsoleError(
            "VERIFICATION_INCOMPLETE",
            f"non-face-to-face verification missing or failed: {names}",
            field="verified",
        )
