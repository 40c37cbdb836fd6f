"""The demo's rows, one method per kind of row, as dicts keyed by column name (the store's
`bulk.COLUMNS`). What to make (which customer has which credentials) is `generator`'s."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any

from ..domain.channels import Channel, Method, check_methods
from ..domain.clock import seoul_date, seoul_midnight
from ..domain.eligibility import VerificationKind
from ..domain.hangul import chosung_key
from ..domain.ids import mask_id_number, mask_phone
from ..domain.states import CURRENT_VALUES
from ..domain.validity import last_valid_day
from ..services.backend import Backend
from ..store.bulk import BULK_TABLES, timestamp
from . import pools

Rows = dict[str, list[dict[str, Any]]]  # table -> rows


def new_rows() -> Rows:
    return {table: [] for table in BULK_TABLES}


class RowBuilder:
    """Row ids, the clock's day tables and the keyring, shared by every row of a load."""

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
        self.phones = [(m, b, p, pools.method_choices(Channel.MTS, b))
                       for m, b, p, _ in pools.PHONES]
        self.phone_index = {m: n for n, (m, *_rest) in enumerate(pools.PHONES)}
        self.phone_cum = pools.cumulative(w for *_, w in pools.PHONES)
        self.browsers = [m for m, _ in pools.BROWSERS]
        self.browser_cum = pools.cumulative(w for _, w in pools.BROWSERS)
        self.web_methods = pools.method_choices(Channel.WEB, pools.Biometrics.NONE)[0]
        self.last_created = self.now

    def activation(self, rng: Random, days_ago: int) -> datetime:
        """An instant on the Seoul date `days_ago` days before today, 08:00-22:00 Korea time."""
        return self.day_start[days_ago] + timedelta(seconds=rng.randrange(8 * 3600, 22 * 3600))

    @staticmethod
    def fingerprint(rng: Random) -> str:
        raw = rng.getrandbits(256).to_bytes(32, "big")
        return "SHA256:" + base64.b64encode(raw).decode().rstrip("=")

    def customer(self, out: Rows, i: int, name: str, digits: str, birth: str | None,
                 ctype: str, nationality: str, phone: str, online: bool, branch: str,
                 created: str | None) -> None:
        kr = self.keyring
        pd = phone.replace("-", "")
        key = self.chosung.get(name)
        if key is None:
            key = self.chosung[name] = chosung_key(name)
        out["customer"].append({
            "id": i, "customer_no": f"D{i:07d}", "name": name, "name_chosung": key,
            "id_hash": kr.id_lookup_hash(digits), "id_cipher": kr.encrypt_id(digits),
            "id_masked": mask_id_number(digits), "birth_yymmdd": birth, "customer_type": ctype,
            "nationality": nationality, "phone": phone, "phone_digits": pd,
            "phone_last4": pd[-4:], "online_trading": 1 if online else 0,
            "branch_code": branch, "created_at": created,
        })

    @staticmethod
    def account(out: Rows, i: int, branch: str, product: str) -> None:
        out["account"].append({"account_no": f"7{branch[-1]}{i:07d}{product}", "customer_id": i})

    def mts(self, out: Rows, rng: Random, cid: int, status: str, days_ago: int, *,
            model: str | None = None, methods: str | None = None, **kw: Any) -> int:
        index = self.phone_index[model] if model else pools.pick(rng, self.phone_cum)
        name, bio, prefix, choices = self.phones[index]
        if methods is not None:
            check_methods(Channel.MTS, bio, tuple(Method(m) for m in methods.split(",")))
        return self._credential(out, rng, cid, "mts", status, days_ago, name, bio.value,
                                methods or choices[rng.randrange(len(choices))],
                                f"{prefix}-{rng.getrandbits(64):016X}", **kw)

    def web(self, out: Rows, rng: Random, cid: int, status: str, days_ago: int, *,
            browser: str | None = None, **kw: Any) -> int:
        name = browser or self.browsers[pools.pick(rng, self.browser_cum)]
        return self._credential(out, rng, cid, "web", status, days_ago, name, "none",
                                self.web_methods, f"BRW-{rng.getrandbits(64):016x}", **kw)

    def _credential(self, out: Rows, rng: Random, cid: int, channel: str, status: str,
                    days_ago: int, model: str, bio: str, methods: str, device: str, *,
                    failed: int = 0, end_reason: str | None = None) -> int:
        key = self.fingerprint(rng)
        activated = last_used = ended = None
        valid: date | None = None
        if status == "pending":
            created = self.now - timedelta(seconds=rng.randrange(3600, 5 * 86400))
        else:
            activated = self.activation(rng, days_ago)
            created = activated - timedelta(seconds=rng.randrange(600, 2 * 86400))
            valid = self.day_valid[days_ago]
            valid_end = self.day_valid_end[days_ago]
            span = max(int((min(self.now, valid_end) - activated).total_seconds()), 2)
            if status in CURRENT_VALUES:
                last_used = activated + timedelta(seconds=rng.randrange(span))
            elif status == "expired":
                ended, end_reason = valid_end, "expired"
            elif status == "revoked":
                ended = activated + timedelta(seconds=rng.randrange(1, span))
                end_reason = end_reason or "customer_request"
        cred_id = self.next_cred
        self.next_cred += 1
        self.last_created = created
        out["credential"].append({
            "id": cred_id, "customer_id": cid, "channel": channel, "status": status,
            "device_id": device, "device_model": model, "biometrics": bio, "methods": methods,
            "key_fingerprint": key, "created_at": timestamp(created),
            "activated_at": timestamp(activated),
            "valid_until": valid and self.day_valid_iso[days_ago],
            "last_used_at": timestamp(last_used), "failed_logins": failed,
            "ended_at": timestamp(ended), "end_reason": end_reason, "replaced_by": None,
        })
        return cred_id

    @staticmethod
    def end_replaced(out: Rows, old: int, new: int) -> None:
        """The old credential ends at the new one's activation, as an approval would do it."""
        credentials = out["credential"]
        base = credentials[0]["id"]
        old_row, new_row = credentials[old - base], credentials[new - base]
        old_row["ended_at"] = new_row["activated_at"]
        old_row["end_reason"] = "replaced"
        old_row["replaced_by"] = new

    def request(self, out: Rows, cid: int, channel: Channel, cred_id: int, branch: str, *,
                kind: str, maker: int | None, created: datetime, reason: str | None = None,
                note: str | None = None) -> int:
        req_id = self.next_req
        self.next_req += 1
        out["request"].append({
            "id": req_id, "kind": kind, "customer_id": cid, "channel": channel.value,
            "credential_id": cred_id, "branch_code": branch,
            "origin": "channel" if kind == "registration" else "branch",
            "maker_staff_id": maker, "status": "pending", "reason": reason, "note": note,
            "created_at": timestamp(created),
            "expires_at": timestamp(created + timedelta(days=self.expiry_days)),
            "decided_at": None, "decider_staff_id": None, "authority": None,
            "delegation_id": None, "decision_note": None,
        })
        return req_id

    def registration(self, out: Rows, rng: Random, cid: int, branch: str, phone: str,
                     channel: Channel, **kw: Any) -> None:
        """A pending credential from a channel, its request and the three verifications."""
        make = self.mts if channel is Channel.MTS else self.web
        cred_id = make(out, rng, cid, "pending", 0, **kw)
        created = self.last_created
        req_id = self.request(out, cid, channel, cred_id, branch, kind="registration",
                              maker=None, created=created)
        for n, kind in enumerate(VerificationKind):
            detail = pools.EVIDENCE_DETAIL.get(kind) or f"휴대폰 본인인증 {mask_phone(phone)}"
            at = created - timedelta(seconds=60 * (3 - n))
            out["verification"].append({
                "id": self.next_ver, "request_id": req_id, "kind": kind.value, "passed": 1,
                "verified_at": timestamp(at), "detail": detail})
            self.next_ver += 1

    def revocation(self, out: Rows, rng: Random, cid: int, branch: str, channel: Channel,
                   cred_id: int, *, maker: int | None = None, reason: str | None = None) -> None:
        """A teller of the customer's branch asked to revoke: the request is that branch's."""
        tellers = self.tellers[branch]
        maker = maker or tellers[rng.randrange(len(tellers))]
        reasons = pools.REVOCATION_REASONS
        reason = reason or reasons[rng.randrange(len(reasons))]
        note = "고객 요청 (데모)" if reason == "other" else None
        created = self.now - timedelta(seconds=rng.randrange(600, 3 * 86400))
        self.request(out, cid, channel, cred_id, branch, kind="revocation", maker=maker,
                     created=created, reason=reason, note=note)
