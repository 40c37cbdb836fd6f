"""The trainer cases: fixed customers at D0000001..D0000013, whatever the size and the seed of
the demo (docs/demo.md). Their credential states are relative to the clock ("expires in 12
days") and are made by `generator.Generator.case`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..domain.lockout import MAX_FAILED_ATTEMPTS


@dataclass(frozen=True)
class Case:
    key: str
    customer_no: str
    name: str
    branch: str
    birth: date | None  # None: a corporation (a business number, no birth date)
    id_s_digit: str  # the 7th digit of the ID number: sex, century and nationality
    show: str  # what the trainer shows with it

    @property
    def birth_yymmdd(self) -> str | None:
        return None if self.birth is None else self.birth.strftime("%y%m%d")


CASES: tuple[Case, ...] = (
    Case("both_active", "D0000001", "홍길동", "001", date(1980, 5, 15), "1",
         "MTS (Galaxy S24, fingerprint+face) and mobile web (Chrome) both active"),
    Case("mts_only", "D0000002", "김철수", "001", date(1975, 12, 3), "1",
         "MTS active (iPhone 15, Face ID); no web"),
    Case("web_only", "D0000003", "이영희", "002", date(1992, 7, 7), "2",
         "mobile web active (Safari); no MTS; simple-login services available"),
    Case("no_biometrics", "D0000004", "정패턴", "001", date(1952, 3, 10), "1",
         "MTS on a phone without biometrics (Galaxy Folder2): methods pin,pattern only"),
    Case("expiring", "D0000005", "한만기", "001", date(1968, 8, 22), "1",
         "MTS active, last valid day in 12 days: on the expiring-soon list"),
    Case("expired", "D0000006", "오만료", "001", date(1959, 1, 1), "1",
         "MTS and web past their 3 years (marked expired); matrix says CREDENTIAL_EXPIRED"),
    Case("locked", "D0000007", "장잠금", "002", date(1988, 11, 11), "1",
         f"web locked after {MAX_FAILED_ATTEMPTS} failed logins (CREDENTIAL_LOCKED); MTS active"),
    Case("pending_registration", "D0000008", "신등록", "001", date(1999, 2, 28), "2",
         "MTS registration (iPhone 16) pending, three verifications passed: approve it as M001"),
    Case("pending_revocation", "D0000009", "서해지", "001", date(1983, 6, 30), "1",
         "MTS active with a revocation (lost device) requested by T001, pending for M001"),
    Case("foreign", "D0000010", "SMITH JOHN", "001", date(1985, 4, 20), "5",
         "foreigner (S=5): may not register (INELIGIBLE_FOREIGNER)"),
    Case("corporation", "D0000011", "한빛상사(주)", "001", None, "",
         "corporation, 10-digit business number: may not register (INELIGIBLE_CORPORATION)"),
    Case("no_online_trading", "D0000012", "송대면", "001", date(1947, 9, 17), "2",
         "no online trading agreement: only the information page (NO_ONLINE_TRADING)"),
    Case("replaced", "D0000013", "권교체", "002", date(2001, 7, 4), "3",
         "MTS moved from Galaxy S21 to Galaxy S24 and web from Chrome to Safari: old ones replaced"),
)
CASE_NAMES = frozenset(c.name for c in CASES)
CORPORATION_NUMBER = "1208812345"  # the corporation case's business number
# Generated names that would collide with a case name (the case names stay unique, so that
# searching one finds exactly the case); Korean personal names get their last syllable changed.
NOT_A_CASE = {"SMITH JOHN": "SMITH JAMES", "한빛상사(주)": "한빛물산(주)"}
