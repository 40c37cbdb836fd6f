"""What random demo customers are drawn from: names with census-like frequencies, phones and
browsers with market-like shares, birth dates, and the small random helpers the generator uses.
Changing a pool changes the random customers of every seed (not the trainer cases' names)."""

from __future__ import annotations

from bisect import bisect
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from random import Random

from ..domain.channels import Biometrics, Channel, Method, check_methods, format_methods
from ..domain.eligibility import VerificationKind

# Surnames with rough frequencies (per mille) of the Korean census.
SURNAMES = (
    ("김", 215), ("이", 147), ("박", 84), ("최", 47), ("정", 43), ("강", 24), ("조", 21),
    ("윤", 21), ("장", 20), ("임", 17), ("한", 15), ("오", 15), ("서", 15), ("신", 15),
    ("권", 14), ("황", 14), ("안", 14), ("송", 13), ("류", 12), ("전", 11), ("홍", 11),
    ("고", 9), ("문", 9), ("양", 9), ("손", 9), ("배", 8), ("백", 8), ("허", 6), ("유", 6),
    ("남", 6), ("심", 5), ("노", 5), ("하", 4), ("곽", 4), ("성", 4), ("차", 4), ("주", 4),
    ("우", 4), ("구", 4), ("민", 3), ("진", 3), ("나", 3), ("지", 3), ("엄", 3), ("변", 3),
    ("채", 3), ("원", 3), ("천", 2), ("방", 2), ("공", 2), ("현", 2), ("함", 2), ("염", 2),
    ("여", 2), ("추", 1), ("도", 1), ("소", 1), ("석", 1), ("선", 1), ("설", 1), ("마", 1),
    ("길", 1), ("연", 1), ("위", 1), ("표", 1), ("명", 1), ("기", 1), ("반", 1), ("왕", 1),
    ("금", 1), ("옥", 1), ("육", 1), ("인", 1), ("맹", 1), ("제", 1), ("모", 1), ("탁", 1),
    ("국", 1), ("남궁", 1), ("황보", 1), ("제갈", 1), ("선우", 1),
)
GIVEN_FIRST = (
    "민서지현수준예하도유재성영은정상동승진태혜경미선소윤주우시연다채건한희보종명용인나아가"
    "초원규석기호철광병옥순숙자춘향태세효창형"
)
GIVEN_SECOND = "준우서호민윤진현수연영희아은지훈혁빈원성석철숙자순정경미나린율하주환규태식남옥훈람솔결"
GIVEN_SINGLE = "준훈혁빈윤진결솔별산"
FOREIGN_SURNAMES = ("SMITH", "JOHNSON", "BROWN", "WANG", "LI", "ZHANG", "NGUYEN", "TRAN",
                     "TANAKA", "SATO", "SUZUKI", "GARCIA", "MUELLER", "KUMAR", "SINGH", "IVANOV")
FOREIGN_GIVEN = ("JOHN", "MARY", "DAVID", "SARAH", "WEI", "FANG", "MINH", "LAN", "HIROSHI",
                  "YUKI", "CARLOS", "ANNA", "RAJ", "PRIYA", "OLGA", "JAMES", "EMMA", "LUCAS")
CORP_HEADS = ("한빛", "새솔", "누리", "다온", "미래", "가온", "태평", "동방", "서해", "청운",
               "대한", "우리", "나래", "하늘", "바른", "든든", "으뜸", "초록")
CORP_TAILS = ("상사", "테크", "물산", "건설", "홀딩스", "바이오", "산업", "무역", "식품", "전자",
               "에너지", "로지스")

# MTS devices: (model, biometrics the device supports, device id prefix, weight)
PHONES = (
    ("Galaxy S24", Biometrics.BOTH, "AND", 14),
    ("Galaxy S23", Biometrics.BOTH, "AND", 12),
    ("Galaxy S22", Biometrics.BOTH, "AND", 7),
    ("Galaxy S21", Biometrics.BOTH, "AND", 3),
    ("Galaxy Z Flip5", Biometrics.FINGERPRINT, "AND", 6),
    ("Galaxy Z Fold5", Biometrics.FINGERPRINT, "AND", 3),
    ("Galaxy A54", Biometrics.FINGERPRINT, "AND", 6),
    ("Galaxy A15", Biometrics.FINGERPRINT, "AND", 5),
    ("Galaxy Folder2", Biometrics.NONE, "AND", 3),  # a flip phone: PIN and pattern only
    ("LG Velvet", Biometrics.FINGERPRINT, "AND", 2),
    ("LG X4", Biometrics.NONE, "AND", 1),
    ("iPhone 16", Biometrics.FACE, "IOS", 6),
    ("iPhone 15", Biometrics.FACE, "IOS", 12),
    ("iPhone 15 Pro", Biometrics.FACE, "IOS", 6),
    ("iPhone 14", Biometrics.FACE, "IOS", 8),
    ("iPhone 13", Biometrics.FACE, "IOS", 6),
    ("iPhone SE (3rd generation)", Biometrics.FINGERPRINT, "IOS", 3),
)
BROWSERS = (
    ("Chrome (Android)", 34), ("Samsung Internet (Android)", 24), ("Safari (iOS)", 30),
    ("Chrome (iOS)", 6), ("Whale (Android)", 4), ("Firefox (Android)", 2),
)
REVOCATION_REASONS = ("lost_device", "customer_request", "incident", "other")
EVIDENCE_DETAIL = {
    VerificationKind.ID_CARD: "신분증 촬영 진위확인 (주민등록증/운전면허증)",
    VerificationKind.ONE_WON: "타금융기관 본인명의계좌 1원이체",
}


def method_choices(channel: Channel, bio: Biometrics) -> tuple[str, ...]:
    """The plausible method sets of a device, each checked by the domain rule."""
    sets: list[tuple[Method, ...]]
    if channel is Channel.WEB:
        sets = [(Method.PIN,)]
    else:
        extras: dict[Biometrics, list[tuple[Method, ...]]] = {
            Biometrics.NONE: [()],
            Biometrics.FINGERPRINT: [(Method.FINGERPRINT,), (Method.FINGERPRINT,), ()],
            Biometrics.FACE: [(Method.FACE,), (Method.FACE,), ()],
            Biometrics.BOTH: [(Method.FINGERPRINT,), (Method.FINGERPRINT, Method.FACE), (Method.FACE,)],
        }
        extra = extras[bio]
        sets = [(Method.PIN, *e) for e in extra] + [(Method.PIN, Method.PATTERN, *e) for e in extra]
    return tuple(format_methods(check_methods(channel, bio, s)) for s in sets)


def cumulative(weights: Iterable[int]) -> list[int]:
    out, total = [], 0
    for w in weights:
        total += w
        out.append(total)
    return out


class FastRandom(Random):
    """`random.Random` with a faster `randrange` (one `random()` call, no argument checks):
    the same seed still gives the same sequence, which is all the demo needs."""

    def randrange(self, start: int, stop: int | None = None) -> int:  # type: ignore[override]
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))


@lru_cache(maxsize=1)
def births() -> list[tuple[str, bool]]:
    """Every birth date 1941-01-01 .. 2006-12-31 as (YYMMDD, born in the 2000s)."""
    first, last = date(1941, 1, 1).toordinal(), date(2006, 12, 31).toordinal()
    return [(iso[2:4] + iso[5:7] + iso[8:10], iso >= "2000")
            for iso in map(date.isoformat, map(date.fromordinal, range(first, last + 1)))]


def pick(rng: Random, cum: list[int]) -> int:
    """An index drawn with cumulative weights (like random.choices, one draw)."""
    return bisect(cum, rng.random() * cum[-1])
