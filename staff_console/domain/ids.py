"""Identity numbers and phones: parsing, classification and masking.

Resident registration number (주민등록번호) `YYMMDD-SNNNNNN`: S gives century and nationality
(1/2: 1900s, 3/4: 2000s, 9/0: 1800s Korean; 5/6: 1900s, 7/8: 2000s foreigner). We validate length,
digits, S and that YYMMDD is a real date in its century. We do NOT check the old check digit:
numbers issued since October 2020 have random trailing digits.

Business registration number (사업자등록번호) `NNN-NN-NNNNN`: 10 digits, a corporation. Like the
RRN, only the format is validated here; the tax office is the authority on existence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .errors import invalid
from .text import clean_text


class CustomerType(StrEnum):
    INDIVIDUAL = "individual"
    CORPORATION = "corporation"


class Nationality(StrEnum):
    DOMESTIC = "domestic"
    FOREIGN = "foreign"


# S digit -> (century base, nationality)
_S_DIGIT = {
    "1": (1900, Nationality.DOMESTIC),
    "2": (1900, Nationality.DOMESTIC),
    "3": (2000, Nationality.DOMESTIC),
    "4": (2000, Nationality.DOMESTIC),
    "5": (1900, Nationality.FOREIGN),
    "6": (1900, Nationality.FOREIGN),
    "7": (2000, Nationality.FOREIGN),
    "8": (2000, Nationality.FOREIGN),
    "9": (1800, Nationality.DOMESTIC),
    "0": (1800, Nationality.DOMESTIC),
}

_SEPARATORS = re.compile(r"[\s-]")


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A parsed ID number. `digits` is the canonical form (no separators)."""

    digits: str
    customer_type: CustomerType
    nationality: Nationality
    birth_date: date | None  # individuals only

    @property
    def masked(self) -> str:
        return mask_id_number(self.digits)

    @property
    def birth_yymmdd(self) -> str | None:
        return self.digits[:6] if self.customer_type is CustomerType.INDIVIDUAL else None

    @property
    def is_domestic_individual(self) -> bool:
        return (
            self.customer_type is CustomerType.INDIVIDUAL
            and self.nationality is Nationality.DOMESTIC
        )


def parse_id_number(raw: str, *, field: str = "id_number") -> IdNumber:
    """Parse an RRN (13 digits) or a business registration number (10 digits)."""
    digits = _SEPARATORS.sub("", raw or "")
    if not digits.isascii() or not digits.isdigit():
        raise invalid(field, "must contain digits only (dashes allowed)")
    if len(digits) == 10:
        return IdNumber(digits, CustomerType.CORPORATION, Nationality.DOMESTIC, None)
    if len(digits) != 13:
        raise invalid(field, "must be 13 digits (RRN) or 10 digits (business number)")
    century, nationality = _S_DIGIT[digits[6]]
    try:
        born = date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        raise invalid(field, "YYMMDD is not a real date") from None
    return IdNumber(digits, CustomerType.INDIVIDUAL, nationality, born)


def mask_id_number(digits: str) -> str:
    """RRN -> `YYMMDD-S******`; business number -> `NNN-NN-*****`."""
    if len(digits) == 13:
        return f"{digits[:6]}-{digits[6]}******"
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:5]}-*****"
    return "*" * len(digits)


def format_id_number(digits: str) -> str:
    if len(digits) == 13:
        return f"{digits[:6]}-{digits[6:]}"
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return digits


# Korean mobile numbers: 010 with 8 digits, or the older 011/016/017/018/019 with 7 or 8.
_PHONE = re.compile(r"^(01[016789])([0-9]{3,4})([0-9]{4})$")


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Return the phone as `010-1234-5678`, or raise INVALID_INPUT."""
    digits = _SEPARATORS.sub("", raw or "")
    match = _PHONE.match(digits)
    if not match:
        raise invalid(field, "must be a Korean mobile number like 010-1234-5678")
    return "-".join(match.groups())


def mask_phone(phone: str) -> str:
    """`010-1234-5678` -> `010-****-5678`."""
    parts = phone.split("-")
    if len(parts) != 3:
        return "*" * max(len(phone) - 4, 0) + phone[-4:]
    return f"{parts[0]}-{'*' * len(parts[1])}-{parts[2]}"


def phone_digits(phone: str) -> str:
    return _SEPARATORS.sub("", phone)


_ACCOUNT = re.compile(r"^[0-9]{6,20}$")


def normalize_account_no(raw: str, *, field: str = "account_no") -> str:
    """Account numbers are stored as digits only; dashes are presentation."""
    digits = _SEPARATORS.sub("", raw or "")
    if not _ACCOUNT.match(digits):
        raise invalid(field, "must be 6 to 20 digits (dashes allowed)")
    return digits


def normalize_branch_code(raw: str | None, *, field: str = "branch") -> str:
    """A branch's code as stored: 1 to 10 letters or digits, upper-case (HQ, 001). Whatever
    reaches a branch column or filter passes here: safe text first (domain/text.py)."""
    value = clean_text(raw, field, limit=10).upper()
    if not value.isalnum():
        raise invalid(field, "must be 1 to 10 letters or digits")
    return value


_CUSTOMER_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")


def normalize_customer_no(raw: str, *, field: str = "customer_no") -> str:
    value = (raw or "").strip()
    if not _CUSTOMER_NO.match(value):
        raise invalid(field, "must be 1 to 20 letters, digits or dashes")
    return value.upper()


# ---------------------------------------------------------------- masking numbers in free text

# What may separate the groups of one number as people type or paste it: any space (tab,
# no-break, ideographic...), any dash or hyphen (Unicode Pd, the minus signs), dots and middle
# dots, slashes, brackets, and invisible formatting characters. Digits are any decimal digits
# (full-width and other scripts included).
_EXTRA_SEPARATORS = frozenset(".,/\\()[]_~·・‧․−－．，／＿（）")


def _is_number_separator(ch: str) -> bool:
    return (ch.isspace() or ch in _EXTRA_SEPARATORS
            or unicodedata.category(ch) in ("Pd", "Cf", "Zs", "Zl", "Zp"))


# A run with at least this many digits could hold a landline (9-11), a mobile phone (10-11)
# or an ID number (13): it is masked whatever the run turns out to be.
MASK_FROM_DIGITS = 9


def _masked_run(digits: str) -> str:
    if len(digits) == 13:
        return mask_id_number(digits)
    match = _PHONE.match(digits)
    if match:
        return mask_phone("-".join(match.groups()))
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_numbers(text: str) -> str:
    """`text` with every run of digits that could be an ID number or a phone masked, by its
    meaning rather than its spelling: groups joined by any separators count as one number
    (`800515<TAB>1234567`, `010 1234 5678`, `０１０－１２３４－５６７８`). A 13-digit run is
    shown as `YYMMDD-S******`, a mobile as `010-****-5678`, any other run of 9 or more digits
    (landlines, several numbers run together) keeps only its last 4 digits. Shorter runs (a
    birth date, the last 4 digits of a phone, a request id) are kept as they are."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if not text[i].isdecimal():
            out.append(text[i])
            i += 1
            continue
        # A run: digits, and separators followed by more digits.
        digits: list[str] = []
        start = end = i
        j = i
        while j < n:
            if text[j].isdecimal():
                digits.append(str(unicodedata.decimal(text[j])))
                j += 1
                end = j
            elif _is_number_separator(text[j]):
                j += 1
            else:
                break
        run_digits = "".join(digits)
        out.append(_masked_run(run_digits) if len(run_digits) >= MASK_FROM_DIGITS
                   else text[start:end])
        i = end
    return "".join(out)
