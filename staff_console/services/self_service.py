"""The customer's own 간편인증 해지 from the channel (DOMAIN.md section 6, matrix row 간편인증 해지).

The customer revokes their own credential from the app or the mobile web after a valid simple
login on that same credential: the channel reports the login first (intake.record_login, which
stamps the credential's `last_used_at`), then the revocation from the same device or browser.
What the console checks, under the customer's row lock like every credential change:
- the credential is the channel's current one on this device (else NOT_REGISTERED), not past
  its validity (CREDENTIAL_EXPIRED), not locked (CREDENTIAL_LOCKED: a locked credential cannot
  log in, so there is no valid login to act on);
- its last successful login is at most `LOGIN_WINDOW` old (else AUTH_REQUIRED, field `login`):
  a channel cannot revoke a credential its customer has not just proven to hold.
No checker: the customer owns the credential. The event's actor is the channel (`channel`, the
channel as terminal) and it names the credential; a pending revocation request of that
credential at the branch is closed as moot in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from ..domain.channels import parse_channel
from ..domain.clock import Clock, seoul_date
from ..domain.errors import ConsoleError
from ..domain.lockout import MAX_FAILED_ATTEMPTS
from ..domain.states import CURRENT, CredentialStatus, RequestKind, RevocationReason
from ..domain.text import clean_text
from ..domain.validity import is_past_validity
from ..store.engine import Tx
from . import lifecycle
from .backend import Backend
from .common import CHANNEL, lock_customer_channel, record
from .views import SelfRevocationResult

# How recent the simple login that authorises a self-service revocation must be: the channel
# sends the revocation in the session the login opened (decisions.md, "Self-service").
LOGIN_WINDOW = timedelta(minutes=10)
SELF_SERVICE = "self_service"


def revoke_own_credential(
    backend: Backend, *, customer_no: str, channel: str, device_id: str, clock: Clock,
    then: Callable[[Tx, SelfRevocationResult], None] | None = None,
) -> SelfRevocationResult:
    """Revoke the customer's current credential on `channel` from its own device.
    `then`: runs in the same transaction with the answer (the channel API stores its
    idempotent answer there, so the answer and the change commit together)."""
    now = clock.now()
    today = seoul_date(now)
    chan = parse_channel(channel)
    device = clean_text(device_id, "device_id", limit="device_id")

    def work(s: Tx) -> SelfRevocationResult:
        customer, _pending, creds = lock_customer_channel(
            s, customer_no, chan.value, RequestKind.REVOCATION.value)
        cred = next((c for c in creds if c.status in CURRENT), None)
        if cred is None or cred.device_id != device:
            raise ConsoleError(
                "NOT_REGISTERED", f"this {'device' if chan.value == 'mts' else 'browser'} "
                f"has no current {chan.value} credential")
        if is_past_validity(cred.valid_until, today):
            raise ConsoleError("CREDENTIAL_EXPIRED", "the credential is past its last valid day")
        if cred.status == CredentialStatus.LOCKED.value:
            raise ConsoleError(
                "CREDENTIAL_LOCKED",
                f"locked after {MAX_FAILED_ATTEMPTS} failed logins; the customer registers again")
        if cred.last_used_at is None or not now - LOGIN_WINDOW <= cred.last_used_at <= now:
            raise ConsoleError(
                "AUTH_REQUIRED", "a simple login on this credential must come first "
                f"(within {int(LOGIN_WINDOW.total_seconds() // 60)} minutes)", field="login")
        events, revoked = lifecycle.revoke(s, cred, now, RevocationReason.CUSTOMER_REQUEST.value,
                                           CHANNEL, chan.value, customer.customer_no)
        events[0] = replace(events[0], detail={**events[0].detail, "via": SELF_SERVICE,
                                               "actor": f"credential:{cred.id}"})
        events += lifecycle.close_moot_revocations(s, cred, now, CHANNEL, chan.value,
                                                    customer.customer_no,
                                                    ended_status=revoked.status)
        result = SelfRevocationResult(credential_id=cred.id, status=revoked.status)
        if then is not None:
            then(s, result)
        record(s, backend.store, now, *events)
        return result

    return backend.store.run(work)
