"""The server's answers in one pass (`wire.dumps`, server/staff_calls.py) are the same JSON as
`wire.encode` then json.dumps, for every shape the views use; and what it cannot send it refuses
as `encode` does."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from staff_console.api import wire
from staff_console.domain.authority import Actor, Role
from staff_console.services.views import (
    AuditEventView,
    AuditPage,
    CredentialView,
    CustomerDetail,
    EvidenceView,
    PolicyEntry,
    RequestView,
    VerifyResult,
)

AT = datetime(2026, 11, 24, 1, 2, 3, 456789, tzinfo=UTC)
SEOUL = timezone(timedelta(hours=9))


def _credential(status: str) -> CredentialView:
    return CredentialView(
        id=7, channel="mts", status=status, device_id="기기-1\u2028", device_model=None,
        biometrics="none", methods=["pin", "pattern"], key_fingerprint="ab" * 16,
        created_at=AT, activated_at=AT.astimezone(SEOUL), valid_until=date(2029, 2, 28),
        days_left=1095, last_used_at=None, failed_logins=0, ended_at=None, end_reason=None)


def _request() -> RequestView:
    return RequestView(
        id=3, kind="revocation", status="pending", customer_no="C001", customer_name="홍길동",
        channel="mts", credential_id=7, branch_code="001", origin="branch", maker="T001",
        maker_name="이창구", maker_id=2, reason="lost_device", note='따옴표 " 와 \\ 백슬래시',
        created_at=AT, expires_at=AT + timedelta(days=7), decided_at=None, decider=None,
        decider_name=None, authority=None, delegation_id=None, decision_note=None,
        evidence=[EvidenceView(kind="id_card", passed=True, verified_at=AT, detail="***")],
        credential=_credential("active"))


VALUES = [
    None, True, 0, -1, 1.5, "", "한글 \x00\t\n😀",
    Role.MANAGER, Actor(1, "M001", "김지점", "001", Role.MANAGER, "desk"),
    [("2026-11", 3), ("2026-12", 0)],
    {"a": [1, {"b": None}], "c": date(2026, 1, 1)},
    {1: "one"},
    Path("/tmp/x.csv"),
    frozenset({"only"}),
    CustomerDetail(
        customer_no="C001", name="홍길동", id_masked="900101-1******", customer_type="individual",
        nationality="domestic", online_trading=True, branch_code="001", branch_name="강남지점",
        phone_masked="010-****-5678", accounts=["12345678901"], mts=_credential("active"),
        web=None, history=[_credential("replaced")], pending=[_request()],
        today=date(2026, 11, 24)),
    AuditPage(items=[AuditEventView(seq=9, at=AT, actor="T001", terminal="desk",
                                    action="customer.viewed", category="access",
                                    customer_no="C001", target=None,
                                    detail={"fields": ["phone"], "n": 2, "ok": False})],
              has_more=True),
    VerifyResult(ok=False, count=10, first_bad_seq=4, problem="hash_mismatch", missing=(4, 6),
                 anchors_checked=2, bad_anchors=((1, "unknown_store"),), unanchored_after=3),
    [PolicyEntry(key="policy.checker.revocation", value=True, default=True, low=None,
                 high=None, weaker="off")],
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_dumps_is_encode_then_json(value):
    expected = json.dumps(wire.encode(value), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")
    assert wire.dumps(value) == expected
    assert json.loads(wire.dumps(value)) == wire.encode(value)


@pytest.mark.parametrize("value", [object(), {"x": object()}, [b"bytes"], float("nan")])
def test_dumps_refuses_what_encode_cannot_send(value):
    with pytest.raises((TypeError, ValueError)):
        json.dumps(wire.encode(value), allow_nan=False)
    with pytest.raises((TypeError, ValueError)):
        wire.dumps(value)
