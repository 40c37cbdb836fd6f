"""Who may register (DOMAIN.md section 2) and which methods a channel/device takes (section 1),
checked at intake from the channel. A refused intake writes nothing at all."""

from __future__ import annotations

import pytest
from helpers import register
from svc_helpers import activate, execute, refused, request_row, row_counts, snapshot

from staff_console.services.customer_view import show_customer
from staff_console.services.requests import approve_request

# (customer, channel, extra intake arguments) -> expected refusal code and field
REFUSALS = {
    "corporation": ("C005", "mts", {}, "INELIGIBLE_CORPORATION", None),
    "foreigner": ("C004", "mts", {}, "INELIGIBLE_FOREIGNER", None),
    "no_online_trading": ("C006", "web", {}, "NO_ONLINE_TRADING", None),
    "missing_id_card": ("C001", "mts", {"verified": "one_won,phone"},
                        "VERIFICATION_INCOMPLETE", "verified"),
    "missing_one_won": ("C001", "mts", {"verified": "id_card,phone"},
                        "VERIFICATION_INCOMPLETE", "verified"),
    "missing_phone": ("C001", "web", {"verified": "id_card,one_won"},
                      "VERIFICATION_INCOMPLETE", "verified"),
    "no_verification": ("C001", "web", {"verified": ""}, "VERIFICATION_INCOMPLETE", "verified"),
    "web_fingerprint": ("C001", "web", {"methods": "pin,fingerprint"},
                        "METHOD_NOT_ALLOWED", "methods"),
    "web_biometrics_claim": ("C001", "web", {"methods": "pin", "biometrics": "face"},
                             "METHOD_NOT_ALLOWED", "biometrics"),
    "mts_fingerprint_without_sensor": ("C001", "mts",
                                       {"methods": "pin,fingerprint", "biometrics": "none"},
                                       "METHOD_NOT_ALLOWED", "methods"),
    "mts_face_on_fingerprint_device": ("C001", "mts",
                                       {"methods": "pin,face", "biometrics": "fingerprint"},
                                       "METHOD_NOT_ALLOWED", "methods"),
    "pin_required_mts": ("C001", "mts", {"methods": "pattern"}, "METHOD_NOT_ALLOWED", "methods"),
    "pin_required_mts_biometric": ("C001", "mts", {"methods": "face", "biometrics": "face"},
                                   "METHOD_NOT_ALLOWED", "methods"),
    "unknown_method": ("C001", "mts", {"methods": "pin,iris"}, "INVALID_INPUT", "methods"),
    "unknown_verification": ("C001", "mts", {"verified": "id_card,one_won,phone,selfie"},
                             "INVALID_INPUT", "verified"),
    "unknown_channel": ("C001", "hts", {}, "INVALID_INPUT", "channel"),
    "unknown_customer": ("C999", "mts", {}, "NOT_FOUND", None),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_intake_writes_nothing(world, case):
    customer, channel, extra, code, field = REFUSALS[case]
    before = row_counts(world.backend)
    everything = snapshot(world.backend)
    with refused(code, field):
        register(world, customer, channel, "dev-x", **extra)
    after = row_counts(world.backend)
    for table in ("credential", "request", "verification", "audit_event"):
        assert after[table] == before[table], table
    assert snapshot(world.backend) == everything


def test_corporation_is_ineligible(world):
    with refused("INELIGIBLE_CORPORATION"):
        register(world, "C005", "web", "chrome-1")


def test_foreigner_is_ineligible(world):
    with refused("INELIGIBLE_FOREIGNER"):
        register(world, "C004", "mts", "phone-1")


def test_no_online_trading_is_refused(world):
    with refused("NO_ONLINE_TRADING"):
        register(world, "C006", "mts", "phone-1")


@pytest.mark.parametrize("missing", ["id_card", "one_won", "phone"])
def test_each_verification_kind_is_required(world, missing):
    kinds = ",".join(k for k in ("id_card", "one_won", "phone") if k != missing)
    with refused("VERIFICATION_INCOMPLETE", "verified") as info:
        register(world, "C001", "mts", "phone-1", verified=kinds)
    assert missing in info.value.message


def test_web_takes_pin_only(world):
    with refused("METHOD_NOT_ALLOWED", "methods"):
        register(world, "C001", "web", "chrome-1", methods="pin,fingerprint")
    with refused("METHOD_NOT_ALLOWED", "methods"):
        register(world, "C001", "web", "chrome-1", methods="pin,pattern")
    with refused("METHOD_NOT_ALLOWED", "biometrics"):
        register(world, "C001", "web", "chrome-1", methods="pin", biometrics="fingerprint")
    ok = register(world, "C001", "web", "chrome-1", methods="pin")
    assert ok.status == "pending"


def test_mts_biometrics_only_where_the_device_supports_them(world):
    with refused("METHOD_NOT_ALLOWED", "methods"):
        register(world, "C001", "mts", "phone-1", methods="pin,fingerprint", biometrics="none")
    ok = register(world, "C001", "mts", "phone-1", methods="pin,pattern,fingerprint,face",
                  biometrics="both")
    detail = show_customer(world.backend, world.teller, "C001", clock=world.clock)
    cred = detail.pending[0].credential
    assert cred.id == ok.credential_id
    assert cred.methods == ["pin", "pattern", "fingerprint", "face"]
    assert cred.biometrics == "both"


def test_pin_is_required(world):
    with refused("METHOD_NOT_ALLOWED", "methods"):
        register(world, "C001", "mts", "phone-1", methods="pattern")
    with refused("METHOD_NOT_ALLOWED", "methods"):
        register(world, "C001", "mts", "phone-1", methods="fingerprint", biometrics="fingerprint")


def test_accepted_intake_records_pending_credential_request_and_evidence(world):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1", device_model="Galaxy S24",
                      key_fingerprint="SHA256:abc")
    assert intake.status == "pending"
    req = request_row(b, intake.request_id)
    assert req["kind"] == "registration" and req["origin"] == "channel"
    assert req["branch_code"] == "001" and req["maker_staff_id"] is None
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.mts is None  # pending is not current
    [pending] = detail.pending
    assert pending.credential.status == "pending"
    assert pending.credential.device_model == "Galaxy S24"
    assert pending.credential.key_fingerprint == "SHA256:abc"
    assert sorted(e.kind for e in pending.evidence) == ["id_card", "one_won", "phone"]
    assert all(e.passed and e.verified_at == c.now() for e in pending.evidence)
    phone = next(e for e in pending.evidence if e.kind == "phone")
    assert "010-****-5678" in phone.detail and "1234" not in phone.detail


def test_second_pending_registration_on_a_channel_is_refused(world):
    register(world, "C001", "mts", "phone-1")
    everything = snapshot(world.backend)
    with refused("DUPLICATE_PENDING"):
        register(world, "C001", "mts", "phone-2")
    assert snapshot(world.backend) == everything
    # the other channel is independent
    assert register(world, "C001", "web", "chrome-1").status == "pending"


def test_eligibility_is_checked_again_at_approval(world):
    b, c = world.backend, world.clock
    intake = register(world, "C001", "mts", "phone-1")
    execute(b, "UPDATE customer SET online_trading = :f WHERE customer_no = 'C001'", f=False)
    everything = snapshot(b)
    with refused("NO_ONLINE_TRADING"):
        approve_request(b, world.manager, intake.request_id, clock=c)
    assert snapshot(b) == everything


def test_an_eligible_customer_with_both_channels(world):
    activate(world, "C002", "mts", "phone-1")
    activate(world, "C002", "web", "chrome-1")
    detail = show_customer(world.backend, world.teller, "C002", clock=world.clock)
    assert detail.mts.status == "active" and detail.web.status == "active"
