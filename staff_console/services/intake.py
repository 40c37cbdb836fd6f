"""What the channel back-ends send: registrations (after the three-kind verification) and logins.

Concurrency: both use cases lock the customer row first (SELECT ... FOR UPDATE on PostgreSQL;
on SQLite BEGIN IMMEDIATE already runs writers one at a time), the same per-customer mutex that
decisions and revocation requests take, so everything that changes one customer's credentials
happens in one order. Concurrent intakes for one customer and channel: the lock orders them, the
second one sees the first one's pending request and is refused with DUPLICATE_PENDING; and the
partial unique index `uq_request_pending` guarantees one pending registration even if a path
forgets the lock (the unique violation is turned into the same DUPLICATE_PENDING). Logins count
failures under the same lock, so five concurrent failures lock the credential exactly once. The
audit append comes last: it holds the audit head lock until commit (store/audit.py).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..domain.authority import Authority
from ..domain.channels import (
    Biometrics,
    check_methods,
    format_methods,
    parse_channel,
    parse_methods,
)
from ..domain.clock import Clock, seoul_date
from ..domain.eligibility import (
    Evidence,
    VerificationKind,
    check_customer_eligible,
    check_verification,
    parse_verifications,
)
from ..domain.errors import ConsoleError, invalid
from ..domain.ids import CustomerType, Nationality, mask_phone
from ..domain.states import MAX_FAILED_LOGINS, CredentialStatus, RequestKind
from ..domain.validity import is_past_validity
from ..store.audit import NewEvent
from ..store.tables import Credential, Verification
from .backend import Backend
from .common import CHANNEL, customer_by_no, record
from .customers import credentials_of
from .requests import _approve, has_pending, new_request
from .views import IntakeResult, LoginResult

_EVIDENCE_DETAIL = {
    VerificationKind.ID_CARD: "신분증 촬영 진위확인 (주민등록증/운전면허증)",
    VerificationKind.ONE_WON: "타금융기관 본인명의계좌 1원이체",
}


def _device_id(raw: str) -> str:
    value = (raw or "").strip()
    if not value or len(value) > 128:
        raise invalid("device_id", "is required (at most 128 characters)")
    return value


def register_from_channel(
    backend: Backend, *, customer_no: str, channel: str, device_id: str,
    device_model: str | None = None, biometrics: str = "none", methods: str | list[str],
    verified: str | list[str], key_fingerprint: str | None = None, clock: Clock,
) -> IntakeResult:
    """A pending credential and its registration request for the customer's branch."""
    now = clock.now()
    today = seoul_date(now)
    chan = parse_channel(channel)
    try:
        bio = Biometrics((biometrics or "none").strip().lower())
    except ValueError:
        raise invalid("biometrics", "must be none, fingerprint, face or both") from None
    chosen = check_methods(chan, bio, parse_methods(methods))
    kinds = parse_verifications(verified)
    device = _device_id(device_id)
    model = (device_model or "").strip()[:64] or None

    def work(s: Session) -> IntakeResult:
        customer = customer_by_no(s, customer_no, lock=True)
        check_customer_eligible(
            CustomerType(customer.customer_type), Nationality(customer.nationality),
            customer.online_trading,
        )
        evidence = [Evidence(VerificationKind(k), True) for k in kinds]
        check_verification(evidence)
        if has_pending(s, customer.id, chan.value, RequestKind.REGISTRATION):
            raise ConsoleError(
                "DUPLICATE_PENDING", f"a {chan.value} registration is already pending"
            )
        cred = Credential(
            customer_id=customer.id, channel=chan.value, status=CredentialStatus.PENDING.value,
            device_id=device, device_model=model, biometrics=bio.value,
            methods=format_methods(chosen), key_fingerprint=key_fingerprint, created_at=now,
        )
        s.add(cred)
        s.flush()
        req = new_request(
            kind=RequestKind.REGISTRATION, customer=customer, channel=chan.value,
            credential_id=cred.id, branch_code=customer.branch_code, origin="channel",
            maker_staff_id=None, now=now, expiry_days=backend.policy.request_expiry_days,
        )
        s.add(req)
        s.flush()
        for item in evidence:
            detail = _EVIDENCE_DETAIL.get(item.kind) or f"휴대폰 본인인증 {mask_phone(customer.phone)}"
            s.add(Verification(request_id=req.id, kind=item.kind.value, passed=True,
                               verified_at=now, detail=detail))
        events = [NewEvent(CHANNEL, chan.value, "request.created",
                           customer_no=customer.customer_no, target=f"request:{req.id}",
                           detail={"kind": req.kind, "channel": chan.value, "device_id": device,
                                   "methods": cred.methods, "verified": sorted(kinds)})]
        if not backend.policy.needs_checker(RequestKind.REGISTRATION.value):
            events += _approve(s, req, customer, CHANNEL, chan.value, now, Authority.POLICY,
                               None, None, today)
        s.flush()
        record(s, backend.store, now, *events)
        return IntakeResult(request_id=req.id, credential_id=cred.id, status=req.status)

    try:
        return backend.store.run(work)
    except IntegrityError as exc:  # the index caught a race the lock did not order
        if "uq_request_pending" in str(exc) or "request.customer_id" in str(exc):
            raise ConsoleError(
                "DUPLICATE_PENDING", f"a {chan.value} registration is already pending"
            ) from None
        raise


def record_login(
    backend: Backend, *, customer_no: str, channel: str, device_id: str, result: str,
    clock: Clock,
) -> LoginResult:
    """A login reported by the channel. The 5th consecutive failure locks the credential."""
    now = clock.now()
    today = seoul_date(now)
    chan = parse_channel(channel)
    device = _device_id(device_id)
    outcome = (result or "").strip().lower()
    if outcome not in ("ok", "fail"):
        raise invalid("result", "must be ok or fail")

    def work(s: Session) -> LoginResult:
        customer = customer_by_no(s, customer_no, lock=True)
        creds = [c for c in credentials_of(s, customer.id) if c.channel == chan.value]
        cred = next((c for c in creds if c.status in ("active", "locked")), None)
        if cred is None:
            # Expired is expired whether or not the batch has marked it yet: the newest
            # credential this channel activated, on this device, is past its validity.
            last = next((c for c in creds if c.activated_at is not None), None)
            if (last is not None and last.device_id == device
                    and last.status == CredentialStatus.EXPIRED.value):
                raise ConsoleError(
                    "CREDENTIAL_EXPIRED", "the credential is past its last valid day")
        if cred is None or cred.device_id != device:
            raise ConsoleError(
                "NOT_REGISTERED", f"this {'device' if chan.value == 'mts' else 'browser'} "
                f"has no current {chan.value} credential"
            )
        if is_past_validity(cred.valid_until, today):
            raise ConsoleError("CREDENTIAL_EXPIRED", "the credential is past its last valid day")
        if cred.status == CredentialStatus.LOCKED.value:
            raise ConsoleError(
                "CREDENTIAL_LOCKED", "locked after 5 failed logins; the customer registers again"
            )
        events = []
        if outcome == "ok":
            cred.failed_logins = 0
            cred.last_used_at = now
            events.append(NewEvent(CHANNEL, chan.value, "credential.login",
                                   customer_no=customer.customer_no,
                                   target=f"credential:{cred.id}"))
        else:
            cred.failed_logins += 1
            events.append(NewEvent(CHANNEL, chan.value, "credential.login_failed",
                                   customer_no=customer.customer_no,
                                   target=f"credential:{cred.id}",
                                   detail={"failures": cred.failed_logins}))
            if cred.failed_logins >= MAX_FAILED_LOGINS:
                cred.status = CredentialStatus.LOCKED.value
                events.append(NewEvent(CHANNEL, chan.value, "credential.locked",
                                       customer_no=customer.customer_no,
                                       target=f"credential:{cred.id}",
                                       detail={"failures": cred.failed_logins}))
        s.add(cred)
        s.flush()
        record(s, backend.store, now, *events)
        return LoginResult(cred.id, outcome, cred.status, cred.failed_logins)

    return backend.store.run(work)
