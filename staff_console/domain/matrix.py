"""The service matrix (DOMAIN.md section 4): data in, answers for one customer out.

The rows come from `data/service_matrix.csv`; this module only parses text handed to it and
evaluates it, so the rules stay testable without files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .errors import ConsoleError
from .ids import CustomerType, Nationality
from .states import CredentialStatus


class Verification(StrEnum):
    NONE = "none"
    NONFACE3 = "nonface3"  # the three-kind non-face-to-face verification
    SIMPLE_LOGIN = "simple_login"  # a valid simple-auth login on the mobile web


@dataclass(frozen=True, slots=True)
class ServiceRow:
    code: str
    group_ko: str
    group_en: str
    name_ko: str
    name_en: str
    online_trading: bool
    verification: Verification
    needs_credential: bool  # the customer must hold a usable mobile-web credential


@dataclass(frozen=True, slots=True)
class ServiceAnswer:
    row: ServiceRow
    available: bool
    reason_code: str | None  # an error code from errors.CODES when not available


_COLUMNS = (
    "code",
    "group_ko",
    "group_en",
    "name_ko",
    "name_en",
    "online_trading",
    "verification",
)


def parse_matrix(lines: Iterable[str]) -> tuple[ServiceRow, ...]:
    """Parse the CSV text of the matrix. Raises ValueError naming the bad line."""
    reader = csv.DictReader(lines)
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"service matrix: missing columns {missing}")
    rows = []
    for raw in reader:
        number = reader.line_num  # the physical line, so blank lines do not shift it
        try:
            if None in raw or None in raw.values():
                raise ValueError(f"expected {len(reader.fieldnames or [])} fields")
            if not raw["code"].strip():
                raise ValueError("code is empty")
            verification = Verification(raw["verification"].strip())
            flag = raw["online_trading"].strip().upper()
            if flag not in ("Y", "N"):
                raise ValueError("online_trading must be Y or N")
            credential_flag = (raw.get("needs_credential") or "N").strip().upper()
            if credential_flag not in ("Y", "N"):
                raise ValueError("needs_credential must be Y or N")
        except ValueError as exc:
            raise ValueError(f"service matrix line {number}: {exc}") from None
        rows.append(
            ServiceRow(
                code=raw["code"].strip(),
                group_ko=raw["group_ko"].strip(),
                group_en=raw["group_en"].strip(),
                name_ko=raw["name_ko"].strip(),
                name_en=raw["name_en"].strip(),
                online_trading=flag == "Y",
                verification=verification,
                needs_credential=verification is Verification.SIMPLE_LOGIN
                or credential_flag == "Y",
            )
        )
    codes = [r.code for r in rows]
    if len(set(codes)) != len(codes):
        raise ValueError("service matrix: duplicate service codes")
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    customer_type: CustomerType
    nationality: Nationality
    online_trading: bool
    web_status: CredentialStatus | None  # effective status of the current web credential


def _refusal(row: ServiceRow, facts: CustomerFacts) -> str | None:
    if not row.online_trading and row.verification is Verification.NONE and not row.needs_credential:
        return None  # the information page: open to everyone
    if facts.customer_type is CustomerType.CORPORATION:
        return "INELIGIBLE_CORPORATION"
    if facts.nationality is Nationality.FOREIGN:
        return "INELIGIBLE_FOREIGNER"
    if row.online_trading and not facts.online_trading:
        return "NO_ONLINE_TRADING"
    if row.needs_credential:
        if facts.web_status is CredentialStatus.ACTIVE:
            return None
        if facts.web_status is CredentialStatus.LOCKED:
            return "CREDENTIAL_LOCKED"
        if facts.web_status is CredentialStatus.EXPIRED:
            return "CREDENTIAL_EXPIRED"
        return "NOT_REGISTERED"
    return None


def evaluate(rows: Iterable[ServiceRow], facts: CustomerFacts) -> list[ServiceAnswer]:
    """Which services this customer can use on the mobile web now, and if not, why not."""
    answers = []
    for row in rows:
        code = _refusal(row, facts)
        answers.append(ServiceAnswer(row=row, available=code is None, reason_code=code))
    return answers


def require_available(answer: ServiceAnswer) -> None:
    if not answer.available and answer.reason_code:
        raise ConsoleError(answer.reason_code, f"{answer.row.name_en} is not available")
