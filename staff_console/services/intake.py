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

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

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
from ..domain.lockout import MAX_FAILED_ATTEMPTS, after_failure
from ..domain.states import (
    CredentialStatus,
    RequestKind,
    RequestStatus,
    is_current,
    transition,
)
from ..domain.text import clean_text
from ..domain.validity import is_past_validity
from ..store import credentials as credential_store
from ..store import requests as request_store
from ..store.audit import NewEvent
from ..store.constraints import UQ_REQUEST_PENDING, violated_constraint
from ..store.engine import Tx
from .backend import Backend
from .common import (
    CHANNEL,
    lock_customer_channel,
    record,
    request_policy,
)
from .requests import approve_locked, new_request
from .views import IntakeResult, LoginResult

_EVIDENCE_DETAIL = {
    VerificationKind.ID_CARD: "신분증 촬영 진위확인 (주민등록증/운전면허증)",
    VerificationKind.ONE_WON: "타금융기관 본인명의계좌 1원이체",
}


def _device_id(raw: str) -> str:
    return clean_text(raw, "device_id", limit="device_id")


def register_from_channel(
    backend: Backend, *, customer_no: str, channel: str, device_id: str,
    device_model: str | None = None, biometrics: str = "none", methods: str | list[str],
    verified: str | list[str], key_fingerprint: str | None = None, clock: Clock,
    then: Callable[[Tx, IntakeResult], None] | None = None,
) -> IntakeResult:
    """A pending credential and its registration request for the customer's branch.
    `then`: runs in the same transaction with the answer (the channel API stores its
    idempotent answer there: the answer and the registration commit together, or neither)."""
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
    model = clean_text(device_model, "device_model", limit="device_model", required=False)
    key_fingerprint = clean_text(key_fingerprint, "key_fingerprint", limit="key_fingerprint",
                                 required=False)

    def work(s: Tx) -> IntakeResult:
        customer, pending, _creds = lock_customer_channel(
            s, customer_no, chan.value, RequestKind.REGISTRATION.value, with_policy=True)
        expiry_days, needs_checker = request_policy(customer, RequestKind.REGISTRATION.value)
        check_customer_eligible(
            CustomerType(customer.customer_type), Nationality(customer.nationality),
            customer.online_trading,
        )
        evidence = [Evidence(VerificationKind(k), True) for k in kinds]
        check_verification(evidence)
        if pending:
            raise ConsoleError(
                "DUPLICATE_PENDING", f"a {chan.value} registration is already pending"
            )
        methods_text = format_methods(chosen)
        values = new_request(
            kind=RequestKind.REGISTRATION, customer=customer, channel=chan.value,
            credential_id=0, branch_code=customer.branch_code, origin="channel",
            maker_staff_id=None, now=now, expiry_days=expiry_days,
        )
        del values["credential_id"]  # the new credential's, given by the store
        # The credential, the request and its evidence: one statement on PostgreSQL.
        req = request_store.insert_registration(s, {
            "customer_id": customer.id, "channel": chan.value,
            "status": CredentialStatus.PENDING.value, "device_id": device, "device_model": model,
            "biometrics": bio.value, "methods": methods_text, "key_fingerprint": key_fingerprint,
            "created_at": now, "failed_logins": 0,
        }, values, [
            {"kind": item.kind.value, "passed": True, "verified_at": now,
             "detail": _EVIDENCE_DETAIL.get(item.kind)
             or f"휴대폰 본인인증 {mask_phone(customer.phone)}"}
            for item in evidence
        ])
        cred_id = req.credential_id
        events = [NewEvent(CHANNEL, chan.value, "request.created",
                           customer_no=customer.customer_no, target=f"request:{req.id}",
                           detail={"kind": req.kind, "channel": chan.value, "device_id": device,
                                   "methods": methods_text, "verified": sorted(kinds)})]
        status = req.status
        if not needs_checker:
            events += approve_locked(s, req, customer, CHANNEL, chan.value, now,
                                     Authority.POLICY, None, None, today)[0]
            status = RequestStatus.APPROVED.value
        answer = IntakeResult(request_id=req.id, credential_id=cred_id, status=status)
        if then is not None:
            then(s, answer)
        record(s, backend.store, now, *events)
        return answer

    try:
        return backend.store.run(work)
    except IntegrityError as exc:  # the index caught a race the lock did not order
        if violated_constraint(exc) == UQ_REQUEST_PENDING:
            raise ConsoleError(
                "DUPLICATE_PENDING", f"a {chan.value} registration is already pending"
            ) from None
        raise


def record_login(
    backend: Backend, *, customer_no: str, channel: str, device_id: str, result: str,
    clock: Clock, then: Callable[[Tx, LoginResult], None] | None = None,
) -> LoginResult:
    """A login reported by the channel. The 5th consecutive failure locks the credential.
    `then`: as for `register_from_channel`."""
    now = clock.now()
    today = seoul_date(now)
    chan = parse_channel(channel)
    device = _device_id(device_id)
    outcome = (result or "").strip().lower()
    if outcome not in ("ok", "fail"):
        raise invalid("result", "must be ok or fail")

    def work(s: Tx) -> LoginResult:
        customer, _pending, creds = lock_customer_channel(
            s, customer_no, chan.value, RequestKind.REGISTRATION.value)
        cred = next((c for c in creds if is_current(c.status)), None)
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
                "CREDENTIAL_LOCKED",
                f"locked after {MAX_FAILED_ATTEMPTS} failed logins; the customer registers again"
            )
        target = f"credential:{cred.id}"
        if outcome == "ok":
            failures, status = 0, cred.status
            change = credential_store.login_succeeded(cred.id, now)
            events = [NewEvent(CHANNEL, chan.value, "credential.login",
                               customer_no=customer.customer_no, target=target)]
        else:
            failure = after_failure(cred.failed_logins)
            failures, locking = failure.failures, failure.locks
            # active -> locked through the transition guard, as every state change
            status = (transition(cred.status, CredentialStatus.LOCKED).value if locking
                      else cred.status)
            change = credential_store.login_failed(cred.id, failures, lock=locking)
            events = [NewEvent(CHANNEL, chan.value, "credential.login_failed",
                               customer_no=customer.customer_no, target=target,
                               detail={"failures": failures})]
            if locking:
                events.append(NewEvent(CHANNEL, chan.value, "credential.locked",
                                       customer_no=customer.customer_no, target=target,
                                       detail={"failures": failures}))
        answer = LoginResult(cred.id, outcome, status, failures)
        if then is not None:
            then(s, answer)
        # The credential's change goes with the event (one statement on PostgreSQL).
        record(s, backend.store, now, *events, change=change)
        return answer

    return backend.store.run(work)
