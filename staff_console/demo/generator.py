"""Which demo customer gets which rows: the trainer cases at D0000001..D0000013, then random
customers in realistic shares (docs/demo.md).

Deterministic for a seed: the same seed gives the same rows (`random.Random`, never the global
random), except the AES-GCM ciphertexts (each encryption draws a fresh nonce). Customer i comes
from the random stream of its own chunk of `CHUNK` customers, with the chunk's own block of row
ids, so the first customers are the same whatever the size and chunks can be made in any order,
in parallel (`parallel`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random
from typing import Any

from ..domain.channels import Channel
from ..services.backend import Backend
from ..store.bulk import timestamp
from . import pools
from .cases import CASE_NAMES, CASES, CORPORATION_NUMBER, NOT_A_CASE
from .rows import RowBuilder, Rows, new_rows

CHUNK = 10_000  # customers per generated chunk (and per random stream)
# Row ids come in blocks per chunk (so chunks are independent): at most 2 channels x (an old and
# a current credential) + 1 pending per customer, one pending request of each kind, and the
# three verifications of one registration. Ids have gaps between chunks; that is all.
CREDENTIALS_PER_CUSTOMER, REQUESTS_PER_CUSTOMER, VERIFICATIONS_PER_CUSTOMER = 5, 2, 3
MAX_CUSTOMERS = 1_000_000  # the RRN serial below is a bijection on 0..999,999


class Generator(RowBuilder):
    def __init__(self, backend: Backend, *, seed: int, now: datetime,
                 staff_ids: dict[str, int], tellers: dict[str, list[int]]) -> None:
        super().__init__(backend, seed=seed, now=now, staff_ids=staff_ids, tellers=tellers)
        # When customers joined: 2000..6000 days ago (before any credential); a pool of
        # instants drawn once, then picked per customer.
        joined = Random(f"staff-console-demo:{seed}:joined")
        self.joined = [timestamp(self.now - timedelta(seconds=joined.randrange(2000 * 86400,
                                                                               6000 * 86400)))
                       for _ in range(1 << 12)]
        self.births = pools.births()
        self.surnames = [s for s, _ in pools.SURNAMES]
        self.surname_cum = pools.cumulative(w for _, w in pools.SURNAMES)
        self.given = [a + b for a in pools.GIVEN_FIRST for b in pools.GIVEN_SECOND if a != b]
        self.given += list(pools.GIVEN_SINGLE)
        self.branches = ["001", "002", "003", "004"]
        self.branch_cum = pools.cumulative((35, 25, 25, 15))

    @staticmethod
    def rrn_serial(i: int) -> str:
        """6 trailing digits, a bijection of the customer index: RRNs never collide."""
        return f"{(i * 370_813 + 58_213) % 1_000_000:06d}"

    def chunk(self, number: int, total: int) -> Rows:
        """Customers number*CHUNK+1 .. of `total`, from the chunk's own random stream and with
        its own block of row ids."""
        rng = pools.FastRandom(f"staff-console-demo:{self.seed}:{number}")
        self.next_cred = number * CHUNK * CREDENTIALS_PER_CUSTOMER + 1
        self.next_req = number * CHUNK * REQUESTS_PER_CUSTOMER + 1
        self.next_ver = number * CHUNK * VERIFICATIONS_PER_CUSTOMER + 1
        out = new_rows()
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

    def random_customer(self, out: Rows, rng: Random, i: int, drawn: tuple[Any, ...]) -> None:
        kind, branch, digits8, created, (birth, y2k), male, surname, given, second = drawn
        phone = f"010-{digits8 // 10000}-{digits8 % 10000:04d}"
        if kind < 20:  # 2% corporations: business number, no credentials
            name = (pools.CORP_HEADS[rng.randrange(len(pools.CORP_HEADS))]
                    + pools.CORP_TAILS[rng.randrange(len(pools.CORP_TAILS))] + "(주)")
            name = NOT_A_CASE.get(name, name)
            digits = f"{1_000_000_000 + (i * 7919 + 12345) % 9_000_000_000}"
            self.customer(out, i, name, digits, None, "corporation", "domestic", phone, True,
                          branch, created)
            self.account(out, i, branch, "01")
            return
        if kind < 50:  # 3% foreigners: S = 5..8, no credentials
            name = (pools.FOREIGN_SURNAMES[rng.randrange(len(pools.FOREIGN_SURNAMES))] + " "
                    + pools.FOREIGN_GIVEN[rng.randrange(len(pools.FOREIGN_GIVEN))])
            name = NOT_A_CASE.get(name, name)
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
                     end_reason=pools.REVOCATION_REASONS[rng.randrange(3)])
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

    def case(self, out: Rows, rng: Random, i: int) -> None:
        """Trainer case i (1-based) in its documented state (cases.CASES[i - 1].show)."""
        c = CASES[i - 1]
        birth = c.birth_yymmdd
        phone = f"010-{1000 + i * 111}-{1000 + i:04d}"
        created = timestamp(self.now - timedelta(days=2500 + i))
        digits = CORPORATION_NUMBER if birth is None else birth + c.id_s_digit + self.rrn_serial(i)
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
