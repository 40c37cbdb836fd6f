"""Every staff call of the console server, each argument in turn replaced by what a hostile
terminal can send (a lone surrogate, a NUL, 5,000 characters, invisible characters, empty
text, numbers past every column, the wrong JSON type): a refusal with its code, never a
failure of the server (5xx, UNEXPECTED). The calls are the Protocol's (routes_staff.CALLS),
so a call added later without a valid example here fails `test_every_call_has_an_example`.

Found this way, and fixed: a customer number or a branch code with a surrogate reached the
database driver; a forecast of 2**63 months never ended; a page limit or a key id past 64 bits
overflowed the driver; a sign-off without its fields failed to build."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from staff_console.server.routes_staff import CALLS

# A valid call of each (who makes it, its arguments); they are only ever sent mutated.
EXAMPLES: dict[str, tuple[str, dict]] = {
    "access_log": ("AU01", {"month": "2026-11", "limit": 10, "before_seq": 5}),
    "add_branch": ("A0001", {"code": "Z99", "name": "시험지점"}),
    "add_staff": ("A0001", {"employee_no": "Z9001", "name": "시험", "branch_code": "001",
                            "role": "teller", "password": "Xq-9271-kkkk"}),
    "anchor_audit": ("AU01", {}),
    "approve_policy_change": ("A0001", {"change_id": 999}),
    "approve_request": ("M001", {"request_id": 99999, "note": "ok"}),
    "change_staff": ("A0001", {"employee_no": "ZZ99", "role": "teller", "branch_code": "001"}),
    "count_approvals": ("M001", {}),
    "create_channel_key": ("A0001", {"channel": "mts", "name": "hostile"}),
    "current_policy": ("T001", {}),
    "end_delegation": ("M001", {"delegation_id": 99999}),
    "expire_due": ("A0001", {}),
    "expiring_by_month": ("AU01", {"months": 3, "branch_code": "001"}),
    "get_request": ("T001", {"request_id": 99999}),
    "grant_delegation": ("M001", {"delegate_employee_no": "T002",
                                  "valid_from": "2026-12-07T09:00:00+09:00",
                                  "valid_until": "2026-12-08T09:00:00+09:00"}),
    "list_approvals": ("M001", {}),
    "list_branches": ("A0001", {}),
    "list_channel_keys": ("A0001", {}),
    "list_delegations": ("M001", {}),
    "list_events": ("AU01", {"customer_no": "C001", "staff_no": "T001",
                             "action": "customer.view", "category": "access",
                             "date_from": "2026-01-01", "date_to": "2026-12-31",
                             "before_seq": 5, "limit": 5}),
    "list_expiring": ("AU01", {"within_days": 30, "branch_code": "001", "limit": 10}),
    "list_my_requests": ("T001", {"pending_only": True}),
    "list_policy_changes": ("A0001", {"include_decided": True}),
    "list_staff": ("A0001", {"branch_code": "001"}),
    "lock_staff": ("A0001", {"employee_no": "ZZ99"}),
    "reject_policy_change": ("A0001", {"change_id": 999, "note": "no"}),
    "reject_request": ("M001", {"request_id": 99999, "note": "no"}),
    "request_revocation": ("T001", {"customer_no": "C002", "channel": "mts",
                                    "reason": "lost_device", "note": "n"}),
    "revoke_channel_key": ("A0001", {"key_id": 99999}),
    "search_customers": ("T001", {"query": "홍", "limit": 5, "offset": 0}),
    "service_matrix": ("T001", {"customer_no": "C001"}),
    "set_policy": ("A0001", {"key": "idle_lock_minutes", "value": "15"}),
    "show_customer": ("T001", {"customer_no": "C001"}),
    "show_policy": ("A0001", {}),
    "sign_off_access_review": ("AU01", {"month": "2026-11", "note": "ok"}),
    "signoff_anchor": ("AU01", {"signoff": {
        "seq": 1, "at": "2026-11-24T10:00:00+09:00", "actor": "AU01", "terminal": "t",
        "action": "access_log.signed_off", "category": "access", "customer_no": None,
        "target": None, "detail": {}}}),
    "unlock_staff": ("A0001", {"employee_no": "ZZ99"}),
    "verify_audit": ("AU01", {"anchors": ["x"]}),
    "withdraw_request": ("T001", {"request_id": 99999}),
}
HOSTILE = ["\ud800", "a\x00b", "x" * 5000, "\u202e\u200b", "", " ", 123, -1, 2**63, 1.5,
           [], {}, None, True, ["\ud800"], {"a": "\ud800"}]


def _post(url: str, path: str, body: bytes, token: str) -> tuple[int, object]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_every_call_has_an_example():
    assert sorted(EXAMPLES) == sorted(CALLS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_hostile_argument_is_refused_with_its_code(site, name):
    who, example = EXAMPLES[name]
    token = site.signed_in(who)._token
    failures = []
    mutations = [(p, v) for p in example for v in HOSTILE] or [("(none)", None)]
    for parameter, value in mutations:
        body = dict(example)
        if parameter in body:
            body[parameter] = value
        raw = json.dumps(body, ensure_ascii=True).encode()  # a lone surrogate as \ud800
        status, answer = _post(site.url, f"/v1/staff/{name}", raw, token)
        code = answer.get("code") if isinstance(answer, dict) else None
        if status >= 500 or code == "UNEXPECTED":
            failures.append((parameter, repr(value)[:24], status, code))
    assert not failures, failures


def test_a_hostile_sign_in_is_refused_with_its_code(site):
    """The session's own routes take the same values: a sign-in (of nobody, so that no one
    is locked out by the attempts) and an unlock refuse each with a code."""
    token = site.signed_in("T002")._token
    failures = []
    sign_in = {"employee_no": "ZZ99", "password": "Not-The-Password-1", "terminal": "t"}
    for route, example in (("/v1/session/sign-in", sign_in),
                           ("/v1/session/unlock", {"password": "Not-The-Password-1"})):
        for parameter in example:
            for value in HOSTILE:
                raw = json.dumps({**example, parameter: value}, ensure_ascii=True).encode()
                status, answer = _post(site.url, route, raw, token)
                code = answer.get("code") if isinstance(answer, dict) else None
                if status >= 500 or code == "UNEXPECTED":
                    failures.append((route, parameter, repr(value)[:24], status, code))
    assert not failures, failures
