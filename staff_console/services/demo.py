"""Deterministic demo data: branches, staff, customers, accounts and credentials in realistic
states, plus fixed customers for every trainer case (docs/demo.md).

- Deterministic for a seed: the same seed gives the same customer numbers, names, ID numbers,
  phones, accounts, devices, states and request rows (`random.Random`, never the global random).
  Only the AES-GCM ciphertexts differ between loads (each encryption draws a fresh nonce); the
  keyed lookup hash and the masked ID are the same. Customer i is generated from a random stream
  of its own chunk of `CHUNK` customers, so the first customers are the same whatever N.
- The trainer cases live at fixed customer numbers D0000001..D0000013 (`CASES`), whatever N
  and whatever the seed; their states are relative to `clock.now()` (e.g. "expires in 12 days").
- Fast: up to 1,000,000 customers. The rows are generated as plain tuples in chunks (bounded
  memory) and written with the driver's bulk path, in one transaction: sqlite3 `executemany`, or
  PostgreSQL `COPY ... FROM STDIN`. The secondary indexes of the bulk tables are dropped first and
  re-created afterwards from the database's own definitions (same names, same SQL as the
  migration), which is also when the partial unique indexes re-check the invariants: one current
  credential per customer and channel, one pending request per customer, channel and kind.
- One demo password for every demo staff member (`DEMO_PASSWORD`), hashed ONCE with the backend's
  argon2 cost and the hash reused. For the demo only: never load demo staff into a real store.
- Seeded history is data, not events: the credentials, replaced devices and pending requests the
  demo invents did not happen through the console, so they get no audit events of their own. The
  load writes a single `demo.loaded` system event (counts, seed) to the audit chain.
- The demo loads into an empty store only: a store with customers is refused (DUPLICATE), and so
  is one that already has a demo employee number. Branches that already exist are kept.
"""

from __future__ import annotations

import base64
import csv
import logging
import multiprocessing
import os
import threading
import time
from bisect import bisect
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib.resources.abc import Traversable
from random import Random

from sqlmodel import Session, func, select

from ..data import DEMO_BRANCHES, DEMO_STAFF, resource
from ..domain.channels import Biometrics, Channel, Method, check_methods, format_methods
from ..domain.clock import Clock, seoul_date, seoul_midnight
from ..domain.eligibility import VerificationKind
from ..domain.errors import ConsoleError, invalid
from ..domain.hangul import chosung_key
from ..domain.ids import mask_id_number, mask_phone
from ..domain.validity import last_valid_day
from ..store.audit import NewEvent, init_chain
from ..store.tables import Branch, Customer, Staff
from .backend import Backend
from .common import SYSTEM, record
from .passwords import hash_password

DEMO_PASSWORD = "Demo12345!"  # every demo staff member; for the demo only
CHUNK = 10_000  # customers per generated chunk (and per random stream)
# Row ids come in blocks per chunk (so chunks are independent): at most 2 channels x (an old and
# a current credential) + 1 pending per customer, one pending request of each kind, and the
# three verifications of one registration. Ids have gaps between chunks; that is all.
CREDENTIALS_PER_CUSTOMER, REQUESTS_PER_CUSTOMER, VERIFICATIONS_PER_CUSTOMER = 5, 2, 3
MAX_CUSTOMERS = 1_000_000  # the RRN serial below is a bijection on 0..999,999

log = logging.getLogger(__name__)

BRANCHES_CSV = resource(DEMO_BRANCHES)
STAFF_CSV = resource(DEMO_STAFF)


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    credentials: int
    requests: int
    staff: int
    branches: int
    password: str
    cases: dict[str, str]
    accounts: int = 0
    verifications: int = 0
    seed: int = 7
    seconds: float = 0.0


# ---------------------------------------------------------------- the trainer cases

@dataclass(frozen=True)
class Case:
    key: str
    customer_no: str
    name: str
    branch: str
    show: str  # what the trainer shows with it


CASES: tuple[Case, ...] = (
    Case("both_active", "D0000001", "홍길동", "001",
         "MTS (Galaxy S24, fingerprint+face) and mobile web (Chrome) both active"),
    Case("mts_only", "D0000002", "김철수", "001", "MTS active (iPhone 15, Face ID); no web"),
    Case("web_only", "D0000003", "이영희", "002",
         "mobile web active (Safari); no MTS; simple-login services available"),
    Case("no_biometrics", "D0000004", "정패턴", "001",
         "MTS on a phone without biometrics (Galaxy Folder2): methods pin,pattern only"),
    Case("expiring", "D0000005", "한만기", "001",
         "MTS active, last valid day in 12 days: on the expiring-soon list"),
    Case("expired", "D0000006", "오만료", "001",
         "MTS and web past their 3 years (marked expired); matrix says CREDENTIAL_EXPIRED"),
    Case("locked", "D0000007", "장잠금", "002",
         "web locked after 5 failed logins (CREDENTIAL_LOCKED); MTS active"),
    Case("pending_registration", "D0000008", "신등록", "001",
         "MTS registration (iPhone 16) pending, three verifications passed: approve it as M001"),
    Case("pending_revocation", "D0000009", "서해지", "001",
         "MTS active with a revocation (lost device) requested by T001, pending for M001"),
    Case("foreign", "D0000010", "SMITH JOHN", "001",
         "foreigner (S=5): may not register (INELIGIBLE_FOREIGNER)"),
    Case("corporation", "D0000011", "한빛상사(주)", "001",
         "corporation, 10-digit business number: may not register (INELIGIBLE_CORPORATION)"),
    Case("no_online_trading", "D0000012", "송대면", "001",
         "no online trading agreement: only the information page (NO_ONLINE_TRADING)"),
    Case("replaced", "D0000013", "권교체", "002",
         "MTS moved from Galaxy S21 to Galaxy S24 and web from Chrome to Safari: old ones replaced"),
)
CASE_NAMES = frozenset(c.name for c in CASES)
# Generated names that would collide with a case name (the case names stay unique, so that
# searching one finds exactly the case); Korean personal names get their last syllable changed.
_NOT_A_CASE = {"SMITH JOHN": "SMITH JAMES", "한빛상사(주)": "한빛물산(주)"}

# ---------------------------------------------------------------- pools

# Surnames with rough frequencies (per mille) of the Korean census.
_SURNAMES = (
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
_GIVEN_FIRST = (
    "민서지현수준예하도유재성영은정상동승진태혜경미선소윤주우시연다채건한희보종명용인나아가"
    "초원규석기호철광병옥순숙자춘향태세효창형"
)
_GIVEN_SECOND = "준우서호민윤진현수연영희아은지훈혁빈원성석철숙자순정경미나린율하주환규태식남옥훈람솔결"
_GIVEN_SINGLE = "준훈혁빈윤진결솔별산"
_FOREIGN_SURNAMES = ("SMITH", "JOHNSON", "BROWN", "WANG", "LI", "ZHANG", "NGUYEN", "TRAN",
                     "TANAKA", "SATO", "SUZUKI", "GARCIA", "MUELLER", "KUMAR", "SINGH", "IVANOV")
_FOREIGN_GIVEN = ("JOHN", "MARY", "DAVID", "SARAH", "WEI", "FANG", "MINH", "LAN", "HIROSHI",
                  "YUKI", "CARLOS", "ANNA", "RAJ", "PRIYA", "OLGA", "JAMES", "EMMA", "LUCAS")
_CORP_HEADS = ("한빛", "새솔", "누리", "다온", "미래", "가온", "태평", "동방", "서해", "청운",
               "대한", "우리", "나래", "하늘", "바른", "든든", "으뜸", "초록")
_CORP_TAILS = ("상사", "테크", "물산", "건설", "홀딩스", "바이오", "산업", "무역", "식품", "전자",
               "에너지", "로지스")

# MTS devices: (model, biometrics the device supports, device id prefix, weight)
_PHONES = (
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
_BROWSERS = (
    ("Chrome (Android)", 34), ("Samsung Internet (Android)", 24), ("Safari (iOS)", 30),
    ("Chrome (iOS)", 6), ("Whale (Android)", 4), ("Firefox (Android)", 2),
)
_REVOCATION_REASONS = ("lost_device", "customer_request", "incident", "other")
_EVIDENCE_DETAIL = {
    VerificationKind.ID_CARD: "신분증 촬영 진위확인 (주민등록증/운전면허증)",
    VerificationKind.ONE_WON: "타금융기관 본인명의계좌 1원이체",
}


def _method_choices(channel: Channel, bio: Biometrics) -> tuple[str, ...]:
    """The plausible method sets of a device, each checked by the domain rule."""
    if channel is Channel.WEB:
        sets = [(Method.PIN,)]
    else:
        extra = {
            Biometrics.NONE: [()],
            Biometrics.FINGERPRINT: [(Method.FINGERPRINT,), (Method.FINGERPRINT,), ()],
            Biometrics.FACE: [(Method.FACE,), (Method.FACE,), ()],
            Biometrics.BOTH: [(Method.FINGERPRINT,), (Method.FINGERPRINT, Method.FACE), (Method.FACE,)],
        }[bio]
        sets = [(Method.PIN, *e) for e in extra] + [(Method.PIN, Method.PATTERN, *e) for e in extra]
    return tuple(format_methods(check_methods(channel, bio, s)) for s in sets)


def _cumulative(weights) -> list[int]:
    out, total = [], 0
    for w in weights:
        total += w
        out.append(total)
    return out


# ---------------------------------------------------------------- row builder

def _ts(dt: datetime | None) -> str | None:
    """Naive UTC datetime in SQLAlchemy's storage format (always with microseconds), which
    PostgreSQL's COPY parses as the same timestamp."""
    return None if dt is None else dt.isoformat(" ", "microseconds")


@dataclass
class _Chunk:
    customers: list[tuple] = field(default_factory=list)
    accounts: list[tuple] = field(default_factory=list)
    credentials: list[tuple] = field(default_factory=list)
    requests: list[tuple] = field(default_factory=list)
    verifications: list[tuple] = field(default_factory=list)


class _Generator:
    """Builds the rows as tuples in the column order of `COLUMNS`."""

    def __init__(self, backend: Backend, *, seed: int, now: datetime,
                 staff_ids: dict[str, int], tellers: dict[str, list[int]]) -> None:
        self.seed = seed
        self.keyring = backend.store.keyring
        self.expiry_days = backend.policy.request_expiry_days
        self.now = now.astimezone(UTC).replace(tzinfo=None)  # naive UTC, for fast arithmetic
        self.today = seoul_date(now)
        self.staff_ids = staff_ids
        self.tellers = tellers
        self.next_cred = self.next_req = self.next_ver = 1
        # Activation days: k days ago -> (UTC instant the Seoul date began, last valid day).
        self.max_age = 3 * 366 + 120
        self.day_start: list[datetime] = []
        self.day_valid: list[date] = []
        for k in range(self.max_age + 1000):
            day = date.fromordinal(self.today.toordinal() - k)
            start = seoul_midnight(day)
            self.day_start.append(start.replace(tzinfo=None))
            self.day_valid.append(last_valid_day(start + timedelta(hours=12)))
        # ...and the instant each of those validities ends (the next Seoul day begins).
        self.day_valid_end = [seoul_midnight(v + timedelta(days=1)).replace(tzinfo=None)
                              for v in self.day_valid]
        self.day_valid_iso = [v.isoformat() for v in self.day_valid]
        self.chosung: dict[str, str] = {}
        # When customers joined: 2000..6000 days ago (before any credential); a pool of
        # instants drawn once, then picked per customer.
        joined = Random(f"staff-console-demo:{seed}:joined")
        self.joined = [_ts(self.now - timedelta(seconds=joined.randrange(2000 * 86400,
                                                                         6000 * 86400)))
                       for _ in range(1 << 12)]
        self.births = _births()
        self.surnames = [s for s, _ in _SURNAMES]
        self.surname_cum = _cumulative(w for _, w in _SURNAMES)
        self.given = [a + b for a in _GIVEN_FIRST for b in _GIVEN_SECOND if a != b]
        self.given += list(_GIVEN_SINGLE)
        self.phones = [(m, b, p, _method_choices(Channel.MTS, b)) for m, b, p, _ in _PHONES]
        self.phone_index = {m: n for n, (m, *_rest) in enumerate(_PHONES)}
        self.phone_cum = _cumulative(w for *_, w in _PHONES)
        self.browsers = [m for m, _ in _BROWSERS]
        self.browser_cum = _cumulative(w for _, w in _BROWSERS)
        self.web_methods = _method_choices(Channel.WEB, Biometrics.NONE)[0]
        self.branches = ["001", "002", "003", "004"]
        self.branch_cum = _cumulative((35, 25, 25, 15))
        self.last_created = self.now

    # -- small pieces ------------------------------------------------------------

    @staticmethod
    def rrn_serial(i: int) -> str:
        """6 trailing digits, a bijection of the customer index: RRNs never collide."""
        return f"{(i * 370_813 + 58_213) % 1_000_000:06d}"

    def activation(self, rng: Random, days_ago: int) -> datetime:
        """An instant on the Seoul date `days_ago` days before today, 08:00-22:00 Korea time."""
        return self.day_start[days_ago] + timedelta(seconds=rng.randrange(8 * 3600, 22 * 3600))

    @staticmethod
    def fingerprint(rng: Random) -> str:
        raw = rng.getrandbits(256).to_bytes(32, "big")
        return "SHA256:" + base64.b64encode(raw).decode().rstrip("=")

    # -- rows --------------------------------------------------------------------

    def customer(self, out: _Chunk, i: int, name: str, digits: str, birth: str | None,
                 ctype: str, nationality: str, phone: str, online: bool, branch: str,
                 created: str) -> None:
        kr = self.keyring
        pd = phone.replace("-", "")
        key = self.chosung.get(name)
        if key is None:
            key = self.chosung[name] = chosung_key(name)
        out.customers.append((
            i, f"D{i:07d}", name, key, kr.id_lookup_hash(digits),
            kr.encrypt_id(digits), mask_id_number(digits), birth, ctype, nationality, phone, pd,
            pd[-4:], 1 if online else 0, branch, created,
        ))

    def account(self, out: _Chunk, i: int, branch: str, product: str) -> None:
        out.accounts.append((f"7{branch[-1]}{i:07d}{product}", i))

    def mts(self, out: _Chunk, rng: Random, cid: int, status: str, days_ago: int, *,
            model: str | None = None, methods: str | None = None, **kw) -> int:
        index = self.phone_index[model] if model else _pick(rng, self.phone_cum)
        name, bio, prefix, choices = self.phones[index]
        if methods is not None:
            check_methods(Channel.MTS, bio, tuple(Method(m) for m in methods.split(",")))
        return self._cred(out, rng, cid, "mts", status, days_ago, name, bio.value,
                          methods or choices[rng.randrange(len(choices))],
                          f"{prefix}-{rng.getrandbits(64):016X}", **kw)

    def web(self, out: _Chunk, rng: Random, cid: int, status: str, days_ago: int, *,
            browser: str | None = None, **kw) -> int:
        name = browser or self.browsers[_pick(rng, self.browser_cum)]
        return self._cred(out, rng, cid, "web", status, days_ago, name, "none",
                          self.web_methods, f"BRW-{rng.getrandbits(64):016x}", **kw)

    def _cred(self, out: _Chunk, rng: Random, cid: int, channel: str, status: str,
              days_ago: int, model: str, bio: str, methods: str, device: str, *,
              failed: int = 0, end_reason: str | None = None) -> int:
        key = self.fingerprint(rng)
        activated = last_used = ended = valid = None
        if status == "pending":
            created = self.now - timedelta(seconds=rng.randrange(3600, 5 * 86400))
        else:
            activated = self.activation(rng, days_ago)
            created = activated - timedelta(seconds=rng.randrange(600, 2 * 86400))
            valid = self.day_valid[days_ago]
            valid_end = self.day_valid_end[days_ago]
            span = max(int((min(self.now, valid_end) - activated).total_seconds()), 2)
            if status in ("active", "locked"):
                last_used = activated + timedelta(seconds=rng.randrange(span))
            elif status == "expired":
                ended, end_reason = valid_end, "expired"
            elif status == "revoked":
                ended = activated + timedelta(seconds=rng.randrange(1, span))
                end_reason = end_reason or "customer_request"
        cred_id = self.next_cred
        self.next_cred += 1
        self.last_created = created
        out.credentials.append((
            cred_id, cid, channel, status, device, model, bio, methods, key, _ts(created),
            _ts(activated), valid and self.day_valid_iso[days_ago], _ts(last_used), failed,
            _ts(ended), end_reason,
        ))
        return cred_id

    @staticmethod
    def end_replaced(out: _Chunk, old: int, new: int) -> None:
        """The old credential ends at the new one's activation, as an approval would do it."""
        base = out.credentials[0][0]
        old_row, new_row = out.credentials[old - base], out.credentials[new - base]
        out.credentials[old - base] = old_row[:14] + (new_row[10], f"replaced by #{new}")

    def request(self, out: _Chunk, cid: int, channel: Channel, cred_id: int, branch: str, *,
                kind: str, maker: int | None, created: datetime, reason: str | None = None,
                note: str | None = None) -> int:
        req_id = self.next_req
        self.next_req += 1
        out.requests.append((
            req_id, kind, cid, channel.value, cred_id, branch,
            "channel" if kind == "registration" else "branch", maker, "pending", reason, note,
            _ts(created), _ts(created + timedelta(days=self.expiry_days)),
            None, None, None, None, None,
        ))
        return req_id

    def registration(self, out: _Chunk, rng: Random, cid: int, branch: str, phone: str,
                     channel: Channel, **kw) -> None:
        """A pending credential from a channel, its request and the three verifications."""
        make = self.mts if channel is Channel.MTS else self.web
        cred_id = make(out, rng, cid, "pending", 0, **kw)
        created = self.last_created
        req_id = self.request(out, cid, channel, cred_id, branch, kind="registration",
                              maker=None, created=created)
        for n, kind in enumerate(VerificationKind):
            detail = _EVIDENCE_DETAIL.get(kind) or f"휴대폰 본인인증 {mask_phone(phone)}"
            at = created - timedelta(seconds=60 * (3 - n))
            out.verifications.append((self.next_ver, req_id, kind.value, 1, _ts(at), detail))
            self.next_ver += 1

    def revocation(self, out: _Chunk, rng: Random, cid: int, branch: str, channel: Channel,
                   cred_id: int, *, maker: int | None = None, reason: str | None = None) -> None:
        """A teller of the customer's branch asked to revoke: the request is that branch's."""
        tellers = self.tellers[branch]
        maker = maker or tellers[rng.randrange(len(tellers))]
        reason = reason or _REVOCATION_REASONS[rng.randrange(len(_REVOCATION_REASONS))]
        note = "고객 요청 (데모)" if reason == "other" else None
        created = self.now - timedelta(seconds=rng.randrange(600, 3 * 86400))
        self.request(out, cid, channel, cred_id, branch, kind="revocation", maker=maker,
                     created=created, reason=reason, note=note)

    # -- customers ---------------------------------------------------------------

    def chunk(self, number: int, total: int) -> _Chunk:
        """Customers number*CHUNK+1 .. of `total`, from the chunk's own random stream and with
        its own block of row ids, so that chunks can be made in any order, in parallel."""
        rng = _Rng(f"staff-console-demo:{self.seed}:{number}")
        self.next_cred = number * CHUNK * CREDENTIALS_PER_CUSTOMER + 1
        self.next_req = number * CHUNK * REQUESTS_PER_CUSTOMER + 1
        self.next_ver = number * CHUNK * VERIFICATIONS_PER_CUSTOMER + 1
        out = _Chunk()
        # The per-customer basics are drawn for the whole chunk at once (C loops in
        # random.choices, always CHUNK of them, so customer i does not depend on N); the
        # rest (credentials, requests) comes from the same stream customer by customer.
        columns = list(zip(
            rng.choices(range(1000), k=CHUNK),  # type: corporation, foreigner, offline, ...
            rng.choices(self.branches, cum_weights=self.branch_cum, k=CHUNK),
            rng.choices(range(20_000_000, 100_000_000), k=CHUNK),  # phone digits
            rng.choices(self.joined, k=CHUNK),
            rng.choices(self.births, k=CHUNK),
            rng.choices((True, False), k=CHUNK),  # male
            rng.choices(self.surnames, cum_weights=self.surname_cum, k=CHUNK),
            rng.choices(self.given, k=CHUNK),
            rng.choices(range(10), k=CHUNK),  # 0..2: a second account
            strict=True))
        start = number * CHUNK + 1
        for i in range(start, min(start + CHUNK, total + 1)):
            if i <= len(CASES):
                self.case(out, rng, i)
            else:
                self.random_customer(out, rng, i, columns[i - start])
        if (self.next_cred > (number + 1) * CHUNK * CREDENTIALS_PER_CUSTOMER + 1
                or self.next_req > (number + 1) * CHUNK * REQUESTS_PER_CUSTOMER + 1
                or self.next_ver > (number + 1) * CHUNK * VERIFICATIONS_PER_CUSTOMER + 1):
            raise AssertionError("demo chunk overran its block of row ids")
        return out

    def random_customer(self, out: _Chunk, rng: Random, i: int, drawn: tuple) -> None:
        kind, branch, digits8, created, (birth, y2k), male, surname, given, second = drawn
        phone = f"010-{digits8 // 10000}-{digits8 % 10000:04d}"
        if kind < 20:  # 2% corporations: business number, no credentials
            name = (_CORP_HEADS[rng.randrange(len(_CORP_HEADS))]
                    + _CORP_TAILS[rng.randrange(len(_CORP_TAILS))] + "(주)")
            name = _NOT_A_CASE.get(name, name)
            digits = f"{1_000_000_000 + (i * 7919 + 12345) % 9_000_000_000}"
            self.customer(out, i, name, digits, None, "corporation", "domestic", phone, True,
                          branch, created)
            self.account(out, i, branch, "01")
            return
        if kind < 50:  # 3% foreigners: S = 5..8, no credentials
            name = (_FOREIGN_SURNAMES[rng.randrange(len(_FOREIGN_SURNAMES))] + " "
                    + _FOREIGN_GIVEN[rng.randrange(len(_FOREIGN_GIVEN))])
            name = _NOT_A_CASE.get(name, name)
            s = ("7" if male else "8") if y2k else ("5" if male else "6")
            self.customer(out, i, name, birth + s + self.rrn_serial(i), birth, "individual",
                          "foreign", phone, True, branch, created)
            self.account(out, i, branch, "01")
            return
        name = surname + given
        if name in CASE_NAMES:  # the case names stay unique
            name = name[:-1] + "윤"
        s = ("3" if male else "4") if y2k else ("1" if male else "2")
        online = kind >= 100  # 5% of the individuals have no online trading agreement
        self.customer(out, i, name, birth + s + self.rrn_serial(i), birth, "individual",
                      "domestic", phone, online, branch, created)
        self.account(out, i, branch, "01")
        if second < 3:
            self.account(out, i, branch, "21")
        if not online:
            return
        current: dict[Channel, int] = {}
        # Registered at some time: MTS 75% and web 44% of the eligible customers (90% of all),
        # independently; less the revoked and the expired, about 60% of all customers have MTS
        # active and 35% the mobile web.
        for channel, share in ((Channel.MTS, 0.75), (Channel.WEB, 0.44)):
            if rng.random() >= share:
                continue
            make = self.mts if channel is Channel.MTS else self.web
            days_ago = rng.randrange(1, self.max_age)
            roll = rng.random()
            if roll < 0.02:  # revoked at a branch; nothing current on the channel
                make(out, rng, i, "revoked", days_ago,
                     end_reason=_REVOCATION_REASONS[rng.randrange(3)])
                continue
            old = None
            if roll < 0.14:  # an older device or browser, replaced by this one
                old = make(out, rng, i, "replaced", days_ago + rng.randrange(60, 900))
            valid = self.day_valid[days_ago]
            if valid < self.today - timedelta(days=7):
                status = "expired"  # the batch has marked it
            elif valid < self.today:
                status = "active"  # expired, not yet marked by the batch
            elif rng.random() < 0.006:
                status = "locked"
            else:
                status = "active"
            cred_id = make(out, rng, i, status, days_ago,
                           failed=5 if status == "locked" else int(rng.random() < 0.03))
            if old is not None:
                self.end_replaced(out, old, cred_id)
            if status != "expired" and valid >= self.today:
                current[channel] = cred_id
        if rng.random() < 0.012:  # a pending registration: a new device, or a first one
            channel = Channel.MTS if rng.random() < 0.7 else Channel.WEB
            self.registration(out, rng, i, branch, phone, channel)
        if current and rng.random() < 0.004:  # a pending revocation made by a teller
            channels = sorted(current)
            channel = channels[rng.randrange(len(channels))]
            self.revocation(out, rng, i, branch, channel, current[channel])

    def case(self, out: _Chunk, rng: Random, i: int) -> None:
        c = CASES[i - 1]
        birth, s_digit = _CASE_BIRTHS[c.key]
        phone = f"010-{1000 + i * 111}-{1000 + i:04d}"
        created = _ts(self.now - timedelta(days=2500 + i))
        digits = "1208812345" if birth is None else birth + s_digit + self.rrn_serial(i)
        self.customer(out, i, c.name, digits, birth,
                      "corporation" if birth is None else "individual",
                      "foreign" if c.key == "foreign" else "domestic", phone,
                      c.key != "no_online_trading", c.branch, created)
        self.account(out, i, c.branch, "01")
        if c.key in ("both_active", "replaced"):
            self.account(out, i, c.branch, "21")
        k = c.key
        if k == "both_active":
            self.mts(out, rng, i, "active", 400, model="Galaxy S24",
                     methods="pin,pattern,fingerprint,face")
            self.web(out, rng, i, "active", 200, browser="Chrome (Android)")
        elif k == "mts_only":
            self.mts(out, rng, i, "active", 300, model="iPhone 15", methods="pin,face")
        elif k == "web_only":
            self.web(out, rng, i, "active", 150, browser="Safari (iOS)")
        elif k == "no_biometrics":
            self.mts(out, rng, i, "active", 500, model="Galaxy Folder2", methods="pin,pattern")
        elif k == "expiring":
            days_ago = next(d for d in range(1000, 1200)
                            if self.day_valid[d] == self.today + timedelta(days=12))
            self.mts(out, rng, i, "active", days_ago, model="Galaxy S22",
                     methods="pin,fingerprint")
        elif k == "expired":
            self.mts(out, rng, i, "expired", 3 * 365 + 40, model="Galaxy A15",
                     methods="pin,fingerprint")
            self.web(out, rng, i, "expired", 3 * 365 + 25, browser="Samsung Internet (Android)")
        elif k == "locked":
            self.web(out, rng, i, "locked", 250, browser="Chrome (Android)", failed=5)
            self.mts(out, rng, i, "active", 250, model="Galaxy S23", methods="pin,fingerprint")
        elif k == "pending_registration":
            self.registration(out, rng, i, c.branch, phone, Channel.MTS, model="iPhone 16",
                              methods="pin,face")
        elif k == "pending_revocation":
            cred_id = self.mts(out, rng, i, "active", 350, model="iPhone 14", methods="pin,face")
            self.revocation(out, rng, i, c.branch, Channel.MTS, cred_id,
                            maker=self.staff_ids["T001"], reason="lost_device")
        elif k == "replaced":
            old = self.mts(out, rng, i, "replaced", 700, model="Galaxy S21",
                           methods="pin,pattern,fingerprint")
            new = self.mts(out, rng, i, "active", 90, model="Galaxy S24",
                           methods="pin,fingerprint,face")
            self.end_replaced(out, old, new)
            old = self.web(out, rng, i, "replaced", 400, browser="Chrome (Android)")
            new = self.web(out, rng, i, "active", 30, browser="Safari (iOS)")
            self.end_replaced(out, old, new)


# birth YYMMDD (None: a corporation) and the S digit of each case customer
_CASE_BIRTHS: dict[str, tuple[str | None, str]] = {
    "both_active": ("800515", "1"), "mts_only": ("751203", "1"), "web_only": ("920707", "2"),
    "no_biometrics": ("520310", "1"), "expiring": ("680822", "1"), "expired": ("590101", "1"),
    "locked": ("881111", "1"), "pending_registration": ("990228", "2"),
    "pending_revocation": ("830630", "1"), "foreign": ("850420", "5"),
    "corporation": (None, ""), "no_online_trading": ("470917", "2"),
    "replaced": ("010704", "3"),
}


class _Rng(Random):
    """`random.Random` with a faster `randrange` (one `random()` call, no argument checks):
    the same seed still gives the same sequence, which is all the demo needs."""

    def randrange(self, start: int, stop: int | None = None) -> int:  # type: ignore[override]
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))


@lru_cache(maxsize=1)
def _births() -> list[tuple[str, bool]]:
    """Every birth date 1941-01-01 .. 2006-12-31 as (YYMMDD, born in the 2000s)."""
    first, last = date(1941, 1, 1).toordinal(), date(2006, 12, 31).toordinal()
    return [(iso[2:4] + iso[5:7] + iso[8:10], iso >= "2000")
            for iso in map(date.isoformat, map(date.fromordinal, range(first, last + 1)))]


def _pick(rng: Random, cum: list[int]) -> int:
    """An index drawn with cumulative weights (like random.choices, one draw)."""
    return bisect(cum, rng.random() * cum[-1])


# ---------------------------------------------------------------- bulk writers

COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": ("id", "customer_no", "name", "name_chosung", "id_hash", "id_cipher",
                 "id_masked", "birth_yymmdd", "customer_type", "nationality", "phone",
                 "phone_digits", "phone_last4", "online_trading", "branch_code", "created_at"),
    "account": ("account_no", "customer_id"),
    "credential": ("id", "customer_id", "channel", "status", "device_id", "device_model",
                   "biometrics", "methods", "key_fingerprint", "created_at", "activated_at",
                   "valid_until", "last_used_at", "failed_logins", "ended_at", "end_reason"),
    "request": ("id", "kind", "customer_id", "channel", "credential_id", "branch_code", "origin",
                "maker_staff_id", "status", "reason", "note", "created_at", "expires_at",
                "decided_at", "decider_staff_id", "authority", "delegation_id", "decision_note"),
    "verification": ("id", "request_id", "kind", "passed", "verified_at", "detail"),
}
BULK_TABLES = tuple(COLUMNS)  # in foreign-key order
_FIELDS = dict(zip(BULK_TABLES, ("customers", "accounts", "credentials", "requests",
                                 "verifications"), strict=True))


@dataclass
class _Batch:
    """One chunk ready for the database: rows (SQLite) or COPY text (PostgreSQL), and counts."""

    rows: dict[str, list[tuple]]
    text: dict[str, bytes]
    counts: dict[str, int]


def _copy_text(rows: list[tuple], columns: int) -> bytes:
    """COPY text format. The generated values never hold a tab, newline or backslash; the
    counts below prove it for every chunk, so no escaping is needed."""
    text = "".join(
        ["\t".join(["\\N" if v is None else str(v) for v in row]) + "\n" for row in rows])
    if (text.count("\n") != len(rows) or text.count("\t") != len(rows) * (columns - 1)
            or text.count("\\") != text.count("\\N")):
        raise AssertionError("demo value with a tab, newline or backslash")
    return text.encode()


def _batch(chunk: _Chunk, as_text: bool) -> _Batch:
    rows = {t: getattr(chunk, f) for t, f in _FIELDS.items()}
    counts = {f: len(rows[t]) for t, f in _FIELDS.items()}
    if as_text:
        return _Batch({}, {t: _copy_text(r, len(COLUMNS[t])) for t, r in rows.items() if r}, counts)
    return _Batch(rows, {}, counts)


# Set in the parent just before forking the generator processes; read by them.
_FORKED: tuple[_Generator, int, bool] | None = None


def _forked_batch(number: int) -> _Batch:
    gen, total, as_text = _FORKED
    return _batch(gen.chunk(number, total), as_text)


def _worker_count(chunks: int, *, parent_writes: bool = True) -> int:
    """Generator processes, at most 4: one per core when the parent only streams COPY text to
    PostgreSQL, one less when it also binds every row for SQLite (measured: on 2 cores one
    generator beats two there). None for small loads, where the platform cannot fork, or when
    the caller runs threads (forking a threaded process can deadlock)."""
    if (chunks < 4 or "fork" not in multiprocessing.get_all_start_methods()
            or threading.active_count() > 1):
        return 0
    return max(1, min(4, (os.cpu_count() or 1) - (1 if parent_writes else 0)))


def _batches(gen: _Generator, total: int, as_text: bool) -> Iterator[_Batch]:
    """The chunks in order, made in forked processes while the parent writes the previous
    ones; at most 2 chunks per process wait, so memory stays bounded."""
    global _FORKED
    chunks = -(-total // CHUNK)
    workers = _worker_count(chunks, parent_writes=not as_text)
    if workers == 0:
        for number in range(chunks):
            yield _batch(gen.chunk(number, total), as_text)
        return
    _FORKED = (gen, total, as_text)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            waiting: deque = deque()
            submitted = 0
            while submitted < chunks or waiting:
                while submitted < chunks and len(waiting) < 2 * workers:
                    waiting.append(pool.apply_async(_forked_batch, (submitted,)))
                    submitted += 1
                yield waiting.popleft().get()
    finally:
        _FORKED = None


class _Timer:
    """Where the load's time goes (logged at INFO): waiting for rows vs. the database."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {"wait for rows": 0.0}
        self.mark = time.perf_counter()
        self.counts: dict[str, int] = dict.fromkeys(_FIELDS.values(), 0)

    def batches(self, batches: Iterator[_Batch]) -> Iterator[_Batch]:
        while True:
            begun = time.perf_counter()
            batch = next(batches, None)
            self.laps["wait for rows"] += time.perf_counter() - begun
            if batch is None:
                return
            for key, n in batch.counts.items():
                self.counts[key] += n
            yield batch

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        waited = self.laps["wait for rows"] if name == "insert" else 0.0
        self.laps[name] = now - self.mark - waited
        self.mark = now

    def report(self) -> None:
        log.info("demo load: %s", ", ".join(f"{k} {v:.1f}s" for k, v in self.laps.items()))


def _bulk_sqlite(raw, batches: Iterator[_Batch]) -> dict[str, int]:
    """executemany in the caller's transaction, with the secondary indexes dropped meanwhile
    and re-created from their stored SQL (the migration's own statements)."""
    cur = raw.cursor()
    names = ", ".join(f"'{t}'" for t in BULK_TABLES)
    indexes = cur.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({names}) ORDER BY name").fetchall()
    cache = cur.execute("PRAGMA cache_size").fetchone()[0]
    threads = cur.execute("PRAGMA threads").fetchone()[0]
    cur.execute("PRAGMA cache_size = -262144")  # 256 MiB while loading and indexing
    spent = _Timer()
    try:
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        statements = {
            t: f'INSERT INTO "{t}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
            for t, cols in COLUMNS.items()
        }
        for batch in spent.batches(batches):
            for table, rows in batch.rows.items():
                if rows:
                    cur.executemany(statements[table], rows)
        spent.lap("insert")
        # The generators are done: let SQLite sort for CREATE INDEX on the free cores too.
        cur.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
        for _name, sql in indexes:
            cur.execute(sql)
        spent.lap("index")
        spent.report()
    finally:
        cur.execute(f"PRAGMA cache_size = {int(cache)}")
        cur.execute(f"PRAGMA threads = {int(threads)}")
        cur.close()
    return spent.counts


def _bulk_postgres(raw, batches: Iterator[_Batch]) -> dict[str, int]:
    """COPY FROM STDIN in the caller's transaction; the secondary indexes (those that back no
    constraint) are dropped meanwhile and re-created from pg_get_indexdef."""
    spent = _Timer()
    with raw.cursor() as cur:
        # The transaction waits for generated rows between statements: not idle for long, but
        # the terminal default (idle_in_transaction_session_timeout) is not meant for a load.
        cur.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cur.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid) "
            "ORDER BY i.relname", (list(BULK_TABLES),))
        indexes = cur.fetchall()
        # Foreign keys into and among the bulk tables: checked row by row by triggers during
        # COPY, in one join each when added back (ALTER TABLE ... ADD CONSTRAINT validates).
        cur.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.contype = 'f' AND t.relname = ANY(%s) "
            "AND t.relnamespace = current_schema()::regnamespace ORDER BY 1, 2",
            (list(BULK_TABLES),))
        foreign_keys = cur.fetchall()
        for table, name, _definition in foreign_keys:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        statements = {t: f'COPY "{t}" ({", ".join(cols)}) FROM STDIN' for t, cols in COLUMNS.items()}
        for batch in spent.batches(batches):
            for table, payload in batch.text.items():
                with cur.copy(statements[table]) as copy:
                    copy.write(payload)
        spent.lap("insert")
        for _name, sql in indexes:
            cur.execute(sql)
        spent.lap("index")
        for table, name, definition in foreign_keys:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        spent.lap("foreign keys")
        for table in ("customer", "credential", "request", "verification"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")
        cur.execute("ANALYZE " + ", ".join(f'"{t}"' for t in BULK_TABLES))
        spent.lap("analyze")
        spent.report()
    return spent.counts


# ---------------------------------------------------------------- the use case

def _read_csv(path: Traversable) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def load_demo(
    backend: Backend, *, customers: int = 300, seed: int = 7, clock: Clock,
    branches_csv: Traversable = BRANCHES_CSV, staff_csv: Traversable = STAFF_CSV,
) -> DemoSummary:
    """Load the demo into an empty store (a system job) in one transaction; see the module
    docstring and docs/demo.md. Refused with DUPLICATE on a store that has customers."""
    if isinstance(customers, bool) or not isinstance(customers, int) or not (
            len(CASES) <= customers <= MAX_CUSTOMERS):
        raise invalid("customers", f"must be between {len(CASES)} and {MAX_CUSTOMERS:,}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise invalid("seed", "must be an integer")
    started = time.perf_counter()
    now = clock.now()
    branch_rows = _read_csv(branches_csv)
    staff_rows = _read_csv(staff_csv)
    # One hash for every demo staff member: argon2 is slow on purpose; demo only.
    password_hash = hash_password(DEMO_PASSWORD, time_cost=backend.password_time_cost,
                                  memory_kib=backend.password_memory_kib)

    def work(s: Session) -> DemoSummary:
        init_chain(s, backend.store.keyring)
        if s.exec(select(func.count()).select_from(Customer)).one() > 0:
            raise ConsoleError(
                "DUPLICATE", "the store already has customers; the demo loads into an empty store")
        numbers = [r["employee_no"] for r in staff_rows]
        taken = sorted(s.exec(select(Staff.employee_no).where(Staff.employee_no.in_(numbers))))
        if taken:
            raise ConsoleError("DUPLICATE", f"demo staff already exist: {', '.join(taken)}",
                               field="employee_no")
        have = set(s.exec(select(Branch.code)))
        for row in branch_rows:
            if row["code"] not in have:
                s.add(Branch(code=row["code"], name=row["name"]))
        s.flush()
        members = [
            Staff(employee_no=r["employee_no"], name=r["name"], branch_code=r["branch_code"],
                  role=r["role"], password_hash=password_hash, created_at=now)
            for r in staff_rows
        ]
        s.add_all(members)
        s.flush()
        staff_ids = {m.employee_no: m.id for m in members}
        tellers: dict[str, list[int]] = {}
        for m in members:
            if m.role == "teller":
                tellers.setdefault(m.branch_code, []).append(m.id)
        gen = _Generator(backend, seed=seed, now=now, staff_ids=staff_ids, tellers=tellers)
        raw = s.connection().connection.driver_connection
        if backend.store.is_postgres:
            counts = _bulk_postgres(raw, _batches(gen, customers, as_text=True))
        else:
            counts = _bulk_sqlite(raw, _batches(gen, customers, as_text=False))
        counts = dict(counts, staff=len(members), branches=len(branch_rows), seed=seed)
        record(s, backend.store, now, NewEvent(SYSTEM, "demo", "demo.loaded", detail=counts))
        return DemoSummary(
            customers=counts["customers"], credentials=counts["credentials"],
            requests=counts["requests"], staff=len(members), branches=len(branch_rows),
            password=DEMO_PASSWORD, cases={c.key: c.customer_no for c in CASES},
            accounts=counts["accounts"], verifications=counts["verifications"], seed=seed,
            seconds=round(time.perf_counter() - started, 3),
        )

    return backend.store.run(work)
